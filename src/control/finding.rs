//! Findings: what evaluation concluded, why, and where — plain data that reports render and
//! `fix` plans from.

use crate::load::Origin;
use serde::Serialize;

/// A verdict, for an event, a requirement or a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Compliant.
    Pass,
    /// Not applicable on this target (e.g. the kernel part inside a container).
    #[serde(rename = "notapplicable")]
    NotApplicable,
    /// Not compliant.
    Fail,
    /// Could not be evaluated.
    Error,
}

impl Verdict {
    /// The worse of two verdicts (error > fail > notapplicable > pass).
    pub fn worst(self, other: Verdict) -> Verdict {
        self.max(other)
    }

    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NotApplicable => "notapplicable",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// A place in the configuration, with its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The file on the target.
    pub file: String,
    /// The 1-based line.
    pub line: u32,
    /// The line's text (lossy UTF-8, CR shown as `\r`).
    pub text: String,
}

impl Evidence {
    /// Evidence for a line of a file.
    pub fn new(origin: &Origin, text: &[u8]) -> Evidence {
        Evidence {
            file: origin.file.display().to_string(),
            line: origin.line,
            text: String::from_utf8_lossy(text).replace('\r', "\\r"),
        }
    }
}

/// Why an event is (or is not) recorded with a key — structured, so `fix` can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The first rule that always matches records it with this key.
    Covered {
        /// Index of the rule in the load outcome's rule list.
        rule: usize,
        /// The key the event carries.
        key: Vec<u8>,
    },
    /// No rule matches it.
    Missing,
    /// The first rule that always matches is a `never` rule.
    Shadowed {
        /// Index of the `never` rule.
        rule: usize,
    },
    /// The first rule that always matches has no key.
    Keyless {
        /// Index of the keyless rule.
        rule: usize,
    },
    /// Rules match only some of the events (narrowing filters); none matches all.
    Narrowed {
        /// Indices of the narrowed rules.
        rules: Vec<usize>,
    },
    /// A `never` or keyless rule earlier in the list catches some of the events first.
    PartlyLost {
        /// Index of the rule that catches them first.
        rule: usize,
        /// Index of the rule that records the rest, if any.
        covered_by: Option<usize>,
    },
    /// A task-list `never` rule stops auditing of the processes (all or some).
    TaskSuppressed {
        /// Index of the task rule.
        rule: usize,
    },
    /// An exclude rule drops the SYSCALL records that carry the key.
    Excluded {
        /// Index of the exclude rule.
        rule: usize,
    },
}

/// The finding for one expected event.
#[derive(Debug, Clone, Serialize)]
pub struct EventFinding {
    /// `b64 init_module`, `exec /usr/sbin/insmod (b64)`.
    pub event: String,
    /// Pass or fail.
    pub verdict: Verdict,
    /// Why, in a sentence.
    pub reason: String,
    /// The key the event carries when it is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The lines that decide it.
    pub evidence: Vec<Evidence>,
    /// Structured cause for `fix`.
    #[serde(skip)]
    pub cause: Option<Cause>,
    /// The ABI machine of the event (for `fix`).
    #[serde(skip)]
    pub abi: Option<crate::model::Machine>,
}

/// The finding for one requirement.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementFinding {
    /// Requirement id.
    pub id: String,
    /// Requirement title.
    pub title: String,
    /// The worst verdict of its events.
    pub verdict: Verdict,
    /// A one-line summary.
    pub reason: String,
    /// Evidence gathered from its events.
    pub evidence: Vec<Evidence>,
    /// Per-event findings.
    pub events: Vec<EventFinding>,
}

/// Something worth knowing that does not fail the control.
#[derive(Debug, Clone, Serialize)]
pub struct Advice {
    /// What to know and what to do.
    pub message: String,
    /// Where, when it is about a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The finding for one control.
#[derive(Debug, Clone, Serialize)]
pub struct ControlFinding {
    /// Control id.
    pub id: String,
    /// Control title.
    pub title: String,
    /// The worst verdict of its requirements.
    pub verdict: Verdict,
    /// A one-line summary.
    pub reason: String,
    /// Per-requirement findings.
    pub requirements: Vec<RequirementFinding>,
    /// Advice items.
    pub advice: Vec<Advice>,
}
