//! A target with some files replaced in memory: how `fix` tries its edits before writing.
//!
//! The plan edits an [`Overlay`]; the whole pipeline (detect, merge, parse, simulate,
//! evaluate) then runs on it unchanged, so "does the fixed configuration pass and load
//! without new errors?" is answered by the same code that answers `check`.

use crate::host::{DirEntry, FileKind, Host, Meta};
use crate::model::Machine;
use std::collections::BTreeMap;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A host whose files at some paths have new contents (or exist only here).
pub struct Overlay<'a> {
    inner: &'a dyn Host,
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl<'a> Overlay<'a> {
    /// No changes yet.
    pub fn new(inner: &'a dyn Host) -> Overlay<'a> {
        Overlay {
            inner,
            files: BTreeMap::new(),
        }
    }

    /// Set a file's contents.
    pub fn put(&mut self, path: &Path, contents: Vec<u8>) {
        self.files.insert(path.to_path_buf(), contents);
    }

    /// Changed files with their new contents, in path order.
    pub fn changes(&self) -> impl Iterator<Item = (&Path, &[u8])> {
        self.files.iter().map(|(p, c)| (p.as_path(), c.as_slice()))
    }

    /// The underlying target.
    pub fn inner(&self) -> &dyn Host {
        self.inner
    }
}

impl Host for Overlay<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some(c) => Ok(c.clone()),
            None => self.inner.read(path),
        }
    }

    fn read_prefix(&self, path: &Path, max: usize) -> io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some(c) => Ok(c[..c.len().min(max)].to_vec()),
            None => self.inner.read_prefix(path, max),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut entries = self.inner.read_dir(path)?;
        for file in self.files.keys() {
            if file.parent() != Some(path) {
                continue;
            }
            let Some(name) = file.file_name() else {
                continue;
            };
            let name = name.as_bytes().to_vec();
            if !entries.iter().any(|e| e.name == name) {
                entries.push(DirEntry {
                    name,
                    kind: FileKind::File,
                });
            }
        }
        Ok(entries)
    }

    fn stat(&self, path: &Path) -> io::Result<Meta> {
        match (self.files.get(path), self.inner.stat(path)) {
            (Some(c), Ok(m)) => Ok(Meta {
                size: c.len() as u64,
                ..m
            }),
            (Some(c), Err(_)) => Ok(new_file_meta(c)),
            (None, r) => r,
        }
    }

    fn lstat(&self, path: &Path) -> io::Result<Meta> {
        match self.files.get(path) {
            Some(c) => self.stat(path).or_else(|_| Ok(new_file_meta(c))),
            None => self.inner.lstat(path),
        }
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.inner.read_link(path)
    }

    fn machine(&self) -> Option<Machine> {
        self.inner.machine()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        self.inner.real_path(path)
    }
}

/// What a file `fix` creates looks like: root's, mode 0600.
fn new_file_meta(contents: &[u8]) -> Meta {
    Meta {
        kind: FileKind::File,
        mode: 0o600,
        uid: 0,
        gid: 0,
        size: contents.len() as u64,
        nlink: 1,
    }
}

/// A host whose file contents are read once: the first [`Host::read`] of a path is kept, and
/// every later read of it returns the same bytes (or the same error kind). The plan reads the
/// target through one, so that everything it computes (the simulation, every strategy's edit,
/// and the "bytes the plan was made from" that `apply` compares against) comes from one read
/// of each file, never from two versions of it (a lost update: issue 9 item 2).
///
/// Memory: one copy of each file read; time: one map lookup per read (`O(log n)`).
pub struct Snapshot<'a> {
    inner: &'a dyn Host,
    reads: std::cell::RefCell<BTreeMap<PathBuf, Kept>>,
}

/// A read as kept by [`Snapshot`]: the bytes, or the error's kind and text.
type Kept = Result<Vec<u8>, (io::ErrorKind, String)>;

impl<'a> Snapshot<'a> {
    /// Nothing read yet.
    pub fn new(inner: &'a dyn Host) -> Snapshot<'a> {
        Snapshot {
            inner,
            reads: std::cell::RefCell::new(BTreeMap::new()),
        }
    }
}

impl Host for Snapshot<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut reads = self.reads.borrow_mut();
        let kept = reads
            .entry(path.to_path_buf())
            .or_insert_with(|| self.inner.read(path).map_err(|e| (e.kind(), e.to_string())));
        match kept {
            Ok(bytes) => Ok(bytes.clone()),
            Err((kind, text)) => Err(io::Error::new(*kind, text.clone())),
        }
    }

    fn read_prefix(&self, path: &Path, max: usize) -> io::Result<Vec<u8>> {
        if let Some(Ok(bytes)) = self.reads.borrow().get(path) {
            return Ok(bytes[..bytes.len().min(max)].to_vec());
        }
        self.inner.read_prefix(path, max)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        self.inner.read_dir(path)
    }

    fn stat(&self, path: &Path) -> io::Result<Meta> {
        self.inner.stat(path)
    }

    fn lstat(&self, path: &Path) -> io::Result<Meta> {
        self.inner.lstat(path)
    }

    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.inner.read_link(path)
    }

    fn machine(&self) -> Option<Machine> {
        self.inner.machine()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        self.inner.real_path(path)
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;
    use crate::host::RootHost;

    #[test]
    fn a_file_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.rules");
        std::fs::write(&f, b"one\n").unwrap();
        let host = RootHost::new(dir.path());
        let snap = Snapshot::new(&host);
        assert_eq!(snap.read(Path::new("/a.rules")).unwrap(), b"one\n");
        std::fs::write(&f, b"one\ntwo\n").unwrap();
        assert_eq!(snap.read(Path::new("/a.rules")).unwrap(), b"one\n");
        assert!(snap.read(Path::new("/b.rules")).is_err());
        std::fs::write(dir.path().join("b.rules"), b"late\n").unwrap();
        let e = snap.read(Path::new("/b.rules")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
