//! `auditguard fix` on hostile roots (issue 9, items 1–4 and 12): each test builds the hostile
//! input in a temporary root and asserts the safe outcome.
//!
//! - writes only the audit rules files the loader reads: a `rules.d` link to `/etc/shadow`, a
//!   unit loading `auditctl -R /etc/passwd`, an `audit.rules` link to `/etc/passwd`, a
//!   symlinked `/etc/audit`, a link out of `/etc/audit` — blocked, naming the path, nothing
//!   written (plain and `--repair`);
//! - a racing editor appending to the file `fix` edits never loses a line: `fix` either keeps it
//!   or fails with "changed since the plan was made";
//! - a kill loop: `fix` of a two-file fix (a line moved between files, in files whose byte
//!   order is not their load order) killed at random points never leaves the root recording
//!   fewer events, and stale temporary files are neither cited by `check` nor left by the next
//!   `fix`;
//! - `fix --root DIR --load` is refused before anything is written or loaded;
//! - a report that cannot be written after the files were does not make `fix` exit 2; a
//!   `--backup` name over NAME_MAX fails before any write and leaves no `.bak`.

#[path = "common/scenario.rs"]
mod scenario;
#[path = "common/validate.rs"]
mod validate;

use serde_json::Value;
use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_auditguard");
const UNIT: &str = "usr/lib/systemd/system/auditd.service";

/// b32 missing: the fix adds one line to 50-modules.rules.
const MISSING_B32: &str = "# b32 missing
verdict: fail
--- host augenrules
--- file /etc/audit/rules.d/50-modules.rules mode=0640
## modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules
--- tool-watches /etc/audit/rules.d/60-tools.rules
";

/// A two-file fix: the keyed b64 rule, last in 10-modules.rules, is shadowed for init_module
/// by the never rule in 9-quiet.rules (loaded first: augenrules sorts by version, `9` before
/// `10`), so the fix moves it before the never rule. Byte order puts 10-modules.rules (which
/// loses the line) first; committing it first would lose b64 finit_module and delete_module.
/// Committing 9-quiet.rules first holds the line twice: the load stops at the second copy
/// ("Rule exists"), which is the last line, so nothing is lost.
const TWO_FILES: &str = "# two files
verdict: fail
--- host augenrules
--- tool-watches /etc/audit/rules.d/5-tools.rules
--- file /etc/audit/rules.d/9-quiet.rules
-a never,exit -F arch=b64 -S init_module
--- file /etc/audit/rules.d/10-modules.rules
-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -F key=modules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules
";

/// The same move with rules after the moved line: no commit order of a move keeps every
/// event recorded (the duplicate stops the load before the b32 rule and the watches), so the
/// fix inserts a rule for what is shadowed instead, in one file.
const MOVE_UNSAFE: &str = "# move unsafe
verdict: fail
--- host augenrules
--- file /etc/audit/rules.d/9-quiet.rules
-a never,exit -F arch=b64 -S init_module
--- file /etc/audit/rules.d/10-modules.rules
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules
-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -F key=modules
--- tool-watches /etc/audit/rules.d/60-tools.rules
";

fn root_of(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    fs::create_dir(&root).expect("mkdir root");
    let s = scenario::parse_scenario("hostile", text);
    scenario::build(&root, &s.sections);
    (dir, root)
}

fn run(root: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("run auditguard")
}

// ---------------------------------------------------------------------------------------------
// Item 1: only audit rules files the loader reads.

