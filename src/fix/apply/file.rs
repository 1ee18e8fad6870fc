//! One file on its way from the plan to the disk: resolved and checked, then its temporary
//! file written with the old file's metadata and synced, then renamed into place (or put back).

use super::walk::{walk, Node, WalkError};
use super::{io_error, Applied, ApplyError, ApplyOptions, FileWrite};
use rustix::fs::{
    fchmod, fchown, fgetxattr, fgetxattr_query, flistxattr, flistxattr_query, fsetxattr, fstat,
    fsync, linkat, openat, renameat, renameat_with, unlinkat, AtFlags, FileType, Gid, Mode, OFlags,
    RenameFlags, Stat, Uid, XattrFlags,
};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The file being replaced: its open descriptor (for metadata and xattrs) and its bytes.
#[derive(Debug)]
struct Old {
    file: File,
    stat: Stat,
}

/// One write on its way: resolved, checked, then its temporary file, then committed.
#[derive(Debug)]
/// What [`Staged::rescue`] did with writes made into our file while it had the name.
enum Rescued {
    /// None were made.
    Nothing,
    /// They were appends, now appended to the file under the name.
    Appended,
    /// Kept beside the file, at this path on the target.
    Kept(PathBuf),
}

pub(super) struct Staged<'w> {
    pub(super) write: &'w FileWrite,
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
    /// After the exchange: the temporary name that now holds the old file, until
    /// [`Staged::finish`] removes it (or a roll-back exchanges it back).
    displaced: Option<OsString>,
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        for name in [
            self.temp.take(),
            self.backup_temp.take(),
            self.displaced.take(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = unlinkat(&self.dir, &name, AtFlags::empty());
        }
    }
}

/// A walk's failure as the error of the file at `path`.
pub(super) fn walk_error(path: &std::path::Path, e: WalkError) -> ApplyError {
    let path = path.to_path_buf();
    match e {
        WalkError::Missing(dir) => ApplyError::MissingDirectory { path, dir },
        WalkError::NotADirectory(component) => ApplyError::NotADirectory { path, component },
        WalkError::Loop => ApplyError::SymlinkLoop { path },
        WalkError::NotAbsolute => ApplyError::NotAbsolute { path },
        WalkError::Io(at, source) => ApplyError::Io {
            path,
            what: format!("cannot resolve {}", at.display()),
            source,
        },
    }
}

impl<'w> Staged<'w> {
    /// Steps 1 and 2.
    pub(super) fn resolve(root: &OwnedFd, write: &'w FileWrite) -> Result<Staged<'w>, ApplyError> {
        let path = write.path.clone();
        let walked = walk(root, &write.path).map_err(|e| walk_error(&path, e))?;
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
            displaced: None,
        };
        let (old, bytes) = staged.read_current()?;
        staged.check(bytes.as_deref())?;
        staged.old = old;
        Ok(staged)
    }

    fn target_path(&self) -> PathBuf {
        self.dir_path.join(&self.name)
    }

