//! The one door to the target system: files, directories, symlinks, the machine type and the
//! user database, either of the live host or of an offline image under `--root DIR`.
//!
//! Every other module takes a `&dyn Host` and stays pure. [`RootHost`] resolves every path as
//! if the root were `/` (like `chroot`): absolute symlinks restart at the root and `..` never
//! climbs above it, so nothing outside `--root` is ever read, whatever the image contains.

use crate::model::arch::Machine;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// What kind of file a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (only from [`Host::lstat`] and directory listings).
    Symlink,
    /// Anything else (device, fifo, socket).
    Other,
}

/// The parts of `stat` the rest of the program needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// File type.
    pub kind: FileKind,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's file name as bytes.
    pub name: Vec<u8>,
    /// The entry's own type (symlinks are not followed).
    pub kind: FileKind,
}

/// Access to a target system. Paths are absolute paths *on the target* (`/etc/audit/...`).
pub trait Host {
    /// Read a whole file, following symlinks on the target.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// List a directory, following symlinks to reach it; entries unsorted.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;
    /// `stat`: follows symlinks.
    fn stat(&self, path: &Path) -> io::Result<Meta>;
    /// `lstat`: does not follow a final symlink.
    fn lstat(&self, path: &Path) -> io::Result<Meta>;
    /// `readlink` of a symlink.
    fn read_link(&self, path: &Path) -> io::Result<PathBuf>;
    /// The target's machine type, when it can be told.
    fn machine(&self) -> Option<Machine>;
    /// A description for messages: `/` or the root directory.
    fn describe(&self) -> String;
    /// Where the target's `path` really is on this machine (after resolving symlinks inside
    /// the target), for writers; `None` if it cannot be resolved.
    fn real_path(&self, path: &Path) -> Option<PathBuf>;

    /// Whether `path` exists on the target (following symlinks).
    fn exists(&self, path: &Path) -> bool {
        self.stat(path).is_ok()
    }

    /// The uid of a user name, from the target's `/etc/passwd`.
    fn user_id(&self, name: &[u8]) -> Option<u32> {
        lookup_id(&self.read(Path::new("/etc/passwd")).ok()?, name)
    }

    /// The gid of a group name, from the target's `/etc/group`.
    fn group_id(&self, name: &[u8]) -> Option<u32> {
        lookup_id(&self.read(Path::new("/etc/group")).ok()?, name)
    }
}

/// Find `name:x:ID:` in a passwd- or group-format file.
fn lookup_id(db: &[u8], name: &[u8]) -> Option<u32> {
    db.split(|b| *b == b'\n').find_map(|line| {
        let mut cols = line.split(|b| *b == b':');
        if cols.next()? != name {
            return None;
        }
        cols.next()?;
        std::str::from_utf8(cols.next()?).ok()?.parse().ok()
    })
}

fn meta_of(m: &std::fs::Metadata) -> Meta {
    let ft = m.file_type();
    let kind = if ft.is_file() {
        FileKind::File
    } else if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::Other
    };
    Meta {
        kind,
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        size: m.size(),
    }
}

fn list_dir(real: &Path) -> io::Result<Vec<DirEntry>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(real)? {
        let entry = entry?;
        let kind = match entry.file_type() {
            Ok(ft) if ft.is_symlink() => FileKind::Symlink,
            Ok(ft) if ft.is_dir() => FileKind::Dir,
            Ok(ft) if ft.is_file() => FileKind::File,
            _ => FileKind::Other,
        };
        out.push(DirEntry {
            name: entry.file_name().as_bytes().to_vec(),
            kind,
        });
    }
    Ok(out)
}

/// The machine auditguard itself runs on (`uname -m`).
pub fn native_machine() -> Option<Machine> {
    Machine::from_name(std::env::consts::ARCH).or(match std::env::consts::ARCH {
        "x86" => Some(Machine::X86),
        "powerpc64" if cfg!(target_endian = "little") => Some(Machine::Ppc64le),
        "powerpc64" => Some(Machine::Ppc64),
        "powerpc" => Some(Machine::Ppc),
        _ => None,
    })
}

