//! Findings → the smallest edits that make the kernel record what the controls demand.
//!
//! The plan is a loop over an in-memory [`Overlay`] of the target: evaluate exactly as `check`
//! does, take the one most important step (in DESIGN.md's order), apply it to the overlay,
//! evaluate again. It ends when every control passes, or when what remains is someone else's
//! problem (a blocker), which is reported and not touched. Nothing is written here: the result
//! is the new contents of each changed file, for `--dry-run` to show and `apply` to write.
//!
//! Strategies, in order: move a misplaced `-e` to the end / a bare `-D` to the top (auditctl
//! mode); `--repair` of the line that stops the load; add the missing key to the rule that
//! catches the events first; put a rule before the `never` rule that shadows it; extend the
//! syscall list of a matching keyed rule; add canonical rules to the control's file.

use crate::control::evaluate::decide;
use crate::control::event::{abi_label, expectations, Expectation};
use crate::control::finding::Cause;
use crate::control::{Control, RequirementKind};
use crate::fix::edits::{
    add_key, append_to_last_syscall_list, insert_lines, move_line_to_end, move_line_to_top,
};
use crate::fix::lines::{first_token, Lines};
use crate::fix::overlay::Overlay;
use crate::fix::repair::{repair_line, repair_preview};
use crate::host::Host;
use crate::load::auditctl::LoadedRule;
use crate::load::augenrules::RULES_D;
use crate::load::configuration::{configure, ConfigError, Configuration, Mode};
use crate::model::{syscalls, Action, FieldType, List, Machine};
use crate::syntax::Command;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Options of a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Perform the safe syntactic repairs on other people's lines.
    pub repair: bool,
}

/// One step of the plan, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The files changed (two when a line moves between files).
    pub files: Vec<PathBuf>,
    /// Why the change is needed, in a sentence.
    pub why: String,
}

/// The result of planning.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps taken, in order.
    pub steps: Vec<Step>,
    /// Files to write: target path, original bytes (None if new), new bytes.
    pub files: Vec<(PathBuf, Option<Vec<u8>>, Vec<u8>)>,
    /// What stops the plan short of compliance; empty when the plan reaches it.
    pub blockers: Vec<String>,
}

/// Why planning could not start.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Most steps one plan takes; each is one edit, so a real configuration needs a handful.
const MAX_STEPS: usize = 64;

/// Plan the fix of `controls` on `host`.
pub fn plan(
    host: &dyn Host,
    machine: Machine,
    controls: &[Control],
    opts: PlanOptions,
) -> Result<Plan, PlanError> {
    let mut overlay = Overlay::new(host);
    let mut steps = Vec::new();
    let mut blockers = Vec::new();
    let baseline = configure(host, machine)?;
    for _ in 0..MAX_STEPS {
        let config = configure(&overlay, machine)?;
        let failing = failing_events(controls, &config, machine, &overlay);
        if failing.is_empty() {
            break;
        }
        match next_step(controls, &config, &failing, machine, &overlay, opts) {
            Next::Edit(files, why) => {
                let mut changed = Vec::new();
                for (file, contents) in files {
                    overlay.put(&file, contents);
                    changed.push(file);
                }
                steps.push(Step {
                    files: changed,
                    why,
                });
            }
            Next::Blocked(why) => {
                blockers.push(why);
                break;
            }
        }
    }
    let config = configure(&overlay, machine)?;
    if blockers.is_empty() && !failing_events(controls, &config, machine, &overlay).is_empty() {
        blockers.push("no safe edit makes every event recorded; nothing was changed".into());
    }
    // Our edits must not make any line fail that did not fail before (compared by text and
    // message, since edits move line numbers).
    let before: Vec<(Vec<u8>, String)> = baseline
        .outcome
        .errors
        .iter()
        .map(|e| (e.text.to_vec(), e.message.clone()))
        .collect();
    if let Some(new_error) = config
        .outcome
        .errors
        .iter()
        .find(|e| !before.contains(&(e.text.to_vec(), e.message.clone())))
    {
        blockers.push(format!(
            "the edited configuration would not load cleanly: {}: {}",
            new_error.origin, new_error.message
        ));
    }
    if !blockers.is_empty() {
        // Blocked plans write nothing: half a fix only hides the blocker.
        return Ok(Plan {
            steps,
            files: Vec::new(),
            blockers,
        });
    }
    let files = overlay
        .changes()
        .filter_map(|(path, new)| {
            let old = host.read(path).ok();
            (old.as_deref() != Some(new)).then(|| (path.to_path_buf(), old, new.to_vec()))
        })
        .collect();
    Ok(Plan {
        steps,
        files,
        blockers,
    })
}

