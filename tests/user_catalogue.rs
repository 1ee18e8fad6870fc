//! A user's own controls (`--controls-dir DIR`) and profiles (`--profile FILE`): they work like
//! the built-in ones, and a mistake in one is an error naming the file, the line and what is
//! wrong (exit 2), never a panic. Every built-in control and profile loads and resolves.

#[path = "common/validate.rs"]
mod validate;

use assert_cmd::Command;
use proptest::prelude::*;
use std::fs;

fn ag() -> Command {
    Command::cargo_bin("auditguard").expect("binary")
}

fn example() -> String {
    format!("{}/examples/debian12", env!("CARGO_MANIFEST_DIR"))
}

/// Run `check` with `args`; (exit code, stdout, stderr).
fn check(args: &[&str]) -> (i32, String, String) {
    let out = ag()
        .arg("check")
        .arg("--root")
        .arg(example())
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_builtin_control_and_profile_loads_and_resolves() {
    let catalogue = auditguard::control::catalogue();
    assert!(catalogue.len() >= 15, "{} controls", catalogue.len());
    let mut ids: Vec<&str> = catalogue.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate control ids");
    for p in auditguard::control::profile::builtin() {
        let controls = p.controls(&catalogue).expect("profile resolves");
        assert_eq!(controls.len(), p.items.len());
        // Every item is judged by requirements, or is manual with its reason.
        assert!(controls.iter().all(|c| {
            !c.requirements.is_empty() || c.item.as_ref().is_some_and(|i| i.manual.is_some())
        }));
    }
    let stig = auditguard::control::profile::load("stig-rhel9").expect("stig-rhel9");
    assert_eq!(stig.items.len(), 96);
    let cis = auditguard::control::profile::load("cis-debian12").expect("cis-debian12");
    assert_eq!(cis.items.len(), 39);
    let rhel8 = auditguard::control::profile::load("stig-rhel8").expect("stig-rhel8");
    assert_eq!(rhel8.items.len(), 84);
    let ubuntu = auditguard::control::profile::load("stig-ubuntu2204").expect("stig-ubuntu2204");
    assert_eq!(ubuntu.items.len(), 67);
    let u24 = auditguard::control::profile::load("stig-ubuntu2404").expect("stig-ubuntu2404");
    assert_eq!(u24.items.len(), 61);
    let rhel10 = auditguard::control::profile::load("stig-rhel10").expect("stig-rhel10");
    assert_eq!(rhel10.items.len(), 89);
    for id in ["cis-rhel10", "cis-debian13"] {
        let p = auditguard::control::profile::load(id).expect(id);
        assert_eq!(p.items.len(), 55, "{id}");
    }
    // Every item of a STIG with DISA's XCCDF carries its V-ID, rule id, severity and CCIs.
    for id in ["stig-rhel9", "stig-rhel8", "stig-ubuntu2204", "stig-rhel10"] {
        let p = auditguard::control::profile::load(id).expect(id);
        for i in &p.items {
            assert!(
                i.refs.vuln.is_some() && i.refs.rule.is_some() && i.severity.is_some(),
                "{id} {}: no V-ID, rule id or severity",
                i.id
            );
            assert!(!i.refs.cci.is_empty(), "{id} {}: no CCI", i.id);
        }
    }
    let ssg = auditguard::control::profile::load("ssg").expect("ssg");
    assert_eq!(ssg.items.len(), 169);
}

#[test]
fn a_users_control_is_judged_like_a_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("time.toml"),
        r#"schema = 2
id = "my-time"
title = "Changes of the system clock are audited"
[[requirement]]
id = "settime"
kind = "syscall"
syscalls = ["settimeofday", "adjtimex"]
[[requirement]]
id = "localtime"
kind = "watch"
paths = ["/etc/localtime"]
"#,
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (rc, out, err) = check(&["--controls-dir", d, "--control", "my-time"]);
    assert_eq!(rc, 1, "{out}{err}");
    assert!(out.contains("FAIL my-time"), "{out}");
    assert!(
        out.contains("b64 settimeofday: no loaded rule audits it"),
        "{out}"
    );
    let (_, list, _) = {
        let o = ag()
            .args(["controls", "--controls-dir", d])
            .output()
            .unwrap();
        (0, String::from_utf8_lossy(&o.stdout).into_owned(), ())
    };
    assert!(
        list.contains("my-time\tChanges of the system clock"),
        "{list}"
    );
}

#[test]
fn mistakes_in_user_files_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let cases: &[(&str, &str, &str)] = &[
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"syscall\"\nsyscals = [\"chmod\"]\n",
            ":7: unknown field `syscals`",
            "typo",
        ),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"syscall\"\nsyscalls = [\"nosuchcall\"]\n",
            "unknown syscall \"nosuchcall\"",
            "syscall",
        ),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"exec\"\npaths = [\"usr/bin/su\"]\n",
            "is not absolute",
            "relative path",
        ),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"syscall\"\nsyscalls = [\"chmod\"]\nexit = [\"-ENOPE\"]\n",
            "-ENOPE",
            "errno",
        ),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"syscal\"\n",
            ":6: unknown variant `syscal`",
            "kind",
        ),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"watch\"\nsyscalls = [\"chmod\"]\n",
            "field `syscalls` is only for kind syscall",
            "misplaced field",
        ),
        ("id = \"x\"\ntitle = [\n", "ctl.toml:", "syntax"),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"syscall\"\nsyscalls = [\"chmod\"]\n[[requirement]]\nid = \"r\"\nkind = \"syscall\"\nsyscalls = [\"chown\"]\n",
            "is listed twice",
            "duplicate requirement id",
        ),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"control\"\nsetting = \"enabled\"\nequals = 7\n",
            "cannot equal 7",
            "setting value",
        ),
        (
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"syscall\"\nsyscalls = [\"chmod\"]\nargs = [{ arg = 7, op = \"=\", value = 0 }]\n",
            "a7 does not exist",
            "argument index",
        ),
        (
            "schema = 3\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\nkind = \"syscall\"\nsyscalls = [\"chmod\"]\n",
            "schema 3",
            "schema version",
        ),
    ];
    for (text, want, what) in cases {
        fs::write(dir.path().join("ctl.toml"), text).unwrap();
        let (rc, out, err) = check(&["--controls-dir", &d]);
        assert_eq!(rc, 2, "{what}: {out}{err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(err.contains("ctl.toml:"), "{what}: no file:line: {err}");
        assert!(err.contains(want), "{what}: want {want:?} in {err}");
    }
}

