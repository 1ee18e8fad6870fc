//! Shared test support. Include with `mod common;` from an integration test.
//!
//! Kernel safety (the machine is shared, and may be someone's real host): every test that
//! touches kernel audit state runs inside [`with_kernel`], which
//!
//! - takes one `flock` ([`KERNEL_LOCK`]) shared by every test process;
//! - refuses to run while an audit daemon is registered (status `pid` != 0: it owns the
//!   host's audit trail), while the rules are locked (`enabled 2`) or while the failure mode is
//!   2 (panic) — see [`host_refusal`]; tests check [`kernel_available`] first, which prints
//!   `skipped: needs root and kernel audit (REASON)` to stderr and returns false;
//! - snapshots the host's audit state ([`HostAudit`]: the rule list read with the library's
//!   netlink client, `enabled`, `failure`, `rate_limit`, `backlog_limit`,
//!   `backlog_wait_time`), gives the test a kernel with no rules and `enabled 0`, and afterwards
//!   (even when the test panics) restores the snapshot exactly: every rule re-added in order
//!   through the library client, each setting put back; then it checks that it did.
//!
//! Nothing here ever sets `enabled 2`, `failure 2` or the loginuid-immutable feature (a host
//! with `enabled 2` or `failure 2` is refused outright). Rule text given to the real auditctl
//! goes through [`safe_rules`], which drops `-e`, `-f 2` and `--loginuid-immutable` lines so
//! nothing can lock the kernel or panic it.
//!
//! [`golden`]: the recorded answers of the real tools the parity tests compare with.
#![allow(dead_code)]

pub mod golden;
pub mod validate;

use auditguard::kernel::{AuditKernel, NetlinkKernel};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::OnceLock;

/// Path of the lock every kernel-touching test process shares.
pub const KERNEL_LOCK: &str = "/run/lock/auditguard-kernel.lock";

extern "C" {
    fn flock(fd: i32, operation: i32) -> i32;
}
const LOCK_EX: i32 = 2;

/// Why kernel tests must not touch this host's audit state, read over netlink, or `None`:
/// a registered audit daemon (its trail would get our rules and lose its own), rules locked
/// until reboot (`enabled 2`), or `failure 2` (a lost record panics the machine).
pub fn host_refusal() -> Option<String> {
    let status = match NetlinkKernel::open().and_then(|mut k| k.status()) {
        Ok(s) => s,
        Err(e) => return Some(format!("cannot read the audit status: {e}")),
    };
    if status.enabled == 2 {
        return Some("the kernel's audit rules are locked (enabled 2) until reboot".into());
    }
    if status.pid != 0 {
        return Some(format!(
            "an audit daemon is registered (pid {}); the tests never touch a collecting host",
            status.pid
        ));
    }
    if status.failure == 2 {
        return Some("failure mode 2 (panic on a lost record) is set".into());
    }
    None
}

/// Whether the real auditctl is installed and the tests may change the kernel's audit state
/// here (root, audit socket, no daemon, not locked). When not, prints once per process
/// `skipped: needs root and kernel audit (REASON)` to stderr (shown without --nocapture).
pub fn kernel_available() -> bool {
    static REASON: OnceLock<Option<String>> = OnceLock::new();
    let reason = REASON.get_or_init(|| {
        let r = golden::kernel_unavailable();
        if let Some(r) = &r {
            eprintln!("skipped: needs root and kernel audit ({r})");
        }
        r
    });
    reason.is_none()
}

