//! The only code in auditguard that writes configuration files: whole-file replacements decided
//! by the plan, applied atomically, confined to the target root, keeping each file's metadata,
//! and serialised by one lock per target.
//!
//! It knows nothing of rules: a [`FileWrite`] is a path, the new bytes and the bytes the plan
//! was made from. How it writes one file:
//!
//! 1. resolve the path inside the root with directory descriptors (`openat`, `O_NOFOLLOW` at
//!    every step; absolute symlinks restart at the root and `..` clamps, as
//!    [`RootHost`](crate::host::RootHost) reads). A final symlink is followed to its target
//!    inside the root, because that is the file the loader reads through it; a dangling or
//!    looping one is refused, and so is a directory or a device where the file should be;
//! 2. re-read the file and compare it with [`FileWrite::expected`];
//! 3. create `.NAME.auditguard-XXXXXXXX` in the same directory (a dot name that does not end in
//!    `.rules`, so augenrules never reads it), write everything, give it the old file's owner,
//!    group, extended attributes (`security.selinux`, `user.*`, ACLs...) and mode — or mode
//!    0600 and group root for a new file created by root — and `fsync` it;
//! 4. swap the temporary file with the name (`renameat2(RENAME_EXCHANGE)`; a new file:
//!    `RENAME_NOREPLACE`), `fsync` the directory, and check that the file swapped out is the
//!    inode step 1 opened and still holds exactly the bytes the plan was made from — else swap
//!    it back and fail with "changed since the plan was made" (a compare-and-swap: an editor's
//!    write in between is never lost);
//! 5. with `--backup`, the old file's hard link becomes `NAME.bak` (a name augenrules ignores);
//!    once every file is committed, the swapped-out old inodes are removed.
//!
//! Files are committed in the order of the plan, which orders them so that every intermediate
//! state records at least as much as before (`fix::plan`'s `commit_order`); temporary files a
//! killed run left behind are removed first.
//!
//! [`apply`] does steps 1–3 for *every* file before it renames any, so a full disk, an I/O
//! error, a read-only file system or a refused permission changes nothing. Only a failing
//! rename or directory sync can strike after some files were replaced; those are then restored
//! from the bytes the plan was made from (created files are removed). On every error no
//! temporary file is left behind, and the error names the file and what failed.
//!
//! Mode and owner changes (file-permission items) go through [`set_metadata`], with the same
//! confinement, no symlink followed and a compare-and-swap on the mode and owner the plan saw.
//!
//! The data goes out with `pwrite` (`write_all_at`), not `write`: the fault tests inject
//! errors into exactly that system call without breaking the test harness's own output.

mod file;
mod meta;
mod walk;

pub use file::TEMP_MARK;
pub use meta::{set_metadata, Meta, MetaChange};

use file::Staged;
use rustix::fs::{flock, openat, FlockOperation, Mode, OFlags, CWD};
use rustix::io::Errno;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use walk::{walk, Node, Walked};

/// One whole-file write decided by the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    /// Absolute path on the target, e.g. `/etc/audit/rules.d/modules.rules`.
    pub path: PathBuf,
    /// The complete new contents.
    pub contents: Vec<u8>,
    /// The bytes the plan was made from; `None`: the file must not exist yet.
    pub expected: Option<Vec<u8>>,
    /// The mode to give the file; `None` keeps an existing file's mode (new files: 0600).
    /// `audit.rules` written like augenrules gets 0640.
    pub mode: Option<u32>,
}

/// How to apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Keep the previous file as `NAME.bak` beside it (augenrules reads only `*.rules`).
    pub backup: bool,
}

/// One file that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The path as the plan named it.
    pub path: PathBuf,
    /// The file really written, on the target, after symlinks (equal to `path` without them).
    pub written: PathBuf,
    /// The file did not exist before.
    pub created: bool,
    /// Where the previous contents were kept (`--backup` and an existing file).
    pub backup: Option<PathBuf>,
}

