//! What `auditctl -R FILE` puts into a freshly booted kernel, simulated line by line.
//!
//! auditctl 3.0.9 semantics: each line is one invocation; the first
//! failing line stops the load unless an earlier line said `-c` or `-i`; rules loaded before
//! the failure stay loaded; `-D` empties the lists (or deletes the rules whose key contains
//! the `-D -k` text); `-A` puts a rule at the head of its list; adding the kernel's identical
//! twin of a loaded rule fails with "Rule exists"; after `-e 2` every change fails with
//! EPERM; what the kernel refuses whatever is loaded (EINVAL, a missing watch parent's
//! ENOENT) comes decided from [`crate::load::resolve`]. The order is the kernel's: locked
//! before invalid before exists.
//!
//! The result is the ordered kernel list, each rule with the file:line it came from, whether
//! it was prepended, and the inode path a watch sits on. This module is pure: it reads
//! nothing.
//!
//! [`simulate`] consumes the resolved lines one at a time and moves their rules into the
//! outcome: a 100,000-line load never holds its parse and its kernel lists side by side.
//! Cost: O(lines) overall for adds, `-A` (a prepend goes to a front stack), `-d` and "Rule
//! exists" (rules by identity hash), bare `-D` (amortised: it empties the lists, so each rule
//! is dropped once). `-D -k K` looks in an index of the distinct loaded keys by their 3-byte
//! windows: O(|K| + c + deleted), c being the number of distinct loaded keys holding K's
//! rarest window (every distinct key when K is shorter than 3 bytes) — never a scan of the
//! rules, so 64k `-D -k` lines over 64k keyed rules stay linear unless the keys are made to
//! share windows with the needles.

use crate::load::resolve::{ResolvedLine, Step};
use crate::load::{LineText, Origin};
use crate::model::{FieldType, List, Rule};
use crate::syntax::Command;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// A rule in the simulated kernel, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    /// The rule, as the kernel holds it (`prepend` false: the kernel keeps no such flag).
    pub rule: Rule,
    /// The file and line that added it.
    pub origin: Origin,
    /// The text of that line (for evidence).
    pub text: LineText,
    /// Added with `-A` (at the head of its list): nothing appended can come before it.
    pub prepended: bool,
    /// For `path=`/`dir=` rules: the inode path the kernel watches (see `load::resolve`).
    pub watch: Option<Box<[u8]>>,
    /// For a `dir=` rule on a symlink to a directory: that directory, which the tree does not
    /// cover (see `load::resolve`).
    pub tree_link: Option<Box<[u8]>>,
}

impl LoadedRule {
    /// A rule with its origin, neither prepended nor resolved (rules read from a kernel).
    pub fn new(rule: Rule, origin: Origin, text: LineText) -> LoadedRule {
        LoadedRule {
            rule,
            origin,
            text,
            prepended: false,
            watch: None,
            tree_link: None,
        }
    }
}

/// The request auditctl sends when the kernel refuses (its words in the error message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Request {
    /// `AUDIT_ADD_RULE`: "add rule data".
    AddRule,
    /// `AUDIT_DEL_RULE`: "delete rule data".
    DeleteRule,
    /// `AUDIT_SET` of `enabled`: "enable".
    Enable,
    /// `AUDIT_SET` of `failure`: "failure".
    Failure,
    /// Any other `AUDIT_SET`: "status".
    Status,
}

impl Request {
    /// auditctl's name of the request.
    pub fn as_str(self) -> &'static str {
        match self {
            Request::AddRule => "add rule data",
            Request::DeleteRule => "delete rule data",
            Request::Enable => "enable",
            Request::Failure => "failure",
            Request::Status => "status",
        }
    }
}

/// Why a line failed to load. Displays as auditctl 3.0.9 prints it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LoadErrorKind {
    /// auditctl itself refuses the line (its message, e.g. "Syscall name unknown: foo").
    Syntax(String),
    /// auditctl refuses the rules file before reading a line (missing, not root's, ...).
    RulesFile(String),
    /// `EINVAL`: the kernel refuses the rule itself.
    Invalid {
        /// The request refused.
        request: Request,
    },
    /// `ENOENT` on add: a watch's parent directory (or `dir=` itself) is missing.
    NoEntry {
        /// The request refused.
        request: Request,
    },
    /// `EPERM`: the rules are locked by an earlier `-e 2`.
    Locked {
        /// The request refused.
        request: Request,
    },
    /// `EEXIST`: the kernel holds an identical rule.
    Exists,
    /// `ENOENT` on delete: no loaded rule is identical.
    NoMatch,
}

