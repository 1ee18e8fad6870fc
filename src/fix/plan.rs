//! Judgements → the smallest edits that make the kernel record what the controls demand.
//!
//! The plan is a loop over an in-memory [`Overlay`] of the target: assess exactly as `check`
//! does, run the [`STRATEGIES`] in order and take the first step one offers, apply it to the
//! overlay, assess again. It ends when every control passes, when what remains is someone
//! else's problem (a [`Blocker`], reported and not touched), or when a step would bring back
//! a state the plan has already been in (no progress). Nothing is written here: the result is
//! the new contents of each changed file, for `--dry-run` to show and `apply` to write.
//!
//! The planner reads causes (data), never sentences; steps and blockers are data too, worded
//! by `report::fix`.

use crate::control::evaluate::assess_configuration;
use crate::control::event::{abi_label, Event};
use crate::control::finding::{
    Cause, DaemonJudgement, FileProblem, FilesJudgement, Judgement, SettingCause, SettingJudgement,
    Verdict,
};
use crate::control::predicate::{matches, Tri};
use crate::control::{ArgOp, Control, Outcome, RequirementKind, Setting, Who};
use crate::fix::apply::{Meta, MetaChange};
use crate::fix::edits::{
    add_key, append_to_last_syscall_list, insert_lines, move_line_to_end, move_line_to_top,
};
use crate::fix::lines::{first_token, Lines};
use crate::fix::overlay::{Overlay, Snapshot};
use crate::fix::repair::{repair_line, repair_preview, Repair};
use crate::host::{resolve_target, FileKind, Host};
use crate::load::auditctl::{LoadErrorKind, LoadedRule};
use crate::load::augenrules::RULES_D;
use crate::load::configuration::{configure, facts, ConfigError, Configuration, Layout, Mode};
use crate::load::{LineText, Origin};
use crate::model::{syscalls, Action, FieldType, List, Machine, TargetFacts};
use crate::syntax::Command;
use std::collections::{BTreeSet, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Options of a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Perform the safe syntactic repairs on other people's lines.
    pub repair: bool,
    /// The lowest login uid of a user as the profile fixes it (the STIG's 1000), instead of
    /// the target's `UID_MIN`.
    pub auid_min: Option<u32>,
}

/// Why a step was taken (worded by `report::fix`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// A missing final newline added: augenrules had glued the file's last line to the next
    /// file's first, swallowing a rule.
    RepairJoin {
        /// The joined line (the file's last).
        joined: Origin,
        /// The swallowed rule (the next file's first line).
        swallowed: Origin,
    },
    /// auditctl mode: `-e 2` moved to the end (every rule after it was refused).
    MoveLockToEnd {
        /// The `-e 2` line.
        lock: Origin,
    },
    /// `--repair` of the line that stopped the load.
    Repair {
        /// The line.
        at: Origin,
        /// What was done.
        repair: Repair,
    },
    /// auditctl mode: a bare `-D` moved to the top (it deleted the rules before it).
    MoveDeleteAllToTop {
        /// The `-D` line.
        at: Origin,
    },
    /// The control's key added to the keyless rule that catches the event first.
    AddKey {
        /// The key.
        key: String,
        /// The rule.
        rule: Origin,
        /// The event it catches.
        event: String,
    },
    /// A keyed rule moved before the never rule that shadowed it.
    MoveBeforeNever {
        /// The moved rule.
        from: Origin,
        /// The never rule.
        never: Origin,
        /// The event.
        event: String,
    },
    /// New rules inserted before the never rule that shadows the event.
    InsertBeforeNever {
        /// How many lines.
        count: usize,
        /// The never rule.
        never: Origin,
        /// The event.
        event: String,
    },
    /// New rules inserted before a keyless rule of another purpose that catches the event
    /// first (records it without a key).
    InsertBeforeKeyless {
        /// How many lines.
        count: usize,
        /// The keyless rule.
        rule: Origin,
        /// The event.
        event: String,
    },
    /// Syscalls added to the list of a keyed rule of the same ABI.
    ExtendSyscalls {
        /// The syscalls added.
        names: Vec<String>,
        /// The rule.
        rule: Origin,
        /// `b64`/`b32`.
        abi: String,
    },
    /// An auditd.conf keyword set (its last line changed, or a line added).
    SetDaemon {
        /// The file.
        file: String,
        /// The keyword.
        key: String,
        /// The value written.
        value: String,
    },
    /// A loader setting line added (`-e 2`, `-f 2`, `--loginuid-immutable`).
    SetControl {
        /// The line written.
        line: String,
        /// The requirement it meets.
        requirement: String,
    },
    /// New canonical rules added.
    AddRules {
        /// How many lines.
        count: usize,
        /// The events they record.
        events: Vec<String>,
    },
}

/// One step of the plan, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The strategy that took it (a name of [`STRATEGIES`]).
    pub strategy: &'static str,
    /// The files changed (two when a line moves between files).
    pub files: Vec<PathBuf>,
    /// Why.
    pub why: Why,
}

/// What stops the plan short of compliance (worded by `report::fix`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// Someone else's rule no edit of ours can get around (task `never`, exclude, `-A never`).
    ForeignRule {
        /// The event.
        event: String,
        /// What happens to it.
        cause: Cause,
        /// Where the rule is.
        origin: Origin,
        /// Its text.
        text: LineText,
    },
    /// auditctl refuses the rules file itself (not root's, world writable).
    RulesFile {
        /// The file.
        file: PathBuf,
        /// auditctl's refusal.
        error: LoadErrorKind,
    },
    /// The load stops at a line (without `--repair`).
    LoadStops {
        /// The line.
        at: Origin,
        /// Why it fails.
        error: LoadErrorKind,
        /// What `--repair` would do.
        repair: Repair,
    },
    /// No rule can be written that the target can load.
    Unwritable {
        /// The event.
        event: String,
        /// What happens to it now.
        cause: Cause,
    },
    /// A failing event no strategy can act on.
    NoStrategy {
        /// The event.
        event: String,
        /// What happens to it.
        cause: Cause,
    },
    /// A step would bring back a state the plan has been in.
    NoProgress,
    /// A watch the control requires cannot load: its directory is missing on this image.
    MissingDirectory {
        /// The watch line.
        at: Origin,
        /// The missing directory.
        dir: PathBuf,
    },
    /// Auditing is left disabled at boot (by this `-e 0`, or nothing enables it).
    AuditDisabled {
        /// The `-e 0` line.
        by: Option<Origin>,
    },
    /// The boot configuration loads no rules (the reason names the loader line).
    NothingLoaded {
        /// Why.
        reason: String,
    },
    /// auditd refuses its configuration file at a line fix does not touch: the daemon does
    /// not start, whatever value a keyword gets.
    DaemonConfRefused {
        /// The file.
        file: String,
        /// The line.
        line: u32,
        /// Why.
        reason: String,
    },
    /// A blocker of an item the plan set aside and went on without, worded against the
    /// configuration it was found in (later steps renumber the rules its cause cited).
    Worded {
        /// The item (control) set aside.
        item: String,
        /// The words.
        text: String,
    },
    /// Two items of the plan want one auditd.conf keyword to take values no one value
    /// satisfies (CIS's `max_log_file_action = keep_logs` and the STIG's `rotate`/`single`):
    /// both are set aside; a tailored profile decides.
    Conflict {
        /// `control/requirement` being fixed.
        requirement: String,
        /// The keyword.
        key: String,
        /// The values it accepts.
        wanted: Vec<String>,
        /// The other item's `control/requirement`.
        other: String,
        /// The values that one accepts.
        other_wanted: Vec<String>,
    },
    /// A failing item fix does not change: a boot parameter (the bootloader is regenerated
    /// by the distribution's tool) or file permissions (mode and owner changes are left to the
    /// administrator). Named so that nobody takes the plan's end for compliance.
    ByHand {
        /// `control/requirement`.
        requirement: String,
        /// What to do, in the judgement's words.
        what: String,
    },
    /// A loader setting cannot be set by a line of ours (nothing is loaded at boot).
    Setting {
        /// `control/requirement`.
        requirement: String,
        /// What the load leaves.
        judgement: SettingJudgement,
    },
    /// Events still fail after the plan.
    StillFailing,
    /// The edited configuration would fail on a line that did not fail before.
    NewLoadError {
        /// The line.
        at: Origin,
        /// Why.
        error: LoadErrorKind,
    },
    /// A step would write a file that is not an audit rules file the loader reads (see
    /// [`writable`]); nothing is written.
    NotARulesFile {
        /// The file as the step named it.
        path: PathBuf,
        /// Why it may not be written.
        why: NotWritable,
    },
}

/// Why `fix` may not write a file (see [`writable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotWritable {
    /// Not under `/etc/audit/`.
    OutsideAudit,
    /// Under `/etc/audit/`, but not a file the loader reads as rules.
    NotLoadedAsRules,
    /// A symlink (itself, or a directory on the way) leads to `target`, which is not one.
    Symlink {
        /// Where it leads, on the target.
        target: PathBuf,
    },
    /// Not a regular file (a directory, device, FIFO or socket).
    NotRegular,
}

/// The result of planning.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps taken, in order.
    pub steps: Vec<Step>,
    /// Files to write: target path, original bytes (None if new), new bytes.
    pub files: Vec<(PathBuf, Option<Vec<u8>>, Vec<u8>)>,
    /// Mode and owner changes (file-permission items), one per file.
    pub metadata: Vec<PlannedMeta>,
    /// What stops the plan short of compliance; empty when the plan reaches it.
    pub blockers: Vec<Blocker>,
    /// The outcome the words of causes in blockers point into (the last assessed one).
    pub config: Option<Configuration>,
}

