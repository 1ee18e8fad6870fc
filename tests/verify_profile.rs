//! `verify --profile stig-rhel9` on the real kernel: with the STIG's published lines loaded
//! (status and control lines left out: never `-e 2`, `-f 2`, `--loginuid-immutable` here),
//! every event a harmless probe can make comes out with a key, and every other event says why
//! it was not probed. Without the lines, the probed events do not come out.
//!
//! Kernel safety: inside `common::with_kernel` (shared flock, host state restored after).
//! The probes change no file: the on-file forms are checked in `kernel::probe`'s unit tests.

mod common;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn verify(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_auditguard"))
        .arg("verify")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    common::validate::report(&out.stdout);
    (out.status.code().unwrap_or(-1), v)
}

fn load_stig_lines(dir: &std::path::Path) {
    let text = include_str!("data/stig-rhel9-v2r9.rules");
    let rules = format!("-c\n{}", common::rules_only(text));
    let path = dir.join("stig.rules");
    std::fs::write(&path, rules).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let _ = common::auditctl(&["-R", path.to_str().unwrap()]);
    let (rc, _, err) = common::auditctl(&["-e", "1"]);
    assert_eq!(rc, 0, "{err}");
}

#[test]
fn stig_lines_loaded_every_probed_event_comes_out_keyed() {
    if !common::kernel_available() {
        eprintln!("skipped: no kernel audit access");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::with_kernel(|| {
        load_stig_lines(dir.path());
        let started = std::time::Instant::now();
        let (rc, v) = verify(&["--profile", "stig-rhel9"]);
        let took = started.elapsed();
        let events = v["events"].as_array().expect("events");
        let pass: Vec<&Value> = events.iter().filter(|e| e["verdict"] == "pass").collect();
        let fail: Vec<&Value> = events.iter().filter(|e| e["verdict"] == "fail").collect();
        let unprobed = events.len() - pass.len() - fail.len();
        eprintln!(
            "verify --profile stig-rhel9: {} events, {} came out keyed, {} failed, {} not \
             probed, {:.2?}",
            events.len(),
            pass.len(),
            fail.len(),
            unprobed,
            took
        );
        for e in &fail {
            eprintln!("  FAIL {} {}: {}", e["control"], e["event"], e["reason"]);
        }
        // On this host (Debian: no sudoers.d, no faillock, the STIG's path= lines): the items
        // whose files are missing are not probed; everything probed comes out keyed.
        assert!(
            fail.is_empty(),
            "{} probed events did not come out",
            fail.len()
        );
        assert!(pass.len() >= 100, "only {} events verified", pass.len());
        for e in events.iter().filter(|e| e["verdict"] == "notapplicable") {
            assert!(
                e["reason"].as_str().unwrap().starts_with("not verified"),
                "{e}"
            );
        }
        // Not probed is said, never taken for a pass: the run as a whole is not a pass.
        assert_eq!(rc, 1, "{v}");
    });
}

#[test]
fn without_the_lines_the_probed_events_do_not_come_out() {
    if !common::kernel_available() {
        eprintln!("skipped: no kernel audit access");
        return;
    }
    common::with_kernel(|| {
        let (rc, _, err) = common::auditctl(&["-e", "1"]);
        assert_eq!(rc, 0, "{err}");
        let (code, v) = verify(&["--profile", "stig-rhel9"]);
        assert_eq!(code, 1, "{v}");
        let events = v["events"].as_array().expect("events");
        assert!(events.iter().all(|e| e["verdict"] != "pass"), "{v}");
        let failed = events.iter().filter(|e| e["verdict"] == "fail").count();
        assert!(failed >= 100, "only {failed} failed");
    });
}

/// The seed example (its module lines, a never rule for b32 root, -f 1, -e 2) fixed for the
/// whole STIG and loaded: every event a harmless probe makes then comes out with a key. The
/// items this host cannot have (no /etc/sudoers.d, no /var/log/faillock here) are blocked by
/// name, the others written and loaded; -e 2, -f 2 and --loginuid-immutable are never sent.
#[test]
fn fix_profile_load_then_verify_profile_proves_collection() {
    if !common::kernel_available() {
        eprintln!("skipped: no kernel audit access");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let src = format!("{}/examples/debian12/.", env!("CARGO_MANIFEST_DIR"));
    assert!(Command::new("cp")
        .args(["-a", &src])
        .arg(root.path())
        .status()
        .unwrap()
        .success());
    // This host's passwd has no _chrony user: drop that line (it would not load here).
    let noise = root.path().join("etc/audit/rules.d/30-noise.rules");
    let kept: String = std::fs::read_to_string(&noise)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("_chrony"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&noise, kept).unwrap();
    common::with_kernel(|| {
        let Some((code, out, err)) = common::fix_load_in_namespace(
            &root.path().join("etc/audit"),
            &["--profile", "stig-rhel9"],
        ) else {
            return;
        };
        let fix: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        common::validate::report(out.as_bytes());
        assert!(code == 0 || code == 1, "{out}{err}");
        assert!(fix["load"]["added"].as_u64().unwrap_or(0) > 20, "{fix:#}");
        let (_, status, _) = common::auditctl(&["-s"]);
        assert!(status.contains("enabled 1"), "{status}");
        assert!(
            !status.contains("failure 2"),
            "-f 2 reached the kernel: {status}"
        );
        let (_, v) = verify(&["--profile", "stig-rhel9"]);
        let events = v["events"].as_array().expect("events");
        let fail: Vec<&Value> = events.iter().filter(|e| e["verdict"] == "fail").collect();
        let pass = events.iter().filter(|e| e["verdict"] == "pass").count();
        for e in &fail {
            eprintln!("  FAIL {} {}: {}", e["control"], e["event"], e["reason"]);
        }
        eprintln!(
            "after fix --profile --load: {pass} events came out keyed, {} failed",
            fail.len()
        );
        assert!(fail.is_empty());
        assert!(pass >= 100, "only {pass}");
    });
}
