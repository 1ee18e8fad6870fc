//! The kernel part of `check` on a live host: the same controls judged against the rules the
//! running kernel holds, plus what no configuration shows — whether audit is enabled, whether a
//! daemon collects the records, whether the kernel has drifted from the configuration, and
//! whether it is locked so that only a reboot can bring them together.

use crate::control::evaluate::{evaluate, Subject};
use crate::control::finding::{ControlFinding, Evidence, Verdict};
use crate::control::Control;
use crate::host::Host;
use crate::kernel::drift::{drift, kernel_outcome, Drift};
use crate::kernel::{AuditKernel, KernelError, Status};
use crate::load::auditctl::LoadedRule;
use crate::model::Machine;
use serde::Serialize;

/// The kernel part of a check report.
#[derive(Debug, Clone, Serialize)]
pub struct KernelFinding {
    /// pass, fail, or notapplicable (no privilege, container, no audit in the kernel).
    pub verdict: Verdict,
    /// Why, in sentences.
    pub reason: String,
    /// The audit status, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusSummary>,
    /// Differences from the configuration, when both were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftSummary>,
    /// The controls judged against the kernel's rules.
    pub controls: Vec<ControlFinding>,
}

/// The audit status as `auditctl -s` names it.
#[derive(Debug, Clone, Serialize)]
pub struct StatusSummary {
    /// 0 disabled, 1 enabled, 2 enabled and locked.
    pub enabled: u32,
    /// 0 silent, 1 printk, 2 panic.
    pub failure: u32,
    /// The audit daemon's pid, 0 if none.
    pub pid: u32,
    /// Messages per second, 0 unlimited.
    pub rate_limit: u32,
    /// Backlog limit.
    pub backlog_limit: u32,
    /// Records lost so far.
    pub lost: u32,
    /// Records waiting.
    pub backlog: u32,
}

impl From<&Status> for StatusSummary {
    fn from(s: &Status) -> StatusSummary {
        StatusSummary {
            enabled: s.enabled,
            failure: s.failure,
            pid: s.pid,
            rate_limit: s.rate_limit,
            backlog_limit: s.backlog_limit,
            lost: s.lost,
            backlog: s.backlog,
        }
    }
}

/// Drift, for reports.
#[derive(Debug, Clone, Serialize)]
pub struct DriftSummary {
    /// Configured rules the kernel lacks.
    pub missing: Vec<Evidence>,
    /// Kernel rules the configuration would not load (`kernel:N`, the listing text).
    pub extra: Vec<Evidence>,
    /// Same rules in another order (first match decides the key).
    pub reordered: bool,
}

impl From<&Drift> for DriftSummary {
    fn from(d: &Drift) -> DriftSummary {
        let cite = |r: &LoadedRule| Evidence::new(&r.origin, &r.text);
        DriftSummary {
            missing: d.missing.iter().map(cite).collect(),
            extra: d.extra.iter().map(cite).collect(),
            reordered: d.reordered,
        }
    }
}

/// Judge the running kernel. `configured` is the configuration's simulated kernel list (for
/// drift), when the configuration could be loaded.
pub fn assess(
    kernel: &mut dyn AuditKernel,
    configured: Option<&[LoadedRule]>,
    controls: &[Control],
    machine: Machine,
    host: &dyn Host,
) -> KernelFinding {
    let read = kernel
        .status()
        .and_then(|s| kernel.list_rules().map(|r| (s, r)));
    let (status, rules) = match read {
        Ok(v) => v,
        Err(e) => return unreadable(&e),
    };
    let outcome = kernel_outcome(rules, machine);
    let subject = Subject {
        outcome: &outcome,
        unread: &[],
        loader: "the running kernel",
        machine,
        host,
    };
    let findings: Vec<ControlFinding> = controls.iter().map(|c| evaluate(c, &subject)).collect();
    let mut verdict = findings
        .iter()
        .fold(Verdict::Pass, |v, f| v.worst(f.verdict));
    let mut reasons = Vec::new();
    if verdict != Verdict::Pass {
        reasons.push("the rules in the kernel do not meet every control".to_string());
    }
    match status.enabled {
        0 => {
            verdict = Verdict::Fail;
            reasons.push(
                "audit is disabled (enabled 0): the kernel records nothing, whatever its rules"
                    .into(),
            );
        }
        2 => reasons.push("rules are locked (enabled 2) until reboot".into()),
        _ => {}
    }
    if status.pid == 0 {
        verdict = Verdict::Fail;
        reasons.push(
            "no audit daemon is registered (pid 0): records go to the kernel log, rate-limited, \
             or are lost; nothing is collected"
                .into(),
        );
    }
    let drift = configured.map(|c| drift(c, &outcome.rules));
    if let Some(d) = drift.as_ref().filter(|d| !d.is_empty()) {
        verdict = Verdict::Fail;
        let mut what = format!(
            "the kernel differs from the configuration: {} configured rule(s) missing, {} \
             extra rule(s){}",
            d.missing.len(),
            d.extra.len(),
            if d.reordered { ", order differs" } else { "" }
        );
        if status.is_locked() {
            what.push_str("; the rules are locked (enabled 2): reboot required");
        } else {
            what.push_str("; load the configuration (auditguard fix --load, or augenrules --load)");
        }
        reasons.push(what);
    }
    if reasons.is_empty() {
        reasons
            .push("the kernel's rules meet every control, audit is enabled and collected".into());
    }
    KernelFinding {
        verdict,
        reason: reasons.join("; "),
        status: Some(StatusSummary::from(&status)),
        drift: drift.as_ref().map(DriftSummary::from),
        controls: findings,
    }
}

/// The finding when the kernel cannot be read.
pub fn unreadable(e: &KernelError) -> KernelFinding {
    let verdict = if e.is_not_applicable() {
        Verdict::NotApplicable
    } else {
        Verdict::Error
    };
    KernelFinding {
        verdict,
        reason: format!("cannot read the kernel's audit state: {e}"),
        status: None,
        drift: None,
        controls: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RootHost;
    use crate::kernel::FakeKernel;

    #[test]
    fn locked_kernel_with_drift_says_reboot_required() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/compliant");
        let host = RootHost::new(root);
        let control = crate::control::find(crate::control::DEFAULT_CONTROL).unwrap();
        let config = crate::load::configuration::configure(&host, Machine::X86_64).expect("loads");
        let mut kernel = FakeKernel::locked(Vec::new());
        let f = assess(
            &mut kernel,
            Some(&config.outcome.rules),
            &[control],
            Machine::X86_64,
            &host,
        );
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(f.reason.contains("reboot required"), "{}", f.reason);
        assert_eq!(f.drift.unwrap().missing.len(), config.outcome.rules.len());
    }
}
