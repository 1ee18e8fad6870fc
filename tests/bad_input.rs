//! Bad input never panics, never hangs, never reads outside `--root`, and is named.
//!
//! Each test builds a compliant x86_64 root (augenrules, module rules in
//! `rules.d/50-modules.rules`), spoils it one way, and runs `check` (JSON and text), `rules`
//! and `merge` on it: no panic, an exit code of 0, 1 or 2 as the case demands, and a message
//! that names the offending path.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const UNIT: &str = "[Service]\nType=forking\nExecStart=/sbin/auditd\n\
                    ExecStartPost=-/sbin/augenrules --load\n";
const DROPIN: &str =
    "[Service]\nExecStartPost=\nExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules\n";
const MODULE_RULES: &str = "\
-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules
-a always,exit -F arch=b32 -S init_module,finit_module,delete_module -F key=modules
-w /usr/sbin/insmod -p x -k modules
-w /usr/sbin/rmmod -p x -k modules
-w /usr/sbin/modprobe -p x -k modules
";

/// A temporary directory holding `root/` (the target) and room outside it.
struct Target {
    dir: tempfile::TempDir,
}

impl Target {
    /// A compliant root.
    fn new() -> Target {
        let t = Target {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        elf[18] = 62;
        t.write("/bin/sh", &elf);
        t.write("/etc/login.defs", b"UID_MIN 1000\n");
        t.write("/etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n");
        t.write("/usr/lib/systemd/system/auditd.service", UNIT.as_bytes());
        for tool in ["insmod", "rmmod", "modprobe"] {
            t.write(&format!("/usr/sbin/{tool}"), b"tool\n");
        }
        t.write(
            "/etc/audit/rules.d/50-modules.rules",
            MODULE_RULES.as_bytes(),
        );
        t
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn real(&self, path: &str) -> PathBuf {
        self.root().join(path.trim_start_matches('/'))
    }

    fn write(&self, path: &str, bytes: &[u8]) {
        let p = self.real(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir -p");
        fs::write(p, bytes).expect("write");
    }

    fn symlink(&self, path: &str, target: impl AsRef<Path>) {
        let p = self.real(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir -p");
        symlink(target, p).expect("symlink");
    }

    /// Switch the loader to `auditctl -R /etc/audit/audit.rules` with a drop-in.
    fn auditctl_mode(&self) {
        self.write(
            "/etc/systemd/system/auditd.service.d/auditctl.conf",
            DROPIN.as_bytes(),
        );
    }
}

/// What one run produced.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn json(&self) -> Value {
        let v = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("no JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        });
        common::validate::report(self.stdout.as_bytes());
        v
    }
    fn both(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn run(args: &[&str], root: &Path) -> Run {
    let start = Instant::now();
    let out = Command::cargo_bin("auditguard")
        .expect("binary")
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(20))
        .output()
        .expect("run auditguard");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "auditguard {args:?} panicked:\n{}",
        run.stderr
    );
    assert!(
        run.code.is_some(),
        "auditguard {args:?} did not exit (killed after the timeout?) in {:?}:\n{}",
        run.elapsed,
        run.both()
    );
    run
}

/// `check --format json`, plus `check` (text), `rules` and `merge`, which must not panic or
/// hang either. Returns the JSON run.
fn check(t: &Target) -> Run {
    let root = t.root();
    run(&["check"], &root);
    run(&["rules"], &root);
    run(&["merge"], &root);
    run(&["check", "--format", "json"], &root)
}

/// `check` in text.
fn check_text(t: &Target) -> String {
    run(&["check"], &t.root()).stdout
}

fn load_errors(j: &Value) -> String {
    j["load_errors"].to_string()
}

fn event_key_bytes(j: &Value, label: &str) -> Option<Vec<u8>> {
    common::json_bytes(
        &j["controls"][0]["requirements"]
            .as_array()?
            .iter()
            .flat_map(|r| r["events"].as_array().into_iter().flatten())
            .find(|e| e["event"] == label)?["key"],
    )
}

fn event_key(j: &Value, label: &str) -> Option<String> {
    event_key_bytes(j, label).map(|k| String::from_utf8_lossy(&k).into_owned())
}

#[test]
fn compliant_base_passes() {
    let t = Target::new();
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
}

#[test]
fn binary_file_after_ours_is_a_named_load_error() {
    let t = Target::new();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    t.write("/etc/audit/rules.d/90-binary.rules", &bytes);
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
    let errs = load_errors(&r.json());
    assert!(
        errs.contains("/etc/audit/rules.d/90-binary.rules"),
        "{errs}"
    );
}

#[test]
fn binary_file_before_ours_stops_the_load() {
    let t = Target::new();
    t.write(
        "/etc/audit/rules.d/10-binary.rules",
        b"\x7fELF\x02\x01\x01\0\0\0\xff\xfe\n",
    );
    let r = check(&t);
    assert_eq!(r.code, Some(1), "{}", r.both());
    let j = r.json();
    assert!(load_errors(&j).contains("10-binary.rules"), "{}", r.stdout);
    assert!(r.stdout.contains("never loaded"), "{}", r.stdout);
}

#[test]
fn invalid_utf8_key_is_still_a_key() {
    let t = Target::new();
    // Keys `mod\xff\xfe`, a comment and a watched path that are not UTF-8.
    let mut bytes = Vec::new();
    for line in MODULE_RULES.lines() {
        bytes.extend_from_slice(line.replace("modules", "mod").as_bytes());
        bytes.extend_from_slice(b"\xff\xfe\n");
    }
    bytes.extend_from_slice(b"## caf\xe9 \xc3\x28\n-w /etc/\xff\xfe -p wa -k bad\xc3\n");
    t.write("/etc/audit/rules.d/50-modules.rules", &bytes);
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
    // The key keeps its exact bytes in JSON (a base64 object, not U+FFFD) ...
    let key = event_key_bytes(&r.json(), "b64 init_module").expect("a key");
    assert_eq!(key, b"mod\xff\xfe", "{}", r.stdout);
    // ... and shows escaped in text.
    let text = check_text(&t);
    assert!(text.contains("key \"mod\\xff\\xfe\""), "{text}");
}

#[test]
fn ten_megabyte_line_is_fast_and_named() {
    let t = Target::new();
    let mut line = b"-w /etc/passwd -p wa -k ".to_vec();
    line.resize(10 * 1024 * 1024, b'a');
    line.push(b'\n');
    t.write("/etc/audit/rules.d/90-huge.rules", &line);
    let r = run(&["check", "--format", "json"], &t.root());
    assert!(
        r.elapsed < Duration::from_secs(3),
        "a 10 MB line took {:?}",
        r.elapsed
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(load_errors(&r.json()).contains("90-huge.rules"));
    // The other commands too.
    for cmd in [&["rules"][..], &["merge"], &["check"]] {
        let r = run(cmd, &t.root());
        assert!(
            r.elapsed < Duration::from_secs(3),
            "{cmd:?} took {:?}",
            r.elapsed
        );
    }
}

#[test]
fn ten_megabyte_line_before_ours_fails() {
    let t = Target::new();
    let mut line = b"-a always,exit -F arch=b64 -S ".to_vec();
    line.resize(10 * 1024 * 1024, b'x');
    line.push(b'\n');
    t.write("/etc/audit/rules.d/10-huge.rules", &line);
    let r = run(&["check", "--format", "json"], &t.root());
    assert!(r.elapsed < Duration::from_secs(3), "took {:?}", r.elapsed);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(load_errors(&r.json()).contains("10-huge.rules"));
}

#[test]
fn nul_bytes_end_the_line_as_for_auditctl() {
    let t = Target::new();
    // auditctl works on C strings: a NUL ends the line's text (fgets + strlen), so these load
    // as `-w /etc/passwd` (default perms, no key) and `-k h`; the NUL-only line is blank.
    t.write(
        "/etc/audit/rules.d/90-nul.rules",
        b"-w /etc/passwd\0 -p wa -k nul\n\0\0\0\n-w /etc/hosts -p wa -k h\0x\n",
    );
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
    let rules = run(&["rules"], &t.root());
    assert!(
        rules.stdout.contains("-w /etc/passwd -p rwxa\n")
            && rules.stdout.contains("-w /etc/hosts -p wa -k h\n"),
        "{}",
        rules.stdout
    );
}

#[test]
fn directory_named_rules_is_skipped() {
    let t = Target::new();
    fs::create_dir_all(t.real("/etc/audit/rules.d/40-dir.rules")).unwrap();
    let r = check(&t);
    // augenrules' `cat` complains and goes on: our rules still load.
    assert_eq!(r.code, Some(0), "{}", r.both());
    let merge = run(&["merge"], &t.root());
    assert!(merge.stderr.contains("40-dir.rules"), "{}", merge.stderr);
}

/// Entries of rules.d augenrules cannot read: `check` must say which (text and JSON).
fn assert_check_names(t: &Target, name: &str) {
    let json = check(t);
    let text = run(&["check"], &t.root());
    assert!(
        json.both().contains(name) && text.both().contains(name),
        "check does not name {name}:\n{}\n{}",
        text.both(),
        json.both()
    );
}

#[test]
fn directory_named_rules_is_named_by_check() {
    let t = Target::new();
    fs::create_dir_all(t.real("/etc/audit/rules.d/40-dir.rules")).unwrap();
    assert_check_names(&t, "40-dir.rules");
}

#[test]
fn fifo_named_rules_is_an_error_without_blocking() {
    // augenrules' `cat` would block on it at boot: what loads cannot be told. `check` says
    // `error` (never pass), `merge` prints nothing and fails; both name the file.
    let t = Target::new();
    make_fifo(&t.real("/etc/audit/rules.d/40-fifo.rules"));
    let r = check(&t);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(r.stdout.contains("40-fifo.rules"), "{}", r.stdout);
    let merge = run(&["merge"], &t.root());
    assert_eq!(merge.code, Some(2), "{}", merge.both());
    assert!(merge.stdout.is_empty(), "{}", merge.stdout);
    assert!(merge.stderr.contains("40-fifo.rules"), "{}", merge.stderr);
}

#[test]
fn fifo_named_conf_never_blocks_augenrules() {
    let t = Target::new();
    make_fifo(&t.real("/etc/audit/rules.d/41-fifo.conf"));
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
}

#[test]
fn fifo_named_rules_is_named_by_check() {
    let t = Target::new();
    make_fifo(&t.real("/etc/audit/rules.d/40-fifo.rules"));
    assert_check_names(&t, "40-fifo.rules");
}

#[test]
fn fifo_in_rules_d_never_blocks_auditctl_mode() {
    let t = Target::new();
    t.auditctl_mode();
    t.write("/etc/audit/audit.rules", MODULE_RULES.as_bytes());
    make_fifo(&t.real("/etc/audit/rules.d/40-fifo.rules"));
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
}

#[test]
fn fifo_as_audit_rules_in_auditctl_mode() {
    let t = Target::new();
    t.auditctl_mode();
    make_fifo(&t.real("/etc/audit/audit.rules"));
    let r = check(&t);
    assert_eq!(r.code, Some(1), "{}", r.both());
    assert!(r.stdout.contains("/etc/audit/audit.rules"), "{}", r.stdout);
}

fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

#[test]
fn missing_etc_audit_in_augenrules_mode_is_an_error() {
    let t = Target::new();
    fs::remove_dir_all(t.real("/etc/audit")).unwrap();
    let r = check(&t);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(r.stdout.contains("/etc/audit/rules.d"), "{}", r.stdout);
    let text = run(&["check"], &t.root());
    assert_eq!(text.code, Some(2));
    assert!(
        text.both().contains("/etc/audit/rules.d"),
        "{}",
        text.both()
    );
}

#[test]
fn missing_audit_rules_in_auditctl_mode_fails_naming_it() {
    let t = Target::new();
    t.auditctl_mode();
    fs::remove_dir_all(t.real("/etc/audit")).unwrap();
    let r = check(&t);
    assert_eq!(r.code, Some(1), "{}", r.both());
    assert!(
        load_errors(&r.json()).contains("/etc/audit/audit.rules"),
        "{}",
        r.stdout
    );
}

#[test]
fn symlink_loop_in_rules_d() {
    let t = Target::new();
    t.symlink("/etc/audit/rules.d/60-loop.rules", "60-loop.rules");
    t.symlink("/etc/audit/rules.d/61-a.rules", "61-b.rules");
    t.symlink("/etc/audit/rules.d/61-b.rules", "61-a.rules");
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
    let merge = run(&["merge"], &t.root());
    assert!(
        merge.stderr.contains("60-loop.rules") && merge.stderr.contains("61-a.rules"),
        "{}",
        merge.stderr
    );
}

#[test]
fn symlink_loop_in_rules_d_is_named_by_check() {
    let t = Target::new();
    t.symlink("/etc/audit/rules.d/60-loop.rules", "60-loop.rules");
    assert_check_names(&t, "60-loop.rules");
}

#[test]
fn symlink_loop_as_watched_tool() {
    let t = Target::new();
    fs::remove_file(t.real("/usr/sbin/insmod")).unwrap();
    t.symlink("/usr/sbin/insmod", "insmod");
    let r = check(&t);
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.both());
}

/// The rule that must NOT be used: it would shadow the module syscalls.
const EVIL: &str = "-a never,exit -F arch=b64 -S init_module,delete_module\n";
/// The rule inside the root at the same absolute path.
const GOOD: &str =
    "-a always,exit -F arch=b64 -S init_module,delete_module -F key=inside-the-root\n";

#[test]
fn relative_symlink_climbing_out_of_the_root_stays_inside() {
    let t = Target::new();
    // Outside: <tmp>/evil.rules. Inside the root, `..` stops at `/`: /evil.rules.
    fs::write(t.dir.path().join("evil.rules"), EVIL).unwrap();
    t.write("/evil.rules", GOOD.as_bytes());
    t.symlink("/etc/audit/rules.d/10-link.rules", "../../../../evil.rules");
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
    assert_eq!(
        event_key(&r.json(), "b64 init_module").as_deref(),
        Some("inside-the-root"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("never rule"), "{}", r.stdout);
}

#[test]
fn absolute_symlink_resolves_inside_the_root() {
    let t = Target::new();
    // An absolute link whose target exists on this machine outside the root (with the
    // shadowing rule) and inside the root (with the good one).
    let outside = t.dir.path().join("outside/modules.rules");
    fs::create_dir_all(outside.parent().unwrap()).unwrap();
    fs::write(&outside, EVIL).unwrap();
    let inside = outside.to_str().unwrap().to_string();
    t.write(&inside, GOOD.as_bytes());
    t.symlink("/etc/audit/rules.d/10-abs.rules", &outside);
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
    assert_eq!(
        event_key(&r.json(), "b64 init_module").as_deref(),
        Some("inside-the-root"),
        "{}",
        r.stdout
    );
}

#[test]
fn absolute_symlink_to_a_missing_target_inside_the_root() {
    let t = Target::new();
    // /etc/hostname exists on this machine, not in the root: the link dangles.
    t.symlink("/etc/audit/rules.d/10-abs.rules", "/etc/hostname");
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
}

#[test]
fn symlinked_rules_d_directory_outside_the_root() {
    let t = Target::new();
    let outside = t.dir.path().join("rules.d");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("10-evil.rules"), EVIL).unwrap();
    fs::remove_dir_all(t.real("/etc/audit/rules.d")).unwrap();
    // The image's rules.d is an absolute link; inside the root it leads to /srv/rules.d.
    t.write("/srv/rules.d/50-modules.rules", MODULE_RULES.as_bytes());
    t.symlink("/etc/audit/rules.d", "/srv/rules.d");
    let _ = outside;
    let r = check(&t);
    assert_eq!(r.code, Some(0), "{}", r.both());
    assert!(!r.stdout.contains("never rule"), "{}", r.stdout);
}

#[test]
fn root_that_is_not_a_directory() {
    let t = Target::new();
    let file = t.dir.path().join("plain-file");
    fs::write(&file, b"x").unwrap();
    let r = run(&["check"], &file);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(r.stderr.contains("plain-file"), "{}", r.stderr);
    let r = run(&["check"], &t.dir.path().join("does-not-exist"));
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(r.stderr.contains("does-not-exist"), "{}", r.stderr);
}

#[test]
fn garbage_unit_file_and_login_defs() {
    let t = Target::new();
    t.write(
        "/usr/lib/systemd/system/auditd.service",
        b"\xff\xfe\0[Service]\nExecStartPost=-/sbin/augenrules --load\n\0\0",
    );
    t.write(
        "/etc/login.defs",
        b"UID_MIN \xff\xff\nUID_MIN 99999999999999999999\n",
    );
    t.write("/bin/sh", b"\x7fEL");
    let r = run(
        &["check", "--format", "json", "--arch", "x86_64"],
        &t.root(),
    );
    assert!(matches!(r.code, Some(0..=2)), "{}", r.both());
    let r = run(&["check"], &t.root());
    assert!(matches!(r.code, Some(0..=2)), "{}", r.both());
}

/// A FIFO and a character device (like `/dev/zero`) at `path`, one after the other: every
/// command ends (the `run` timeout fails a hang), exits with `code`, and names `path`
/// (`named`: in the check output; else only no hang and the code).
fn special_file_at(t: &Target, path: &str, code: i32, named: bool) {
    for kind in ["fifo", "chardev"] {
        let real = t.real(path);
        let _ = fs::remove_file(&real);
        fs::create_dir_all(real.parent().unwrap()).unwrap();
        let file_type = if kind == "fifo" {
            rustix::fs::FileType::Fifo
        } else {
            if !is_root() {
                eprintln!("skipped {path} as a device: mknod needs root");
                continue;
            }
            rustix::fs::FileType::CharacterDevice
        };
        // 1:5 is /dev/zero: read without end if read at all.
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &real,
            file_type,
            rustix::fs::Mode::from_raw_mode(0o644),
            rustix::fs::makedev(1, 5),
        )
        .unwrap_or_else(|e| panic!("mknod {path}: {e}"));
        let r = check(t);
        assert!(
            r.elapsed < Duration::from_secs(10),
            "{path} ({kind}): {:?}",
            r.elapsed
        );
        assert_eq!(r.code, Some(code), "{path} ({kind}): {}", r.both());
        if named {
            assert!(
                r.stdout.contains(path),
                "{path} ({kind}) not named: {}",
                r.stdout
            );
            let text = run(&["check"], &t.root());
            assert!(
                text.both().contains(path),
                "{path} ({kind}): {}",
                text.both()
            );
        }
    }
}

fn is_root() -> bool {
    extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { geteuid() == 0 }
}

#[test]
fn special_login_defs_is_named_and_uid_min_defaults() {
    let t = Target::new();
    special_file_at(&t, "/etc/login.defs", 0, true);
}

#[test]
fn special_passwd_is_named_when_a_rule_needs_a_name() {
    let t = Target::new();
    t.write(
        "/etc/audit/rules.d/60-uid.rules",
        b"-a always,exit -F arch=b64 -S openat -F uid=alice -k alice\n",
    );
    // The name cannot be mapped: the load stops at that line (after the module rules, so
    // the control still passes), and the passwd that could not be read is named.
    special_file_at(&t, "/etc/passwd", 0, true);
    let r = check(&t);
    assert!(r.stdout.contains("alice"), "{}", r.stdout);
}

#[test]
fn special_bin_sh_never_blocks_the_machine_probe() {
    let t = Target::new();
    // The machine comes from the next candidate or this host; check itself is unaffected.
    special_file_at(&t, "/bin/sh", 0, false);
}

#[test]
fn special_unit_or_drop_in_is_an_error() {
    let t = Target::new();
    special_file_at(&t, "/usr/lib/systemd/system/auditd.service", 2, true);
    let t = Target::new();
    special_file_at(
        &t,
        "/etc/systemd/system/auditd.service.d/50-x.conf",
        2,
        true,
    );
}

#[test]
fn special_sysv_script_or_defaults_is_an_error() {
    let t = Target::new();
    fs::remove_file(t.real("/usr/lib/systemd/system/auditd.service")).unwrap();
    special_file_at(&t, "/etc/init.d/auditd", 2, true);
    let t = Target::new();
    fs::remove_file(t.real("/usr/lib/systemd/system/auditd.service")).unwrap();
    t.write(
        "/etc/init.d/auditd",
        b"[ -r /etc/default/\"$NAME\" ] && . /etc/default/\"$NAME\"\n",
    );
    special_file_at(&t, "/etc/default/auditd", 2, true);
}

#[test]
fn special_rules_files_are_an_error_or_auditctls_refusal() {
    let t = Target::new();
    special_file_at(&t, "/etc/audit/rules.d/40-special.rules", 2, true);
    // auditctl -R refuses what is not a regular file itself (3.0.9 `fileopt`): a load error.
    let t = Target::new();
    t.auditctl_mode();
    special_file_at(&t, "/etc/audit/audit.rules", 1, true);
    // Files the loader never reads stay harmless.
    let t = Target::new();
    special_file_at(&t, "/etc/audit/rules.d/41-special.conf", 0, false);
}

/// A sparse file of `size` bytes at `path` (no disk used), starting with `head`.
fn sparse(t: &Target, path: &str, head: &[u8], size: u64) {
    let real = t.real(path);
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::write(&real, head).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(&real)
        .unwrap()
        .set_len(size)
        .unwrap();
}

const TWO_GB: u64 = 2 << 30;

#[test]
fn two_gigabyte_rules_file_is_a_named_error_at_once() {
    let t = Target::new();
    sparse(
        &t,
        "/etc/audit/rules.d/70-huge.rules",
        b"-w /etc/x -k huge\n",
        TWO_GB,
    );
    let r = check(&t);
    assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(
        r.stdout.contains("70-huge.rules") && r.stdout.contains("too large"),
        "{}",
        r.stdout
    );
    let merge = run(&["merge"], &t.root());
    assert_eq!(merge.code, Some(2), "{}", merge.both());
    assert!(merge.stderr.contains("70-huge.rules"), "{}", merge.stderr);
    // The same in auditctl mode: auditctl would read it; auditguard will not.
    let t = Target::new();
    t.auditctl_mode();
    sparse(&t, "/etc/audit/audit.rules", b"-w /etc/x -k huge\n", TWO_GB);
    let r = check(&t);
    assert_eq!(r.code, Some(2), "{}", r.both());
    assert!(r.stdout.contains("/etc/audit/audit.rules"), "{}", r.stdout);
}

#[test]
fn two_gigabyte_bin_sh_is_read_for_its_header_only() {
    let t = Target::new();
    let mut elf = vec![0u8; 64];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2;
    elf[5] = 1;
    elf[18] = 183; // aarch64: proves the header was read, whatever this machine is
    sparse(&t, "/bin/sh", &elf, TWO_GB);
    let r = check(&t);
    assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
    assert_eq!(r.json()["machine"], "aarch64", "{}", r.stdout);
}

/// Peak RSS in KiB of `auditguard ARGS --root ROOT`, by GNU time; `None` without it.
fn peak_kib(args: &[&str], root: &Path) -> Option<u64> {
    let bin = assert_cmd::cargo::cargo_bin("auditguard");
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M", "--"])
        .arg(bin)
        .args(args)
        .arg("--root")
        .arg(root)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

#[test]
fn merge_holds_the_input_once() {
    // 128 MiB of 1 KiB rule lines: two copies of the input would need 256 MiB and more.
    let t = Target::new();
    let line = format!("-w /etc/{} -p wa -k big\n", "x".repeat(1000));
    let size = 128 << 20;
    let text = line.repeat(size / line.len());
    t.write("/etc/audit/rules.d/10-big.rules", text.as_bytes());
    drop(text);
    let Some(kib) = peak_kib(&["merge"], &t.root()) else {
        eprintln!("skipped: needs /usr/bin/time");
        return;
    };
    let mib = kib / 1024;
    assert!(mib < 128 * 3 / 2, "merge of 128 MiB peaked at {mib} MiB");
}

/// `auditguard check --format json --root ROOT` as `nobody` (setpriv), or `None` (printing
/// why) where that cannot run.
fn check_as_nobody(t: &Target) -> Option<Run> {
    if !is_root() || which("setpriv").is_none() {
        eprintln!("skipped: needs root and setpriv to run check as nobody");
        return None;
    }
    // nobody must reach the root: the temporary directory is 0700.
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(t.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let start = Instant::now();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(assert_cmd::cargo::cargo_bin("auditguard"))
        .args(["check", "--format", "json", "--root"])
        .arg(t.root())
        .timeout(Duration::from_secs(20))
        .output()
        .expect("setpriv");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    Some(run)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

fn chmod(t: &Target, path: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(t.real(path), fs::Permissions::from_mode(mode)).unwrap();
}

/// Whatever the loader (root) reads but auditguard cannot is `error` (exit 2) naming the
/// path, never a pass on the rest.
fn assert_unreadable_is_error(t: &Target, name: &str) {
    let Some(r) = check_as_nobody(t) else { return };
    assert_eq!(r.code, Some(2), "{name}: {}", r.both());
    assert_eq!(r.json()["verdict"], "error", "{}", r.stdout);
    assert!(r.stdout.contains(name), "{name} not named: {}", r.stdout);
}

#[test]
fn unreadable_rules_file_is_an_error_not_a_pass() {
    let t = Target::new();
    t.write("/etc/audit/rules.d/10-never.rules", EVIL.as_bytes());
    // As root the never rule is seen and the control fails; as nobody it must not pass.
    assert_eq!(check(&t).code, Some(1));
    chmod(&t, "/etc/audit/rules.d/10-never.rules", 0o600);
    assert_unreadable_is_error(&t, "10-never.rules");
}

#[test]
fn unreadable_audit_rules_in_auditctl_mode_is_an_error() {
    let t = Target::new();
    t.auditctl_mode();
    t.write("/etc/audit/audit.rules", MODULE_RULES.as_bytes());
    chmod(&t, "/etc/audit/audit.rules", 0o600);
    assert_unreadable_is_error(&t, "/etc/audit/audit.rules");
}

#[test]
fn unreadable_unit_or_drop_in_is_an_error() {
    let t = Target::new();
    t.auditctl_mode();
    chmod(
        &t,
        "/etc/systemd/system/auditd.service.d/auditctl.conf",
        0o600,
    );
    assert_unreadable_is_error(&t, "auditctl.conf");
    let t = Target::new();
    chmod(&t, "/usr/lib/systemd/system/auditd.service", 0o600);
    assert_unreadable_is_error(&t, "auditd.service");
}

#[test]
fn unreadable_rules_directory_is_an_error() {
    let t = Target::new();
    chmod(&t, "/etc/audit/rules.d", 0o700);
    assert_unreadable_is_error(&t, "/etc/audit/rules.d");
    let t = Target::new();
    chmod(&t, "/etc/audit", 0o700);
    assert_unreadable_is_error(&t, "/etc/audit/rules.d");
}

/// A directory deeper than PATH_MAX: the setuid/setgid scan cannot read it (the kernel refuses
/// paths of 4,096 bytes and more), and says so as a warning naming it, instead of judging the
/// target as if the scan had seen everything. A setuid program above it is still found.
#[test]
fn a_tree_deeper_than_path_max_is_named_as_not_scanned() {
    use rustix::fs::{mkdirat, openat, Mode, OFlags};
    let t = Target::new();
    t.write("/usr/bin/su", b"su\n");
    fs::set_permissions(
        t.real("/usr/bin/su"),
        std::os::unix::fs::PermissionsExt::from_mode(0o4755),
    )
    .expect("chmod");
    // 20 directories of 250 bytes: 5,000 bytes below /srv, built one openat at a time.
    let name = "d".repeat(250);
    let mut dir = {
        fs::create_dir_all(t.real("/srv")).expect("mkdir");
        openat(
            rustix::fs::CWD,
            t.real("/srv"),
            OFlags::DIRECTORY | OFlags::RDONLY,
            Mode::empty(),
        )
        .expect("open /srv")
    };
    for _ in 0..20 {
        mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)).expect("mkdirat");
        dir = openat(
            &dir,
            name.as_str(),
            OFlags::DIRECTORY | OFlags::RDONLY,
            Mode::empty(),
        )
        .expect("openat");
    }
    let r = run(
        &["check", "--profile", "cis-debian12", "--format", "json"],
        &t.root(),
    );
    let j = r.json();
    let item = j["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == "6.2.3.6")
        .expect("the privileged-commands item");
    let advice = item["advice"].to_string();
    assert!(
        advice.contains("the setuid/setgid scan did not see the whole target")
            && advice.contains("could not be read"),
        "{advice}"
    );
    // su (setuid, above the deep tree) is found and judged.
    assert!(item.to_string().contains("/usr/bin/su"), "{item}");
    let text = run(&["check", "--profile", "cis-debian12"], &t.root()).stdout;
    assert!(text.contains("warning: the setuid/setgid scan"), "{text}");
}