/// Why planning could not start.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Most steps one plan takes; each is one edit, so a real configuration needs a handful.
const MAX_STEPS: usize = 256;

/// One strategy of the planner: a name, what it does, and the step it offers (or nothing).
pub struct Strategy {
    /// Its name (in steps and docs).
    pub name: &'static str,
    /// What it does, when.
    pub doc: &'static str,
    /// The step it offers in this state, if any.
    pub run: fn(&State) -> Option<Next>,
}

/// The strategies, in the order they are tried (the design's order; each has scenario tests in
/// `tests/fix_scenarios.rs`).
pub const STRATEGIES: &[Strategy] = &[
    Strategy {
        name: "repair-join",
        doc: "a rules.d file without a final newline made augenrules glue its last line to the \
              next file's first line, swallowing a rule that would record the events: add the \
              newline (the smallest edit that restores the author's rule; never a second copy)",
        run: repair_join,
    },
    Strategy {
        name: "foreign-blocker",
        doc: "a task-list never rule, an exclude of SYSCALL records or a prepended never rule \
              catches the events: someone else's rule, named and left alone",
        run: foreign_blocker,
    },
    Strategy {
        name: "boot-state",
        doc: "the boot configuration loads nothing, or leaves auditing disabled (-e 0 last, \
              or no daemon enables it): named, left alone — auditing off is someone's decision",
        run: boot_state,
    },
    Strategy {
        name: "refused-rules-file",
        doc: "auditctl refuses the rules file itself (not root's, world writable): named, left \
              alone (it may be tampering); a missing file is created by add-rules",
        run: refused_rules_file,
    },
    Strategy {
        name: "load-stop",
        doc: "the load stops before our rules: auditctl mode moves a misplaced -e 2 to the \
              end; --repair repairs the stopping line (tabs, CR, trailing comment, missing \
              final newline, else comment it out with a note); else a blocker",
        run: load_stop,
    },
    Strategy {
        name: "delete-all-to-top",
        doc: "auditctl mode: a bare -D after rules that would have covered the events is moved \
              to the top",
        run: delete_all_to_top,
    },
    Strategy {
        name: "add-key",
        doc: "the first rule that catches the events has no key: the control's key is added \
              to it",
        run: add_missing_key,
    },
    Strategy {
        name: "move-before-never",
        doc: "an appended never rule catches the events first and a later keyed rule would \
              record them: that rule is moved before the never rule (no near-duplicate)",
        run: move_before_never,
    },
    Strategy {
        name: "insert-before-never",
        doc: "an appended never rule catches the events first: canonical rules are inserted \
              before it",
        run: insert_before_never,
    },
    Strategy {
        name: "insert-before-keyless",
        doc: "a keyless always rule that serves another purpose catches the events first (its \
              syscalls are not all the control's): canonical rules with the control's key are \
              inserted before it; the other purpose's rule is neither re-keyed nor extended",
        run: insert_before_keyless,
    },
    Strategy {
        name: "extend-syscalls",
        doc: "nothing records a syscall: a keyed always rule of the same ABI and filters gets \
              the syscall added to its -S list",
        run: extend_syscall_list,
    },
    Strategy {
        name: "set-daemon",
        doc: "an auditd.conf keyword has a value the item does not accept, or none: its last \
              line gets the first accepted value, or a `key = value` line is added",
        run: set_daemon,
    },
    Strategy {
        name: "set-control",
        doc: "a loader setting ends with the wrong value or is missing: its line is added \
              (augenrules: the control's file, 99-finalize.rules; auditctl: -e last, other \
              settings before any -e)",
        run: set_control,
    },
    Strategy {
        name: "add-rules",
        doc: "nothing records the events: canonical lines are added to the control's file \
              (augenrules: the file holding its key, else its own; auditctl: before any -e)",
        run: add_rules,
    },
];

/// What a strategy sees: the assessed configuration and its failing events.
pub struct State<'a> {
    controls: &'a [Control],
    config: &'a Configuration,
    failing: &'a [Failing],
    /// Loader settings that do not end as required: (control index, requirement id, state).
    settings: &'a [(usize, String, SettingJudgement)],
    /// Daemon settings that are not accepted: (control index, requirement, state).
    daemon: &'a [(usize, crate::control::Requirement, DaemonJudgement)],
    /// Per control: the key the host already records its events with (new lines reuse it),
    /// else the control's remediation key.
    keys: &'a [String],
    machine: Machine,
    host: &'a dyn Host,
    opts: PlanOptions,
}

/// A strategy's answer: new contents for files, or a blocker.
pub enum Next {
    /// New contents for one or more files, and why.
    Edit(Vec<(PathBuf, Vec<u8>)>, Why),
    /// Stop here.
    Blocked(Blocker),
}

impl Next {
    fn edit(file: PathBuf, contents: Vec<u8>, why: Why) -> Next {
        Next::Edit(vec![(file, contents)], why)
    }
}

