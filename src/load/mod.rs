//! Loading, as the host would: which loader runs at boot ([`detect`]), what augenrules
//! writes ([`augenrules`]), and what `auditctl -R` then puts into the kernel ([`auditctl`]).

pub mod auditctl;
pub mod augenrules;
pub mod configuration;
pub mod detect;
pub mod systemd_unit;
pub mod version_sort;

use std::path::PathBuf;

/// Where a line came from: a file on the target and a 1-based line number in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The file, as a path on the target (`/etc/audit/rules.d/x.rules`).
    pub file: PathBuf,
    /// The 1-based line number.
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}