/// The machine of an ELF executable, from its header (`e_machine`, `EI_CLASS`, `EI_DATA`).
pub fn elf_machine(header: &[u8]) -> Option<Machine> {
    if header.len() < 20 || &header[..4] != b"\x7fELF" {
        return None;
    }
    let class64 = header[4] == 2;
    let little = header[5] == 1;
    let raw = [header[18], header[19]];
    let em = if little {
        u16::from_le_bytes(raw)
    } else {
        u16::from_be_bytes(raw)
    };
    Some(match (em, class64, little) {
        (3, false, _) => Machine::X86,
        (62, true, _) => Machine::X86_64,
        (20, false, _) => Machine::Ppc,
        (21, true, true) => Machine::Ppc64le,
        (21, true, false) => Machine::Ppc64,
        (22, true, _) => Machine::S390x,
        (22, false, _) => Machine::S390,
        (40, false, _) => Machine::Arm,
        (183, true, _) => Machine::Aarch64,
        _ => return None,
    })
}

/// The running system itself.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveHost;

impl Host for LiveHost {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        list_dir(path)
    }
    fn stat(&self, path: &Path) -> io::Result<Meta> {
        std::fs::metadata(path).map(|m| meta_of(&m))
    }
    fn lstat(&self, path: &Path) -> io::Result<Meta> {
        std::fs::symlink_metadata(path).map(|m| meta_of(&m))
    }
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(path)
    }
    fn machine(&self) -> Option<Machine> {
        native_machine()
    }
    fn describe(&self) -> String {
        "/".to_string()
    }
    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        Some(path.to_path_buf())
    }
}

/// Most symlinks followed while resolving one path (Linux's `MAXSYMLINKS`).
const MAX_SYMLINKS: usize = 40;

/// An offline image: every target path is resolved inside `root`.
#[derive(Debug, Clone)]
pub struct RootHost {
    root: PathBuf,
}

impl RootHost {
    /// A host whose `/` is `root`.
    pub fn new(root: impl Into<PathBuf>) -> RootHost {
        RootHost { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolve a target path to a real path under the root, following symlinks with the root
    /// as `/`. With `follow_last` false the final component is not followed (lstat).
    fn resolve(&self, path: &Path, follow_last: bool) -> io::Result<PathBuf> {
        // Components still to walk, innermost last; `done` is the resolved target path.
        let mut todo: Vec<Vec<u8>> = components(path);
        todo.reverse();
        let mut done: Vec<Vec<u8>> = Vec::new();
        let mut hops = 0;
        while let Some(part) = todo.pop() {
            if part == b".." {
                done.pop();
                continue;
            }
            done.push(part);
            let is_last = todo.is_empty();
            if is_last && !follow_last {
                break;
            }
            let real = self.join(&done);
            // A missing component is not a symlink: keep walking, so a later `..` still clamps.
            let Ok(meta) = std::fs::symlink_metadata(&real) else {
                continue;
            };
            if !meta.file_type().is_symlink() {
                continue;
            }
            hops += 1;
            if hops > MAX_SYMLINKS {
                return Err(io::Error::other(format!(
                    "too many levels of symbolic links resolving {}",
                    path.display()
                )));
            }
            let target = std::fs::read_link(&real)?;
            done.pop();
            if target.is_absolute() {
                done.clear();
            }
            let mut parts = components(&target);
            parts.reverse();
            todo.extend(parts);
        }
        Ok(self.join(&done))
    }

    fn join(&self, parts: &[Vec<u8>]) -> PathBuf {
        let mut p = self.root.clone();
        for part in parts {
            p.push(OsStr::from_bytes(part));
        }
        p
    }
}

/// Normal path components as bytes (`.` dropped, `..` kept, root dropped).
fn components(path: &Path) -> Vec<Vec<u8>> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.as_bytes().to_vec()),
            Component::ParentDir => Some(b"..".to_vec()),
            _ => None,
        })
        .collect()
}

impl Host for RootHost {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(self.resolve(path, true)?)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        list_dir(&self.resolve(path, true)?)
    }
    fn stat(&self, path: &Path) -> io::Result<Meta> {
        std::fs::symlink_metadata(self.resolve(path, true)?).map(|m| meta_of(&m))
    }
    fn lstat(&self, path: &Path) -> io::Result<Meta> {
        std::fs::symlink_metadata(self.resolve(path, false)?).map(|m| meta_of(&m))
    }
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::read_link(self.resolve(path, false)?)
    }
    fn machine(&self) -> Option<Machine> {
        ["/bin/sh", "/usr/bin/sh", "/bin/busybox", "/sbin/init"]
            .iter()
            .find_map(|p| {
                let bytes = self.read(Path::new(p)).ok()?;
                elf_machine(&bytes[..bytes.len().min(64)])
            })
    }
    fn describe(&self) -> String {
        self.root.display().to_string()
    }
    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        self.resolve(path, true).ok()
    }
}