/// Run `auditctl ARGS`, returning (exit code, stdout, stderr).
pub fn auditctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new("auditctl")
        .args(args)
        .output()
        .expect("run auditctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The shared kernel lock, held while the value lives.
pub struct KernelLock(File);

impl KernelLock {
    /// Take the lock, waiting for other test processes.
    pub fn acquire() -> KernelLock {
        std::fs::create_dir_all("/run/lock").ok();
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(KERNEL_LOCK)
            .expect("open kernel lock");
        // SAFETY: flock on a valid, open file descriptor; blocks until the lock is ours.
        let rc = unsafe { flock(lock.as_raw_fd(), LOCK_EX) };
        assert_eq!(rc, 0, "flock {KERNEL_LOCK}");
        KernelLock(lock)
    }
}

/// The host's audit state as the tests must leave it.
#[derive(Debug, Clone)]
pub struct HostAudit {
    /// Every rule, in the kernel's order.
    pub rules: Vec<auditguard::model::Rule>,
    /// 0 or 1 (2 is refused before a snapshot is taken).
    pub enabled: u32,
    /// 0 or 1 (2 is refused before a snapshot is taken).
    pub failure: u32,
    /// Messages per second.
    pub rate_limit: u32,
    /// Backlog limit.
    pub backlog_limit: u32,
    /// Backlog wait time, when the kernel has it.
    pub backlog_wait_time: Option<u32>,
}

impl HostAudit {
    /// Read it (library netlink client).
    pub fn snapshot() -> HostAudit {
        let mut k = NetlinkKernel::open().expect("audit socket");
        let s = k.status().expect("audit status");
        HostAudit {
            rules: k.list_rules().expect("list the kernel's rules"),
            enabled: s.enabled,
            failure: s.failure,
            rate_limit: s.rate_limit,
            backlog_limit: s.backlog_limit,
            backlog_wait_time: s.backlog_wait_time,
        }
    }

    /// The rules as `auditctl -l` prints them (for comparisons and messages).
    pub fn listing(&self) -> String {
        let machine = auditguard::host::native_machine().expect("this machine's type");
        String::from_utf8_lossy(&auditguard::model::listing::list_rules(
            &self.rules,
            machine,
        ))
        .into_owned()
    }

    /// What differs between `self` (wanted) and `now`, in words; empty when identical.
    pub fn differences(&self, now: &HostAudit) -> Vec<String> {
        let mut d = Vec::new();
        let same_rules = self.rules.len() == now.rules.len()
            && self
                .rules
                .iter()
                .zip(&now.rules)
                .all(|(a, b)| a.same_identity(b))
            && self.listing() == now.listing();
        if !same_rules {
            d.push(format!(
                "rules: wanted\n{}got\n{}",
                self.listing(),
                now.listing()
            ));
        }
        for (name, want, got) in [
            ("enabled", self.enabled, now.enabled),
            ("failure", self.failure, now.failure),
            ("rate_limit", self.rate_limit, now.rate_limit),
            ("backlog_limit", self.backlog_limit, now.backlog_limit),
        ] {
            if want != got {
                d.push(format!("{name}: wanted {want}, got {got}"));
            }
        }
        if self.backlog_wait_time != now.backlog_wait_time {
            d.push(format!(
                "backlog_wait_time: wanted {:?}, got {:?}",
                self.backlog_wait_time, now.backlog_wait_time
            ));
        }
        d
    }

    /// Make the kernel hold exactly this state: delete every rule, re-add these in order
    /// through the library client, put each setting back (never `enabled 2` or `failure 2`:
    /// such a snapshot is refused). Returns what could not be restored.
    pub fn restore(&self) -> Vec<String> {
        assert!(self.enabled <= 1 && self.failure <= 1, "refusing: {self:?}");
        let mut problems = Vec::new();
        let mut k = NetlinkKernel::open().expect("audit socket");
        // Disable first, so nothing half-restored is enforced in between.
        if let Err(e) = k.set_enabled(0) {
            problems.push(format!("enabled 0: {e}"));
        }
        for r in k.list_rules().unwrap_or_default() {
            if let Err(e) = k.delete_rule(&r) {
                problems.push(format!("delete a test rule: {e}"));
            }
        }
        for r in &self.rules {
            if let Err(e) = k.add_rule(r) {
                problems.push(format!("re-add a host rule: {e}"));
            }
        }
        let mut settings = vec![
            ("-b".to_string(), self.backlog_limit.to_string()),
            ("-r".to_string(), self.rate_limit.to_string()),
            ("-f".to_string(), self.failure.to_string()),
        ];
        if let Some(t) = self.backlog_wait_time {
            settings.push(("--backlog_wait_time".into(), t.to_string()));
        }
        for (opt, value) in &settings {
            let (rc, _, err) = auditctl(&[opt, value]);
            if rc != 0 {
                problems.push(format!("auditctl {opt} {value}: {}", err.trim()));
            }
        }
        if let Err(e) = k.set_enabled(self.enabled) {
            problems.push(format!("enabled {}: {e}", self.enabled));
        }
        problems
    }
}

/// The state every kernel test starts from: no rules, `enabled 0` (settings as the host had
/// them).
fn clear() {
    let mut k = NetlinkKernel::open().expect("audit socket");
    k.set_enabled(0).expect("enabled 0");
    for r in k.list_rules().expect("list the kernel's rules") {
        k.delete_rule(&r).expect("delete a rule");
    }
}

/// Run `f` holding the kernel lock, on a kernel with no rules and `enabled 0`; afterwards the
/// host's audit state is restored exactly, even when `f` panics (then the panic goes on).
/// Callers check [`kernel_available`] first; a host that is refused ([`host_refusal`]) makes
/// this panic before anything is changed.
pub fn with_kernel<T>(f: impl FnOnce() -> T) -> T {
    let lock = KernelLock::acquire();
    with_kernel_in(&lock, f)
}

/// [`with_kernel`] for a caller that already holds the lock.
pub fn with_kernel_in<T>(_lock: &KernelLock, f: impl FnOnce() -> T) -> T {
    if let Some(reason) = host_refusal() {
        panic!("refusing to touch the kernel's audit state: {reason}");
    }
    let host = HostAudit::snapshot();
    /// Restores the snapshot when dropped: on return and on unwinding alike.
    struct Restore<'a>(&'a HostAudit);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let problems = self.0.restore();
            let now = HostAudit::snapshot();
            let diff = self.0.differences(&now);
            if !(problems.is_empty() && diff.is_empty()) {
                let msg = format!(
                    "the host's audit state was not restored exactly: {}; {}",
                    problems.join("; "),
                    diff.join("; ")
                );
                if std::thread::panicking() {
                    eprintln!("{msg}");
                } else {
                    panic!("{msg}");
                }
            }
        }
    }
    let guard = Restore(&host);
    clear();
    let result = f();
    drop(guard);
    result
}

