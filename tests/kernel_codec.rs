//! Our netlink codec and client against the live kernel and the real auditctl (3.0.9).
//!
//! Story, for every Debian example file (`/usr/share/doc/auditd/examples/rules/*.rules`):
//!
//! 1. *Our client both ways.* Every line our parser turns into an AddRule is added with our
//!    client and listed back with our client: the decoded rules must equal what we sent
//!    (kernel identity, fields in order, every mask word), in kernel order; and the real
//!    `auditctl -l` must print exactly what `model::listing::list_rules` prints for our
//!    decoded list. Rules the kernel refuses with ENOENT (a watch whose parent is missing
//!    here) or EEXIST (a duplicate) are skipped and counted.
//! 2. *auditctl loads, we decode.* Each line goes to the real `auditctl -R` (one line at a
//!    time, as `-R` does); lines it accepts are applied to a plain list in the test. Our
//!    client's listing must equal that list, rule for rule.
//!
//! Kernel safety: all of it runs inside `common::with_kernel`; text given to auditctl goes
//! through `common::safe_rules`, and status lines (`-b`, `-f`, `-r`, ...) are dropped too, so
//! the shared kernel's settings are left alone. Our client never sends SET here.

mod common;

use auditguard::host::{native_machine, LiveHost};
use auditguard::kernel::{AuditKernel, KernelError, NetlinkKernel};
use auditguard::model::{listing, Action, Field, FieldType, List, Machine, Op, Rule};
use auditguard::syntax::{Command, LineKind, ParseContext};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Tokens that change kernel settings rather than rules; lines holding one are not loaded.
const STATUS_OPTIONS: &[&str] = &[
    "-b",
    "-f",
    "-r",
    "-e",
    "-s",
    "--backlog_wait_time",
    "--reset-lost",
    "--reset_backlog_wait_time_actual",
    "--signal",
];

/// Cases the examples lack: prepend, several keys, a directory watch with a
/// trailing slash, saddr_fam, bit operators, the exclude, filesystem, user and task lists.
const EXTRA_RULES: &str = "\
-a always,exit -F arch=b64 -S init_module,finit_module -k mod1 -k mod2 -k third
-A always,exit -F arch=b32 -S init_module -F auid!=unset -k prepended
-a always,exit -F dir=/etc/ssh/ -F perm=wa -k dirslash
-w /etc/ssh -p rx
-a always,exit -F arch=b64 -S connect -F saddr_fam=2 -k net
-a always,exit -F arch=b64 -S kill -F a1&=9 -F a2&8 -F pid<10 -F ppid>1 -F sessionid<=5
-a always,exit -F arch=b64 -S openat -F exit=-13 -F success=0 -F filetype=file
-a always,exclude -F msgtype=CWD
-a never,filesystem -F fstype=debugfs -k fsk
-a always,user -F uid=0
-a never,task -F gid=0
-a always,exit -F perm=wa -F path=/etc/hostname -k permfirst
-a always,exit -F arch=b64 -S all -F path=/etc/hosts -F perm=x -k allwatch
";

/// The files the stories run over: Debian's examples, then [`EXTRA_RULES`].
fn sources() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = common::debian_examples()
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(f).expect("read example"))
        })
        .collect();
    assert!(!v.is_empty(), "Debian's auditd examples are installed");
    v.push(("extra cases".to_string(), EXTRA_RULES.to_string()));
    v
}

fn machine() -> Machine {
    native_machine().expect("a machine libaudit knows")
}

fn skip_reason() -> Option<&'static str> {
    (!common::kernel_available()).then_some(
        "no usable kernel audit here (auditctl -s failed: not root, container or no auditctl)",
    )
}

