//! The name tables of `model::names` against the real auditctl 3.0.9 and kernel: every record
//! type, errno, file type and filesystem type name is loaded by name (in lower case, since
//! libaudit's lookups are case-insensitive) and must come back from `auditctl -l` printed as
//! our listing printer prints it.
//!
//! The real answers (exit status of `auditctl -R`, then `auditctl -l`) are recorded in
//! `tests/golden/tables_names.json` with their provenance: our printer is always compared with
//! that record, so the tables are checked without root or kernel audit; with them, auditctl is
//! asked again and must still agree (`AUDITGUARD_REGENERATE_GOLDEN=1` rewrites the record).

mod common;

use auditguard::model::{listing, names, Action, Field, FieldType, List, Machine, Mask, Op, Rule};
use common::golden::{self, Golden, Provenance};
use serde_json::{json, Value};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::sync::OnceLock;

/// Load `text` with `auditctl -R` (root-owned, mode 0600), returning (exit code, stderr).
fn load(text: &str) -> (i32, String) {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(text.as_bytes()).expect("write rules");
    std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (rc, _, err) = common::auditctl(&["-R", f.path().to_str().expect("utf-8 temp path")]);
    (rc, err)
}

const GOLDEN: &str = "tables_names";

/// One case: the lines loaded, and the rules we expect them to become.
type Case = (Vec<String>, Vec<Rule>);
/// Builds one case.
type MakeCase = fn() -> Case;
/// The cases, by name.
const CASES: [(&str, MakeCase); 3] = [
    ("msgtype", msgtype_case),
    ("errno", errno_case),
    ("file and filesystem types", types_case),
];

/// The real answer to one case: (exit status of `auditctl -R`, its stderr, `auditctl -l`).
fn real(lines: &[String]) -> (i32, String, String) {
    common::with_kernel(|| {
        let (rc, err) = load(&lines.concat());
        (rc, err, common::auditctl(&["-l"]).1)
    })
}

/// The golden file, after the live part (run once per test process): ask the real auditctl
/// again; rewrite the golden file or check it still holds.
fn golden_file() -> &'static Golden {
    static GOLDEN_FILE: OnceLock<Golden> = OnceLock::new();
    GOLDEN_FILE.get_or_init(|| {
        let golden = Golden::load(GOLDEN);
        if !golden::kernel_live() {
            return golden.unwrap_or_else(|| Golden::require(GOLDEN));
        }
        let answers: Vec<Value> = CASES
            .iter()
            .map(|(name, case)| {
                let (lines, _) = case();
                let (rc, err, listing) = real(&lines);
                json!({"name": name, "input": golden::fingerprint(&[lines.concat().as_bytes()]),
                       "status": rc, "stderr": err, "listing": listing})
            })
            .collect();
        let now = Provenance::here(
            "per case: auditctl -D; auditctl -R FILE holding every line (exit status, \
             stderr); auditctl -l; auditctl -D",
        );
        if golden::regenerate() {
            let mut g = Golden::new(GOLDEN, now);
            g.sections.insert("cases".into(), Value::Array(answers));
            g.save();
            return g;
        }
        let golden = golden.unwrap_or_else(|| Golden::require(GOLDEN));
        let recorded = golden.section("cases").as_array().expect("cases");
        let mismatches: Vec<String> = answers
            .iter()
            .filter(|a| !recorded.contains(a))
            .map(|a| format!("{}: the recorded answer differs; now {a}", a["name"]))
            .collect();
        golden::judge_live(&golden, &now, true, answers.len(), &mismatches);
        golden
    })
}