/// Rule text made safe to load into a shared kernel: `-e` lines (which could lock with
/// `-e 2`), `-f 2` (panic on failure) and `--loginuid-immutable` are dropped.
pub fn safe_rules(text: &str) -> String {
    text.lines()
        .filter(|l| {
            let t: Vec<&str> = l.split(' ').filter(|s| !s.is_empty()).collect();
            !(t.first() == Some(&"-e")
                || (t.first() == Some(&"-f") && t.get(1) == Some(&"2"))
                || t.iter().any(|w| w.starts_with("--loginuid")))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Debian's example rule files (`/usr/share/doc/auditd/examples/rules/*.rules`), sorted.
pub fn debian_examples() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new("/usr/share/doc/auditd/examples/rules");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "rules"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Rule text for a shared kernel: drop every line with an option that changes a kernel
/// setting rather than the rule list, anywhere on the line (tabs count as separators here),
/// so nothing can lock (`-e 2`), panic (`-f 2`), pin the loginuid or change the backlog.
pub fn rules_only(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.split([' ', '\t', '\r']).any(|t| {
                [
                    "-e",
                    "-f",
                    "-b",
                    "-r",
                    "--backlog",
                    "--loginuid",
                    "--reset",
                    "--signal",
                ]
                .iter()
                .any(|o| t.starts_with(o))
            })
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The kernel's lists as a test keeps them while it loads lines one at a time into the real
/// kernel and mirrors only the lines the kernel accepted: list number → rules in kernel order.
/// (An independent oracle on purpose: it does not reuse `load::auditctl`.)
#[derive(Default)]
pub struct KernelModel(std::collections::BTreeMap<u32, Vec<auditguard::model::Rule>>);

impl KernelModel {
    /// Mirror one command the kernel accepted.
    pub fn apply(&mut self, cmd: &auditguard::syntax::Command) {
        use auditguard::syntax::Command;
        match cmd {
            Command::AddRule(r) => {
                let list = self.0.entry(r.list.number()).or_default();
                let mut r = r.clone();
                if std::mem::replace(&mut r.prepend, false) {
                    list.insert(0, r);
                } else {
                    list.push(r);
                }
            }
            Command::DeleteRule(r) => {
                let list = self.0.entry(r.list.number()).or_default();
                if let Some(i) = list.iter().position(|k| k.same_identity(r)) {
                    list.remove(i);
                }
            }
            Command::DeleteAll { key: None } => self.0.clear(),
            Command::DeleteAll { key: Some(k) } => {
                for list in self.0.values_mut() {
                    // auditctl -D -k matches a substring of the whole key field.
                    list.retain(|r| {
                        !r.fields_of(auditguard::model::FieldType::KEY)
                            .filter_map(|f| f.bytes())
                            .any(|key| key.windows(k.len().max(1)).any(|w| w == k.as_slice()))
                    });
                }
            }
            _ => {}
        }
    }

    /// The rules in `auditctl -l` order.
    pub fn rules(&self) -> Vec<auditguard::model::Rule> {
        self.0.values().flatten().cloned().collect()
    }
}

/// The exact bytes of a JSON byte string as auditguard writes it (`schemas/check-1.json`,
/// `$defs/bytes`): a plain string when the bytes are valid UTF-8, else an object whose
/// `base64` member holds them. An independent decoder on purpose (not the library's code).
pub fn json_bytes(v: &serde_json::Value) -> Option<Vec<u8>> {
    if let Some(s) = v.as_str() {
        return Some(s.as_bytes().to_vec());
    }
    let b64 = v.get("base64")?.as_str()?;
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    for chunk in b64.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let mut n = 0u32;
        for &c in chunk {
            n = (n << 6) | if c == b'=' { 0 } else { val(c)? };
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// `auditguard fix ARGS --load --format json` run in a private mount namespace with
/// `audit_dir` bind-mounted over `/etc/audit` (the host's own is never written; the audit
/// netlink socket is not namespaced); `None` (said on stderr) when that cannot be set up here.
#[allow(dead_code)]
pub fn fix_load_in_namespace(
    audit_dir: &std::path::Path,
    args: &[&str],
) -> Option<(i32, String, String)> {
    use std::process::Command;
    let script = r#"mount --bind "$1" /etc/audit || exit 97; shift; exec "$@""#;
    let probe = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(audit_dir)
        .arg("true")
        .output();
    match probe {
        Ok(o) if o.status.success() && std::path::Path::new("/etc/audit").is_dir() => {}
        Ok(o) => {
            eprintln!(
                "skipped: fix --load part needs unshare -m and a bind mount over /etc/audit ({})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return None;
        }
        Err(e) => {
            eprintln!("skipped: fix --load part needs unshare ({e})");
            return None;
        }
    }
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(audit_dir)
        .arg(env!("CARGO_BIN_EXE_auditguard"))
        .arg("fix")
        .args(args)
        .args(["--load", "--format", "json"])
        .output()
        .unwrap();
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}
