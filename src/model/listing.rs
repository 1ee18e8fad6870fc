//! The `auditctl -l` printer: byte-identical to auditctl 3.0.9 for every rule it can print.
//!
//! STUB: to be written.

use crate::model::arch::Machine;
use crate::model::rule::Rule;

/// One rule as `auditctl -l` prints it (no trailing newline). `machine` is the host's, used
/// for syscall names when the rule has no arch field.
pub fn list_rule(rule: &Rule, machine: Machine) -> Vec<u8> {
    let _ = (rule, machine);
    Vec::new()
}

/// A whole kernel list as `auditctl -l` prints it: grouped by list number, kernel order
/// within a list, one rule per line, `No rules` when empty.
pub fn list_rules(rules: &[Rule], machine: Machine) -> Vec<u8> {
    let mut out = Vec::new();
    if rules.is_empty() {
        out.extend_from_slice(b"No rules\n");
    }
    for r in rules {
        out.extend(list_rule(r, machine));
        out.push(b'\n');
    }
    out
}