/// Why a write did not happen. Paths are target paths as the plan named them.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The target root itself cannot be opened.
    #[error("cannot open the target root {root}: {source}")]
    Root {
        /// The root directory on this machine.
        root: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A path in the plan is not absolute.
    #[error("{path}: not an absolute path on the target")]
    NotAbsolute {
        /// The path.
        path: PathBuf,
    },
    /// A directory on the way to the file does not exist (we never create directories).
    #[error("{path}: directory {dir} does not exist on the target")]
    MissingDirectory {
        /// The file.
        path: PathBuf,
        /// The missing directory, after symlinks.
        dir: PathBuf,
    },
    /// A component on the way is a file, not a directory.
    #[error("{path}: {component} is not a directory")]
    NotADirectory {
        /// The file.
        path: PathBuf,
        /// The offending component, after symlinks.
        component: PathBuf,
    },
    /// A directory stands where the file should be.
    #[error("{path}: is a directory, not a file")]
    IsADirectory {
        /// The file.
        path: PathBuf,
    },
    /// A device, fifo or socket stands where the file should be.
    #[error("{path}: not a regular file")]
    NotARegularFile {
        /// The file.
        path: PathBuf,
    },
    /// A mode or owner change names a symlink: a link's own mode means nothing, and the file
    /// it names is not changed through it.
    #[error(
        "{path}: is a symbolic link; its mode and owner are not changed (change the file it names)"
    )]
    IsASymlink {
        /// The link.
        path: PathBuf,
    },
    /// The file is a symlink to nothing; we do not create its target.
    #[error("{path}: dangling symlink to {target} (inside the root); refusing to create it")]
    DanglingSymlink {
        /// The file.
        path: PathBuf,
        /// Where the link points, resolved inside the root.
        target: PathBuf,
    },
    /// Resolving the path met more than 40 symlinks.
    #[error("{path}: too many levels of symbolic links")]
    SymlinkLoop {
        /// The file.
        path: PathBuf,
    },
    /// The file is not what the plan was made from.
    #[error("{path}: changed since the plan was made ({how}); run fix again")]
    Changed {
        /// The file.
        path: PathBuf,
        /// What differs.
        how: &'static str,
    },
    /// The file is not what the plan was made from, and another process wrote through its
    /// name while fix's version briefly held it: those writes are kept beside it.
    #[error("{path}: changed since the plan was made ({how}); writes made meanwhile are kept in {kept} (merge them by hand); run fix again")]
    ChangedKept {
        /// The file.
        path: PathBuf,
        /// What differs.
        how: &'static str,
        /// Where the other writer's bytes are.
        kept: PathBuf,
    },
    /// Two writes of one plan resolve to the same file.
    #[error("{path}: written twice by one plan (also as {other})")]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// The other path naming it.
        other: PathBuf,
    },
    /// A system call failed (ENOSPC, EIO, EROFS, EACCES, EPERM...).
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What we were doing, naming the real file or directory involved.
        what: String,
        /// The error, with its errno text.
        source: io::Error,
    },
    /// A failure after some files were replaced; those were put back as they were.
    #[error("{source}; restored the files already replaced: {}", list(.restored))]
    RolledBack {
        /// The failure.
        source: Box<ApplyError>,
        /// Files restored to the bytes the plan was made from (or removed if created).
        restored: Vec<PathBuf>,
    },
    /// A failure after some files were replaced, and putting them back failed too.
    #[error("{source}; these files keep the NEW contents, restoring them failed: {}", list(.left))]
    Incomplete {
        /// The failure.
        source: Box<ApplyError>,
        /// Files that hold the new contents.
        left: Vec<PathBuf>,
        /// Why restoring failed, one per file.
        restore_errors: Vec<ApplyError>,
    },
    /// Another `fix` holds the lock for longer than we wait.
    #[error("{lock}: another auditguard fix has held the lock for {waited:?}; giving up")]
    LockTimeout {
        /// The locked directory on this machine.
        lock: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
}

fn list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// Where writes go: the live system (`/`) or an image root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    root: PathBuf,
}

impl Target {
    /// The running system.
    pub fn live() -> Target {
        Target {
            root: PathBuf::from("/"),
        }
    }

    /// An image whose `/` is `dir` (`--root DIR`).
    pub fn root(dir: impl Into<PathBuf>) -> Target {
        Target { root: dir.into() }
    }

