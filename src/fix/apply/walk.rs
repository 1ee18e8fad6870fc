//! Walking a target path inside the root with directory file descriptors, the way
//! [`RootHost`](crate::host::RootHost) resolves paths for readers: the root is `/`, an absolute
//! symlink restarts at the root, `..` never climbs above it.
//!
//! Unlike a path-string resolver, every step is an `openat(…, O_PATH | O_NOFOLLOW)` relative to
//! the directory reached so far, so a symlink swapped in while we walk cannot lead the writer
//! out of the root: the writer only ever uses the directory descriptor this walk returns.

use rustix::fs::{fstat, openat, readlinkat, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Most symlinks followed while resolving one path (Linux's `MAXSYMLINKS`, as `RootHost`).
pub(super) const MAX_SYMLINKS: usize = 40;

/// What the final component of a walked path is.
#[derive(Debug)]
pub(super) enum Node {
    /// Nothing by that name. `via_symlink`: the name came from following a final symlink (the
    /// link dangles).
    Missing { via_symlink: bool },
    /// A regular file.
    File,
    /// A directory (its `O_PATH` descriptor).
    Dir(OwnedFd),
    /// A device, fifo or socket.
    Other,
}

/// Why a walk stopped before the final component.
#[derive(Debug)]
pub(super) enum WalkError {
    /// A directory on the way does not exist (target path of the missing directory).
    Missing(PathBuf),
    /// A component on the way is not a directory (its target path).
    NotADirectory(PathBuf),
    /// More than [`MAX_SYMLINKS`] symlinks.
    Loop,
    /// The path is not absolute.
    NotAbsolute,
    /// A system call failed (the target path it was about, the error).
    Io(PathBuf, std::io::Error),
}

/// The end of a walk: the directory that holds the final name, and what the name is.
#[derive(Debug)]
pub(super) struct Walked {
    /// The parent directory, `O_PATH`.
    pub parent: OwnedFd,
    /// The parent's path on the target (after symlinks), for messages.
    pub parent_path: PathBuf,
    /// The final name inside `parent` (empty when the path named the root itself).
    pub name: OsString,
    /// What the final name is.
    pub node: Node,
}

impl Walked {
    /// The final file's path on the target, after symlinks.
    pub fn target_path(&self) -> PathBuf {
        self.parent_path.join(&self.name)
    }
}

/// Split a target path into normal components and `..`, dropping `.` and the root.
pub(super) fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

fn open_path(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<OwnedFd> {
    openat(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Walk `path` (absolute, on the target) from `root` (an open directory), following every
/// symlink inside the root, the final one included.
pub(super) fn walk(root: &OwnedFd, path: &Path) -> Result<Walked, WalkError> {
    if !path.is_absolute() {
        return Err(WalkError::NotAbsolute);
    }
    let mut todo = components(path);
    todo.reverse();
    // Directories entered below the root, innermost last, with their names.
    let mut stack: Vec<(OwnedFd, OsString)> = Vec::new();
    let mut hops = 0;
    let mut via_symlink = false;
    let here = |stack: &[(OwnedFd, OsString)]| -> PathBuf {
        let mut p = PathBuf::from("/");
        for (_, name) in stack {
            p.push(name);
        }
        p
    };
    while let Some(part) = todo.pop() {
        if part == ".." {
            stack.pop();
            continue;
        }
        let is_last = todo.is_empty();
        let dir = stack.last().map_or(root.as_fd(), |d| d.0.as_fd());
        let fd = match open_path(dir, &part) {
            Ok(fd) => fd,
            Err(Errno::NOENT) if is_last => {
                return Ok(Walked {
                    parent: dup(dir, &here(&stack))?,
                    parent_path: here(&stack),
                    name: part,
                    node: Node::Missing { via_symlink },
                })
            }
            Err(Errno::NOENT) => return Err(WalkError::Missing(here(&stack).join(&part))),
            Err(e) => return Err(WalkError::Io(here(&stack).join(&part), e.into())),
        };
        let io_err = |e: Errno| WalkError::Io(here(&stack).join(&part), e.into());
        let kind = FileType::from_raw_mode(fstat(&fd).map_err(io_err)?.st_mode);
        match kind {
            FileType::Symlink => {
                hops += 1;
                if hops > MAX_SYMLINKS {
                    return Err(WalkError::Loop);
                }
                // An empty path reads the link an O_PATH descriptor points at (Linux ≥ 2.6.39).
                let link = readlinkat(&fd, "", Vec::new()).map_err(io_err)?;
                let link = PathBuf::from(OsStr::from_bytes(link.as_bytes()));
                if link.is_absolute() {
                    stack.clear();
                }
                via_symlink = is_last;
                let mut parts = components(&link);
                parts.reverse();
                todo.extend(parts);
            }
            FileType::Directory if is_last => {
                return Ok(Walked {
                    parent: dup(dir, &here(&stack))?,
                    parent_path: here(&stack),
                    name: part,
                    node: Node::Dir(fd),
                })
            }
            FileType::Directory => stack.push((fd, part)),
            _ if !is_last => return Err(WalkError::NotADirectory(here(&stack).join(&part))),
            FileType::RegularFile => {
                return Ok(Walked {
                    parent: dup(dir, &here(&stack))?,
                    parent_path: here(&stack),
                    name: part,
                    node: Node::File,
                })
            }
            _ => {
                return Ok(Walked {
                    parent: dup(dir, &here(&stack))?,
                    parent_path: here(&stack),
                    name: part,
                    node: Node::Other,
                })
            }
        }
    }
    // The path (or a final symlink) named a directory reached through `..`, `.` or `/`.
    let dir = stack.last().map_or(root.as_fd(), |d| d.0.as_fd());
    let path = here(&stack);
    Ok(Walked {
        parent: dup(dir, &path)?,
        parent_path: path.clone(),
        name: OsString::new(),
        node: Node::Dir(dup(dir, &path)?),
    })
}

/// A new `O_PATH` descriptor for the directory `dir`.
fn dup(dir: BorrowedFd<'_>, path: &Path) -> Result<OwnedFd, WalkError> {
    openat(
        dir,
        ".",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| WalkError::Io(path.to_path_buf(), e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn open_root(dir: &Path) -> OwnedFd {
        openat(
            rustix::fs::CWD,
            dir,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap()
    }

    fn image() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/etc/audit/rules.d")).unwrap();
        dir
    }

    fn walked(root: &Path, path: &str) -> Result<Walked, WalkError> {
        walk(&open_root(root), Path::new(path))
    }

    #[test]
    fn plain_new_and_existing_files() {
        let dir = image();
        let root = dir.path().join("root");
        std::fs::write(root.join("etc/audit/rules.d/a.rules"), b"x").unwrap();
        let w = walked(&root, "/etc/audit/rules.d/a.rules").unwrap();
        assert!(matches!(w.node, Node::File));
        assert_eq!(w.target_path(), Path::new("/etc/audit/rules.d/a.rules"));
        let w = walked(&root, "/etc/audit/rules.d/new.rules").unwrap();
        assert!(matches!(w.node, Node::Missing { via_symlink: false }));
    }

    #[test]
    fn dotdot_clamps_at_the_root() {
        let dir = image();
        let root = dir.path().join("root");
        let w = walked(&root, "/../../../etc/./audit/../audit/rules.d/x.rules").unwrap();
        assert_eq!(w.target_path(), Path::new("/etc/audit/rules.d/x.rules"));
    }

    #[test]
    fn absolute_symlink_restarts_at_the_root() {
        let dir = image();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("srv")).unwrap();
        std::fs::create_dir_all(dir.path().join("srv")).unwrap();
        symlink("/srv/real.rules", root.join("etc/audit/rules.d/l.rules")).unwrap();
        let w = walked(&root, "/etc/audit/rules.d/l.rules").unwrap();
        assert_eq!(w.target_path(), Path::new("/srv/real.rules"));
        assert!(matches!(w.node, Node::Missing { via_symlink: true }));
    }

    #[test]
    fn relative_symlink_cannot_climb_out() {
        let dir = image();
        let root = dir.path().join("root");
        std::fs::write(dir.path().join("outside"), b"o").unwrap();
        std::fs::write(root.join("outside"), b"i").unwrap();
        symlink(
            "../../../../../../../../outside",
            root.join("etc/audit/rules.d/r.rules"),
        )
        .unwrap();
        let w = walked(&root, "/etc/audit/rules.d/r.rules").unwrap();
        assert_eq!(w.target_path(), Path::new("/outside"));
        assert!(matches!(w.node, Node::File));
    }

    #[test]
    fn symlinked_directory_is_followed_inside() {
        let dir = image();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("data/audit")).unwrap();
        std::fs::remove_dir_all(root.join("etc/audit")).unwrap();
        symlink("../data/audit", root.join("etc/audit")).unwrap();
        let w = walked(&root, "/etc/audit/audit.rules").unwrap();
        assert_eq!(w.target_path(), Path::new("/data/audit/audit.rules"));
    }

    #[test]
    fn loops_missing_dirs_and_files_on_the_way() {
        let dir = image();
        let root = dir.path().join("root");
        symlink("b.rules", root.join("etc/audit/rules.d/a.rules")).unwrap();
        symlink("a.rules", root.join("etc/audit/rules.d/b.rules")).unwrap();
        assert!(matches!(
            walked(&root, "/etc/audit/rules.d/a.rules"),
            Err(WalkError::Loop)
        ));
        assert!(matches!(
            walked(&root, "/etc/nope/x.rules"),
            Err(WalkError::Missing(p)) if p == Path::new("/etc/nope")
        ));
        std::fs::write(root.join("etc/file"), b"").unwrap();
        assert!(matches!(
            walked(&root, "/etc/file/x.rules"),
            Err(WalkError::NotADirectory(p)) if p == Path::new("/etc/file")
        ));
        assert!(matches!(
            walked(&root, "etc/audit/x"),
            Err(WalkError::NotAbsolute)
        ));
    }

    #[test]
    fn directories_and_the_root_itself() {
        let dir = image();
        let root = dir.path().join("root");
        let w = walked(&root, "/etc/audit/rules.d").unwrap();
        assert!(matches!(w.node, Node::Dir(_)));
        let w = walked(&root, "/").unwrap();
        assert!(matches!(w.node, Node::Dir(_)));
        assert_eq!(w.target_path(), Path::new("/"));
    }
}
