//! Output safety on hostile targets (issue 9, items 10 and 11), each root built in a temp dir:
//!
//! - terminal injection: ESC sequences, CR, C1 controls, DEL and invalid UTF-8 in rule text,
//!   keys and file names never reach text output raw (check, fix and its diff, rules and merge
//!   stderr, error messages); they show escaped, and no line can forge `result: PASS`;
//! - lossless JSON: byte strings that are not UTF-8 keep their exact bytes
//!   (`{"base64": ...}`, `schemas/check-1.json`), so two files whose names differ in one
//!   invalid byte print differently, and the JSON round-trips to the original bytes.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const UNIT: &str = "[Unit]\nDescription=Security Auditing Service\n\n[Service]\nType=forking\n\
                    ExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n";

/// A root with the unit and `etc/audit/rules.d`, nothing else.
fn root() -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("temp dir");
    let unit = t.path().join("usr/lib/systemd/system");
    std::fs::create_dir_all(&unit).unwrap();
    std::fs::write(unit.join("auditd.service"), UNIT).unwrap();
    std::fs::create_dir_all(t.path().join("etc/audit/rules.d")).unwrap();
    let sbin = t.path().join("usr/sbin");
    std::fs::create_dir_all(&sbin).unwrap();
    for tool in ["insmod", "rmmod", "modprobe"] {
        std::fs::write(sbin.join(tool), "").unwrap();
    }
    t
}

fn rules_d(root: &Path, name: &[u8]) -> PathBuf {
    root.join("etc/audit/rules.d").join(OsStr::from_bytes(name))
}

struct Out {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run(args: &[&str], root: &Path) -> Out {
    let out = Command::cargo_bin("auditguard")
        .expect("binary")
        .args(args)
        .arg("--root")
        .arg(root)
        .args(["--arch", "x86_64"])
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .expect("run auditguard");
    Out {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// The line that forges a verdict: up a line, clear it, write a PASS, hide what follows.
const FORGE: &[u8] = b"\x1b[1A\x1b[2K\rresult: PASS\x1b[8m";

/// A root whose rules, keys and file names carry every kind of hostile byte.
fn hostile_root() -> tempfile::TempDir {
    let t = root();
    // A file name with ESC, a C1 CSI (raw and UTF-8 encoded), DEL and an invalid byte; its
    // rule carries a key with an OSC title sequence and BEL, a CR, and a never rule cited as
    // the reason b32 init_module is not recorded.
    let mut text = Vec::new();
    text.extend_from_slice(
        b"-a never,exit -F arch=b32 -S init_module -F key=x\x1b]0;owned\x07\r\n",
    );
    text.extend_from_slice(
        b"-a always,exit -F arch=b64 -S init_module -k mods\x1b[32m\x9b\xc2\x9b\x7f\xff\n",
    );
    std::fs::write(
        rules_d(t.path(), b"10-\x1b[2Jevil\x9b\xc2\x9b\x7f\xff.rules"),
        &text,
    )
    .unwrap();
    // A line the loader refuses (cited as a load error), which tries to forge the verdict.
    let mut bad = b"-w /etc/x -p wa -k ".to_vec();
    bad.extend_from_slice(FORGE);
    bad.extend_from_slice(b" bogus\n");
    std::fs::write(rules_d(t.path(), b"90-forge\r.rules"), &bad).unwrap();
    t
}

/// Text output that is safe for a terminal: valid UTF-8, no control character but the line
/// separator, no C1 control, no bidi override.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text =
        std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8 ({e}): {bytes:?}"));
    for (i, c) in text.char_indices() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: raw {c:?} at byte {i}:\n{text}");
    }
}

/// The verdict line is the last line, and the only one that starts like it.
fn assert_verdict_not_forged(what: &str, stdout: &[u8], verdict: &str) {
    let text = String::from_utf8_lossy(stdout);
    let lines: Vec<&str> = text.lines().collect();
    let verdicts: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("result:") || l.contains("; result:"))
        .collect();
    assert_eq!(verdicts.len(), 1, "{what}: {verdicts:?}\n{text}");
    assert!(
        verdicts[0].ends_with(&format!("result: {verdict}")),
        "{what}: {verdicts:?}"
    );
    assert_eq!(lines.last(), verdicts.first().copied(), "{what}:\n{text}");
}