    /// The root directory on this machine.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    fn open(&self, flags: OFlags) -> Result<OwnedFd, ApplyError> {
        openat(
            CWD,
            &self.root,
            flags | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| ApplyError::Root {
            root: self.root.clone(),
            source: e.into(),
        })
    }

    /// A target path as a path on this machine, for messages.
    fn real(&self, path: &Path) -> PathBuf {
        self.root.join(path.strip_prefix("/").unwrap_or(path))
    }
}

/// How long [`lock`] waits for another `fix` on the same target.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// An exclusive `flock` on the target's `/etc/audit` directory (or on the root directory when
/// the target has none), released when dropped. auditd and augenrules take no locks: this only
/// serialises auditguard runs (an Ansible push and a timer, say), and creates no file.
#[derive(Debug)]
pub struct FixLock {
    _dir: OwnedFd,
    path: PathBuf,
}

impl FixLock {
    /// The locked directory on this machine.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Serialise concurrent `fix` runs on one target; hold the lock for plan + apply. Waits up to
/// [`LOCK_WAIT`].
pub fn lock(target: &Target) -> Result<FixLock, ApplyError> {
    lock_within(target, LOCK_WAIT)
}

/// [`lock`], waiting at most `wait`.
pub fn lock_within(target: &Target, wait: Duration) -> Result<FixLock, ApplyError> {
    let root = target.open(OFlags::PATH)?;
    let audit = Path::new("/etc/audit");
    let (dir, path) = match walk(&root, audit) {
        Ok(Walked {
            node: Node::Dir(fd),
            parent_path,
            name,
            ..
        }) => (fd, target.real(&parent_path.join(name))),
        _ => (root, target.dir().to_path_buf()),
    };
    // flock needs a descriptor opened for reading, not O_PATH.
    let dir = openat(
        &dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        io_error(
            audit,
            format!("cannot open {} to lock it", path.display()),
            e,
        )
    })?;
    let start = Instant::now();
    loop {
        match flock(&dir, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(FixLock { _dir: dir, path }),
            Err(Errno::WOULDBLOCK) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(Errno::WOULDBLOCK) => {
                return Err(ApplyError::LockTimeout {
                    lock: path,
                    waited: start.elapsed(),
                })
            }
            Err(Errno::INTR) => {}
            Err(e) => {
                return Err(io_error(
                    audit,
                    format!("cannot lock {}", path.display()),
                    e,
                ))
            }
        }
    }
}

fn io_error(path: &Path, what: String, e: impl Into<io::Error>) -> ApplyError {
    ApplyError::Io {
        path: path.to_path_buf(),
        what,
        source: e.into(),
    }
}

/// Write all files; see the module doc for how. Call with the [`lock`] of `target` held since
/// the plan read the files, so that no other `fix` changes them in between.
pub fn apply(
    target: &Target,
    writes: &[FileWrite],
    opts: &ApplyOptions,
) -> Result<Vec<Applied>, ApplyError> {
    let root = target.open(OFlags::PATH)?;
    // Steps 1-2 for every file: nothing is written unless every expectation holds.
    let mut staged: Vec<Staged<'_>> = Vec::with_capacity(writes.len());
    for w in writes {
        let s = Staged::resolve(&root, w)?;
        if let Some(first) = staged.iter().find(|o| o.same_file(&s)) {
            return Err(ApplyError::Duplicate {
                path: w.path.clone(),
                other: first.write.path.clone(),
            });
        }
        staged.push(s);
    }
    // What a killed run left behind goes first (we hold the lock: no live run owns it).
    for s in &staged {
        s.remove_stale_temps();
    }
    // Step 3 for every file: a full disk or a refused write stops here, nothing replaced.
    for s in &mut staged {
        s.prepare(opts)?;
    }
    // Steps 4-5, one file after the other, in the plan's order; undo the ones done if one
    // fails.
    let mut done = Vec::new();
    for (i, s) in staged.iter_mut().enumerate() {
        test_delay();
        match s.commit() {
            Ok(()) => done.push(i),
            Err((e, replaced)) => {
                if replaced {
                    done.push(i);
                }
                return Err(roll_back(&staged, &done, e));
            }
        }
    }
    for s in &mut staged {
        s.finish();
    }
    Ok(staged.iter().map(Staged::applied).collect())
}

