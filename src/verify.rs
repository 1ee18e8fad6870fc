//! Proof of collection: make the audited actions happen, harmlessly, and watch what the
//! kernel emits.
//!
//! For each requirement of each control: listen on the audit multicast group, run a child
//! (`auditguard __probe`) that takes a user's login uid and makes the module syscalls with
//! refused arguments on every ABI of the host (and, when asked, execs the watched tools with
//! `--version`), then match the SYSCALL records the child caused — by pid, arch and syscall
//! number — and report which key came out, or that nothing did and why (audit disabled, rule
//! missing, shadowed: the kernel-side evaluation of the same event says which).

use crate::control::drift::kernel_outcome;
use crate::control::evaluate::decide;
use crate::control::event::{expectations, Expectation};
use crate::control::finding::{Cause, Verdict};
use crate::control::Control;
use crate::host::Host;
use crate::kernel::events::{EventListener, Record, AUDIT_SYSCALL};
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
    let facts = facts(host, controls);
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
    // One child per ABI for the syscalls, one per path for execs.
    let mut children: Vec<(u32, Vec<usize>, Option<String>)> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    if status.enabled != 0 {
        for abi in machine.abis() {
            let idx: Vec<usize> = pending
                .iter()
                .filter(|(_, _, e)| e.event.abi == abi && e.event.exec_path.is_none())
                .map(|(i, _, _)| *i)
                .collect();
            if idx.is_empty() {
                continue;
            }
            let mut names: Vec<String> = idx
                .iter()
                .map(|i| pending[*i].2.event.syscall_name.clone())
                .collect();
            names.dedup();
            match spawn_probe(opts.probe_exe, probe_uid, abi, &names, None) {
                Ok((pid, err)) => children.push((pid, idx, err)),
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
                match spawn_probe(opts.probe_exe, probe_uid, machine, &[], Some(&path)) {
                    Ok((pid, err)) => children.push((pid, idx, err)),
                    Err(e) => problems.push(e),
                }
            }
        }
    }

    // Gather records until every probed event has its SYSCALL record, or the settle time ends
    // (kauditd delivers asynchronously, so records may trail the probes a little).
    let mut records: Vec<Record> = Vec::new();
    let probed = &pending;
    let mut open: Vec<(u32, &Expectation)> = children
        .iter()
        .flat_map(|(pid, idx, _)| idx.iter().map(move |i| (*pid, &probed[*i].2)))
        .collect();
    if !open.is_empty() {
        let deadline = Instant::now() + opts.settle;
        while let Some(r) = listener.recv_until(deadline)? {
            if r.kind != AUDIT_SYSCALL {
                continue;
            }
            open.retain(|(pid, exp)| !record_matches(&r, *pid, exp));
            records.push(r);
            if open.is_empty() {
                break;
            }
        }
    }

    let mut events = Vec::new();
    for (i, control, exp) in &pending {
        let child = children.iter().find(|(_, idx, _)| idx.contains(i));
        let observation = match child {
            None => Observation::NotProbed(not_probed(exp, machine, &status, opts.exec, host)),
            Some((pid, _, child_err)) => match find_record(&records, *pid, exp) {
                Some(r) => Observation::Seen {
                    key: r
                        .keys()
                        .into_iter()
                        .find(|k| !k.is_empty())
                        .map(|k| k.to_vec()),
                },
                None => Observation::NotSeen {
                    cause: decide(&exp.event, &outcome.rules),
                    probe_error: child_err.clone(),
                    overrun: listener.overruns() > 0,
                },
            },
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

/// The SYSCALL record a child caused for this expectation.
fn find_record<'r>(records: &'r [Record], pid: u32, exp: &Expectation) -> Option<&'r Record> {
    records.iter().find(|r| record_matches(r, pid, exp))
}

/// Whether `r` is the SYSCALL record of `exp`'s syscall made by process `pid`.
fn record_matches(r: &Record, pid: u32, exp: &Expectation) -> bool {
    let arch = format!("{:x}", exp.event.abi.audit_arch());
    r.kind == AUDIT_SYSCALL
        && r.field("pid") == Some(pid.to_string().as_bytes())
        && r.field("arch")
            .is_some_and(|a| a.eq_ignore_ascii_case(arch.as_bytes()))
        && r.field("syscall") == Some(exp.event.syscall.to_string().as_bytes())
}

/// Run `auditguard __probe` and wait for it. Returns its pid and what it reported on stderr
/// (e.g. that the login uid could not be set).
fn spawn_probe(
    exe: &Path,
    uid: u32,
    abi: Machine,
    syscalls: &[String],
    exec: Option<&str>,
) -> Result<(u32, Option<String>), String> {
    let mut cmd = Command::new(exe);
    cmd.arg("__probe")
        .arg("--loginuid")
        .arg(uid.to_string())
        .arg("--abi")
        .arg(abi.name());
    if !syscalls.is_empty() {
        cmd.arg("--syscalls").arg(syscalls.join(","));
    }
    if let Some(p) = exec {
        cmd.arg("--exec").arg(p);
    }
    cmd.stdout(std::process::Stdio::null())
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
            abi.name()
        )),
    };
    Ok((pid, err))
}
