//! Which loader lines load rules, asked of the real tools: the real `augenrules` script (its
//! two paths pointed at a temporary root, `auditctl` replaced by a marker, so nothing reaches
//! the kernel) and the real `auditctl` (given a rules file whose only line it refuses, so it
//! never sends a rule: under `-R` it reports the bad line to syslog and exits 1, while an
//! argument form it does not take as a rules file exits 255 without reading it). Each answer is compared with what
//! `auditguard` concludes for the same unit line: loaded, or "loads nothing".
//!
//! Skips visibly without the installed tools.

use auditguard::host::RootHost;
use auditguard::load::configuration::{configure, Mode};
use auditguard::model::Machine;
use std::path::Path;
use std::process::Command;

const UNIT: &str = "/usr/lib/systemd/system/auditd.service";

/// A root whose unit runs `line` after auditd, with one rules.d file and an audit.rules that
/// is (`fresh`) or is not the merge of it.
fn root(line: &str, fresh: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("etc/audit/rules.d")).unwrap();
    std::fs::create_dir_all(r.join("usr/lib/systemd/system")).unwrap();
    std::fs::write(
        r.join(&UNIT[1..]),
        format!("[Service]\nExecStart=/sbin/auditd\nExecStartPost={line}\n"),
    )
    .unwrap();
    std::fs::write(
        r.join("etc/audit/rules.d/50-m.rules"),
        "-a always,exit -F arch=b64 -S init_module -k m\n",
    )
    .unwrap();
    let merged =
        auditguard::load::augenrules::merge(&RootHost::new(r), Path::new("/etc/audit/rules.d"))
            .unwrap()
            .into_text();
    let current = if fresh {
        merged
    } else {
        b"## stale\n-D\n".to_vec()
    };
    std::fs::write(r.join("etc/audit/audit.rules"), current).unwrap();
    dir
}

/// Whether auditguard concludes the line loads rules.
fn ours_loads(root: &Path) -> bool {
    let config = configure(&RootHost::new(root), Machine::X86_64).expect("loader told");
    !matches!(config.mode, Mode::Nothing(_))
}

/// Whether the real augenrules, run with `args` on `root`, would call auditctl.
fn real_augenrules_loads(root: &Path, args: &[&str]) -> Option<bool> {
    let text = std::fs::read_to_string("/usr/sbin/augenrules").ok()?;
    let r = root.display();
    let script = text
        .replace(
            "SourceRulesDir=/etc/audit/rules.d",
            &format!("SourceRulesDir={r}/etc/audit/rules.d"),
        )
        // The header names the real directory, as on the host.
        .replace(
            "generated from $SourceRulesDir",
            "generated from /etc/audit/rules.d",
        )
        .replace(
            "/etc/audit/audit.rules",
            &format!("{r}/etc/audit/audit.rules"),
        )
        .replace("/sbin/auditctl", "echo LOADED")
        .replace("/sbin/restorecon", "/nonexistent/restorecon");
    let path = root.join("augenrules");
    std::fs::write(&path, script).ok()?;
    let out = Command::new("sh").arg(&path).args(args).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).contains("LOADED"))
}

#[test]
fn augenrules_argument_forms_load_as_the_real_script_does() {
    if !Path::new("/usr/sbin/augenrules").exists() {
        eprintln!("skipped: augenrules is not installed");
        return;
    }
    for (args, fresh) in [
        (&["--load"][..], false),
        (&[][..], false),
        (&["--load", "--foo"][..], false),
        (&["--check", "--load"][..], false),
        (&["--check", "--load"][..], true),
        (&["--check"][..], true),
    ] {
        let line = format!("-/sbin/augenrules {}", args.join(" "));
        let dir = root(&line, fresh);
        let real = real_augenrules_loads(dir.path(), args).expect("run augenrules");
        // Run ours on a fresh copy: the real script may have rewritten audit.rules.
        let ours = ours_loads(root(&line, fresh).path());
        assert_eq!(ours, real, "{line} (audit.rules up to date: {fresh})");
    }
}

#[test]
fn auditctl_reads_a_rules_file_only_as_dash_r_file_alone() {
    if Command::new("auditctl").arg("-v").output().is_err() {
        eprintln!("skipped: auditctl is not installed");
        return;
    }
    let uid = Command::new("id").arg("-u").output().unwrap().stdout;
    if uid.trim_ascii() != b"0" {
        eprintln!("skipped: auditctl -R needs root (it refuses files not owned by the caller)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A line auditctl refuses before sending anything: if it reads the file, it says so.
    let file = dir.path().join("probe.rules");
    std::fs::write(&file, "-a always,exit -S no_such_syscall_name\n").unwrap();
    let f = file.to_str().unwrap();
    let joined = format!("-R{f}");
    for args in [
        vec!["-R", f],
        vec![joined.as_str()],
        vec!["-c", "-R", f],
        vec!["-R", f, "-i"],
    ] {
        let out = Command::new("auditctl").args(&args).output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        // 1: it read the file and refused its line; 255: it never took it as a rules file.
        let real = match out.status.code() {
            Some(1) => true,
            Some(255) => false,
            other => panic!("auditctl {args:?}: unexpected exit {other:?}: {said}"),
        };
        let unit = format!(
            "-/sbin/auditctl {}",
            args.join(" ").replace(f, "/etc/audit/audit.rules")
        );
        let r = root(&unit, true);
        let ours = ours_loads(r.path());
        assert_eq!(ours, real, "auditctl {args:?}: auditctl said {said:?}");
    }
}