impl std::fmt::Display for LoadErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (request, errno) = match self {
            LoadErrorKind::Syntax(m) | LoadErrorKind::RulesFile(m) => return f.write_str(m),
            LoadErrorKind::Invalid { request } => (*request, "Invalid argument"),
            LoadErrorKind::NoEntry { request } => (*request, "No such file or directory"),
            LoadErrorKind::Locked { request } => (*request, "Operation not permitted"),
            LoadErrorKind::Exists => (Request::AddRule, "Rule exists"),
            LoadErrorKind::NoMatch => (Request::DeleteRule, "No such file or directory"),
        };
        write!(f, "Error sending {} request ({errno})", request.as_str())
    }
}

/// A line that failed to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file and line.
    pub origin: Origin,
    /// What went wrong (displays in auditctl's words).
    pub kind: LoadErrorKind,
    /// The text of the line.
    pub text: LineText,
    /// The rule the kernel refused, when the failure is a rule's (as the kernel would have
    /// held it).
    pub rule: Option<Box<Rule>>,
}

/// Everything the load did.
#[derive(Debug, Clone, Default)]
pub struct LoadOutcome {
    /// The kernel's rule lists after the load, each list in kernel order, lists in
    /// `auditctl -l` order (user, task, exit, exclude, filesystem, io_uring, others).
    pub rules: Vec<LoadedRule>,
    /// Lines that failed, in file order.
    pub errors: Vec<LoadError>,
    /// The line at which the load stopped (the first error without `-c`/`-i` before it).
    pub stopped_at: Option<Origin>,
    /// Rules on lines after the stop that would have loaded: evidence for "never loaded".
    pub not_reached: Vec<LoadedRule>,
    /// Rules a later `-D` deleted, with the `-D` line: evidence for "deleted again".
    pub deleted: Vec<(LoadedRule, Origin)>,
    /// Rules on the first line of a `rules.d` file that augenrules glued to the last line of
    /// the file before it (which ends without a newline), with that line: never loaded as
    /// written (filled in by `load::configuration`, augenrules mode).
    pub swallowed: Vec<(LoadedRule, Origin)>,
    /// The last `-e` value set, with its line.
    pub enabled: Option<(u32, Origin)>,
    /// Where `-e 2` locked the rules, if it did.
    pub locked_at: Option<Origin>,
    /// Lines refused because they came after `-e 2` (reported together as advice).
    pub after_lock: Vec<Origin>,
    /// Where `-f 2` (panic on failure) was set, if it was.
    pub panic_on_failure: Option<Origin>,
    /// The last `-f` value set, with its line.
    pub failure: Option<(u32, Origin)>,
    /// Where `--loginuid-immutable` took effect, if it did.
    pub loginuid_immutable: Option<Origin>,
    /// auditctl's exit status: 0, or 1 when the load stopped or `-c` saw errors.
    pub exit_status: i32,
}

impl LoadOutcome {
    /// Rules of one list, in kernel order.
    pub fn list(&self, list: List) -> impl Iterator<Item = &LoadedRule> {
        self.rules.iter().filter(move |r| r.rule.list == list)
    }
}

/// Where a rule sits in its list: on the stack of prepended rules (newest first in kernel
/// order) or on the appended ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Front(u32),
    Back(u32),
}

/// One kernel list: prepended rules (a stack, so `-A` is O(1)) and appended ones; deleted
/// rules leave a hole (so a delete is O(1) once found).
#[derive(Default)]
struct KernelList {
    front: Vec<Option<LoadedRule>>,
    back: Vec<Option<LoadedRule>>,
}

