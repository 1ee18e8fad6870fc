//! Kernel truth: what the running kernel really records for the rule shapes of issue 8, proved
//! with harmless probes, so the evaluator's answers (and the scenarios that pin them) rest on
//! the kernel, not on a reading of `kernel/auditsc.c` and `kernel/auditfilter.c`.
//!
//! Each test loads rules with the real `auditctl`, listens on the audit multicast group
//! (`EventListener`, in a thread, so nothing is lost while a probe runs) and runs
//! `auditguard __probe` children with a user's login uid: module syscalls with refused
//! arguments (they fail and change nothing, and are audited at syscall exit like real module
//! loads), or an exec of a copy of `/bin/true --version` through a symlink in a temporary
//! directory. The SYSCALL records are matched by the child's pid (and arch and syscall number).
//! Every "nothing came out" is paired with a positive control in the same test: the same probe
//! coming out with another rule set, or another record of the same event.
//!
//! Kernel safety: every step that touches audit state runs inside `common::with_kernel` (shared
//! flock, no rules and `enabled 0` inside, the host's state restored exactly afterwards, refused
//! while an audit daemon is registered or the rules are locked). Only `-e 0` and `-e 1` are
//! used; never `-e 2`, `-f 2` or `--loginuid-immutable`. The `-a always,task` flood (every
//! syscall of every process forked while it is loaded) is kept to one probe's duration.

mod common;

use auditguard::host::{native_machine, LiveHost};
use auditguard::kernel::events::{EventListener, Record, AUDIT_SYSCALL};
use auditguard::kernel::{AuditKernel, NetlinkKernel};
use auditguard::model::{syscalls, Field, FieldType, List, Machine, Op, Rule};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How long records are gathered after the last probe of a phase exited. kauditd delivers
/// within milliseconds; a "nothing came out" is only claimed after this long.
const SETTLE: Duration = Duration::from_millis(1000);
/// `AUDIT_PROCTITLE`.
const AUDIT_PROCTITLE: u16 = 1327;
/// `AUDIT_CONFIG_CHANGE`: a rule was added or removed.
const AUDIT_CONFIG_CHANGE: u16 = 1305;
/// `AUDIT_LOGIN`: the login uid was set.
const AUDIT_LOGIN: u16 = 1006;
/// `AUDIT_PATH`.
const AUDIT_PATH: u16 = 1302;

const MOD64: &str = "-a always,exit -F arch=b64 -S init_module,delete_module -k mod64";
const MOD32: &str = "-a always,exit -F arch=b32 -S init_module,delete_module -k mod32";
const MODULE_SYSCALLS: [&str; 2] = ["init_module", "delete_module"];

fn usable() -> bool {
    if native_machine() != Some(Machine::X86_64) {
        eprintln!("skipped: the probes' expectations here are x86_64's");
        return false;
    }
    common::kernel_available()
}

/// The login uid the probes take: the test's own when it is a user's, else `UID_MIN`.
fn probe_uid() -> u32 {
    let min = auditguard::load::configuration::uid_min(&LiveHost);
    match auditguard::kernel::probe::loginuid() {
        Some(u) if u >= min && u != u32::MAX => u,
        _ => min,
    }
}

/// Run an `auditctl` command line (whitespace-separated words); it must succeed.
fn ctl(line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (rc, out, err) = common::auditctl(&words);
    assert_eq!(rc, 0, "auditctl {line}: {out}{err}");
}

/// Load rule lines in order, then `-e 1`.
fn load_enabled(lines: &[&str]) {
    for l in lines {
        ctl(l);
    }
    ctl("-e 1");
}

/// The kernel's rules as `auditctl -l` prints them.
fn listing() -> String {
    common::auditctl(&["-l"]).1
}

/// Everything the audit multicast group delivered while a phase ran.
struct Capture {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(Vec<Record>, u64)>,
}

impl Capture {
    /// Join the multicast group (before any probe runs) and gather in a thread.
    fn start() -> Capture {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready, joined) = mpsc::channel();
        let s = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut listener = EventListener::open().expect("join the audit multicast group");
            ready.send(()).expect("signal ready");
            let mut out = Vec::new();
            while !s.load(Ordering::SeqCst) {
                if let Some(r) = listener
                    .recv(Duration::from_millis(50))
                    .expect("receive records")
                {
                    out.push(r);
                }
            }
            (out, listener.overruns())
        });
        joined.recv().expect("the listener thread started");
        Capture { stop, thread }
    }

    /// Wait [`SETTLE`], stop, and return what came.
    fn finish(self) -> Seen {
        std::thread::sleep(SETTLE);
        self.stop.store(true, Ordering::SeqCst);
        let (records, overruns) = self.thread.join().expect("listener thread");
        Seen { records, overruns }
    }
}

/// The records of one phase.
struct Seen {
    records: Vec<Record>,
    overruns: u64,
}

impl Seen {
    /// The SYSCALL records process `pid` caused.
    fn syscalls_of(&self, pid: u32) -> Vec<&Record> {
        let pid = pid.to_string();
        self.records
            .iter()
            .filter(|r| r.kind == AUDIT_SYSCALL && r.field("pid") == Some(pid.as_bytes()))
            .collect()
    }

