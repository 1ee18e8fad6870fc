//! Judgements: what evaluation concluded and why, as data — causes with references to rules
//! (indices into the evaluated outcome's lists) and origins, never sentences. `report/` turns
//! them into words and formats; `fix` plans from them.

use crate::control::event::Event;
use crate::load::Origin;
use crate::model::FieldType;
use serde::Serialize;

/// A verdict, for an event, a requirement or a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Compliant.
    Pass,
    /// Not applicable on this target (e.g. the kernel part inside a container).
    #[serde(rename = "notapplicable")]
    NotApplicable,
    /// Not checked automatically: a benchmark item auditguard lists but leaves to a person
    /// (XCCDF's `notchecked`); the reason is in the item's note.
    #[serde(rename = "notchecked")]
    NotChecked,
    /// Not compliant.
    Fail,
    /// Could not be evaluated.
    Error,
}

impl Verdict {
    /// The worse of two verdicts (error > fail > notchecked > notapplicable > pass).
    pub fn worst(self, other: Verdict) -> Verdict {
        self.max(other)
    }

    /// The verdict of a whole made of parts: the worst part, where a not-applicable part
    /// counts only when every part is not applicable (an item whose log files are absent but
    /// whose configuration files pass passes; a profile with a not-applicable item still
    /// fails on a failing one). No parts: pass.
    pub fn combine(parts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let (mut any, mut all_na, mut worst) = (false, true, Verdict::Pass);
        for v in parts {
            any = true;
            if v != Verdict::NotApplicable {
                all_na = false;
                worst = worst.worst(v);
            }
        }
        if any && all_na {
            Verdict::NotApplicable
        } else {
            worst
        }
    }

    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::NotApplicable => "notapplicable",
            Verdict::NotChecked => "notchecked",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// Why an event is (or is not) recorded with a key. Rule numbers are indices into the
/// evaluated outcome's `rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The first rule that always matches records it with this key.
    Covered {
        /// The covering rule.
        rule: usize,
        /// The key the event carries.
        key: Vec<u8>,
    },
    /// No rule matches it.
    Missing,
    /// The first rule that always matches is a `never` rule.
    Shadowed {
        /// The `never` rule.
        rule: usize,
    },
    /// The first rule that always matches has no key.
    Keyless {
        /// The keyless rule.
        rule: usize,
    },
    /// Rules match only some of the events (narrowing filters); none matches all.
    Narrowed {
        /// The narrowed rules, in kernel order.
        rules: Vec<usize>,
        /// The fields that narrow them (each once, in order of appearance).
        fields: Vec<FieldType>,
    },
    /// A `never` or keyless rule earlier in the list catches some of the events first.
    PartlyLost {
        /// The rule that catches them first.
        rule: usize,
        /// The keyed rule that records every event of the class after it, if any.
        covered_by: Option<usize>,
        /// The fields that select the events it catches.
        fields: Vec<FieldType>,
        /// Whether some keyed rule after it records the rest.
        rest_covered: bool,
    },
    /// A task-list `never` rule stops auditing of the processes.
    TaskSuppressed {
        /// The task rule.
        rule: usize,
        /// All user processes (else some).
        all: bool,
    },
    /// An exclude rule drops the SYSCALL records that carry the key.
    Excluded {
        /// The exclude rule.
        rule: usize,
        /// For every event of the class (else some).
        all: bool,
    },
    /// A task-list `always` rule without a key puts the processes in the record state: their
    /// syscalls are recorded, the exit rules (and their keys) are skipped, so no key.
    TaskRecorded {
        /// The task rule.
        rule: usize,
        /// All user processes (else some).
        all: bool,
    },
    /// The only watch on the executed path sits on a symlink: the kernel records the exec
    /// under the target's inode, so the watch never fires.
    WatchOnSymlink {
        /// The watch rule.
        rule: usize,
        /// The file the link leads to (what an exec really runs).
        target: Vec<u8>,
    },
    /// The only tree watch over the file sits on a symlink to a directory above it: the kernel
    /// puts the tree on the link itself (it does not follow a tree's last component), so
    /// nothing below the directory the link leads to is under it.
    TreeOnSymlink {
        /// The `dir=` rule.
        rule: usize,
        /// The directory the link leads to (what the tree was meant to cover).
        target: Vec<u8>,
    },
    /// Auditing is left disabled at the end of the load: rules are loaded but inert.
    AuditDisabled {
        /// The `-e 0` line that disables it (`None`: nothing ever enables auditing).
        by: Option<Origin>,
    },
    /// The executed program does not exist on the target (an OS image): nothing can run it,
    /// so there is nothing to record (schema-2 controls only; the seed is judged as before).
    NotInstalled {
        /// The program's path as named.
        path: Vec<u8>,
    },
    /// The boot configuration loads no rules at all (its loader line loads nothing).
    NothingLoaded {
        /// Why, naming the loader line (the detection's words).
        reason: String,
    },
}

impl Cause {
    /// Pass when covered, not applicable when the program is not installed, else fail.
    pub fn verdict(&self) -> Verdict {
        match self {
            Cause::Covered { .. } => Verdict::Pass,
            Cause::NotInstalled { .. } => Verdict::NotApplicable,
            _ => Verdict::Fail,
        }
    }

