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
//! 4. with `--backup`, hard-link the old file to `NAME.bak` (a name augenrules ignores);
//! 5. `renameat` the temporary file over the name and `fsync` the directory.
//!
//! [`apply`] does steps 1–3 for *every* file before it renames any, so a full disk, an I/O
//! error, a read-only file system or a refused permission changes nothing. Only a failing
//! rename or directory sync can strike after some files were replaced; those are then restored
//! from the bytes the plan was made from (created files are removed). On every error no
//! temporary file is left behind, and the error names the file and what failed.
//!
//! The data goes out with `pwrite` (`write_all_at`), not `write`: the fault tests inject
//! errors into exactly that system call without breaking the test harness's own output.

mod walk;

use rustix::fs::{
    fchmod, fchown, fgetxattr, fgetxattr_query, flistxattr, flistxattr_query, flock, fsetxattr,
    fstat, fsync, linkat, openat, renameat, unlinkat, AtFlags, FileType, FlockOperation, Gid, Mode,
    OFlags, Stat, Uid, XattrFlags, CWD,
};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use walk::{walk, Node, WalkError, Walked};

/// One whole-file write decided by the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    /// Absolute path on the target, e.g. `/etc/audit/rules.d/modules.rules`.
    pub path: PathBuf,
    /// The complete new contents.
    pub contents: Vec<u8>,
    /// The bytes the plan was made from; `None`: the file must not exist yet.
    pub expected: Option<Vec<u8>>,
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
    // Step 3 for every file: a full disk or a refused write stops here, nothing replaced.
    for s in &mut staged {
        s.prepare(opts)?;
    }
    // Steps 4-5, one file after the other; undo the ones done if one fails.
    let mut done = Vec::new();
    for (i, s) in staged.iter_mut().enumerate() {
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
    Ok(staged.iter().map(Staged::applied).collect())
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

/// The file being replaced: its open descriptor (for metadata and xattrs) and its bytes.
#[derive(Debug)]
struct Old {
    file: File,
    stat: Stat,
}

/// One write on its way: resolved, checked, then its temporary file, then committed.
#[derive(Debug)]
struct Staged<'w> {
    write: &'w FileWrite,
    /// The directory holding the file, opened for reading (fsync needs that).
    dir: OwnedFd,
    dir_path: PathBuf,
    name: OsString,
    old: Option<Old>,
    /// The temporary file while it exists.
    temp: Option<OsString>,
    /// The temporary hard link that becomes `NAME.bak`.
    backup_temp: Option<OsString>,
    backup: Option<PathBuf>,
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        for name in [self.temp.take(), self.backup_temp.take()]
            .into_iter()
            .flatten()
        {
            let _ = unlinkat(&self.dir, &name, AtFlags::empty());
        }
    }
}