    /// The SYSCALL record of syscall `name` of ABI `abi` made by `pid`.
    fn syscall(&self, pid: u32, abi: Machine, name: &str) -> Option<&Record> {
        let arch = format!("{:x}", abi.audit_arch());
        let nr = syscalls::number(abi, name)
            .unwrap_or_else(|| panic!("{} has {name}", abi.name()))
            .to_string();
        self.syscalls_of(pid).into_iter().find(|r| {
            r.field("arch")
                .is_some_and(|a| a.eq_ignore_ascii_case(arch.as_bytes()))
                && r.field("syscall") == Some(nr.as_bytes())
        })
    }

    /// Every record of the events whose SYSCALL record `pid` caused, as text (for messages).
    fn events_of(&self, pid: u32) -> String {
        let ids: Vec<_> = self
            .syscalls_of(pid)
            .iter()
            .filter_map(|r| r.event_id())
            .collect();
        let lines: Vec<String> = self
            .records
            .iter()
            .filter(|r| r.event_id().is_some_and(|id| ids.contains(&id)))
            .map(show)
            .collect();
        format!(
            "{} records of pid {pid} (of {} received, {} overruns):\n{}",
            lines.len(),
            self.records.len(),
            self.overruns,
            lines.join("\n")
        )
    }

    /// Every event record whose key list holds `key` (not the CONFIG_CHANGE records that
    /// report adding and removing a rule with that key).
    fn with_key(&self, key: &str) -> Vec<&Record> {
        self.records
            .iter()
            .filter(|r| r.kind != AUDIT_CONFIG_CHANGE)
            .filter(|r| r.keys().iter().any(|k| k == key.as_bytes()))
            .collect()
    }

    /// A "nothing came out" is only a proof when no record was lost on the way.
    fn assert_nothing_lost(&self) {
        assert_eq!(
            self.overruns, 0,
            "the listener's queue overflowed: records were lost, absence proves nothing"
        );
    }
}

fn show(r: &Record) -> String {
    format!("  type={} {}", r.kind, String::from_utf8_lossy(&r.text))
}

/// A proctitle value decoded (hex: argv joined by NULs; or quoted).
fn proctitle(r: &Record) -> Vec<u8> {
    let v = r.field("proctitle").unwrap_or_default();
    if let Some(q) = v.strip_prefix(b"\"") {
        return q.strip_suffix(b"\"").unwrap_or(q).to_vec();
    }
    v.chunks(2)
        .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

/// Start `auditguard __probe ARGS` with the probe login uid (the fork is done on return).
fn spawn_probe(abi: Machine, args: &[&str]) -> std::process::Child {
    let uid = probe_uid().to_string();
    Command::new(env!("CARGO_BIN_EXE_auditguard"))
        .args(["__probe", "--loginuid", &uid, "--abi", abi.name()])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the probe")
}

/// Wait for a probe; returns its pid. Panics when it could not take the login uid or failed
/// otherwise; `None` when a 32-bit probe was killed by a signal (no IA32 emulation).
fn wait_probe(child: std::process::Child, abi: Machine) -> Option<u32> {
    let pid = child.id();
    let out = child.wait_with_output().expect("wait for the probe");
    let err = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        None if abi != Machine::X86_64 => {
            eprintln!("the {} probe was killed by a signal: {err}", abi.name());
            None
        }
        Some(0) => {
            assert!(err.trim().is_empty(), "probe {pid}: {err}");
            Some(pid)
        }
        other => panic!("probe {pid} failed ({other:?}): {err}"),
    }
}

/// Run `auditguard __probe ARGS` to its end; see [`wait_probe`].
fn run_probe(abi: Machine, args: &[&str]) -> Option<u32> {
    wait_probe(spawn_probe(abi, args), abi)
}

/// The module syscalls with refused arguments, on `abi`. `None`: that ABI cannot be entered.
fn probe_modules(abi: Machine) -> Option<u32> {
    wait_probe(spawn_modules(abi), abi)
}

/// [`probe_modules`], started only.
fn spawn_modules(abi: Machine) -> std::process::Child {
    spawn_probe(abi, &["--syscalls", &MODULE_SYSCALLS.join(",")])
}

/// Whether this kernel runs 32-bit syscalls (IA32 emulation); said on stderr when not.
fn b32_available() -> bool {
    let ok = probe_modules(Machine::X86).is_some();
    if !ok {
        eprintln!("skipped b32 part: this kernel does not run 32-bit syscalls");
    }
    ok
}

/// The ABIs probed: b64, and b32 where the kernel runs it.
fn abis() -> Vec<Machine> {
    let mut v = vec![Machine::X86_64];
    if b32_available() {
        v.push(Machine::X86);
    }
    v
}

/// Probe each ABI's module syscalls in one capture; returns (abi, pid) pairs and the records.
fn probe_all(abis: &[Machine]) -> (Vec<(Machine, u32)>, Seen) {
    probe_all_then(abis, || {})
}

/// [`probe_all`], running `after` as soon as the probes exited (before the settle time).
fn probe_all_then(abis: &[Machine], after: impl FnOnce()) -> (Vec<(Machine, u32)>, Seen) {
    let cap = Capture::start();
    let pids: Vec<(Machine, u32)> = abis
        .iter()
        .map(|a| (*a, probe_modules(*a).expect("probe")))
        .collect();
    after();
    (pids, cap.finish())
}

fn key_of(abi: Machine) -> &'static str {
    if abi == Machine::X86_64 {
        "mod64"
    } else {
        "mod32"
    }
}

