//! Facts about a target that the evaluator needs, computed once at the edge (by
//! `load::configuration::facts`, which reads the target) and handed in as data, so that
//! evaluation reads nothing.

use std::collections::BTreeMap;

/// What a path named by a control is on the target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathFacts {
    /// The path with its parent resolved and its last component as named: the inode a watch on
    /// this name sits on.
    pub named: Vec<u8>,
    /// The path with every symlink resolved: the file an exec of it really runs.
    pub resolved: Vec<u8>,
    /// Whether the last component is a symlink.
    pub symlink: bool,
    /// Whether the file exists on the target: `None` where the tree is not an OS image (a
    /// configuration-only tree says nothing about installed programs).
    pub exists: Option<bool>,
}

/// The target facts of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetFacts {
    /// Lowest uid of a real user: `UID_MIN` of the target's `/etc/login.defs`, else 1000.
    pub uid_min: u32,
    /// Every path the controls name, as it is on the target.
    pub paths: BTreeMap<Vec<u8>, PathFacts>,
    /// Every daemon configuration file the controls name, parsed as auditd does (`None`: the
    /// file does not exist, so auditd uses its defaults; `Err`: it cannot be read).
    pub daemon_confs: BTreeMap<String, Result<Option<DaemonConf>, String>>,
    /// Per file-permission pattern as written: the files it matches on the target.
    pub files: BTreeMap<String, Vec<FileFacts>>,
    /// The boot configuration's kernel arguments, per source.
    pub boot: Vec<BootSource>,
    /// uid → user name and gid → group name, from the target's passwd and group.
    pub user_names: BTreeMap<u32, String>,
    /// gid → group name.
    pub group_names: BTreeMap<u32, String>,
    /// Every setuid or setgid regular file on the mounts that allow them (exec-scan), sorted;
    /// `None` when no requirement asked.
    pub suid_files: Option<Vec<Vec<u8>>>,
    /// Where the setuid/setgid scan could not look: its verdicts cover only what it saw.
    pub suid_scan_gaps: Vec<ScanGap>,
}

/// A part of the target the setuid/setgid scan did not see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanGap {
    /// The scan stopped after this many directory entries (its bound).
    Bound {
        /// Entries read.
        entries: usize,
    },
    /// A directory that could not be read (permission, a path longer than PATH_MAX, ...).
    Unreadable {
        /// The directory.
        dir: Vec<u8>,
        /// Why.
        error: String,
    },
}

pub use crate::load::auditd_conf::DaemonConf;

/// A file a file-permission requirement matched, as `lstat` saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFacts {
    /// The path on the target.
    pub path: Vec<u8>,
    /// Permission bits.
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
    /// A directory (else a file or another kind).
    pub dir: bool,
    /// A symbolic link (not followed).
    pub symlink: bool,
    /// Where the path really is on the target: its directories resolved through symlinks
    /// (inside the root), the last component kept as named. Differs from `path` when a
    /// directory on the way is a symlink (`/var/log/audit` → `/etc`).
    pub real: Vec<u8>,
}

/// Where a kernel command line is configured, or seen running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootSource {
    /// The file (`/etc/default/grub`, a BLS entry, `grub.cfg`, `/proc/cmdline`).
    pub file: String,
    /// The 1-based line.
    pub line: u32,
    /// What kind of source it is.
    pub kind: BootSourceKind,
    /// The arguments, `name` or `name=value`, in order.
    pub args: Vec<String>,
}

/// The kinds of [`BootSource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootSourceKind {
    /// `GRUB_CMDLINE_LINUX`/`_DEFAULT` of `/etc/default/grub` (and `grub.d/*.cfg`): what the
    /// next `update-grub`/`grub2-mkconfig` writes.
    GrubDefault,
    /// The `options` line of a Boot Loader Specification entry (`/boot/loader/entries`).
    Bls,
    /// A `linux` line of the generated `grub.cfg`.
    GrubCfg,
    /// `/proc/cmdline`: the running kernel's (live host only).
    Running,
}

impl TargetFacts {
    /// The facts of `path`; a path nobody looked up is taken as a plain file, as named.
    pub fn path(&self, path: &[u8]) -> PathFacts {
        self.paths.get(path).cloned().unwrap_or_else(|| PathFacts {
            named: path.to_vec(),
            resolved: path.to_vec(),
            symlink: false,
            exists: None,
        })
    }

    /// The name of user `uid` in the target's passwd; id 0 is root whatever the tables say (a
    /// tree without passwd still has it); else the number.
    pub fn user_name(&self, uid: u32) -> String {
        id_name(&self.user_names, uid)
    }

    /// The name of group `gid` in the target's group file, as [`Self::user_name`].
    pub fn group_name(&self, gid: u32) -> String {
        id_name(&self.group_names, gid)
    }

    /// The value of `key` in `file` as auditd would use it: (value, line) when the file sets
    /// it, (default, 0) otherwise; `None` when the file cannot be read or auditd refuses it.
    pub fn daemon_value(&self, file: &str, key: &str) -> Option<(String, u32)> {
        let conf = self.daemon_confs.get(file)?.as_ref().ok()?;
        match conf {
            Some(c) if c.refused.is_some() => None,
            Some(c) => match c.get(key) {
                Some(e) => Some((e.value.clone(), e.line)),
                None => crate::load::auditd_conf::default(key).map(|d| (d.to_string(), 0)),
            },
            None => crate::load::auditd_conf::default(key).map(|d| (d.to_string(), 0)),
        }
    }
}

fn id_name(table: &BTreeMap<u32, String>, id: u32) -> String {
    match table.get(&id) {
        Some(name) => name.clone(),
        None if id == 0 => "root".to_string(),
        None => id.to_string(),
    }
}