/// Plain `fix` and `fix --repair` on `root` are blocked naming `named`, and change nothing.
fn assert_blocked_naming(root: &Path, named: &str) {
    let before = scenario::snapshot(root);
    for args in [
        &["fix"][..],
        &["fix", "--repair"][..],
        &["fix", "--repair", "--backup"][..],
    ] {
        let out = run(root, args);
        let all = scenario::output_text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {all}");
        assert_eq!(
            scenario::snapshot(root),
            before,
            "{args:?} changed the tree: {all}"
        );
        if args.contains(&"--repair") {
            assert!(all.contains(named), "{args:?} does not name {named}: {all}");
            assert!(
                all.contains("fix only writes the audit rules files"),
                "{args:?}: {all}"
            );
        }
    }
    let json = run(root, &["fix", "--repair", "--format", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).expect("json");
    validate::report(&json.stdout);
    assert_eq!(v["changed"], false, "{v}");
    assert!(v["blockers"].to_string().contains(named), "{v}");
}

#[test]
fn a_rules_d_link_to_shadow_is_never_written() {
    let (_dir, root) = root_of(MISSING_B32);
    fs::write(
        root.join("etc/shadow"),
        "root:$y$j9T$abc$def:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    )
    .unwrap();
    symlink(
        "/etc/shadow",
        root.join("etc/audit/rules.d/40-accounts.rules"),
    )
    .unwrap();
    assert_blocked_naming(&root, "/etc/audit/rules.d/40-accounts.rules");
    // A relative link, and one through a symlinked directory, are the same kind.
    fs::remove_file(root.join("etc/audit/rules.d/40-accounts.rules")).unwrap();
    symlink(
        "../../shadow",
        root.join("etc/audit/rules.d/40-accounts.rules"),
    )
    .unwrap();
    assert_blocked_naming(&root, "/etc/audit/rules.d/40-accounts.rules");
}

#[test]
fn an_auditctl_rules_file_outside_etc_audit_is_never_written() {
    let (_dir, root) = root_of(MISSING_B32);
    let unit = root.join(UNIT);
    let text = fs::read_to_string(&unit).unwrap().replace(
        "ExecStartPost=-/sbin/augenrules --load\n",
        "ExecStartPost=-/sbin/auditctl -R /etc/passwd\n",
    );
    fs::write(&unit, text).unwrap();
    assert_blocked_naming(&root, "/etc/passwd");
    let passwd = fs::read_to_string(root.join("etc/passwd")).unwrap();
    assert!(passwd.starts_with("root:x:0:0:"), "{passwd}");
}

#[test]
fn an_audit_rules_link_to_passwd_is_never_written() {
    let (_dir, root) = root_of(MISSING_B32);
    let unit = root.join(UNIT);
    let text = fs::read_to_string(&unit).unwrap().replace(
        "ExecStartPost=-/sbin/augenrules --load\n",
        "ExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules\n",
    );
    fs::write(&unit, text).unwrap();
    symlink("/etc/passwd", root.join("etc/audit/audit.rules")).unwrap();
    assert_blocked_naming(&root, "/etc/audit/audit.rules");
}

#[test]
fn a_rules_file_reached_through_a_link_out_of_etc_audit_is_never_written() {
    // The file that needs the new line is a link to a file elsewhere inside the root.
    let (_dir, root) = root_of(MISSING_B32);
    let rules = root.join("etc/audit/rules.d/50-modules.rules");
    fs::create_dir_all(root.join("usr/share/hardening")).unwrap();
    fs::rename(&rules, root.join("usr/share/hardening/modules.rules")).unwrap();
    symlink("/usr/share/hardening/modules.rules", &rules).unwrap();
    assert_blocked_naming(&root, "/etc/audit/rules.d/50-modules.rules");

    // /etc/audit itself a symlink to a directory elsewhere.
    let (_dir, root) = root_of(MISSING_B32);
    fs::create_dir_all(root.join("data")).unwrap();
    fs::rename(root.join("etc/audit"), root.join("data/audit")).unwrap();
    symlink("../data/audit", root.join("etc/audit")).unwrap();
    assert_blocked_naming(&root, "/etc/audit/rules.d/50-modules.rules");
}

// ---------------------------------------------------------------------------------------------
// Item 2: a racing editor never loses a line.

#[test]
fn a_racing_editor_never_loses_a_line() {
    let rounds: usize = std::env::var("AUDITGUARD_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let (mut kept, mut refused) = (0, 0);
    for round in 0..rounds {
        let (_dir, root) = root_of(MISSING_B32);
        let file = root.join("etc/audit/rules.d/50-modules.rules");
        let stop = Arc::new(AtomicBool::new(false));
        let editor = {
            let (file, stop) = (file.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut written = Vec::new();
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let line = format!("# editor {round} line {n}\n");
                    let mut f = fs::OpenOptions::new().append(true).open(&file).unwrap();
                    f.write_all(line.as_bytes()).unwrap();
                    drop(f);
                    written.push(line);
                    n += 1;
                    // Even rounds: a busy editor (most runs see the change before writing);
                    // odd rounds: a line every few milliseconds (most runs reach the swap).
                    let pause = if round % 2 == 0 {
                        50 + (n % 5) * 40
                    } else {
                        1000 + (n * 7919 + round as u32 * 104_729) % 7000
                    };
                    std::thread::sleep(Duration::from_micros(pause as u64));
                }
                written
            })
        };
        let out = run(&root, &["fix"]);
        stop.store(true, Ordering::Relaxed);
        let written = editor.join().unwrap();
        // Lines written through the name while fix's version held it are appended to the file,
        // or kept beside it (named in the error) when they were not plain appends.
        let recovered = file.with_file_name("50-modules.rules.auditguard-recovered");
        let kept_beside = fs::read_to_string(&recovered).unwrap_or_default();
        if !kept_beside.is_empty() {
            assert!(
                scenario::output_text(&out).contains("auditguard-recovered"),
                "round {round}: lines kept beside the file, and the error does not say so"
            );
            let _ = fs::remove_file(&recovered);
        }
        let now = fs::read_to_string(&file).unwrap() + &kept_beside;
        let lost: Vec<&String> = written
            .iter()
            .filter(|l| !now.contains(l.as_str()))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} editor lines lost ({:?}...)\n{}\nfile now:\n{now}",
            lost.len(),
            lost.first(),
            scenario::output_text(&out)
        );
        match out.status.code() {
            Some(0) => kept += 1,
            _ => {
                assert!(
                    scenario::output_text(&out).contains("changed since the plan was made"),
                    "round {round}: {}",
                    scenario::output_text(&out)
                );
                refused += 1;
            }
        }
        assert_no_temps(&root.join("etc/audit"));
    }
    println!("racing editor: {rounds} rounds, fix wrote {kept}, refused {refused}, no line lost");
}

