//! The SARIF 2.1.0 rendering (`check --format sarif`), for code scanning (GitHub, GitLab,
//! Azure DevOps, any SARIF viewer).
//!
//! - `tool.driver.rules`: one per judged item (or control), `id` the item's id (STIG ID, CIS
//!   section, control id), with its references (STIG ID, V-ID, STIG rule id, CCIs, CIS
//!   section, NIST 800-53, SCAP Security Guide rules) as `properties` and tags, help text, and
//!   a `security-severity` from the item's severity.
//! - `results`: one per failing (or unevaluable) item, `ruleId` its id, the message the
//!   failing events and their reasons; located at the line that decides it (the first
//!   failing event's evidence, the others as related locations), or, for an event no line
//!   records, where `fix` would add the line; `fixes` the edits `fix` would make for that
//!   item alone, as replacements (byte regions of the file as it is; an insertion is an
//!   empty region). Planning is bounded (`cli/check.rs`: a time budget, and none on a very
//!   large configuration); the run's `fixSuggestionsLeftOut` property says how many failing
//!   items were left without one.
//! - Files: with `--root` inside a git checkout, URIs are relative to the checkout (base
//!   `SRCROOT`), so code scanning finds them in the repository; with another `--root`,
//!   relative to the root (base `ROOT`); on the live host, absolute `file:` URIs.
//!
//! Built with `serde-sarif`'s types; valid against the OASIS SARIF 2.1.0 schema
//! (`schemas/external/sarif-schema-2.1.0.json`, tested in `tests/report_formats.rs`).

use crate::control::finding::Verdict;
use crate::report::bytes::text as t;
use crate::report::fix::FileEdit;
use crate::report::{failing_lines, reference_ids, CheckReport, ControlFinding, Evidence};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message,
    MultiformatMessageString, PhysicalLocation, PropertyBag, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultKind, ResultLevel,
    Run, RunAutomationDetails, Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The schema URI written into the log.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// How target paths become artifact URIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriBase {
    /// This host: absolute `file:` URIs.
    Live,
    /// An image at `root` (absolute): URIs relative to it, base `ROOT`.
    Root {
        /// The root directory.
        root: PathBuf,
    },
    /// An image inside a git checkout: URIs relative to the checkout, base `SRCROOT`.
    Repo {
        /// The checkout's top directory (absolute).
        repo: PathBuf,
        /// The root, relative to the checkout (empty when they are the same).
        prefix: PathBuf,
    },
}

/// What the SARIF rendering needs beyond the report (gathered by the CLI).
#[derive(Debug, Clone)]
pub struct SarifContext {
    /// How target paths become URIs.
    pub base: UriBase,
    /// Per failing control id, the edits `fix` would make for it alone.
    pub fixes: BTreeMap<String, Vec<FileEdit>>,
    /// How many failing controls got no fix suggestion because planning them would have
    /// taken too long (said in the run's properties).
    pub fixes_left_out: usize,
}