impl KernelList {
    fn get(&self, slot: Slot) -> Option<&LoadedRule> {
        match slot {
            Slot::Front(i) => self.front[i as usize].as_ref(),
            Slot::Back(i) => self.back[i as usize].as_ref(),
        }
    }

    fn take(&mut self, slot: Slot) -> Option<LoadedRule> {
        match slot {
            Slot::Front(i) => self.front[i as usize].take(),
            Slot::Back(i) => self.back[i as usize].take(),
        }
    }

    /// Slots of the live rules, in kernel order.
    fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        let front = (0..self.front.len() as u32)
            .rev()
            .map(Slot::Front)
            .filter(|s| self.get(*s).is_some());
        let back = (0..self.back.len() as u32)
            .map(Slot::Back)
            .filter(|s| self.get(*s).is_some());
        front.chain(back)
    }

    fn into_rules(self) -> impl Iterator<Item = LoadedRule> {
        let front = self.front.into_iter().rev().flatten();
        front.chain(self.back.into_iter().flatten())
    }
}

/// The loaded rules sharing one identity hash: nearly always one, kept inline (a `Vec` per
/// rule would cost an allocation each on a 100,000-rule load).
enum Entries {
    One((usize, Slot)),
    Many(Vec<(usize, Slot)>),
}

impl Entries {
    fn as_slice(&self) -> &[(usize, Slot)] {
        match self {
            Entries::One(e) => std::slice::from_ref(e),
            Entries::Many(v) => v,
        }
    }

    fn push(&mut self, e: (usize, Slot)) {
        match self {
            Entries::One(first) => *self = Entries::Many(vec![*first, e]),
            Entries::Many(v) => v.push(e),
        }
    }

    /// Remove `e`; whether none is left.
    fn remove(&mut self, e: (usize, Slot)) -> bool {
        match self {
            Entries::One(first) => *first == e,
            Entries::Many(v) => {
                v.retain(|x| *x != e);
                v.is_empty()
            }
        }
    }
}

/// Simulation state: the lists, and every loaded rule's slot by identity hash, so that
/// "Rule exists" and `-d` cost O(1) (plus the rules sharing a hash), and by key.
#[derive(Default)]
struct Kernel {
    lists: Vec<(List, KernelList)>,
    by_identity: FxHashMap<u64, Entries>,
    /// Built at the first `-D -k` (most loads have none) and kept up to date after it.
    keys: Option<KeyIndex>,
    /// The most rules the load can add (its line count): each rule vector reserves it at its
    /// first rule, so a 100,000-rule list is never copied to grow (untouched room costs
    /// address space, not memory).
    room: usize,
}

/// Slots of rules (list index, slot).
type SlotSet = rustc_hash::FxHashSet<(usize, Slot)>;

/// The distinct keys of the loaded rules, each with its rules' slots, and by 3-byte window,
/// for `-D -k`'s substring match without a scan of the rules.
#[derive(Default)]
struct KeyIndex {
    /// Each key's id and the slots of its rules.
    by_key: FxHashMap<Box<[u8]>, (u32, SlotSet)>,
    /// Key ids by window.
    windows: FxHashMap<[u8; 3], rustc_hash::FxHashSet<u32>>,
    /// Key by id (ids are never reused).
    names: FxHashMap<u32, Box<[u8]>>,
    next: u32,
}

fn windows_of(key: &[u8]) -> impl Iterator<Item = [u8; 3]> + '_ {
    key.windows(3).map(|w| [w[0], w[1], w[2]])
}

impl KeyIndex {
    fn add(&mut self, key: &[u8], at: (usize, Slot)) {
        if let Some((_, slots)) = self.by_key.get_mut(key) {
            slots.insert(at);
            return;
        }
        let id = self.next;
        self.next += 1;
        for w in windows_of(key) {
            self.windows.entry(w).or_default().insert(id);
        }
        self.names.insert(id, key.into());
        self.by_key
            .insert(key.into(), (id, std::iter::once(at).collect()));
    }