    /// The rule that decides it (the first one cited).
    pub fn rule(&self) -> Option<usize> {
        match self {
            Cause::Covered { rule, .. }
            | Cause::Shadowed { rule }
            | Cause::Keyless { rule }
            | Cause::PartlyLost { rule, .. }
            | Cause::TaskSuppressed { rule, .. }
            | Cause::TaskRecorded { rule, .. }
            | Cause::WatchOnSymlink { rule, .. }
            | Cause::TreeOnSymlink { rule, .. }
            | Cause::Excluded { rule, .. } => Some(*rule),
            Cause::Narrowed { rules, .. } => rules.first().copied(),
            Cause::Missing
            | Cause::AuditDisabled { .. }
            | Cause::NothingLoaded { .. }
            | Cause::NotInstalled { .. } => None,
        }
    }
}

/// A rule that would have recorded a failing event but is not in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missed {
    /// After the load's stop point (index into the outcome's `not_reached`).
    NotReached(usize),
    /// Deleted again by a later `-D` (index into the outcome's `deleted`).
    Deleted(usize),
    /// In a file the loader never reads (index into the subject's `unread`).
    Unread(usize),
    /// Swallowed by augenrules joining its line to the end of the file before (index into
    /// the outcome's `swallowed`).
    Swallowed(usize),
}

/// One expected event, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The event.
    pub event: Event,
    /// What happens to it.
    pub cause: Cause,
    /// For a failing event: a rule that would record it but is not loaded.
    pub missed: Option<Missed>,
}

impl Judgement {
    /// Pass when recorded with a key.
    pub fn verdict(&self) -> Verdict {
        self.cause.verdict()
    }
}

/// A requirement, judged.
#[derive(Debug, Clone)]
pub struct RequirementJudgement {
    /// Requirement id.
    pub id: String,
    /// Requirement title.
    pub title: String,
    /// Its required events.
    pub events: Vec<Judgement>,
    /// For a requirement on a setting or on files rather than on events: what was found.
    pub check: Option<Check>,
}

impl RequirementJudgement {
    /// The worst verdict of its events and of its check ([`Verdict::combine`]).
    pub fn verdict(&self) -> Verdict {
        Verdict::combine(
            self.events
                .iter()
                .map(Judgement::verdict)
                .chain(self.check.as_ref().map(Check::verdict)),
        )
    }
}

/// A loader setting (`-e`, `-f`, `--loginuid-immutable`) as the load leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingJudgement {
    /// The setting.
    pub setting: crate::control::Setting,
    /// The value it must end with (`None`: it must be set at all).
    pub wanted: Option<u32>,
    /// What the load left.
    pub cause: SettingCause,
}

impl SettingJudgement {
    /// Pass when the load ends with the wanted value.
    pub fn verdict(&self) -> Verdict {
        match self.cause {
            SettingCause::Set { .. } => Verdict::Pass,
            _ => Verdict::Fail,
        }
    }
}

/// What the load left of a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingCause {
    /// Set as wanted, last by this line.
    Set {
        /// The line.
        at: Origin,
    },
    /// Never set by a line that took effect.
    Unset,
    /// Never set by a line that took effect, and the load stops early at this line: a line
    /// after it that sets it never takes effect.
    UnsetLoadStops {
        /// Where the load stops.
        stop: Origin,
    },
    /// Set, last to another value.
    Other {
        /// The final value.
        value: u32,
        /// The line.
        at: Origin,
    },
    /// `-e 2` is set, but lines after it were refused (it must be the last).
    NotLast {
        /// The `-e 2` line.
        lock: Origin,
        /// The first refused line.
        first: Origin,
        /// How many lines were refused.
        count: usize,
    },
    /// Nothing is loaded at boot (the loader's words).
    NothingLoaded {
        /// Why.
        reason: String,
    },
}

/// Something worth knowing that does not fail the control.
#[derive(Debug, Clone)]
pub enum Advice {
    /// An advice-only event (e.g. `finit_module`) is not recorded with a key.
    Unaudited(Judgement),
    /// Paths the control names are symlinks to `target`, and `target` is not watched.
    Symlinked {
        /// The paths as the control names them.
        names: Vec<Vec<u8>>,
        /// Where they lead.
        target: Vec<u8>,
    },
    /// `-e 2` is not the last line: later changes are refused.
    LockNotLast {
        /// The `-e 2` line.
        lock: Origin,
        /// The first refused line.
        first: Origin,
        /// How many were refused.
        count: usize,
    },
    /// A load error (index into the outcome's `errors`).
    LoadError(usize),
    /// The setuid/setgid scan did not see all of the target: the exec-scan verdict covers
    /// only the programs it found.
    ScanIncomplete(Vec<crate::model::ScanGap>),
}