/// Plan the fix of `controls` on `host`.
pub fn plan(
    host: &dyn Host,
    machine: Machine,
    controls: &[Control],
    opts: PlanOptions,
) -> Result<Plan, PlanError> {
    // Every file is read once: what the plan computes and what `apply` compares against are
    // the same bytes.
    let snapshot = Snapshot::new(host);
    let host: &dyn Host = &snapshot;
    let mut overlay = Overlay::new(host);
    let mut steps = Vec::new();
    let mut blockers = Vec::new();
    let mut facts = facts(host, controls);
    // Plan auditd.conf as it will be once this plan's chmod/chown made auditd accept it.
    facts.daemon_confs = crate::load::configuration::daemon_confs_as_fixed(host, controls);
    if let Some(min) = opts.auid_min {
        facts.uid_min = min;
    }
    // Daemon settings are read from auditd.conf, which the plan may edit: those files (and
    // only those) are read again from the overlay at each step.
    let has_daemon = controls
        .iter()
        .flat_map(|c| &c.requirements)
        .any(|r| r.kind == RequirementKind::DaemonSetting);
    // Controls whose events a blocker stopped (left out of the rest of the plan).
    let mut set_aside: HashSet<usize> = HashSet::new();
    // A blocker that stopped the whole plan (not one control's).
    let mut stopped = false;
    // Controls whose rules a step wrote or extended (their advice events are completed too:
    // see `writes_rules_of`), and those whose advice events no step can record (left as
    // warnings).
    let mut edited: HashSet<usize> = HashSet::new();
    let mut advice_left: HashSet<usize> = HashSet::new();
    let mut seen: HashSet<Vec<(PathBuf, Vec<u8>)>> = HashSet::new();
    seen.insert(Vec::new());
    let mut config = configure(&overlay, machine)?;
    // The lines that already fail (compared by text and error, since edits move line
    // numbers): our edits must not add one. Kept instead of the whole first configuration.
    let before: HashSet<(Vec<u8>, LoadErrorKind)> = config
        .outcome
        .errors
        .iter()
        .map(|e| (e.text.to_vec(), e.kind.clone()))
        .collect();
    for _ in 0..MAX_STEPS {
        if has_daemon {
            facts.daemon_confs =
                crate::load::configuration::daemon_confs_as_fixed(&overlay, controls);
        }
        // One assessment per step serves every kind of failing requirement.
        let assessment = assess_configuration(controls, &config, machine, &facts);
        let completing = |c: usize| edited.contains(&c) && !advice_left.contains(&c);
        let (mut failing, keys) = failing_events(controls, &config, &assessment, &completing);
        let mut settings = failing_settings(&assessment);
        let mut daemon = failing_daemon(controls, &assessment);
        daemon.retain(|(c, _, _)| !set_aside.contains(c));
        failing.retain(|f| !set_aside.contains(&f.control));
        settings.retain(|(c, _, _)| !set_aside.contains(c));
        // The advice events of an edited control whose required events pass come last, when
        // nothing required is left: they never block the plan (see `advice_only` below).
        let required: HashSet<usize> = failing
            .iter()
            .filter(|f| !f.is_advice())
            .map(|f| f.control)
            .collect();
        let advice_only = required.is_empty() && settings.is_empty() && daemon.is_empty();
        if !advice_only {
            failing.retain(|f| required.contains(&f.control));
        }
        if failing.is_empty() && settings.is_empty() && daemon.is_empty() {
            break;
        }
        let state = State {
            controls,
            config: &config,
            failing: &failing,
            settings: &settings,
            daemon: &daemon,
            keys: &keys,
            machine,
            host: &overlay,
            opts,
        };
        let (strategy, next) = STRATEGIES
            .iter()
            .find_map(|s| (s.run)(&state).map(|n| (s.name, n)))
            .unwrap_or_else(|| {
                let blocker = match failing.first() {
                    Some(f) => Blocker::NoStrategy {
                        event: f.event().label(machine),
                        cause: f.judgement.cause.clone(),
                    },
                    None => Blocker::StillFailing,
                };
                ("none", Next::Blocked(blocker))
            });
        // An advice event no step can record stays a warning: its control's advice is left.
        if advice_only {
            let give_up = match &next {
                Next::Blocked(_) => true,
                Next::Edit(files, why) => {
                    let daemon_edit = matches!(why, Why::SetDaemon { .. });
                    files.iter().any(|(file, _)| {
                        !daemon_edit && writable(host, &config.mode, file).is_err()
                    }) || {
                        let mut state: std::collections::BTreeMap<PathBuf, Vec<u8>> = overlay
                            .changes()
                            .map(|(p, c)| (p.to_path_buf(), c.to_vec()))
                            .collect();
                        state.extend(files.iter().cloned());
                        seen.contains(&state.into_iter().collect::<Vec<_>>())
                    }
                }
            };
            if give_up {
                advice_left.extend(failing.iter().map(|f| f.control));
                continue;
            }
        } else if let Next::Edit(_, why) = &next {
            edited.extend(writes_rules_of(why, &failing, machine));
        }
        match next {
            Next::Edit(files, why) => {
                // Before the step touches anything: only audit rules files the loader reads
                // (and, for a daemon setting, auditd.conf itself).
                let daemon_edit = matches!(why, Why::SetDaemon { .. });
                if let Some(b) = files.iter().find_map(|(file, _)| {
                    let ok = if daemon_edit {
                        daemon_conf_writable(host, file)
                    } else {
                        writable(host, &config.mode, file)
                    };
                    ok.err().map(|why| Blocker::NotARulesFile {
                        path: file.clone(),
                        why,
                    })
                }) {
                    blockers.push(b);
                    break;
                }
                let mut changed = Vec::new();
                for (file, contents) in files {
                    overlay.put(&file, contents);
                    changed.push(file);
                }
                let state: Vec<(PathBuf, Vec<u8>)> = overlay
                    .changes()
                    .map(|(p, c)| (p.to_path_buf(), c.to_vec()))
                    .collect();
                if !seen.insert(state) {
                    blockers.push(Blocker::NoProgress);
                    break;
                }
                steps.push(Step {
                    strategy,
                    files: changed,
                    why,
                });
                // One configuration alive at a time (the old one is freed before the new one
                // is built): fix costs about what check costs.
                drop(config);
                config = configure(&overlay, machine)?;
            }
            Next::Blocked(b) => {
                // A blocker of one control's events (one profile item) sets that control
                // aside; the plan goes on with the others. Anything else stops it.
                let of_control = match &b {
                    Blocker::ForeignRule { event, .. }
                    | Blocker::Unwritable { event, .. }
                    | Blocker::NoStrategy { event, .. } => failing
                        .iter()
                        .find(|f| f.event().label(machine) == *event)
                        .map(|f| f.control),
                    Blocker::DaemonConfRefused { .. } | Blocker::Conflict { .. } => {
                        daemon.first().map(|(c, _, _)| *c)
                    }
                    Blocker::Setting { requirement, .. } => settings
                        .iter()
                        .find(|(c, r, _)| format!("{}/{r}", controls[*c].id) == *requirement)
                        .map(|(c, _, _)| *c),
                    _ => None,
                };
                match of_control {
                    Some(c) if controls.len() > 1 => {
                        // The plan goes on and changes the configuration the cause's rule
                        // numbers point into: word it now.
                        blockers.push(Blocker::Worded {
                            item: controls[c].id.clone(),
                            text: crate::report::fix::blocker_in(&b, &config, machine),
                        });
                        set_aside.insert(c);
                    }
                    _ => {
                        blockers.push(b);
                        stopped = true;
                        break;
                    }
                }
            }
        }
    }
    // File modes and owners are changed by `chmod`/`chown` (apply::set_metadata); boot
    // parameters, and files fix may not touch, are left to a person, named as blockers.
    let assessment = assess_configuration(controls, &config, machine, &facts);
    let mut metadata: Vec<PlannedMeta> = Vec::new();
    {
        use crate::control::finding::Check;
        for (c, judged) in controls.iter().zip(&assessment.controls) {
            for r in &judged.requirements {
                let requirement = format!("{}/{}", c.id, r.id);
                match &r.check {
                    Some(check @ Check::Boot(_)) if check.verdict() == Verdict::Fail => {
                        blockers.push(Blocker::ByHand {
                            requirement,
                            what: crate::report::words::check(check).0,
                        });
                    }
                    Some(Check::Files(judged)) if judged.verdict() == Verdict::Fail => {
                        match metadata_changes(&requirement, judged, &facts) {
                            Ok(changes) => merge_metadata(&mut metadata, changes, &requirement),
                            Err(b) => blockers.push(*b),
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let unfinished = |controls_left: &dyn Fn(usize) -> bool| {
        failing_events(controls, &config, &assessment, &|_| false)
            .0
            .iter()
            .any(|f| controls_left(f.control))
            || failing_settings(&assessment)
                .iter()
                .any(|(c, _, _)| controls_left(*c))
            || failing_daemon(controls, &assessment)
                .iter()
                .any(|(c, _, _)| controls_left(*c))
    };
    if !stopped && unfinished(&|c| !set_aside.contains(&c)) {
        stopped = !blockers.is_empty();
        blockers.push(Blocker::StillFailing);
    }
    // One refused auditd.conf blocks every daemon item: name each blocker once.
    let mut seen = Vec::with_capacity(blockers.len());
    blockers.retain(|b| {
        let new = !seen.contains(b);
        if new {
            seen.push(b.clone());
        }
        new
    });
    // Our edits must not make any line fail that did not fail before.
    if let Some(new_error) = config
        .outcome
        .errors
        .iter()
        .find(|e| !before.contains(&(e.text.to_vec(), e.kind.clone())))
    {
        blockers.push(Blocker::NewLoadError {
            at: new_error.origin.clone(),
            error: new_error.kind.clone(),
        });
        stopped = true;
    }
    // Blocked plans write nothing: half a fix only hides the blocker. With several controls
    // (a profile), the controls a blocker set aside are named and the others are fixed.
    let by_hand_only = blockers.iter().all(|b| matches!(b, Blocker::ByHand { .. }));
    let only_set_aside =
        !stopped && (by_hand_only || (!set_aside.is_empty() && controls.len() > 1));
    if !blockers.is_empty() && !only_set_aside {
        return Ok(Plan {
            steps,
            files: Vec::new(),
            metadata: Vec::new(),
            blockers,
            config: Some(config),
        });
    }
    // `host` is the snapshot: `old` is exactly what the plan was computed from.
    let files: Vec<_> = overlay
        .changes()
        .filter_map(|(path, new)| {
            let old = host.read(path).ok();
            (old.as_deref() != Some(new)).then(|| (path.to_path_buf(), old, new.to_vec()))
        })
        .collect();
    let files = commit_order(host, machine, controls, &facts, files)?;
    Ok(Plan {
        steps,
        files,
        metadata,
        blockers,
        config: Some(config),
    })
}

/// One planned mode/owner change, with the names the report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMeta {
    /// The change [`crate::fix::apply::set_metadata`] makes.
    pub change: MetaChange,
    /// The owner's name before and after (the uid when the target's passwd lacks it).
    pub owner: (String, String),
    /// The group's name before and after.
    pub group: (String, String),
    /// The requirements (`control/requirement`) it serves.
    pub requirements: Vec<String>,
}

/// The mode/owner changes that make a failing file-permission requirement pass: set bits
/// beyond the ceiling are cleared (`mode & max`, the smallest change), the owner becomes the
/// first allowed user the target knows, the group auditd.conf's `log_group` when allowed, else
/// the first allowed group the target knows. Names resolve over the target's passwd and group
/// (id 0 is root without them).
///
/// Errors: a [`Blocker::ByHand`] when a file is a symlink (the file it names is what matters),
/// a FIFO, socket or device, a regular file with other hard links (a link to /etc/passwd in
/// the log directory would change passwd),
/// when no allowed name resolves on the target, or when the files come from auditd.conf's
/// `log_file` and lie outside a directory below `/var/log` (a `log_file` pointing at a system
/// file must not make fix change that file). Cost: O(files × allowed names × log(names)).
fn metadata_changes(
    requirement: &str,
    judged: &FilesJudgement,
    facts: &TargetFacts,
) -> Result<Vec<PlannedMeta>, Box<Blocker>> {
    let by_hand = |what: String| {
        Box::new(Blocker::ByHand {
            requirement: requirement.to_string(),
            what,
        })
    };
    let from_log_file = judged.patterns.iter().any(|p| p.contains("{auditd."));
    let id_of = |table: &std::collections::BTreeMap<u32, String>, name: &str| -> Option<u32> {
        if name == "root" {
            return Some(0);
        }
        name.parse::<u32>()
            .ok()
            .or_else(|| table.iter().find(|(_, n)| *n == name).map(|(id, _)| *id))
    };
    let log_group = facts
        .daemon_value(crate::load::configuration::AUDITD_CONF, "log_group")
        .map(|(v, _)| v);
    let mut out = Vec::new();
    for (file, problems) in judged.files.iter().filter(|(_, p)| !p.is_empty()) {
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(&file.path));
        if problems.contains(&FileProblem::Symlink) {
            return Err(by_hand(crate::report::words::symlinked_file(&path)));
        }
        // A FIFO, socket or device is not a log or configuration file to repair; a regular
        // file with other hard links would change under every other name too (a link to
        // /etc/passwd in the log directory).
        if file.special {
            return Err(by_hand(crate::report::words::special_file(&path)));
        }
        if !file.dir && file.nlink > 1 {
            return Err(by_hand(crate::report::words::hard_linked_file(
                &path, file.nlink,
            )));
        }
        // Judged where the file really is: a symlinked directory on the way (`/var/log/audit`
        // → `/etc`) must not make fix change system files that only look like logs.
        let real = PathBuf::from(std::ffi::OsStr::from_bytes(&file.real));
        let log_dir = if file.dir {
            Some(real.as_path())
        } else {
            real.parent()
        };
        let below_var_log =
            log_dir.is_some_and(|d| d.starts_with("/var/log") && d != Path::new("/var/log"));
        if from_log_file && !below_var_log {
            return Err(by_hand(crate::report::words::log_outside_var_log(
                &path, &real,
            )));
        }
        let expected = Meta {
            mode: file.mode & 0o7777,
            uid: file.uid,
            gid: file.gid,
        };
        let mut new = expected;
        for p in problems {
            match p {
                FileProblem::Mode { max } => new.mode &= max,
                FileProblem::Owner { allowed, .. } => {
                    new.uid = allowed
                        .iter()
                        .find_map(|n| id_of(&facts.user_names, n))
                        .ok_or_else(|| by_hand(crate::report::words::unknown_names(allowed)))?;
                }
                FileProblem::Group { allowed, .. } => {
                    let preferred = log_group.iter().filter(|g| allowed.contains(g));
                    new.gid = preferred
                        .chain(allowed.iter())
                        .find_map(|n| id_of(&facts.group_names, n))
                        .ok_or_else(|| by_hand(crate::report::words::unknown_names(allowed)))?;
                }
                FileProblem::Symlink => {}
            }
        }
        out.push(PlannedMeta {
            change: MetaChange {
                path,
                expected,
                new,
            },
            owner: (facts.user_name(expected.uid), facts.user_name(new.uid)),
            group: (facts.group_name(expected.gid), facts.group_name(new.gid)),
            requirements: vec![requirement.to_string()],
        });
    }
    Ok(out)
}

/// Add `changes` to `all`, one entry per file: a file two requirements touch (mode by one,
/// owner by another) gets both.
fn merge_metadata(all: &mut Vec<PlannedMeta>, changes: Vec<PlannedMeta>, requirement: &str) {
    for c in changes {
        match all.iter_mut().find(|m| m.change.path == c.change.path) {
            Some(m) => {
                let e = m.change.expected;
                if c.change.new.mode != e.mode {
                    m.change.new.mode &= c.change.new.mode;
                }
                if c.change.new.uid != e.uid {
                    m.change.new.uid = c.change.new.uid;
                    m.owner.1 = c.owner.1;
                }
                if c.change.new.gid != e.gid {
                    m.change.new.gid = c.change.new.gid;
                    m.group.1 = c.group.1;
                }
                m.requirements.push(requirement.to_string());
            }
            None => all.push(c),
        }
    }
}

/// The controls whose rules a step writes or extends (a key added, rules inserted or added,
/// syscalls appended), named by the failing events it acts on; none for a step that only
/// repairs, moves or sets something.
fn writes_rules_of(why: &Why, failing: &[Failing], machine: Machine) -> Vec<usize> {
    let of_label = |label: &str| {
        failing
            .iter()
            .filter(|f| f.event().label(machine) == label)
            .map(|f| f.control)
            .collect::<Vec<_>>()
    };
    match why {
        Why::AddKey { event, .. }
        | Why::InsertBeforeNever { event, .. }
        | Why::InsertBeforeKeyless { event, .. } => of_label(event),
        Why::AddRules { events, .. } => events.iter().flat_map(|e| of_label(e)).collect(),
        Why::ExtendSyscalls { names, abi, .. } => failing
            .iter()
            .filter(|f| {
                names.contains(&f.event().syscall_name) && abi_label(f.event().abi, machine) == abi
            })
            .map(|f| f.control)
            .collect(),
        Why::RepairJoin { .. }
        | Why::MoveLockToEnd { .. }
        | Why::Repair { .. }
        | Why::MoveDeleteAllToTop { .. }
        | Why::MoveBeforeNever { .. }
        | Why::SetDaemon { .. }
        | Why::SetControl { .. } => Vec::new(),
    }
}

/// Whether `fix` may write `path`: only a regular file under `/etc/audit/` that the loader reads
/// as rules — a top-level `*.rules` in `/etc/audit/rules.d/` whose name does not start with a
/// dot (augenrules), or the auditctl-mode rules file when it is under `/etc/audit/` — and never
/// through a symlink (of the file or of a directory on the way) that leads anywhere else. A
/// missing file is fine (it is created). Reading such a file for the simulation is not
/// affected: this only guards writes (issue 9 item 1: a `rules.d` link to `/etc/shadow`, a unit
/// running `auditctl -R /etc/passwd`).
///
/// Errors: the [`NotWritable`] reason. Cost: one resolution of the path (`O(components +
/// symlinks)` stats).
pub fn writable(host: &dyn Host, mode: &Mode, path: &Path) -> Result<(), NotWritable> {
    if !is_rules_path(mode, path) {
        return Err(if is_under_audit(path) {
            NotWritable::NotLoadedAsRules
        } else {
            NotWritable::OutsideAudit
        });
    }
    let resolved = resolve_target(host, path.as_os_str().as_bytes(), true);
    let resolved = PathBuf::from(OsStr::from_bytes(&resolved));
    if resolved != path && !is_rules_path(mode, &resolved) {
        return Err(NotWritable::Symlink { target: resolved });
    }
    match host.stat(path) {
        Ok(m) if m.kind != FileKind::File => Err(NotWritable::NotRegular),
        _ => Ok(()),
    }
}

/// Whether `set-daemon` may write auditd's configuration: that one file, a regular file
/// itself (never reached through a symlink), or missing (it is created).
fn daemon_conf_writable(host: &dyn Host, path: &Path) -> Result<(), NotWritable> {
    if path != Path::new(crate::load::configuration::AUDITD_CONF) {
        return Err(NotWritable::NotLoadedAsRules);
    }
    let resolved = resolve_target(host, path.as_os_str().as_bytes(), false);
    if resolved != path.as_os_str().as_bytes() {
        return Err(NotWritable::Symlink {
            target: PathBuf::from(OsStr::from_bytes(&resolved)),
        });
    }
    match host.lstat(path) {
        Ok(m) if m.kind != FileKind::File => Err(NotWritable::NotRegular),
        _ => Ok(()),
    }
}

/// `/etc/audit/` and below, spelled without `.` or `..`.
fn is_under_audit(path: &Path) -> bool {
    path.is_absolute()
        && path
            .components()
            .all(|c| !matches!(c, Component::ParentDir | Component::CurDir))
        && path.starts_with("/etc/audit")
        && path != Path::new("/etc/audit")
}

/// A path the loader reads as rules (by name only; see [`writable`]).
fn is_rules_path(mode: &Mode, path: &Path) -> bool {
    if !is_under_audit(path) {
        return false;
    }
    let name = path.file_name().map(OsStrExt::as_bytes).unwrap_or_default();
    let in_rules_d = path.parent() == Some(Path::new(RULES_D))
        && name.ends_with(b".rules")
        && !name.starts_with(b".");
    // The auditctl-mode file too must be named like a rules file: `auditctl -R
    // /etc/audit/auditd.conf` in a unit does not make auditd's configuration ours to edit.
    let auditctl_file = matches!(mode, Mode::Auditctl(f) if f == path)
        && name.ends_with(b".rules")
        && !name.starts_with(b".");
    in_rules_d || auditctl_file
}

/// How many of the controls' events a configuration records with a key, as a number to
/// compare between states of the same target (required events recorded, minus advice events
/// not recorded).
fn recorded(
    controls: &[Control],
    config: &Configuration,
    machine: Machine,
    facts: &TargetFacts,
) -> isize {
    let assessment = assess_configuration(controls, config, machine, facts);
    let mut n: isize = 0;
    for c in &assessment.controls {
        for r in &c.requirements {
            n += r
                .events
                .iter()
                .filter(|e| e.verdict() == Verdict::Pass)
                .count() as isize;
        }
        for a in &c.advice {
            if let crate::control::finding::Advice::Unaudited(j) = a {
                if j.verdict() != Verdict::Pass {
                    n -= 1;
                }
            }
        }
    }
    n
}

/// One file of a plan: target path, bytes the plan was made from (`None`: new), new bytes.
pub type PlannedFile = (PathBuf, Option<Vec<u8>>, Vec<u8>);

/// Most files whose commit orders are searched; beyond, additions-first order is kept.
const MAX_ORDERED: usize = 6;

/// The order to commit `files` in so that a crash between two renames never leaves the target
/// less compliant than it was: every prefix of the order, applied to `host`, records at least
/// as many of the controls' events as `host` does now. Tried first: files that gain lines
/// before files that lose them (for a line moved between files, the file that gains it), then
/// path order; the first order whose every prefix holds is taken (depth-first, a prefix that
/// records fewer events is not extended). If none holds, the additions-first order.
///
/// Cost: at most `n!` prefix simulations for `n ≤` [`MAX_ORDERED`] files (a plan touches one
/// to three), each a full load simulation; errors: the simulation's.
fn commit_order(
    host: &dyn Host,
    machine: Machine,
    controls: &[Control],
    facts: &TargetFacts,
    mut files: Vec<PlannedFile>,
) -> Result<Vec<PlannedFile>, PlanError> {
    let lines = |b: &[u8]| Lines::parse(b).len() as isize;
    files.sort_by_key(|(_, old, new)| -(lines(new) - old.as_deref().map_or(0, lines)));
    if files.len() < 2 || files.len() > MAX_ORDERED {
        return Ok(files);
    }
    let base = recorded(controls, &configure(host, machine)?, machine, facts);
    let mut order = Vec::new();
    let mut used = vec![false; files.len()];
    let found = search_order(
        host, machine, controls, facts, &files, base, &mut order, &mut used,
    )?;
    if !found {
        return Ok(files);
    }
    Ok(order.into_iter().map(|i| files[i].clone()).collect())
}

/// Depth-first search of [`commit_order`]: extend `order` by every unused file whose prefix
/// still records at least `base` events.
#[allow(clippy::too_many_arguments)]
fn search_order(
    host: &dyn Host,
    machine: Machine,
    controls: &[Control],
    facts: &TargetFacts,
    files: &[PlannedFile],
    base: isize,
    order: &mut Vec<usize>,
    used: &mut [bool],
) -> Result<bool, PlanError> {
    if order.len() + 1 >= files.len() {
        // The last file completes the plan, which is checked as a whole.
        if let Some(last) = (0..files.len()).find(|i| !used[*i]) {
            order.push(last);
        }
        return Ok(true);
    }
    for i in 0..files.len() {
        if used[i] {
            continue;
        }
        let mut overlay = Overlay::new(host);
        for &j in order.iter().chain([&i]) {
            overlay.put(&files[j].0, files[j].2.clone());
        }
        let config = configure(&overlay, machine)?;
        if recorded(controls, &config, machine, facts) < base {
            continue;
        }
        order.push(i);
        used[i] = true;
        if search_order(host, machine, controls, facts, files, base, order, used)? {
            return Ok(true);
        }
        order.pop();
        used[i] = false;
    }
    Ok(false)
}

/// A required event that is not recorded with a key, with its cause.
pub struct Failing {
    judgement: Judgement,
    requirement: String,
    control: usize,
}

impl Failing {
    fn event(&self) -> &Event {
        &self.judgement.event
    }

    fn cause(&self) -> &Cause {
        &self.judgement.cause
    }

    /// An advice-only event (it never fails the control).
    fn is_advice(&self) -> bool {
        self.requirement.is_empty()
    }
}

/// The events to fix: every failing required event, and the advice-only ones (finit_module)
/// alongside when a required one fails — or when `edited(control)`: the plan already wrote
/// or extended the control's rules, so it completes them (the same whichever step that was).
fn failing_events(
    controls: &[Control],
    config: &Configuration,
    assessment: &crate::control::evaluate::Assessment,
    edited: &dyn Fn(usize) -> bool,
) -> (Vec<Failing>, Vec<String>) {
    // The key each control's events already carry on this host: the first covered one whose
    // rule serves the control (a rule that records its events only as a side effect, such as
    // a deletion rule catching the unlink of a watched file, does not name its purpose).
    let rules = &config.outcome.rules;
    let keys = assessment
        .controls
        .iter()
        .zip(controls)
        .map(|(c, control)| {
            c.requirements
                .iter()
                .flat_map(|r| &r.events)
                .find_map(|e| match &e.cause {
                    Cause::Covered { key, rule } if serves(&rules[*rule], control, e.event.abi) => {
                        Some(String::from_utf8_lossy(key).into_owned())
                    }
                    _ => None,
                })
                .unwrap_or_else(|| control.remediation.key.clone())
        })
        .collect();
    let mut out = Vec::new();
    for (ci, c) in assessment.controls.iter().enumerate() {
        let required: Vec<Failing> = c
            .failing()
            .map(|(r, j)| Failing {
                judgement: j.clone(),
                requirement: r.id.clone(),
                control: ci,
            })
            .collect();
        if required.is_empty() && !edited(ci) {
            continue;
        }
        // Requirement order as in the control, advice events after the first required one of
        // their requirement (as the expectations list them).
        let mut with_advice: Vec<Failing> = Vec::new();
        for f in required {
            with_advice.push(f);
        }
        for a in &c.advice {
            if let crate::control::finding::Advice::Unaudited(j) = a {
                if j.verdict() != Verdict::Pass {
                    with_advice.push(Failing {
                        judgement: j.clone(),
                        requirement: String::new(),
                        control: ci,
                    });
                }
            }
        }
        out.extend(with_advice);
    }
    (out, keys)
}

/// The loader settings that do not end as their requirement demands.
fn failing_settings(
    assessment: &crate::control::evaluate::Assessment,
) -> Vec<(usize, String, SettingJudgement)> {
    let mut out = Vec::new();
    for (ci, c) in assessment.controls.iter().enumerate() {
        for r in &c.requirements {
            if let Some(crate::control::finding::Check::Setting(j)) = &r.check {
                if j.verdict() != Verdict::Pass {
                    out.push((ci, r.id.clone(), j.clone()));
                }
            }
        }
    }
    out
}

/// The daemon settings whose value is not accepted.
fn failing_daemon(
    controls: &[Control],
    assessment: &crate::control::evaluate::Assessment,
) -> Vec<(usize, crate::control::Requirement, DaemonJudgement)> {
    use crate::control::finding::Check;
    let mut out = Vec::new();
    for (ci, c) in assessment.controls.iter().enumerate() {
        for r in &c.requirements {
            if let Some(Check::Daemon(d)) = &r.check {
                if d.verdict() == Verdict::Fail {
                    if let Some(q) = controls[ci].requirements.iter().find(|q| q.id == r.id) {
                        out.push((ci, q.clone(), d.clone()));
                    }
                }
            }
        }
    }
    out
}

/// Give the first unaccepted daemon setting an accepted value: on its last line (the one
/// auditd uses), or on a line added at the end of the file.
fn set_daemon(s: &State) -> Option<Next> {
    use crate::control::finding::DaemonCause;
    let (c, req, d) = s.daemon.first()?;
    // The other items of the plan that name this keyword in this file with a list of values:
    // the value must be one every one of them accepts (a profile may hold two benchmarks'
    // items: the STIG's disk_full_action syslog/single/halt and CIS's halt/single).
    let others: Vec<(&Control, &crate::control::Requirement)> = s
        .controls
        .iter()
        .enumerate()
        .filter(|(i, _)| i != c)
        .flat_map(|(_, o)| o.requirements.iter().map(move |r| (o, r)))
        .filter(|(_, r)| {
            r.kind == RequirementKind::DaemonSetting
                && r.key == req.key
                && r.file == req.file
                && !r.allowed.is_empty()
        })
        .collect();
    let accepted_by_all = |v: &str| {
        others
            .iter()
            .all(|(_, r)| r.allowed.iter().any(|a| a.eq_ignore_ascii_case(v)))
    };
    let value = match (req.fix_value.as_ref(), req.allowed.first(), req.min) {
        (Some(v), _, _) if accepted_by_all(v) => v.clone(),
        (_, Some(_), _) if req.allowed.iter().any(|a| accepted_by_all(a)) => {
            req.allowed.iter().find(|a| accepted_by_all(a))?.clone()
        }
        (_, Some(_), _) => {
            let (other, o) = others.iter().find(|(_, r)| {
                !r.allowed
                    .iter()
                    .any(|a| req.allowed.iter().any(|b| b.eq_ignore_ascii_case(a)))
            })?;
            return Some(Next::Blocked(Blocker::Conflict {
                requirement: format!("{}/{}", s.controls[*c].id, req.id),
                key: d.key.clone(),
                wanted: req.allowed.clone(),
                other: format!("{}/{}", other.id, o.id),
                other_wanted: o.allowed.clone(),
            }));
        }
        (Some(v), None, _) => v.clone(),
        (None, None, Some(m)) if req.percent => format!("{m}%"),
        (None, None, Some(m)) => m.to_string(),
        (None, None, None) => return None,
    };
    let file = PathBuf::from(&d.file);
    let line = match &d.cause {
        DaemonCause::Refused { line, reason } => {
            return Some(Next::Blocked(Blocker::DaemonConfRefused {
                file: d.file.clone(),
                line: *line,
                reason: reason.clone(),
            }))
        }
        DaemonCause::NotAccepted { line, .. } => *line,
        _ => return None,
    };
    let text = format!("{} = {value}", d.key);
    let mut next = if line > 0 {
        let mut lines = Lines::parse(&s.host.read(&file).ok()?);
        lines.replace(line as usize, text.as_bytes());
        lines.to_bytes()
    } else {
        let len = s
            .host
            .read(&file)
            .map(|t| Lines::parse(&t).len())
            .unwrap_or(0);
        insert_lines(s.host, &file, len + 1, &[text.into_bytes()])?
    };
    // Never write a file auditd would refuse. A new or sparse file fails auditd's own sanity
    // check (space_left must exceed admin_space_left, both 0 when absent): give the missing
    // ones auditd's shipped values.
    let mut conf = crate::load::auditd_conf::parse(&next);
    if conf.refused.is_some() {
        for (key, shipped) in [("space_left", "75"), ("admin_space_left", "50")] {
            if conf.get(key).is_none() {
                let len = Lines::parse(&next).len();
                let mut lines = Lines::parse(&next);
                lines.insert(len + 1, format!("{key} = {shipped}").as_bytes());
                next = lines.to_bytes();
            }
        }
        conf = crate::load::auditd_conf::parse(&next);
    }
    if let Some(r) = conf.refused {
        return Some(Next::Blocked(Blocker::DaemonConfRefused {
            file: d.file.clone(),
            line: r.line,
            reason: format!("after setting {} = {value}: {}", d.key, r.reason),
        }));
    }
    Some(Next::edit(
        file,
        next,
        Why::SetDaemon {
            file: d.file.clone(),
            key: d.key.clone(),
            value,
        },
    ))
}

/// The line that sets a loader setting to its wanted value.
fn setting_line(j: &SettingJudgement) -> String {
    match j.setting {
        Setting::Enabled => format!("-e {}", j.wanted.unwrap_or(1)),
        Setting::Failure => format!("-f {}", j.wanted.unwrap_or(1)),
        Setting::LoginuidImmutable => "--loginuid-immutable".to_string(),
    }
}

/// Add the line of the first setting that does not end as required. `-e 2` that is set but not
/// last is moved to the end instead (auditctl mode; augenrules already moves it last).
fn set_control(s: &State) -> Option<Next> {
    let (ci, requirement, j) = s.settings.first()?;
    if let SettingCause::NothingLoaded { .. } = j.cause {
        return Some(Next::Blocked(Blocker::Setting {
            requirement: format!("{}/{requirement}", s.controls[*ci].id),
            judgement: j.clone(),
        }));
    }
    if let (SettingCause::NotLast { lock, .. }, Mode::Auditctl(file)) = (&j.cause, &s.config.mode) {
        let next = move_line_to_end(s.host, file, lock.line as usize)?;
        return Some(Next::edit(
            file.clone(),
            next,
            Why::MoveLockToEnd { lock: lock.clone() },
        ));
    }
    let line = setting_line(j);
    let control = &s.controls[*ci];
    // The load ends with another value: change that line's value (the last one wins in both
    // loaders, so a line added elsewhere may sort before it and change nothing).
    if let SettingCause::Other { at, .. } = &j.cause {
        let mut lines = Lines::parse(&s.host.read(&at.file).ok()?);
        let old = lines.get(at.line as usize)?.to_vec();
        let flag: &[u8] = if j.setting == Setting::Enabled {
            b"-e"
        } else {
            b"-f"
        };
        let tokens: Vec<&[u8]> = old
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        let i = tokens.iter().position(|t| *t == flag)?;
        let value = j.wanted?.to_string();
        let new: Vec<&[u8]> = tokens
            .iter()
            .enumerate()
            .map(|(k, t)| if k == i + 1 { value.as_bytes() } else { *t })
            .collect();
        lines.replace(at.line as usize, &new.join(&b' '));
        return Some(Next::edit(
            at.file.to_path_buf(),
            lines.to_bytes(),
            Why::SetControl {
                line,
                requirement: format!("{}/{}", control.id, requirement),
            },
        ));
    }
    let (file, at) = match (&s.config.mode, j.setting) {
        // The last -e wins: in auditctl -R mode it goes at the very end.
        (Mode::Auditctl(file), Setting::Enabled) => {
            let len = s
                .host
                .read(file)
                .map(|t| Lines::parse(&t).len())
                .unwrap_or(0);
            (file.clone(), len + 1)
        }
        _ => target_file(control, &s.keys[*ci], s.config, s.host),
    };
    // Already written there and still not in effect: another edit would change nothing.
    if s.host
        .read(&file)
        .is_ok_and(|t| Lines::parse(&t).iter().any(|(_, l)| l == line.as_bytes()))
    {
        return Some(Next::Blocked(Blocker::Setting {
            requirement: format!("{}/{}", control.id, requirement),
            judgement: j.clone(),
        }));
    }
    let next = insert_lines(s.host, &file, at, &[line.clone().into_bytes()])?;
    Some(Next::edit(
        file,
        next,
        Why::SetControl {
            line,
            requirement: format!("{}/{}", control.id, requirement),
        },
    ))
}

fn foreign_blocker(s: &State) -> Option<Next> {
    let rules = &s.config.outcome.rules;
    s.failing.iter().find_map(|f| {
        let blocker = match f.cause() {
            Cause::TaskSuppressed { rule, .. }
            | Cause::TaskRecorded { rule, .. }
            | Cause::Excluded { rule, .. } => Some(*rule),
            Cause::Shadowed { rule } | Cause::PartlyLost { rule, .. }
                if is_prepended_never(&rules[*rule]) =>
            {
                Some(*rule)
            }
            _ => None,
        }?;
        Some(Next::Blocked(Blocker::ForeignRule {
            event: f.event().label(s.machine),
            cause: f.cause().clone(),
            origin: rules[blocker].origin.clone(),
            text: rules[blocker].text.clone(),
        }))
    })
}

fn repair_join(s: &State) -> Option<Next> {
    s.failing.iter().find_map(|f| {
        let crate::control::finding::Missed::Swallowed(i) = f.judgement.missed? else {
            return None;
        };
        let (rule, joined) = &s.config.outcome.swallowed[i];
        let mut text = s.host.read(&joined.file).ok()?;
        if text.ends_with(b"\n") {
            return None;
        }
        text.push(b'\n');
        Some(Next::edit(
            joined.file.to_path_buf(),
            text,
            Why::RepairJoin {
                joined: joined.clone(),
                swallowed: rule.origin.clone(),
            },
        ))
    })
}

fn boot_state(s: &State) -> Option<Next> {
    s.failing.iter().find_map(|f| match f.cause() {
        Cause::AuditDisabled { by } => {
            Some(Next::Blocked(Blocker::AuditDisabled { by: by.clone() }))
        }
        Cause::NothingLoaded { reason } => Some(Next::Blocked(Blocker::NothingLoaded {
            reason: reason.clone(),
        })),
        _ => None,
    })
}

fn refused_rules_file(s: &State) -> Option<Next> {
    let e =
        s.config.outcome.errors.iter().find(|e| {
            matches!(e.kind, LoadErrorKind::RulesFile(_)) && s.host.exists(&e.origin.file)
        })?;
    Some(Next::Blocked(Blocker::RulesFile {
        file: e.origin.file.to_path_buf(),
        error: e.kind.clone(),
    }))
}

fn load_stop(s: &State) -> Option<Next> {
    let stop = s.config.outcome.stopped_at.as_ref()?;
    if let (Mode::Auditctl(file), Some(lock)) = (&s.config.mode, &s.config.outcome.locked_at) {
        if let Some(next) = move_line_to_end(s.host, file, lock.line as usize) {
            return Some(Next::edit(
                file.clone(),
                next,
                Why::MoveLockToEnd { lock: lock.clone() },
            ));
        }
    }
    let stopping = s.config.outcome.errors.iter().find(|e| e.origin == *stop);
    let error = stopping
        .map(|e| e.kind.clone())
        .unwrap_or(LoadErrorKind::Syntax(String::new()));
    // A line the control itself requires, refused because its directory is missing on this
    // image: never disable it; the missing directory is the blocker.
    if let (Some(rule), LoadErrorKind::NoEntry { .. }) =
        (stopping.and_then(|e| e.rule.as_deref()), &error)
    {
        let required = s.controls.iter().any(|c| {
            c.requirements.iter().flat_map(|q| &q.paths).any(|p| {
                rule.fields
                    .iter()
                    .any(|f| f.kind == FieldType::PATH && f.bytes() == Some(p.as_bytes()))
            })
        });
        if required {
            let path = rule
                .fields
                .iter()
                .find(|f| f.kind == FieldType::PATH)
                .and_then(|f| f.bytes())
                .unwrap_or_default();
            let dir = Path::new(OsStr::from_bytes(path))
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            return Some(Next::Blocked(Blocker::MissingDirectory {
                at: stop.clone(),
                dir,
            }));
        }
    }
    if s.opts.repair {
        if let Some((contents, repair)) = repair_line(s.host, stop, &error) {
            return Some(Next::edit(
                stop.file.to_path_buf(),
                contents,
                Why::Repair {
                    at: stop.clone(),
                    repair,
                },
            ));
        }
    }
    Some(Next::Blocked(Blocker::LoadStops {
        at: stop.clone(),
        repair: repair_preview(s.host, stop, &error),
        error,
    }))
}

fn delete_all_to_top(s: &State) -> Option<Next> {
    let Mode::Auditctl(file) = &s.config.mode else {
        return None;
    };
    let n = misplaced_delete_all(s.config)?;
    let next = move_line_to_top(s.host, file, n)?;
    Some(Next::edit(
        file.clone(),
        next,
        Why::MoveDeleteAllToTop {
            at: Origin {
                file: std::sync::Arc::from(file.as_path()),
                line: n as u32,
            },
        },
    ))
}

fn add_missing_key(s: &State) -> Option<Next> {
    let rules = &s.config.outcome.rules;
    s.failing.iter().find_map(|f| {
        let i = match f.cause() {
            Cause::Keyless { rule } => *rule,
            Cause::PartlyLost { rule, .. } if rules[*rule].rule.action == Action::Always => *rule,
            _ => return None,
        };
        let control = &s.controls[f.control];
        if !serves(&rules[i], control, f.event().abi) {
            return None;
        }
        let key = &s.keys[f.control];
        let next = add_key(s.host, &rules[i], key)?;
        Some(Next::edit(
            rules[i].origin.file.to_path_buf(),
            next,
            Why::AddKey {
                key: key.clone(),
                rule: rules[i].origin.clone(),
                event: f.event().label(s.machine),
            },
        ))
    })
}

/// The appended never rule that catches the event first, if any.
fn never_of(f: &Failing, rules: &[LoadedRule]) -> Option<usize> {
    match f.cause() {
        Cause::Shadowed { rule } => Some(*rule),
        Cause::PartlyLost { rule, .. } if rules[*rule].rule.action == Action::Never => Some(*rule),
        _ => None,
    }
}

fn move_before_never(s: &State) -> Option<Next> {
    let rules = &s.config.outcome.rules;
    s.failing.iter().find_map(|f| {
        let next = move_before(s.host, rules, never_of(f, rules)?, f, s.machine)?;
        // A move between two files is two commits: a crash between them must not leave less
        // recorded than now. When neither half alone keeps that (the copy in both files
        // stops the load with "Rule exists" before later rules; the removal alone loses what
        // the line did record), leave it to insert-before-never (one file).
        match &next {
            Next::Edit(files, _) if files.len() > 1 && !some_half_keeps(s, files) => None,
            _ => Some(next),
        }
    })
}

/// Whether committing one of `files` alone (the others as they are now) records at least as
/// many events as now. Cost: one load simulation per file.
fn some_half_keeps(s: &State, files: &[(PathBuf, Vec<u8>)]) -> bool {
    let facts = facts(s.host, s.controls);
    let now = recorded(s.controls, s.config, s.machine, &facts);
    files.iter().any(|(path, contents)| {
        let mut half = Overlay::new(s.host);
        half.put(path, contents.clone());
        configure(&half, s.machine)
            .is_ok_and(|c| recorded(s.controls, &c, s.machine, &facts) >= now)
    })
}

fn insert_before_never(s: &State) -> Option<Next> {
    let rules = &s.config.outcome.rules;
    insert_before(s, &|f| never_of(f, rules), |count, never, event| {
        Why::InsertBeforeNever {
            count,
            never,
            event,
        }
    })
}

/// Insert canonical rules of the first failing event's control just before the rule that
/// `catcher` says catches it first, for every failing event of that control it catches.
fn insert_before(
    s: &State,
    catcher: &dyn Fn(&Failing) -> Option<usize>,
    why: fn(usize, Origin, String) -> Why,
) -> Option<Next> {
    let rules = &s.config.outcome.rules;
    let (f, i) = s.failing.iter().find_map(|f| catcher(f).map(|i| (f, i)))?;
    let caught: Vec<&Failing> = s
        .failing
        .iter()
        .filter(|g| g.control == f.control && catcher(g) == Some(i))
        .collect();
    let lines = new_rule_lines(s, f.control, &caught);
    let origin = &rules[i].origin;
    let next = insert_lines(s.host, &origin.file, origin.line as usize, &lines)?;
    Some(Next::edit(
        origin.file.to_path_buf(),
        next,
        why(lines.len(), origin.clone(), f.event().label(s.machine)),
    ))
}

/// The keyless `always` rule of another purpose (one the control may not re-key) that catches
/// the event first, if any. A rule added with `-A` is left out: nothing appended comes before
/// it.
fn foreign_keyless_of(s: &State, f: &Failing) -> Option<usize> {
    let rules = &s.config.outcome.rules;
    let i = match f.cause() {
        Cause::Keyless { rule } => *rule,
        Cause::PartlyLost { rule, .. } if rules[*rule].rule.action == Action::Always => *rule,
        _ => return None,
    };
    let r = &rules[i];
    (!r.prepended && !r.rule.has_key() && !serves(r, &s.controls[f.control], f.event().abi))
        .then_some(i)
}

fn insert_before_keyless(s: &State) -> Option<Next> {
    insert_before(s, &|f| foreign_keyless_of(s, f), |count, rule, event| {
        Why::InsertBeforeKeyless { count, rule, event }
    })
}

/// The failing events nothing records (fully or for all), of the first control that has any.
fn missing_of_first_control<'f>(s: &State<'f>) -> Vec<&'f Failing> {
    let missing = s.failing.iter().filter(|f| {
        matches!(
            f.cause(),
            Cause::Missing
                | Cause::Narrowed { .. }
                | Cause::WatchOnSymlink { .. }
                | Cause::TreeOnSymlink { .. }
        )
    });
    let Some(first) = missing.clone().next() else {
        return Vec::new();
    };
    missing.filter(|f| f.control == first.control).collect()
}

fn extend_syscall_list(s: &State) -> Option<Next> {
    let of_control = missing_of_first_control(s);
    let control = &s.controls[of_control.first()?.control];
    extend_syscalls(
        s.host,
        &s.config.outcome.rules,
        control,
        &of_control,
        s.failing,
        s.machine,
    )
}

fn add_rules(s: &State) -> Option<Next> {
    let of_control = missing_of_first_control(s);
    let first = of_control.first()?;
    let control = &s.controls[first.control];
    let lines = new_rule_lines(s, first.control, &of_control);
    if lines.is_empty() {
        return Some(Next::Blocked(Blocker::Unwritable {
            event: first.event().label(s.machine),
            cause: first.cause().clone(),
        }));
    }
    let (file, at) = target_file(control, &s.keys[first.control], s.config, s.host);
    let next = insert_lines(s.host, &file, at, &lines)?;
    Some(Next::edit(
        file,
        next,
        Why::AddRules {
            count: lines.len(),
            events: of_control
                .iter()
                .map(|f| f.event().label(s.machine))
                .collect(),
        },
    ))
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
            && matches(&r.rule, r.watch.as_deref(), f.event()) == Tri::Always
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
        Why::MoveBeforeNever {
            from: from.clone(),
            never: target.clone(),
            event: f.event().label(machine),
        },
    ))
}