impl<'w> Staged<'w> {
    /// Steps 1 and 2.
    fn resolve(root: &OwnedFd, write: &'w FileWrite) -> Result<Staged<'w>, ApplyError> {
        let path = write.path.clone();
        let walked = walk(root, &write.path).map_err(|e| match e {
            WalkError::Missing(dir) => ApplyError::MissingDirectory {
                path: path.clone(),
                dir,
            },
            WalkError::NotADirectory(component) => ApplyError::NotADirectory {
                path: path.clone(),
                component,
            },
            WalkError::Loop => ApplyError::SymlinkLoop { path: path.clone() },
            WalkError::NotAbsolute => ApplyError::NotAbsolute { path: path.clone() },
            WalkError::Io(at, source) => ApplyError::Io {
                path: path.clone(),
                what: format!("cannot resolve {}", at.display()),
                source,
            },
        })?;
        match walked.node {
            Node::Dir(_) => return Err(ApplyError::IsADirectory { path }),
            Node::Other => return Err(ApplyError::NotARegularFile { path }),
            Node::Missing { via_symlink: true } => {
                return Err(ApplyError::DanglingSymlink {
                    target: walked.target_path(),
                    path,
                })
            }
            Node::Missing { .. } | Node::File => {}
        }
        let dir = openat(
            &walked.parent,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| {
            let what = format!("cannot open directory {}", walked.parent_path.display());
            io_error(&path, what, e)
        })?;
        let mut staged = Staged {
            write,
            dir,
            dir_path: walked.parent_path,
            name: walked.name,
            old: None,
            temp: None,
            backup_temp: None,
            backup: None,
        };
        let (old, bytes) = staged.read_current()?;
        staged.check(bytes.as_deref())?;
        staged.old = old;
        Ok(staged)
    }

    fn target_path(&self) -> PathBuf {
        self.dir_path.join(&self.name)
    }

    fn same_file(&self, other: &Staged<'_>) -> bool {
        self.target_path() == other.target_path()
    }

    fn fail(&self, what: impl Into<String>, e: impl Into<io::Error>) -> ApplyError {
        io_error(&self.write.path, what.into(), e)
    }

    /// The file as it is now: `None` if it does not exist.
    fn read_current(&self) -> Result<(Option<Old>, Option<Vec<u8>>), ApplyError> {
        let real = self.target_path();
        // O_NOFOLLOW: the walk already followed the symlinks; one swapped in since is refused.
        // O_NONBLOCK: a fifo swapped in must not hang us (it is then refused below).
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match openat(&self.dir, &self.name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok((None, None)),
            Err(e) => return Err(self.fail(format!("cannot open {}", real.display()), e)),
        };
        let stat =
            fstat(&fd).map_err(|e| self.fail(format!("cannot stat {}", real.display()), e))?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Err(ApplyError::NotARegularFile {
                path: self.write.path.clone(),
            });
        }
        let mut file = File::from(fd);
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| self.fail(format!("cannot read {}", real.display()), e))?;
        Ok((Some(Old { file, stat }), Some(bytes)))
    }

    fn check(&self, current: Option<&[u8]>) -> Result<(), ApplyError> {
        let how = match (self.write.expected.as_deref(), current) {
            (None, None) => return Ok(()),
            (Some(want), Some(have)) if want == have => return Ok(()),
            (None, Some(_)) => "it exists now",
            (Some(_), None) => "it no longer exists",
            (Some(_), Some(_)) => "its contents differ",
        };
        Err(ApplyError::Changed {
            path: self.write.path.clone(),
            how,
        })
    }

    /// Step 3, and the hard link for step 4.
    fn prepare(&mut self, opts: &ApplyOptions) -> Result<(), ApplyError> {
        let temp = self.write_temp(&self.write.contents)?;
        self.temp = Some(temp);
        if opts.backup && self.old.is_some() {
            self.prepare_backup()?;
        }
        Ok(())
    }

    /// Create a temporary file beside the target holding `contents`, with the old file's
    /// metadata (or a new file's), synced.
    fn write_temp(&self, contents: &[u8]) -> Result<OsString, ApplyError> {
        let (fd, temp) = self.create_temp()?;
        // From here on the temporary file is removed on any error.
        let finish = || -> Result<(), ApplyError> {
            let in_dir =
                |verb: &str| format!("cannot {verb} {}", self.dir_path.join(&temp).display());
            let file = File::from(fd);
            file.write_all_at(contents, 0)
                .map_err(|e| self.fail(in_dir("write"), e))?;
            self.copy_metadata(&file, &temp)?;
            fsync(&file).map_err(|e| self.fail(in_dir("fsync"), e))?;
            Ok(())
        };
        match finish() {
            Ok(()) => Ok(temp),
            Err(e) => {
                let _ = unlinkat(&self.dir, &temp, AtFlags::empty());
                Err(e)
            }
        }
    }

    /// `O_CREAT | O_EXCL` a fresh temporary name, mode 0600.
    fn create_temp(&self) -> Result<(OwnedFd, OsString), ApplyError> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut attempt = 0;
        loop {
            let temp = temp_name(&self.name, unique());
            match openat(&self.dir, &temp, flags, Mode::from_raw_mode(0o600)) {
                Ok(fd) => return Ok((fd, temp)),
                Err(Errno::EXIST) if attempt < 100 => attempt += 1,
                Err(e) => {
                    let what = format!(
                        "cannot create a temporary file in {}",
                        self.dir_path.display()
                    );
                    return Err(self.fail(what, e));
                }
            }
        }
    }

    /// Owner, group, extended attributes and mode of the old file onto `file`; for a new file
    /// mode 0600 and, when root created it, group root.
    fn copy_metadata(&self, file: &File, temp: &OsStr) -> Result<(), ApplyError> {
        let temp_path = self.dir_path.join(temp);
        let Some(old) = &self.old else {
            let st = fstat(file)
                .map_err(|e| self.fail(format!("cannot stat {}", temp_path.display()), e))?;
            if st.st_uid == 0 && st.st_gid != 0 {
                fchown(file, None, Some(Gid::ROOT)).map_err(|e| {
                    self.fail(
                        format!("cannot give {} to group root", temp_path.display()),
                        e,
                    )
                })?;
            }
            return fchmod(file, Mode::from_raw_mode(0o600))
                .map_err(|e| self.fail(format!("cannot chmod 0600 {}", temp_path.display()), e));
        };
        let st = &old.stat;
        let new = fstat(file)
            .map_err(|e| self.fail(format!("cannot stat {}", temp_path.display()), e))?;
        if (new.st_uid, new.st_gid) != (st.st_uid, st.st_gid) {
            let (uid, gid) = (Uid::from_raw(st.st_uid), Gid::from_raw(st.st_gid));
            fchown(file, Some(uid), Some(gid)).map_err(|e| {
                let what = format!(
                    "cannot keep owner {}:{} of {} on {}",
                    st.st_uid,
                    st.st_gid,
                    self.target_path().display(),
                    temp_path.display()
                );
                self.fail(what, e)
            })?;
        }
        for (name, value) in xattrs(&old.file).map_err(|e| {
            self.fail(
                format!(
                    "cannot list extended attributes of {}",
                    self.target_path().display()
                ),
                e,
            )
        })? {
            fsetxattr(file, &name, &value, XattrFlags::empty()).map_err(|e| {
                let what = format!(
                    "cannot copy extended attribute {} to {}",
                    name.to_string_lossy(),
                    temp_path.display()
                );
                self.fail(what, e)
            })?;
        }
        // After chown, which clears set-id bits.
        fchmod(file, Mode::from_raw_mode(st.st_mode & 0o7777)).map_err(|e| {
            self.fail(
                format!(
                    "cannot keep mode {:o} on {}",
                    st.st_mode & 0o7777,
                    temp_path.display()
                ),
                e,
            )
        })
    }

    /// Hard-link the old file to a temporary name that becomes `NAME.bak` at commit; where the
    /// file system has no hard links, copy it (bytes and metadata) instead.
    fn prepare_backup(&mut self) -> Result<(), ApplyError> {
        let mut name = self.name.clone();
        name.push(".bak");
        let link = temp_name(&name, unique());
        let linked = linkat(&self.dir, &self.name, &self.dir, &link, AtFlags::empty());
        let link = match linked {
            Ok(()) => link,
            Err(Errno::PERM | Errno::OPNOTSUPP | Errno::MLINK) => {
                let expected = self.write.expected.as_deref().unwrap_or_default();
                self.write_temp(expected)?
            }
            Err(e) => {
                let what = format!("cannot keep a backup in {}", self.dir_path.display());
                return Err(self.fail(what, e));
            }
        };
        self.backup_temp = Some(link);
        self.backup = Some(self.dir_path.join(name));
        Ok(())
    }

    /// Steps 4 and 5. On error, whether the file had been replaced already.
    fn commit(&mut self) -> Result<(), (ApplyError, bool)> {
        // Under the lock nothing changed since `resolve`; without it, this narrows the window.
        let (_, now) = self.read_current().map_err(|e| (e, false))?;
        self.check(now.as_deref()).map_err(|e| (e, false))?;
        if let (Some(link), Some(backup)) = (&self.backup_temp, &self.backup) {
            let bak = backup.file_name().unwrap_or_default().to_os_string();
            renameat(&self.dir, link, &self.dir, &bak).map_err(|e| {
                (
                    self.fail(format!("cannot keep a backup as {}", backup.display()), e),
                    false,
                )
            })?;
            self.backup_temp = None;
        }
        let temp = self.temp.clone().unwrap_or_default();
        renameat(&self.dir, &temp, &self.dir, &self.name).map_err(|e| {
            let what = format!(
                "cannot rename {} over {}",
                self.dir_path.join(&temp).display(),
                self.target_path().display()
            );
            (self.fail(what, e), false)
        })?;
        self.temp = None;
        fsync(&self.dir).map_err(|e| {
            let what = format!("cannot fsync directory {}", self.dir_path.display());
            (self.fail(what, e), true)
        })
    }

    /// Undo a commit: the bytes the plan was made from, with the old metadata, or no file.
    fn restore(&self) -> Result<(), ApplyError> {
        let Some(expected) = &self.write.expected else {
            unlinkat(&self.dir, &self.name, AtFlags::empty()).map_err(|e| {
                self.fail(format!("cannot remove {}", self.target_path().display()), e)
            })?;
            return fsync(&self.dir).map_err(|e| {
                self.fail(
                    format!("cannot fsync directory {}", self.dir_path.display()),
                    e,
                )
            });
        };
        let temp = self.write_temp(expected)?;
        if let Err(e) = renameat(&self.dir, &temp, &self.dir, &self.name) {
            let _ = unlinkat(&self.dir, &temp, AtFlags::empty());
            return Err(self.fail(
                format!("cannot restore {}", self.target_path().display()),
                e,
            ));
        }
        fsync(&self.dir).map_err(|e| {
            self.fail(
                format!("cannot fsync directory {}", self.dir_path.display()),
                e,
            )
        })
    }

    fn applied(&self) -> Applied {
        Applied {
            path: self.write.path.clone(),
            written: self.target_path(),
            created: self.old.is_none(),
            backup: self.backup.clone(),
        }
    }
}

