//! Drift: how the rules the kernel holds differ from the rules the configuration would load.
//!
//! Compared by the kernel's own identity (list, action, fields in order,
//! mask), never by text, as multisets; a same-set-different-order difference is reported too,
//! because the first match decides which key an event carries.

use crate::load::auditctl::{LoadOutcome, LoadedRule};
use crate::load::Origin;
use crate::model::listing::list_rule;
use crate::model::{Machine, Rule};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The name used as the "file" of rules read from the kernel.
pub const KERNEL_ORIGIN: &str = "kernel";

/// The differences between configuration and kernel.
#[derive(Debug, Clone, Default)]
pub struct Drift {
    /// Rules the configuration loads that the kernel lacks.
    pub missing: Vec<LoadedRule>,
    /// Rules the kernel holds that the configuration would not load (as listed, with their
    /// position in the kernel list).
    pub extra: Vec<LoadedRule>,
    /// Same rules, different order.
    pub reordered: bool,
}

impl Drift {
    /// Whether kernel and configuration agree.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && !self.reordered
    }
}

/// Compare the configuration's rules with the kernel's, both in `auditctl -l` order.
pub fn drift(configured: &[LoadedRule], kernel: &[LoadedRule]) -> Drift {
    let mut in_kernel: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, r) in kernel.iter().enumerate() {
        in_kernel.entry(r.rule.identity_hash()).or_default().push(i);
    }
    let mut used = vec![false; kernel.len()];
    let mut missing = Vec::new();
    for c in configured {
        let found = in_kernel.get(&c.rule.identity_hash()).and_then(|cands| {
            cands
                .iter()
                .copied()
                .find(|i| !used[*i] && kernel[*i].rule.same_identity(&c.rule))
        });
        match found {
            Some(i) => used[i] = true,
            None => missing.push(c.clone()),
        }
    }
    let extra: Vec<LoadedRule> = kernel
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(r, _)| r.clone())
        .collect();
    let reordered = missing.is_empty()
        && extra.is_empty()
        && configured
            .iter()
            .zip(kernel)
            .any(|(c, k)| !c.rule.same_identity(&k.rule));
    Drift {
        missing,
        extra,
        reordered,
    }
}

/// The kernel's rules as a load outcome, so the same evaluator judges them: each rule's
/// origin is `kernel:N` (its 1-based position in `auditctl -l`) and its text the listing line.
pub fn kernel_outcome(rules: Vec<Rule>, machine: Machine) -> LoadOutcome {
    let file: Arc<Path> = Arc::from(Path::new(KERNEL_ORIGIN));
    let rules = rules
        .into_iter()
        .enumerate()
        .map(|(i, rule)| {
            let text = list_rule(&rule, machine).into();
            let origin = Origin {
                file: Arc::clone(&file),
                line: i as u32 + 1,
            };
            LoadedRule::new(rule, origin, text)
        })
        .collect();
    LoadOutcome {
        rules,
        ..LoadOutcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Field, FieldType, List, Op};

    fn keyed(k: &str) -> Rule {
        let mut r = Rule::new(List::Exit, Action::Always);
        r.mask.set(175);
        r.fields
            .push(Field::str(FieldType::KEY, Op::Equal, k.as_bytes().to_vec()));
        r
    }

    #[test]
    fn missing_extra_and_order() {
        let m = Machine::X86_64;
        let cfg = kernel_outcome(vec![keyed("a"), keyed("b")], m).rules;
        let same = kernel_outcome(vec![keyed("a"), keyed("b")], m).rules;
        assert!(drift(&cfg, &same).is_empty());
        let swapped = kernel_outcome(vec![keyed("b"), keyed("a")], m).rules;
        let d = drift(&cfg, &swapped);
        assert!(d.reordered && d.missing.is_empty() && d.extra.is_empty());
        let other = kernel_outcome(vec![keyed("a"), keyed("c")], m).rules;
        let d = drift(&cfg, &other);
        assert_eq!(d.missing.len(), 1);
        assert_eq!(d.extra.len(), 1);
        assert_eq!(d.extra[0].rule.keys(), vec![&b"c"[..]]);
    }
}
