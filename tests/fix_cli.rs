//! `auditguard fix` as a user meets it, on temporary roots: `--dry-run` writes nothing and
//! shows a unified diff; `--backup` keeps `NAME.bak`; an edited file keeps its mode, owner and
//! `user.*` xattr; a `rules.d` symlink to a file outside the root is never read or written (the
//! file at the same path inside the root is what counts); two runs at once give one run's result;
//! `--format json` follows `auditguard/fix/1`.
//!
//! Needs `setfattr`/`getfattr` (Debian's `attr`, installed with apt-get when missing and
//! possible) for the xattr part, and root for the owner part; else those parts say why and
//! are skipped.

#[path = "common/scenario.rs"]
mod scenario;
#[path = "common/validate.rs"]
mod validate;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// b32 missing: the fix adds one line to 50-modules.rules (the file holding the key).
const MISSING_B32: &str = "# b32 missing
verdict: fail
--- host augenrules
--- file /etc/audit/rules.d/50-modules.rules mode=0640
## modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules
--- tool-watches /etc/audit/rules.d/60-tools.rules
";

/// Blocked: a task-list never rule.
const BLOCKED: &str = "# task never
verdict: fail
--- host augenrules
--- file /etc/audit/rules.d/10-no-audit.rules
-a never,task
--- module-rules /etc/audit/rules.d/50-modules.rules
--- tool-watches /etc/audit/rules.d/60-tools.rules
";

const RULES: &str = "etc/audit/rules.d/50-modules.rules";

fn root_of(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    fs::create_dir(&root).expect("mkdir root");
    let s = scenario::parse_scenario("cli", text);
    scenario::build(&root, &s.sections);
    (dir, root)
}

fn auditguard(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auditguard"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run auditguard")
}

#[test]
fn dry_run_writes_nothing_and_prints_a_unified_diff() {
    let (_d, root) = root_of(MISSING_B32);
    let before = scenario::snapshot(&root);
    let out = auditguard(&root, &["fix", "--dry-run"]);
    assert_eq!(
        scenario::snapshot(&root),
        before,
        "--dry-run wrote:\n{}",
        scenario::output_text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        scenario::output_text(&out)
    );
    for want in [
        "--- a/etc/audit/rules.d/50-modules.rules\n+++ b/etc/audit/rules.d/50-modules.rules\n@@ -",
        "\n+-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -F key=modules\n",
        "dry run: nothing written",
    ] {
        assert!(stdout.contains(want), "no {want:?} in\n{stdout}");
    }
    let json = auditguard(&root, &["fix", "--dry-run", "--format", "json"]);
    let j: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    validate::report(&json.stdout);
    assert_eq!(j["changed"], false);
    assert_eq!(j["dry_run"], true);
    assert!(j["diff"]
        .as_str()
        .unwrap()
        .contains("+-a always,exit -F arch=b32"));
    assert_eq!(
        scenario::snapshot(&root),
        before,
        "--dry-run --format json wrote"
    );
}

#[test]
fn backup_keeps_the_old_file_as_name_bak() {
    let (_d, root) = root_of(MISSING_B32);
    let old = fs::read(root.join(RULES)).unwrap();
    let out = auditguard(&root, &["fix", "--backup"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        scenario::output_text(&out)
    );
    let bak = root.join(format!("{RULES}.bak"));
    assert_eq!(fs::read(&bak).expect("NAME.bak exists"), old);
    assert_ne!(
        fs::read(root.join(RULES)).unwrap(),
        old,
        "the file was edited"
    );
    // augenrules ignores the .bak (it does not end in .rules): check still passes.
    assert_eq!(auditguard(&root, &["check"]).status.code(), Some(0));
}

/// `setfattr` present, or installed with apt-get; `None` with the reason to skip.
fn have_attr_tools() -> Result<(), String> {
    let present = || Command::new("setfattr").arg("--version").output().is_ok();
    if present() {
        return Ok(());
    }
    let is_root = fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if is_root && Command::new("apt-get").arg("--version").output().is_ok() {
        let _ = Command::new("sh")
            .args([
                "-c",
                "apt-get install -y -qq attr >/dev/null 2>&1 || \
                 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq attr >/dev/null 2>&1)",
            ])
            .status();
    }
    if present() {
        Ok(())
    } else {
        Err("setfattr missing (Debian package attr) and it could not be installed".into())
    }
}

#[test]
fn mode_owner_and_user_xattr_survive_an_edit() {
    let (_d, root) = root_of(MISSING_B32);
    let file = root.join(RULES);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o604)).unwrap();
    let is_root = fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if is_root {
        std::os::unix::fs::chown(&file, Some(1000), Some(1001)).expect("chown");
    } else {
        println!("owner part skipped: not root");
    }
    let xattr = match have_attr_tools() {
        Err(why) => {
            println!("xattr part skipped: {why}");
            false
        }
        Ok(()) => {
            let set = Command::new("setfattr")
                .args(["-n", "user.test", "-v", "kept"])
                .arg(&file)
                .output()
                .unwrap();
            if !set.status.success() {
                println!(
                    "xattr part skipped: this file system refuses user xattrs: {}",
                    String::from_utf8_lossy(&set.stderr)
                );
            }
            set.status.success()
        }
    };
    let before = fs::metadata(&file).unwrap();
    let old = fs::read(&file).unwrap();
    let out = auditguard(&root, &["fix"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        scenario::output_text(&out)
    );
    assert_ne!(fs::read(&file).unwrap(), old, "the file was edited");
    let after = fs::metadata(&file).unwrap();
    assert_ne!(after.ino(), before.ino(), "written by rename, not in place");
    assert_eq!(after.mode() & 0o7777, 0o604, "mode");
    assert_eq!(
        (after.uid(), after.gid()),
        (before.uid(), before.gid()),
        "owner"
    );
    if xattr {
        let get = Command::new("getfattr")
            .args(["--only-values", "-n", "user.test"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&get.stdout),
            "kept",
            "user.test xattr"
        );
    }
}