/// A never rule added with `-A` (as the load recorded it, however the line is spelled):
/// nothing appended can come before it.
fn is_prepended_never(r: &LoadedRule) -> bool {
    r.rule.action == Action::Never && r.prepended
}

/// Whether a loaded rule already serves `control` (so `fix` may extend or re-key it): it
/// carries the control's key, watches one of the control's paths, or its syscalls (on the
/// event's ABI) are all the control's. Never a rule that records another purpose's events.
fn serves(r: &LoadedRule, control: &Control, abi: Machine) -> bool {
    let key = control.remediation.key.as_bytes();
    if r.rule.keys().contains(&key) {
        return true;
    }
    let paths = || control.requirements.iter().flat_map(|q| &q.paths);
    if let Some(watched) = r.rule.fields.iter().find(|f| f.kind == FieldType::PATH) {
        let watched = watched.bytes().unwrap_or_default();
        return paths().any(|p| p.as_bytes() == watched)
            || r.watch
                .as_deref()
                .is_some_and(|w| paths().any(|p| p.as_bytes() == w));
    }
    if r.rule.mask.is_all() {
        return false;
    }
    let ours: Vec<u32> = control
        .requirements
        .iter()
        .flat_map(|q| q.syscalls.iter().chain(&q.advice_syscalls))
        .chain(&control.remediation.syscalls)
        .filter_map(|n| syscalls::number(abi, n))
        .collect();
    let mut any = false;
    for nr in r.rule.mask.bits() {
        if !ours.contains(&nr) {
            return false;
        }
        any = true;
    }
    any
}