/// The SYSCALL record of the probe `pid`'s `name` on `abi`; panics naming `when` without one.
fn module_record<'s>(seen: &'s Seen, abi: Machine, pid: u32, name: &str, when: &str) -> &'s Record {
    seen.syscall(pid, abi, name).unwrap_or_else(|| {
        panic!(
            "{when}: no SYSCALL record for {} {name}; {}",
            abi.name(),
            seen.events_of(pid)
        )
    })
}

/// Every module syscall of every probe came out with its ABI's key.
fn assert_keyed(pids: &[(Machine, u32)], seen: &Seen, when: &str) {
    for (abi, pid) in pids {
        for name in MODULE_SYSCALLS {
            let r = module_record(seen, *abi, *pid, name, when);
            assert_eq!(
                r.keys(),
                vec![key_of(*abi).as_bytes().to_vec()],
                "{when}: {}",
                show(r)
            );
        }
    }
}

/// No SYSCALL record at all came from any probe.
fn assert_silent(pids: &[(Machine, u32)], seen: &Seen, when: &str) {
    seen.assert_nothing_lost();
    for (abi, pid) in pids {
        assert!(
            seen.syscalls_of(*pid).is_empty(),
            "{when}: the {} probe was recorded; {}",
            abi.name(),
            seen.events_of(*pid)
        );
    }
}

// ---------------------------------------------------------------------------------------
// (a) issue 8 item 2: task-list rules.

/// The task-list rule loaded last (with auditctl, while auditing is off), read back from the
/// kernel and deleted again: [`probe_under_task_rule`] puts it back only around each fork.
fn take_task_rule() -> Rule {
    let mut k = NetlinkKernel::open().expect("audit socket");
    let task = k
        .list_rules()
        .expect("list rules")
        .into_iter()
        .find(|r| r.list == List::Task)
        .expect("the task rule is loaded");
    k.delete_rule(&task).expect("delete the task rule");
    task
}

/// Probe each ABI's module syscalls with `task` in the kernel only while the probe is forked
/// (a task rule acts at fork): added through the library client just before the fork and
/// deleted right after, with no other fork by the test in between. The record state it gives
/// (every syscall of every process forked under it, machine-wide) floods as little as possible.
/// Re-adding it after the exit rules changes nothing for the kernel: the task list and the
/// exit list are separate lists, and only exit-list rules get a priority from their order.
///
/// A task rule floods (hundreds of records per process before its exec), so a phase in which
/// the listener's queue overflowed proves nothing either way: it is run again, up to three
/// times, and the last phase is returned whatever it holds.
fn probe_under_task_rule(abis: &[Machine], task: &Rule) -> (Vec<(Machine, u32)>, Seen) {
    let mut attempt = 1;
    loop {
        let (pids, seen) = probe_under_task_rule_once(abis, task);
        if seen.overruns == 0 || attempt == 3 {
            return (pids, seen);
        }
        eprintln!(
            "task-rule phase {attempt}: {} overruns, again",
            seen.overruns
        );
        attempt += 1;
    }
}

fn probe_under_task_rule_once(abis: &[Machine], task: &Rule) -> (Vec<(Machine, u32)>, Seen) {
    let mut k = NetlinkKernel::open().expect("audit socket");
    let cap = Capture::start();
    let mut pids = Vec::new();
    for abi in abis {
        k.add_rule(task).expect("add the task rule");
        let child = spawn_modules(*abi);
        k.delete_rule(task).expect("delete the task rule");
        pids.push((*abi, wait_probe(child, *abi).expect("probe")));
    }
    (pids, cap.finish())
}

/// `-a always,task` puts every process forked after it in the record state: its syscalls are
/// recorded, but the exit rules (keyed `mod64`/`mod32` here) are never consulted for it, so
/// the module syscalls come out with `key=(null)`.
#[test]
fn always_task_records_module_syscalls_without_exit_keys() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let abis = abis();
        // Control: the exit rules alone key every module syscall.
        load_enabled(&[MOD64, MOD32]);
        let (pids, seen) = probe_all(&abis);
        assert_keyed(&pids, &seen, "exit rules only");

        // The task rule first, the same keyed exit rules after it (loaded with auditing off).
        ctl("-e 0");
        ctl("-D");
        ctl("-a always,task");
        ctl(MOD64);
        ctl(MOD32);
        let l = listing();
        assert!(l.starts_with("-a always,task\n"), "{l}");
        let task = take_task_rule();
        ctl("-e 1");
        let (pids, seen) = probe_under_task_rule(&abis, &task);
        for (abi, pid) in &pids {
            for name in MODULE_SYSCALLS {
                let r = module_record(&seen, *abi, *pid, name, "always,task");
                assert_eq!(r.field("key"), Some(&b"(null)"[..]), "{}", show(r));
                println!("always,task: {}", show(r));
            }
            // The record state records the other syscalls of the process too (execve, ...).
            assert!(
                seen.syscalls_of(*pid).len() > MODULE_SYSCALLS.len(),
                "{}",
                seen.events_of(*pid)
            );
        }
    });
}