/// Every extended attribute of `file` with its value.
fn xattrs(file: &File) -> rustix::io::Result<Vec<(OsString, Vec<u8>)>> {
    let names = loop {
        let size = match flistxattr_query(file) {
            Ok(size) => size,
            // The file system has no extended attributes at all.
            Err(Errno::OPNOTSUPP) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut buf = vec![0u8; size];
        match flistxattr(file, &mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                break buf;
            }
            Err(Errno::RANGE) => continue,
            Err(e) => return Err(e),
        }
    };
    let mut out = Vec::new();
    for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = OsStr::from_bytes(name);
        let value = loop {
            let size = match fgetxattr_query(file, name) {
                Ok(size) => size,
                // Removed since listed.
                Err(Errno::NODATA) => break None,
                Err(e) => return Err(e),
            };
            let mut buf = vec![0u8; size];
            match fgetxattr(file, name, &mut buf[..]) {
                Ok(n) => {
                    buf.truncate(n);
                    break Some(buf);
                }
                Err(Errno::RANGE) => continue,
                Err(Errno::NODATA) => break None,
                Err(e) => return Err(e),
            }
        };
        if let Some(value) = value {
            out.push((name.to_os_string(), value));
        }
    }
    Ok(out)
}

/// The marker every temporary name carries (`.NAME.auditguard-XXXXXXXX`).
pub const TEMP_MARK: &str = ".auditguard-";

