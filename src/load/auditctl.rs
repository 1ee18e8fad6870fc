//! What `auditctl -R FILE` puts into a freshly booted kernel, simulated line by line.
//!
//! auditctl 3.0.9 semantics (reference §1.1, §7.2): each line is one invocation; the first
//! failing line stops the load unless an earlier line said `-c` or `-i`; rules loaded before
//! the failure stay loaded; `-D` empties the lists (or deletes the rules whose key contains
//! the `-D -k` text); `-A` puts a rule at the head of its list; adding the kernel's identical
//! twin of a loaded rule fails with "Rule exists"; after `-e 2` every change fails with
//! EPERM; a watch whose parent directory is missing on the target fails with ENOENT.
//!
//! The result is the ordered kernel list, each rule with the file:line it came from. This
//! module never reads files itself except through the [`Host`] for the kernel's own checks.
//!
//! [`simulate`] consumes the parsed lines one at a time and moves their rules into the
//! outcome: a 100,000-line load never holds its parse and its kernel lists side by side.

use crate::host::{FileKind, Host};
use crate::load::{LineText, Origin};
use crate::model::{FieldType, List, Rule};
use crate::syntax::{Command, LineKind, ParsedLine};
use rustc_hash::FxHashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

/// A rule in the simulated kernel, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    /// The rule, as the kernel holds it.
    pub rule: Rule,
    /// The file and line that added it.
    pub origin: Origin,
    /// The text of that line (for evidence).
    pub text: LineText,
}

/// A line that failed to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file and line.
    pub origin: Origin,
    /// What went wrong, in auditctl's words.
    pub message: String,
    /// The text of the line.
    pub text: LineText,
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
    /// The last `-e` value set, with its line.
    pub enabled: Option<(u32, Origin)>,
    /// Where `-e 2` locked the rules, if it did.
    pub locked_at: Option<Origin>,
    /// Lines refused because they came after `-e 2` (reported together as advice).
    pub after_lock: Vec<Origin>,
    /// Where `-f 2` (panic on failure) was set, if it was.
    pub panic_on_failure: Option<Origin>,
    /// auditctl's exit status: 0, or 1 when the load stopped or `-c` saw errors.
    pub exit_status: i32,
}

impl LoadOutcome {
    /// Rules of one list, in kernel order.
    pub fn list(&self, list: List) -> impl Iterator<Item = &LoadedRule> {
        self.rules.iter().filter(move |r| r.rule.list == list)
    }

    /// The bare kernel rules, in `auditctl -l` order.
    pub fn kernel_rules(&self) -> Vec<Rule> {
        self.rules.iter().map(|r| r.rule.clone()).collect()
    }
}

/// The message auditctl prints when the kernel refuses a request with errno `e`.
fn kernel_refusal(what: &str, errno_text: &str) -> String {
    format!("Error sending {what} request ({errno_text})")
}

/// Simulation state: per-list rule vectors kept apart until the end, and a count of rules per
/// identity hash so that "Rule exists" costs O(1) unless a duplicate is likely.
struct Kernel {
    lists: Vec<(List, Vec<LoadedRule>)>,
    identities: FxHashMap<u64, u32>,
}

impl Kernel {
    fn list_mut(&mut self, list: List) -> &mut Vec<LoadedRule> {
        if let Some(i) = self.lists.iter().position(|(l, _)| *l == list) {
            return &mut self.lists[i].1;
        }
        self.lists.push((list, Vec::new()));
        &mut self.lists.last_mut().expect("just pushed").1
    }

    /// Whether a rule identical to `rule` (whose [`Rule::identity_hash`] is `identity`) is
    /// loaded.
    fn contains(&self, rule: &Rule, identity: u64) -> bool {
        if !self.identities.contains_key(&identity) {
            return false;
        }
        self.lists
            .iter()
            .any(|(l, rs)| *l == rule.list && rs.iter().any(|r| r.rule.same_identity(rule)))
    }

    fn forget(&mut self, rule: &Rule) {
        let h = rule.identity_hash();
        if let Some(n) = self.identities.get_mut(&h) {
            *n -= 1;
            if *n == 0 {
                self.identities.remove(&h);
            }
        }
    }