/// A key on an `always,task` rule without other fields: auditctl refuses it ("Key field needs
/// a watch, syscall or exe path given prior to it"), the kernel accepts it (added here through
/// the library client), and then every syscall of a process forked under it carries the task
/// rule's key, the module syscalls included (the exit rules' `mod64` never shows).
#[test]
fn keyed_always_task_rule_keys_every_syscall() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let (rc, _, err) = common::auditctl(&["-a", "always,task", "-F", "key=tk"]);
        assert_ne!(rc, 0, "auditctl accepted a keyed task rule");
        assert!(err.contains("Key field needs a watch"), "{err}");
        ctl("-a always,task");
        let mut task = take_task_rule();
        task.fields
            .push(Field::str(FieldType::KEY, Op::Equal, "tk"));
        load_enabled(&[MOD64]);
        let (pids, seen) = probe_under_task_rule(&[Machine::X86_64], &task);
        let pid = pids[0].1;
        for name in MODULE_SYSCALLS {
            let r = seen
                .syscall(pid, Machine::X86_64, name)
                .unwrap_or_else(|| panic!("no SYSCALL record for {name}; {}", seen.events_of(pid)));
            println!("always,task key=tk: {}", show(r));
            assert_eq!(r.keys(), vec![b"tk".to_vec()], "{}", show(r));
        }
        let all = seen.syscalls_of(pid);
        assert!(all.len() > MODULE_SYSCALLS.len(), "{}", seen.events_of(pid));
        assert!(
            all.iter().all(|r| r.keys() == vec![b"tk".to_vec()]),
            "{}",
            seen.events_of(pid)
        );
    });
}

/// `-F exe=` on the task list (auditctl accepts `-a always,task -F exe=PATH -k tk`) never
/// matches at fork, not even for a child of PATH itself (the kernel compares the exe of the
/// current task only): the child stays in the normal state, its module syscalls come out
/// through the exit rules (`mod64`) and nothing carries `tk`.
#[test]
fn task_rule_exe_field_never_matches_at_fork() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        // The probe is forked by this test binary, so at fork its exe is this binary's.
        let exe = std::env::current_exe().expect("this test's exe");
        let line = format!("-a always,task -F exe={} -k tk", exe.display());
        ctl(&line);
        load_enabled(&[MOD64]);
        let task = take_task_rule();
        let (pids, seen) = probe_under_task_rule(&[Machine::X86_64], &task);
        seen.assert_nothing_lost();
        assert_keyed(&pids, &seen, &line);
        let pid = pids[0].1;
        println!("{line}: {}", seen.events_of(pid));
        let tk: Vec<String> = seen.with_key("tk").into_iter().map(show).collect();
        assert!(tk.is_empty(), "{}", tk.join("\n"));
        // Not in the record state: only the audited syscalls (the module ones, and the
        // loginuid write its LOGIN record makes auditable) came out, not its exec and startup.
        assert!(
            seen.syscall(pid, Machine::X86_64, "execve").is_none(),
            "{}",
            seen.events_of(pid)
        );
    });
}

/// `-a never,task -F arch=b32`: a task rule is evaluated at fork, without a syscall context,
/// where `arch` is never true: it suppresses nothing, b32 and b64 events come out keyed.
#[test]
fn never_task_with_arch_suppresses_nothing() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let abis = abis();
        load_enabled(&["-a never,task -F arch=b32", MOD64, MOD32]);
        let l = listing();
        assert!(l.contains("-a never,task -F arch=b32"), "{l}");
        let (pids, seen) = probe_all(&abis);
        assert_keyed(&pids, &seen, "never,task -F arch=b32");
        for (abi, pid) in &pids {
            println!(
                "never,task -F arch=b32: {}",
                show(seen.syscall(*pid, *abi, "init_module").expect("checked"))
            );
        }
    });
}

/// `-a never,task` without fields matches every process forked after it: nothing it does is
/// recorded, on any ABI, whatever the exit rules say.
#[test]
fn never_task_without_fields_suppresses_everything() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let abis = abis();
        load_enabled(&[MOD64, MOD32]);
        let (pids, seen) = probe_all(&abis);
        assert_keyed(&pids, &seen, "before never,task");

        ctl("-a never,task");
        let (pids, seen) = probe_all(&abis);
        assert_silent(&pids, &seen, "never,task");

        ctl("-d never,task");
        let (pids, seen) = probe_all(&abis);
        assert_keyed(&pids, &seen, "after never,task was deleted");
    });
}

// ---------------------------------------------------------------------------------------
// (b) issue 8 item 1: rules without fields on the exclude list.

/// `-a always,exclude` without fields matches nothing: the SYSCALL record still comes out.
#[test]
fn exclude_without_fields_drops_nothing() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        load_enabled(&["-a always,exclude", MOD64]);
        let l = listing();
        assert!(l.contains("-a always,exclude"), "{l}");
        let (pids, seen) = probe_all(&[Machine::X86_64]);
        assert_keyed(&pids, &seen, "always,exclude without fields");
        println!("always,exclude: {}", seen.events_of(pids[0].1));
    });
}

/// The PROCTITLE records of `__probe` children.
fn probe_titles(seen: &Seen) -> Vec<&Record> {
    seen.records
        .iter()
        .filter(|r| r.kind == AUDIT_PROCTITLE)
        .filter(|r| proctitle(r).windows(7).any(|w| w == b"__probe"))
        .collect()
}