/// The canonical lines for the failing events of one control: one syscall rule per ABI and
/// event class (who, outcome, arguments), listing every remediation syscall not yet recorded
/// for it — with the class's filters for schema-2 controls (`-F auid>=UID_MIN -F auid!=unset`
/// for users, `-F exit=-EACCES`, `-C uid!=euid -F euid=0`, ...), as the benchmarks write them;
/// one watch per executed path — on the file really executed when the named path is a
/// symlink (a watch on the link never fires); and one watch per changed file or tree, in the
/// host's style (`-w`, or per-arch `-F path=`/`-F dir=` rules where the host writes those). The
/// key is the one the host already uses for the control.
fn new_rule_lines(s: &State, ci: usize, these: &[&Failing]) -> Vec<Vec<u8>> {
    let control = &s.controls[ci];
    let (machine, host, all_failing) = (s.machine, s.host, s.failing);
    let key = &s.keys[ci];
    let unknown_ok = s.config.layout == Layout::ConfigOnly;
    let filtered = control.schema == Some(2);
    // The key as the host writes it (schema-2 controls): `-k` where its rules use that, else
    // `-F key=` (the seed's lines keep their established form).
    let key_field = if filtered && host_writes_dash_k(&s.config.outcome.rules) {
        format!(" -k {key}")
    } else {
        format!(" -F key={key}")
    };
    let mut lines = Vec::new();
    // (abi, who, outcome, args) of the failing syscall events, first seen first.
    let mut classes: Vec<(Machine, Who, Outcome, Vec<crate::control::ArgSpec>, u32)> = Vec::new();
    let mut paths: BTreeSet<Vec<u8>> = BTreeSet::new();
    // (path, below, access letters, who) of the failing watch events.
    let mut watched: Vec<(Vec<u8>, bool, String, Who, u32)> = Vec::new();
    for f in these {
        let e = f.event();
        if let Some(o) = &e.object {
            let access: String = control
                .requirements
                .iter()
                .find(|q| q.id == f.requirement)
                .map(|q| q.access().to_string())
                .unwrap_or_else(|| "wa".into());
            if !watched.iter().any(|w| w.0 == o.path) {
                watched.push((o.path.clone(), o.below, access, e.who, e.auid_min));
            }
            continue;
        }
        match (&e.exec_path, &e.exec_target) {
            (None, _) => {
                let class = (e.abi, e.who, e.outcome, e.args.clone(), e.auid_min);
                if !classes.contains(&class) {
                    classes.push(class);
                }
            }
            (Some(named), Some(target)) if named != target => {
                paths.insert(target.clone());
            }
            (Some(_), _) => {
                if let Some(p) = requirement_path(control, f) {
                    paths.insert(p);
                }
                // Layout unknown: a watch on the name records nothing where the name is a
                // symlink, so the usual link targets are watched as well.
                if unknown_ok {
                    for q in control
                        .requirements
                        .iter()
                        .filter(|q| q.id == f.requirement)
                    {
                        paths.extend(q.link_targets.iter().map(|t| t.as_bytes().to_vec()));
                    }
                }
            }
        }
    }
    for abi in machine.abis() {
        for (_, who, outcome, args, auid_min) in classes.iter().filter(|c| c.0 == abi) {
            let names: Vec<&str> = control
                .remediation
                .syscalls
                .iter()
                .map(String::as_str)
                .filter(|s| syscalls::number(abi, s).is_some())
                .filter(|s| {
                    all_failing.iter().any(|f| {
                        let e = f.event();
                        e.abi == abi
                            && e.exec_path.is_none()
                            && e.object.is_none()
                            && e.who == *who
                            && e.outcome == *outcome
                            && e.args == *args
                            && e.syscall_name == *s
                    })
                })
                .collect();
            if names.is_empty() {
                continue;
            }
            let mut line = format!(
                "-a always,exit -F arch={} -S {}",
                abi_label(abi, machine),
                names.join(",")
            );
            if filtered {
                line.push_str(&class_filters(*who, *outcome, args, *auid_min));
            }
            line.push_str(&key_field);
            lines.push(line.into_bytes());
        }
    }
    let parent_missing = |p: &[u8]| {
        let parent = Path::new(std::str::from_utf8(p).unwrap_or("/")).parent();
        !unknown_ok && parent.is_some_and(|d| !host.exists(d))
    };
    for p in paths {
        // The kernel refuses a watch whose directory is missing (ENOENT): never write one on
        // an OS image (on a configuration-only tree the directory is unknown, not missing).
        if parent_missing(&p) {
            continue;
        }
        if filtered {
            // The benchmarks' form: one exec rule for every ABI, by users (a `-w` would record
            // every daemon's run of the program too).
            let auid_min = these.first().map_or(1000, |f| f.event().auid_min);
            let mut line = b"-a always,exit -F path=".to_vec();
            line.extend_from_slice(&p);
            line.extend_from_slice(
                format!(
                    " -F perm=x{}{key_field}",
                    class_filters(Who::Users, Outcome::Any, &[], auid_min)
                )
                .as_bytes(),
            );
            lines.push(line);
            continue;
        }
        let mut line = b"-w ".to_vec();
        line.extend_from_slice(&p);
        line.extend_from_slice(format!(" -p x -k {key}").as_bytes());
        lines.push(line);
    }
    let per_arch = uses_per_arch_path_rules(&s.config.outcome.rules);
    for (p, below, access, who, auid_min) in watched {
        // A tree watch needs the directory: auditctl's `-w` on a missing one makes a path=
        // watch on its name, which misses writes to the files in it once it exists.
        if parent_missing(&p)
            || (below && !unknown_ok && !host.exists(Path::new(OsStr::from_bytes(&p))))
        {
            continue;
        }
        let path = String::from_utf8_lossy(&p);
        if per_arch {
            for abi in machine.abis() {
                let field = if below { "dir" } else { "path" };
                let mut line = format!(
                    "-a always,exit -F arch={} -F {field}={path} -F perm={access}",
                    abi_label(abi, machine)
                );
                if who != Who::Everyone {
                    line.push_str(&class_filters(who, Outcome::Any, &[], auid_min));
                }
                line.push_str(&key_field);
                lines.push(line.into_bytes());
            }
        } else {
            // A trailing `/` makes auditctl's `-w` a tree watch (dir=) even where the
            // directory does not exist yet.
            let slash = if below && !path.ends_with('/') {
                "/"
            } else {
                ""
            };
            lines.push(format!("-w {path}{slash} -p {access} -k {key}").into_bytes());
        }
    }
    // A line the configuration already holds would only be refused ("Rule exists").
    let held: HashSet<&[u8]> = s
        .config
        .outcome
        .rules
        .iter()
        .map(|r| r.text.as_ref())
        .collect();
    lines.retain(|l| !held.contains(l.as_slice()));
    lines
}