    fn remove(&mut self, key: &[u8], at: (usize, Slot)) {
        let Some((id, slots)) = self.by_key.get_mut(key) else {
            return;
        };
        slots.remove(&at);
        if !slots.is_empty() {
            return;
        }
        let id = *id;
        self.by_key.remove(key);
        self.names.remove(&id);
        for w in windows_of(key) {
            if let Some(ids) = self.windows.get_mut(&w) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.windows.remove(&w);
                }
            }
        }
    }

    /// Slots of the rules with a key containing `needle` (any key when it is empty), as
    /// `auditctl -D -k` and `-l -k` match.
    fn matching(&self, needle: &[u8]) -> Vec<(usize, Slot)> {
        let contains =
            |key: &[u8]| needle.is_empty() || key.windows(needle.len()).any(|w| w == needle);
        let mut out: Vec<(usize, Slot)> = Vec::new();
        let mut take = |key: &[u8]| {
            if contains(key) {
                out.extend(self.by_key[key].1.iter().copied());
            }
        };
        if needle.len() < 3 {
            for key in self.by_key.keys() {
                take(key);
            }
        } else {
            let rarest = windows_of(needle)
                .map(|w| self.windows.get(&w).map_or(0, |ids| ids.len()))
                .zip(windows_of(needle))
                .min_by_key(|(n, _)| *n);
            if let Some((n, w)) = rarest {
                if n > 0 {
                    for id in &self.windows[&w] {
                        take(&self.names[id]);
                    }
                }
            }
        }
        out
    }
}

impl Kernel {
    fn list_index(&mut self, list: List) -> usize {
        if let Some(i) = self.lists.iter().position(|(l, _)| *l == list) {
            return i;
        }
        self.lists.push((list, KernelList::default()));
        self.lists.len() - 1
    }

    /// The slot of the loaded rule identical to `rule` (whose hash is `identity`).
    fn find(&self, rule: &Rule, identity: u64) -> Option<(usize, Slot)> {
        self.by_identity
            .get(&identity)?
            .as_slice()
            .iter()
            .copied()
            .find(|(l, s)| {
                self.lists[*l].0 == rule.list
                    && self.lists[*l]
                        .1
                        .get(*s)
                        .is_some_and(|r| r.rule.same_identity(rule))
            })
    }

    fn add(&mut self, loaded: LoadedRule, identity: u64) {
        let l = self.list_index(loaded.rule.list);
        let list = &mut self.lists[l].1;
        let side = if loaded.prepended {
            &mut list.front
        } else {
            &mut list.back
        };
        if side.capacity() == 0 {
            side.reserve(self.room);
        }
        let slot = if loaded.prepended {
            list.front.push(Some(loaded));
            Slot::Front(list.front.len() as u32 - 1)
        } else {
            list.back.push(Some(loaded));
            Slot::Back(list.back.len() as u32 - 1)
        };
        match self.by_identity.entry(identity) {
            std::collections::hash_map::Entry::Occupied(mut o) => o.get_mut().push((l, slot)),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(Entries::One((l, slot)));
            }
        }
        if let Some(keys) = &mut self.keys {
            let rule = &self.lists[l].1.get(slot).expect("just added").rule;
            for key in rule.fields_of(FieldType::KEY).filter_map(|f| f.bytes()) {
                keys.add(key, (l, slot));
            }
        }
    }

    /// The key index, built from the loaded rules on first use.
    fn key_index(&mut self) -> &KeyIndex {
        if self.keys.is_none() {
            let mut keys = KeyIndex::default();
            for (l, (_, list)) in self.lists.iter().enumerate() {
                for slot in list.slots() {
                    let rule = &list.get(slot).expect("live slot").rule;
                    for key in rule.fields_of(FieldType::KEY).filter_map(|f| f.bytes()) {
                        keys.add(key, (l, slot));
                    }
                }
            }
            self.keys = Some(keys);
        }
        self.keys.as_ref().expect("just built")
    }

    fn remove(&mut self, l: usize, slot: Slot) -> Option<LoadedRule> {
        let rule = self.lists[l].1.take(slot)?;
        if let Some(keys) = &mut self.keys {
            for key in rule
                .rule
                .fields_of(FieldType::KEY)
                .filter_map(|f| f.bytes())
            {
                keys.remove(key, (l, slot));
            }
        }
        let h = rule.rule.identity_hash();
        if let Some(v) = self.by_identity.get_mut(&h) {
            if v.remove((l, slot)) {
                self.by_identity.remove(&h);
            }
        }
        Some(rule)
    }

    fn is_empty(&self) -> bool {
        self.by_identity.is_empty()
    }

    /// The lists joined in listing order. The biggest run of appended rules (usually the
    /// exit list's, nearly every rule) is turned into the result in place — `Option` of a
    /// rule is the rule's size, so the buffer is reused, not copied — and the rest is put
    /// around it: peak memory stays one list, not two.
    fn into_rules(mut self) -> Vec<LoadedRule> {
        self.lists.sort_by_key(|(l, _)| listing_rank(*l));
        let Some(biggest) = (0..self.lists.len()).max_by_key(|i| self.lists[*i].1.back.len())
        else {
            return Vec::new();
        };
        let back = std::mem::take(&mut self.lists[biggest].1.back);
        #[allow(clippy::filter_map_identity)]
        // `filter_map` keeps the in-place collect; `flatten` does not
        let mut all: Vec<LoadedRule> = back.into_iter().filter_map(|r| r).collect();
        let mut lists = self.lists.into_iter();
        let before: Vec<LoadedRule> = lists
            .by_ref()
            .take(biggest + 1)
            .flat_map(|(_, list)| list.into_rules())
            .collect();
        all.splice(0..0, before);
        for (_, list) in lists {
            all.extend(list.into_rules());
        }
        all
    }
}