/// A control, judged.
#[derive(Debug, Clone)]
pub struct ControlJudgement {
    /// Control id.
    pub id: String,
    /// Control title.
    pub title: String,
    /// Its requirements.
    pub requirements: Vec<RequirementJudgement>,
    /// Advice.
    pub advice: Vec<Advice>,
    /// The control's invariant references.
    pub refs: crate::control::Refs,
    /// Severity, when the control or its profile item gives one.
    pub severity: Option<String>,
    /// The profile item it stands for, when it was built from a profile.
    pub item: Option<crate::control::profile::ItemInfo>,
}

impl ControlJudgement {
    /// The worst verdict of its requirements ([`Verdict::combine`]); `notchecked` for a manual
    /// profile item.
    pub fn verdict(&self) -> Verdict {
        if self.item.as_ref().is_some_and(|i| i.manual.is_some()) {
            return Verdict::NotChecked;
        }
        Verdict::combine(self.requirements.iter().map(RequirementJudgement::verdict))
    }

    /// Every required event that is not recorded with a key.
    pub fn failing(&self) -> impl Iterator<Item = (&RequirementJudgement, &Judgement)> {
        self.requirements.iter().flat_map(|r| {
            r.events
                .iter()
                .filter(|e| e.verdict() >= Verdict::Fail)
                .map(move |e| (r, e))
        })
    }
}

/// A requirement on the target's files rather than on its rules, judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// A loader setting (`-e`, `-f`, `--loginuid-immutable`) as the load leaves it.
    Setting(SettingJudgement),
    /// A keyword of a daemon configuration file.
    Daemon(DaemonJudgement),
    /// A kernel argument, per boot source.
    Boot(BootJudgement),
    /// Mode, owner and group of files.
    Files(FilesJudgement),
    /// An exec-scan that found no setuid or setgid program: nothing to audit.
    NoPrivilegedPrograms,
}

impl Check {
    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        match self {
            Check::Setting(s) => s.verdict(),
            Check::Daemon(d) => d.verdict(),
            Check::Boot(b) => b.verdict(),
            Check::Files(f) => f.verdict(),
            Check::NoPrivilegedPrograms => Verdict::NotApplicable,
        }
    }
}

/// A daemon setting as the daemon reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonJudgement {
    /// The file.
    pub file: String,
    /// The keyword.
    pub key: String,
    /// What was found.
    pub cause: DaemonCause,
}

impl DaemonJudgement {
    /// Pass when the value is accepted.
    pub fn verdict(&self) -> Verdict {
        match self.cause {
            DaemonCause::Accepted { .. } => Verdict::Pass,
            DaemonCause::Unreadable { .. } => Verdict::Error,
            _ => Verdict::Fail,
        }
    }
}

/// What a daemon setting is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonCause {
    /// The value (set at `line`; 0: the built-in default) is accepted.
    Accepted {
        /// The value.
        value: String,
        /// Its line (0: not in the file, auditd's default).
        line: u32,
    },
    /// The value is not one of the accepted ones (or out of range).
    NotAccepted {
        /// The value.
        value: String,
        /// Its line (0: auditd's default).
        line: u32,
        /// What is accepted, in words for the report (`halt, single`; `>= 25%`).
        wanted: String,
    },
    /// auditd refuses the file at this line and does not start.
    Refused {
        /// The line.
        line: u32,
        /// Why.
        reason: String,
    },
    /// The file cannot be read.
    Unreadable {
        /// Why.
        error: String,
    },
}

/// A kernel argument in each boot source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootJudgement {
    /// The argument.
    pub arg: String,
    /// What is accepted, in words (`= 1`, `>= 8192`).
    pub wanted: String,
    /// Per source: the source and the argument's value there (`None`: absent).
    pub sources: Vec<(crate::model::BootSource, Option<String>, bool)>,
}

impl BootJudgement {
    /// Pass when every source has an accepted value; not applicable when the target has no
    /// boot configuration at all (a container image).
    pub fn verdict(&self) -> Verdict {
        if self.sources.is_empty() {
            Verdict::NotApplicable
        } else if self.sources.iter().all(|(_, _, ok)| *ok) {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

/// Files against a mode ceiling and allowed owners and groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesJudgement {
    /// The patterns as written, with what they expanded to.
    pub patterns: Vec<String>,
    /// Per file: the file and what is wrong with it (empty: nothing).
    pub files: Vec<(crate::model::FileFacts, Vec<FileProblem>)>,
}

impl FilesJudgement {
    /// Pass when no file has a problem; not applicable when no file matched.
    pub fn verdict(&self) -> Verdict {
        if self.files.is_empty() {
            Verdict::NotApplicable
        } else if self.files.iter().all(|(_, p)| p.is_empty()) {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
}

/// What is wrong with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// Its mode has bits beyond the ceiling.
    Mode {
        /// The ceiling.
        max: u32,
    },
    /// Its owner is not allowed (the owner's name, or uid).
    Owner {
        /// Who owns it.
        owner: String,
        /// Who may.
        allowed: Vec<String>,
    },
    /// It is a symbolic link: a link's own mode means nothing; the file it names is what is
    /// read and written.
    Symlink,
    /// Its group is not allowed.
    Group {
        /// Its group.
        group: String,
        /// Which may.
        allowed: Vec<String>,
    },
}
