//! The kernel part of a check report, in words.

use crate::control::drift::Drift;
use crate::control::finding::Verdict;
use crate::control::kernel::{KernelJudgement, KernelProblem};
use crate::load::auditctl::LoadedRule;
use crate::model::status::Status;
use crate::report::words::{self, Context};
use crate::report::{ControlFinding, Evidence};
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

/// The kernel's judgement in words (`machine`: the host's, for event labels).
pub fn finding(k: &KernelJudgement, machine: crate::model::Machine) -> KernelFinding {
    let ctx = Context {
        outcome: &k.outcome,
        unread: &[],
        loader: "the running kernel",
        machine,
    };
    let has = |p: KernelProblem| k.problems.contains(&p);
    let mut reasons = Vec::new();
    if has(KernelProblem::Rules) {
        reasons.push("the rules in the kernel do not meet every control".to_string());
    }
    if has(KernelProblem::Disabled) {
        reasons.push(
            "audit is disabled (enabled 0): the kernel records nothing, whatever its rules".into(),
        );
    }
    if k.status.is_locked() {
        reasons.push("rules are locked (enabled 2) until reboot".into());
    }
    if has(KernelProblem::NoDaemon) {
        reasons.push(
            "no audit daemon is registered (pid 0): records go to the kernel log, rate-limited, \
             or are lost; nothing is collected"
                .into(),
        );
    }
    if let Some(d) = k.drift.as_ref().filter(|_| has(KernelProblem::Drift)) {
        let mut what = format!(
            "the kernel differs from the configuration: {} configured rule(s) missing, {} \
             extra rule(s){}",
            d.missing.len(),
            d.extra.len(),
            if d.reordered { ", order differs" } else { "" }
        );
        if k.status.is_locked() {
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
        verdict: k.verdict(),
        reason: reasons.join("; "),
        status: Some(StatusSummary::from(&k.status)),
        drift: k.drift.as_ref().map(DriftSummary::from),
        controls: words::assessment(&k.assessment, &ctx),
    }
}

/// The finding when the kernel cannot be read: notapplicable (no privilege, container, no
/// audit support) or error.
pub fn unreadable(not_applicable: bool, error: &str) -> KernelFinding {
    KernelFinding {
        verdict: if not_applicable {
            Verdict::NotApplicable
        } else {
            Verdict::Error
        },
        reason: format!("cannot read the kernel's audit state: {error}"),
        status: None,
        drift: None,
        controls: Vec::new(),
    }
}