/// `-a always,exclude -F msgtype=SYSCALL` drops the SYSCALL records, and with them the whole
/// syscall event: its PROCTITLE does not come out either (the kernel ends the event when its
/// first record, SYSCALL, is refused). The probe's LOGIN record (another type, from setting
/// the login uid) still comes out: auditing was on and the probe ran.
#[test]
fn exclude_msgtype_syscall_drops_syscall_records() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        load_enabled(&[MOD64]);
        let (pids, seen) = probe_all(&[Machine::X86_64]);
        assert_keyed(&pids, &seen, "before the exclude rule");
        assert!(
            !probe_titles(&seen).is_empty(),
            "{}",
            seen.events_of(pids[0].1)
        );

        ctl("-a always,exclude -F msgtype=SYSCALL");
        let (pids, seen) = probe_all(&[Machine::X86_64]);
        assert_silent(&pids, &seen, "exclude msgtype=SYSCALL");
        let all = seen.records.iter().map(show).collect::<Vec<_>>().join("\n");
        assert!(probe_titles(&seen).is_empty(), "{all}");
        let pid = pids[0].1.to_string();
        let login: Vec<&Record> = seen
            .records
            .iter()
            .filter(|r| r.kind == AUDIT_LOGIN && r.field("pid") == Some(pid.as_bytes()))
            .collect();
        assert_eq!(login.len(), 1, "{all}");
        println!("exclude msgtype=SYSCALL: every record received:\n{all}");
    });
}

// ---------------------------------------------------------------------------------------
// (c) issue 8 item 3: the final enabled state.

/// Rules loaded while auditing is on, then `-e 0`: the rules stay loaded and nothing is
/// recorded; `-e 1` brings the records back.
#[test]
fn rules_left_with_enabled_0_record_nothing() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let abis = abis();
        load_enabled(&[MOD64, MOD32]);
        let (pids, seen) = probe_all(&abis);
        assert_keyed(&pids, &seen, "enabled 1");

        ctl("-e 0");
        let l = listing();
        assert!(l.contains("key=mod64") && l.contains("key=mod32"), "{l}");
        let (pids, seen) = probe_all(&abis);
        assert_silent(&pids, &seen, "enabled 0");

        ctl("-e 1");
        let (pids, seen) = probe_all(&abis);
        assert_keyed(&pids, &seen, "enabled 1 again");
    });
}

// ---------------------------------------------------------------------------------------
// (c2) issue 8 item 8: a keyless rule of another purpose first on the exit list.

/// A keyless rule that serves another purpose (`-S adjtimex,init_module,delete_module`, no key)
/// ahead of the keyed module rules: it catches the module syscalls first and their records
/// carry no key. Keyed module rules loaded before it (what `fix` inserts, the other rule left
/// as it is) make every record carry their key.
#[test]
fn keyless_rule_first_leaves_no_key_until_keyed_rules_come_before_it() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let abis = abis();
        let keyless = |abi: &str| {
            format!("-a always,exit -F arch={abi} -S adjtimex,init_module,delete_module")
        };
        let (k64, k32) = (keyless("b64"), keyless("b32"));
        load_enabled(&[&k64, &k32, MOD64, MOD32]);
        let (pids, seen) = probe_all(&abis);
        for (abi, pid) in &pids {
            for name in MODULE_SYSCALLS {
                let r = module_record(&seen, *abi, *pid, name, "keyless first");
                assert_eq!(r.field("key"), Some(&b"(null)"[..]), "{}", show(r));
            }
        }
        ctl("-D");
        load_enabled(&[MOD64, MOD32, &k64, &k32]);
        let (pids, seen) = probe_all(&abis);
        assert_keyed(&pids, &seen, "keyed rules before the keyless one");
    });
}

// ---------------------------------------------------------------------------------------
// (d) issue 8 item 4: watches and symlinks.

/// `T/a/link -> T/b/target`, the target a copy of `/bin/true` (an ELF: no interpreter line).
struct LinkTree {
    _dir: tempfile::TempDir,
    link_dir: String,
    link: String,
    target_dir: String,
    target: String,
}

fn link_tree() -> LinkTree {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical temp dir");
    let (a, b) = (root.join("a"), root.join("b"));
    std::fs::create_dir(&a).unwrap();
    std::fs::create_dir(&b).unwrap();
    let target = b.join("target");
    std::fs::copy("/bin/true", &target).expect("copy /bin/true");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = a.join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let s = |p: &Path| p.to_str().expect("utf-8 temp path").to_string();
    LinkTree {
        link_dir: s(&a),
        link: s(&link),
        target_dir: s(&b),
        target: s(&target),
        _dir: dir,
    }
}

/// With `watch` (keyed `kt`) loaded first and a control rule after it (every b64 execve by a
/// user, keyed `ctl`), exec `T/a/link --version` in a probe. The exit list is first match in
/// the order rules were added (watches included), so the execve's SYSCALL record carries
/// `kt` when the watch fires and `ctl` when it does not. Returns that record's key and the
/// event's records.
fn exec_through_link(watch: impl Fn(&LinkTree) -> String) -> (Vec<Vec<u8>>, String, usize) {
    let tree = link_tree();
    let w = watch(&tree);
    exec_under_watch(&w, &tree.link)
}

/// [`exec_through_link`] for any watch line and executed path: the execve's keys, the
/// event's records and how many records carry `kt`.
fn exec_under_watch(w: &str, exec: &str) -> (Vec<Vec<u8>>, String, usize) {
    let uid = probe_uid();
    load_enabled(&[
        w,
        &format!("-a always,exit -F arch=b64 -S execve -F auid>={uid} -F auid!=unset -k ctl"),
    ]);
    let l = listing();
    assert!(l.contains(w), "the watch was not loaded as written: {l}");
    let cap = Capture::start();
    let pid = run_probe(Machine::X86_64, &["--exec", exec]).expect("exec probe");
    let seen = cap.finish();
    let events = seen.events_of(pid);
    let r = seen
        .syscall(pid, Machine::X86_64, "execve")
        .unwrap_or_else(|| panic!("the exec through {exec} was not recorded; {events}"));
    assert_eq!(r.field("success"), Some(&b"yes"[..]), "{events}");
    // The exec recorded the target's inode under the name as given.
    let paths: Vec<&Record> = seen
        .records
        .iter()
        .filter(|p| p.kind == AUDIT_PATH && p.event_id() == r.event_id())
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.field("name") == Some(format!("\"{exec}\"").as_bytes())),
        "{events}"
    );
    println!("{w}, exec {exec}:\n{events}");
    (r.keys(), events, seen.with_key("kt").len())
}

