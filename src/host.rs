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
    /// Hard links to the inode (`st_nlink`).
    pub nlink: u64,
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
    /// Read a whole regular file, following symlinks on the target. Anything else (a FIFO, a
    /// device, a directory) is refused without blocking (`InvalidInput`, naming the kind), and
    /// so is a file larger than [`MAX_READ`] bytes.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Read at most `max` bytes from the start of a regular file (an ELF header needs 64, not
    /// the whole binary). Refuses what [`Host::read`] refuses, except the size.
    fn read_prefix(&self, path: &Path, max: usize) -> io::Result<Vec<u8>> {
        let mut bytes = self.read(path)?;
        bytes.truncate(max);
        Ok(bytes)
    }
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
}

/// Largest file auditguard reads whole (256 MiB): a rules file or a unit is kilobytes; a
/// bigger one is refused with "too large" rather than read into memory.
pub const MAX_READ: u64 = 256 << 20;

/// Read an open file: it must be a regular file (checked on the descriptor, so what was
/// opened is what is judged), at most `max` bytes are read, and a file larger than
/// [`MAX_READ`] is refused when `whole`.
fn read_open(file: std::fs::File, path: &Path, max: usize, whole: bool) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let meta = file.metadata()?;
    let kind = meta_of(&meta).kind;
    if kind != FileKind::File {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {}, not a regular file",
                path.display(),
                match kind {
                    FileKind::Dir => "a directory",
                    _ => "a special file (device, FIFO or socket)",
                }
            ),
        ));
    }
    if whole && meta.len() > MAX_READ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is too large ({} bytes; at most {MAX_READ} are read)",
                path.display(),
                meta.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity((meta.len() as usize).min(max));
    // `take` bounds a file that grows while it is read.
    file.take(if whole { MAX_READ + 1 } else { max as u64 })
        .read_to_end(&mut out)?;
    if whole && out.len() as u64 > MAX_READ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is too large (it grew while read)", path.display()),
        ));
    }
    Ok(out)
}