/// The order in which `auditctl -l` prints lists.
pub fn listing_rank(list: List) -> (u32, u32) {
    match list {
        List::User => (0, 0),
        List::Task => (1, 0),
        List::Exit => (2, 0),
        List::Exclude => (3, 0),
        List::Filesystem => (4, 0),
        List::IoUring => (5, 0),
        List::Other(n) => (6, n),
    }
}

/// Simulate `auditctl -R` over resolved lines, consuming them. `text` is what they were
/// parsed from (lines keep ranges of it as evidence), `origin_of` maps a line's span to where
/// it really came from (for augenrules output: the `rules.d` file and line).
pub fn simulate(
    lines: impl IntoIterator<Item = ResolvedLine>,
    text: &Arc<[u8]>,
    origin_of: &dyn Fn(crate::syntax::Span) -> Origin,
) -> LoadOutcome {
    let mut out = LoadOutcome::default();
    let mut kernel = Kernel {
        room: text.iter().filter(|b| **b == b'\n').count() + 1,
        ..Kernel::default()
    };
    kernel.by_identity.reserve(kernel.room);
    let mut ignore = false;
    let mut continue_error = false;
    let mut failed_with_continue = false;
    let mut locked = false;

    let mut lines = lines.into_iter();
    let mut stopped = false;
    for line in lines.by_ref() {
        let origin = origin_of(line.span);
        let line_text = LineText::new(text, line.range);
        let parsed = line.steps.is_ok();
        let mut refused_rule = None;
        // The rule the line adds (its last step), given the line's origin and text when the
        // line is done: moved, not copied (two reference-count updates fewer per line).
        let mut added: Option<Added> = None;
        let result = match line.steps {
            Err(d) => Err(LoadErrorKind::Syntax(d.message)),
            Ok(steps) => {
                let mut r = Ok(());
                for step in steps {
                    // A step after the rule (the parser makes none): the rule goes in first.
                    if let Some(a) = added.take() {
                        a.add_to(&mut kernel, origin.clone(), line_text.clone());
                    }
                    match step {
                        Step::Other(Command::IgnoreErrors) => ignore = true,
                        // auditctl 3.0.9 sets its flag to 1 on every `-c`, forgetting errors
                        // seen before it (exit status 0 unless a later line fails).
                        Step::Other(Command::ContinueOnError) => {
                            ignore = true;
                            continue_error = true;
                            failed_with_continue = false;
                        }
                        _ => {}
                    }
                    r = apply(step, &mut kernel, &mut out, &mut locked, &origin)
                        .map(|a| added = a)
                        .map_err(|(kind, rule)| {
                            refused_rule = rule;
                            kind
                        });
                    if r.is_err() {
                        break;
                    }
                }
                r
            }
        };
        if result.is_ok() {
            if let Some(a) = added {
                a.add_to(&mut kernel, origin, line_text);
            }
            continue;
        }
        if let Err(kind) = result {
            if locked && parsed {
                out.after_lock.push(origin.clone());
            }
            out.errors.push(LoadError {
                origin: origin.clone(),
                kind,
                text: line_text,
                rule: refused_rule.map(Box::new),
            });
            if !ignore {
                out.stopped_at = Some(origin);
                out.exit_status = 1;
                stopped = true;
                break;
            }
            if continue_error {
                failed_with_continue = true;
            }
        }
    }
    if stopped {
        out.not_reached = not_reached(lines, text, origin_of);
    }
    if failed_with_continue {
        out.exit_status = 1;
    }
    out.rules = kernel.into_rules();
    out
}

