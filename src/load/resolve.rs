//! The kernel's add step, against the target: the only stage between parse and simulation
//! that reads the target.
//!
//! For every rule a line asks to add or delete, [`Resolver::resolve_line`] decides what the
//! kernel would make of it *on this target*, independent of what is already loaded:
//!
//! - a watch (`-w`/`-W`) becomes `dir=` when its path is a directory (auditctl 3.0.9
//!   `audit_setup_watch_name` stats it), else `path=`;
//! - the kernel's `audit_data_to_entry` / `audit_field_valid` checks (Linux 6.x,
//!   `kernel/auditfilter.c`, `audit_watch.c`, `audit_tree.c`, `audit_fsnotify.c`) that depend
//!   on the rule alone: `EINVAL`;
//! - a `path=` or `exe=` whose parent directory is missing, a `dir=` that is missing:
//!   `ENOENT` (`kern_path_locked` / `kern_path` when the rule is added);
//! - the inode path the kernel watches: the parent resolved (symlinks inside the root),
//!   the last component as named (the kernel does not follow it: `kern_path_locked` for
//!   `path=`, `kern_path(.., 0, ..)` for a `dir=` tree, so a tree on a symlink to a
//!   directory sits on the link and nothing below the target is under it:
//!   tests/kernel_truth.rs dir_watch_on_a_symlink_to_the_target_directory_does_not_fire).
//!
//! What depends on the loaded state (`EPERM` after `-e 2`, `EEXIST`, a delete that matches
//! nothing) is the simulation's, which applies them in the kernel's order: locked before
//! invalid before exists.
//!
//! Cost: every distinct directory on the way to a watched path is listed once per run
//! (`read_dir`, memoised) and every symlink read once, so the `stat`-family calls grow with
//! the number of distinct directories, not with rules × events; a lookup is O(depth) hashing.

use crate::host::{FileKind, Host, MAX_SYMLINKS};
use crate::load::auditctl::{LoadErrorKind, Request};
use crate::model::field::{FieldType, OpSet, ValueKind};
use crate::model::rule::{List, Op, Rule, AF_MAX, MAX_FIELDS, MAX_KEY_LEN, PATH_MAX};
use crate::syntax::{Command, Diagnostic, LineKind, ParsedLine, Span};
use rustc_hash::FxHashMap;
use std::ffi::OsStr;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A rule to add or delete, after the kernel's add step.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The rule as the kernel would hold it (`dir=` for a directory watch).
    pub rule: Rule,
    /// For `path=`/`dir=` rules: the path of the inode the kernel watches (see the module doc).
    pub watch: Option<Box<[u8]>>,
    /// For a `dir=` rule whose last component is a symlink to a directory: that directory
    /// (every symlink resolved). The tree sits on the link, so nothing below it is watched.
    pub tree_link: Option<Box<[u8]>>,
    /// Why the kernel refuses it whatever is loaded (`EINVAL`, `ENOENT`), if it does.
    pub refused: Option<LoadErrorKind>,
}

/// One thing a line does, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `-a`/`-A`/`-w`.
    Add(Resolved),
    /// `-d`/`-W`.
    Delete(Resolved),
    /// Any other command (never a rule to add or delete).
    Other(Command),
}

/// A line that does something, resolved. Blank and comment lines are dropped.
#[derive(Debug, Clone)]
pub struct ResolvedLine {
    /// Where it is.
    pub span: Span,
    /// Its bytes in the text.
    pub range: Range<usize>,
    /// Its steps, or the parse error that refuses it whole.
    pub steps: Result<Vec<Step>, Diagnostic>,
}

/// Counters of the target reads a resolver made (for tests and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolveStats {
    /// Directories listed.
    pub dir_reads: usize,
    /// Symlinks read.
    pub link_reads: usize,
    /// Single `lstat`s (only where a directory could not be listed).
    pub lstats: usize,
    /// Lookups answered from the memo.
    pub hits: usize,
}

/// A directory's entries, or why there are none.
#[derive(Debug, Clone)]
enum Listing {
    /// The directory exists and was listed.
    Entries(FxHashMap<Vec<u8>, FileKind>),
    /// The path is missing or not a directory.
    Absent,
    /// It could not be listed (permission): fall back to one `lstat` per entry asked for.
    Unlistable,
}

