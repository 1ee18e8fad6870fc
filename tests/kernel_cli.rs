//! The kernel-facing commands against the real kernel: `rules --kernel` prints what
//! `auditctl -l` prints, `status` what `auditctl -s` prints, and drift reports exactly the
//! difference between a configuration and the kernel.
//!
//! Kernel safety: everything runs in `common::with_kernel` (shared flock, no rules and
//! `enabled 0` inside, the host's state restored after); only rule lines are loaded (no `-e`, `-f`, `-b`, ...).

mod common;

use auditguard::cli::kernel_finding as assess;
use auditguard::host::RootHost;
use auditguard::kernel::{AuditKernel, NetlinkKernel};
use auditguard::load::configuration::configure;
use auditguard::model::Machine;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn bin(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_auditguard"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn rules_kernel_and_status_match_auditctl() {
    if !common::kernel_available() {
        eprintln!("skipped: no kernel audit access");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for example in [
        "30-stig",
        "30-pci-dss-v31",
        "43-module-load",
        "42-injection",
    ] {
        let src = format!("/usr/share/doc/auditd/examples/rules/{example}.rules");
        let Ok(text) = std::fs::read_to_string(&src) else {
            continue;
        };
        let path = dir.path().join(format!("{example}.rules"));
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(common::rules_only(&text).as_bytes()).unwrap();
        drop(f);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        common::with_kernel(|| {
            // -c: keep going past lines this machine cannot load (missing watch parents).
            let mut with_c = std::fs::read_to_string(&path).unwrap();
            with_c.insert_str(0, "-c\n");
            std::fs::write(&path, with_c).unwrap();
            let _ = common::auditctl(&["-R", path.to_str().unwrap()]);
            let (_, real, _) = common::auditctl(&["-l"]);
            let (code, ours) = bin(&["rules", "--kernel"]);
            assert_eq!(code, 0);
            assert_eq!(
                ours, real,
                "{example}: rules --kernel differs from auditctl -l"
            );
            compared += real.lines().count();
            let (_, real_status, _) = common::auditctl(&["-s"]);
            let (_, our_status) = bin(&["status"]);
            // lost/backlog may move between the two reads; compare the stable lines.
            let stable = |s: &str| {
                s.lines()
                    .filter(|l| !l.starts_with("lost") && !l.starts_with("backlog "))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            };
            assert_eq!(stable(&our_status), stable(&real_status));
        });
    }
    eprintln!("{compared} kernel rules listed identically");
    assert!(compared > 50);
}

#[test]
fn drift_reports_exactly_the_difference() {
    if !common::kernel_available() {
        eprintln!("skipped: no kernel audit access");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let status = Command::new("cp")
        .args([
            "-a",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/compliant/."),
        ])
        .arg(root)
        .status()
        .unwrap();
    assert!(status.success());
    let host = RootHost::new(root);
    let control = auditguard::control::find("kernel-module-loading").unwrap();
    common::with_kernel(|| {
        let config = configure(&host, Machine::X86_64).unwrap();
        let mut k = NetlinkKernel::open().unwrap();
        for r in &config.outcome.rules {
            k.add_rule(&r.rule).unwrap();
        }
        let same = assess(
            &mut k,
            Some(&config.outcome.rules),
            std::slice::from_ref(&control),
            Machine::X86_64,
            &host,
        );
        let d = same.drift.clone().unwrap();
        assert!(
            d.missing.is_empty() && d.extra.is_empty() && !d.reordered,
            "{d:?}"
        );
        assert_eq!(
            same.controls[0].verdict,
            auditguard::control::finding::Verdict::Pass
        );

        // Change the configuration: drop the b32 rule, add a new watch.
        let file = root.join("etc/audit/rules.d/modules.rules");
        let text = std::fs::read_to_string(&file).unwrap();
        let changed: String = text
            .lines()
            .filter(|l| !l.contains("arch=b32"))
            .map(|l| format!("{l}\n"))
            .chain(std::iter::once(
                "-w /etc/hosts -p wa -k drift\n".to_string(),
            ))
            .collect();
        std::fs::write(&file, changed).unwrap();
        let config = configure(&host, Machine::X86_64).unwrap();
        let f = assess(
            &mut k,
            Some(&config.outcome.rules),
            std::slice::from_ref(&control),
            Machine::X86_64,
            &host,
        );
        let d = f.drift.unwrap();
        assert_eq!(d.missing.len(), 1, "{d:?}");
        assert!(d.missing[0].text.contains("/etc/hosts"));
        assert_eq!(d.extra.len(), 1, "{d:?}");
        assert!(d.extra[0].text.contains("arch=b32"));
        assert_eq!(d.extra[0].file, "kernel");
        assert!(f.reason.contains("differs from the configuration"));
    });
}