/// The window the racing editor hits rarely, held open: a writer holding the file open since
/// before fix read it writes after the swap (so fix swaps its version back out), and another
/// appends through the name while fix's version holds it. Both lines end up in the file;
/// nothing is kept aside and no temp is left.
#[test]
fn a_line_appended_while_fix_held_the_name_is_not_lost() {
    let (_dir, root) = root_of(MISSING_B32);
    let file = root.join("etc/audit/rules.d/50-modules.rules");
    let mut held = fs::OpenOptions::new().append(true).open(&file).unwrap();
    let child = std::process::Command::new(BIN)
        .args(["fix", "--root"])
        .arg(&root)
        .env("AUDITGUARD_TEST_SWAP_DELAY_MS", "1500")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Inside the swap delay: the name holds fix's version.
    std::thread::sleep(Duration::from_millis(800));
    held.write_all(b"# through the old file\n").unwrap();
    let mut f = fs::OpenOptions::new().append(true).open(&file).unwrap();
    f.write_all(b"# while fix held the name\n").unwrap();
    drop(f);
    drop(held);
    let out = child.wait_with_output().unwrap();
    let text = scenario::output_text(&out);
    let now = fs::read_to_string(&file).unwrap();
    assert!(now.contains("# through the old file\n"), "{now}\n{text}");
    assert!(now.contains("# while fix held the name\n"), "{now}\n{text}");
    assert!(!now.contains("-F arch=b32"), "fix's version stayed: {now}");
    assert!(text.contains("changed since the plan was made"), "{text}");
    assert_no_temps(&root.join("etc/audit"));
}

// ---------------------------------------------------------------------------------------------
// Item 3: crash consistency.

/// Required events recorded with a key, by `check --format json`.
fn recorded(root: &Path) -> (usize, String) {
    let out = run(root, &["check", "--format", "json"]);
    let all = scenario::output_text(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {all}"));
    validate::report(&out.stdout);
    let mut n = 0;
    for c in v["controls"].as_array().unwrap() {
        for r in c["requirements"].as_array().unwrap() {
            n += r["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["verdict"] == "pass")
                .count();
        }
    }
    (n, all)
}

fn temps_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(temps_in(&p));
        } else if p.to_string_lossy().contains(".auditguard-") {
            out.push(p);
        }
    }
    out
}

fn assert_no_temps(dir: &Path) {
    let t = temps_in(dir);
    assert!(t.is_empty(), "temporary files left: {t:?}");
}