/// Open flags for reading a target file: never block on a FIFO, never become its terminal.
fn read_flags() -> rustix::fs::OFlags {
    use rustix::fs::OFlags;
    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
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
        nlink: m.nlink(),
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

impl LiveHost {
    fn open(path: &Path) -> io::Result<std::fs::File> {
        let fd = rustix::fs::open(path, read_flags(), rustix::fs::Mode::empty())?;
        Ok(std::fs::File::from(fd))
    }
}

impl Host for LiveHost {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_open(LiveHost::open(path)?, path, usize::MAX, true)
    }
    fn read_prefix(&self, path: &Path, max: usize) -> io::Result<Vec<u8>> {
        read_open(LiveHost::open(path)?, path, max, false)
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
pub const MAX_SYMLINKS: usize = 40;

/// An offline image: every target path is resolved inside `root`, as if by `chroot`.
///
/// Each access is one `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)` from a descriptor of
/// the root, so the kernel itself confines the walk (absolute symlinks restart at the root,
/// `..` stops there) and what is read is what was resolved: a directory swapped for a symlink
/// halfway cannot lead out. Cost: a constant number of syscalls per access, whatever the
/// path's depth. Where `openat2` is missing (Linux < 5.6, some seccomp filters) the walk is
/// done component by component in user space with the same rules.
#[derive(Debug, Clone)]
pub struct RootHost {
    root: PathBuf,
    /// `O_PATH` descriptor of the root, when it could be opened and `openat2` works.
    fd: Option<std::sync::Arc<std::os::fd::OwnedFd>>,
    /// The root's canonical path, against which the user-space walk checks what it opened.
    canonical: Option<PathBuf>,
}

impl RootHost {
    /// A host whose `/` is `root`.
    pub fn new(root: impl Into<PathBuf>) -> RootHost {
        let root = root.into();
        let fd = open_root(&root).map(std::sync::Arc::new);
        let canonical = std::fs::canonicalize(&root).ok();
        RootHost {
            root,
            fd,
            canonical,
        }
    }

    /// A host that always walks in user space, as where `openat2` is missing (for tests of
    /// that path).
    #[doc(hidden)]
    pub fn without_openat2(root: impl Into<PathBuf>) -> RootHost {
        let root = root.into();
        let canonical = std::fs::canonicalize(&root).ok();
        RootHost {
            root,
            fd: None,
            canonical,
        }
    }

    /// Where `openat2` is missing: walk in user space, open the result without following a
    /// final symlink (the walk followed them), then check on the descriptor (its
    /// `/proc/self/fd` link) that what was opened lies under the root. A directory swapped for
    /// a symlink between the walk and the open is refused, not read. Without `/proc` the walk
    /// alone confines.
    fn open_walked(&self, path: &Path, flags: rustix::fs::OFlags) -> io::Result<std::fs::File> {
        use rustix::fs::{Mode, OFlags};
        let real = self.resolve(path, true)?;
        let fd = rustix::fs::open(
            &real,
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| loop_error(e, path))?;
        let file = std::fs::File::from(fd);
        if let Some(root) = &self.canonical {
            use std::os::fd::AsRawFd;
            if let Ok(opened) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
                if !opened.starts_with(root) {
                    return Err(io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!(
                            "{} led outside the root while it was opened (changed meanwhile)",
                            path.display()
                        ),
                    ));
                }
            }
        }
        Ok(file)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Open `path` inside the root with `flags` (`O_PATH | O_NOFOLLOW` opens a final symlink
    /// itself). `None` when the fast path is unavailable.
    fn open_in_root(
        &self,
        path: &Path,
        flags: rustix::fs::OFlags,
    ) -> Option<io::Result<std::os::fd::OwnedFd>> {
        use rustix::fs::{Mode, ResolveFlags};
        let fd = self.fd.as_ref()?;
        let rel = relative(path);
        Some(
            rustix::fs::openat2(
                fd.as_ref(),
                rel.as_os_str(),
                flags | rustix::fs::OFlags::CLOEXEC,
                Mode::empty(),
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
            )
            .map_err(|e| loop_error(e, path)),
        )
    }

    fn stat_in_root(&self, path: &Path, follow: bool) -> Option<io::Result<Meta>> {
        use rustix::fs::OFlags;
        let flags = if follow {
            OFlags::PATH
        } else {
            OFlags::PATH | OFlags::NOFOLLOW
        };
        Some(self.open_in_root(path, flags)?.and_then(|fd| {
            let f = std::fs::File::from(fd);
            Ok(meta_of(&f.metadata()?))
        }))
    }

    /// Resolve a target path to a real path under the root, following symlinks with the root
    /// as `/`. With `follow_last` false the final component is not followed (lstat). The
    /// user-space walk: writers use it (with their own descriptor walk on top), readers only
    /// where `openat2` is missing. Cost: one `lstat` per component.
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
                return Err(too_many_links(path));
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

/// An `O_PATH` descriptor of `root`, if `openat2` confinement works here.
fn open_root(root: &Path) -> Option<std::os::fd::OwnedFd> {
    use rustix::fs::{Mode, OFlags, ResolveFlags, CWD};
    let fd = rustix::fs::open(
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    // Probe once: ENOSYS (old kernel) or EPERM (seccomp) means the user-space walk.
    rustix::fs::openat2(
        &fd,
        ".",
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
    .ok()?;
    let _ = CWD;
    Some(fd)
}

/// `path` relative to the root (`.` for `/`).
fn relative(path: &Path) -> PathBuf {
    let rel: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
        .collect();
    if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel
    }
}

fn too_many_links(path: &Path) -> io::Error {
    io::Error::other(format!(
        "too many levels of symbolic links resolving {}",
        path.display()
    ))
}

/// ELOOP named as the loop it is; other errors as they are.
fn loop_error(e: rustix::io::Errno, path: &Path) -> io::Error {
    if e == rustix::io::Errno::LOOP {
        too_many_links(path)
    } else {
        e.into()
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
        let file = match self.open_in_root(path, read_flags()) {
            Some(fd) => std::fs::File::from(fd?),
            None => self.open_walked(path, read_flags())?,
        };
        read_open(file, path, usize::MAX, true)
    }
    fn read_prefix(&self, path: &Path, max: usize) -> io::Result<Vec<u8>> {
        let file = match self.open_in_root(path, read_flags()) {
            Some(fd) => std::fs::File::from(fd?),
            None => self.open_walked(path, read_flags())?,
        };
        read_open(file, path, max, false)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        use rustix::fs::OFlags;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK;
        let fd = match self.open_in_root(path, flags) {
            Some(fd) => fd?,
            None => self.open_walked(path, flags)?.into(),
        };
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::new(fd)? {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match entry.file_type() {
                rustix::fs::FileType::Symlink => FileKind::Symlink,
                rustix::fs::FileType::Directory => FileKind::Dir,
                rustix::fs::FileType::RegularFile => FileKind::File,
                rustix::fs::FileType::Unknown => {
                    match self.lstat(&path.join(OsStr::from_bytes(name))) {
                        Ok(m) => m.kind,
                        Err(_) => FileKind::Other,
                    }
                }
                _ => FileKind::Other,
            };
            out.push(DirEntry {
                name: name.to_vec(),
                kind,
            });
        }
        Ok(out)
    }
    fn stat(&self, path: &Path) -> io::Result<Meta> {
        match self.stat_in_root(path, true) {
            Some(m) => m,
            None => std::fs::symlink_metadata(self.resolve(path, true)?).map(|m| meta_of(&m)),
        }
    }
    fn lstat(&self, path: &Path) -> io::Result<Meta> {
        match self.stat_in_root(path, false) {
            Some(m) => m,
            None => std::fs::symlink_metadata(self.resolve(path, false)?).map(|m| meta_of(&m)),
        }
    }
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        use rustix::fs::OFlags;
        match self.open_in_root(path, OFlags::PATH | OFlags::NOFOLLOW) {
            Some(fd) => {
                let target = rustix::fs::readlinkat(fd?, "", Vec::new())?;
                Ok(PathBuf::from(OsStr::from_bytes(target.as_bytes())))
            }
            None => std::fs::read_link(self.resolve(path, false)?),
        }
    }
    fn machine(&self) -> Option<Machine> {
        ["/bin/sh", "/usr/bin/sh", "/bin/busybox", "/sbin/init"]
            .iter()
            .find_map(|p| elf_machine(&self.read_prefix(Path::new(p), 64).ok()?))
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
        // As the kernel's lookup: `..` through a missing directory fails, never leads out.
        assert_ne!(
            host.read(Path::new("/missing/../../x")).ok().as_deref(),
            Some(&b"outside"[..])
        );
        std::fs::create_dir(root.join("etc")).unwrap();
        assert_eq!(host.read(Path::new("/etc/../../../x")).unwrap(), b"inside");
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
    fn special_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let host = RootHost::new(dir.path());
        let err = host.read(Path::new("/fifo")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = LiveHost.read(&fifo).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert!(host.read(Path::new("/")).is_err());
    }

    #[test]
    fn read_prefix_reads_only_the_head() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), vec![7u8; 100_000]).unwrap();
        let host = RootHost::new(dir.path());
        assert_eq!(host.read_prefix(Path::new("/f"), 64).unwrap().len(), 64);
    }

    #[test]
    fn symlinks_read_and_listed_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
        std::fs::write(dir.path().join("usr/bin/kmod"), b"k").unwrap();
        std::fs::create_dir_all(dir.path().join("sbin")).unwrap();
        symlink("/usr/bin/kmod", dir.path().join("sbin/insmod")).unwrap();
        let host = RootHost::new(dir.path());
        assert_eq!(
            host.read_link(Path::new("/sbin/insmod")).unwrap(),
            Path::new("/usr/bin/kmod")
        );
        assert_eq!(
            host.stat(Path::new("/sbin/insmod")).unwrap().kind,
            FileKind::File
        );
        let entries = host.read_dir(Path::new("/sbin")).unwrap();
        assert_eq!(entries[0].kind, FileKind::Symlink);
        assert_eq!(
            resolve_target(&host, b"/sbin/insmod", true),
            b"/usr/bin/kmod"
        );
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