    /// The lists joined in listing order. The biggest list (usually `exit`, holding nearly
    /// every rule) is reused, not copied: the others are put around it.
    fn into_rules(mut self) -> Vec<LoadedRule> {
        self.lists.sort_by_key(|(l, _)| listing_rank(*l));
        let mut lists: Vec<Vec<LoadedRule>> = self.lists.into_iter().map(|(_, rs)| rs).collect();
        let Some(biggest) = (0..lists.len()).max_by_key(|i| lists[*i].len()) else {
            return Vec::new();
        };
        let mut all = std::mem::take(&mut lists[biggest]);
        let before: Vec<LoadedRule> = lists[..biggest]
            .iter_mut()
            .flat_map(std::mem::take)
            .collect();
        all.splice(0..0, before);
        for rest in &mut lists[biggest + 1..] {
            all.append(rest);
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

/// Simulate `auditctl -R` over parsed lines, consuming them. `text` is what they were parsed
/// from (lines keep ranges of it as evidence), `origin_of` maps a parsed line to where it
/// really came from (for augenrules output: the `rules.d` file and line), `host` answers the
/// kernel's filesystem checks for watches.
pub fn simulate(
    lines: impl IntoIterator<Item = ParsedLine>,
    text: &Arc<[u8]>,
    origin_of: &dyn Fn(&ParsedLine) -> Origin,
    host: &dyn Host,
) -> LoadOutcome {
    let mut out = LoadOutcome::default();
    let mut kernel = Kernel {
        lists: Vec::new(),
        identities: FxHashMap::default(),
    };
    let mut ignore = false;
    let mut continue_error = false;
    let mut failed_with_continue = false;
    let mut locked = false;

    let mut lines = lines.into_iter();
    let mut stopped = false;
    for line in lines.by_ref() {
        if matches!(line.kind, LineKind::Blank | LineKind::Comment) {
            continue;
        }
        let origin = origin_of(&line);
        let line_text = LineText::new(text, line.range);
        let parsed = !matches!(line.kind, LineKind::Error(_));
        let result = match line.kind {
            LineKind::Blank | LineKind::Comment => Ok(()),
            LineKind::Error(d) => Err(d.message),
            LineKind::Commands(cmds) => {
                let mut r = Ok(());
                for cmd in cmds {
                    match cmd {
                        Command::IgnoreErrors => ignore = true,
                        // auditctl 3.0.9 sets its flag to 1 on every `-c`, forgetting errors
                        // seen before it (exit status 0 unless a later line fails).
                        Command::ContinueOnError => {
                            ignore = true;
                            continue_error = true;
                            failed_with_continue = false;
                        }
                        _ => {}
                    }
                    r = apply(
                        cmd,
                        &mut kernel,
                        &mut out,
                        &mut locked,
                        &origin,
                        &line_text,
                        host,
                    );
                    if r.is_err() {
                        break;
                    }
                }
                r
            }
        };
        if let Err(message) = result {
            if locked && parsed {
                out.after_lock.push(origin.clone());
            }
            out.errors.push(LoadError {
                origin: origin.clone(),
                message,
                text: line_text,
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

/// Carry out one command against the simulated kernel.
fn apply(
    cmd: Command,
    kernel: &mut Kernel,
    out: &mut LoadOutcome,
    locked: &mut bool,
    origin: &Origin,
    line_text: &LineText,
    host: &dyn Host,
) -> Result<(), String> {
    let refuse_if_locked = |what: &str| {
        if *locked {
            Err(kernel_refusal(what, "Operation not permitted"))
        } else {
            Ok(())
        }
    };
    match cmd {
        Command::AddRule(rule) => {
            refuse_if_locked("add rule data")?;
            check_watch_targets(&rule, host)?;
            let identity = rule.identity_hash();
            if kernel.contains(&rule, identity) {
                return Err(kernel_refusal("add rule data", "Rule exists"));
            }
            *kernel.identities.entry(identity).or_default() += 1;
            let list = kernel.list_mut(rule.list);
            let prepend = rule.prepend;
            let loaded = LoadedRule {
                rule: Rule {
                    prepend: false,
                    ..rule
                },
                origin: origin.clone(),
                text: line_text.clone(),
            };
            if prepend {
                list.insert(0, loaded);
            } else {
                list.push(loaded);
            }
        }
        Command::DeleteRule(rule) => {
            refuse_if_locked("delete rule data")?;
            let list = kernel.list_mut(rule.list);
            match list.iter().position(|r| r.rule.same_identity(&rule)) {
                Some(i) => {
                    list.remove(i);
                    kernel.forget(&rule);
                }
                None => {
                    return Err(kernel_refusal(
                        "delete rule data",
                        "No such file or directory",
                    ))
                }
            }
        }
        Command::DeleteAll { key } => {
            // auditctl lists the rules and deletes them one by one; when locked, the
            // first delete fails.
            let any = kernel.lists.iter().any(|(_, rs)| !rs.is_empty());
            if *locked && any {
                return Err(kernel_refusal(
                    "delete rule data",
                    "Operation not permitted",
                ));
            }
            let mut gone = Vec::new();
            for (_, rules) in kernel.lists.iter_mut() {
                let (deleted, kept): (Vec<LoadedRule>, Vec<LoadedRule>) =
                    rules.drain(..).partition(|r| match &key {
                        None => true,
                        Some(k) => key_contains(&r.rule, k),
                    });
                *rules = kept;
                gone.extend(deleted);
            }
            for r in gone {
                kernel.forget(&r.rule);
                out.deleted.push((r, origin.clone()));
            }
        }
        Command::SetEnabled(n) => {
            refuse_if_locked("enable")?;
            out.enabled = Some((n, origin.clone()));
            if n == 2 {
                *locked = true;
                out.locked_at = Some(origin.clone());
            }
        }
        Command::SetFailure(n) => {
            refuse_if_locked("failure")?;
            if n == 2 {
                out.panic_on_failure = Some(origin.clone());
            }
        }
        Command::SetRateLimit(_)
        | Command::SetBacklogLimit(_)
        | Command::SetBacklogWaitTime(_)
        | Command::ResetLost
        | Command::ResetBacklogWaitTimeActual
        | Command::LoginuidImmutable => refuse_if_locked("status")?,
        Command::ContinueOnError | Command::IgnoreErrors | Command::NoEffect(_) => {}
        Command::Failed(d) => return Err(d.message),
    }
    Ok(())
}

/// Whether the rule's key (all keys joined by 0x01, as the kernel stores it) contains `needle`,
/// as `auditctl -D -k` and `-l -k` match.
fn key_contains(rule: &Rule, needle: &[u8]) -> bool {
    rule.fields_of(FieldType::KEY)
        .filter_map(|f| f.bytes())
        .any(|k| needle.is_empty() || k.windows(needle.len()).any(|w| w == needle))
}

/// The kernel's ENOENT checks for watches: a `path` (or `exe`) needs its parent directory,
/// a `dir` needs the directory itself.
fn check_watch_targets(rule: &Rule, host: &dyn Host) -> Result<(), String> {
    for field in &rule.fields {
        let Some(path) = field.bytes() else { continue };
        let path = Path::new(OsStr::from_bytes(path));
        let needs = match field.kind {
            FieldType::PATH | FieldType::EXE => path.parent(),
            FieldType::DIR => Some(path),
            _ => None,
        };
        let Some(needed) = needs else { continue };
        match host.stat(needed) {
            Ok(m) if m.kind == FileKind::Dir || field.kind == FieldType::DIR => {}
            _ => return Err(kernel_refusal("add rule data", "No such file or directory")),
        }
    }
    Ok(())
}

/// Rules the lines after a stop would have added (ignoring their interactions): the evidence
/// for "your rule is never loaded because the load stopped at X".
fn not_reached(
    rest: impl Iterator<Item = ParsedLine>,
    text: &Arc<[u8]>,
    origin_of: &dyn Fn(&ParsedLine) -> Origin,
) -> Vec<LoadedRule> {
    rest.filter_map(|line| {
        let origin = origin_of(&line);
        let LineKind::Commands(cmds) = line.kind else {
            return None;
        };
        cmds.into_iter().find_map(|c| match c {
            Command::AddRule(rule) => Some(LoadedRule {
                rule,
                origin: origin.clone(),
                text: LineText::new(text, line.range.clone()),
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
    use crate::model::Machine;
    use crate::syntax::{parse_lines, ParseContext};
    use std::path::Path;

    /// Load `text` as `auditctl -R /r` on an empty root.
    fn load(text: &str) -> LoadOutcome {
        let dir = tempfile::tempdir().unwrap();
        let host = RootHost::new(dir.path());
        let ctx = ParseContext {
            machine: Machine::X86_64,
            host: &host,
        };
        let bytes: Arc<[u8]> = Arc::from(text.as_bytes());
        let file: Arc<Path> = Arc::from(Path::new("/r"));
        let origin_of = |l: &ParsedLine| Origin {
            file: file.clone(),
            line: l.span.line,
        };
        simulate(parse_lines(&bytes, &ctx), &bytes, &origin_of, &host)
    }

    const RULE: &str = "-a always,exit -F arch=b64 -S init_module -k m\n";

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
        assert!(out.errors[0].message.contains("Rule exists"));
        let out = load(&format!("-e 2\n{RULE}"));
        assert!(out.rules.is_empty() && out.locked_at.is_some());
        assert!(out.errors[0].message.contains("Operation not permitted"));
    }
}