/// Render a check report as a SARIF 2.1.0 log.
pub fn render(report: &CheckReport, ctx: &SarifContext) -> String {
    let mut findings: Vec<&ControlFinding> = report.controls.iter().collect();
    let kernel_findings: Vec<ControlFinding> = report
        .kernel
        .iter()
        .flat_map(|k| {
            k.controls.iter().map(|c| ControlFinding {
                id: format!("kernel/{}", c.id),
                title: format!("{} (the running kernel's rules)", c.title),
                ..c.clone()
            })
        })
        .collect();
    findings.extend(kernel_findings.iter());
    let rules: Vec<ReportingDescriptor> = findings.iter().map(|c| rule(c, report)).collect();
    let mut results = Vec::new();
    for (index, c) in findings.iter().enumerate() {
        if c.verdict >= Verdict::Fail {
            results.push(result(c, index, ctx));
        }
    }
    if let Some(k) = report
        .kernel
        .as_ref()
        .filter(|k| k.verdict >= Verdict::Fail)
    {
        let mut r = SarifResult::builder()
            .message(message(&format!("the running kernel: {}", t(&k.reason))))
            .rule_id("kernel")
            .level(ResultLevel::Error)
            .kind(ResultKind::Fail)
            .build();
        r.locations = Some(vec![fallback_location(ctx)]);
        results.push(r);
    }
    let driver = ToolComponent::builder()
        .name(report.run.tool.name)
        .version(report.run.tool.version)
        .semantic_version(report.run.tool.version)
        .full_name(format!(
            "{} {} (Linux audit configuration against compliance controls)",
            report.run.tool.name, report.run.tool.version
        ))
        .rules(rules)
        .build();
    let invocation = Invocation::builder()
        .execution_successful(report.verdict != Verdict::Error)
        .start_time_utc(report.run.started.clone())
        .end_time_utc(report.run.finished.clone())
        .exit_code(i64::from(report.exit_code()))
        .build();
    let mut invocation = invocation;
    if let Some(h) = &report.run.hostname {
        invocation.machine = Some(t(h).into_owned());
    }
    let category = report
        .profile
        .as_ref()
        .map_or("auditguard/check".to_string(), |p| {
            format!("auditguard/{}", p.id)
        });
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!("{category}/"))
                .build(),
        )
        .column_kind(json!("unicodeCodePoints"))
        .properties(bag(
            Vec::new(),
            [
                ("target", json!(report.target)),
                ("machine", json!(report.machine)),
                ("loader", json!(report.loader.mode)),
                ("verdict", json!(report.verdict)),
                (
                    "fixSuggestionsLeftOut",
                    if ctx.fixes_left_out > 0 {
                        json!(format!(
                            "{} failing item(s) have no fix suggestion: planning them would \
                             take too long on this configuration; `auditguard fix --dry-run` \
                             shows every edit",
                            ctx.fixes_left_out
                        ))
                    } else {
                        serde_json::Value::Null
                    },
                ),
            ],
        ))
        .build();
    if let Some(bases) = uri_bases(&ctx.base) {
        run.original_uri_base_ids = Some(bases);
    }
    let log = Sarif::builder()
        .schema(SARIF_SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    crate::report::bytes::to_json(&log)
}

/// A property bag with tags and named values.
fn bag<const N: usize>(tags: Vec<String>, values: [(&str, serde_json::Value); N]) -> PropertyBag {
    let b = PropertyBag::builder().additional_properties(
        values
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    );
    if !tags.is_empty() {
        return b.tags(tags).build();
    }
    b.build()
}

fn message(text: &str) -> Message {
    Message::builder().text(text.to_string()).build()
}

fn mtext(text: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder()
        .text(text.to_string())
        .build()
}

/// The severity a rule carries: (SARIF level, GitHub's `security-severity`).
fn severity(c: &ControlFinding) -> (ResultLevel, &'static str) {
    let s = c
        .item
        .as_ref()
        .and_then(|i| i.severity.as_deref())
        .or(c.severity.as_deref());
    match s {
        Some("high") => (ResultLevel::Error, "8.0"),
        Some("low") => (ResultLevel::Warning, "3.0"),
        _ => (ResultLevel::Error, "5.5"),
    }
}

/// A rule: the item, its references and how to meet it.
fn rule(c: &ControlFinding, report: &CheckReport) -> ReportingDescriptor {
    let ids = reference_ids(c);
    let mut tags = vec!["security".to_string(), "compliance".to_string()];
    let mut refs: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (kind, id) in &ids {
        refs.entry(kind).or_default().push(id.clone());
        match *kind {
            "stig_id" | "vuln" | "cci" => tags.push(id.clone()),
            "cis" => tags.push(format!("CIS {id}")),
            _ => {}
        }
    }
    let (level, security) = severity(c);
    let mut help = format!("{}.", t(&c.title));
    let line = |kind: &str, label: &str| {
        refs.get(kind)
            .map(|v| format!("\n{label}: {}", v.join(", ")))
            .unwrap_or_default()
    };
    for (kind, label) in [
        ("stig_id", "STIG ID"),
        ("vuln", "Vulnerability ID"),
        ("stig_rule", "STIG rule"),
        ("cci", "CCI"),
        ("cis", "CIS section"),
        ("nist", "NIST SP 800-53"),
        ("cac", "SCAP Security Guide rule"),
    ] {
        help.push_str(&line(kind, label));
    }
    if let Some(note) = c.item.as_ref().and_then(|i| i.note.as_deref()) {
        help.push_str(&format!("\nNote: {}", t(note.trim())));
    }
    let selection = match &report.profile {
        Some(p) => format!("--profile {}", t(&p.id)),
        None => format!("--control {}", t(&c.id)),
    };
    help.push_str(&format!(
        "\n`auditguard check {selection}` judges it as the loader and kernel apply the \
         rules; `auditguard fix {selection}` makes the smallest edit that meets it."
    ));
    let mut props: BTreeMap<String, serde_json::Value> = refs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    props.insert("security-severity".into(), json!(security));
    let full = match c.item.as_ref().and_then(|i| i.note.as_deref()) {
        Some(note) => format!("{} ({})", t(&c.title), t(note.trim())),
        None => t(&c.title).into_owned(),
    };
    ReportingDescriptor::builder()
        .id(c.id.clone())
        .name(c.id.clone())
        .short_description(mtext(&t(&c.title)))
        .full_description(mtext(&full))
        .help(mtext(&help))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level_name(&level)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(props)
                .build(),
        )
        .build()
}

