//! Event classes: the concrete events a requirement is about ("b32 init_module by a user",
//! "exec of /usr/sbin/insmod through the b64 execve by a user"), built from the control and
//! the target's facts (where its paths really lead), which the edge computed.

use crate::control::{Control, RequirementKind};
use crate::model::{syscalls, Machine, TargetFacts};

pub use crate::model::rule::AUDIT_SYSCALL;

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
pub fn expectations(control: &Control, native: Machine, facts: &TargetFacts) -> Vec<Expectation> {
    let auid_min = facts.uid_min;
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
                        let f = facts.path(p.as_bytes());
                        push("execve", Some((f.named, f.resolved)), false);
                    }
                }
            }
        }
    }
    out
}