#[test]
fn a_two_file_fix_commits_the_gaining_file_first() {
    let (_dir, root) = root_of(TWO_FILES);
    let out = run(&root, &["fix", "--dry-run", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    validate::report(&out.stdout);
    let diff = v["diff"].as_str().unwrap();
    let gain = diff.find("b/etc/audit/rules.d/9-quiet.rules").expect(diff);
    let lose = diff
        .find("b/etc/audit/rules.d/10-modules.rules")
        .expect(diff);
    assert!(
        gain < lose,
        "the file that gains the line comes first:\n{diff}"
    );
    // Committing only the first file of the order keeps every recorded event.
    let (before, _) = recorded(&root);
    let fixed = {
        let (_d2, r2) = root_of(TWO_FILES);
        let out = run(&r2, &["fix"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            scenario::output_text(&out)
        );
        fs::read(r2.join("etc/audit/rules.d/9-quiet.rules")).unwrap()
    };
    fs::write(root.join("etc/audit/rules.d/9-quiet.rules"), fixed).unwrap();
    let (half, all) = recorded(&root);
    assert!(
        half >= before,
        "after the first commit {half} < {before}: {all}"
    );
}

#[test]
fn a_move_no_commit_order_keeps_safe_becomes_a_one_file_fix() {
    let (_dir, root) = root_of(MOVE_UNSAFE);
    let out = run(&root, &["fix", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        scenario::output_text(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    validate::report(&out.stdout);
    let files: Vec<&Value> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["files"].as_array().unwrap())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| *f == "/etc/audit/rules.d/9-quiet.rules"),
        "{v}"
    );
}

#[test]
fn killed_at_random_points_the_root_never_records_less() {
    let rounds: usize = std::env::var("AUDITGUARD_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let (_d0, r0) = root_of(TWO_FILES);
    let (before, _) = recorded(&r0);
    // How long an undisturbed run takes with the injected delay between commits.
    let delay_ms = 20;
    let t = Instant::now();
    let out = Command::new(BIN)
        .args(["fix", "--root"])
        .arg(&r0)
        .env("AUDITGUARD_TEST_COMMIT_DELAY_MS", delay_ms.to_string())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        scenario::output_text(&out)
    );
    let span = t.elapsed().as_micros() as u64 + 1;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(std::process::id());
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut states = std::collections::BTreeSet::new();
    for round in 0..rounds {
        let (_dir, root) = root_of(TWO_FILES);
        let mut cmd = Command::new(BIN);
        cmd.args(["fix", "--root"])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Half the rounds with the delay between commits, half at native speed.
        if round % 2 == 0 {
            cmd.env("AUDITGUARD_TEST_COMMIT_DELAY_MS", delay_ms.to_string());
        }
        let mut child = cmd.spawn().unwrap();
        let at = if round % 2 == 0 {
            rand(span)
        } else {
            rand(span / 2 + 1)
        };
        std::thread::sleep(Duration::from_micros(at));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let (now, all) = recorded(&root);
        assert!(
            now >= before,
            "round {round}: killed after {at}µs ({status}): {now} events recorded, {before} before\n{all}"
        );
        assert!(
            !all.contains(".auditguard-"),
            "round {round}: a temporary file is cited:\n{all}"
        );
        let rules = root.join("etc/audit/rules.d");
        states.insert((
            fs::read(rules.join("9-quiet.rules")).unwrap().len(),
            fs::read(rules.join("10-modules.rules")).unwrap().len(),
            temps_in(&rules).len(),
        ));
        // The next run finishes the job and leaves nothing behind.
        let out = run(&root, &["fix"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            scenario::output_text(&out)
        );
        assert_no_temps(&root.join("etc/audit"));
        assert!(recorded(&root).0 >= now);
    }
    println!(
        "kill loop: {rounds} rounds, states seen (sizes of 9-quiet, 10-modules, temps): {states:?}"
    );
}

#[test]
fn stale_temp_files_are_not_cited_and_are_removed() {
    for host in ["augenrules", "auditctl"] {
        let (_dir, root) =
            root_of(&MISSING_B32.replace("host augenrules", &format!("host {host}")));
        let d = root.join("etc/audit/rules.d");
        if host == "auditctl" {
            fs::write(
                root.join("etc/audit/audit.rules"),
                "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules\n",
            )
            .unwrap();
        }
        // What a run killed after writing its temporary file leaves.
        let stale = d.join(".50-modules.rules.auditguard-0badc0de");
        fs::write(
            &stale,
            "-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -F key=modules\n",
        )
        .unwrap();
        let bak = root.join("etc/audit/.audit.rules.bak.auditguard-00c0ffee");
        fs::write(&bak, "-D\n").unwrap();
        let check = run(&root, &["check"]);
        assert!(
            !scenario::output_text(&check).contains("auditguard-"),
            "{host}: {}",
            scenario::output_text(&check)
        );
        let dry = run(&root, &["fix", "--dry-run"]);
        assert!(
            stale.exists() && bak.exists(),
            "--dry-run removed something"
        );
        assert!(
            !scenario::output_text(&dry).contains("auditguard-"),
            "{host}: {}",
            scenario::output_text(&dry)
        );
        let out = run(&root, &["fix"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{host}: {}",
            scenario::output_text(&out)
        );
        assert_no_temps(&root.join("etc/audit"));
    }
}

// ---------------------------------------------------------------------------------------------
// Item 4: --load never takes another system's rules into this kernel.

#[test]
fn fix_load_with_another_root_is_refused_before_anything() {
    let (_dir, root) = root_of(MISSING_B32);
    let before = scenario::snapshot(&root);
    for args in [&["fix", "--load"][..], &["fix", "--load", "--dry-run"][..]] {
        // strace (when present) shows that no audit netlink socket is opened.
        let out = run(&root, args);
        let all = scenario::output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(
            all.contains("--load") && all.contains("nothing was written or loaded"),
            "{all}"
        );
        assert_eq!(scenario::snapshot(&root), before, "{all}");
    }
    if let Ok(o) = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=socket",
            "-o",
            "/dev/stdout",
            BIN,
            "fix",
            "--load",
            "--root",
        ])
        .arg(&root)
        .output()
    {
        let trace = String::from_utf8_lossy(&o.stdout);
        assert!(!trace.contains("AF_NETLINK"), "{trace}");
    }
    // A root that is this host's / (after symlinks) is the host: not refused for that reason
    // (not run here: it would write this host's /etc/audit).
}

// ---------------------------------------------------------------------------------------------
// Item 12: late failures.

#[test]
fn a_failing_stdout_after_the_write_is_not_an_error() {
    let (_dir, root) = root_of(MISSING_B32);
    let full = fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        println!("skipped: no /dev/full");
        return;
    };
    for format in ["text", "json"] {
        let (_dir, root) = root_of(MISSING_B32);
        let out = Command::new(BIN)
            .args(["fix", "--format", format, "--root"])
            .arg(&root)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
        assert!(err.contains("the files were written"), "{err}");
        let now = fs::read_to_string(root.join("etc/audit/rules.d/50-modules.rules")).unwrap();
        assert!(now.contains("arch=b32"), "{now}");
    }
    // Nothing written (a dry run): a failing stdout stays an error.
    let out = Command::new(BIN)
        .args(["fix", "--dry-run", "--root"])
        .arg(&root)
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        scenario::output_text(&out)
    );
}

#[test]
fn a_backup_name_over_name_max_fails_before_any_write() {
    // 252 bytes: NAME.bak would be 256, one over NAME_MAX.
    let long = format!("1{}.rules", "m".repeat(245));
    assert_eq!(long.len(), 252);
    let (_dir, root) = root_of(&MISSING_B32.replace("50-modules.rules", &long));
    let before = scenario::snapshot(&root);
    let out = run(&root, &["fix", "--backup"]);
    let all = scenario::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains(".bak") && all.contains("File name too long"),
        "{all}"
    );
    assert_eq!(scenario::snapshot(&root), before, "{all}");
    // Without --backup the same fix works.
    let out = run(&root, &["fix"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        scenario::output_text(&out)
    );
}

#[test]
fn error_messages_say_their_cause_once() {
    // An immutable file: the rename is refused with EPERM (needs root and chattr).
    let (_dir, root) = root_of(MISSING_B32);
    let file = root.join("etc/audit/rules.d/50-modules.rules");
    let ok = Command::new("chattr")
        .arg("+i")
        .arg(&file)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped: chattr +i not possible here (needs root and a file system with it)");
        return;
    }
    let out = run(&root, &["fix"]);
    let _ = Command::new("chattr").arg("-i").arg(&file).status();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("Operation not permitted"), "{err}");
    assert_eq!(err.matches("Operation not permitted").count(), 1, "{err}");
}