/// An expected event that is not recorded with a key, with why.
struct Failing {
    exp: Expectation,
    cause: Cause,
    reason: String,
    control: usize,
}

fn failing_events(
    controls: &[Control],
    config: &Configuration,
    machine: Machine,
    host: &dyn Host,
) -> Vec<Failing> {
    let mut out = Vec::new();
    for (ci, control) in controls.iter().enumerate() {
        let exps = expectations(control, machine, host);
        let judged: Vec<(Expectation, Cause, String)> = exps
            .into_iter()
            .map(|exp| {
                let (cause, reason) = decide(&exp.event, &config.outcome.rules, host);
                (exp, cause, reason)
            })
            .collect();
        // Advice-only events (finit_module) are fixed only alongside a required one.
        let any_required = judged
            .iter()
            .any(|(e, c, _)| !e.advice && !matches!(c, Cause::Covered { .. }));
        for (exp, cause, reason) in judged {
            if matches!(cause, Cause::Covered { .. }) || (exp.advice && !any_required) {
                continue;
            }
            out.push(Failing {
                exp,
                cause,
                reason,
                control: ci,
            });
        }
    }
    out
}

enum Next {
    /// New contents for one or more files, and why.
    Edit(Vec<(PathBuf, Vec<u8>)>, String),
    Blocked(String),
}

impl Next {
    fn edit(file: PathBuf, contents: Vec<u8>, why: String) -> Next {
        Next::Edit(vec![(file, contents)], why)
    }
}

