//! `verify` in words: per event what came out (or why nothing did, or why it was not probed),
//! and a headline that never claims more than was proved.

use crate::control::finding::Verdict;
use crate::report::bytes::{escape, text as t, ByteString};
use crate::report::words::{self, Context};
use crate::verify::{NotProbed, Observation, Probed, Verification};
use serde::Serialize;
use std::fmt::Write as _;

/// The JSON schema identifier of a verify report.
pub const VERIFY_SCHEMA: &str = "auditguard/verify/1";

/// What `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// [`VERIFY_SCHEMA`].
    pub schema: &'static str,
    /// Tool, times and host name.
    #[serde(flatten)]
    pub run: crate::report::RunInfo,
    /// Always `/`: verify probes this host.
    pub target: &'static str,
    /// This host's machine.
    pub machine: String,
    /// pass: every required event was probed and came out with a key; fail: some did not;
    /// notapplicable: none failed but some required events were not verified (not probed).
    pub verdict: Verdict,
    /// A summary.
    pub reason: String,
    /// The login uid the probes ran with.
    pub probe_loginuid: u32,
    /// Per-event results.
    pub events: Vec<ProbeFinding>,
    /// Warnings: advice-only events that did not come out (e.g. `finit_module`).
    pub warnings: Vec<String>,
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
    /// verified: not probed, with the reason).
    pub verdict: Verdict,
    /// The key that came out (exact bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ByteString>,
    /// Why not, or what was seen.
    pub reason: String,
    /// Advice-only event (absence does not fail).
    pub advice: bool,
}

fn reason(p: &Probed, ctx: &Context) -> String {
    match &p.observation {
        Observation::Seen { key: Some(k) } => {
            format!("seen with key \"{}\"", escape(k))
        }
        Observation::Seen { key: None } => "seen, but without a key".to_string(),
        Observation::NotSeen {
            cause,
            probe_error,
            overrun,
        } => {
            let why = words::cause(cause, ctx);
            let mut r = match cause {
                crate::control::finding::Cause::Covered { .. } => {
                    format!("not seen although the kernel's rules should record it ({why})")
                }
                _ => format!("not seen: {why}"),
            };
            if let Some(e) = probe_error {
                let _ = write!(r, "; probe: {e}");
            }
            if *overrun {
                r.push_str("; the listener's queue overflowed, records were lost");
            }
            r
        }
        Observation::NotProbed(n) => match n {
            NotProbed::AuditDisabled => "not collected: audit is disabled (enabled 0)".into(),
            NotProbed::ExecNotRequested => {
                "not verified: exec probes not requested (use --exec)".into()
            }
            NotProbed::Exec32 => "not verified: 32-bit execs are not probed".into(),
            NotProbed::NotInstalled => "not verified: not installed on this host".into(),
            NotProbed::ProbeFailed => "not verified: the probe could not run".into(),
            NotProbed::NoHarmlessForm => "not verified: no harmless probe makes this event \
                (it would change a file, or needs a setuid-root program, an SELinux label or \
                an errno no fixture provokes)"
                .into(),
            NotProbed::WrongOutcome { got } => format!(
                "not verified: the probe's syscall returned {got}, not the outcome this event \
                 class needs"
            ),
        },
    }
}