/// The `-F`/`-C` filters that select an event class, as the benchmarks write them.
fn class_filters(
    who: Who,
    outcome: Outcome,
    args: &[crate::control::ArgSpec],
    auid_min: u32,
) -> String {
    let users = format!(" -F auid>={auid_min} -F auid!=unset");
    let mut f = match who {
        Who::Users => users,
        Who::RootLogins => " -F auid=0".to_string(),
        Who::Everyone => String::new(),
        Who::SetuidToRoot => " -C uid!=euid -F euid=0".to_string(),
        Who::SetgidToRoot => " -C gid!=egid -F egid=0".to_string(),
        Who::CronRoot => " -F subj_type=crond_t -F euid=0".to_string(),
        Who::CronUsers => format!(" -F subj_type=crond_t{users}"),
        Who::AsOtherUser => " -C euid!=uid -F auid!=unset".to_string(),
    };
    match outcome {
        Outcome::Any => {}
        Outcome::Success => f.push_str(" -F success=1"),
        Outcome::Failed(e) => match crate::model::names::errno_name(e) {
            Some(n) => f.push_str(&format!(" -F exit=-{n}")),
            None => f.push_str(&format!(" -F exit=-{e}")),
        },
    }
    for a in args {
        match a.op {
            ArgOp::Equal => f.push_str(&format!(" -F a{}={:#x}", a.arg, a.value)),
            ArgOp::Bits => f.push_str(&format!(" -F a{}&{:#x}", a.arg, a.value)),
        }
    }
    f
}

