//! Reports: the findings of a `check` run, as data ([`CheckReport`]) and rendered for people
//! ([`text`]) or programs ([`json`], schema `auditguard/check/1`). Rendering never decides
//! anything; it only formats what evaluation concluded.

pub mod json;
pub mod text;

use crate::control::finding::{ControlFinding, Evidence, Verdict};
use serde::Serialize;

/// The JSON schema identifier of a check report.
pub const CHECK_SCHEMA: &str = "auditguard/check/1";

/// Everything `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Always [`CHECK_SCHEMA`].
    pub schema: &'static str,
    /// `/` or the `--root` directory.
    pub target: String,
    /// The target's machine (`x86_64`), which decides the ABIs checked.
    pub machine: String,
    /// How the target loads its rules at boot.
    pub loader: LoaderReport,
    /// The worst verdict of all controls.
    pub verdict: Verdict,
    /// Per-control findings.
    pub controls: Vec<ControlFinding>,
    /// Lines the loader would fail on.
    pub load_errors: Vec<LoadErrorReport>,
    /// The running kernel judged too (live host only, not with `--root`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<crate::control::kernel::KernelFinding>,
    /// Problems reading the configuration that did not stop it (a `rules.d` entry augenrules
    /// cannot read, a file that joins the next one, ...), each naming the path.
    pub warnings: Vec<String>,
}

/// The loader, as detected.
#[derive(Debug, Clone, Serialize)]
pub struct LoaderReport {
    /// `augenrules`, `auditctl` or `unknown`.
    pub mode: String,
    /// The rules file auditctl reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// What decided it (unit file and line), or why it could not be told.
    pub reason: String,
}

/// One load error.
#[derive(Debug, Clone, Serialize)]
pub struct LoadErrorReport {
    /// Where, with the line's text.
    #[serde(flatten)]
    pub evidence: Evidence,
    /// auditctl's message.
    pub message: String,
}

impl CheckReport {
    /// The process exit code: 0 all pass, 1 any fail, 2 could not evaluate.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            Verdict::Pass | Verdict::NotApplicable => 0,
            Verdict::Fail => 1,
            Verdict::Error => 2,
        }
    }
}