/// The report of a verification (`machine`: this host's, for event labels; `run`: tool,
/// times, host name).
pub fn report(
    v: &Verification,
    machine: crate::model::Machine,
    run: crate::report::RunInfo,
) -> VerifyReport {
    let ctx = Context {
        outcome: &v.outcome,
        unread: &[],
        loader: "the running kernel",
        machine,
    };
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    for p in &v.events {
        let f = ProbeFinding {
            control: p.control.clone(),
            requirement: p.requirement.clone(),
            event: p.event.label(machine),
            verdict: p.verdict(),
            key: match &p.observation {
                Observation::Seen { key: Some(k) } => Some(ByteString(k.to_vec())),
                _ => None,
            },
            reason: reason(p, &ctx),
            advice: p.advice,
        };
        if p.advice && f.verdict == Verdict::Fail {
            warnings.push(format!(
                "{} did not come out with a key ({}): modprobe loads modules with it, so module \
                 loads by modprobe leave no trail",
                f.event, f.reason
            ));
        }
        events.push(f);
    }
    let required = || events.iter().filter(|e| !e.advice);
    let failed = required().filter(|e| e.verdict == Verdict::Fail).count();
    let unverified = required()
        .filter(|e| e.verdict == Verdict::NotApplicable)
        .count();
    let verified = required().filter(|e| e.verdict == Verdict::Pass).count();
    let (verdict, mut reason) = if v.enabled == 0 {
        (
            Verdict::Fail,
            "audit is disabled (enabled 0): the kernel emits nothing, so nothing was probed"
                .to_string(),
        )
    } else if failed > 0 {
        (
            Verdict::Fail,
            format!("{failed} required event(s) did not come out with a key"),
        )
    } else if unverified > 0 {
        (
            Verdict::NotApplicable,
            format!(
                "{verified} probed required event(s) came out with a key; {unverified} not \
                 verified (see each event)"
            ),
        )
    } else {
        (
            Verdict::Pass,
            "every required event was probed and came out with a key".to_string(),
        )
    };
    if failed > 0 && unverified > 0 {
        let _ = write!(reason, "; {unverified} not verified");
    }
    for p in &v.problems {
        reason.push_str("; ");
        reason.push_str(p);
    }
    VerifyReport {
        schema: VERIFY_SCHEMA,
        run,
        target: "/",
        machine: machine.name().to_string(),
        verdict,
        reason,
        probe_loginuid: v.probe_loginuid,
        events,
        warnings,
        elapsed_ms: v.elapsed.as_millis() as u64,
    }
}

/// The JSON report, terminal-safe (see [`crate::report::bytes::to_json`]).
pub fn json(r: &VerifyReport) -> String {
    crate::report::bytes::to_json(r)
}

/// The text report (every value escaped: see [`crate::report::bytes`]).
pub fn text(r: &VerifyReport) -> String {
    let mut out = String::new();
    for e in &r.events {
        let mark = match e.verdict {
            Verdict::Pass => "ok ",
            Verdict::NotApplicable | Verdict::NotChecked => "-- ",
            _ if e.advice => "adv",
            _ => "NO ",
        };
        let _ = writeln!(
            out,
            "{mark} {} {}: {}",
            t(&e.requirement),
            t(&e.event),
            t(&e.reason)
        );
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {}", t(w));
    }
    let headline = match r.verdict {
        Verdict::NotApplicable | Verdict::NotChecked => "NOT VERIFIED".to_string(),
        v => v.as_str().to_uppercase(),
    };
    let _ = writeln!(out, "\n{headline} ({} ms): {}", r.elapsed_ms, t(&r.reason));
    out
}

/// The exit code: 0 every required event proved, 1 some failed or were not verified.
pub fn exit_code(r: &VerifyReport) -> u8 {
    match r.verdict {
        Verdict::Pass => 0,
        Verdict::Fail | Verdict::NotApplicable | Verdict::NotChecked => 1,
        Verdict::Error => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_keys_reasons_and_labels_from_the_kernel() {
        let r = VerifyReport {
            schema: VERIFY_SCHEMA,
            run: crate::report::RunInfo::ended_now(std::time::SystemTime::now(), None),
            target: "/",
            machine: "x86_64".into(),
            verdict: Verdict::Fail,
            reason: "1 required event(s) did not come out with a key".into(),
            probe_loginuid: 4242,
            events: vec![ProbeFinding {
                control: "c".into(),
                requirement: "r".into(),
                event: "exec /usr/sbin/x\x1b[2J\u{9b} (b64)".into(),
                verdict: Verdict::Fail,
                key: Some(ByteString(b"k\x1b\xff".to_vec())),
                reason: format!(
                    "seen with key \"{}\"\n\nPASS (1 ms): forged",
                    escape(b"k\x1b")
                ),
                advice: false,
            }],
            warnings: vec!["w\r\x07".into()],
            elapsed_ms: 1,
        };
        let out = text(&r);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out}");
        assert!(!out.contains('\u{9b}'), "{out}");
        assert_eq!(
            out.lines().filter(|l| l.starts_with("PASS")).count(),
            0,
            "{out}"
        );
        assert!(out.contains("x\\x1b[2J\\u{9b}"), "{out}");
        let j: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(j["events"][0]["key"]["base64"], "axv/");
    }
}