/// A rules.d symlink whose absolute target exists outside the root (fully compliant there)
/// and, at the same path inside the root, as a file missing b32.
#[test]
fn a_symlink_out_of_the_root_is_never_read_or_written() {
    let (dir, root) = root_of(MISSING_B32);
    let outside = dir.path().join("outside/modules.rules");
    fs::create_dir_all(outside.parent().unwrap()).unwrap();
    let outside_bytes =
        b"-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules\n\
-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -F key=modules\n";
    fs::write(&outside, outside_bytes).unwrap();
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o640)).unwrap();
    let outside_meta = fs::metadata(&outside).unwrap();
    // The same absolute path inside the root: b64 only.
    let inside = root.join(outside.strip_prefix("/").unwrap());
    fs::create_dir_all(inside.parent().unwrap()).unwrap();
    fs::rename(root.join(RULES), &inside).unwrap();
    symlink(&outside, root.join(RULES)).unwrap();
    let inside_old = fs::read(&inside).unwrap();

    // Under strace (when installed), no file system call names the outside path: readlink
    // results may show it, but nothing opens, stats or renames it.
    let outside_s = outside.to_str().unwrap().to_string();
    match Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%file,%desc", "-o"])
        .arg(dir.path().join("trace"))
        .arg(env!("CARGO_BIN_EXE_auditguard"))
        .args(["fix", "--dry-run", "--root"])
        .arg(&root)
        .output()
    {
        Ok(o) if o.status.code().is_some() && dir.path().join("trace").exists() => {
            let trace = fs::read_to_string(dir.path().join("trace")).unwrap();
            let bad: Vec<&str> = trace
                .lines()
                .filter(|l| l.contains(&format!("\"{outside_s}\"")) && !l.contains("readlink"))
                .collect();
            assert!(
                bad.is_empty(),
                "the outside file was touched:\n{}",
                bad.join("\n")
            );
        }
        _ => println!("strace part skipped: strace is not installed"),
    }

    // What counts is the file inside the root: b32 is missing. The line would go into the
    // file the link leads to, which is not under /etc/audit/: blocked, naming the link, and
    // nothing is written inside the root or outside it.
    let check = auditguard(&root, &["check"]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "{}",
        scenario::output_text(&check)
    );
    let out = auditguard(&root, &["fix"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        scenario::output_text(&out)
    );
    assert!(
        scenario::output_text(&out).contains("/etc/audit/rules.d/50-modules.rules"),
        "{}",
        scenario::output_text(&out)
    );
    assert_eq!(
        fs::read(&outside).unwrap(),
        outside_bytes,
        "the outside file changed"
    );
    let m = fs::metadata(&outside).unwrap();
    assert_eq!(
        (m.ino(), m.mode()),
        (outside_meta.ino(), outside_meta.mode())
    );
    let atime_untouched = m.atime() == outside_meta.atime();
    assert_eq!(
        fs::read(&inside).unwrap(),
        inside_old,
        "the inside target changed"
    );
    assert!(
        fs::symlink_metadata(root.join(RULES))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    let left: Vec<_> = fs::read_dir(outside.parent().unwrap()).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing created beside the outside file");
    if !atime_untouched {
        println!("note: the outside file's atime moved (relatime or a reader)");
    }

    // Dangling inside the root: the loader reads nothing through it (augenrules' `cat`
    // fails and goes on), so the fix writes elsewhere — and still nothing outside.
    fs::remove_file(&inside).unwrap();
    let out = auditguard(&root, &["fix"]);
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "{}",
        scenario::output_text(&out)
    );
    assert_eq!(fs::read(&outside).unwrap(), outside_bytes);
    assert_eq!(fs::read_dir(outside.parent().unwrap()).unwrap().count(), 1);
    assert!(!inside.exists(), "the dangling target was created");
    if out.status.code() == Some(0) {
        assert_eq!(auditguard(&root, &["check"]).status.code(), Some(0));
    }
}

/// Non-comment lines of every rules.d file, with how often each occurs.
fn rule_lines(root: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(root.join("etc/audit/rules.d")).unwrap() {
        let p = e.unwrap().path();
        for l in String::from_utf8_lossy(&fs::read(&p).unwrap()).lines() {
            if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
                *out.entry(l.to_string()).or_default() += 1;
            }
        }
    }
    out
}

