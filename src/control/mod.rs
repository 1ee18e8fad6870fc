//! Compliance controls as data, and their evaluation against a kernel rule list.
//!
//! A control ([`Control`]) is a few requirements, each naming an event class: "these
//! syscalls, on every ABI of the target, by a user" or "executions of these paths, by a
//! user". [`evaluate`] walks the (simulated or real) kernel list the way the kernel does —
//! first match wins — and says for every event whether it comes out, with which key, or why
//! not, as data ([`finding`]: causes citing rules); `report/` words it. Pure: the target's
//! facts and the kernel's state come in as data. Controls are TOML files embedded at build time
//! (`control/catalogue/*.toml`), so adding one needs no code.

pub mod drift;
pub mod evaluate;
pub mod event;
pub mod finding;
pub mod kernel;
pub mod predicate;

use serde::Deserialize;

/// Embedded control definitions, one TOML document each.
const CATALOGUE: &[&str] = &[include_str!("catalogue/kernel-module-loading.toml")];

/// The control `check` evaluates when none is named.
pub const DEFAULT_CONTROL: &str = "kernel-module-loading";

/// A compliance control.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Stable identifier (`kernel-module-loading`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Why the control matters.
    pub rationale: String,
    /// Benchmark references.
    #[serde(default)]
    pub references: Vec<String>,
    /// What must be audited.
    pub requirements: Vec<Requirement>,
    /// How `fix` writes missing rules.
    pub remediation: Remediation,
}

/// One thing a control demands.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable identifier within the control.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// The event class.
    pub kind: RequirementKind,
    /// For `syscall`: syscalls that must be audited on every ABI.
    #[serde(default)]
    pub syscalls: Vec<String>,
    /// For `syscall`: syscalls whose absence is reported as advice only.
    #[serde(default)]
    pub advice_syscalls: Vec<String>,
    /// For `exec`: paths whose execution must be audited.
    #[serde(default)]
    pub paths: Vec<String>,
    /// For `exec`: the files those paths are symlinks to on common layouts (kmod), watched
    /// too by `fix` where the target's layout cannot be seen (a configuration-only tree).
    #[serde(default)]
    pub link_targets: Vec<String>,
}

/// The kind of event a requirement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequirementKind {
    /// Syscalls made by user processes, on every ABI of the target.
    Syscall,
    /// Executions of files by user processes.
    Exec,
}

/// How `fix` remediates the control.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// The key written on new rules.
    pub key: String,
    /// The `rules.d` file new rules go to (augenrules mode) when no file holds the key yet.
    pub file: String,
    /// The syscalls a new syscall rule lists, grouped on one line per ABI.
    pub syscalls: Vec<String>,
}

/// Every control of the catalogue, in catalogue order.
pub fn catalogue() -> Vec<Control> {
    CATALOGUE
        .iter()
        .map(|text| toml::from_str(text).expect("embedded control catalogue is valid TOML"))
        .collect()
}

/// The control with this id.
pub fn find(id: &str) -> Option<Control> {
    catalogue().into_iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_and_has_the_seed_control() {
        let c = find(DEFAULT_CONTROL).expect("seed control");
        assert_eq!(c.requirements.len(), 2);
        assert_eq!(c.remediation.key, "modules");
    }
}
