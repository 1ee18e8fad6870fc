//! Event classes: the concrete events a requirement is about ("b32 init_module by a user",
//! "exec of /usr/sbin/insmod through the b64 execve by a user"), built from the control and
//! the target's facts (where its paths really lead), which the edge computed.

use crate::control::{Abis, ArgSpec, Control, Outcome, RequirementKind, Who};
use crate::model::{syscalls, Machine, TargetFacts};

pub use crate::model::rule::AUDIT_SYSCALL;

/// One event class that must produce a keyed record.
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
    /// Whose action it is.
    pub who: Who,
    /// The syscall's outcome.
    pub outcome: Outcome,
    /// Argument constraints that select the events.
    pub args: Vec<ArgSpec>,
    /// For watch events: the file changed and how.
    pub object: Option<Object>,
}

/// The file a watch event changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The file, parent resolved on the target (the inode a `path=` watch on it sits on). For
    /// a tree, the directory: the event is about a file somewhere below it.
    pub path: Vec<u8>,
    /// The event touches a file below `path` (a tree), not `path` itself.
    pub below: bool,
    /// The access class of the syscall (`AUDIT_PERM_WRITE` or `AUDIT_PERM_ATTR`).
    pub access: Access,
    /// The syscall also names the file's directory (creates, renames, removes, links): the
    /// directory's inode is among the syscall's names, so a `path=` watch on it fires.
    pub names_parent: bool,
}

/// The kernel's permission classes (`AUDIT_PERM_*`), as `-p` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `w`: a write (open for writing, truncate, rename, unlink, link, ...).
    Write,
    /// `a`: an attribute change (chmod, chown, xattrs).
    Attr,
}

impl Access {
    /// The `-p`/`perm=` letter.
    pub fn letter(self) -> char {
        match self {
            Access::Write => 'w',
            Access::Attr => 'a',
        }
    }
}

/// Syscalls that write to a named file, with whether they also name its directory. The
/// path-taking members of the kernel's write classes (`include/asm-generic/audit_write.h`,
/// `audit_dir_write.h`) and the open family opened for writing (`audit_match_perm`:
/// `ACC_MODE(flags)`); fd-only syscalls (ftruncate, fchmod, ...) record no name a watch could
/// match and are left out. All three renames are in the class (tests/kernel_truth.rs
/// watch_records_renames_of_the_file_by_every_rename_syscall).
const WRITE_SYSCALLS: &[(&str, bool)] = &[
    ("open", false),
    ("openat", false),
    ("openat2", false),
    ("creat", true),
    ("truncate", false),
    ("truncate64", false),
    ("rename", true),
    ("renameat", true),
    ("renameat2", true),
    ("unlink", true),
    ("unlinkat", true),
    ("link", true),
    ("linkat", true),
];

/// Syscalls that change a named file's attributes (`include/asm-generic/audit_change_attr.h`,
/// path-taking members).
const ATTR_SYSCALLS: &[&str] = &[
    "chmod",
    "fchmodat",
    "chown",
    "lchown",
    "fchownat",
    "chown32",
    "lchown32",
    "setxattr",
    "lsetxattr",
    "removexattr",
    "lremovexattr",
];

/// Whether `name` is one of the open family (its perm class comes from the open flags).
pub fn is_open_family(name: &str) -> bool {
    matches!(name, "open" | "openat" | "openat2")
}

impl Event {
    /// How the event is named in reports: `b64 init_module`, `exec /usr/sbin/insmod (b32)`,
    /// `b64 chmod by root logins`, `b64 open failing with EACCES`,
    /// `write to /etc/passwd (b64 openat)`.
    pub fn label(&self, native: Machine) -> String {
        let abi = abi_label(self.abi, native);
        let mut s = match (&self.exec_path, &self.object) {
            (Some(p), _) => format!("exec {} ({abi})", String::from_utf8_lossy(p)),
            (None, Some(o)) => format!(
                "{} {}{} ({abi} {})",
                match o.access {
                    Access::Write => "write to",
                    Access::Attr => "attribute change of",
                },
                if o.below { "a file in " } else { "" },
                String::from_utf8_lossy(&o.path),
                self.syscall_name
            ),
            (None, None) => format!("{abi} {}", self.syscall_name),
        };
        let default_who = if self.object.is_some() {
            Who::Everyone
        } else {
            Who::Users
        };
        if self.who != default_who {
            s.push_str(" by ");
            s.push_str(match self.who {
                Who::Users => "users",
                Who::RootLogins => "root logins",
                Who::Everyone => "anyone",
                Who::SetuidToRoot => "a setuid-root program",
                Who::SetgidToRoot => "a setgid-root program",
                Who::CronRoot => "root's cron jobs",
                Who::CronUsers => "users' cron jobs",
                Who::AsOtherUser => "someone acting as another user",
            });
        }
        match self.outcome {
            Outcome::Any => {}
            Outcome::Success => s.push_str(", succeeding"),
            Outcome::Failed(e) => {
                s.push_str(" failing with ");
                match crate::model::names::errno_name(e) {
                    Some(n) => s.push_str(n),
                    None => s.push_str(&e.to_string()),
                }
            }
        }
        for a in &self.args {
            let op = match a.op {
                crate::control::ArgOp::Equal => "=",
                crate::control::ArgOp::Bits => "&",
            };
            s.push_str(&format!(" a{}{op}{:#x}", a.arg, a.value));
        }
        s
    }