/// The target path `path` leads to, resolving symlinks through `host` (so inside the root for
/// a [`RootHost`]). With `follow_last` false the last component is kept as named (how the
/// kernel treats a watch's leaf); the parent is always resolved (the kernel resolves it when
/// the rule is added). Loops stop after [`MAX_SYMLINKS`] links; missing parts stay as named.
pub fn resolve_target(host: &dyn Host, path: &[u8], follow_last: bool) -> Vec<u8> {
    let mut todo: Vec<Vec<u8>> = split_path(path);
    todo.reverse();
    let mut done: Vec<Vec<u8>> = Vec::new();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        if part == b".." {
            done.pop();
            continue;
        }
        done.push(part);
        if todo.is_empty() && !follow_last {
            break;
        }
        let here = join_path(&done);
        let is_link = host
            .lstat(Path::new(OsStr::from_bytes(&here)))
            .is_ok_and(|m| m.kind == FileKind::Symlink);
        if !is_link || hops >= MAX_SYMLINKS {
            continue;
        }
        hops += 1;
        let Ok(target) = host.read_link(Path::new(OsStr::from_bytes(&here))) else {
            continue;
        };
        let target = target.as_os_str().as_bytes().to_vec();
        done.pop();
        if target.starts_with(b"/") {
            done.clear();
        }
        let mut parts = split_path(&target);
        parts.reverse();
        todo.extend(parts);
    }
    join_path(&done)
}

fn split_path(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|b| *b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .map(<[u8]>::to_vec)
        .collect()
}

fn join_path(parts: &[Vec<u8>]) -> Vec<u8> {
    if parts.is_empty() {
        return b"/".to_vec();
    }
    let mut out = Vec::new();
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn root_host_confines_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc/audit/rules.d")).unwrap();
        std::fs::write(dir.path().join("secret"), b"outside").unwrap();
        std::fs::write(root.join("secret"), b"inside").unwrap();
        symlink("/secret", root.join("etc/audit/rules.d/abs.rules")).unwrap();
        symlink(
            "../../../../../../secret",
            root.join("etc/audit/rules.d/rel.rules"),
        )
        .unwrap();
        let host = RootHost::new(&root);
        assert_eq!(
            host.read(Path::new("/etc/audit/rules.d/abs.rules"))
                .unwrap(),
            b"inside"
        );
        assert_eq!(
            host.read(Path::new("/etc/audit/rules.d/rel.rules"))
                .unwrap(),
            b"inside"
        );
        assert_eq!(
            host.lstat(Path::new("/etc/audit/rules.d/abs.rules"))
                .unwrap()
                .kind,
            FileKind::Symlink
        );
    }

    #[test]
    fn dot_dot_after_a_missing_component_stays_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(dir.path().join("x"), b"outside").unwrap();
        let host = RootHost::new(&root);
        assert!(host.read(Path::new("/missing/../../x")).is_err());
        std::fs::write(root.join("x"), b"inside").unwrap();
        assert_eq!(host.read(Path::new("/missing/../../x")).unwrap(), b"inside");
    }

    #[test]
    fn root_host_reports_symlink_loops() {
        let dir = tempfile::tempdir().unwrap();
        symlink("b", dir.path().join("a")).unwrap();
        symlink("a", dir.path().join("b")).unwrap();
        let host = RootHost::new(dir.path());
        let err = host.read(Path::new("/a")).unwrap_err();
        assert!(err.to_string().contains("symbolic links"), "{err}");
    }

    #[test]
    fn passwd_lookup() {
        let db = b"root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n";
        assert_eq!(lookup_id(db, b"alice"), Some(1000));
        assert_eq!(lookup_id(db, b"bob"), None);
    }

    #[test]
    fn elf_header_machine() {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[18] = 62;
        assert_eq!(elf_machine(&h), Some(Machine::X86_64));
        h[18] = 183;
        assert_eq!(elf_machine(&h), Some(Machine::Aarch64));
    }
}