/// A FIFO, a device or a huge file as a control or profile file is refused at once, naming
/// it: never a hang, never unbounded memory.
#[test]
fn non_regular_and_huge_user_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("f.toml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let d = dir.path().to_str().unwrap().to_string();
    let (rc, _, err) = check(&["--controls-dir", &d]);
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("f.toml: not a regular file"), "{err}");
    let (rc, _, err) = check(&["--profile", fifo.to_str().unwrap()]);
    assert_eq!(rc, 2, "{err}");
    let (rc, _, err) = check(&["--profile", "/dev/zero"]);
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("/dev/zero: not a regular file"), "{err}");
    let big = dir.path().join("big.toml");
    let f = fs::File::create(&big).unwrap();
    f.set_len(auditguard::control::MAX_USER_FILE + 1).unwrap();
    let (rc, _, err) = check(&["--profile", big.to_str().unwrap()]);
    assert_eq!(rc, 2, "{err}");
    assert!(err.contains("larger than"), "{err}");
}

#[test]
fn a_users_profile_file_is_used_and_its_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mine.toml");
    fs::write(
        &p,
        r#"schema = 2
id = "mine"
title = "My benchmark"
benchmark = { publisher = "ACME", version = "1" }
[[item]]
id = "ACME-1"
title = "Module loading is audited"
refs = { vuln = "V-1" }
requires = ["module-load", "module-unload"]
[[item]]
id = "ACME-2"
title = "Identity files"
requires = ["account-files/passwd", "account-files/shadow"]
"#,
    )
    .unwrap();
    let (rc, out, err) = check(&["--profile", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(rc, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    validate::report(out.as_bytes());
    assert_eq!(v["profile"]["id"], "mine");
    assert_eq!(v["controls"][0]["id"], "ACME-1");
    assert_eq!(v["controls"][0]["item"]["refs"]["vuln"], "V-1");
    assert_eq!(
        v["controls"][1]["requirements"].as_array().unwrap().len(),
        2
    );

    fs::write(
        &p,
        "schema = 2\nid = \"mine\"\ntitle = \"t\"\nbenchmark = { publisher = \"A\", version = \"1\" }\n[[item]]\nid = \"ACME-1\"\ntitle = \"t\"\nrequires = [\"account-files/nosuch\"]\n",
    )
    .unwrap();
    let (rc, _, err) = check(&["--profile", p.to_str().unwrap()]);
    assert_eq!(rc, 2, "{err}");
    assert!(
        err.contains(
            "mine.toml:6: item ACME-1: control account-files has no requirement \"nosuch\""
        ),
        "{err}"
    );
    let (rc, _, err) = check(&["--profile", "no-such-profile"]);
    assert_eq!(rc, 2);
    assert!(err.contains("known: stig-rhel9"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Any bytes as a control or profile file: an error or a value, never a panic.
    #[test]
    fn control_and_profile_parsers_never_panic(text in "\\PC{0,400}") {
        let _ = auditguard::control::parse_controls("x.toml", &text);
        let _ = auditguard::control::profile::parse("x.toml", &text);
    }

    /// A valid control with one field's value replaced by arbitrary text: never a panic.
    #[test]
    fn mutated_controls_never_panic(value in "\\PC{0,40}", field in 0usize..6) {
        let fields = ["kind", "syscalls", "who", "exit", "paths", "access"];
        let text = format!(
            "schema = 2\nid = \"x\"\ntitle = \"t\"\n[[requirement]]\nid = \"r\"\n{} = {:?}\n",
            fields[field], value
        );
        let _ = auditguard::control::parse_controls("x.toml", &text);
    }
}

#[test]
fn cis_levels_are_selected_by_suffix_and_level_1_says_the_chapter_is_level_2() {
    use auditguard::control::profile::load;
    for (name, id) in [
        ("cis-rhel9-l2", "cis-rhel9-l2-server"),
        ("cis-rhel9-l2-server", "cis-rhel9-l2-server"),
        ("cis-debian13-l2-workstation", "cis-debian13-l2-workstation"),
    ] {
        let p = load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.id, id);
        let base = load(name.split("-l").next().unwrap()).unwrap();
        // The CIS audit chapters are Level 2 throughout: every item is selected.
        assert_eq!(p.items.len(), base.items.len(), "{name}");
    }
    let e = load("cis-ubuntu2404-l1").unwrap_err().to_string();
    assert!(
        e.contains("no Level 1 server items") && e.contains("cis-ubuntu2404-l2-server"),
        "{e}"
    );
    let e = load("stig-rhel9-l2").unwrap_err().to_string();
    assert!(e.contains("has no levels"), "{e}");
    // A level selection runs like its profile.
    let (code, out, _) = check(&["--profile", "cis-rhel9-l2"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("profile cis-rhel9-l2-server"), "{out}");
}