/// Compare our listing of the case's rules with the recorded `auditctl -l`.
fn check(name: &str) {
    let golden = golden_file();
    let (lines, rules) = CASES.iter().find(|(n, _)| *n == name).expect("case").1();
    let recorded = golden
        .section("cases")
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name}: not in {}", golden::shown(GOLDEN)));
    assert_eq!(
        recorded["input"].as_str(),
        Some(golden::fingerprint(&[lines.concat().as_bytes()]).as_str()),
        "{name}: the lines changed since {} was recorded: regenerate it with {}=1 (root, \
         kernel audit)",
        golden::shown(GOLDEN),
        golden::REGENERATE_VAR
    );
    assert_eq!(
        recorded["status"], 0,
        "auditctl -R failed: {}",
        recorded["stderr"]
    );
    let ours = String::from_utf8(listing::list_rules(&rules, Machine::X86_64)).unwrap();
    assert_eq!(recorded["listing"].as_str(), Some(ours.as_str()));
    eprintln!(
        "{name}: {} rules compared with auditctl -l as recorded in {} ({}, kernel {})",
        rules.len(),
        golden::shown(GOLDEN),
        golden.provenance.auditd,
        golden.provenance.kernel
    );
}

#[test]
fn every_msgtype_name_loads_and_lists_by_name() {
    check("msgtype");
}

fn msgtype_case() -> Case {
    let mut lines = Vec::new();
    let mut rules = Vec::new();
    for (n, name) in names::msgtypes() {
        lines.push(format!(
            "-a always,exclude -F msgtype={}\n",
            name.to_ascii_lowercase()
        ));
        let mut r = Rule::new(List::Exclude, Action::Always);
        r.fields.push(Field::num(FieldType::MSGTYPE, Op::Equal, *n));
        rules.push(r);
    }
    // A number without a name prints as the number.
    lines.push("-a always,exclude -F msgtype=999\n".into());
    let mut r = Rule::new(List::Exclude, Action::Always);
    r.fields
        .push(Field::num(FieldType::MSGTYPE, Op::Equal, 999));
    rules.push(r);
    (lines, rules)
}

fn exit_rule(field: Field) -> Rule {
    let mut r = Rule::new(List::Exit, Action::Always);
    r.mask = Mask::all();
    r.fields.push(field);
    r
}

#[test]
fn every_errno_name_loads_and_lists_as_minus_name() {
    check("errno");
}

fn errno_case() -> Case {
    let mut lines = Vec::new();
    let mut rules = Vec::new();
    for (n, name) in names::errnos() {
        lines.push(format!(
            "-a always,exit -F exit=-{}\n",
            name.to_ascii_lowercase()
        ));
        rules.push(exit_rule(Field::num(
            FieldType::EXIT,
            Op::Equal,
            (*n as i32).wrapping_neg() as u32,
        )));
    }
    // Aliases resolve to the printed name's number; without the minus the value is positive.
    for (text, value) in [
        ("!=-EWOULDBLOCK", -11),
        ("!=-EDEADLOCK", -35),
        (">EPERM", 1),
    ] {
        lines.push(format!("-a always,exit -F exit{text}\n"));
        let op = if text.starts_with('>') {
            Op::GreaterThan
        } else {
            Op::NotEqual
        };
        rules.push(exit_rule(Field::num(FieldType::EXIT, op, value as u32)));
    }
    (lines, rules)
}

#[test]
fn file_and_filesystem_type_names() {
    check("file and filesystem types");
}

fn types_case() -> Case {
    let mut lines = Vec::new();
    let mut rules = Vec::new();
    for name in [
        "file",
        "dir",
        "socket",
        "link",
        "character",
        "block",
        "fifo",
    ] {
        lines.push(format!(
            "-a always,exit -F filetype={}\n",
            name.to_ascii_uppercase()
        ));
        let n = names::filetype_number(name).expect("known file type");
        rules.push(exit_rule(Field::num(FieldType::FILETYPE, Op::Equal, n)));
    }
    for (i, name) in ["tracefs", "debugfs"].into_iter().enumerate() {
        lines.push(format!(
            "-a never,filesystem -F fstype={name} -F key=k{i}\n"
        ));
        let mut r = Rule::new(List::Filesystem, Action::Never);
        let n = names::fstype_number(name).expect("known fs type");
        r.fields.push(Field::num(FieldType::FSTYPE, Op::Equal, n));
        r.fields
            .push(Field::str(FieldType::KEY, Op::Equal, format!("k{i}")));
        rules.push(r);
    }
    (lines, rules)
}