#[test]
fn check_text_escapes_hostile_bytes_and_keeps_its_verdict() {
    let t = hostile_root();
    let out = run(&["check"], t.path());
    assert_eq!(
        out.code,
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_terminal_safe("check stdout", &out.stdout);
    assert_terminal_safe("check stderr", &out.stderr);
    assert_verdict_not_forged("check", &out.stdout, "FAIL");
    let text = String::from_utf8_lossy(&out.stdout);
    // Shown, escaped: the file name, the key, the CR, the forged line.
    for shown in [
        "10-\\x1b[2Jevil\\x9b\\u{9b}\\x7f\\xff.rules",
        "x\\x1b]0;owned\\x07",
        "\\x1b[1A\\x1b[2K\\rresult: PASS\\x1b[8m",
        "90-forge\\r.rules",
    ] {
        assert!(text.contains(shown), "{shown} not in:\n{text}");
    }
}

#[test]
fn fix_text_and_diff_escape_hostile_bytes() {
    let t = hostile_root();
    for args in [
        &["fix", "--dry-run"][..],
        &["fix", "--dry-run", "--repair"][..],
    ] {
        let out = run(args, t.path());
        assert_terminal_safe(&format!("{args:?} stdout"), &out.stdout);
        assert_terminal_safe(&format!("{args:?} stderr"), &out.stderr);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("\nresult: PASS"), "{args:?}:\n{text}");
        if out.code == Some(1) {
            assert!(!text.contains("result: PASS"), "{args:?}:\n{text}");
        }
    }
    // A diff over the hostile file: its lines appear escaped, prefixed as diff lines.
    let t = root();
    let mut text = b"# owned\x1b[2J\xff\r\n".to_vec();
    text.extend_from_slice(b"-a never,exit -F arch=b64 -S init_module\n");
    std::fs::write(rules_d(t.path(), b"10-n\x1b\xfe.rules"), &text).unwrap();
    let out = run(&["fix", "--dry-run"], t.path());
    assert_terminal_safe("fix diff", &out.stdout);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("# owned\\x1b[2J\\xff\\r"), "{shown}");
    assert!(shown.contains("10-n\\x1b\\xfe.rules"), "{shown}");
    // JSON: the diff holds the exact bytes of the lines.
    let out = run(&["fix", "--dry-run", "--format", "json"], t.path());
    assert_terminal_safe("fix json", &out.stdout);
    let j: Value = serde_json::from_slice(&out.stdout).expect("fix JSON");
    common::validate::report(&out.stdout);
    let diff = common::json_bytes(&j["diff"]).expect("diff bytes");
    let first: &[u8] = b" # owned\x1b[2J\xff\r\n";
    assert!(
        diff.windows(first.len()).any(|w| w == first),
        "{}",
        String::from_utf8_lossy(&diff)
    );
    let files = j["steps"].as_array().expect("steps");
    assert!(files
        .iter()
        .flat_map(|s| s["files"].as_array().into_iter().flatten())
        .filter_map(common::json_bytes)
        .any(|f| f.ends_with(b"10-n\x1b\xfe.rules")));
}

#[test]
fn rules_and_merge_stay_byte_exact_on_a_pipe_and_escape_their_stderr() {
    let t = hostile_root();
    // merge: exactly augenrules' bytes (its contract), raw bytes included, to a pipe.
    let out = run(&["merge"], t.path());
    assert!(
        out.stdout.windows(FORGE.len()).any(|w| w == FORGE),
        "merge lost bytes"
    );
    assert_terminal_safe("merge stderr", &out.stderr);
    let out = run(&["rules"], t.path());
    assert_terminal_safe("rules stderr", &out.stderr);
    // An error message naming a hostile path is escaped too.
    let out = Command::cargo_bin("auditguard")
        .unwrap()
        .args(["rules", "--root"])
        .arg(t.path())
        .arg("--file")
        .arg(OsStr::from_bytes(b"/etc/audit/no\x1b[2Jsuch\xff"))
        .output()
        .unwrap();
    assert_terminal_safe("rules --file stderr", &out.stderr);
}

#[test]
fn json_keeps_exact_bytes_of_names_that_differ_in_one_invalid_byte() {
    let t = root();
    let a: &[u8] = b"20-a\xfe.rules";
    let b: &[u8] = b"20-a\xff.rules";
    std::fs::write(
        rules_d(t.path(), a),
        "-a always,exit -F arch=b64 -S init_module -k k\u{1b}1\n",
    )
    .unwrap();
    let mut kb = b"-a always,exit -F arch=b64 -S delete_module -k k\xff2\n".to_vec();
    kb.extend_from_slice(b"-a always,exit -F arch=b32 -S init_module -k \xc3\xa9t\xc3\xa9\n");
    std::fs::write(rules_d(t.path(), b), &kb).unwrap();
    let out = run(&["check", "--format", "json"], t.path());
    assert_terminal_safe("check json", &out.stdout);
    let j: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    common::validate::report(&out.stdout);
    assert_eq!(j["schema"], "auditguard/check/1");
    let events: Vec<&Value> = j["controls"][0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["events"].as_array().unwrap())
        .collect();
    let event = |label: &str| {
        *events
            .iter()
            .find(|e| e["event"] == label)
            .unwrap_or_else(|| panic!("{label} in {j}"))
    };
    let file_of = |label: &str| {
        let e = event(label);
        common::json_bytes(&e["evidence"][0]["file"]).expect("file bytes")
    };
    let fa = file_of("b64 init_module");
    let fb = file_of("b64 delete_module");
    assert_ne!(fa, fb, "two files print as one");
    assert_eq!(fa, [b"/etc/audit/rules.d/", a].concat());
    assert_eq!(fb, [b"/etc/audit/rules.d/", b].concat());
    // The invalid name is an object; its escaped member is for reading only.
    let raw = &event("b64 init_module")["evidence"][0]["file"];
    assert_eq!(
        raw["escaped"], "/etc/audit/rules.d/20-a\\xfe.rules",
        "{raw}"
    );
    // Keys: control bytes stay a (JSON-escaped) string; invalid bytes a base64 object;
    // valid UTF-8 stays a plain string (backwards compatible).
    assert_eq!(event("b64 init_module")["key"], "k\u{1b}1");
    assert_eq!(
        common::json_bytes(&event("b64 delete_module")["key"]).unwrap(),
        b"k\xff2"
    );
    assert_eq!(event("b32 init_module")["key"], "été");
    // Rule text round-trips too.
    let text = common::json_bytes(&event("b64 delete_module")["evidence"][0]["text"]).unwrap();
    assert_eq!(text, &kb[..kb.iter().position(|&c| c == b'\n').unwrap()]);
    // Text shows both names, escaped and distinct.
    let out = run(&["check"], t.path());
    assert_terminal_safe("check text", &out.stdout);
}