    pub(super) fn same_file(&self, other: &Staged<'_>) -> bool {
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
    pub(super) fn prepare(&mut self, opts: &ApplyOptions) -> Result<(), ApplyError> {
        if opts.backup && self.old.is_some() && self.name.len() + ".bak".len() > NAME_MAX {
            let mut bak = self.name.clone();
            bak.push(".bak");
            let what = format!(
                "cannot keep a backup as {}",
                self.dir_path.join(bak).display()
            );
            return Err(self.fail(what, Errno::NAMETOOLONG));
        }
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
            let mode = self.write.mode.unwrap_or(0o600);
            return fchmod(file, Mode::from_raw_mode(mode)).map_err(|e| {
                self.fail(format!("cannot chmod {mode:o} {}", temp_path.display()), e)
            });
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
        let mode = self.write.mode.unwrap_or(st.st_mode & 0o7777);
        fchmod(file, Mode::from_raw_mode(mode)).map_err(|e| {
            self.fail(
                format!("cannot set mode {mode:o} on {}", temp_path.display()),
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

    /// Steps 4 and 5, as a compare-and-swap on the file's name. On error, whether the file
    /// had been replaced already.
    ///
    /// A new file is renamed into place with `RENAME_NOREPLACE`: a file created meanwhile
    /// stops it. An existing file is swapped with the temporary file by `RENAME_EXCHANGE`, so
    /// the old inode is not gone but sits under the temporary name; it must be the inode
    /// [`Staged::resolve`] opened, holding exactly the bytes the plan was made from, else it is
    /// swapped back (an editor that wrote to the file since then keeps its write) and the error
    /// is [`ApplyError::Changed`]. Where the file system cannot exchange (`EINVAL`), a plain
    /// rename after a last comparison. [`Staged::finish`] then removes the old inode.
    pub(super) fn commit(&mut self) -> Result<(), (ApplyError, bool)> {
        // Compare once more before the swap (the cheap check; the exchange below is the sure one).
        let (now_old, now) = self.read_current().map_err(|e| (e, false))?;
        self.check(now.as_deref()).map_err(|e| (e, false))?;
        if let (Some(was), Some(now)) = (&self.old, &now_old) {
            if (was.stat.st_dev, was.stat.st_ino) != (now.stat.st_dev, now.stat.st_ino) {
                return Err((self.changed("it was replaced by another file"), false));
            }
        }
        let temp = self.temp.clone().unwrap_or_default();
        let rename_error = |s: &Self, e: Errno| {
            let what = format!(
                "cannot rename {} over {}",
                s.dir_path.join(&temp).display(),
                s.target_path().display()
            );
            s.fail(what, e)
        };
        let flags = if self.old.is_some() {
            RenameFlags::EXCHANGE
        } else {
            RenameFlags::NOREPLACE
        };
        match renameat_with(&self.dir, &temp, &self.dir, &self.name, flags) {
            Ok(()) if self.old.is_some() => {
                self.displaced = Some(temp.clone());
                self.temp = None;
                super::test_pause("AUDITGUARD_TEST_SWAP_DELAY_MS");
            }
            Ok(()) => self.temp = None,
            Err(Errno::EXIST) => return Err((self.changed("it exists now"), false)),
            Err(Errno::INVAL | Errno::NOSYS) => {
                renameat(&self.dir, &temp, &self.dir, &self.name)
                    .map_err(|e| (rename_error(self, e), false))?;
                self.temp = None;
            }
            Err(e) => return Err((rename_error(self, e), false)),
        }
        fsync(&self.dir).map_err(|e| {
            let what = format!("cannot fsync directory {}", self.dir_path.display());
            (self.fail(what, e), true)
        })?;
        if let Some(displaced) = self.displaced.clone() {
            if let Some(how) = self.displaced_differs(&displaced) {
                // Swap back: the name holds the file as the other writer left it.
                renameat_with(
                    &self.dir,
                    &displaced,
                    &self.dir,
                    &self.name,
                    RenameFlags::EXCHANGE,
                )
                .map_err(|e| {
                    let what = format!("cannot put back {}", self.target_path().display());
                    (self.fail(what, e), true)
                })?;
                self.displaced = None;
                let _ = fsync(&self.dir);
                // While our file had the name, a writer may have written through it: keep
                // those bytes (appended to the file under the name, or kept beside it).
                match self.rescue(&displaced) {
                    Rescued::Nothing | Rescued::Appended => self.temp = Some(displaced),
                    Rescued::Kept(path) => {
                        return Err((
                            ApplyError::ChangedKept {
                                path: self.write.path.clone(),
                                how,
                                kept: path,
                            },
                            false,
                        ))
                    }
                }
                return Err((self.changed(how), false));
            }
        }
        if let (Some(link), Some(backup)) = (&self.backup_temp, &self.backup) {
            let bak = backup.file_name().unwrap_or_default().to_os_string();
            renameat(&self.dir, link, &self.dir, &bak).map_err(|e| {
                (
                    self.fail(format!("cannot keep a backup as {}", backup.display()), e),
                    true,
                )
            })?;
            self.backup_temp = None;
        }
        Ok(())
    }

    /// After the exchange: whether the inode now under `displaced` is not the one resolved,
    /// or no longer holds the bytes the plan was made from.
    fn displaced_differs(&self, displaced: &OsStr) -> Option<&'static str> {
        let Some(old) = &self.old else {
            return None;
        };
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let Ok(fd) = openat(&self.dir, displaced, flags, Mode::empty()) else {
            return Some("it was replaced by another file");
        };
        match fstat(&fd) {
            Ok(st) if (st.st_dev, st.st_ino) == (old.stat.st_dev, old.stat.st_ino) => {}
            _ => return Some("it was replaced by another file"),
        }
        // The old inode is no longer reachable by its name; a writer that opened it before the
        // exchange may still write. Wait until none holds it open for writing, then its bytes
        // are final.
        if !writers_gone(&fd, WRITERS_WAIT) {
            return Some("another process holds it open for writing");
        }
        let mut bytes = Vec::new();
        if File::from(fd).read_to_end(&mut bytes).is_err()
            || Some(bytes.as_slice()) != self.write.expected.as_deref()
        {
            return Some("its contents differ");
        }
        None
    }

    /// Our file, swapped out of the name again (by the swap-back of a failed compare, or by a
    /// roll-back) and now named `ours`: writes another process made through the name while it
    /// was ours must not be lost. Once nobody holds it open for writing: if it holds exactly
    /// what we wrote, nothing was written; if it holds that plus more (appends, the common
    /// case: `echo >> file`), the extra bytes are appended to the file now under the name;
    /// anything else (or an error) keeps it beside the file as `NAME.auditguard-recovered`,
    /// a name the loader never reads, and says so.
    fn rescue(&self, ours: &OsStr) -> Rescued {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let Ok(fd) = openat(&self.dir, ours, flags, Mode::empty()) else {
            return Rescued::Nothing;
        };
        let quiet = writers_gone(&fd, WRITERS_WAIT);
        let mut now = Vec::new();
        let read = File::from(fd).read_to_end(&mut now).is_ok();
        if quiet && read && now == self.write.contents {
            return Rescued::Nothing;
        }
        if quiet && read && now.starts_with(&self.write.contents) {
            let extra = &now[self.write.contents.len()..];
            let append = OFlags::WRONLY | OFlags::APPEND | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            if let Ok(fd) = openat(&self.dir, &self.name, append, Mode::empty()) {
                let mut f = File::from(fd);
                if io::Write::write_all(&mut f, extra).is_ok() && f.sync_all().is_ok() {
                    return Rescued::Appended;
                }
            }
        }
        let mut kept = self.name.clone();
        kept.push(".auditguard-recovered");
        if renameat(&self.dir, ours, &self.dir, &kept).is_ok() {
            let _ = fsync(&self.dir);
            return Rescued::Kept(self.dir_path.join(&kept));
        }
        Rescued::Kept(self.dir_path.join(ours))
    }

    fn changed(&self, how: &'static str) -> ApplyError {
        ApplyError::Changed {
            path: self.write.path.clone(),
            how,
        }
    }

    /// After every file of the plan is committed: remove the old inode kept by the exchange.
    pub(super) fn finish(&mut self) {
        if let Some(displaced) = self.displaced.take() {
            let _ = unlinkat(&self.dir, &displaced, AtFlags::empty());
        }
    }

    /// Undo a commit: the bytes the plan was made from, with the old metadata, or no file.
    pub(super) fn restore(&self) -> Result<(), ApplyError> {
        if let Some(displaced) = &self.displaced {
            // The old inode itself goes back (metadata, hard links and all).
            if renameat_with(
                &self.dir,
                displaced,
                &self.dir,
                &self.name,
                RenameFlags::EXCHANGE,
            )
            .is_ok()
            {
                // `displaced` now names our file: writes made through the name since the
                // commit are appended to the restored file or kept beside it.
                if !matches!(self.rescue(displaced), Rescued::Kept(_)) {
                    let _ = unlinkat(&self.dir, displaced, AtFlags::empty());
                }
                return fsync(&self.dir).map_err(|e| {
                    self.fail(
                        format!("cannot fsync directory {}", self.dir_path.display()),
                        e,
                    )
                });
            }
        }
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

    /// Remove the temporary files a killed run left in this file's directory (see
    /// [`remove_stale_temps`]).
    pub(super) fn remove_stale_temps(&self) {
        remove_stale_temps(&self.dir);
    }

    pub(super) fn applied(&self) -> Applied {
        Applied {
            path: self.write.path.clone(),
            written: self.target_path(),
            created: self.old.is_none(),
            backup: self.backup.clone(),
        }
    }
}

/// How long [`Staged::commit`] waits for another process to close the swapped-out file.
const WRITERS_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

extern "C" {
    fn fcntl(fd: std::ffi::c_int, cmd: std::ffi::c_int, ...) -> std::ffi::c_int;
}

/// Whether no process holds `fd`'s file open for writing, waiting up to `wait` for them to
/// close it: Linux grants a read lease (`F_SETLEASE`, `F_RDLCK`) only then; it is released at
/// once. Where leases cannot be taken (a file system without them, no `CAP_LEASE` for another
/// user's file) this cannot be told and the answer is yes.
fn writers_gone(fd: &OwnedFd, wait: std::time::Duration) -> bool {
    use std::os::fd::AsRawFd;
    const F_SETLEASE: std::ffi::c_int = 1024;
    const F_RDLCK: std::ffi::c_int = 0;
    const F_UNLCK: std::ffi::c_int = 2;
    let start = std::time::Instant::now();
    loop {
        // SAFETY: fcntl on a descriptor we own, with an integer argument.
        let rc = unsafe { fcntl(fd.as_raw_fd(), F_SETLEASE, F_RDLCK) };
        if rc == 0 {
            // SAFETY: as above.
            unsafe { fcntl(fd.as_raw_fd(), F_SETLEASE, F_UNLCK) };
            return true;
        }
        let busy = io::Error::last_os_error().raw_os_error() == Some(Errno::AGAIN.raw_os_error());
        if !busy {
            return true;
        }
        if start.elapsed() >= wait {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
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
pub const TEMP_MARK: &str = crate::load::configuration::FIX_TEMP_MARK;

/// Remove from the directory `dir` every regular file named like one of our temporary files
/// ([`crate::load::configuration::is_fix_temp_name`]): left by a run that was killed between
/// creating and renaming it. Call with the target's lock held, so no live run owns them.
/// Errors are ignored (a file we cannot remove is never read as rules: its name is a dot name
/// that does not end in `.rules`). Cost: one pass over the directory.
pub(super) fn remove_stale_temps(dir: &OwnedFd) {
    let Ok(fd) = openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) else {
        return;
    };
    let Ok(mut entries) = rustix::fs::Dir::read_from(&fd) else {
        return;
    };
    let mut stale = Vec::new();
    while let Some(Ok(e)) = entries.next() {
        let name = e.file_name().to_bytes();
        if crate::load::configuration::is_fix_temp_name(name) {
            stale.push(OsStr::from_bytes(name).to_os_string());
        }
    }
    for name in stale {
        let is_file = rustix::fs::statat(&fd, &name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile);
        if is_file {
            let _ = unlinkat(&fd, &name, AtFlags::empty());
        }
    }
}

use crate::model::rule::NAME_MAX;

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
    fn temp_names_are_recognised_as_stale_temps() {
        use crate::load::configuration::is_fix_temp_name;
        for n in [0, 0xab, u32::MAX] {
            let t = temp_name(OsStr::new("modules.rules"), n);
            assert!(is_fix_temp_name(t.as_bytes()), "{t:?}");
            let t = temp_name(OsStr::new("modules.rules.bak"), n);
            assert!(is_fix_temp_name(t.as_bytes()), "{t:?}");
        }
        let long = "x".repeat(255);
        assert!(is_fix_temp_name(temp_name(OsStr::new(&long), 7).as_bytes()));
        for other in [
            "modules.rules",
            ".modules.rules",
            ".x.auditguard-1234567",
            "a.auditguard-00000000",
        ] {
            assert!(!is_fix_temp_name(other.as_bytes()), "{other}");
        }
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
}