/// A rule the kernel accepts, to be added with its line's origin and text.
struct Added {
    rule: Rule,
    /// Its identity hash.
    identity: u64,
    watch: Option<Box<[u8]>>,
    tree_link: Option<Box<[u8]>>,
}

impl Added {
    fn add_to(self, kernel: &mut Kernel, origin: Origin, text: LineText) {
        let prepended = self.rule.prepend;
        kernel.add(
            LoadedRule {
                rule: Rule {
                    prepend: false,
                    ..self.rule
                },
                origin,
                text,
                prepended,
                watch: self.watch,
                tree_link: self.tree_link,
            },
            self.identity,
        );
    }
}

/// Carry out one step against the simulated kernel, refusing as the kernel does: locked
/// (EPERM) before invalid (EINVAL, ENOENT) before exists (EEXIST). A rule to add is checked
/// and handed back ([`Added`]), not added: the caller adds it.
fn apply(
    step: Step,
    kernel: &mut Kernel,
    out: &mut LoadOutcome,
    locked: &mut bool,
    origin: &Origin,
) -> Result<Option<Added>, (LoadErrorKind, Option<Rule>)> {
    let refuse_if_locked = |request: Request| {
        if *locked {
            Err((LoadErrorKind::Locked { request }, None))
        } else {
            Ok(())
        }
    };
    match step {
        Step::Add(resolved) => {
            if *locked {
                let request = Request::AddRule;
                return Err((LoadErrorKind::Locked { request }, Some(resolved.rule)));
            }
            if let Some(refusal) = resolved.refused {
                return Err((refusal, Some(resolved.rule)));
            }
            let identity = resolved.rule.identity_hash();
            if kernel.find(&resolved.rule, identity).is_some() {
                return Err((LoadErrorKind::Exists, Some(resolved.rule)));
            }
            return Ok(Some(Added {
                identity,
                rule: resolved.rule,
                watch: resolved.watch,
                tree_link: resolved.tree_link,
            }));
        }
        Step::Delete(resolved) => {
            refuse_if_locked(Request::DeleteRule)?;
            if let Some(refusal) = resolved.refused {
                return Err((refusal, Some(resolved.rule)));
            }
            let identity = resolved.rule.identity_hash();
            let Some((l, slot)) = kernel.find(&resolved.rule, identity) else {
                return Err((LoadErrorKind::NoMatch, Some(resolved.rule)));
            };
            kernel.remove(l, slot);
        }
        Step::Other(Command::DeleteAll { key }) => {
            // auditctl lists the rules and deletes them one by one; when locked, the
            // first delete fails.
            if *locked && !kernel.is_empty() {
                let request = Request::DeleteRule;
                return Err((LoadErrorKind::Locked { request }, None));
            }
            let Some(key) = key else {
                // Everything goes: the lists are emptied whole (holes too), so each rule
                // costs once however many `-D` lines there are.
                let lists = std::mem::take(kernel);
                for (_, list) in lists.lists {
                    for r in list.into_rules() {
                        out.deleted.push((r, origin.clone()));
                    }
                }
                return Ok(None);
            };
            let mut doomed = kernel.key_index().matching(&key);
            // In kernel order: list by list, prepended (newest first) then appended.
            doomed.sort_unstable_by_key(|(l, s)| match s {
                Slot::Front(i) => (*l, 0, u32::MAX - i),
                Slot::Back(i) => (*l, 1, *i),
            });
            doomed.dedup();
            for (l, slot) in doomed {
                if let Some(r) = kernel.remove(l, slot) {
                    out.deleted.push((r, origin.clone()));
                }
            }
        }
        Step::Other(Command::SetEnabled(n)) => {
            refuse_if_locked(Request::Enable)?;
            out.enabled = Some((n, origin.clone()));
            if n == 2 {
                *locked = true;
                out.locked_at = Some(origin.clone());
            }
        }
        Step::Other(Command::SetFailure(n)) => {
            refuse_if_locked(Request::Failure)?;
            out.failure = Some((n, origin.clone()));
            if n == 2 {
                out.panic_on_failure = Some(origin.clone());
            }
        }
        Step::Other(Command::LoginuidImmutable) => {
            refuse_if_locked(Request::Status)?;
            out.loginuid_immutable = Some(origin.clone());
        }
        Step::Other(
            Command::SetRateLimit(_)
            | Command::SetBacklogLimit(_)
            | Command::SetBacklogWaitTime(_)
            | Command::ResetLost
            | Command::ResetBacklogWaitTimeActual,
        ) => refuse_if_locked(Request::Status)?,
        Step::Other(Command::Failed(d)) => return Err((LoadErrorKind::Syntax(d.message), None)),
        Step::Other(
            Command::ContinueOnError
            | Command::IgnoreErrors
            | Command::NoEffect(_)
            | Command::AddRule(_)
            | Command::DeleteRule(_)
            | Command::AddWatch(_)
            | Command::DeleteWatch(_),
        ) => {}
    }
    Ok(None)
}

