//! Shared test support. Include with `mod common;` from an integration test.
//!
//! Kernel safety (the machine is shared): every test that touches kernel audit state runs
//! inside [`with_kernel`], which takes one `flock` shared by every test process, starts from no
//! rules, and always restores no rules and `enabled 0`, even when the test panics. Rule text given to
//! the real auditctl goes through [`safe_rules`], which drops `-e`, `-f 2` and
//! `--loginuid-immutable` lines so nothing can lock the kernel or panic it.
//!
//! [`golden`]: the recorded answers of the real tools the parity tests compare with.
#![allow(dead_code)]

pub mod golden;

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;

/// Path of the lock every kernel-touching test process shares.
pub const KERNEL_LOCK: &str = "/run/lock/auditguard-kernel.lock";

extern "C" {
    fn flock(fd: i32, operation: i32) -> i32;
}
const LOCK_EX: i32 = 2;

/// Whether the real auditctl is installed and we may talk to the kernel (root, audit socket).
pub fn kernel_available() -> bool {
    Command::new("auditctl")
        .arg("-s")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("enabled"))
        .unwrap_or(false)
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

fn enabled_state() -> Option<String> {
    let (_, out, _) = auditctl(&["-s"]);
    out.lines()
        .find_map(|l| l.strip_prefix("enabled ").map(str::to_string))
}

fn restore() {
    let _ = auditctl(&["-D"]);
    let _ = auditctl(&["-e", "0"]);
}

/// Run `f` holding the kernel lock, starting from and always returning to no rules and
/// `enabled 0`. Panics (after restoring) if `f` panicked. Refuses to run on a locked kernel.
pub fn with_kernel<T>(f: impl FnOnce() -> T) -> T {
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
    assert_ne!(
        enabled_state().as_deref(),
        Some("2"),
        "kernel audit rules are locked (enabled 2): reboot required"
    );
    restore();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    restore();
    drop(lock);
    match result {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e),
    }
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