/// A watch on the symlink itself (`-w T/a/link -p x`) never fires for an exec through it: the
/// watch sits on the link's inode, the exec is recorded with the target's.
#[test]
fn watch_on_symlink_does_not_fire_on_exec_through_it() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let (keys, events, kt) = exec_through_link(|t| format!("-w {} -p x -k kt", t.link));
        assert_eq!(keys, vec![b"ctl".to_vec()], "{events}");
        assert_eq!(kt, 0, "a record carries the watch's key: {events}");
    });
}

/// A watch on the symlink's target (`-w T/b/target -p x`) fires for an exec through the link.
#[test]
fn watch_on_target_fires_on_exec_through_symlink() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let (keys, events, _) = exec_through_link(|t| format!("-w {} -p x -k kt", t.target));
        assert_eq!(keys, vec![b"kt".to_vec()], "{events}");
    });
}

/// A directory watch on the link's directory (`-w T/a -p x`) does not fire for an exec through
/// `T/a/link` whose target lives in `T/b`.
#[test]
fn dir_watch_on_link_directory_does_not_fire() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let (keys, events, kt) = exec_through_link(|t| format!("-w {} -p x -k kt", t.link_dir));
        assert_eq!(keys, vec![b"ctl".to_vec()], "{events}");
        assert_eq!(kt, 0, "a record carries the watch's key: {events}");
    });
}

/// A directory watch on the target's directory (`-w T/b -p x`, or as `-F dir=`) fires for an
/// exec through the link.
#[test]
fn dir_watch_on_target_directory_fires() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let (keys, events, _) = exec_through_link(|t| format!("-w {} -p x -k kt", t.target_dir));
        assert_eq!(keys, vec![b"kt".to_vec()], "{events}");
        ctl("-D");
        // The same tree as an `-F dir=` rule (the control for the symlink case below).
        let (keys, events, _) = exec_through_link(|t| {
            format!(
                "-a always,exit -F arch=b64 -S all -F dir={} -F perm=x -F key=kt",
                t.target_dir
            )
        });
        assert!(keys.contains(&b"kt".to_vec()), "{events}");
    });
}

/// A directory watch whose path is a symlink to the target's directory (`-w T/c -p x`,
/// `T/c -> T/b`; auditctl stats it, sees a directory and adds `dir=`): the kernel looks the
/// tree's path up without following its last component, so the tree sits on the link, and an
/// exec of `T/b/target` (or through `T/c/target`) is never under it. The same with the tree
/// written as an `-F dir=` rule (what `-w` on a directory sends).
#[test]
fn dir_watch_on_a_symlink_to_the_target_directory_does_not_fire() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let tree = link_tree();
        let c = Path::new(&tree.target_dir).with_file_name("c");
        std::os::unix::fs::symlink(&tree.target_dir, &c).expect("directory symlink");
        let c = c.to_str().expect("utf-8 temp path").to_string();
        for w in [
            format!("-w {c} -p x -k kt"),
            format!("-a always,exit -F arch=b64 -S all -F dir={c} -F perm=x -F key=kt"),
        ] {
            for exec in [tree.target.clone(), format!("{c}/target")] {
                let (keys, events, kt) = exec_under_watch(&w, &exec);
                assert_eq!(keys, vec![b"ctl".to_vec()], "{w}, {exec}: {events}");
                assert_eq!(kt, 0, "{w}, {exec}: a record carries the key: {events}");
                ctl("-D");
            }
        }
    });
}

// ---------------------------------------------------------------------------------------
// (e) a path rule (an inode rule: watches and `-F path=`, kept in the kernel's inode hash and
// evaluated in `audit_filter_inodes` after `audit_filter_syscall`) with a SYSCALL rule on
// the exit list, for an exec of a regular file.

/// `T/f`, a copy of `/bin/true` (a regular file, no symlink on the way).
struct FileTree {
    _dir: tempfile::TempDir,
    file: String,
}

fn file_tree() -> FileTree {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical temp dir");
    let file = root.join("f");
    std::fs::copy("/bin/true", &file).expect("copy /bin/true");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    FileTree {
        file: file.to_str().expect("utf-8 temp path").to_string(),
        _dir: dir,
    }
}

/// Every b64 execve by a user, keyed `exec`.
fn exec_rule() -> String {
    format!(
        "-a always,exit -F arch=b64 -S execve -F auid>={} -F auid!=unset -k exec",
        probe_uid()
    )
}

/// [`exec_rule`] as `auditctl -l` prints it.
fn exec_listed() -> String {
    format!(
        "-a always,exit -F arch=b64 -S execve -F auid>={} -F auid!=-1 -F key=exec",
        probe_uid()
    )
}

