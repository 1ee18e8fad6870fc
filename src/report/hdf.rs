//! The Heimdall Data Format rendering (`check --format hdf`): MITRE's InSpec-JSON shape
//! (`platform`, `profiles[].controls[].results[]`, `statistics`, `version`), which Heimdall
//! shows and MITRE's SAF CLI turns into STIG Viewer checklists (`saf convert hdf2ckl`).
//!
//! One profile (the benchmark run, or `auditguard` for controls named one by one); one
//! control per item, its id the STIG V-ID when there is one (what checklists are keyed on),
//! else the item's id; tags carry `gid` (V-ID), `rid` (STIG rule id), `stig_id`, `cci`,
//! `nist`, `severity`, the CIS section and the SCAP Security Guide rules; one result per
//! requirement (`passed`, `failed`, `error`, or `skipped` with the reason for items not
//! applicable or left to a person; not applicable items have impact 0, as InSpec writes).
//!
//! Valid against MITRE's `exec-json` schema (`schemas/external/hdf-exec-json.json`, tested in
//! `tests/report_formats.rs`).

use crate::control::finding::Verdict;
use crate::report::bytes::text as t;
use crate::report::{cac_ids, failing_lines, CheckReport, ControlFinding};
use serde_json::{json, Map, Value};

/// The target's operating system as `/etc/os-release` names it (`ID`, `VERSION_ID`), for
/// HDF's platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Platform {
    /// `ID` (`debian`, `rhel`).
    pub name: Option<String>,
    /// `VERSION_ID` (`12`, `9.4`).
    pub release: Option<String>,
}

impl Platform {
    /// Read from the text of an os-release file: `KEY=value` lines, values optionally
    /// quoted; only printable ASCII kept.
    pub fn from_os_release(text: &[u8]) -> Platform {
        let mut p = Platform::default();
        for line in text.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let Some((key, value)) = line.trim().split_once('=') else {
                continue;
            };
            let value: String = value
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .take(64)
                .collect();
            if value.is_empty() {
                continue;
            }
            match key.trim() {
                "ID" => p.name = Some(value),
                "VERSION_ID" => p.release = Some(value),
                _ => {}
            }
        }
        p
    }
}

/// Render a check report as HDF JSON (`platform`: the target's OS, when known).
pub fn render(report: &CheckReport, platform: &Platform) -> String {
    let (name, title, version) = match &report.profile {
        Some(p) => (
            p.id.clone(),
            p.title.clone(),
            format!("{} {}", p.benchmark.publisher, p.benchmark.version),
        ),
        None => (
            "auditguard".to_string(),
            "auditguard controls".to_string(),
            report.run.tool.version.to_string(),
        ),
    };
    let controls: Vec<Value> = report
        .controls
        .iter()
        .map(|c| control(c, &report.run.started))
        .collect();
    let duration = duration(&report.run.started, &report.run.finished);
    let doc = json!({
        "platform": {
            "name": platform.name.as_deref().unwrap_or("linux"),
            "release": platform.release.as_deref().unwrap_or("unknown"),
            "target_id": report
                .run
                .hostname
                .clone()
                .unwrap_or_else(|| report.target.to_string()),
        },
        "profiles": [{
            "name": name,
            "title": title,
            "version": version,
            "maintainer": "auditguard",
            "summary": format!("auditguard {} judged {} (rules loaded by {})",
                report.run.tool.version, report.target, report.loader.mode),
            "sha256": profile_digest(&name, &version, report),
            "supports": [{"platform-family": "linux"}],
            "attributes": [],
            "groups": [],
            "status": "loaded",
            "controls": controls,
        }],
        "statistics": { "duration": duration },
        "version": report.run.tool.version,
        "passthrough": {
            "auditguard": {
                "target": report.target,
                "machine": report.machine,
                "hostname": report.run.hostname,
                "loader": report.loader.mode,
                "started": report.run.started,
                "finished": report.run.finished,
                "verdict": report.verdict,
            }
        },
    });
    crate::report::bytes::to_json(&doc)
}

