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
use crate::report::words;
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// `auditguard/verify/1`.
    pub schema: &'static str,
    /// pass: every required event came out with a key; fail: some did not; error: could
    /// not verify.
    pub verdict: Verdict,
    /// A summary.
    pub reason: String,
    /// The login uid the probes ran with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_loginuid: Option<u32>,
    /// Per-event results.
    pub events: Vec<ProbeFinding>,
    /// How long the whole verification took, in milliseconds.
    pub elapsed_ms: u64,
}

/// The result for one expected event.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeFinding {
    /// The control.
    pub control: String,
    /// The requirement.
    pub requirement: String,
    /// `b64 init_module`, `exec /usr/sbin/modprobe (b64)`.
    pub event: String,
    /// pass (seen with a key), fail (not seen, or seen without key), notapplicable (not
    /// probed on this machine).
    pub verdict: Verdict,
    /// The key that came out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Why not, or what was seen.
    pub reason: String,
    /// Advice-only event (absence does not fail).
    pub advice: bool,
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
) -> Result<VerifyReport, KernelError> {
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
        let label = exp.event.label(machine);
        let child = children.iter().find(|(_, idx, _)| idx.contains(i));
        let (verdict, key, reason) = match child {
            None => not_probed(exp, machine, &status, opts.exec),
            Some((pid, _, child_err)) => match find_record(&records, *pid, exp) {
                Some(r) => {
                    let keys = r.keys();
                    match keys.iter().find(|k| !k.is_empty()) {
                        Some(k) => (
                            Verdict::Pass,
                            Some(String::from_utf8_lossy(k).into_owned()),
                            format!("seen with key \"{}\"", String::from_utf8_lossy(k)),
                        ),
                        None => (Verdict::Fail, None, "seen, but without a key".to_string()),
                    }
                }
                None => {
                    let cause = decide(&exp.event, &outcome.rules);
                    let why = words::cause(
                        &cause,
                        &words::Context {
                            outcome: &outcome,
                            unread: &[],
                            loader: "the running kernel",
                            machine,
                        },
                    );
                    let mut reason = match cause {
                        Cause::Covered { .. } => {
                            format!("not seen although the kernel's rules should record it ({why})")
                        }
                        _ => format!("not seen: {why}"),
                    };
                    if let Some(e) = child_err {
                        reason.push_str(&format!("; probe: {e}"));
                    }
                    if listener.overruns() > 0 {
                        reason.push_str("; the listener's queue overflowed, records were lost");
                    }
                    (Verdict::Fail, None, reason)
                }
            },
        };
        events.push(ProbeFinding {
            control: control.id.clone(),
            requirement: exp.requirement.clone(),
            event: label,
            verdict,
            key,
            reason,
            advice: exp.advice,
        });
    }
    let verdict = events
        .iter()
        .filter(|e| !e.advice)
        .fold(Verdict::Pass, |v, e| v.worst(e.verdict));
    let missing = events
        .iter()
        .filter(|e| !e.advice && e.verdict == Verdict::Fail)
        .count();
    let mut reason = if status.enabled == 0 {
        "audit is disabled (enabled 0): the kernel emits nothing, so nothing was probed".to_string()
    } else if missing == 0 {
        "every required event came out with a key".to_string()
    } else {
        format!("{missing} required event(s) did not come out with a key")
    };
    for p in problems {
        reason.push_str("; ");
        reason.push_str(&p);
    }
    Ok(VerifyReport {
        schema: "auditguard/verify/1",
        verdict: if status.enabled == 0 {
            Verdict::Fail
        } else {
            verdict
        },
        reason,
        probe_loginuid: Some(probe_uid),
        events,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// Why an expected event had no probe.
fn not_probed(
    exp: &Expectation,
    machine: Machine,
    status: &crate::kernel::Status,
    exec: bool,
) -> (Verdict, Option<String>, String) {
    if status.enabled == 0 {
        return (
            Verdict::Fail,
            None,
            "not collected: audit is disabled (enabled 0)".into(),
        );
    }
    if exp.event.exec_path.is_some() && !exec {
        return (
            Verdict::NotApplicable,
            None,
            "exec probes not requested (use --exec)".into(),
        );
    }
    if exp.event.exec_path.is_some() && exp.event.abi != machine {
        return (
            Verdict::NotApplicable,
            None,
            "32-bit execs are not probed".into(),
        );
    }
    (Verdict::Fail, None, "the probe could not run".into())
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