/// The text we load: `safe_rules`, then status lines turned into comments (line numbers
/// stay aligned between the file and what we parse).
fn loadable(text: &str) -> String {
    common::safe_rules(text)
        .lines()
        .map(|l| {
            let status = l
                .split(' ')
                .any(|t| STATUS_OPTIONS.contains(&t) || t.starts_with("--loginuid"));
            if status {
                "# (status line dropped by the test)\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// Parsed lines of one file, with the text of each line.
fn parse(text: &str) -> Vec<(String, Vec<Command>)> {
    let accounts = auditguard::load::configuration::accounts(&LiveHost);
    let ctx = ParseContext {
        machine: machine(),
        accounts: &accounts,
    };
    auditguard::load::resolve::checked_lines(text.as_bytes(), &ctx, &LiveHost)
        .into_iter()
        .filter_map(|l| match l.kind {
            LineKind::Commands(c) => Some((text[l.range].to_string(), c)),
            _ => None,
        })
        .collect()
}

/// Differences between what the kernel listed and what we expected, stricter than identity:
/// every field and every mask word (class selector bits aside), in order.
fn compare(what: &str, listed: &[Rule], expected: &[Rule], problems: &mut Vec<String>) {
    if listed.len() != expected.len() {
        problems.push(format!(
            "{what}: kernel listed {} rules, expected {}",
            listed.len(),
            expected.len()
        ));
    }
    for (i, (got, want)) in listed.iter().zip(expected).enumerate() {
        let mut want_mask = want.mask.words();
        want_mask[63] &= 0x0000_FFFF; // the kernel clears class selector bits when it expands them
        let mut got_mask = got.mask.words();
        got_mask[63] &= 0x0000_FFFF;
        if got != want || got.fields != want.fields || got_mask != want_mask || got.prepend {
            problems.push(format!(
                "{what}: rule {i}:\n  kernel {:?}\n  sent   {:?}",
                got, want
            ));
        }
    }
}

fn auditctl_list() -> Vec<u8> {
    std::process::Command::new("auditctl")
        .arg("-l")
        .output()
        .expect("auditctl -l")
        .stdout
}

/// Delete every rule with our client.
fn clear(k: &mut NetlinkKernel) {
    for r in k.list_rules().expect("list") {
        k.delete_rule(&r).expect("delete a listed rule");
    }
    assert!(k.list_rules().expect("list").is_empty());
}

#[derive(Default)]
struct Counts {
    compared: usize,
    skipped_enoent: usize,
    skipped_eexist: usize,
}

#[test]
fn debian_examples_round_trip_through_the_kernel_with_our_client() {
    if let Some(why) = skip_reason() {
        eprintln!("skipped: {why}");
        return;
    }
    let files = sources();
    let (counts, problems) = common::with_kernel(|| {
        let mut k = NetlinkKernel::open().expect("open NETLINK_AUDIT");
        let mut counts = Counts::default();
        let mut problems = Vec::new();
        for (name, text) in &files {
            clear(&mut k);
            let mut model = common::KernelModel::default();
            for (line, cmds) in parse(&loadable(text)) {
                for cmd in cmds.iter().filter(|c| matches!(c, Command::AddRule(_))) {
                    let Command::AddRule(rule) = cmd else {
                        unreachable!()
                    };
                    match k.add_rule(rule) {
                        Ok(()) => model.apply(cmd),
                        Err(KernelError::NotFound) => counts.skipped_enoent += 1,
                        Err(KernelError::Exists) => counts.skipped_eexist += 1,
                        Err(e) => problems.push(format!("{name}: `{line}`: kernel said {e}")),
                    }
                }
            }
            let listed = k.list_rules().expect("list rules");
            let expected = model.rules();
            compare(name, &listed, &expected, &mut problems);
            counts.compared += listed.len().min(expected.len());
            let ours = listing::list_rules(&listed, machine());
            let real = auditctl_list();
            if ours != real {
                problems.push(format!(
                    "{name}: auditctl -l differs from our listing of the decoded rules\n--- auditctl\n{}--- ours\n{}",
                    String::from_utf8_lossy(&real),
                    String::from_utf8_lossy(&ours)
                ));
            }
        }
        clear(&mut k);
        (counts, problems)
    });
    println!(
        "our client: {} rules from {} files added, listed and compared; skipped: {} ENOENT, {} EEXIST",
        counts.compared,
        files.len(),
        counts.skipped_enoent,
        counts.skipped_eexist
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(counts.compared > 100, "too few rules compared");
}

/// `auditctl -R` on a one-line file (root-owned, 0600); true when the line was accepted.
fn auditctl_accepts(line: &str, file: &Path) -> bool {
    let mut f = std::fs::File::create(file).expect("create rules file");
    writeln!(f, "{line}").expect("write");
    drop(f);
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (rc, _, _) = common::auditctl(&["-R", file.to_str().expect("utf-8 path")]);
    rc == 0
}

#[test]
fn rules_loaded_by_auditctl_decode_to_our_parse() {
    if let Some(why) = skip_reason() {
        eprintln!("skipped: {why}");
        return;
    }
    let files = sources();
    let dir = tempfile::tempdir().expect("tempdir");
    let one_line = dir.path().join("line.rules");
    let (compared, refused, problems) = common::with_kernel(|| {
        let mut k = NetlinkKernel::open().expect("open NETLINK_AUDIT");
        let (mut compared, mut refused) = (0, 0);
        let mut problems = Vec::new();
        for (name, text) in &files {
            common::auditctl(&["-D"]);
            let mut model = common::KernelModel::default();
            for (line, cmds) in parse(&loadable(text)) {
                if !cmds.iter().any(|c| {
                    matches!(
                        c,
                        Command::AddRule(_) | Command::DeleteRule(_) | Command::DeleteAll { .. }
                    )
                }) {
                    continue;
                }
                if auditctl_accepts(&line, &one_line) {
                    cmds.iter().for_each(|c| model.apply(c));
                } else {
                    refused += 1;
                }
            }
            let listed = k.list_rules().expect("list rules");
            let expected = model.rules();
            compare(name, &listed, &expected, &mut problems);
            compared += listed.len().min(expected.len());
        }
        (compared, refused, problems)
    });
    println!(
        "auditctl -R loaded, our client decoded: {compared} rules from {} files compared; {refused} lines refused by the kernel",
        files.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared > 100, "too few rules compared");
}

#[test]
fn status_and_errors_against_the_live_kernel() {
    if let Some(why) = skip_reason() {
        eprintln!("skipped: {why}");
        return;
    }
    common::with_kernel(|| {
        let mut k = NetlinkKernel::open().expect("open NETLINK_AUDIT");
        let s = k.status().expect("status");
        assert_eq!(s.enabled, 0);
        assert!(s.backlog_limit > 0);
        let mut r = Rule::new(List::Exit, Action::Always);
        r.fields.push(Field::num(
            FieldType::ARCH,
            Op::Equal,
            machine().audit_arch(),
        ));
        r.mask.set(175);
        r.fields
            .push(Field::str(FieldType::KEY, Op::Equal, "ag-err"));
        assert_eq!(k.delete_rule(&r), Err(KernelError::NotFound));
        k.add_rule(&r).expect("add");
        assert_eq!(k.add_rule(&r), Err(KernelError::Exists));
        assert_eq!(KernelError::Exists.to_string(), "Rule exists");
        // A relative watch path: EINVAL from the kernel.
        let mut bad = Rule::new(List::Exit, Action::Always);
        bad.mask = auditguard::model::Mask::all();
        bad.fields
            .push(Field::str(FieldType::PATH, Op::Equal, "relative"));
        assert_eq!(k.add_rule(&bad), Err(KernelError::Invalid));
        // A watch whose parent is missing: ENOENT.
        bad.fields[0] = Field::str(FieldType::PATH, Op::Equal, "/nonexistent/ag/x");
        assert_eq!(k.add_rule(&bad), Err(KernelError::NotFound));
        assert_eq!(k.set_enabled(2), Err(KernelError::WouldLock(2)));
        k.set_enabled(1).expect("enable");
        assert_eq!(k.status().expect("status").enabled, 1);
        k.set_enabled(0).expect("disable");
        k.delete_rule(&r).expect("delete");
        assert!(k.list_rules().expect("list").is_empty());
    });
}

/// `cargo test --release --test kernel_codec -- --ignored --nocapture list_1000`: time listing
/// 1,000 rules with our client against `auditctl -l` (a measurement, not an assertion).
#[test]
#[ignore = "measurement; run by bench/kernel.sh"]
fn list_1000_rules_timing() {
    if let Some(why) = skip_reason() {
        eprintln!("skipped: {why}");
        return;
    }
    const RUNS: usize = 20;
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (ours, ours_print, real) = common::with_kernel(|| {
        let mut k = NetlinkKernel::open().expect("open NETLINK_AUDIT");
        for uid in 0..1000 {
            let mut r = Rule::new(List::Exit, Action::Always);
            r.fields.push(Field::num(
                FieldType::ARCH,
                Op::Equal,
                machine().audit_arch(),
            ));
            r.mask.set(257);
            r.fields.push(Field::num(FieldType::UID, Op::Equal, uid));
            r.fields
                .push(Field::str(FieldType::KEY, Op::Equal, "bench"));
            k.add_rule(&r).expect("add");
        }
        let time = |f: &mut dyn FnMut()| {
            median(
                (0..RUNS)
                    .map(|_| {
                        let t = Instant::now();
                        f();
                        t.elapsed()
                    })
                    .collect(),
            )
        };
        let ours = time(&mut || assert_eq!(k.list_rules().expect("list").len(), 1000));
        let ours_print = time(&mut || {
            let text = listing::list_rules(&k.list_rules().expect("list"), machine());
            assert_eq!(text.iter().filter(|b| **b == b'\n').count(), 1000);
        });
        let real = time(&mut || {
            let out = auditctl_list();
            assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1000);
        });
        (ours, ours_print, real)
    });
    println!("listing 1,000 rules, median of {RUNS} runs:");
    println!("  our client (netlink + decode):            {ours:?}");
    println!("  our client + auditctl -l printer:         {ours_print:?}");
    println!("  auditctl -l (process, netlink, printing): {real:?}");
    println!(
        "  ratio auditctl -l / ours: {:.1}x (decode only), {:.1}x (with printing)",
        real.as_secs_f64() / ours.as_secs_f64(),
        real.as_secs_f64() / ours_print.as_secs_f64()
    );
}
