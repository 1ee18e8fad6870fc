//! Reports: every word auditguard prints. [`words`] turns the evaluator's judgements (causes
//! citing rules) into sentences and evidence; the report shapes below carry them; [`text`]
//! renders them for people and [`json`] for programs (schema `auditguard/check/1`). Rendering
//! never decides anything; it only says what evaluation concluded. A new format is a sibling
//! renderer over the same shapes.
//!
//! Bytes from the target (file names, rule text, keys) are kept as [`ByteString`] in the
//! shapes and leave only through [`bytes`]: escaped in every text rendering (no control byte
//! or invalid UTF-8 reaches a terminal raw), lossless in JSON (`schemas/check-1.json`).

pub mod bytes;
pub mod fix;
pub mod hdf;
pub mod json;
pub mod junit;
pub mod kernel;
pub mod listing;
pub mod sarif;
pub mod status;
pub mod text;
pub mod verify;
pub mod words;
pub mod xccdf;

use crate::control::finding::Verdict;
use crate::load::Origin;
use serde::Serialize;
use std::os::unix::ffi::OsStrExt;

pub use bytes::ByteString;
pub use kernel::KernelFinding;

/// A place in the configuration, with its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Evidence {
    /// The file on the target (exact bytes).
    pub file: ByteString,
    /// The 1-based line.
    pub line: u32,
    /// The line's text (exact bytes, without the newline).
    pub text: ByteString,
}

impl Evidence {
    /// Evidence for a line of a file.
    pub fn new(origin: &Origin, text: &[u8]) -> Evidence {
        Evidence {
            file: ByteString(origin.file.as_os_str().as_bytes().to_vec()),
            line: origin.line,
            text: ByteString(text.to_vec()),
        }
    }
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
    /// The key the event carries when it is recorded (exact bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<ByteString>,
    /// The lines that decide it.
    pub evidence: Vec<Evidence>,
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
pub struct AdviceReport {
    /// `warning` (an event the control does not require but that should be recorded, e.g.
    /// `finit_module`) or `advice`.
    pub level: &'static str,
    /// What to know and what to do.
    pub message: String,
    /// Where, when it is about a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// The target paths the message names (exact bytes), when it names some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<ByteString>,
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
    pub advice: Vec<AdviceReport>,
    /// Invariant references (NIST 800-53, ComplianceAsCode rule ids).
    #[serde(skip_serializing_if = "refs_empty")]
    pub refs: crate::control::Refs,
    /// Severity (`low`, `medium`, `high`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The benchmark item this control stands for (profile runs): its id, references
    /// (V-ID, CCIs), the controls it is judged by and the profile's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<crate::control::profile::ItemInfo>,
}

fn refs_empty(r: &crate::control::Refs) -> bool {
    r.nist.is_empty() && r.cac.is_empty()
}

/// The profile a check ran.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    /// Profile id (`stig-rhel9`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Publisher and release.
    pub benchmark: crate::control::profile::Benchmark,
    /// Items by verdict: `{"pass": 50, "fail": 4}`.
    pub counts: std::collections::BTreeMap<&'static str, usize>,
}

/// Who wrote a report, when, and on what: carried by every report (flattened into the JSON
/// documents as `tool`, `started`, `finished`, `hostname`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    /// The tool and its version.
    pub tool: ToolInfo,
    /// When the run started (RFC 3339, UTC).
    pub started: String,
    /// When the report was made (RFC 3339, UTC).
    pub finished: String,
    /// The target's host name: this host's, or the `--root` image's `/etc/hostname` (absent
    /// when the image has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolInfo {
    /// `auditguard`.
    pub name: &'static str,
    /// The crate's version (`0.1.0`).
    pub version: &'static str,
}