/// What a walk found at the end of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// The path with symlinks resolved (all of them, or all but the last component).
    pub path: Vec<u8>,
    /// What is there (`None`: missing), not following a final symlink when asked not to.
    pub kind: Option<FileKind>,
}

/// The kernel's add step with a memo of the target's directories and symlinks.
pub struct Resolver<'h> {
    host: &'h dyn Host,
    dirs: FxHashMap<Vec<u8>, Listing>,
    /// Walks of the directories of walked paths (as written), following every symlink.
    parents: FxHashMap<Vec<u8>, Walk>,
    links: FxHashMap<Vec<u8>, Option<Vec<u8>>>,
    lstats: FxHashMap<Vec<u8>, Option<FileKind>>,
    stats: ResolveStats,
    missing_unknown: bool,
}

impl<'h> Resolver<'h> {
    /// A resolver over `host` with an empty memo.
    pub fn new(host: &'h dyn Host) -> Resolver<'h> {
        Resolver {
            host,
            dirs: FxHashMap::default(),
            parents: FxHashMap::default(),
            links: FxHashMap::default(),
            lstats: FxHashMap::default(),
            stats: ResolveStats::default(),
            missing_unknown: false,
        }
    }

    /// On a configuration-only tree a missing path is unknown, not absent: no ENOENT is
    /// decided from it (each path is judged as written).
    pub fn missing_is_unknown(&mut self, unknown: bool) {
        self.missing_unknown = unknown;
    }

    /// What the resolver has read so far.
    pub fn stats(&self) -> ResolveStats {
        self.stats
    }

    /// Resolve a parsed line's rules. Blank and comment lines give `None`.
    pub fn resolve_line(&mut self, line: ParsedLine) -> Option<ResolvedLine> {
        let steps = match line.kind {
            LineKind::Blank | LineKind::Comment => return None,
            LineKind::Error(d) => Err(d),
            LineKind::Commands(cmds) => Ok(cmds.into_iter().map(|c| self.step(c)).collect()),
        };
        Some(ResolvedLine {
            span: line.span,
            range: line.range,
            steps,
        })
    }

    /// Resolve one command.
    pub fn step(&mut self, cmd: Command) -> Step {
        match cmd {
            Command::AddRule(rule) => Step::Add(self.rule(rule, false, Request::AddRule)),
            Command::AddWatch(rule) => Step::Add(self.rule(rule, true, Request::AddRule)),
            Command::DeleteRule(rule) => Step::Delete(self.rule(rule, false, Request::DeleteRule)),
            Command::DeleteWatch(rule) => Step::Delete(self.rule(rule, true, Request::DeleteRule)),
            other => Step::Other(other),
        }
    }

    /// The kernel's view of `rule` (a `-w` watch when `watch`).
    pub fn rule(&mut self, mut rule: Rule, watch: bool, request: Request) -> Resolved {
        if watch {
            if let Some(f) = rule.fields.iter_mut().find(|f| f.kind == FieldType::PATH) {
                let is_dir = f
                    .bytes()
                    .is_some_and(|p| self.walk(p, true).kind == Some(FileKind::Dir));
                if is_dir {
                    f.kind = FieldType::DIR;
                }
            }
        }
        if !kernel_accepts(&rule) {
            return Resolved {
                rule,
                watch: None,
                tree_link: None,
                refused: Some(LoadErrorKind::Invalid { request }),
            };
        }
        let watch = self.watched_inode(&rule);
        let tree_link = self.tree_link(&rule);
        // Deleting compares with what is loaded; only adding looks the paths up.
        let refused =
            (request == Request::AddRule && !self.missing_unknown && !self.targets_exist(&rule))
                .then_some(LoadErrorKind::NoEntry { request });
        Resolved {
            rule,
            watch,
            tree_link,
            refused,
        }
    }

    /// For a `dir=` rule whose last component is a symlink to a directory, the directory it
    /// leads to (the kernel's tree sits on the link itself: see the module doc).
    pub fn tree_link(&mut self, rule: &Rule) -> Option<Box<[u8]>> {
        let path = rule
            .fields
            .iter()
            .find(|f| f.kind == FieldType::DIR)?
            .bytes()?;
        if self.walk(path, false).kind != Some(FileKind::Symlink) {
            return None;
        }
        let target = self.walk(path, true);
        (target.kind == Some(FileKind::Dir)).then(|| target.path.into())
    }

    /// The inode path a `path=`/`dir=` rule watches (for rules read from a kernel too).
    pub fn watched_inode(&mut self, rule: &Rule) -> Option<Box<[u8]>> {
        let field = rule
            .fields
            .iter()
            .find(|f| f.kind == FieldType::PATH || f.kind == FieldType::DIR)?;
        let path = field.bytes()?;
        Some(self.walk(path, false).path.into())
    }

    /// The kernel's ENOENT checks: a `path` (or `exe`) needs its parent directory, a `dir`
    /// needs its last component itself (any kind, a symlink not followed).
    fn targets_exist(&mut self, rule: &Rule) -> bool {
        for field in &rule.fields {
            let Some(path) = field.bytes() else { continue };
            let ok = match field.kind {
                FieldType::PATH | FieldType::EXE => match parent(path) {
                    Some(dir) => self.walk(dir, true).kind == Some(FileKind::Dir),
                    None => true,
                },
                FieldType::DIR => self.walk(path, false).kind.is_some(),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// Walk `path` on the target as the kernel's path lookup does: `..` pops, symlinks are
    /// followed (at most [`MAX_SYMLINKS`]; the last component only when `follow_last`), a
    /// missing component ends existence but the rest is still joined as named.
    ///
    /// The walk of a path's directory is memoised: a path whose last component is a plain name
    /// costs one memo lookup and one entry lookup, unless that name is a symlink to follow.
    pub fn walk(&mut self, path: &[u8], follow_last: bool) -> Walk {
        let Some((dir, name)) = split_leaf(path) else {
            return self.walk_components(path, follow_last);
        };
        if !self.parents.contains_key(dir) {
            let w = self.walk_components(dir, true);
            self.parents.insert(dir.to_vec(), w);
        } else {
            self.stats.hits += 1;
        }
        let parent = &self.parents[dir];
        let parent_kind = parent.kind;
        // The walk so far, as `walk_components` holds it: `/` is the empty prefix.
        let prefix: &[u8] = if parent.path == b"/" {
            b""
        } else {
            &parent.path
        };
        let here = prefix.len();
        let mut out = Vec::with_capacity(here + 1 + name.len());
        out.extend_from_slice(prefix);
        out.push(b'/');
        out.extend_from_slice(name);
        let kind = match parent_kind {
            Some(FileKind::Dir) => self.entry(here, &out),
            _ => None,
        };
        if kind == Some(FileKind::Symlink) && follow_last {
            // The hops the directory's walk used count against this link: walk it whole.
            return self.walk_components(path, true);
        }
        Walk { path: out, kind }
    }

    /// [`Resolver::walk`] component by component, without the memo of directories.
    fn walk_components(&mut self, path: &[u8], follow_last: bool) -> Walk {
        // Components still to walk, next one last.
        let mut todo: Vec<Vec<u8>> = components(path);
        let mut done: Vec<u8> = Vec::new();
        let mut kind = Some(FileKind::Dir);
        let mut hops = 0;
        while let Some(part) = todo.pop() {
            if part == b".." {
                let cut = done.iter().rposition(|b| *b == b'/').unwrap_or(0);
                done.truncate(cut);
                // As the kernel's lookup: `..` of a missing or non-directory component fails.
                if kind != Some(FileKind::Dir) {
                    kind = None;
                }
                continue;
            }
            let here = done.len();
            done.push(b'/');
            done.extend_from_slice(&part);
            kind = match kind {
                Some(FileKind::Dir) => self.entry(here, &done),
                _ => None,
            };
            let last = todo.is_empty();
            if kind != Some(FileKind::Symlink) || (last && !follow_last) || hops >= MAX_SYMLINKS {
                continue;
            }
            hops += 1;
            let Some(target) = self.link(&done) else {
                continue;
            };
            done.truncate(here);
            if target.first() == Some(&b'/') {
                done.clear();
            }
            todo.extend(components(&target));
            kind = Some(FileKind::Dir);
        }
        if done.is_empty() {
            done.push(b'/');
        }
        Walk { path: done, kind }
    }

    /// What the last component of the resolved path `full` is, `full[..dir]` being its
    /// (resolved) directory.
    fn entry(&mut self, dir: usize, full: &[u8]) -> Option<FileKind> {
        let name = &full[dir + 1..];
        let key: &[u8] = if dir == 0 { b"/" } else { &full[..dir] };
        if !self.dirs.contains_key(key) {
            let listing = match self.host.read_dir(Path::new(OsStr::from_bytes(key))) {
                Ok(entries) => {
                    Listing::Entries(entries.into_iter().map(|e| (e.name, e.kind)).collect())
                }
                Err(e)
                    if e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(20) =>
                {
                    Listing::Absent
                }
                Err(_) => Listing::Unlistable,
            };
            self.stats.dir_reads += 1;
            self.dirs.insert(key.to_vec(), listing);
        } else {
            self.stats.hits += 1;
        }
        match &self.dirs[key] {
            Listing::Entries(map) => map.get(name).copied(),
            Listing::Absent => None,
            Listing::Unlistable => {
                if let Some(k) = self.lstats.get(full) {
                    return *k;
                }
                self.stats.lstats += 1;
                let k = self
                    .host
                    .lstat(Path::new(OsStr::from_bytes(full)))
                    .ok()
                    .map(|m| m.kind);
                self.lstats.insert(full.to_vec(), k);
                k
            }
        }
    }

    /// The target of the symlink at the resolved path `path`.
    fn link(&mut self, path: &[u8]) -> Option<Vec<u8>> {
        if let Some(t) = self.links.get(path) {
            self.stats.hits += 1;
            return t.clone();
        }
        self.stats.link_reads += 1;
        let t = self
            .host
            .read_link(Path::new(OsStr::from_bytes(path)))
            .ok()
            .map(|t| t.as_os_str().as_bytes().to_vec());
        self.links.insert(path.to_vec(), t.clone());
        t
    }
}

/// Parse `text` and apply the kernel's checks of each rule alone, giving the lines back in the
/// parser's shape: watches get their kind (`dir=`/`path=`) and a rule the kernel refuses as
/// invalid (EINVAL) makes its line fail with auditctl's words, as `auditctl -R` of the line
/// alone answers on an empty kernel. ENOENT (a missing watch parent) is left to the load: the
/// rule stays. For tests, fuzzing and tools that judge lines one by one.
pub fn checked_lines(
    text: &[u8],
    ctx: &crate::syntax::ParseContext,
    host: &dyn Host,
) -> Vec<ParsedLine> {
    let mut resolver = Resolver::new(host);
    crate::syntax::parse_lines(text, ctx)
        .map(|mut l| {
            let LineKind::Commands(cmds) = l.kind else {
                return l;
            };
            let mut out = Vec::new();
            let mut failed = None;
            for c in cmds {
                let (resolved, adding) = match resolver.step(c) {
                    Step::Add(r) => (r, true),
                    Step::Delete(r) => (r, false),
                    Step::Other(c) => {
                        out.push(c);
                        continue;
                    }
                };
                match resolved.refused {
                    Some(kind @ LoadErrorKind::Invalid { .. }) => {
                        failed = Some(Diagnostic {
                            span: l.span,
                            message: kind.to_string(),
                        });
                    }
                    _ if adding => out.push(Command::AddRule(resolved.rule)),
                    _ => out.push(Command::DeleteRule(resolved.rule)),
                }
            }
            l.kind = match failed {
                None => LineKind::Commands(out),
                // Only effects that matter to the load make a failed line `Commands`.
                Some(d) if out.iter().all(|c| matches!(c, Command::NoEffect(_))) => {
                    LineKind::Error(d)
                }
                Some(d) => {
                    out.push(Command::Failed(d));
                    LineKind::Commands(out)
                }
            };
            l
        })
        .collect()
}

/// The components of `path`, last first (so popping gives them in order); `.` and empty
/// components dropped.
fn components(path: &[u8]) -> Vec<Vec<u8>> {
    let mut parts: Vec<Vec<u8>> = path
        .split(|b| *b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .map(<[u8]>::to_vec)
        .collect();
    parts.reverse();
    parts
}

/// A path cut before its last component, when that is a plain name (not empty, `.` or `..`):
/// walking the directory part, then the name, is walking the path.
fn split_leaf(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let cut = path.iter().rposition(|b| *b == b'/')?;
    let name = &path[cut + 1..];
    (!name.is_empty() && name != b"." && name != b"..").then_some((&path[..cut], name))
}

/// The parent directory of an absolute path (`None` for `/`).
fn parent(path: &[u8]) -> Option<&[u8]> {
    let trimmed = &path[..path.iter().rposition(|b| *b != b'/')? + 1];
    let cut = trimmed.iter().rposition(|b| *b == b'/')?;
    Some(if cut == 0 { b"/" } else { &trimmed[..cut] })
}

/// Whether the last component is `.` or `..`: the kernel's `kern_path_locked` wants a
/// normal last component for watches and exe marks.
fn dot_leaf(path: &[u8]) -> bool {
    let leaf = path.rsplit(|b| *b == b'/').next().unwrap_or(path);
    leaf == b"." || leaf == b".."
}

/// The kernel's `audit_data_to_entry` / `audit_field_valid` checks (Linux 6.x,
/// `kernel/auditfilter.c`, `audit_watch.c`, `audit_tree.c`, `audit_fsnotify.c`) that depend on
/// the rule alone. `false` means the kernel answers EINVAL.
fn kernel_accepts(rule: &Rule) -> bool {
    let list = rule.list;
    let mut watch_like = 0;
    let mut keys = 0;
    let mut exes = 0;
    for f in &rule.fields {
        let Some(def) = f.kind.def() else {
            return false;
        };
        let equality = matches!(f.op, Op::Equal | Op::NotEqual);
        let num = f.number();
        let bytes = f.bytes().unwrap_or_default();
        // LOGINUID = -1 is stored as LOGINUID_SET, which allows only = and !=.
        let ops = if f.kind == FieldType::AUID && num == Some(u32::MAX) {
            OpSet::EqualityOnly
        } else {
            def.ops
        };
        let op_ok = match ops {
            OpSet::All => true,
            OpSet::NoBitOps => !matches!(f.op, Op::BitMask | Op::BitTest),
            OpSet::EqualityOnly => equality,
        };
        if !op_ok || matches!(f.op, Op::Other(_)) {
            return false;
        }
        if list == List::Filesystem && f.kind != FieldType::FSTYPE && f.kind != FieldType::KEY {
            return false;
        }
        if f.kind.is_string() && bytes.is_empty() {
            return false;
        }
        let ok = match def.value {
            // make_kuid/make_kgid: (uid_t)-1 is INVALID_UID.
            ValueKind::Uid if f.kind != FieldType::AUID => num != Some(u32::MAX),
            ValueKind::Gid => num != Some(u32::MAX),
            ValueKind::Msgtype => matches!(list, List::Exclude | List::User),
            ValueKind::Fstype => list == List::Filesystem,
            ValueKind::SaddrFam => num.is_some_and(|n| n < AF_MAX),
            _ => true,
        };
        if !ok {
            return false;
        }
        let exit = list == List::Exit;
        let ok = match f.kind {
            FieldType::PATH => {
                watch_like += 1;
                bytes.first() == Some(&b'/')
                    && bytes.last() != Some(&b'/')
                    && !dot_leaf(bytes)
                    && exit
                    && f.op == Op::Equal
                    && watch_like == 1
            }
            FieldType::DIR => {
                watch_like += 1;
                bytes.first() == Some(&b'/') && exit && f.op == Op::Equal && watch_like == 1
            }
            FieldType::INODE => {
                watch_like += 1;
                exit && watch_like == 1
            }
            FieldType::KEY => {
                keys += 1;
                keys == 1 && bytes.len() <= MAX_KEY_LEN
            }
            FieldType::EXE => {
                exes += 1;
                exes == 1
                    && bytes.len() <= PATH_MAX
                    && bytes.first() == Some(&b'/')
                    && bytes.last() != Some(&b'/')
                    && !dot_leaf(bytes)
            }
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    rule.fields.len() <= MAX_FIELDS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RootHost;
    use crate::model::{Action, Field};
    use std::os::unix::fs::symlink;

    fn watch(path: &str) -> Rule {
        let mut r = Rule::new(List::Exit, Action::Always);
        r.fields = vec![
            Field::str(FieldType::PATH, Op::Equal, path.as_bytes().to_vec()),
            Field::num(FieldType::PERM, Op::Equal, 15),
        ];
        r
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("srv/data/app")).unwrap();
        std::fs::create_dir_all(root.join("var/lib")).unwrap();
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        std::fs::create_dir_all(root.join("usr/sbin")).unwrap();
        std::fs::write(root.join("usr/bin/kmod"), b"").unwrap();
        symlink("/srv/data/app", root.join("var/lib/app")).unwrap();
        symlink("../bin/kmod", root.join("usr/sbin/insmod")).unwrap();
        dir
    }

    #[test]
    fn watch_kind_dir_or_path() {
        let dir = tree();
        let host = RootHost::new(dir.path());
        let mut r = Resolver::new(&host);
        let d = r.rule(watch("/srv/data/app"), true, Request::AddRule);
        assert_eq!(d.rule.fields[0].kind, FieldType::DIR);
        assert_eq!(d.refused, None);
        assert_eq!(d.tree_link, None);
        // A directory reached through a symlink is still a directory (auditctl stats it), but
        // the kernel's tree sits on the link itself (its last component is not followed).
        let d = r.rule(watch("/var/lib/app"), true, Request::AddRule);
        assert_eq!(d.rule.fields[0].kind, FieldType::DIR);
        assert_eq!(d.refused, None);
        assert_eq!(d.watch.as_deref(), Some(&b"/var/lib/app"[..]));
        // ... and the directory it leads to is kept, for the reason that names both.
        assert_eq!(d.tree_link.as_deref(), Some(&b"/srv/data/app"[..]));
        // Below a symlinked directory, the parents are resolved.
        let d = r.rule(watch("/var/lib/app/sub"), false, Request::AddRule);
        assert_eq!(d.watch.as_deref(), Some(&b"/srv/data/app/sub"[..]));
        let f = r.rule(watch("/srv/data/app/missing"), true, Request::AddRule);
        assert_eq!(f.rule.fields[0].kind, FieldType::PATH);
        assert_eq!(f.refused, None);
        // An `-a ... -F path=` of a directory stays `path=`: only `-w` is statted.
        let p = r.rule(watch("/srv/data/app"), false, Request::AddRule);
        assert_eq!(p.rule.fields[0].kind, FieldType::PATH);
    }

    #[test]
    fn missing_parent_is_enoent_and_symlinked_parents_resolve_inside_the_root() {
        let dir = tree();
        let host = RootHost::new(dir.path());
        let mut r = Resolver::new(&host);
        let gone = r.rule(watch("/nope/x"), true, Request::AddRule);
        assert_eq!(
            gone.refused,
            Some(LoadErrorKind::NoEntry {
                request: Request::AddRule
            })
        );
        // Deleting does not look the path up.
        assert_eq!(
            r.rule(watch("/nope/x"), true, Request::DeleteRule).refused,
            None
        );
        let via = r.rule(watch("/var/lib/app/f1"), true, Request::AddRule);
        assert_eq!(via.refused, None);
        assert_eq!(via.watch.as_deref(), Some(&b"/srv/data/app/f1"[..]));
        // The leaf of a path watch is not followed; the executed file is.
        let link = r.rule(watch("/usr/sbin/insmod"), true, Request::AddRule);
        assert_eq!(link.watch.as_deref(), Some(&b"/usr/sbin/insmod"[..]));
        assert_eq!(r.walk(b"/usr/sbin/insmod", true).path, b"/usr/bin/kmod");
        // `..` through a missing directory fails as the kernel's lookup does.
        assert_eq!(r.walk(b"/nope/../usr", true).kind, None);
        assert_eq!(r.walk(b"/usr/sbin/../bin", true).kind, Some(FileKind::Dir));
    }

    #[test]
    fn every_directory_is_listed_once() {
        let dir = tree();
        let host = RootHost::new(dir.path());
        let mut r = Resolver::new(&host);
        for i in 0..1000 {
            r.rule(watch(&format!("/var/lib/app/f{i}")), true, Request::AddRule);
        }
        let s = r.stats();
        // /, /var, /var/lib, /srv, /srv/data, /srv/data/app: six listings, one link read.
        assert_eq!((s.dir_reads, s.link_reads, s.lstats), (6, 1, 0), "{s:?}");
        assert!(s.hits > 3000, "{s:?}");
    }

    #[test]
    fn invalid_rules_are_refused_before_the_target_is_read() {
        let dir = tree();
        let host = RootHost::new(dir.path());
        let mut r = Resolver::new(&host);
        let rel = r.rule(watch("relative/x"), false, Request::AddRule);
        assert_eq!(
            rel.refused,
            Some(LoadErrorKind::Invalid {
                request: Request::AddRule
            })
        );
        assert_eq!(r.stats().dir_reads, 0);
    }
}