/// One item as an HDF control.
fn control(c: &ControlFinding, start_time: &str) -> Value {
    let item = c.item.as_ref();
    let severity = item
        .and_then(|i| i.severity.as_deref())
        .or(c.severity.as_deref())
        .unwrap_or("medium");
    let impact = match (c.verdict, severity) {
        (Verdict::NotApplicable, _) => 0.0,
        (_, "high") => 0.7,
        (_, "low") => 0.3,
        _ => 0.5,
    };
    let mut tags = Map::new();
    tags.insert("severity".into(), json!(severity));
    if let Some(i) = item {
        if i.benchmark.publisher.eq_ignore_ascii_case("CIS") {
            tags.insert("cis_section".into(), json!(i.id));
        } else {
            tags.insert("stig_id".into(), json!(i.id));
        }
        if let Some(v) = &i.refs.vuln {
            tags.insert("gid".into(), json!(v));
        }
        if let Some(r) = &i.refs.rule {
            tags.insert("rid".into(), json!(r));
        }
        if !i.refs.cci.is_empty() {
            tags.insert("cci".into(), json!(i.refs.cci));
        }
        tags.insert("auditguard_controls".into(), json!(i.controls));
    }
    if !c.refs.nist.is_empty() {
        tags.insert("nist".into(), json!(c.refs.nist));
    }
    let cac = cac_ids(c);
    if !cac.is_empty() {
        tags.insert("cac".into(), json!(cac));
    }
    let id = item
        .and_then(|i| i.refs.vuln.clone())
        .unwrap_or_else(|| c.id.clone());
    let mut descriptions = vec![json!({"label": "default", "data": t(&c.title)})];
    if let Some(note) = item.and_then(|i| i.note.as_deref()) {
        descriptions.push(json!({"label": "note", "data": t(note.trim())}));
    }
    json!({
        "id": id,
        "title": t(&c.title),
        "desc": t(&c.title),
        "descriptions": descriptions,
        "impact": impact,
        "refs": [],
        "tags": tags,
        "code": "",
        "source_location": {},
        "results": results(c, start_time),
    })
}

/// The results of an item: one per requirement, or one for the item when it has none.
fn results(c: &ControlFinding, start_time: &str) -> Vec<Value> {
    if c.requirements.is_empty() {
        let lines = failing_lines(c);
        let message = if lines.is_empty() {
            t(&c.reason).into_owned()
        } else {
            lines.join("\n")
        };
        return vec![result(c.verdict, &t(&c.title), &message, start_time)];
    }
    c.requirements
        .iter()
        .map(|r| {
            let single = ControlFinding {
                requirements: vec![r.clone()],
                advice: Vec::new(),
                item: None,
                ..c.clone()
            };
            let lines = failing_lines(&single);
            let message = if lines.is_empty() {
                t(&r.reason).into_owned()
            } else {
                lines.join("\n")
            };
            result(
                r.verdict,
                &format!("{}: {}", t(&r.id), t(&r.title)),
                &message,
                start_time,
            )
        })
        .collect()
}

fn result(v: Verdict, code_desc: &str, message: &str, start_time: &str) -> Value {
    let status = match v {
        Verdict::Pass => "passed",
        Verdict::Fail => "failed",
        Verdict::Error => "error",
        Verdict::NotApplicable | Verdict::NotChecked => "skipped",
    };
    let mut r = json!({
        "status": status,
        "code_desc": code_desc,
        "start_time": start_time,
    });
    let key = if status == "skipped" {
        "skip_message"
    } else {
        "message"
    };
    r[key] = json!(message);
    r
}

/// Seconds between two report times (0 when either cannot be read).
fn duration(started: &str, finished: &str) -> f64 {
    match (
        chrono::DateTime::parse_from_rfc3339(started),
        chrono::DateTime::parse_from_rfc3339(finished),
    ) {
        (Ok(a), Ok(b)) => (b - a).num_milliseconds().max(0) as f64 / 1000.0,
        _ => 0.0,
    }
}

/// The profile's `sha256`: HDF identifies a profile by it. auditguard's profiles are data
/// built into the binary, so this digests what identifies the run's profile: its name,
/// benchmark release, the tool version and the items' ids.
fn profile_digest(name: &str, version: &str, report: &CheckReport) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(name.as_bytes());
    h.update([0]);
    h.update(version.as_bytes());
    h.update([0]);
    h.update(report.run.tool.version.as_bytes());
    for c in &report.controls {
        h.update([0]);
        h.update(c.id.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::Platform;

    #[test]
    fn os_release_id_and_version() {
        let p = Platform::from_os_release(
            b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n\
              junk\n=\nVERSION_ID=\n",
        );
        assert_eq!(p.name.as_deref(), Some("debian"));
        assert_eq!(p.release.as_deref(), Some("12"));
        let p = Platform::from_os_release(b"ID='rhel'\nVERSION_ID=9.4\x1b[2J\xff\n");
        assert_eq!(p.name.as_deref(), Some("rhel"));
        assert_eq!(p.release.as_deref(), Some("9.4[2J"));
        assert_eq!(Platform::from_os_release(b""), Platform::default());
    }
}
