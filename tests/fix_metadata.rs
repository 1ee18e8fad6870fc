//! File-permission fixes: `fix` changes modes and owners of the audit logs, the audit
//! configuration and the audit tools with `chmod`/`chown` inside the root — the smallest change
//! (set bits beyond the ceiling cleared), never through a symlink, never on a file auditd.conf's
//! `log_file` points at outside `/var/log`, and only if the file is still what the plan saw.

use assert_cmd::Command;
use auditguard::fix::apply::{set_metadata, ApplyError, Meta, MetaChange, Target};
use std::fs;
use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::Path;

fn ag(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("auditguard")
        .unwrap()
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `auditguard fix --root R --profile P EXTRA...`.
fn fix(r: &Path, profile: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["fix", "--root", r.to_str().unwrap(), "--profile", profile];
    args.extend_from_slice(extra);
    ag(&args)
}

fn write(root: &Path, path: &str, data: &str, mode: u32) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(root: &Path, path: &str) -> u32 {
    fs::symlink_metadata(root.join(path.trim_start_matches('/')))
        .unwrap()
        .mode()
        & 0o7777
}

fn owner(root: &Path, path: &str) -> (u32, u32) {
    let m = fs::symlink_metadata(root.join(path.trim_start_matches('/'))).unwrap();
    (m.uid(), m.gid())
}

/// A root with the seed example's rules, an auditd.conf, and audit logs and configuration
/// with modes and owners the CIS items refuse.
fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/debian12");
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.display()))
        .arg(r)
        .status()
        .unwrap();
    assert!(ok.success());
    write(r, "/etc/group", "root:x:0:\nadm:x:4:\nstaff:x:50:\n", 0o644);
    write(
        r,
        "/etc/audit/auditd.conf",
        "log_file = /var/log/audit/audit.log\nlog_group = adm\nspace_left = 75\nadmin_space_left = 50\n",
        0o644,
    );
    write(r, "/var/log/audit/audit.log", "x\n", 0o644);
    write(r, "/var/log/audit/audit.log.1", "y\n", 0o4666);
    chown(r.join("var/log/audit/audit.log.1"), Some(1000), Some(50)).unwrap();
    fs::set_permissions(
        r.join("var/log/audit/audit.log.1"),
        fs::Permissions::from_mode(0o4666),
    )
    .unwrap();
    fs::set_permissions(r.join("var/log/audit"), fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn fix_clears_the_bits_beyond_the_ceiling_and_sets_owners_and_a_second_fix_does_nothing() {
    if !is_root() {
        eprintln!("skipped: chown needs root");
        return;
    }
    let dir = root();
    let r = dir.path();
    // Dry run: the commands are named, nothing changes.
    let (_, out, err) = fix(r, "cis-debian12", &["--dry-run"]);
    for line in [
        "chmod 0750 /var/log/audit (was 0777)",
        "chmod 0640 /var/log/audit/audit.log (was 0644)",
        "chown root:adm /var/log/audit/audit.log.1 (was 1000:staff)",
        "chmod 0640 /var/log/audit/audit.log.1 (was 4666)",
        "chmod 0640 /etc/audit/auditd.conf (was 0644)",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}{err}");
    }
    assert_eq!(mode(r, "/var/log/audit"), 0o777);
    assert_eq!(mode(r, "/var/log/audit/audit.log.1"), 0o4666);
    // The fix: modes are ANDed with the ceiling, the group is log_group (allowed), the owner
    // root.
    let (_, out, err) = fix(r, "cis-debian12", &[]);
    assert_eq!(mode(r, "/var/log/audit"), 0o750, "{out}{err}");
    assert_eq!(mode(r, "/var/log/audit/audit.log"), 0o640);
    assert_eq!(mode(r, "/var/log/audit/audit.log.1"), 0o640);
    assert_eq!(owner(r, "/var/log/audit/audit.log.1"), (0, 4));
    assert_eq!(mode(r, "/etc/audit/auditd.conf"), 0o640);
    // Every file-permission item now passes; a second fix has no mode or owner to change.
    let (_, check, _) = ag(&[
        "check",
        "--root",
        r.to_str().unwrap(),
        "--profile",
        "cis-debian12",
    ]);
    for item in [
        "6.2.4.1", "6.2.4.2", "6.2.4.3", "6.2.4.4", "6.2.4.5", "6.2.4.6", "6.2.4.7",
    ] {
        assert!(
            check.contains(&format!("PASS {item}:")),
            "{item} does not pass:\n{check}"
        );
    }
    let (_, again, _) = fix(r, "cis-debian12", &["--dry-run"]);
    assert!(
        !again.contains("chmod ") && !again.contains("chown "),
        "a second fix changes modes again:\n{again}"
    );
    // The JSON report carries the changes as data.
    let (_, json, _) = fix(r, "cis-debian12", &["--dry-run", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["metadata"], serde_json::json!([]));
}

#[test]
fn a_symlinked_log_file_and_a_log_file_outside_var_log_are_left_alone_and_named() {
    let dir = root();
    let r = dir.path();
    // The log file is a link to a file elsewhere: neither the link nor its target changes.
    write(r, "/etc/important", "keep\n", 0o644);
    fs::remove_file(r.join("var/log/audit/audit.log")).unwrap();
    std::os::unix::fs::symlink("/etc/important", r.join("var/log/audit/audit.log")).unwrap();
    let (_, out, err) = fix(r, "cis-debian12", &[]);
    assert!(
        out.contains("/var/log/audit/audit.log is a symbolic link"),
        "{out}{err}"
    );
    assert_eq!(mode(r, "/etc/important"), 0o644);
    // log_file names a system file: fix does not chmod it.
    let dir = root();
    let r = dir.path();
    write(r, "/etc/shadow", "root:*:1::::::\n", 0o644);
    write(
        r,
        "/etc/audit/auditd.conf",
        "log_file = /etc/shadow\nlog_group = root\nspace_left = 75\nadmin_space_left = 50\n",
        0o600,
    );
    let (_, out, err) = fix(r, "cis-debian12", &[]);
    assert!(
        out.contains("/etc/shadow comes from auditd.conf's log_file and is not in a directory below /var/log"),
        "{out}{err}"
    );
    assert_eq!(mode(r, "/etc/shadow"), 0o644);
}

#[test]
fn a_symlinked_log_directory_does_not_lead_fix_to_the_files_it_names() {
    // /var/log/audit is a link to /etc (inside the root): the files "in the log directory"
    // are /etc/passwd and friends. fix must not chmod them 0600 (every login would break).
    let dir = root();
    let r = dir.path();
    write(r, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644);
    fs::remove_dir_all(r.join("var/log/audit")).unwrap();
    std::os::unix::fs::symlink("/etc", r.join("var/log/audit")).unwrap();
    let (_, out, err) = fix(r, "stig-rhel9", &[]);
    assert!(
        out.contains("a symlinked directory puts it at /etc/"),
        "{out}{err}"
    );
    assert!(
        !out.contains("chmod 0600 /var/log/audit/passwd"),
        "{out}{err}"
    );
    assert_eq!(mode(r, "/etc/passwd"), 0o644);
    assert_eq!(mode(r, "/etc/group"), 0o644);
}

fn change(path: &str, expected: Meta, new: Meta) -> MetaChange {
    MetaChange {
        path: path.into(),
        expected,
        new,
    }
}

/// `mode` with the owner and group of a file this process created.
fn meta(mode: u32) -> Meta {
    let probe = tempfile::NamedTempFile::new().unwrap();
    let m = fs::metadata(probe.path()).unwrap();
    Meta {
        mode,
        uid: m.uid(),
        gid: m.gid(),
    }
}

#[test]
fn set_metadata_is_a_compare_and_swap_and_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "/a", "a", 0o644);
    write(r, "/b", "b", 0o644);
    let target = Target::root(r);
    // The second file is not what the plan saw: nothing changes, the error names it.
    let e = set_metadata(
        &target,
        &[
            change("/a", meta(0o644), meta(0o600)),
            change("/b", meta(0o666), meta(0o600)),
        ],
    )
    .unwrap_err();
    assert!(matches!(e, ApplyError::Changed { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("/b: changed since the plan was made"),
        "{e}"
    );
    assert_eq!(mode(r, "/a"), 0o644);
    // A symlink is refused, and the file it names is untouched.
    std::os::unix::fs::symlink("a", r.join("link")).unwrap();
    let e = set_metadata(&target, &[change("/link", meta(0o644), meta(0o600))]).unwrap_err();
    assert!(matches!(e, ApplyError::IsASymlink { .. }), "{e}");
    assert_eq!(mode(r, "/a"), 0o644);
    // A FIFO is refused without hanging; a missing file is "changed".
    rustix::fs::mknodat(
        rustix::fs::CWD,
        r.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let e = set_metadata(&target, &[change("/fifo", meta(0o644), meta(0o600))]).unwrap_err();
    assert!(matches!(e, ApplyError::NotARegularFile { .. }), "{e}");
    let e = set_metadata(&target, &[change("/gone", meta(0o644), meta(0o600))]).unwrap_err();
    assert!(matches!(e, ApplyError::Changed { .. }), "{e}");
    // A path that climbs out of the root stays inside it (`..` clamps at the root, which
    // has no /etc).
    let e = set_metadata(
        &target,
        &[change("/../../etc/passwd", meta(0o644), meta(0o600))],
    )
    .unwrap_err();
    assert!(matches!(e, ApplyError::MissingDirectory { .. }), "{e}");
    // Both as planned: both change.
    set_metadata(
        &target,
        &[
            change("/a", meta(0o644), meta(0o600)),
            change("/b", meta(0o644), meta(0o640)),
        ],
    )
    .unwrap();
    assert_eq!((mode(r, "/a"), mode(r, "/b")), (0o600, 0o640));
}

/// A hard link to a system file in the log directory, and a FIFO as the log: fix changes
/// neither (the link's other name is /etc/passwd; a FIFO is not a log to repair), names both,
/// and still fixes the rest (no error exit).
#[test]
fn a_hard_link_and_a_fifo_among_the_logs_are_left_alone_and_named() {
    let dir = root();
    let r = dir.path();
    write(r, "/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o666);
    std::fs::hard_link(r.join("etc/passwd"), r.join("var/log/audit/audit.log.2")).unwrap();
    let (code, out, err) = fix(r, "cis-debian12", &[]);
    assert!(
        out.contains("/var/log/audit/audit.log.2 has 2 hard links"),
        "{out}{err}"
    );
    assert_eq!(
        mode(r, "/etc/passwd"),
        0o666,
        "the hard link's other name changed"
    );
    assert!(code == 0 || code == 1, "{code}: {err}");
    // A FIFO as the current log.
    let dir = root();
    let r = dir.path();
    std::fs::remove_file(r.join("var/log/audit/audit.log")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        r.join("var/log/audit/audit.log"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o666),
        0,
    )
    .unwrap();
    let fifo_mode = mode(r, "/var/log/audit/audit.log");
    let (code, out, err) = fix(r, "cis-debian12", &[]);
    assert!(
        out.contains("/var/log/audit/audit.log is not a regular file or directory"),
        "{out}{err}"
    );
    assert!(code == 0 || code == 1, "{code}: {err}");
    assert_eq!(mode(r, "/var/log/audit/audit.log"), fifo_mode);
    // The other files were fixed in the same run.
    assert_eq!(mode(r, "/etc/audit/auditd.conf"), 0o640, "{out}");
}

/// A world-writable auditd.conf (auditd refuses it) with a wrong setting: one fix corrects
/// both — the mode by chmod, the setting by the edit planned as auditd will read the file once
/// chmodded — and a second fix has nothing to do.
#[test]
fn a_world_writable_auditd_conf_is_fixed_in_one_run() {
    let dir = root();
    let r = dir.path();
    write(
        r,
        "/etc/audit/auditd.conf",
        "log_file = /var/log/audit/audit.log\nspace_left = 75\nadmin_space_left = 50\nspace_left_action = ignore\n",
        0o666,
    );
    let (_, out, err) = fix(r, "cis-debian12", &[]);
    assert!(!out.contains("world writable"), "{out}{err}");
    let conf = std::fs::read_to_string(r.join("etc/audit/auditd.conf")).unwrap();
    assert!(conf.contains("space_left_action = email"), "{conf}\n{out}");
    assert_eq!(mode(r, "/etc/audit/auditd.conf"), 0o640);
    let (_, json, _) = fix(r, "cis-debian12", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["changed"], false, "{json}");
    assert_eq!(v["diff"], "", "{json}");
}
