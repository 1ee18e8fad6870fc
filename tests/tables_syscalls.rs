//! The embedded syscall tables against the real `ausyscall` (auditd 3.0.9): every number's
//! printed name equals `ausyscall <arch> --dump`, and every accepted name resolves the same
//! way with `ausyscall <arch> NAME --exact`. Skips (with a message) when ausyscall is missing
//! or is not the pinned release.

use auditguard::model::syscalls::{self, AUDIT_VERSION, TABLES};
use auditguard::model::Machine;
use std::process::Command;

fn pinned_tool_available() -> bool {
    let version = Command::new("auditctl").arg("-v").output();
    let ok = match version {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .trim()
            .ends_with(&format!("version {AUDIT_VERSION}")),
        Err(_) => false,
    };
    let has_ausyscall = Command::new("ausyscall").arg("--dump").output().is_ok();
    if !(ok && has_ausyscall) {
        eprintln!("skipped: ausyscall/auditctl {AUDIT_VERSION} not installed");
    }
    ok && has_ausyscall
}

/// `ausyscall ARCH --dump`: (number, name) rows after the `Using ... syscall table:` line.
fn dump(arch: &str) -> Vec<(u32, String)> {
    let out = Command::new("ausyscall")
        .args([arch, "--dump"])
        .output()
        .expect("run ausyscall");
    let text = String::from_utf8(out.stdout).expect("utf-8 dump");
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("Using "), "{arch}: {header}");
    lines
        .map(|l| {
            let (nr, name) = l.split_once('\t').expect("nr<TAB>name");
            (nr.parse().expect("number"), name.to_string())
        })
        .collect()
}

/// Every machine (ppc64 and ppc64le share ppc's table) against its own dump.
#[test]
fn embedded_tables_match_ausyscall_dump() {
    if !pinned_tool_available() {
        return;
    }
    for m in Machine::ALL {
        let t = syscalls::table(m);
        let embedded: Vec<(u32, String)> = t
            .by_number
            .iter()
            .map(|(n, s)| (*n, s.to_string()))
            .collect();
        assert_eq!(embedded, dump(m.name()), "{m:?} (table {})", t.name);
    }
}

#[test]
fn every_accepted_name_resolves_like_ausyscall_exact() {
    if !pinned_tool_available() {
        return;
    }
    for t in TABLES {
        // Only the aliases (names not printed) need a process each; printed names are covered
        // by the dump comparison and the unit test that ties both directions together.
        for (name, nr) in t.by_name {
            if t.by_number.iter().any(|(_, n)| n == name) {
                continue;
            }
            let out = Command::new("ausyscall")
                .args([t.name, name, "--exact"])
                .output()
                .expect("run ausyscall");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                nr.to_string(),
                "{} {name}",
                t.name
            );
        }
    }
    // Case-insensitive lookup, as libaudit's --lowercase tables do.
    let out = Command::new("ausyscall")
        .args(["x86_64", "INIT_Module", "--exact"])
        .output()
        .expect("run ausyscall");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "175");
    assert_eq!(syscalls::number(Machine::X86_64, "INIT_Module"), Some(175));
}