/// Whether most of the host's keyed `-a` rules spell the key `-k KEY` (else `-F key=KEY`).
fn host_writes_dash_k(rules: &[LoadedRule]) -> bool {
    let (mut dash_k, mut field) = (0usize, 0usize);
    for r in rules.iter().filter(|r| first_token(&r.text) == Some(b"-a")) {
        let t: &[u8] = &r.text;
        if t.windows(4).any(|w| w == b" -k ") {
            dash_k += 1;
        } else if t.windows(7).any(|w| w == b"-F key=") {
            field += 1;
        }
    }
    dash_k > field
}

/// Whether the host writes its file watches as per-arch `-F path=`/`-F dir=` rules (the RHEL
/// 9 STIG's style) rather than `-w`: some exit rule holds both an arch and a path or dir.
fn uses_per_arch_path_rules(rules: &[LoadedRule]) -> bool {
    rules.iter().any(|r| {
        r.rule.list == List::Exit
            && r.rule.fields.iter().any(|f| f.kind == FieldType::ARCH)
            && r.rule
                .fields
                .iter()
                .any(|f| f.kind == FieldType::PATH || f.kind == FieldType::DIR)
            && !r
                .rule
                .fields
                .iter()
                .any(|f| f.kind == FieldType::PERM && f.number() == Some(1))
    })
}

