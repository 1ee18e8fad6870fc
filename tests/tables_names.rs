//! The name tables of `model::names` against the real auditctl 3.0.9 and kernel: every record
//! type, errno, file type and filesystem type name is loaded by name (in lower case, since
//! libaudit's lookups are case-insensitive) and must come back from `auditctl -l` printed as
//! our listing printer prints it. Runs only as root with auditctl and kernel audit support.

mod common;

use auditguard::model::{listing, names, Action, Field, FieldType, List, Machine, Mask, Op, Rule};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;

/// Load `text` with `auditctl -R` (root-owned, mode 0600), returning (exit code, stderr).
fn load(text: &str) -> (i32, String) {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(text.as_bytes()).expect("write rules");
    std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (rc, _, err) = common::auditctl(&["-R", f.path().to_str().expect("utf-8 temp path")]);
    (rc, err)
}

fn skip() -> bool {
    if !common::kernel_available() {
        eprintln!("skipped: needs root, auditctl and kernel audit support");
        return true;
    }
    false
}

/// Load `lines`, then compare `auditctl -l` with our listing of `rules`.
fn check(lines: &[String], rules: &[Rule]) {
    let listed = common::with_kernel(|| {
        let (rc, err) = load(&lines.concat());
        assert_eq!(rc, 0, "auditctl -R failed: {err}");
        common::auditctl(&["-l"]).1
    });
    let ours = String::from_utf8(listing::list_rules(rules, Machine::X86_64)).unwrap();
    assert_eq!(listed, ours);
}

#[test]
fn every_msgtype_name_loads_and_lists_by_name() {
    if skip() {
        return;
    }
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
    check(&lines, &rules);
}

fn exit_rule(field: Field) -> Rule {
    let mut r = Rule::new(List::Exit, Action::Always);
    r.mask = Mask::all();
    r.fields.push(field);
    r
}

#[test]
fn every_errno_name_loads_and_lists_as_minus_name() {
    if skip() {
        return;
    }
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
    check(&lines, &rules);
}

#[test]
fn file_and_filesystem_type_names() {
    if skip() {
        return;
    }
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
    check(&lines, &rules);
}
