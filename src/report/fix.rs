//! `fix` in words: its steps, blockers and the text report.

use crate::control::finding::Verdict;
use crate::fix::plan::{Blocker, NotWritable, Plan, Why};
use crate::fix::repair::Repair;
use crate::report::words::{self, Context};
use serde::Serialize;
use std::fmt::Write as _;

/// The JSON schema identifier of a fix report.
pub const FIX_SCHEMA: &str = "auditguard/fix/1";

/// The document of `fix`.
#[derive(Debug, Serialize)]
pub struct FixReport {
    /// [`FIX_SCHEMA`].
    pub schema: &'static str,
    /// `/` or the root.
    pub target: String,
    /// Whether nothing was to be written.
    pub dry_run: bool,
    /// Whether files were written.
    pub changed: bool,
    /// After the fix (or, for a dry run, after the planned fix).
    pub verdict: Verdict,
    /// The steps, in order.
    pub steps: Vec<StepReport>,
    /// What stopped the plan.
    pub blockers: Vec<String>,
    /// The unified diff of the planned edits.
    pub diff: String,
    /// What `--load` did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<crate::fix::load::LoadReport>,
}

/// One step.
#[derive(Debug, Serialize)]
pub struct StepReport {
    /// The strategy that took it.
    pub strategy: &'static str,
    /// The files it changed.
    pub files: Vec<String>,
    /// Why, in a sentence.
    pub why: String,
}

/// The text report.
pub fn text(r: &FixReport) -> String {
    let mut out = String::new();
    if r.steps.is_empty() && r.blockers.is_empty() && r.load.is_none() {
        let _ = writeln!(out, "nothing to fix: {} is compliant", r.target);
        return out;
    }
    for s in &r.steps {
        let _ = writeln!(out, "{} ({})", s.why, s.files.join(", "));
    }
    for b in &r.blockers {
        let _ = writeln!(out, "blocked: {b}");
    }
    if !r.diff.is_empty() {
        let _ = writeln!(out);
        out.push_str(&r.diff);
    }
    let state = match (r.dry_run, r.changed, r.blockers.is_empty()) {
        (_, _, false) => "nothing written",
        (true, _, true) => "dry run: nothing written; after the fix",
        (false, true, true) => "written",
        (false, false, true) => "nothing to write",
    };
    let _ = writeln!(
        out,
        "{state}; result: {}",
        r.verdict.as_str().to_uppercase()
    );
    out
}

/// What a repair does, in words.
pub fn repair(r: Repair) -> String {
    match r {
        Repair::EndWithNewline => "end the file with a newline (augenrules joined its last line \
                                   with the next file's first line)"
            .to_string(),
        Repair::TabsToSpaces => "replace tabs with spaces".to_string(),
        Repair::StripCr => "strip the CR at the end of the line".to_string(),
        Repair::MoveTrailingComment => "move the trailing comment to its own line above".into(),
        Repair::WrapLongLine => "wrap the line, longer than auditctl's 6143-byte line buffer, \
                                 into comment lines"
            .to_string(),
        Repair::CommentOut { duplicate } => format!(
            "comment the line out ({})",
            if duplicate { "duplicate" } else { "disabled" }
        ),
    }
}

/// Why a step was taken, in a sentence.
pub fn why(w: &Why) -> String {
    match w {
        Why::MoveLockToEnd { lock } => {
            format!("move -e 2 at {lock} to the end: every rule after it is refused")
        }
        Why::Repair { at, repair: r } => format!("repair {at}: {}", repair(*r)),
        Why::MoveDeleteAllToTop { at } => {
            format!("move -D at {at} to the top: it deletes the rules loaded before it")
        }
        Why::AddKey { key, rule, event } => format!(
            "add key {key:?} to the rule at {rule}: it catches {event} first and records no key"
        ),
        Why::MoveBeforeNever { from, never, event } => format!(
            "move the rule at {from} before the never rule at {never}, which catches {event} first"
        ),
        Why::InsertBeforeNever {
            count,
            never,
            event,
        } => format!(
            "add {count} rule(s) before the never rule at {never}, which catches {event} first"
        ),
        Why::ExtendSyscalls { names, rule, abi } => format!(
            "add {} to the syscall list of the rule at {rule}, which already records {abi} with \
             a key",
            names.join(",")
        ),
        Why::AddRules { count, events } => {
            format!("add {count} rule(s): {}", events.join(", "))
        }
    }
}

