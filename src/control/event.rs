//! Event classes: the concrete events a requirement is about ("b32 init_module by a user",
//! "exec of /usr/sbin/insmod through the b64 execve by a user"), and where paths really lead
//! on the target.

use crate::control::{Control, RequirementKind};
use crate::host::{resolve_target, FileKind, Host};
use crate::model::{syscalls, Machine};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The audit record type that carries the key (`AUDIT_SYSCALL`).
pub const AUDIT_SYSCALL: u32 = 1300;

/// Lowest uid of a real user: `UID_MIN` of the target's `/etc/login.defs`, else 1000.
pub fn uid_min(host: &dyn Host) -> u32 {
    host.read(Path::new("/etc/login.defs"))
        .ok()
        .and_then(|text| {
            text.split(|b| *b == b'\n').find_map(|line| {
                let line = std::str::from_utf8(line).ok()?;
                let mut words = line.split_whitespace();
                (words.next()? == "UID_MIN").then_some(())?;
                words.next()?.parse().ok()
            })
        })
        .unwrap_or(1000)
}

/// One event that must produce a keyed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The ABI the syscall is made through.
    pub abi: Machine,
    /// The syscall number in that ABI's table.
    pub syscall: u32,
    /// The syscall's name (for messages).
    pub syscall_name: String,
    /// For exec events: the executed path as named (parent resolved on the target).
    pub exec_path: Option<Vec<u8>>,
    /// For exec events: the file really executed (every symlink resolved). A watch on it
    /// fires for an exec through a symlink; a watch on the symlink itself never does.
    pub exec_target: Option<Vec<u8>>,
    /// Lowest login uid of a user action; the highest is 4294967294 (4294967295 is unset).
    pub auid_min: u32,
}

impl Event {
    /// How the event is named in reports: `b64 init_module`, `exec /usr/sbin/insmod (b32)`.
    pub fn label(&self, native: Machine) -> String {
        let abi = abi_label(self.abi, native);
        match &self.exec_path {
            Some(p) => format!("exec {} ({abi})", String::from_utf8_lossy(p)),
            None => format!("{abi} {}", self.syscall_name),
        }
    }
}

/// `b64`/`b32` when the ABI is the native or compat one of the target, else the machine name.
pub fn abi_label(abi: Machine, native: Machine) -> &'static str {
    if abi == native && abi.is_64bit() {
        "b64"
    } else if abi == native || Some(abi) == native.compat32() {
        "b32"
    } else {
        abi.name()
    }
}

/// An event a requirement expects, and whether its absence only earns advice.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The requirement it belongs to.
    pub requirement: String,
    /// The event.
    pub event: Event,
    /// True for advice-only events (e.g. `finit_module`).
    pub advice: bool,
}

/// Every event the control expects on a target of machine `native`.
pub fn expectations(control: &Control, native: Machine, host: &dyn Host) -> Vec<Expectation> {
    let auid_min = uid_min(host);
    let mut out = Vec::new();
    for req in &control.requirements {
        for abi in native.abis() {
            let mut push = |name: &str, exec: Option<(Vec<u8>, Vec<u8>)>, advice: bool| {
                let (exec_path, exec_target) = exec.unzip();
                // A syscall the ABI does not have (create_module on aarch64) cannot happen.
                if let Some(nr) = syscalls::number(abi, name) {
                    out.push(Expectation {
                        requirement: req.id.clone(),
                        event: Event {
                            abi,
                            syscall: nr,
                            syscall_name: name.to_string(),
                            exec_path,
                            exec_target,
                            auid_min,
                        },
                        advice,
                    });
                }
            };
            match req.kind {
                RequirementKind::Syscall => {
                    req.syscalls.iter().for_each(|s| push(s, None, false));
                    req.advice_syscalls.iter().for_each(|s| push(s, None, true));
                }
                RequirementKind::Exec => {
                    for p in &req.paths {
                        let named = resolve_target(host, p.as_bytes(), false);
                        let target = resolve_target(host, p.as_bytes(), true);
                        push("execve", Some((named, target)), false);
                    }
                }
            }
        }
    }
    out
}

/// Whether `path` names a symlink on the target.
pub fn is_symlink(host: &dyn Host, path: &[u8]) -> Option<Vec<u8>> {
    let p = Path::new(std::ffi::OsStr::from_bytes(path));
    match host.lstat(p) {
        Ok(m) if m.kind == FileKind::Symlink => Some(resolve_target(host, path, true)),
        _ => None,
    }
}
