//! Mode and owner changes (the fixes of file-permission items): `chmod`/`chown` of files and
//! directories inside the target root, with the safety of the file writer.
//!
//! How one change is made:
//!
//! 1. the parent directory is reached by the descriptor walk of [`super::walk`] (inside the
//!    root, `O_NOFOLLOW` at every step); the final name is opened `O_PATH | O_NOFOLLOW`, so a
//!    symlink is never followed: a link is refused ([`ApplyError::IsASymlink`]), and so is
//!    anything that is not a regular file or a directory, and a regular file with another hard
//!    link (its mode would change under that name too);
//! 2. its mode, owner and group must be exactly what the plan saw
//!    ([`ApplyError::Changed`] otherwise: a compare-and-swap, as for file contents);
//! 3. it is opened again for the change (`O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`) and
//!    must be the same inode (a file swapped in between is refused);
//! 4. `fchown` first (it may clear set-id bits), then `fchmod`, then `fsync`.
//!
//! Every change is checked (steps 1–3) before any is made; a change that fails puts the ones
//! already made back (their previous mode and owner).

use super::file::walk_error;
use super::walk::{walk, Node};
use super::{ApplyError, Target};
use rustix::fs::{fchmod, fchown, fstat, fsync, openat, FileType, Gid, Mode, OFlags, Uid};
use rustix::io::Errno;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// Permission bits and ownership of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits (`0o7777` at most: set-id, sticky, rwx).
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
}

/// One mode/owner change decided by the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaChange {
    /// Absolute path on the target (its last component is not followed).
    pub path: PathBuf,
    /// What the plan saw.
    pub expected: Meta,
    /// What the file gets.
    pub new: Meta,
}

struct Opened<'c> {
    fd: OwnedFd,
    change: &'c MetaChange,
}

/// Make every change, or none (see the module doc). Call with the target's
/// [`lock`](super::lock) held since the plan read the files.
///
/// Errors: the first change that cannot be checked or made, naming its path; changes already
/// made are then put back ([`ApplyError::RolledBack`], or [`ApplyError::Incomplete`] naming
/// the files whose restoring failed).
pub fn set_metadata(target: &Target, changes: &[MetaChange]) -> Result<(), ApplyError> {
    if changes.is_empty() {
        return Ok(());
    }
    let root = target.open(OFlags::PATH)?;
    let opened = changes
        .iter()
        .map(|c| open_checked(&root, c))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, o) in opened.iter().enumerate() {
        if let Err(e) = set(&o.fd, o.change.expected, o.change.new) {
            let error = io_error(&o.change.path, "cannot change its mode or owner", e);
            let mut restored = Vec::new();
            let mut left = Vec::new();
            let mut restore_errors = Vec::new();
            for done in opened[..i].iter().rev() {
                match set(&done.fd, done.change.new, done.change.expected) {
                    Ok(()) => restored.push(done.change.path.clone()),
                    Err(e) => {
                        left.push(done.change.path.clone());
                        restore_errors.push(io_error(&done.change.path, "cannot restore", e));
                    }
                }
            }
            return Err(
                match (restored.is_empty() && left.is_empty(), left.is_empty()) {
                    (true, _) => error,
                    (false, true) => ApplyError::RolledBack {
                        source: Box::new(error),
                        restored,
                    },
                    (false, false) => ApplyError::Incomplete {
                        source: Box::new(error),
                        left,
                        restore_errors,
                    },
                },
            );
        }
    }
    Ok(())
}

fn io_error(path: &Path, what: &str, e: Errno) -> ApplyError {
    ApplyError::Io {
        path: path.to_path_buf(),
        what: what.to_string(),
        source: e.into(),
    }
}

/// Steps 1–3 of the module doc.
fn open_checked<'c>(root: &OwnedFd, c: &'c MetaChange) -> Result<Opened<'c>, ApplyError> {
    let path = &c.path;
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(ApplyError::NotAbsolute { path: path.clone() });
    };
    let walked = walk(root, parent).map_err(|e| walk_error(path, e))?;
    let dir = match walked.node {
        Node::Dir(fd) => fd,
        Node::Missing { .. } => {
            return Err(ApplyError::MissingDirectory {
                path: path.clone(),
                dir: walked.target_path(),
            })
        }
        Node::File | Node::Other => {
            return Err(ApplyError::NotADirectory {
                path: path.clone(),
                component: walked.target_path(),
            })
        }
    };
    let gone = ApplyError::Changed {
        path: path.clone(),
        how: "it no longer exists",
    };
    let handle = match openat(
        &dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Err(gone),
        Err(e) => return Err(io_error(path, "cannot open", e)),
    };
    let seen = fstat(&handle).map_err(|e| io_error(path, "cannot stat", e))?;
    let kind = FileType::from_raw_mode(seen.st_mode);
    match kind {
        FileType::Symlink => return Err(ApplyError::IsASymlink { path: path.clone() }),
        // Another name for the inode appeared since the plan: its mode would change too.
        FileType::RegularFile if seen.st_nlink > 1 => {
            return Err(ApplyError::Changed {
                path: path.clone(),
                how: "it has another hard link now",
            })
        }
        FileType::RegularFile | FileType::Directory => {}
        _ => return Err(ApplyError::NotARegularFile { path: path.clone() }),
    }
    let now = Meta {
        mode: seen.st_mode & 0o7777,
        uid: seen.st_uid,
        gid: seen.st_gid,
    };
    if now != c.expected {
        return Err(ApplyError::Changed {
            path: path.clone(),
            how: "its mode or owner",
        });
    }
    let mut flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    if kind == FileType::Directory {
        flags |= OFlags::DIRECTORY;
    }
    let fd = match openat(&dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Err(gone),
        Err(Errno::LOOP | Errno::NOTDIR) => {
            return Err(ApplyError::Changed {
                path: path.clone(),
                how: "it was replaced",
            })
        }
        Err(e) => return Err(io_error(path, "cannot open", e)),
    };
    let again = fstat(&fd).map_err(|e| io_error(path, "cannot stat", e))?;
    if (again.st_dev, again.st_ino) != (seen.st_dev, seen.st_ino) {
        return Err(ApplyError::Changed {
            path: path.clone(),
            how: "it was replaced",
        });
    }
    Ok(Opened { fd, change: c })
}

/// Step 4: from `from` to `to`.
fn set(fd: &OwnedFd, from: Meta, to: Meta) -> Result<(), Errno> {
    let chowned = (from.uid, from.gid) != (to.uid, to.gid);
    if chowned {
        fchown(fd, Some(Uid::from_raw(to.uid)), Some(Gid::from_raw(to.gid)))?;
    }
    if chowned || from.mode != to.mode {
        fchmod(fd, Mode::from_raw_mode(to.mode))?;
    }
    fsync(fd)
}
