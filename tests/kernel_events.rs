//! The multicast listener receives what a rule makes the kernel emit (live kernel).
//!
//! Story: with `-a always,exit -F arch=b64 -S init_module,finit_module,delete_module
//! -F key=agtest` added through our client and `enabled 1` (our client; `with_kernel`
//! restores `enabled 0` and no rules), a harmless probe — `delete_module` of a module that
//! does not exist, which fails with ENOENT and is still audited — must come out on the audit
//! multicast group as a SYSCALL record with key `agtest` within one second. No auditd runs:
//! the multicast group gets the records anyway.

mod common;

use auditguard::host::native_machine;
use auditguard::kernel::events::{EventListener, Record, AUDIT_SYSCALL};
use auditguard::kernel::{AuditKernel, NetlinkKernel};
use auditguard::model::{Action, Field, FieldType, List, Machine, Op, Rule};
use std::time::{Duration, Instant};

/// `ENOENT` (asm-generic/errno-base.h).
const ENOENT: i32 = 2;
/// `ENOSYS` (asm-generic/errno.h).
const ENOSYS: i32 = 38;

extern "C" {
    fn syscall(number: i64, ...) -> i64;
}

/// `delete_module("auditguard_no_such_module", 0)`: fails with ENOENT (ENOSYS without module
/// support), changes nothing.
/// Returns the syscall's result and errno.
fn probe_delete_module() -> (i64, i32) {
    const NR_DELETE_MODULE: i64 = 176; // x86_64
    let name = c"auditguard_no_such_module";
    // SAFETY: delete_module takes a NUL-terminated name and flags; the name is a valid C
    // string that outlives the call, and no module by that name exists.
    let rc = unsafe { syscall(NR_DELETE_MODULE, name.as_ptr(), 0i64) };
    (
        rc,
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
    )
}

fn rule() -> Rule {
    let mut r = Rule::new(List::Exit, Action::Always);
    r.fields.push(Field::num(
        FieldType::ARCH,
        Op::Equal,
        Machine::X86_64.audit_arch(),
    ));
    for nr in [175, 176, 313] {
        r.mask.set(nr);
    }
    r.fields
        .push(Field::str(FieldType::KEY, Op::Equal, "agtest"));
    r
}

#[test]
fn delete_module_probe_comes_out_with_its_key() {
    if native_machine() != Some(Machine::X86_64) {
        eprintln!("skipped: the probe's syscall number is x86_64's");
        return;
    }
    if !common::kernel_available() {
        eprintln!("skipped: no usable kernel audit here (not root, container or no auditctl)");
        return;
    }
    let (records, rc, errno) = common::with_kernel(|| {
        let mut k = NetlinkKernel::open().expect("open NETLINK_AUDIT");
        let mut listener = EventListener::open().expect("join the audit multicast group");
        k.add_rule(&rule()).expect("add rule");
        k.set_enabled(1).expect("enable audit");
        let (rc, errno) = probe_delete_module();
        let deadline = Instant::now() + Duration::from_secs(1);
        let pid = std::process::id().to_string();
        let records = listener
            .collect_until(deadline, |r| is_our_probe(r, &pid))
            .expect("receive records");
        (records, rc, errno)
    });
    // ENOSYS on kernels built without module support (CONFIG_MODULES=n, e.g. this test VM's):
    // the syscall still enters and exits, so it is audited all the same.
    assert!(
        rc == -1 && (errno == ENOENT || errno == ENOSYS),
        "the probe fails harmlessly: rc {rc}, errno {errno}"
    );
    let pid = std::process::id().to_string();
    let syscall = records
        .iter()
        .find(|r| is_our_probe(r, &pid))
        .unwrap_or_else(|| {
            panic!(
                "no SYSCALL record with key agtest within 1 s; got {} records:\n{}",
                records.len(),
                records
                    .iter()
                    .map(|r| format!("{} {}", r.kind, String::from_utf8_lossy(&r.text)))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    assert_eq!(syscall.field("syscall"), Some(&b"176"[..]));
    assert_eq!(syscall.field("success"), Some(&b"no"[..]));
    let id = syscall.event_id().expect("event id");
    println!(
        "received {} ({} records; event serial {})",
        String::from_utf8_lossy(&syscall.text),
        records.len(),
        id.serial
    );
}

fn is_our_probe(r: &Record, pid: &str) -> bool {
    r.kind == AUDIT_SYSCALL
        && r.keys() == vec![b"agtest".to_vec()]
        && r.field("pid") == Some(pid.as_bytes())
}
