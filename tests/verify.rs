//! Proof of collection on the real kernel: `verify` before and after `fix --load`, on kernels
//! broken on purpose, and without privilege.
//!
//! Kernel safety: every kernel-touching step runs in `common::with_kernel` (shared flock, no
//! rules and `enabled 0` inside, the host's state restored after). `fix --load` never sends `-e 2` (it warns and enables
//! 1 instead); nothing here loads `-f 2` or `--loginuid-immutable`.

mod common;

use serde_json::Value;
use std::process::Command;

fn bin(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_auditguard"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verify_json() -> (i32, Value) {
    let (code, out, err) = bin(&["verify", "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    common::validate::report(out.as_bytes());
    (code, v)
}

/// The event finding whose label is `event`.
fn event<'v>(v: &'v Value, event: &str) -> &'v Value {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == event)
        .unwrap_or_else(|| panic!("no event {event} in {v:#}"))
}

fn usable() -> bool {
    if !common::kernel_available() {
        eprintln!("skipped: no kernel audit access");
        return false;
    }
    if auditguard::host::native_machine() != Some(auditguard::model::Machine::X86_64) {
        eprintln!("skipped: the probes' expectations here are x86_64's");
        return false;
    }
    true
}

/// Every file under `dir` with its bytes (empty when `dir` is missing).
fn tree(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(tree(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
        }
    }
    out.sort();
    out
}

fn copy_example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = format!("{}/examples/{name}/.", env!("CARGO_MANIFEST_DIR"));
    assert!(Command::new("cp")
        .args(["-a", &src])
        .arg(dir.path())
        .status()
        .unwrap()
        .success());
    dir
}

