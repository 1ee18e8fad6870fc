//! The running kernel judged for `check` on a live host: the same controls against the rules
//! the kernel holds, plus what no configuration shows — whether audit is enabled, whether a
//! daemon collects the records, whether the kernel has drifted from the configuration, and
//! whether it is locked so that only a reboot can bring them together.
//!
//! Pure: the kernel's status and rules are read at the edge (`cli`) and handed in as data.

use crate::control::drift::{drift, Drift};
use crate::control::evaluate::{assess, Assessment, Subject};
use crate::control::finding::Verdict;
use crate::control::Control;
use crate::load::auditctl::{LoadOutcome, LoadedRule};
use crate::load::configuration::Boot;
use crate::model::status::Status;
use crate::model::{Machine, TargetFacts};

/// The origin of the settings the kernel reports (`AUDIT_GET`): file `AUDIT_GET`, line 0. A
/// control item (`-e 2`, `-f 2`) judged against the kernel is set or not by it.
pub const KERNEL_STATUS: &str = "AUDIT_GET";

/// Whether an origin is the kernel's status rather than a line of a file.
pub fn is_kernel_status(o: &crate::load::Origin) -> bool {
    o.line == 0 && &*o.file == std::path::Path::new(KERNEL_STATUS)
}

/// What is wrong with the kernel's state beyond its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelProblem {
    /// The rules in the kernel do not meet every control.
    Rules,
    /// `enabled 0`: nothing is recorded.
    Disabled,
    /// No audit daemon is registered: nothing is collected.
    NoDaemon,
    /// The kernel's rules differ from the configuration's.
    Drift,
}

/// The kernel, judged.
#[derive(Debug, Clone)]
pub struct KernelJudgement {
    /// Its status.
    pub status: Status,
    /// Its rules as an outcome (origins `kernel:N`).
    pub outcome: LoadOutcome,
    /// The controls judged against its rules.
    pub assessment: Assessment,
    /// Differences from the configuration, when it could be loaded.
    pub drift: Option<Drift>,
    /// What is wrong, in order of report.
    pub problems: Vec<KernelProblem>,
}

impl KernelJudgement {
    /// Fail when anything is wrong.
    pub fn verdict(&self) -> Verdict {
        if self.problems.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

/// Judge the running kernel: its `status` and `rules` (read at the edge, each rule's watch
/// resolved there), against `controls`; `configured` is the configuration's simulated list
/// (for drift), when it could be loaded.
pub fn judge_kernel(
    status: Status,
    rules: Vec<LoadedRule>,
    configured: Option<&[LoadedRule]>,
    controls: &[Control],
    machine: Machine,
    facts: &TargetFacts,
) -> KernelJudgement {
    // The settings in force are the kernel's: `-e 2` is running only when it says enabled 2
    // (a configuration's -e 2 takes effect at the next load or boot).
    let at = crate::load::Origin {
        file: std::sync::Arc::from(std::path::Path::new(KERNEL_STATUS)),
        line: 0,
    };
    let outcome = LoadOutcome {
        rules,
        enabled: Some((status.enabled, at.clone())),
        failure: Some((status.failure, at)),
        ..LoadOutcome::default()
    };
    let assessment = assess(
        controls,
        &Subject {
            outcome: &outcome,
            unread: &[],
            machine,
            facts,
            // The kernel's enabled flag is judged from its status, not here.
            boot: &Boot::Enabled,
        },
    );
    let mut problems = Vec::new();
    if assessment.verdict() != Verdict::Pass {
        problems.push(KernelProblem::Rules);
    }
    if status.enabled == 0 {
        problems.push(KernelProblem::Disabled);
    }
    if status.pid == 0 {
        problems.push(KernelProblem::NoDaemon);
    }
    let drift = configured.map(|c| drift(c, &outcome.rules));
    if drift.as_ref().is_some_and(|d| !d.is_empty()) {
        problems.push(KernelProblem::Drift);
    }
    KernelJudgement {
        status,
        outcome,
        assessment,
        drift,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RootHost;

    #[test]
    fn locked_kernel_with_drift_is_judged_on_its_rules() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/compliant");
        let host = RootHost::new(root);
        let control = crate::control::find(crate::control::DEFAULT_CONTROL).unwrap();
        let config = crate::load::configuration::configure(&host, Machine::X86_64).expect("loads");
        let facts = crate::load::configuration::facts(&host, std::slice::from_ref(&control));
        let status = Status {
            enabled: 2,
            pid: 1,
            ..Status::default()
        };
        let k = judge_kernel(
            status,
            Vec::new(),
            Some(&config.outcome.rules),
            &[control],
            Machine::X86_64,
            &facts,
        );
        assert_eq!(k.verdict(), Verdict::Fail);
        assert_eq!(k.problems, vec![KernelProblem::Rules, KernelProblem::Drift]);
        assert_eq!(k.drift.unwrap().missing.len(), config.outcome.rules.len());
    }

    /// The immutable item against the kernel: running only when AUDIT_GET says enabled 2.
    #[test]
    fn immutable_is_judged_on_the_kernels_enabled_flag() {
        use crate::control::finding::{Check, SettingCause};
        let host = RootHost::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/compliant"));
        let profile = crate::control::profile::load("stig-rhel9").unwrap();
        let controls: Vec<_> = profile
            .controls(&crate::control::catalogue())
            .unwrap()
            .into_iter()
            .filter(|c| c.id == "RHEL-09-654275")
            .collect();
        assert_eq!(controls.len(), 1, "the -e 2 item");
        let facts = crate::load::configuration::facts(&host, &controls);
        let judge = |enabled| {
            let status = Status {
                enabled,
                pid: 1,
                ..Status::default()
            };
            let k = judge_kernel(status, Vec::new(), None, &controls, Machine::X86_64, &facts);
            let c = &k.assessment.controls[0];
            match &c.requirements[0].check {
                Some(Check::Setting(s)) => (c.verdict(), s.cause.clone()),
                other => panic!("{other:?}"),
            }
        };
        let (v, cause) = judge(2);
        assert_eq!(v, Verdict::Pass);
        assert!(matches!(cause, SettingCause::Set { at } if is_kernel_status(&at)));
        let (v, cause) = judge(1);
        assert_eq!(v, Verdict::Fail);
        assert!(matches!(cause, SettingCause::Other { value: 1, at } if is_kernel_status(&at)));
    }
}
