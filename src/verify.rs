//! Proof of collection: make the audited actions happen, harmlessly, and watch what the
//! kernel emits.
//!
//! For each requirement of each control: listen on the audit multicast group, run children
//! (`auditguard __probe`), one per ABI and event class, that take the class's login uid (a
//! user's, or 0 for root logins) and make each syscall harmlessly on that ABI: with refused
//! arguments (NULL pointers, fd -1) for "any outcome"; as an unprivileged user on a fixture
//! only root may search (EACCES) or own (EPERM) for failed-with-errno classes; on the watched
//! file itself, changing nothing (open for append and close, chmod to its mode, ...), for
//! watch events; and, when asked, exec the watched tools with `--version`. Then match the
//! SYSCALL records each child caused — by pid, arch, syscall number and return value — and
//! report which key came out, or that nothing did and why (the kernel-side evaluation of the
//! same event says which). Classes no harmless probe can produce (a setuid-root exec, cron
//! under SELinux, an unlink of a watched file) are reported as not probed, with the reason.

use crate::control::drift::kernel_outcome;
use crate::control::evaluate::decide;
use crate::control::event::{expectations, Expectation};
use crate::control::finding::{Cause, Verdict};
use crate::control::Control;
use crate::host::Host;
use crate::kernel::events::{EventListener, Record, AUDIT_SYSCALL};
use crate::kernel::probe::{self, Form};
use crate::kernel::{AuditKernel, KernelError};
use crate::load::configuration::{facts, resolve_watches};
use crate::model::Machine;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What was observed for one expected event.
#[derive(Debug, Clone)]
pub enum Observation {
    /// Its SYSCALL record came out, with this key (`None`: without one).
    Seen {
        /// The key the record carried.
        key: Option<Vec<u8>>,
    },
    /// It was probed and no record came out; `cause` is the kernel-side evaluation (indices
    /// into [`Verification::outcome`]).
    NotSeen {
        /// What the kernel's rules do with it.
        cause: Cause,
        /// What the probe child reported on stderr.
        probe_error: Option<String>,
        /// The listener's queue overflowed: records were lost.
        overrun: bool,
    },
    /// It was not probed.
    NotProbed(NotProbed),
}

/// Why an event was not probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotProbed {
    /// Audit is disabled: the kernel emits nothing.
    AuditDisabled,
    /// An exec event without `--exec`.
    ExecNotRequested,
    /// A 32-bit exec (not probed).
    Exec32,
    /// The file to exec does not exist on this host.
    NotInstalled,
    /// The probe child could not run.
    ProbeFailed,
    /// No harmless probe produces this event class (a setuid-root exec, a cron job's label,
    /// a write that would change the watched file, an errno no fixture can provoke).
    NoHarmlessForm,
    /// The probe ran but the syscall did not end as the class needs (this return value).
    WrongOutcome {
        /// What the syscall returned.
        got: i64,
    },
}

/// One expected event, verified.
#[derive(Debug, Clone)]
pub struct Probed {
    /// The control.
    pub control: String,
    /// The requirement.
    pub requirement: String,
    /// The event.
    pub event: crate::control::event::Event,
    /// Advice-only event (absence does not fail).
    pub advice: bool,
    /// What was observed.
    pub observation: Observation,
}

impl Probed {
    /// pass: seen with a key; fail: seen without, or not seen; notapplicable: not verified.
    pub fn verdict(&self) -> Verdict {
        match &self.observation {
            Observation::Seen { key: Some(_) } => Verdict::Pass,
            Observation::Seen { key: None } | Observation::NotSeen { .. } => Verdict::Fail,
            Observation::NotProbed(NotProbed::AuditDisabled) => Verdict::Fail,
            Observation::NotProbed(_) => Verdict::NotApplicable,
        }
    }
}

/// What `verify` found, as data (worded by `report::verify`).
#[derive(Debug, Clone)]
pub struct Verification {
    /// The kernel's rules when the probes ran (causes point into them).
    pub outcome: crate::load::auditctl::LoadOutcome,
    /// Whether audit was enabled.
    pub enabled: u32,
    /// The login uid the probes ran with.
    pub probe_loginuid: u32,
    /// Per-event results.
    pub events: Vec<Probed>,
    /// Probes that could not run (spawn errors).
    pub problems: Vec<String>,
    /// How long the whole verification took.
    pub elapsed: Duration,
}

/// Options of a verification.
pub struct VerifyOptions<'a> {
    /// The auditguard binary to run as the probe child.
    pub probe_exe: &'a Path,
    /// Also exec the watched paths (with `--version`).
    pub exec: bool,
    /// How long to wait for records after the probes ran.
    pub settle: Duration,
    /// The profile's fixed lowest user login uid (the STIG's 1000), else the host's UID_MIN.
    pub auid_min: Option<u32>,
}