/// Load `lines` in order (then `-e 1`), check that the kernel lists them in that order
/// (`listed`: each as `auditctl -l` prints it; the exit list and the inode rules share one
/// listing, in the order the rules were added), exec `FILE --version` in a probe and return the keys of its
/// execve SYSCALL record, `None` when none came out (then nothing was lost on the way, and the
/// probe's LOGIN record did come out: auditing was on and the probe ran).
fn exec_file_under(lines: &[&str], listed: &[&str], file: &str) -> Option<Vec<Vec<u8>>> {
    load_enabled(lines);
    let l = listing();
    assert_eq!(l.lines().collect::<Vec<_>>(), listed, "the kernel's order");
    let cap = Capture::start();
    let pid = run_probe(Machine::X86_64, &["--exec", file]).expect("exec probe");
    let seen = cap.finish();
    let events = seen.events_of(pid);
    println!("rules:\n{l}exec {file}:\n{events}");
    let Some(r) = seen.syscall(pid, Machine::X86_64, "execve") else {
        seen.assert_nothing_lost();
        let pid = pid.to_string();
        let all = seen.records.iter().map(show).collect::<Vec<_>>().join("\n");
        assert!(
            seen.records
                .iter()
                .any(|r| r.kind == AUDIT_LOGIN && r.field("pid") == Some(pid.as_bytes())),
            "no LOGIN record of the probe: {all}"
        );
        return None;
    };
    assert_eq!(r.field("success"), Some(&b"yes"[..]), "{events}");
    assert!(
        seen.records.iter().any(|p| p.kind == AUDIT_PATH
            && p.event_id() == r.event_id()
            && p.field("name") == Some(format!("\"{file}\"").as_bytes())),
        "no PATH record of {file}: {events}"
    );
    Some(r.keys())
}

/// (A) An unkeyed watch `-w T/f -p x` loaded first, the keyed execve rule after it: both
/// match; the watch has the higher priority but no key, so the key the execve rule set stays:
/// the record carries `exec`.
#[test]
fn unkeyed_watch_first_keeps_the_syscall_rules_key() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let t = file_tree();
        let watch = format!("-w {} -p x", t.file);
        let keys = exec_file_under(&[&watch, &exec_rule()], &[&watch, &exec_listed()], &t.file);
        assert_eq!(keys, Some(vec![b"exec".to_vec()]));
    });
}

/// (B) A keyed watch `-w T/f -p x -k w` loaded first, the keyed execve rule after it: the
/// watch has the higher priority and a key, which replaces the execve rule's: `w`.
#[test]
fn keyed_watch_first_replaces_the_syscall_rules_key() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let t = file_tree();
        let watch = format!("-w {} -p x -k w", t.file);
        let keys = exec_file_under(&[&watch, &exec_rule()], &[&watch, &exec_listed()], &t.file);
        assert_eq!(keys, Some(vec![b"w".to_vec()]));
    });
}

/// (C) The keyed execve rule first, the keyed watch `-w T/f -p x -k w` after it: the watch's
/// lower priority never overrides the execve rule's match: `exec`.
#[test]
fn keyed_watch_after_the_syscall_rule_does_not_override() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let t = file_tree();
        let watch = format!("-w {} -p x -k w", t.file);
        let keys = exec_file_under(&[&exec_rule(), &watch], &[&exec_listed(), &watch], &t.file);
        assert_eq!(keys, Some(vec![b"exec".to_vec()]));
    });
}

/// The never path rule `-a never,exit -F path=T/f -F perm=x`.
fn never_path(file: &str) -> String {
    format!("-a never,exit -F path={file} -F perm=x")
}

/// [`never_path`] as `auditctl -l` prints it: `-w T/f -p x`, the `never` action left out (the
/// kernel does hold a never rule: [`assert_never_path_loaded`]).
fn never_listed(file: &str) -> String {
    format!("-w {file} -p x")
}

/// The kernel holds exactly one never rule on the exit list, with the path `file`.
fn assert_never_path_loaded(file: &str) {
    let mut k = NetlinkKernel::open().expect("audit socket");
    let nevers: Vec<Rule> = k
        .list_rules()
        .expect("list rules")
        .into_iter()
        .filter(|r| r.action == auditguard::model::Action::Never)
        .collect();
    assert_eq!(nevers.len(), 1, "{nevers:?}");
    assert_eq!(nevers[0].list, List::Exit, "{nevers:?}");
    let paths: Vec<&[u8]> = nevers[0]
        .fields_of(FieldType::PATH)
        .filter_map(|f| f.bytes())
        .collect();
    assert_eq!(paths, vec![file.as_bytes()], "{nevers:?}");
}

/// (D) The never path rule loaded first, the keyed execve rule after it: the never rule has
/// the higher priority and matches in `audit_filter_inodes`, after the execve rule matched in
/// `audit_filter_syscall`: the exec is not recorded. Control: with the execve rule alone the
/// same exec comes out keyed `exec`.
#[test]
fn never_path_rule_first_suppresses_the_exec() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let t = file_tree();
        let never = never_path(&t.file);
        let keys = exec_file_under(
            &[&never, &exec_rule()],
            &[&never_listed(&t.file), &exec_listed()],
            &t.file,
        );
        assert_never_path_loaded(&t.file);
        assert_eq!(
            keys, None,
            "the exec was recorded under {never} loaded first"
        );

        ctl("-e 0");
        ctl("-D");
        let keys = exec_file_under(&[&exec_rule()], &[&exec_listed()], &t.file);
        assert_eq!(keys, Some(vec![b"exec".to_vec()]), "control");
    });
}