/// Longest file name Linux file systems take (`NAME_MAX`).
const NAME_MAX: usize = 255;

/// `.NAME.auditguard-XXXXXXXX`: hidden, never ending in `.rules`, NAME shortened to fit
/// `NAME_MAX`.
fn temp_name(name: &OsStr, unique: u32) -> OsString {
    let suffix = format!("{TEMP_MARK}{unique:08x}");
    let keep = name.len().min(NAME_MAX - 1 - suffix.len());
    let mut out = Vec::with_capacity(NAME_MAX);
    out.push(b'.');
    out.extend_from_slice(&name.as_bytes()[..keep]);
    out.extend_from_slice(suffix.as_bytes());
    OsString::from_vec(out)
}

/// A number unlikely to repeat across processes and calls (O_EXCL settles the rest).
fn unique() -> u32 {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (std::process::id().rotate_left(16) ^ nanos ^ n.wrapping_mul(0x9e37_79b9)).wrapping_add(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_hidden_and_never_rules_files() {
        let t = temp_name(OsStr::new("modules.rules"), 0xab);
        assert_eq!(t, OsStr::new(".modules.rules.auditguard-000000ab"));
        assert!(t.as_bytes().starts_with(b"."));
        assert!(!t.as_bytes().ends_with(b".rules"));
    }

    #[test]
    fn temp_names_fit_name_max() {
        let long = "x".repeat(255);
        let t = temp_name(OsStr::new(&long), u32::MAX);
        assert_eq!(t.len(), NAME_MAX);
        assert!(t.as_bytes().ends_with(b".auditguard-ffffffff"));
    }

    #[test]
    fn unique_numbers_differ_within_a_process() {
        let a: std::collections::HashSet<u32> = (0..1000).map(|_| unique()).collect();
        assert!(a.len() > 990);
    }

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