/// Verify `controls` on the live host.
pub fn verify(
    kernel: &mut dyn AuditKernel,
    controls: &[Control],
    machine: Machine,
    host: &dyn Host,
    opts: &VerifyOptions,
) -> Result<Verification, KernelError> {
    let started = Instant::now();
    let status = kernel.status()?;
    let mut outcome = kernel_outcome(kernel.list_rules()?, machine);
    resolve_watches(host, &mut outcome.rules);
    let mut facts = facts(host, controls);
    if let Some(min) = opts.auid_min {
        facts.uid_min = min;
    }
    let mut listener = EventListener::open()?;
    let user = facts.uid_min;
    let current = crate::kernel::probe::loginuid();
    let probe_uid = match current {
        Some(u) if u >= user && u != u32::MAX => u,
        _ => user,
    };

    let mut pending: Vec<(usize, &Control, Expectation)> = Vec::new();
    for c in controls {
        for e in expectations(c, machine, &facts) {
            pending.push((pending.len(), c, e));
        }
    }
    let fixture = Fixture::new();
    // One child per ABI and probe group (login uid, privileges, form); one per exec path.
    let mut children: Vec<Child> = Vec::new();
    let mut unprobed: Vec<(usize, NotProbed)> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    if status.enabled != 0 {
        let mut groups: Vec<(Group, Vec<usize>)> = Vec::new();
        for (i, _, exp) in &pending {
            if exp.event.exec_path.is_some() {
                continue;
            }
            match group_of(&exp.event, probe_uid, host, fixture.as_ref()) {
                Ok(g) => match groups.iter_mut().find(|(k, _)| *k == g) {
                    Some((_, idx)) => idx.push(*i),
                    None => groups.push((g, vec![*i])),
                },
                Err(why) => unprobed.push((*i, why)),
            }
        }
        for (g, idx) in groups {
            let mut names: Vec<String> = idx
                .iter()
                .map(|i| pending[*i].2.event.syscall_name.clone())
                .collect();
            names.dedup();
            match spawn_probe(opts.probe_exe, &g, &names, None) {
                Ok(c) => children.push(Child { idx, ..c }),
                Err(e) => problems.push(e),
            }
        }
        if opts.exec {
            let mut paths: Vec<Vec<u8>> = pending
                .iter()
                .filter(|(_, _, e)| e.event.abi == machine)
                .filter_map(|(_, _, e)| e.event.exec_path.clone())
                .collect();
            paths.dedup();
            for p in paths {
                // A tool that is not installed cannot be probed: "not installed", not "not seen".
                if !host.exists(Path::new(std::ffi::OsStr::from_bytes(&p))) {
                    continue;
                }
                let idx: Vec<usize> = pending
                    .iter()
                    .filter(|(_, _, e)| {
                        e.event.abi == machine && e.event.exec_path.as_ref() == Some(&p)
                    })
                    .map(|(i, _, _)| *i)
                    .collect();
                let path = String::from_utf8_lossy(&p).into_owned();
                let g = Group {
                    abi: machine,
                    loginuid: probe_uid,
                    form: Form::Refused,
                };
                match spawn_probe(opts.probe_exe, &g, &[], Some(&path)) {
                    Ok(c) => children.push(Child { idx, ..c }),
                    Err(e) => problems.push(e),
                }
            }
        }
    }

    // Gather records until every probed event has its SYSCALL record, or the settle time ends
    // (kauditd delivers asynchronously, so records may trail the probes a little).
    let mut records: Vec<Record> = Vec::new();
    let probed = &pending;
    let mut open: Vec<(u32, Option<i64>, &Expectation)> = children
        .iter()
        .flat_map(|c| {
            c.idx.iter().map(move |i| {
                let exp = &probed[*i].2;
                (c.pid, c.result(&exp.event.syscall_name), exp)
            })
        })
        .filter(|(_, rc, exp)| rc.is_some() || exp.event.exec_path.is_some())
        .collect();
    if !open.is_empty() {
        let deadline = Instant::now() + opts.settle;
        while let Some(r) = listener.recv_until(deadline)? {
            if r.kind != AUDIT_SYSCALL {
                continue;
            }
            open.retain(|(pid, rc, exp)| !record_matches(&r, *pid, *rc, exp));
            records.push(r);
            if open.is_empty() {
                break;
            }
        }
    }

    let mut events = Vec::new();
    for (i, control, exp) in &pending {
        let child = children.iter().find(|c| c.idx.contains(i));
        let observation = match (child, unprobed.iter().find(|(j, _)| j == i)) {
            (_, Some((_, why))) if status.enabled != 0 => Observation::NotProbed(why.clone()),
            (None, _) => Observation::NotProbed(not_probed(exp, machine, &status, opts.exec, host)),
            (Some(c), _) => {
                let rc = c.result(&exp.event.syscall_name);
                match (&c.form, rc) {
                    // The syscall had no harmless form on this ABI, or did not run.
                    (_, None) if exp.event.exec_path.is_none() => {
                        Observation::NotProbed(NotProbed::NoHarmlessForm)
                    }
                    (Form::Errno { errno, .. }, Some(got)) if got != -i64::from(*errno) => {
                        Observation::NotProbed(NotProbed::WrongOutcome { got })
                    }
                    _ => match find_record(&records, c.pid, rc, exp) {
                        Some(r) => Observation::Seen {
                            key: r
                                .keys()
                                .into_iter()
                                .find(|k| !k.is_empty())
                                .map(|k| k.to_vec()),
                        },
                        None => Observation::NotSeen {
                            cause: decide(&exp.event, &outcome.rules),
                            probe_error: c.stderr.clone(),
                            overrun: listener.overruns() > 0,
                        },
                    },
                }
            }
        };
        events.push(Probed {
            control: control.id.clone(),
            requirement: exp.requirement.clone(),
            event: exp.event.clone(),
            advice: exp.advice,
            observation,
        });
    }
    Ok(Verification {
        outcome,
        enabled: status.enabled,
        probe_loginuid: probe_uid,
        events,
        problems,
        elapsed: started.elapsed(),
    })
}