/// A blocker, in a sentence. `ctx` is the context of the plan's last assessed configuration
/// (the causes' rule numbers point into it).
pub fn blocker(b: &Blocker, ctx: Option<&Context>) -> String {
    let reason = |c: &crate::control::finding::Cause| {
        ctx.map(|ctx| words::cause(c, ctx)).unwrap_or_default()
    };
    match b {
        Blocker::ForeignRule {
            event,
            cause,
            origin,
            text,
        } => format!(
            "{event}: {} (at {origin}: {}); change or remove that rule by hand",
            reason(cause),
            String::from_utf8_lossy(text)
        ),
        Blocker::RulesFile { file, error } => format!(
            "auditctl refuses {} before reading a line: {error}; make it a regular root-owned \
             file that is not world writable (e.g. chown root: and chmod o-w), then run fix again",
            file.display()
        ),
        Blocker::LoadStops {
            at,
            error,
            repair: r,
        } => format!(
            "the load stops at {at} ({error}), so no rule after it is loaded; --repair would {}",
            repair(*r)
        ),
        Blocker::Unwritable { event, cause } => format!(
            "{event}: {}; no rule can be written that the target can load",
            reason(cause)
        ),
        Blocker::NoStrategy { event, cause } => format!("{event}: {}", reason(cause)),
        Blocker::AuditDisabled { by: Some(at) } => format!(
            "auditing is left disabled by -e 0 at {at}: the rules are loaded but nothing is \
             recorded; remove it or make it -e 1 (or -e 2, last) if auditing should be on"
        ),
        Blocker::AuditDisabled { by: None } => "nothing enables auditing at boot (the audit \
             daemon starts with -s nochange or -s disable, or does not run): add -e 1 to the \
             rules, or start auditd without that option"
            .to_string(),
        Blocker::NothingLoaded { reason } => format!(
            "{reason}; make the loader line load the rules (augenrules --load, or auditctl -R \
             /etc/audit/audit.rules)"
        ),
        Blocker::NoProgress => "the plan would undo one of its own steps (no progress); nothing \
                                was changed"
            .to_string(),
        Blocker::StillFailing => {
            "no safe edit makes every event recorded; nothing was changed".to_string()
        }
        Blocker::NewLoadError { at, error } => {
            format!("the edited configuration would not load cleanly: {at}: {error}")
        }
        Blocker::NotARulesFile { path, why } => {
            let why = match why {
                NotWritable::OutsideAudit => "it is not under /etc/audit/".to_string(),
                NotWritable::NotLoadedAsRules => {
                    "the loader does not read it as an audit rules file".to_string()
                }
                NotWritable::Symlink { target } => format!(
                    "it is reached through a symlink that leads to {}, which is not an audit \
                     rules file",
                    target.display()
                ),
                NotWritable::NotRegular => "it is not a regular file".to_string(),
            };
            format!(
                "the fix would write {}, and {why}; fix only writes the audit rules files \
                 under /etc/audit/ that the loader reads; nothing was changed",
                path.display()
            )
        }
    }
}

/// Every blocker of a plan, in sentences.
pub fn blockers(plan: &Plan, machine: crate::model::Machine) -> Vec<String> {
    let loader = plan
        .config
        .as_ref()
        .map(|c| c.loader_name())
        .unwrap_or_default();
    let ctx = plan.config.as_ref().map(|c| Context {
        outcome: &c.outcome,
        unread: &c.unread,
        loader: &loader,
        machine,
    });
    plan.blockers
        .iter()
        .map(|b| blocker(b, ctx.as_ref()))
        .collect()
}

/// The refusal of `fix --load --root DIR`: loading would put an image's rules into this host's
/// kernel.
pub fn load_with_root(dir: &std::path::Path) -> String {
    format!(
        "--load loads rules into this host's running kernel, but --root {} is another system's \
         configuration; nothing was written or loaded (run fix --root without --load, or fix \
         --load on the host itself)",
        dir.display()
    )
}

/// Said on stderr when the report cannot be written after the files were.
pub fn report_lost(e: &std::io::Error) -> String {
    format!("the files were written, but the report could not be printed: {e}")
}