fn next_step(
    controls: &[Control],
    config: &Configuration,
    failing: &[Failing],
    machine: Machine,
    host: &dyn Host,
    opts: PlanOptions,
) -> Next {
    let rules = &config.outcome.rules;
    // 1. Someone else's rules that no edit of ours can get around.
    for f in failing {
        let blocker = match &f.cause {
            Cause::TaskSuppressed { rule } | Cause::Excluded { rule } => Some(*rule),
            Cause::Shadowed { rule } | Cause::PartlyLost { rule, .. }
                if is_prepended_never(&rules[*rule]) =>
            {
                Some(*rule)
            }
            _ => None,
        };
        if let Some(i) = blocker {
            return Next::Blocked(format!(
                "{}: {} (at {}: {}); change or remove that rule by hand",
                f.exp.event.label(machine),
                f.reason,
                rules[i].origin,
                String::from_utf8_lossy(&rules[i].text)
            ));
        }
    }
    // 2. auditctl refuses the rules file itself (missing, not root's, world-writable): a
    // permission problem on a file someone else keeps is theirs to judge (it may be tampering).
    // A missing file is not refused: fix creates it.
    if let Some(e) = config
        .outcome
        .errors
        .iter()
        .find(|e| e.origin.line == 0 && host.exists(&e.origin.file))
    {
        return Next::Blocked(format!(
            "auditctl refuses {} before reading a line: {}; make it a regular root-owned file \
             that is not world writable (e.g. chown root: and chmod o-w), then run fix again",
            e.origin.file.display(),
            e.message
        ));
    }
    // 3. The load stops before our rules.
    if let Some(stop) = &config.outcome.stopped_at {
        if let (Mode::Auditctl(file), Some(lock)) = (&config.mode, &config.outcome.locked_at) {
            if let Some(next) = move_line_to_end(host, file, lock.line as usize) {
                return Next::edit(
                    file.clone(),
                    next,
                    format!("move -e 2 at {lock} to the end: every rule after it is refused"),
                );
            }
        }
        let message = config
            .outcome
            .errors
            .iter()
            .find(|e| e.origin == *stop)
            .map(|e| e.message.clone())
            .unwrap_or_default();
        if opts.repair {
            if let Some((contents, why)) = repair_line(host, stop, &message) {
                return Next::edit(stop.file.to_path_buf(), contents, why);
            }
        }
        return Next::Blocked(format!(
            "the load stops at {stop} ({message}), so no rule after it is loaded; \
             --repair would {}",
            repair_preview(host, stop, &message)
        ));
    }
    // 4. auditctl mode: a bare -D after rules that would have covered us wipes them.
    if let Mode::Auditctl(file) = &config.mode {
        if let Some(n) = misplaced_delete_all(config) {
            if let Some(next) = move_line_to_top(host, file, n) {
                return Next::edit(
                    file.clone(),
                    next,
                    format!(
                        "move -D at {}:{n} to the top: it deletes the rules loaded before it",
                        file.display()
                    ),
                );
            }
        }
    }
    // 5. The first rule that catches the events has no key: add the control's key to it.
    for f in failing {
        let rule = match &f.cause {
            Cause::Keyless { rule } => Some(*rule),
            Cause::PartlyLost { rule, .. } if rules[*rule].rule.action == Action::Always => {
                Some(*rule)
            }
            _ => None,
        };
        if let Some(i) = rule {
            let key = &controls[f.control].remediation.key;
            if let Some(next) = add_key(host, &rules[i], key) {
                return Next::edit(
                    rules[i].origin.file.to_path_buf(),
                    next,
                    format!(
                        "add key {key:?} to the rule at {}: it catches {} first and records no key",
                        rules[i].origin,
                        f.exp.event.label(machine)
                    ),
                );
            }
        }
    }
    // 6. A never rule (appended) catches them first: put our rules before it — moving a
    // later rule that already records them when there is one, else adding canonical rules.
    let never_of = |f: &Failing| match &f.cause {
        Cause::Shadowed { rule } => Some(*rule),
        Cause::PartlyLost { rule, .. } if rules[*rule].rule.action == Action::Never => Some(*rule),
        _ => None,
    };
    for f in failing {
        if let Some(i) = never_of(f) {
            if let Some(next) = move_before(host, rules, i, f, machine) {
                return next;
            }
        }
    }
    if let Some((f, i)) = failing.iter().find_map(|f| never_of(f).map(|i| (f, i))) {
        let control = &controls[f.control];
        let shadowed: Vec<&Failing> = failing
            .iter()
            .filter(|g| g.control == f.control && never_of(g) == Some(i))
            .collect();
        let lines = new_rule_lines(control, &shadowed, failing, machine, host);
        let origin = &rules[i].origin;
        if let Some(next) = insert_lines(host, &origin.file, origin.line as usize, &lines) {
            return Next::edit(
                origin.file.to_path_buf(),
                next,
                format!(
                    "add {} rule(s) before the never rule at {origin}, which catches {} first",
                    lines.len(),
                    f.exp.event.label(machine)
                ),
            );
        }
    }
    // 7. Nothing records them: extend a matching keyed rule, else add canonical rules.
    let missing: Vec<&Failing> = failing
        .iter()
        .filter(|f| matches!(f.cause, Cause::Missing | Cause::Narrowed { .. }))
        .collect();
    if let Some(first) = missing.first() {
        let control = &controls[first.control];
        let of_control: Vec<&Failing> = missing
            .iter()
            .copied()
            .filter(|f| f.control == first.control)
            .collect();
        if let Some(next) = extend_syscalls(host, rules, &of_control, failing, machine) {
            return next;
        }
        let lines = new_rule_lines(control, &of_control, failing, machine, host);
        if lines.is_empty() {
            return Next::Blocked(format!(
                "{}: {}; no rule can be written that the target can load",
                first.exp.event.label(machine),
                first.reason
            ));
        }
        let (file, at) = target_file(control, config, host);
        if let Some(next) = insert_lines(host, &file, at, &lines) {
            return Next::edit(
                file,
                next,
                format!(
                    "add {} rule(s): {}",
                    lines.len(),
                    of_control
                        .iter()
                        .map(|f| f.exp.event.label(machine))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let f = &failing[0];
    Next::Blocked(format!("{}: {}", f.exp.event.label(machine), f.reason))
}

/// Move a later rule that records the event with a key (but is shadowed) to just before the
/// never rule at `never`: its text stays as it is, and no near-duplicate is written.
fn move_before(
    host: &dyn Host,
    rules: &[LoadedRule],
    never: usize,
    f: &Failing,
    machine: Machine,
) -> Option<Next> {
    let mover = rules.iter().skip(never + 1).find(|r| {
        r.rule.list == List::Exit
            && r.rule.action == Action::Always
            && r.rule.keys().iter().any(|k| !k.is_empty())
            && crate::control::predicate::matches(&r.rule, &f.exp.event, host).tri
                == crate::control::predicate::Tri::Always
    })?;
    let target = &rules[never].origin;
    let from = &mover.origin;
    let mut edits: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut source = Lines::parse(&host.read(&from.file).ok()?);
    let line = source.remove(from.line as usize)?;
    if from.file == target.file {
        let at = if from.line < target.line {
            target.line - 1
        } else {
            target.line
        };
        source.insert(at as usize, &line);
        edits.push((from.file.to_path_buf(), source.to_bytes()));
    } else {
        let mut dest = Lines::parse(&host.read(&target.file).ok()?);
        dest.insert(target.line as usize, &line);
        edits.push((from.file.to_path_buf(), source.to_bytes()));
        edits.push((target.file.to_path_buf(), dest.to_bytes()));
    }
    Some(Next::Edit(
        edits,
        format!(
            "move the rule at {from} before the never rule at {target}, which catches {} first",
            f.exp.event.label(machine)
        ),
    ))
}

/// A never rule added with `-A`: nothing appended can come before it.
fn is_prepended_never(r: &LoadedRule) -> bool {
    r.rule.action == Action::Never && first_token(&r.text).is_some_and(|t| t.starts_with(b"-A"))
}

/// The canonical lines for the failing events of one control: one syscall rule per ABI
/// listing every remediation syscall not yet recorded on it, and one watch per path.
fn new_rule_lines(
    control: &Control,
    these: &[&Failing],
    all_failing: &[Failing],
    machine: Machine,
    host: &dyn Host,
) -> Vec<Vec<u8>> {
    let key = &control.remediation.key;
    let mut lines = Vec::new();
    let mut abis: Vec<Machine> = Vec::new();
    let mut paths: BTreeSet<Vec<u8>> = BTreeSet::new();
    for f in these {
        match &f.exp.event.exec_path {
            None if !abis.contains(&f.exp.event.abi) => abis.push(f.exp.event.abi),
            None => {}
            Some(_) => {
                if let Some(p) = requirement_path(control, f) {
                    paths.insert(p);
                }
            }
        }
    }
    for abi in machine.abis().into_iter().filter(|a| abis.contains(a)) {
        let names: Vec<&str> = control
            .remediation
            .syscalls
            .iter()
            .map(String::as_str)
            .filter(|s| syscalls::number(abi, s).is_some())
            .filter(|s| {
                all_failing.iter().any(|f| {
                    f.exp.event.abi == abi
                        && f.exp.event.exec_path.is_none()
                        && f.exp.event.syscall_name == *s
                })
            })
            .collect();
        if names.is_empty() {
            continue;
        }
        lines.push(
            format!(
                "-a always,exit -F arch={} -S {} -F key={key}",
                abi_label(abi, machine),
                names.join(",")
            )
            .into_bytes(),
        );
    }
    for p in paths {
        // The kernel refuses a watch whose directory is missing (ENOENT): never write one.
        let parent = Path::new(std::str::from_utf8(&p).unwrap_or("/")).parent();
        if parent.is_some_and(|d| !host.exists(d)) {
            continue;
        }
        let mut line = b"-w ".to_vec();
        line.extend_from_slice(&p);
        line.extend_from_slice(format!(" -p x -k {key}").as_bytes());
        lines.push(line);
    }
    lines
}

/// The path as the requirement spells it, for the event's exec path.
fn requirement_path(control: &Control, f: &Failing) -> Option<Vec<u8>> {
    let target = f.exp.event.exec_path.as_ref()?;
    control
        .requirements
        .iter()
        .filter(|r| r.kind == RequirementKind::Exec && r.id == f.exp.requirement)
        .flat_map(|r| r.paths.iter())
        .find(|p| {
            p.as_bytes() == target.as_slice()
                || target.ends_with(p.rsplit('/').next().unwrap_or("").as_bytes())
        })
        .map(|p| p.as_bytes().to_vec())
}

/// Where new rules of `control` go, and before which line: augenrules — the `rules.d` file
/// already holding the control's key, else the control's own file; auditctl — its rules file,
/// before any `-e` line.
fn target_file(control: &Control, config: &Configuration, host: &dyn Host) -> (PathBuf, usize) {
    let key = control.remediation.key.as_bytes();
    match &config.mode {
        Mode::Augenrules => {
            let holder = config
                .outcome
                .rules
                .iter()
                .find(|r| r.origin.file.starts_with(RULES_D) && r.rule.keys().contains(&key));
            let file = holder
                .map(|r| r.origin.file.to_path_buf())
                .unwrap_or_else(|| Path::new(RULES_D).join(&control.remediation.file));
            let len = host
                .read(&file)
                .map(|t| Lines::parse(&t).len())
                .unwrap_or(0);
            (file, len + 1)
        }
        Mode::Auditctl(file) => {
            let text = host.read(file).unwrap_or_default();
            let lines = Lines::parse(&text);
            let at = lines
                .iter()
                .find(|(_, l)| first_token(l) == Some(b"-e"))
                .map(|(n, _)| n)
                .unwrap_or(lines.len() + 1);
            (file.clone(), at)
        }
    }
}

/// Extend the `-S` list of a keyed `always` rule for the event's ABI that would record the
/// missing syscalls if its mask had them.
fn extend_syscalls(
    host: &dyn Host,
    rules: &[LoadedRule],
    missing: &[&Failing],
    all_failing: &[Failing],
    machine: Machine,
) -> Option<Next> {
    for f in missing.iter().filter(|f| f.exp.event.exec_path.is_none()) {
        let abi = f.exp.event.abi;
        for r in rules {
            let rule = &r.rule;
            if rule.list != List::Exit
                || rule.action != Action::Always
                || rule.arch() != Some(abi.audit_arch())
                || rule.keys().iter().all(|k| k.is_empty())
                || rule.mask.is_all()
                || rule.fields_of(FieldType::PATH).next().is_some()
            {
                continue;
            }
            let mut widened = rule.clone();
            widened.mask.set(f.exp.event.syscall);
            let m = crate::control::predicate::matches(&widened, &f.exp.event, host);
            if m.tri != crate::control::predicate::Tri::Always {
                continue;
            }
            // Every syscall of this ABI still failing, added at once.
            let names: Vec<&str> = all_failing
                .iter()
                .filter(|g| g.exp.event.abi == abi && g.exp.event.exec_path.is_none())
                .map(|g| g.exp.event.syscall_name.as_str())
                .filter(|n| syscalls::number(abi, n).is_some_and(|nr| !rule.mask.has(nr)))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let text = host.read(&r.origin.file).ok()?;
            let mut lines = Lines::parse(&text);
            let line = lines.get(r.origin.line as usize)?.to_vec();
            let new = append_to_last_syscall_list(&line, &names)?;
            lines.replace(r.origin.line as usize, &new);
            return Some(Next::edit(
                r.origin.file.to_path_buf(),
                lines.to_bytes(),
                format!(
                    "add {} to the syscall list of the rule at {}, which already records {} with a key",
                    names.join(","),
                    r.origin,
                    abi_label(abi, machine)
                ),
            ));
        }
    }
    None
}

/// In auditctl mode, the line number of a bare `-D` that comes after a rule line.
fn misplaced_delete_all(config: &Configuration) -> Option<usize> {
    let first_rule = config.first_rule_line?;
    // A line's rule comes after its other commands, so a `-D` must be on a later line.
    config
        .setting_lines
        .iter()
        .filter(|l| l.span.line > first_rule)
        .find(|l| {
            l.commands
                .iter()
                .any(|c| matches!(c, Command::DeleteAll { key: None }))
        })
        .map(|l| l.span.line as usize)
}

#[cfg(test)]
mod example_tests {
    use super::*;
    use crate::host::RootHost;

    #[test]
    fn debian12_example_gets_a_rule_before_the_never_rule() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/debian12");
        let host = RootHost::new(root);
        let control = crate::control::find(crate::control::DEFAULT_CONTROL).unwrap();
        let p = plan(&host, Machine::X86_64, &[control], PlanOptions::default()).unwrap();
        for s in &p.steps {
            eprintln!("{:?}: {}", s.files, s.why);
        }
        for (f, _, new) in &p.files {
            eprintln!("== {}\n{}", f.display(), String::from_utf8_lossy(new));
        }
        assert!(p.blockers.is_empty(), "{:?}", p.blockers);
        assert!(!p.files.is_empty());
    }
}