    /// The login uids of the class, inclusive (4294967295 is "unset").
    pub fn auid_range(&self) -> (u32, u32) {
        match self.who {
            Who::Users | Who::CronUsers => (self.auid_min, u32::MAX - 1),
            Who::RootLogins => (0, 0),
            // A login uid that is set: any user's, root's included.
            Who::AsOtherUser => (0, u32::MAX - 1),
            Who::Everyone | Who::SetuidToRoot | Who::SetgidToRoot | Who::CronRoot => (0, u32::MAX),
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

/// Every event the control expects on a target of machine `native`: per requirement, per ABI,
/// per `who` and outcome, each syscall (or exec, or write/attribute syscall on each watched
/// path). A syscall an ABI does not have (create_module on aarch64, umount on x86_64) cannot
/// be made through it and is skipped. `control` requirements expect no event.
pub fn expectations(control: &Control, native: Machine, facts: &TargetFacts) -> Vec<Expectation> {
    let auid_min = facts.uid_min;
    let mut out = Vec::new();
    for req in &control.requirements {
        let abis = match req.abis {
            Abis::All => native.abis(),
            Abis::Native => vec![native],
        };
        let whos = req.who();
        for abi in abis {
            for &who in &whos {
                for outcome in req.outcomes() {
                    let base = |name: &str| -> Option<Event> {
                        Some(Event {
                            abi,
                            syscall: syscalls::number(abi, name)?,
                            syscall_name: name.to_string(),
                            exec_path: None,
                            exec_target: None,
                            auid_min,
                            who,
                            outcome,
                            args: req.args.clone(),
                            object: None,
                        })
                    };
                    let mut push = |event: Option<Event>, advice: bool| {
                        if let Some(event) = event {
                            out.push(Expectation {
                                requirement: req.id.clone(),
                                event,
                                advice,
                            });
                        }
                    };
                    match req.kind {
                        RequirementKind::Syscall => {
                            req.syscalls.iter().for_each(|s| push(base(s), false));
                            req.advice_syscalls.iter().for_each(|s| push(base(s), true));
                        }
                        RequirementKind::ExecScan => {
                            for p in facts.suid_files.iter().flatten() {
                                let ev = base("execve").map(|mut e| {
                                    e.exec_path = Some(p.clone());
                                    e.exec_target = Some(p.clone());
                                    e
                                });
                                push(ev, false);
                            }
                        }
                        RequirementKind::Exec => {
                            for p in &req.paths {
                                let f = facts.path(p.as_bytes());
                                let ev = base("execve").map(|mut e| {
                                    e.exec_path = Some(f.named);
                                    e.exec_target = Some(f.resolved);
                                    e
                                });
                                push(ev, false);
                            }
                        }
                        RequirementKind::Watch => {
                            for p in &req.paths {
                                let f = facts.path(p.as_bytes());
                                let access = req.access();
                                let mut add = |name: &str, access: Access, parent: bool| {
                                    let ev = base(name).map(|mut e| {
                                        e.object = Some(Object {
                                            path: f.resolved.clone(),
                                            below: req.tree,
                                            access,
                                            names_parent: parent,
                                        });
                                        e
                                    });
                                    push(ev, false);
                                };
                                if access.contains('w') {
                                    for (name, parent) in WRITE_SYSCALLS {
                                        add(name, Access::Write, *parent);
                                    }
                                }
                                if access.contains('a') {
                                    for name in ATTR_SYSCALLS {
                                        add(name, Access::Attr, false);
                                    }
                                }
                            }
                        }
                        RequirementKind::Control
                        | RequirementKind::DaemonSetting
                        | RequirementKind::BootParameter
                        | RequirementKind::FilePermission => {}
                    }
                }
            }
        }
    }
    out
}