#[test]
fn two_runs_at_once_give_one_runs_result() {
    let cac_default = "# empty
verdict: fail
--- host augenrules
--- file /etc/audit/audit.rules
";
    for (name, scenario) in [("missing-b32", MISSING_B32), ("cac-default", cac_default)] {
        let (_s, single) = root_of(scenario);
        let out = auditguard(&single, &["fix"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            scenario::output_text(&out)
        );
        let want = scenario::snapshot(&single);
        for round in 0..8 {
            let (_d, root) = root_of(scenario);
            let spawn = || {
                Command::new(env!("CARGO_BIN_EXE_auditguard"))
                    .args(["fix", "--root"])
                    .arg(&root)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            };
            let (a, b) = (spawn(), spawn());
            let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
            assert_eq!(
                a.status.code(),
                Some(0),
                "{name} #{round} A: {}",
                scenario::output_text(&a)
            );
            assert_eq!(
                b.status.code(),
                Some(0),
                "{name} #{round} B: {}",
                scenario::output_text(&b)
            );
            let dups: Vec<_> = rule_lines(&root)
                .into_iter()
                .filter(|(_, n)| *n > 1)
                .collect();
            assert!(dups.is_empty(), "{name} #{round}: duplicate lines {dups:?}");
            // The lock file may be left behind; compare everything else.
            let got: BTreeMap<_, _> = scenario::snapshot(&root)
                .into_iter()
                .filter(|(p, _)| want.contains_key(p) || !is_lock_file(p))
                .collect();
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                want.keys().collect::<Vec<_>>(),
                "{name} #{round}: other files"
            );
            assert!(
                got == want,
                "{name} #{round}: result differs from a single run"
            );
        }
    }
}

fn is_lock_file(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().contains("lock"))
}

#[test]
fn json_follows_fix_1_and_text_names_the_blocker() {
    let (_d, root) = root_of(MISSING_B32);
    let out = auditguard(&root, &["fix", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        scenario::output_text(&out)
    );
    let j: Value = serde_json::from_slice(&out.stdout).expect("fix --format json parses");
    validate::report(&out.stdout);
    assert_eq!(j["schema"], "auditguard/fix/1");
    assert_eq!(j["changed"], true);
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["blockers"], Value::Array(vec![]));
    let steps = j["steps"].as_array().expect("steps[]");
    assert!(!steps.is_empty());
    for s in steps {
        assert!(s["why"].as_str().is_some_and(|w| !w.is_empty()), "{s}");
        let files = s["files"].as_array().expect("files[]");
        assert!(files
            .iter()
            .all(|f| f.as_str().is_some_and(|f| f.starts_with('/'))));
    }
    assert!(j["diff"].as_str().unwrap().starts_with("--- a/"));
    // Nothing left to do: changed false, no steps, still pass.
    let again_out = auditguard(&root, &["fix", "--format", "json"]).stdout;
    validate::report(&again_out);
    let again: Value = serde_json::from_slice(&again_out).unwrap();
    assert_eq!(again["changed"], false);
    assert_eq!(again["steps"], Value::Array(vec![]));
    assert_eq!(again["diff"], "");

    let (_d, root) = root_of(BLOCKED);
    let before = scenario::snapshot(&root);
    let out = auditguard(&root, &["fix", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        scenario::output_text(&out)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate::report(&out.stdout);
    assert_eq!(j["verdict"], "fail");
    assert_eq!(j["changed"], false);
    let blockers = j["blockers"].as_array().unwrap();
    assert!(
        blockers
            .iter()
            .any(|b| b.as_str().unwrap().contains("10-no-audit.rules:1")),
        "{blockers:?}"
    );
    let out = auditguard(&root, &["fix"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("blocked: ") && stdout.contains("10-no-audit.rules:1"),
        "{stdout}"
    );
    assert_eq!(
        scenario::snapshot(&root),
        before,
        "blocked runs write nothing"
    );
}

/// finit_module is advice for the seed control: on a root where only it is missing (the
/// control passes, with a warning), `fix` writes nothing — it completes the control's rules
/// with finit_module only when it edits them (tests/fix/finit-completed-*.scenario).
#[test]
fn advice_alone_is_not_fixed() {
    let (_d, root) = root_of(
        "# only finit_module missing
verdict: pass
--- host augenrules
--- file /etc/audit/rules.d/50-modules.rules
-a always,exit -F arch=b64 -S init_module,delete_module -F key=modules
-a always,exit -F arch=b32 -S init_module,delete_module -F key=modules
--- tool-watches /etc/audit/rules.d/60-tools.rules
",
    );
    let before = scenario::snapshot(&root);
    let check = auditguard(&root, &["check"]);
    let text = scenario::output_text(&check);
    assert_eq!(check.status.code(), Some(0), "{text}");
    assert!(text.contains("warning: b64 finit_module"), "{text}");
    let out = auditguard(&root, &["fix"]);
    let text = scenario::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(scenario::snapshot(&root), before, "fix wrote:\n{text}");
}