/// Rules the lines after a stop would have added (ignoring their interactions): the evidence
/// for "your rule is never loaded because the load stopped at X".
fn not_reached(
    rest: impl Iterator<Item = ResolvedLine>,
    text: &Arc<[u8]>,
    origin_of: &dyn Fn(crate::syntax::Span) -> Origin,
) -> Vec<LoadedRule> {
    rest.filter_map(|line| {
        let origin = origin_of(line.span);
        let steps = line.steps.ok()?;
        steps.into_iter().find_map(|step| match step {
            Step::Add(r) => Some(LoadedRule {
                prepended: r.rule.prepend,
                rule: r.rule,
                origin: origin.clone(),
                text: LineText::new(text, line.range.clone()),
                watch: r.watch,
                tree_link: r.tree_link,
            }),
            _ => None,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RootHost;
    use crate::load::resolve::Resolver;
    use crate::model::{Accounts, Machine};
    use crate::syntax::{parse_lines, ParseContext};
    use std::path::Path;

    /// Load `text` as `auditctl -R /r` on an empty root.
    fn load(text: &str) -> LoadOutcome {
        let dir = tempfile::tempdir().unwrap();
        let host = RootHost::new(dir.path());
        let accounts = Accounts::default();
        let ctx = ParseContext {
            machine: Machine::X86_64,
            accounts: &accounts,
        };
        let bytes: Arc<[u8]> = Arc::from(text.as_bytes());
        let file: Arc<Path> = Arc::from(Path::new("/r"));
        let origin_of = |span: crate::syntax::Span| Origin {
            file: file.clone(),
            line: span.line,
        };
        let mut resolver = Resolver::new(&host);
        let lines = parse_lines(&bytes, &ctx).filter_map(|l| resolver.resolve_line(l));
        simulate(lines, &bytes, &origin_of)
    }

    const RULE: &str = "-a always,exit -F arch=b64 -S init_module -k m\n";

    #[test]
    fn delete_by_key_matches_substrings_in_kernel_order() {
        let keys = |out: &LoadOutcome| -> Vec<Vec<u8>> {
            out.rules
                .iter()
                .map(|r| r.rule.keys()[0].to_vec())
                .collect()
        };
        let rule = |k: &str, uid: u32| {
            format!("-a always,exit -F arch=b64 -S openat -F uid={uid} -k {k}\n")
        };
        let mut text = String::new();
        for (i, k) in ["abc", "xabcx", "ab", "zzz", "abcabc"].iter().enumerate() {
            text += &rule(k, i as u32);
        }
        text += &rule("first", 9).replace("-a ", "-A ");
        // A 3-byte needle, a longer one, one matching nothing, and a short one.
        let out = load(&format!("{text}-D -k abc\n-D -k zzzz\n"));
        assert_eq!(keys(&out), [&b"first"[..], b"ab", b"zzz"]);
        let deleted: Vec<&[u8]> = out.deleted.iter().map(|(r, _)| r.rule.keys()[0]).collect();
        assert_eq!(deleted, [&b"abc"[..], b"xabcx", b"abcabc"]);
        let out = load(&format!("{text}-D -k b\n"));
        assert_eq!(keys(&out), [&b"first"[..], b"zzz"]);
        // Bare -D empties everything; rules added after it stay, and -D -k still finds them.
        let out = load(&format!(
            "{text}-D\n{}{}-D -k again\n",
            rule("again", 1),
            rule("kept", 2)
        ));
        assert_eq!(keys(&out), [&b"kept"[..]]);
        assert_eq!(out.deleted.len(), 7);
    }

    #[test]
    fn effects_before_a_failure_on_the_same_line_count() {
        // -i takes effect, the line fails, loading goes on and exits 0 (auditctl 3.0.9).
        let out = load(&format!("-i -S nope\n{RULE}"));
        assert_eq!(
            (out.errors.len(), out.rules.len(), out.exit_status),
            (1, 1, 0)
        );
        assert_eq!(out.stopped_at, None);
        // -e 1 takes effect, then the line stops the load.
        let out = load(&format!("-e 1 -S nope\n{RULE}"));
        assert_eq!(out.enabled.as_ref().map(|(n, _)| *n), Some(1));
        assert!(out.stopped_at.is_some() && out.rules.is_empty());
    }

    #[test]
    fn duplicate_stops_and_lock_refuses() {
        let out = load(&format!("{RULE}{RULE}"));
        assert_eq!(out.rules.len(), 1);
        assert_eq!(out.errors[0].kind, LoadErrorKind::Exists);
        assert!(out.errors[0].kind.to_string().contains("Rule exists"));
        let out = load(&format!("-e 2\n{RULE}"));
        assert!(out.rules.is_empty() && out.locked_at.is_some());
        assert!(out.errors[0]
            .kind
            .to_string()
            .contains("Operation not permitted"));
    }

    #[test]
    fn locked_before_invalid_before_exists() {
        // After -e 2 an invalid rule is refused as locked (the kernel checks the lock first).
        let out = load("-e 2\n-a always,exit -F arch=b64 -S open -F path=relative\n");
        assert_eq!(
            out.errors[0].kind,
            LoadErrorKind::Locked {
                request: Request::AddRule
            }
        );
        let out = load("-a always,exit -F arch=b64 -S open -F path=relative\n");
        assert_eq!(
            out.errors[0].kind,
            LoadErrorKind::Invalid {
                request: Request::AddRule
            }
        );
        assert_eq!(
            out.errors[0].kind.to_string(),
            "Error sending add rule data request (Invalid argument)"
        );
    }

    #[test]
    fn prepends_deletes_and_duplicates_keep_kernel_order() {
        let out = load(
            "-a always,exit -S open -k a\n-A always,exit -S close -k b\n\
             -A always,exit -S read -k c\n-a always,exit -S write -k d\n\
             -d always,exit -S close -k b\n",
        );
        let keys: Vec<Vec<u8>> = out
            .rules
            .iter()
            .map(|r| r.rule.keys()[0].to_vec())
            .collect();
        assert_eq!(keys, vec![b"c".to_vec(), b"a".to_vec(), b"d".to_vec()]);
        assert!(out.rules[0].prepended && !out.rules[1].prepended);
        let out = load("-i\n-a always,exit -S open -k a\n-a always,exit -S open -k a\n");
        assert_eq!((out.rules.len(), out.errors.len()), (1, 1));
        let out = load("-d always,exit -S open -k a\n");
        assert_eq!(out.errors[0].kind, LoadErrorKind::NoMatch);
    }
}