impl ToolInfo {
    /// This build of auditguard.
    pub fn this() -> ToolInfo {
        ToolInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// A time as reports write it: RFC 3339 in UTC with milliseconds (`2026-11-29T20:21:06.123Z`).
pub fn timestamp(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl RunInfo {
    /// A run that started at `started` and ends now.
    pub fn ended_now(started: std::time::SystemTime, hostname: Option<String>) -> RunInfo {
        RunInfo {
            tool: ToolInfo::this(),
            started: timestamp(started),
            finished: timestamp(std::time::SystemTime::now()),
            hostname,
        }
    }
}

/// The JSON schema identifier of a check report.
pub const CHECK_SCHEMA: &str = "auditguard/check/1";

/// Everything `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Always [`CHECK_SCHEMA`].
    pub schema: &'static str,
    /// Tool, times and host name.
    #[serde(flatten)]
    pub run: RunInfo,
    /// `/` or the `--root` directory (exact bytes).
    pub target: ByteString,
    /// The target's machine (`x86_64`), which decides the ABIs checked.
    pub machine: String,
    /// How the target loads its rules at boot.
    pub loader: LoaderReport,
    /// The profile run, if one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileReport>,
    /// The worst verdict of all controls.
    pub verdict: Verdict,
    /// Per-control findings.
    pub controls: Vec<ControlFinding>,
    /// Lines the loader would fail on.
    pub load_errors: Vec<LoadErrorReport>,
    /// The running kernel judged too (live host only, not with `--root`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelFinding>,
    /// Problems reading the configuration that did not stop it (a `rules.d` entry augenrules
    /// cannot read, a file that joins the next one, ...), each naming the path.
    pub warnings: Vec<String>,
}

/// The loader, as detected.
#[derive(Debug, Clone, Serialize)]
pub struct LoaderReport {
    /// `augenrules`, `auditctl`, `nothing` (a loader line that loads no rules) or `unknown`.
    pub mode: String,
    /// The rules file auditctl reads (exact bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<ByteString>,
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

impl LoadErrorReport {
    /// The report entry of a load error.
    pub fn new(e: &crate::load::auditctl::LoadError) -> LoadErrorReport {
        LoadErrorReport {
            evidence: Evidence::new(&e.origin, &e.text),
            message: e.kind.to_string(),
        }
    }
}

impl CheckReport {
    /// The process exit code: 0 all pass, 1 any fail, 2 could not evaluate.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            Verdict::Pass | Verdict::NotApplicable | Verdict::NotChecked => 0,
            Verdict::Fail => 1,
            Verdict::Error => 2,
        }
    }
}

/// An error and its causes as one line, `outer: cause: cause`, for `auditguard: error: …`.
/// A cause whose text the line already holds is not repeated: many errors put their source
/// into their own message *and* expose it as their `source()` (thiserror's `{source}`, anyhow
/// contexts that quote the error), which `{:#}` would print twice ("Operation not permitted
/// (os error 1): Operation not permitted (os error 1)"). Cost: linear in the chain's text.
pub fn error_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

/// An item as reports name it: `id (V-ID): title` (the V-ID when the item has one).
pub fn item_label(c: &ControlFinding) -> String {
    use bytes::text as t;
    let vuln = c
        .item
        .as_ref()
        .and_then(|i| i.refs.vuln.as_deref())
        .map(|v| format!(" ({})", t(v)))
        .unwrap_or_default();
    format!("{}{vuln}: {}", t(&c.id), t(&c.title))
}

/// What fails in a control, one line per failing requirement and event with the lines that
/// decide it (plain text, target bytes escaped): the body of a JUnit failure, an XCCDF
/// message, an HDF result's message.
pub fn failing_lines(c: &ControlFinding) -> Vec<String> {
    use bytes::text as t;
    let mut lines = Vec::new();
    if let Some(why) = c.item.as_ref().and_then(|i| i.manual.as_deref()) {
        lines.push(format!("not checked by auditguard: {}", t(why.trim())));
    }
    for r in c
        .requirements
        .iter()
        .filter(|r| r.verdict > Verdict::NotChecked)
    {
        lines.push(format!("{}: {}", t(&r.id), t(&r.reason)));
        let failing: Vec<_> = r
            .events
            .iter()
            .filter(|e| e.verdict > Verdict::NotChecked)
            .collect();
        if failing.is_empty() {
            for e in &r.evidence {
                lines.push(format!("  at {}:{}: {}", e.file, e.line, e.text));
            }
        }
        for e in failing {
            lines.push(format!("  {}: {}", t(&e.event), t(&e.reason)));
            for ev in &e.evidence {
                lines.push(format!("    at {}:{}: {}", ev.file, ev.line, ev.text));
            }
        }
    }
    for a in c.advice.iter().filter(|a| a.level == "warning") {
        lines.push(format!("warning: {}", t(&a.message)));
    }
    lines
}

/// The item's benchmark id and references as (kind, id) pairs, for the formats that list
/// them: STIG ID, V-ID, STIG rule id, CCIs, CIS section, NIST 800-53 controls, ComplianceAsCode
/// rules.
pub fn reference_ids(c: &ControlFinding) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    if let Some(item) = &c.item {
        let kind = if item.benchmark.publisher.eq_ignore_ascii_case("CIS") {
            "cis"
        } else {
            "stig_id"
        };
        ids.push((kind, item.id.clone()));
        if let Some(v) = &item.refs.vuln {
            ids.push(("vuln", v.clone()));
        }
        if let Some(r) = &item.refs.rule {
            ids.push(("stig_rule", r.clone()));
        }
        ids.extend(item.refs.cci.iter().map(|c| ("cci", c.clone())));
    }
    ids.extend(c.refs.nist.iter().map(|n| ("nist", n.clone())));
    ids.extend(cac_ids(c).into_iter().map(|r| ("cac", r)));
    ids
}

/// The ComplianceAsCode (SCAP Security Guide) rule ids that check a control's item (the
/// item's own, else the control's).
pub fn cac_ids(c: &ControlFinding) -> Vec<String> {
    match &c.item {
        Some(item) if !item.refs.cac.is_empty() => item.refs.cac.clone(),
        _ => c.refs.cac.clone(),
    }
}

#[cfg(test)]
mod error_line_tests {
    use super::error_line;
    use crate::fix::apply::ApplyError;
    use std::path::PathBuf;

    #[test]
    fn a_cause_in_the_message_is_not_repeated() {
        let io = std::io::Error::from_raw_os_error(1);
        let e = ApplyError::Io {
            path: PathBuf::from("/etc/audit/rules.d/a.rules"),
            what: "cannot rename".into(),
            source: io,
        };
        let rolled = ApplyError::RolledBack {
            source: Box::new(e),
            restored: vec![PathBuf::from("/etc/audit/rules.d/b.rules")],
        };
        let err = anyhow::Error::from(rolled);
        let line = error_line(err.as_ref());
        assert_eq!(line.matches("os error 1").count(), 1, "{line}");
        assert!(
            line.contains("restored the files already replaced"),
            "{line}"
        );
        let ctx = anyhow::Error::from(std::io::Error::from_raw_os_error(2)).context("--root /x");
        assert_eq!(
            error_line(ctx.as_ref()),
            "--root /x: No such file or directory (os error 2)"
        );
    }
}