fn level_name(l: &ResultLevel) -> &'static str {
    match l {
        ResultLevel::Error => "error",
        ResultLevel::Warning => "warning",
        ResultLevel::Note => "note",
        ResultLevel::None => "none",
    }
}

/// The result of a failing control.
fn result(c: &ControlFinding, index: usize, ctx: &SarifContext) -> SarifResult {
    let mut text = format!("{}: {}", t(&c.title), t(&c.reason));
    for l in failing_lines(c) {
        text.push('\n');
        text.push_str(&l);
    }
    let (level, _) = severity(c);
    let evidence: Vec<&Evidence> = c
        .requirements
        .iter()
        .filter(|r| r.verdict >= Verdict::Fail)
        .flat_map(|r| {
            // The failing events' lines first; the requirement's own lines (which may be
            // those of its passing events) only when no failing event has any.
            let events: Vec<&Evidence> = r
                .events
                .iter()
                .filter(|e| e.verdict >= Verdict::Fail)
                .flat_map(|e| e.evidence.iter())
                .collect();
            if events.is_empty() {
                r.evidence.iter().collect()
            } else {
                events
            }
        })
        .filter(|e| !e.file.0.starts_with(b"kernel:"))
        .collect();
    let mut unique: Vec<&Evidence> = Vec::new();
    for e in evidence {
        if !unique.iter().any(|u| u.file == e.file && u.line == e.line) {
            unique.push(e);
        }
    }
    let edits = ctx.fixes.get(&c.id);
    let primary = match unique.first() {
        Some(e) => evidence_location(e, &ctx.base),
        None => edits
            .and_then(|e| e.first())
            .map(|edit| edit_location(edit, &ctx.base))
            .unwrap_or_else(|| fallback_location(ctx)),
    };
    let mut r = SarifResult::builder()
        .rule_id(c.id.clone())
        .rule_index(index as i64)
        .message(message(&text))
        .level(if c.verdict == Verdict::Error {
            ResultLevel::Error
        } else {
            level
        })
        .kind(ResultKind::Fail)
        .locations(vec![primary])
        .properties(bag(Vec::new(), [("verdict", json!(c.verdict))]))
        .build();
    let related: Vec<Location> = unique
        .iter()
        .skip(1)
        .take(20)
        .map(|e| evidence_location(e, &ctx.base))
        .collect();
    if !related.is_empty() {
        r.related_locations = Some(related);
    }
    if let Some(edits) = edits {
        r.fixes = Some(vec![fix(edits, &ctx.base)]);
    }
    r
}

/// A location at a line of evidence.
fn evidence_location(e: &Evidence, base: &UriBase) -> Location {
    let region = Region::builder()
        .start_line(i64::from(e.line.max(1)))
        .snippet(ArtifactContent::builder().text(e.text.to_string()).build())
        .build();
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(&e.file.0, base))
                .region(region)
                .build(),
        )
        .build()
}

/// Where `fix` would put the first new line of an edit.
fn edit_location(edit: &FileEdit, base: &UriBase) -> Location {
    let (path, old, _) = edit;
    let first = changes(edit).first().map_or(0, |c| c.old_line);
    let lines = old.as_deref().map_or(0, |o| split_lines(o).len());
    let line = (first + 1).min(lines.max(1));
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(path.as_os_str().as_bytes(), base))
                .region(Region::builder().start_line(line as i64).build())
                .build(),
        )
        .message(message("the line that records it belongs here"))
        .build()
}

/// The audit rules directory, for a result no line and no edit locates.
fn fallback_location(ctx: &SarifContext) -> Location {
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(b"/etc/audit/rules.d/", &ctx.base))
                .build(),
        )
        .build()
}