#[test]
fn fix_load_then_verify_proves_collection() {
    if !usable() {
        return;
    }
    let root = copy_example("debian12");
    let root_s = root.path().to_str().unwrap();
    common::with_kernel(|| {
        // Before: the broken configuration, loaded as is (fix refuses to change nothing, so
        // load it with the real auditctl, rule lines only) -> b32 events are shadowed.
        let (code, _, err) = bin(&["rules", "--root", root_s]);
        assert_eq!(code, 0, "{err}");
        assert!(common::auditctl(&["-e", "1"]).0 == 0);
        let merged = auditguard::load::augenrules::merge(
            &auditguard::host::RootHost::new(root.path()),
            std::path::Path::new("/etc/audit/rules.d"),
        )
        .unwrap();
        let text: String = String::from_utf8_lossy(merged.text())
            .lines()
            .filter(|l| (l.starts_with("-a") || l.starts_with("-w")) && !l.contains("_chrony"))
            .map(|l| format!("{l}\n"))
            .collect();
        let f = root.path().join("before.rules");
        std::fs::write(&f, text).unwrap();
        let (rc, _, _) = common::auditctl(&["-R", f.to_str().unwrap()]);
        assert_eq!(rc, 0);
        let (code, before) = verify_json();
        assert_eq!(code, 1, "{before:#}");
        assert_eq!(event(&before, "b64 init_module")["verdict"], "pass");
        let b32 = event(&before, "b32 init_module");
        assert_eq!(b32["verdict"], "fail");
        assert!(
            b32["reason"]
                .as_str()
                .unwrap()
                .contains("never rule at kernel:"),
            "{b32}"
        );

        // Fix and load: the kernel list is replaced (not a prefix), -e 2 only warned about.
        // `fix --load` acts on this host only (never with --root), so it runs in a private
        // mount namespace where the copy is bind-mounted over /etc/audit: the host's real
        // /etc/audit is never written (the audit netlink socket is not namespaced).
        // On this host `fix` resolves names with this host's passwd, which has no _chrony
        // user: drop that line from the copy (as the "before" load above did).
        let noise = root.path().join("etc/audit/rules.d/30-noise.rules");
        let kept: String = std::fs::read_to_string(&noise)
            .unwrap()
            .lines()
            .filter(|l| !l.contains("_chrony"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&noise, kept).unwrap();
        let host_before = tree(std::path::Path::new("/etc/audit"));
        let Some((code, out, err)) =
            common::fix_load_in_namespace(&root.path().join("etc/audit"), &[])
        else {
            return;
        };
        assert_eq!(
            tree(std::path::Path::new("/etc/audit")),
            host_before,
            "the host's /etc/audit changed"
        );
        assert_eq!(code, 0, "{out}{err}");
        let fix: Value = serde_json::from_str(&out).unwrap();
        common::validate::report(out.as_bytes());
        assert_eq!(fix["load"]["how"], "replaced", "{fix:#}");
        assert!(fix["load"]["warnings"].to_string().contains("-e 2"));
        let (_, listing, _) = common::auditctl(&["-l"]);
        assert!(listing.contains("-a always,exit -F arch=b32 -S init_module,delete_module,finit_module -F key=modules"), "{listing}");
        // audit.rules written as augenrules would, 0640, with .prev kept when one existed.
        let written = std::fs::read(root.path().join("etc/audit/audit.rules")).unwrap();
        assert!(written
            .starts_with(b"## This file is automatically generated from /etc/audit/rules.d\n"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.path().join("etc/audit/audit.rules"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640);

        let (code, after) = verify_json();
        // Every probed syscall came out with its key; the tool watches were not probed
        // (no --exec), so the headline is "not verified", never a pass, and the exit is 1.
        assert_eq!(code, 1, "{after:#}");
        assert_eq!(after["verdict"], "notapplicable", "{after:#}");
        assert!(
            after["reason"].as_str().unwrap().contains("not verified"),
            "{after:#}"
        );
        let unprobed = after["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"].as_str().unwrap().starts_with("exec "))
            .collect::<Vec<_>>();
        assert!(!unprobed.is_empty());
        for e in unprobed {
            assert_eq!(e["verdict"], "notapplicable", "{e}");
            assert!(
                e["reason"].as_str().unwrap().starts_with("not verified"),
                "{e}"
            );
        }
        for e in [
            "b64 init_module",
            "b64 delete_module",
            "b32 init_module",
            "b32 delete_module",
        ] {
            let ev = event(&after, e);
            assert_eq!(ev["verdict"], "pass", "{ev}");
            assert_eq!(ev["key"], "modules", "{ev}");
        }
        assert!(after["elapsed_ms"].as_u64().unwrap() < 1000, "{after:#}");

        // A second fix --load appends nothing and changes no file.
        let (code, out, err) = common::fix_load_in_namespace(&root.path().join("etc/audit"), &[])
            .expect("set up once already");
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(
            tree(std::path::Path::new("/etc/audit")),
            host_before,
            "the host's /etc/audit changed"
        );
        let again: Value = serde_json::from_str(&out).unwrap();
        common::validate::report(out.as_bytes());
        assert_eq!(again["load"]["how"], "unchanged", "{again:#}");
        assert_eq!(again["changed"], false);
    });
}

#[test]
fn verify_on_purpose_broken_kernels() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        // Audit disabled: nothing is probed, everything fails, said plainly.
        assert_eq!(
            common::auditctl(&[
                "-a",
                "always,exit",
                "-F",
                "arch=b64",
                "-S",
                "init_module,delete_module",
                "-k",
                "m64"
            ])
            .0,
            0
        );
        let (code, v) = verify_json();
        assert_eq!(code, 1);
        assert!(v["reason"].as_str().unwrap().contains("disabled"), "{v:#}");

        // Enabled, b32 rule missing: b64 passes with its key, b32 fails and says why.
        assert_eq!(common::auditctl(&["-e", "1"]).0, 0);
        let (code, v) = verify_json();
        assert_eq!(code, 1);
        assert_eq!(event(&v, "b64 delete_module")["key"], "m64");
        let b32 = event(&v, "b32 delete_module");
        assert_eq!(b32["verdict"], "fail");
        assert!(
            b32["reason"]
                .as_str()
                .unwrap()
                .contains("no loaded rule audits it"),
            "{b32}"
        );

        // A never rule first (prepended): nothing comes out, and the reason names it.
        assert_eq!(
            common::auditctl(&["-A", "never,exit", "-F", "arch=b64", "-S", "delete_module"]).0,
            0
        );
        let (_, v) = verify_json();
        let b64 = event(&v, "b64 delete_module");
        assert_eq!(b64["verdict"], "fail", "{b64}");
        assert!(
            b64["reason"]
                .as_str()
                .unwrap()
                .contains("never rule at kernel:1"),
            "{b64}"
        );
        // init_module is not shadowed by that rule and still comes out.
        assert_eq!(event(&v, "b64 init_module")["verdict"], "pass");
    });
}

#[test]
fn without_privilege_verify_and_check_say_they_need_root() {
    if !usable() {
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: setpriv (util-linux) missing");
        return;
    }
    let exe = env!("CARGO_BIN_EXE_auditguard");
    // The binary must be reachable by the unprivileged user.
    let run = |args: &[&str]| {
        let out = Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(exe)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["verify"]);
    if err.contains("Permission denied") && out.is_empty() && code == 126 {
        eprintln!("skipped: the test binary is not executable by nobody");
        return;
    }
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("cannot verify"), "{err}");
    // Without root the audit configuration cannot be read: said once, as the cause, exit 2
    // (not "no rules directory" and "rules loaded by unknown").
    let (code, out, err) = run(&["check", "--format", "json"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("needs root"), "{err}");
    assert_eq!(err.matches("Permission denied").count(), 0, "{err}");
    // In a new user namespace audit is refused outright (ECONNREFUSED): not applicable too.
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user"])
        .arg(exe)
        .args(["check", "--format", "json"])
        .output();
    if let Ok(out) = out {
        if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
            assert_eq!(v["kernel"]["verdict"], "notapplicable", "{v:#}");
        }
    }
}