/// Why an expected event had no probe.
fn not_probed(
    exp: &Expectation,
    machine: Machine,
    status: &crate::kernel::Status,
    exec: bool,
    host: &dyn Host,
) -> NotProbed {
    if status.enabled == 0 {
        return NotProbed::AuditDisabled;
    }
    match &exp.event.exec_path {
        Some(_) if !exec => NotProbed::ExecNotRequested,
        Some(_) if exp.event.abi != machine => NotProbed::Exec32,
        Some(p) if !host.exists(std::path::Path::new(std::ffi::OsStr::from_bytes(p))) => {
            NotProbed::NotInstalled
        }
        _ => NotProbed::ProbeFailed,
    }
}

/// The SYSCALL record a child caused for this expectation: the last one of its pid, arch and
/// syscall number that returned what the probe reported (earlier ones are the child's own
/// setup, such as writing its login uid).
fn find_record<'r>(
    records: &'r [Record],
    pid: u32,
    rc: Option<i64>,
    exp: &Expectation,
) -> Option<&'r Record> {
    records
        .iter()
        .rev()
        .find(|r| record_matches(r, pid, rc, exp))
}

/// Whether `r` is the SYSCALL record of `exp`'s syscall made by process `pid` (returning
/// `rc`, when the probe reported it).
fn record_matches(r: &Record, pid: u32, rc: Option<i64>, exp: &Expectation) -> bool {
    let arch = format!("{:x}", exp.event.abi.audit_arch());
    r.kind == AUDIT_SYSCALL
        && r.field("pid") == Some(pid.to_string().as_bytes())
        && r.field("arch")
            .is_some_and(|a| a.eq_ignore_ascii_case(arch.as_bytes()))
        && r.field("syscall") == Some(exp.event.syscall.to_string().as_bytes())
        && rc.is_none_or(|rc| r.field("exit") == Some(rc.to_string().as_bytes()))
}

/// What a group of probes shares: the ABI, the login uid, and the form (which also says
/// whether the child drops its privileges: the errno form does).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    abi: Machine,
    loginuid: u32,
    form: Form,
}

/// A probe child that ran.
struct Child {
    pid: u32,
    /// The expectations it probed (indices into the pending list).
    idx: Vec<usize>,
    form: Form,
    /// What each syscall returned (`name=rc` lines of its stdout).
    results: Vec<(String, i64)>,
    /// What it said on stderr.
    stderr: Option<String>,
}

impl Child {
    fn result(&self, name: &str) -> Option<i64> {
        self.results
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| *r)
    }
}

/// The user the errno probes drop to (`nobody`).
const NOBODY: u32 = 65534;

/// The files the errno probes fail on, in a temporary directory of this host: `denied`, a path
/// below a directory only root may search (EACCES), and `owned`, a root-owned file others may
/// read (EPERM with O_NOATIME). Removed when dropped.
struct Fixture {
    _dir: tempfile::TempDir,
    denied: Vec<u8>,
    owned: Vec<u8>,
}

impl Fixture {
    fn new() -> Option<Fixture> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("auditguard-probe.")
            .tempdir()
            .ok()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).ok()?;
        let closed = dir.path().join("closed");
        std::fs::create_dir(&closed).ok()?;
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).ok()?;
        let owned = dir.path().join("owned");
        std::fs::write(&owned, b"").ok()?;
        std::fs::set_permissions(&owned, std::fs::Permissions::from_mode(0o644)).ok()?;
        Some(Fixture {
            denied: closed.join("f").as_os_str().as_bytes().to_vec(),
            owned: owned.as_os_str().as_bytes().to_vec(),
            _dir: dir,
        })
    }
}