/// (E) The keyed execve rule first, the never path rule after it: the never rule's lower
/// priority never overrides: the exec is recorded with `exec`.
#[test]
fn never_path_rule_after_the_syscall_rule_does_not_suppress() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let t = file_tree();
        let keys = exec_file_under(
            &[&exec_rule(), &never_path(&t.file)],
            &[&exec_listed(), &never_listed(&t.file)],
            &t.file,
        );
        assert_never_path_loaded(&t.file);
        assert_eq!(keys, Some(vec![b"exec".to_vec()]));
    });
}

// ---------------------------------------------------------------------------------------
// (f) watch event classes (the profiles' `watch` kind): which changes of a file a path rule
// records. The test process changes files in a temporary directory itself (b64, no login uid).

/// Run `change` with `lines` loaded (and auditing on), and return how many event records
/// carry `key`.
fn records_with_key(lines: &[&str], key: &str, change: impl FnOnce()) -> usize {
    ctl("-e 0");
    ctl("-D");
    for l in lines {
        ctl(l);
    }
    let cap = Capture::start();
    ctl("-e 1");
    change();
    ctl("-e 0");
    let seen = cap.finish();
    let n = seen.with_key(key).len();
    if n == 0 {
        seen.assert_nothing_lost();
    }
    n
}

/// A temporary directory D (canonical path) holding one file D/f.
fn dir_with_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path().canonicalize().expect("canonical temp dir");
    std::fs::write(d.join("f"), b"x").expect("write D/f");
    (dir, d.to_str().expect("utf-8 temp path").to_string())
}

fn open_for_write(path: &str) {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for write");
    drop(f);
}

/// `-F path=D` on a directory watches D's own inode: a write to a file already in D is not
/// recorded; a file created in D is (the syscall names D as the parent). `-w D/ -p wa` (a
/// `dir=` watch) records the write too. So the STIG's per-arch `-F path=/etc/sudoers.d` line
/// misses edits of the files in it (control/catalogue/profiles/stig-rhel9.toml's note).
#[test]
fn path_watch_on_a_directory_misses_writes_inside() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        let (_t, d) = dir_with_file();
        let path_rule = format!("-a always,exit -F arch=b64 -F path={d} -F perm=wa -k pd");
        let f = format!("{d}/f");
        let write = records_with_key(&[&path_rule], "pd", || open_for_write(&f));
        assert_eq!(
            write, 0,
            "path= on the directory recorded a write inside it"
        );
        let g = format!("{d}/g");
        let create = records_with_key(&[&path_rule], "pd", || {
            std::fs::write(&g, b"y").expect("create D/g");
        });
        assert!(create > 0, "path= on the directory missed a create in it");
        let dir_rule = format!("-w {d}/ -p wa -k wd");
        let write = records_with_key(&[&dir_rule], "wd", || open_for_write(&f));
        assert!(write > 0, "-w D/ (dir=) missed a write inside it");
    });
}

/// `-p w` does not record an attribute change (chmod to the file's own mode); `-p wa` does;
/// and `-p wa` records an open for writing, `-p a` does not.
#[test]
fn watch_access_classes_write_and_attribute() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        use std::os::unix::fs::PermissionsExt;
        let (_t, d) = dir_with_file();
        let f = format!("{d}/f");
        let mode = std::fs::metadata(&f).expect("stat").permissions().mode();
        let chmod =
            || std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let w = format!("-w {f} -p w -k ww");
        assert_eq!(
            records_with_key(&[&w], "ww", chmod),
            0,
            "-p w recorded a chmod"
        );
        let wa = format!("-w {f} -p wa -k wa");
        assert!(
            records_with_key(&[&wa], "wa", chmod) > 0,
            "-p wa missed a chmod"
        );
        assert!(
            records_with_key(&[&wa], "wa", || open_for_write(&f)) > 0,
            "-p wa missed an open for writing"
        );
        let a = format!("-w {f} -p a -k wx");
        assert_eq!(
            records_with_key(&[&a], "wx", || open_for_write(&f)),
            0,
            "-p a recorded an open for writing"
        );
    });
}

extern "C" {
    fn syscall(number: i64, ...) -> i64;
}

/// A rename of a watched file (moved away to a new name, both in a temporary directory) is
/// recorded by a `-p wa` watch on it through each of rename, renameat and renameat2: all
/// three are in the kernel's write class.
#[test]
fn watch_records_renames_of_the_file_by_every_rename_syscall() {
    if !usable() {
        return;
    }
    common::with_kernel(|| {
        use std::ffi::CString;
        for (name, nr) in [("rename", 82i64), ("renameat", 264), ("renameat2", 316)] {
            let (_t, d) = dir_with_file();
            let (a, b) = (format!("{d}/f"), format!("{d}/g"));
            let w = format!("-w {a} -p wa -k rn");
            let n = records_with_key(&[&w], "rn", || {
                let (ca, cb) = (
                    CString::new(a.clone()).unwrap(),
                    CString::new(b.clone()).unwrap(),
                );
                // SAFETY: two NUL-terminated paths in a temporary directory of ours.
                let rc = unsafe {
                    match name {
                        "rename" => syscall(nr, ca.as_ptr(), cb.as_ptr()),
                        _ => syscall(nr, -100i64, ca.as_ptr(), -100i64, cb.as_ptr(), 0i64),
                    }
                };
                assert_eq!(rc, 0, "{name}");
            });
            assert!(n > 0, "{name} of the watched file was not recorded");
        }
    });
}