/// The artifact location of a target path.
fn artifact(path: &[u8], base: &UriBase) -> ArtifactLocation {
    let relative = path.strip_prefix(b"/").unwrap_or(path);
    match base {
        UriBase::Live => ArtifactLocation::builder()
            .uri(format!("file://{}", uri_path(path)))
            .build(),
        UriBase::Root { .. } => ArtifactLocation::builder()
            .uri(uri_path(relative))
            .uri_base_id("ROOT")
            .build(),
        UriBase::Repo { prefix, .. } => {
            let mut p = prefix.as_os_str().as_bytes().to_vec();
            if !p.is_empty() && !p.ends_with(b"/") {
                p.push(b'/');
            }
            p.extend_from_slice(relative);
            ArtifactLocation::builder()
                .uri(uri_path(&p))
                .uri_base_id("SRCROOT")
                .build()
        }
    }
}

/// The run's URI bases: where `ROOT` or `SRCROOT` is.
fn uri_bases(base: &UriBase) -> Option<BTreeMap<String, ArtifactLocation>> {
    let (name, dir): (&str, &Path) = match base {
        UriBase::Live => return None,
        UriBase::Root { root } => ("ROOT", root),
        UriBase::Repo { repo, .. } => ("SRCROOT", repo),
    };
    let mut uri = format!("file://{}", uri_path(dir.as_os_str().as_bytes()));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(BTreeMap::from([(
        name.to_string(),
        ArtifactLocation::builder().uri(uri).build(),
    )]))
}

/// A path as a URI path: RFC 3986 unreserved characters and `/` kept, every other byte
/// percent-encoded (so spaces, `%`, `#` and non-UTF-8 bytes survive). Hand-written: the URI
/// crates parse URIs; none encodes a raw byte path.
pub fn uri_path(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A file's lines, each with its newline.
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

/// One change of an edit: old lines `old_line..old_line+old_len` (0-based) become `new`.
struct Change {
    old_line: usize,
    byte_offset: usize,
    byte_len: usize,
    new: Vec<u8>,
}

/// The changes of an edit, in order, as byte regions of the old file.
fn changes(edit: &FileEdit) -> Vec<Change> {
    let (_, old, new) = edit;
    let old_lines = split_lines(old.as_deref().unwrap_or_default());
    let new_lines = split_lines(new);
    let mut offsets = Vec::with_capacity(old_lines.len() + 1);
    let mut at = 0;
    for l in &old_lines {
        offsets.push(at);
        at += l.len();
    }
    offsets.push(at);
    similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines)
        .into_iter()
        .filter_map(|op| {
            let (_, old_range, new_range) = op.as_tag_tuple();
            if op.tag() == similar::DiffTag::Equal {
                return None;
            }
            Some(Change {
                old_line: old_range.start,
                byte_offset: offsets[old_range.start],
                byte_len: offsets[old_range.end] - offsets[old_range.start],
                new: new_lines[new_range].concat(),
            })
        })
        .collect()
}

/// The edits `fix` would make, as a SARIF fix.
fn fix(edits: &[FileEdit], base: &UriBase) -> Fix {
    let mut added = Vec::new();
    let changes = edits
        .iter()
        .map(|edit| {
            let replacements = changes(edit)
                .into_iter()
                .map(|c| {
                    added.extend(
                        split_lines(&c.new)
                            .iter()
                            .map(|l| String::from_utf8_lossy(l).trim_end().to_string()),
                    );
                    let region = Region::builder()
                        .byte_offset(c.byte_offset as i64)
                        .byte_length(c.byte_len as i64)
                        .build();
                    let mut r = Replacement::builder().deleted_region(region).build();
                    if !c.new.is_empty() {
                        r.inserted_content = Some(
                            ArtifactContent::builder()
                                .text(String::from_utf8_lossy(&c.new).into_owned())
                                .build(),
                        );
                    }
                    r
                })
                .collect::<Vec<_>>();
            ArtifactChange::builder()
                .artifact_location(artifact(edit.0.as_os_str().as_bytes(), base))
                .replacements(replacements)
                .build()
        })
        .collect::<Vec<_>>();
    let description = if added.is_empty() {
        "what `auditguard fix` would change".to_string()
    } else {
        format!(
            "what `auditguard fix` would write: {}",
            added
                .iter()
                .map(|l| crate::report::bytes::text(l))
                .collect::<Vec<_>>()
                .join(" | ")
        )
    };
    Fix::builder()
        .description(message(&description))
        .artifact_changes(changes)
        .build()
}