/// How an event is probed, or why it is not.
fn group_of(
    e: &crate::control::event::Event,
    probe_uid: u32,
    host: &dyn Host,
    fixture: Option<&Fixture>,
) -> Result<Group, NotProbed> {
    use crate::control::{Outcome, Who};
    let name = e.syscall_name.as_str();
    if let Some(o) = &e.object {
        let file = if o.below {
            first_file_in(host, &o.path).ok_or(NotProbed::NotInstalled)?
        } else {
            o.path.clone()
        };
        let meta = host
            .stat(Path::new(std::ffi::OsStr::from_bytes(&file)))
            .map_err(|_| NotProbed::NotInstalled)?;
        if !probe::on_file_form(name) {
            return Err(NotProbed::NoHarmlessForm);
        }
        return Ok(Group {
            abi: e.abi,
            loginuid: probe_uid,
            form: Form::OnFile {
                path: file,
                mode: meta.mode,
            },
        });
    }
    let loginuid = match e.who {
        Who::Users | Who::Everyone => probe_uid,
        Who::RootLogins => 0,
        _ => return Err(NotProbed::NoHarmlessForm),
    };
    if !e.args.is_empty() {
        return Err(NotProbed::NoHarmlessForm);
    }
    let form = match e.outcome {
        Outcome::Any if probe::REFUSABLE.contains(&name) => Form::Refused,
        Outcome::Failed(errno) if probe::errno_form(name, errno) => {
            let f = fixture.ok_or(NotProbed::ProbeFailed)?;
            Form::Errno {
                errno,
                denied: f.denied.clone(),
                owned: f.owned.clone(),
            }
        }
        _ => return Err(NotProbed::NoHarmlessForm),
    };
    Ok(Group {
        abi: e.abi,
        loginuid,
        form,
    })
}

/// A regular file directly in `dir` on the host (for a tree watch's probe).
fn first_file_in(host: &dyn Host, dir: &[u8]) -> Option<Vec<u8>> {
    let d = Path::new(std::ffi::OsStr::from_bytes(dir));
    let mut names: Vec<Vec<u8>> = host
        .read_dir(d)
        .ok()?
        .into_iter()
        .filter(|e| e.kind == crate::host::FileKind::File)
        .map(|e| e.name)
        .collect();
    names.sort();
    let first = names.into_iter().next()?;
    Some(
        d.join(std::ffi::OsStr::from_bytes(&first))
            .as_os_str()
            .as_bytes()
            .to_vec(),
    )
}

/// Run `auditguard __probe` for one group and wait for it: its pid, what each syscall
/// returned (stdout), and what it reported on stderr (e.g. that the login uid could not be
/// set).
fn spawn_probe(
    exe: &Path,
    g: &Group,
    syscalls: &[String],
    exec: Option<&str>,
) -> Result<Child, String> {
    let mut cmd = Command::new(exe);
    cmd.arg("__probe")
        .arg("--loginuid")
        .arg(g.loginuid.to_string())
        .arg("--abi")
        .arg(g.abi.name());
    if !syscalls.is_empty() {
        cmd.arg("--syscalls").arg(syscalls.join(","));
    }
    match &g.form {
        Form::Refused => {}
        Form::OnFile { path, mode } => {
            cmd.arg("--file")
                .arg(std::ffi::OsStr::from_bytes(path))
                .arg("--mode")
                .arg(format!("{mode:o}"));
        }
        Form::Errno {
            errno,
            denied,
            owned,
        } => {
            cmd.arg("--errno")
                .arg(errno.to_string())
                .arg("--denied")
                .arg(std::ffi::OsStr::from_bytes(denied))
                .arg("--owned")
                .arg(std::ffi::OsStr::from_bytes(owned))
                .arg("--drop-to")
                .arg(NOBODY.to_string());
        }
    }
    if let Some(p) = exec {
        cmd.arg("--exec").arg(p);
    }
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run the probe {}: {e}", exe.display()))?;
    let pid = child.id();
    let out = child
        .wait_with_output()
        .map_err(|e| format!("probe: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let err = match out.status.code() {
        Some(_) if err.is_empty() => None,
        Some(_) => Some(err),
        None => Some(format!(
            "the {} probe was killed by a signal ({err})",
            g.abi.name()
        )),
    };
    let results = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (n, rc) = l.split_once('=')?;
            Some((n.to_string(), rc.trim().parse().ok()?))
        })
        .collect();
    Ok(Child {
        pid,
        idx: Vec::new(),
        form: g.form.clone(),
        results,
        stderr: err,
    })
}
