//! Independent validators for auditguard's reports: a JSON Schema validator (the Python
//! `jsonschema` package, through `scripts/validate-json.py`), `xmllint` against an XSD, and
//! OpenSCAP's `oscap xccdf validate`. `scripts/test-all.sh` installs them.
//!
//! A validator that is not installed makes the check skip visibly (`skipped: ...` on
//! stderr) — unless `AUDITGUARD_REQUIRE_VALIDATORS=1` (set by `scripts/test-all.sh` once it
//! installed them), when a missing validator fails the test.
//!
//! Every auditguard JSON document the tests read goes through [`report`] (one document) or
//! [`later`] and [`flush`] (a batch: one validator run per schema, for the scenario suites).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository's top directory.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A vendored or own schema by its path in the repository (`schemas/check-1.json`).
pub fn schema(rel: &str) -> PathBuf {
    repo().join(rel)
}

fn required() -> bool {
    std::env::var_os("AUDITGUARD_REQUIRE_VALIDATORS").is_some_and(|v| v == "1")
}

/// Say that a validator is missing: a failure when validators are required, else a visible
/// skip. Returns false (nothing was validated).
fn missing(what: &str) -> bool {
    let msg = format!("{what} (scripts/test-all.sh installs it)");
    if required() {
        panic!("validator missing: {msg}");
    }
    eprintln!("skipped: validation: {msg}");
    false
}

fn run(cmd: &mut Command, what: &str) -> Option<std::process::Output> {
    match cmd.output() {
        Ok(out) => Some(out),
        Err(e) => {
            missing(&format!("{what}: {e}"));
            None
        }
    }
}

/// Validate JSON files against a JSON Schema. Returns whether validation ran (it panics
/// with the validator's errors when a file is invalid).
pub fn json_files(schema: &Path, files: &[&Path]) -> bool {
    let script = repo().join("scripts/validate-json.py");
    let Some(out) = run(
        Command::new("python3").arg(&script).arg(schema).args(files),
        "python3",
    ) else {
        return false;
    };
    // The failures only: a batch's valid documents would bury them.
    let text: String = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .lines()
    .filter(|l| !l.contains(": valid against "))
    .map(|l| format!("{l}\n"))
    .collect();
    match out.status.code() {
        Some(0) => true,
        Some(3) => missing("the python3 jsonschema package"),
        _ => panic!("JSON Schema validation failed:\n{text}"),
    }
}

/// Validate a JSON document (bytes) against a schema.
pub fn json(schema: &Path, doc: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("doc.json");
    std::fs::write(&file, doc).expect("write doc");
    json_files(schema, &[&file])
}

/// Validate an auditguard JSON report against the schema its `schema` member names
/// (`auditguard/check/1` → `schemas/check-1.json`).
pub fn report(doc: &[u8]) -> bool {
    let v: serde_json::Value = serde_json::from_slice(doc).expect("JSON report");
    let id = v["schema"].as_str().expect("a schema member");
    let rel = id
        .strip_prefix("auditguard/")
        .expect("an auditguard schema id")
        .replace('/', "-");
    json(&schema(&format!("schemas/{rel}.json")), doc)
}

/// Validate an XML document against an XSD with xmllint.
pub fn xsd(xsd: &Path, doc: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, doc).expect("write doc");
    let Some(out) = run(
        Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(xsd)
            .arg(&file),
        "xmllint (Debian: libxml2-utils)",
    ) else {
        return false;
    };
    assert!(
        out.status.success(),
        "xmllint: invalid against {}:\n{}",
        xsd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// Validate an XCCDF 1.2 document with `oscap xccdf validate` (schema and schematron).
pub fn xccdf(doc: &[u8]) -> bool {
    oscap(&["xccdf", "validate"], doc)
}

/// Validate an ARF 1.1 result data stream with `oscap ds rds-validate`.
pub fn arf(doc: &[u8]) -> bool {
    oscap(&["ds", "rds-validate"], doc)
}

fn oscap(verb: &[&str], doc: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("results.xml");
    std::fs::write(&file, doc).expect("write doc");
    let Some(out) = run(
        Command::new("oscap").args(verb).arg(&file),
        "oscap (Debian: openscap-scanner)",
    ) else {
        return false;
    };
    assert!(
        out.status.success(),
        "oscap {verb:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// Documents waiting for [`flush`].
static LATER: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Keep an auditguard JSON report to validate at the next [`flush`].
pub fn later(doc: &[u8]) {
    LATER
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(doc.to_vec());
}

/// Validate every document kept by [`later`] against the schema its `schema` member names:
/// one validator run per schema. Returns how many were validated (0 when the validator is
/// missing).
pub fn flush() -> usize {
    let docs = std::mem::take(&mut *LATER.lock().unwrap_or_else(|e| e.into_inner()));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut by_schema: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    for (i, doc) in docs.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_slice(doc).expect("JSON report");
        let id = v["schema"].as_str().expect("a schema member").to_string();
        let file = dir.path().join(format!("{i}.json"));
        std::fs::write(&file, doc).expect("write doc");
        by_schema.entry(id).or_default().push(file);
    }
    let mut n = 0;
    for (id, files) in by_schema {
        let rel = id
            .strip_prefix("auditguard/")
            .expect("an auditguard schema id")
            .replace('/', "-");
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        if !json_files(&schema(&format!("schemas/{rel}.json")), &refs) {
            return 0;
        }
        n += files.len();
    }
    n
}