/// Remove the temporary files a killed run left in the target's `/etc/audit` and
/// `/etc/audit/rules.d` (see the module doc). Call with the [`lock`] held; errors are ignored.
pub fn remove_stale_temps(target: &Target) {
    let Ok(root) = target.open(OFlags::PATH) else {
        return;
    };
    for dir in ["/etc/audit", "/etc/audit/rules.d"] {
        if let Ok(Walked {
            node: Node::Dir(fd),
            ..
        }) = walk(&root, Path::new(dir))
        {
            file::remove_stale_temps(&fd);
        }
    }
}

/// Debug builds only: sleep `AUDITGUARD_TEST_COMMIT_DELAY_MS` before each commit, so the
/// kill-loop test can stop a run between two renames.
fn test_delay() {
    test_pause("AUDITGUARD_TEST_COMMIT_DELAY_MS");
}

/// Debug builds only: sleep the milliseconds the environment variable `var` says (the fault
/// tests widen race windows with it). Release builds never read it.
#[cfg_attr(not(debug_assertions), allow(unused_variables))]
fn test_pause(var: &str) {
    #[cfg(not(debug_assertions))]
    let _ = var;
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var(var).ok().and_then(|v| v.parse::<u64>().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Put back the files of `done` (indexes into `staged`) after `error`.
fn roll_back(staged: &[Staged<'_>], done: &[usize], error: ApplyError) -> ApplyError {
    if done.is_empty() {
        return error;
    }
    let mut restored = Vec::new();
    let mut left = Vec::new();
    let mut restore_errors = Vec::new();
    for &i in done.iter().rev() {
        let s = &staged[i];
        match s.restore() {
            Ok(()) => restored.push(s.write.path.clone()),
            Err(e) => {
                left.push(s.write.path.clone());
                restore_errors.push(e);
            }
        }
    }
    if left.is_empty() {
        ApplyError::RolledBack {
            source: Box::new(error),
            restored,
        }
    } else {
        ApplyError::Incomplete {
            source: Box::new(error),
            left,
            restore_errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_new_file_0600_and_replaces_existing() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("etc/audit/rules.d");
        std::fs::create_dir_all(&rules).unwrap();
        let target = Target::root(dir.path());
        let new = FileWrite {
            path: PathBuf::from("/etc/audit/rules.d/modules.rules"),
            contents: b"-w /usr/sbin/insmod -p x -k modules\n".to_vec(),
            expected: None,
            mode: None,
        };
        let done = apply(
            &target,
            std::slice::from_ref(&new),
            &ApplyOptions::default(),
        )
        .unwrap();
        assert!(done[0].created);
        let real = rules.join("modules.rules");
        assert_eq!(std::fs::read(&real).unwrap(), new.contents);
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(&real).unwrap().mode() & 0o7777, 0o600);
        // The same write again is refused: the plan expected no file.
        let err = apply(
            &target,
            std::slice::from_ref(&new),
            &ApplyOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("changed since the plan was made"),
            "{err}"
        );
        let again = FileWrite {
            expected: Some(new.contents.clone()),
            contents: b"# replaced\n".to_vec(),
            ..new
        };
        let done = apply(&target, &[again], &ApplyOptions { backup: true }).unwrap();
        assert!(!done[0].created);
        assert_eq!(
            done[0].backup.as_deref(),
            Some(Path::new("/etc/audit/rules.d/modules.rules.bak"))
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"# replaced\n");
        assert_eq!(
            std::fs::read(rules.join("modules.rules.bak")).unwrap(),
            b"-w /usr/sbin/insmod -p x -k modules\n"
        );
        let names: Vec<_> = std::fs::read_dir(&rules)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn lock_is_exclusive_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/audit")).unwrap();
        let target = Target::root(dir.path());
        let held = lock(&target).unwrap();
        assert_eq!(held.path(), dir.path().join("etc/audit"));
        let err = lock_within(&target, Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, ApplyError::LockTimeout { .. }), "{err}");
        assert!(err.to_string().contains("etc/audit"), "{err}");
        drop(held);
        lock_within(&target, Duration::from_millis(100)).unwrap();
    }
}
