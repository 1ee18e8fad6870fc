//! The kernel tests leave the host's audit state as they found it (issue 8, item 13):
//! `common::with_kernel` snapshots the rule list and settings and restores them exactly, on
//! return and on panic. Kernel, root; inside the shared lock. The "host state" here is a
//! known harmless one this test loads itself (rules on `kexec_load` and `acct`, a watch in a temp dir, an
//! exclude rule, odd backlog/rate settings, `enabled 1`); the real host state around it is
//! restored by the outer `with_kernel_in`. Never `-e 2`, `-f 2` or the loginuid lock.

mod common;

use common::{auditctl, with_kernel_in, HostAudit, KernelLock};

fn sh(args: &[&str]) {
    let (rc, _, err) = auditctl(args);
    assert_eq!(rc, 0, "auditctl {args:?}: {err}");
}

#[test]
fn with_kernel_restores_the_host_state_exactly_even_on_panic() {
    if !common::kernel_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let watched = dir.path().join("watched");
    std::fs::write(&watched, "x").unwrap();
    let watched = watched.to_str().expect("UTF-8 temp path").to_string();
    let lock = KernelLock::acquire();
    with_kernel_in(&lock, || {
        // The "host": rules on three lists, in an order that is not sorted, and settings.
        sh(&[
            "-a",
            "always,exit",
            "-F",
            "arch=b64",
            "-S",
            "kexec_load",
            "-k",
            "agtest-h1",
        ]);
        sh(&["-w", &watched, "-p", "wa", "-k", "agtest-h2"]);
        sh(&["-a", "never,exclude", "-F", "msgtype=CWD"]);
        sh(&[
            "-A",
            "always,exit",
            "-F",
            "arch=b32",
            "-S",
            "acct",
            "-k",
            "agtest-h0",
        ]);
        sh(&["-b", "333", "-r", "7", "-f", "0"]);
        let has_wait = HostAudit::snapshot().backlog_wait_time.is_some();
        if has_wait {
            sh(&["--backlog_wait_time", "1234"]);
        }
        sh(&["-e", "1"]);
        let host = HostAudit::snapshot();
        assert_eq!(host.rules.len(), 4, "{}", host.listing());
        assert!(host.listing().find("agtest-h0") < host.listing().find("agtest-h1"));
        assert_eq!(
            (host.enabled, host.failure, host.backlog_limit),
            (1, 0, 333)
        );

        // A test that changes everything, and returns.
        with_kernel_in(&lock, || {
            let start = HostAudit::snapshot();
            assert!(start.rules.is_empty(), "{}", start.listing());
            assert_eq!(start.enabled, 0);
            sh(&[
                "-a",
                "always,exit",
                "-F",
                "arch=b64",
                "-S",
                "kexec_load",
                "-k",
                "agtest-t",
            ]);
            sh(&["-b", "64", "-r", "0", "-f", "1", "-e", "1"]);
            if has_wait {
                sh(&["--backlog_wait_time", "60000"]);
            }
        });
        let diff = host.differences(&HostAudit::snapshot());
        assert!(diff.is_empty(), "after a returning test: {diff:?}");

        // A test that changes everything, deletes the host's rules, and panics.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            with_kernel_in(&lock, || {
                sh(&[
                    "-a",
                    "always,exit",
                    "-F",
                    "arch=b64",
                    "-S",
                    "kexec_load",
                    "-k",
                    "agtest-p",
                ]);
                sh(&["-b", "100", "-r", "3", "-f", "1", "-e", "0"]);
                panic!("a failing test");
            })
        }));
        assert!(r.is_err(), "the panic goes on");
        let diff = host.differences(&HostAudit::snapshot());
        assert!(diff.is_empty(), "after a panicking test: {diff:?}");
    });
    // The real host state is back (the outer with_kernel_in checked it exactly).
}