/// The path as the requirement spells it, for the event's exec path.
fn requirement_path(control: &Control, f: &Failing) -> Option<Vec<u8>> {
    let target = f.event().exec_path.as_ref()?;
    // A scanned program is named by the scan itself.
    if control
        .requirements
        .iter()
        .any(|r| r.kind == RequirementKind::ExecScan && r.id == f.requirement)
    {
        return Some(target.clone());
    }
    control
        .requirements
        .iter()
        .filter(|r| r.kind == RequirementKind::Exec && r.id == f.requirement)
        .flat_map(|r| r.paths.iter())
        .find(|p| {
            p.as_bytes() == target.as_slice()
                || target.ends_with(p.rsplit('/').next().unwrap_or("").as_bytes())
        })
        .map(|p| p.as_bytes().to_vec())
}

/// Where new rules of `control` go, and before which line: augenrules — the `rules.d` file
/// already holding the key the host uses for the control, else the control's own file; auditctl — its rules file,
/// before any `-e` line.
fn target_file(
    control: &Control,
    key: &str,
    config: &Configuration,
    host: &dyn Host,
) -> (PathBuf, usize) {
    let key = key.as_bytes();
    match &config.mode {
        Mode::Augenrules | Mode::Nothing(_) => {
            let holder = config
                .outcome
                .rules
                .iter()
                .find(|r| r.origin.file.starts_with(RULES_D) && r.rule.keys().contains(&key));
            let file = holder
                .map(|r| r.origin.file.to_path_buf())
                .unwrap_or_else(|| Path::new(RULES_D).join(&control.remediation.file));
            // At the end, but before an `-e` line (augenrules moves it last anyway; a reader,
            // or a later `auditctl -R` of the file, should not find rules after the lock).
            let lines = host.read(&file).map(|t| Lines::parse(&t)).ok();
            let at = match lines.as_ref().and_then(|l| {
                l.iter()
                    .find(|(_, t)| first_token(t) == Some(b"-e"))
                    .map(|(n, _)| (l, n))
            }) {
                // Before the comment lines just above the `-e`, which belong to it.
                Some((l, mut n)) => {
                    while n > 1
                        && l.get(n - 1)
                            .is_some_and(|t| t.trim_ascii_start().starts_with(b"#"))
                    {
                        n -= 1;
                    }
                    n
                }
                None => lines.as_ref().map_or(0, Lines::len) + 1,
            };
            (file, at)
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
    control: &Control,
    missing: &[&Failing],
    all_failing: &[Failing],
    machine: Machine,
) -> Option<Next> {
    let _ = all_failing;
    let syscall_only = |f: &&&Failing| f.event().exec_path.is_none() && f.event().object.is_none();
    for f in missing.iter().filter(syscall_only) {
        let abi = f.event().abi;
        for r in rules {
            let rule = &r.rule;
            if rule.list != List::Exit
                || rule.action != Action::Always
                || rule.arch() != Some(abi.audit_arch())
                || rule.keys().iter().all(|k| k.is_empty())
                || rule.mask.is_all()
                || rule.fields_of(FieldType::PATH).next().is_some()
                || !serves(r, control, abi)
            {
                continue;
            }
            let mut widened = rule.clone();
            widened.mask.set(f.event().syscall);
            if matches(&widened, r.watch.as_deref(), f.event()) != Tri::Always {
                continue;
            }
            // Every syscall of this control and ABI still failing that the rule, widened,
            // would record (same event class: who, outcome, arguments), added at once.
            let names: Vec<&str> = missing
                .iter()
                .filter(syscall_only)
                .filter(|g| g.event().abi == abi)
                .filter(|g| {
                    let mut w = rule.clone();
                    w.mask.set(g.event().syscall);
                    matches(&w, r.watch.as_deref(), g.event()) == Tri::Always
                })
                .map(|g| g.event().syscall_name.as_str())
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
                Why::ExtendSyscalls {
                    names: names.iter().map(|n| n.to_string()).collect(),
                    rule: r.origin.clone(),
                    abi: abi_label(abi, machine).to_string(),
                },
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
            eprintln!("{:?}: {:?}", s.files, s.why);
        }
        for (f, _, new) in &p.files {
            eprintln!("== {}\n{}", f.display(), String::from_utf8_lossy(new));
        }
        assert!(p.blockers.is_empty(), "{:?}", p.blockers);
        assert!(!p.files.is_empty());
        // fix edits the control's rules, so it completes them with finit_module (advice): the
        // b64 rule is extended, as on a configuration-only tree.
        let modules = p
            .files
            .iter()
            .find(|(f, _, _)| f.ends_with("50-modules.rules"))
            .map(|(_, _, new)| String::from_utf8_lossy(new).into_owned())
            .unwrap_or_default();
        assert!(
            modules.contains("-a always,exit -F arch=b64 -S init_module -S delete_module,finit_module -k modules\n"),
            "{modules}"
        );
    }
}
