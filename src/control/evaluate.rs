//! Evaluate controls against a kernel rule list, the way the kernel decides: the task list at
//! fork, the exclude list per record, and the exit list first-match (watches and syscall rules
//! in one order, the earliest added wins).
//!
//! Pure: the subject carries the load outcome and the target's facts; nothing is read here.
//! [`assess`] is the one function every command uses (check, fix, verify, the kernel part).
//! Cost: an index of the exit list by syscall ([`ExitIndex`], O(rules), once per assessment),
//! then per event O(rules it may reach), each rule tested in O(fields); no syscalls.

use crate::control::event::{self, Event, Expectation};
use crate::control::finding::{
    Advice, Cause, ControlJudgement, Judgement, Missed, RequirementJudgement, Verdict,
};
use crate::control::finding::{
    BootJudgement, Check, DaemonCause, DaemonJudgement, FileProblem, FilesJudgement, SettingCause,
    SettingJudgement,
};
use crate::control::predicate::{filter_list, matches, narrowing_fields, Tri};
use crate::control::{Control, Requirement, RequirementKind, Setting};
use crate::load::auditctl::{listing_rank, LoadOutcome, LoadedRule};
use crate::load::configuration::Boot;
use crate::model::{Action, FieldType, List, Machine, TargetFacts};

/// What controls are evaluated against.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    /// The kernel list (simulated from the configuration, or read from the kernel), with the
    /// load's errors and stop point.
    pub outcome: &'a LoadOutcome,
    /// Rules found in files the loader never reads (evidence only).
    pub unread: &'a [LoadedRule],
    /// The target's machine.
    pub machine: Machine,
    /// What the target's paths and users are (computed at the edge).
    pub facts: &'a TargetFacts,
    /// Whether auditing is on after the load (a disabled or empty load records nothing).
    pub boot: &'a Boot,
}

/// Every control judged.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// One judgement per control, in the order given.
    pub controls: Vec<ControlJudgement>,
}

impl Assessment {
    /// The worst verdict of all controls ([`Verdict::combine`]; pass when there are none).
    pub fn verdict(&self) -> Verdict {
        Verdict::combine(self.controls.iter().map(|c| c.verdict()))
    }
}

/// Judge `controls` against `subject`: configuration × controls → assessment.
pub fn assess(controls: &[Control], subject: &Subject) -> Assessment {
    let index = ExitIndex::new(&subject.outcome.rules);
    Assessment {
        controls: controls
            .iter()
            .map(|c| evaluate_in(c, subject, &index))
            .collect(),
    }
}

/// The exit-list rules each event can reach, so that [`decide`] looks at those only: on the
/// exit list a rule whose mask lacks the event's syscall never matches, nor does a rule with
/// a `path=`/`dir=` field an event that executes no file, nor a `path=` rule the exec of
/// another file. Built once per assessment in O(rules); a lookup costs O(rules it returns).
pub struct ExitIndex {
    /// Exit rules whose mask is not a short list of syscalls (`-S all`, watches), without a
    /// `path=`/`dir=` field: ascending indices into the rules.
    wide: Vec<u32>,
    /// The same with one `path=` field (and no `dir=`), which matches only the exec of the
    /// very file it watches: `hash << 32 | index` of each, sorted (the hash of the watched path;
    /// a collision only adds a candidate, which `decide` then tests).
    by_path: Vec<u64>,
    /// The same with a `dir=` field or several `path=` fields.
    wide_dirs: Vec<u32>,
    /// Exit rules with a short list of syscalls, by syscall number: ascending indices.
    by_syscall: rustc_hash::FxHashMap<u32, Vec<u32>>,
    /// Those of them with a `path=` field (for [`ExitIndex::on_path`]).
    few_files: Vec<u32>,
}

impl ExitIndex {
    /// The index of `rules` (in listing order, as [`decide`] takes them).
    pub fn new(rules: &[LoadedRule]) -> ExitIndex {
        let mut index = ExitIndex {
            wide: Vec::new(),
            by_path: Vec::new(),
            wide_dirs: Vec::new(),
            by_syscall: rustc_hash::FxHashMap::default(),
            few_files: Vec::new(),
        };
        for i in list_range(rules, List::Exit) {
            let rule = &rules[i].rule;
            let at = i as u32;
            let count = |kind| rule.fields.iter().filter(|f| f.kind == kind).count();
            let (paths, dirs) = (count(FieldType::PATH), count(FieldType::DIR));
            if let Some(bits) = rule.mask.few_bits() {
                bits.for_each(|nr| index.by_syscall.entry(nr).or_default().push(at));
                if paths > 0 {
                    index.few_files.push(at);
                }
                continue;
            }
            let path = rule.fields.iter().find(|f| f.kind == FieldType::PATH);
            match (paths, dirs, path) {
                (2.., _, _) | (_, 1.., _) => index.wide_dirs.push(at),
                // As `field_matches` compares it: the resolved watch, else the path as written.
                (_, _, Some(path)) => {
                    // A `path=` without a path matches nothing.
                    if let Some(watched) = rules[i].watch.as_deref().or(path.bytes()) {
                        let h = u64::from(path_hash(watched));
                        index.by_path.push(h << 32 | u64::from(at));
                    }
                }
                _ => index.wide.push(at),
            }
        }
        index.by_path.sort_unstable();
        index
    }

    /// Ascending indices of the exit rules that may match `ev` (every other one never does).
    fn candidates(&self, ev: &Event) -> Vec<u32> {
        let few = self
            .by_syscall
            .get(&ev.syscall)
            .map_or(&[][..], Vec::as_slice);
        let merged = merge_sorted(&self.wide, few);
        match (&ev.exec_target, &ev.object) {
            (Some(file), _) => merge_sorted(
                &merge_sorted(&merged, &self.watching(file)),
                &self.wide_dirs,
            ),
            // A change of a file: the watches on it (or, for a tree, on its directory) and,
            // when the syscall names the directory too, those on the directory.
            (None, Some(o)) => {
                let mut files = self.watching(&o.path);
                if o.names_parent && !o.below {
                    let parent = match o.path.iter().rposition(|b| *b == b'/') {
                        Some(0) => &b"/"[..],
                        Some(i) => &o.path[..i],
                        None => &o.path[..],
                    };
                    files = merge_sorted(&files, &self.watching(parent));
                }
                merge_sorted(&merge_sorted(&merged, &files), &self.wide_dirs)
            }
            (None, None) => merged,
        }
    }

    /// Ascending indices of the exit rules with a `path=` field on `path` (the watch as
    /// resolved, else as written), among others with a `path=` field.
    fn on_path(&self, path: &[u8]) -> Vec<u32> {
        let odd = merge_sorted(&self.few_files, &self.wide_dirs);
        merge_sorted(&self.watching(path), &odd)
    }

    /// Ascending indices of the wide one-`path=` rules whose path hashes as `path` does.
    fn watching(&self, path: &[u8]) -> Vec<u32> {
        let h = u64::from(path_hash(path));
        let start = self.by_path.partition_point(|k| k >> 32 < h);
        let end = self.by_path.partition_point(|k| k >> 32 <= h);
        self.by_path[start..end].iter().map(|k| *k as u32).collect()
    }
}

/// The hash [`ExitIndex`] files `path=` rules under.
fn path_hash(path: &[u8]) -> u32 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(path) as u32
}

/// Two ascending lists of distinct indices as one.
fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] < b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Judge `controls` against a loaded configuration: its simulated kernel list, the rules in
/// files its loader never reads, and whether auditing is on after its load. The one entry
/// point of check, fix and the fuzz harness.
pub fn assess_configuration(
    controls: &[Control],
    config: &crate::load::configuration::Configuration,
    machine: Machine,
    facts: &TargetFacts,
) -> Assessment {
    let boot = config.boot();
    assess(
        controls,
        &Subject {
            outcome: &config.outcome,
            unread: &config.unread,
            machine,
            facts,
            boot: &boot,
        },
    )
}

/// Judge one control.
pub fn evaluate(control: &Control, subject: &Subject) -> ControlJudgement {
    evaluate_in(control, subject, &ExitIndex::new(&subject.outcome.rules))
}

/// [`evaluate`] with the index of `subject`'s rules.
fn evaluate_in(control: &Control, subject: &Subject, index: &ExitIndex) -> ControlJudgement {
    let expectations = event::expectations(control, subject.machine, subject.facts);
    // The expectations of each requirement, in one pass (ids are unique within a control).
    let mut of_requirement: rustc_hash::FxHashMap<&str, Vec<&Expectation>> =
        rustc_hash::FxHashMap::default();
    for e in &expectations {
        of_requirement
            .entry(e.requirement.as_str())
            .or_default()
            .push(e);
    }
    let mut requirements = Vec::new();
    let mut advice = Vec::new();
    for req in &control.requirements {
        let mut events = Vec::new();
        // Schema-2 exec requirements: a program missing from an OS image cannot be run.
        let not_installed: Vec<Vec<u8>> = match (control.schema, req.kind) {
            (Some(2), RequirementKind::Exec) => req
                .paths
                .iter()
                .map(|p| subject.facts.path(p.as_bytes()))
                .filter(|f| f.exists == Some(false))
                .map(|f| f.named)
                .collect(),
            _ => Vec::new(),
        };
        for exp in of_requirement.get(req.id.as_str()).into_iter().flatten() {
            let judgement = match &exp.event.exec_path {
                Some(p) if not_installed.contains(p) => Judgement {
                    event: exp.event.clone(),
                    cause: Cause::NotInstalled { path: p.clone() },
                    missed: None,
                },
                _ => judge_in(&exp.event, subject, index),
            };
            if exp.advice {
                if judgement.verdict() != Verdict::Pass {
                    advice.push(Advice::Unaudited(judgement));
                }
                continue;
            }
            events.push(judgement);
        }
        let check = match req.kind {
            RequirementKind::Control => judge_setting(req, subject).map(Check::Setting),
            RequirementKind::DaemonSetting => Some(Check::Daemon(judge_daemon(req, subject.facts))),
            RequirementKind::BootParameter => Some(Check::Boot(judge_boot(req, subject.facts))),
            RequirementKind::FilePermission => Some(Check::Files(judge_files(req, subject.facts))),
            RequirementKind::ExecScan if events.is_empty() => Some(Check::NoPrivilegedPrograms),
            _ => None,
        };
        if req.kind == RequirementKind::ExecScan && !subject.facts.suid_scan_gaps.is_empty() {
            advice.push(Advice::ScanIncomplete(subject.facts.suid_scan_gaps.clone()));
        }
        requirements.push(RequirementJudgement {
            id: req.id.clone(),
            title: req.title.clone(),
            events,
            check,
        });
        // Symlinked tools, grouped by the file they lead to: one advice per target.
        let mut links: Vec<(Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
        for p in req
            .paths
            .iter()
            .filter(|_| req.kind == RequirementKind::Exec)
        {
            let facts = subject.facts.path(p.as_bytes());
            if !facts.symlink
                || target_is_watched(&expectations, &req.id, &facts.resolved, subject, index)
            {
                continue;
            }
            let name = p.as_bytes().to_vec();
            match links.iter_mut().find(|(t, _)| *t == facts.resolved) {
                Some((_, names)) => names.push(name),
                None => links.push((facts.resolved, vec![name])),
            }
        }
        advice.extend(
            links
                .into_iter()
                .map(|(target, names)| Advice::Symlinked { names, target }),
        );
    }
    advice.extend(load_advice(subject.outcome));
    ControlJudgement {
        id: control.id.clone(),
        title: control.title.clone(),
        requirements,
        advice,
        refs: control.refs.clone(),
        severity: control.severity.clone(),
        item: control.item.clone(),
    }
}

/// A loader setting as the load leaves it. `None` for a requirement without a setting (the
/// catalogue's validation refuses those).
fn judge_setting(req: &Requirement, s: &Subject) -> Option<SettingJudgement> {
    let setting = req.setting?;
    let out = s.outcome;
    let wanted = req.equals;
    let valued = |v: &Option<(u32, crate::load::Origin)>| match (v, wanted) {
        (None, _) => SettingCause::Unset,
        (Some((n, at)), Some(w)) if *n != w => SettingCause::Other {
            value: *n,
            at: at.clone(),
        },
        (Some((_, at)), _) => SettingCause::Set { at: at.clone() },
    };
    let cause = match (s.boot, setting) {
        (Boot::NothingLoaded(reason), _) => SettingCause::NothingLoaded {
            reason: reason.clone(),
        },
        (_, Setting::Enabled) => match (valued(&out.enabled), &out.locked_at) {
            (SettingCause::Set { .. }, Some(lock)) if !out.after_lock.is_empty() => {
                SettingCause::NotLast {
                    lock: lock.clone(),
                    first: out.after_lock[0].clone(),
                    count: out.after_lock.len(),
                }
            }
            (c, _) => c,
        },
        (_, Setting::Failure) => valued(&out.failure),
        (_, Setting::LoginuidImmutable) => match &out.loginuid_immutable {
            Some(at) => SettingCause::Set { at: at.clone() },
            None => SettingCause::Unset,
        },
    };
    let cause = match (cause, &out.stopped_at) {
        (SettingCause::Unset, Some(stop)) => SettingCause::UnsetLoadStops { stop: stop.clone() },
        (c, _) => c,
    };
    Some(SettingJudgement {
        setting,
        wanted,
        cause,
    })
}

/// A daemon setting: the file's last value for the key, or auditd's default, against the
/// accepted values (without regard to case) or range.
fn judge_daemon(req: &Requirement, facts: &TargetFacts) -> DaemonJudgement {
    let file = req
        .file
        .clone()
        .unwrap_or_else(|| crate::load::configuration::AUDITD_CONF.to_string());
    let key = req.key.clone().unwrap_or_default();
    let cause = match facts.daemon_confs.get(&file) {
        Some(Err(e)) => DaemonCause::Unreadable { error: e.clone() },
        Some(Ok(Some(c))) if c.refused.is_some() => {
            let r = c.refused.clone().expect("checked");
            DaemonCause::Refused {
                line: r.line,
                reason: r.reason,
            }
        }
        _ => match facts.daemon_value(&file, &key) {
            None => DaemonCause::NotAccepted {
                value: String::new(),
                line: 0,
                wanted: wanted_words(req),
            },
            Some((value, line)) if accepted(req, &value) => DaemonCause::Accepted { value, line },
            Some((value, line)) => DaemonCause::NotAccepted {
                value,
                line,
                wanted: wanted_words(req),
            },
        },
    };
    DaemonJudgement { file, key, cause }
}

/// Whether a daemon value meets the requirement.
fn accepted(req: &Requirement, value: &str) -> bool {
    if !req.allowed.is_empty() {
        return req.allowed.iter().any(|a| a.eq_ignore_ascii_case(value));
    }
    let (digits, is_percent) = match value.strip_suffix('%') {
        Some(d) => (d, true),
        None => (value, false),
    };
    if req.percent != is_percent && (req.min.is_some() || req.max.is_some()) {
        return false;
    }
    match digits.parse::<u64>() {
        Ok(n) => req.min.is_none_or(|m| n >= m) && req.max.is_none_or(|m| n <= m),
        Err(_) => req.min.is_none() && req.max.is_none(),
    }
}

/// What a requirement accepts, in words (`halt, single`; `>= 25%`; `1..=100`).
fn wanted_words(req: &Requirement) -> String {
    if !req.allowed.is_empty() {
        return req.allowed.join(", ");
    }
    let pct = if req.percent { "%" } else { "" };
    match (req.min, req.max) {
        (Some(a), Some(b)) => format!("{a}{pct} to {b}{pct}"),
        (Some(a), None) => format!(">= {a}{pct}"),
        (None, Some(b)) => format!("<= {b}{pct}"),
        (None, None) => "any value".to_string(),
    }
}

/// A kernel argument in every boot source of the target (the configured ones and, on a live
/// host, the running kernel's).
fn judge_boot(req: &Requirement, facts: &TargetFacts) -> BootJudgement {
    let arg = req.arg.clone().unwrap_or_default();
    // As the kernel parses them: `audit=` takes 1 or on (0 or off), numbers go through
    // kstrtouint (hex and octal accepted, an overflow is ignored by the kernel).
    let number = |v: &str| -> Option<u64> {
        if arg == "audit" {
            return match v.to_ascii_lowercase().as_str() {
                "on" | "1" => Some(1),
                "off" | "0" => Some(0),
                _ => None,
            };
        }
        crate::load::boot::kernel_uint(v).map(u64::from)
    };
    let ok = |v: Option<&str>| match (v.and_then(number), req.equals, req.min) {
        (None, _, _) => v.is_some() && req.equals.is_none() && req.min.is_none(),
        (Some(n), Some(e), _) => n == u64::from(e),
        (Some(n), None, Some(m)) => n >= m,
        (Some(_), None, None) => true,
    };
    let wanted = match (req.equals, req.min) {
        (Some(e), _) => format!("{arg}={e}"),
        (None, Some(m)) => format!("{arg} >= {m}"),
        (None, None) => arg.clone(),
    };
    BootJudgement {
        sources: facts
            .boot
            .iter()
            .map(|s| {
                let v = crate::load::boot::arg_value(&s.args, &arg);
                (s.clone(), v.map(str::to_string), ok(v))
            })
            .collect(),
        arg,
        wanted,
    }
}

/// Files against the mode ceiling and the allowed owners and groups (`{auditd.log_group}` is
/// the group auditd.conf names, or auditd's default).
fn judge_files(req: &Requirement, facts: &TargetFacts) -> FilesJudgement {
    let log_group = facts
        .daemon_value(crate::load::configuration::AUDITD_CONF, "log_group")
        .map(|(v, _)| v)
        .unwrap_or_else(|| "root".into());
    let group_reads = log_group != "root" && log_group != "0";
    let max = req
        .max_mode_with_log_group
        .as_deref()
        .filter(|_| group_reads)
        .or(req.max_mode.as_deref())
        .and_then(|m| u32::from_str_radix(m, 8).ok());
    let groups: Vec<String> = req
        .groups
        .iter()
        .map(|g| g.replace("{auditd.log_group}", &log_group))
        .collect();
    let mut files = Vec::new();
    for p in &req.paths {
        for f in facts.files.get(p).into_iter().flatten() {
            let mut problems = Vec::new();
            if let Some(max) = max {
                if f.mode & !max & 0o7777 != 0 {
                    problems.push(FileProblem::Mode { max });
                }
            }
            if f.symlink {
                problems.push(FileProblem::Symlink);
                files.push((f.clone(), problems));
                continue;
            }
            let owner = facts.user_name(f.uid);
            let uid = f.uid.to_string();
            if !req.owners.is_empty() && !req.owners.contains(&owner) && !req.owners.contains(&uid)
            {
                problems.push(FileProblem::Owner {
                    owner,
                    allowed: req.owners.clone(),
                });
            }
            let group = facts.group_name(f.gid);
            let gid = f.gid.to_string();
            if !groups.is_empty() && !groups.contains(&group) && !groups.contains(&gid) {
                problems.push(FileProblem::Group {
                    group,
                    allowed: groups.clone(),
                });
            }
            files.push((f.clone(), problems));
        }
    }
    FilesJudgement {
        patterns: req.paths.clone(),
        files,
    }
}

/// Whether the file a symlinked path leads to is itself recorded on exec (then the symlink
/// advice has nothing to add).
fn target_is_watched(
    exps: &[Expectation],
    req: &str,
    target: &[u8],
    s: &Subject,
    index: &ExitIndex,
) -> bool {
    exps.iter()
        .filter(|e| e.requirement == req && e.event.exec_target.as_deref() == Some(target))
        .all(|e| {
            let mut only_target = e.event.clone();
            only_target.exec_path = only_target.exec_target.clone();
            matches!(
                decide_in(&only_target, &s.outcome.rules, index),
                Cause::Covered { .. }
            )
        })
}

/// Advice about the load itself: every error, and `-e 2` before other lines.
fn load_advice(outcome: &LoadOutcome) -> Vec<Advice> {
    let mut out = Vec::new();
    if let (Some(lock), Some(first)) = (&outcome.locked_at, outcome.after_lock.first()) {
        out.push(Advice::LockNotLast {
            lock: lock.clone(),
            first: first.clone(),
            count: outcome.after_lock.len(),
        });
    }
    out.extend((0..outcome.errors.len()).map(Advice::LoadError));
    out
}

/// Judge one event: its cause, and for a failing one the rule that would have recorded it.
pub fn judge(ev: &Event, s: &Subject) -> Judgement {
    judge_in(ev, s, &ExitIndex::new(&s.outcome.rules))
}

/// [`judge`] with the index of `s`'s rules.
fn judge_in(ev: &Event, s: &Subject, index: &ExitIndex) -> Judgement {
    let cause = match s.boot {
        Boot::Enabled => decide_in(ev, &s.outcome.rules, index),
        Boot::Disabled(by) => Cause::AuditDisabled { by: by.clone() },
        Boot::NothingLoaded(reason) => Cause::NothingLoaded {
            reason: reason.clone(),
        },
    };
    let missed = (cause.verdict() != Verdict::Pass)
        .then(|| missed_rule(ev, s))
        .flatten();
    Judgement {
        event: ev.clone(),
        cause,
        missed,
    }
}

fn tri(r: &LoadedRule, ev: &Event) -> Tri {
    matches(&r.rule, r.watch.as_deref(), ev)
}

/// The range of `rules` (in listing order, as every load outcome and kernel listing holds
/// them: one list after the other) that holds `list`: two binary searches.
fn list_range(rules: &[LoadedRule], list: List) -> std::ops::Range<usize> {
    let rank = listing_rank(list);
    let start = rules.partition_point(|r| listing_rank(r.rule.list) < rank);
    let end = start + rules[start..].partition_point(|r| listing_rank(r.rule.list) == rank);
    start..end
}

/// Walk the lists as the kernel does and say what happens to the event. Indices in the
/// [`Cause`] point into `rules`, which are in listing order (see [`LoadOutcome::rules`]).
/// Cost: O(log n) to find each list, then O(rules of the list × fields).
pub fn decide(ev: &Event, rules: &[LoadedRule]) -> Cause {
    decide_in(ev, rules, &ExitIndex::new(rules))
}

/// [`decide`] with the index of `rules`: the exit list costs O(rules the event may reach).
pub fn decide_in(ev: &Event, rules: &[LoadedRule], index: &ExitIndex) -> Cause {
    let on = |list: List| {
        let range = list_range(rules, list);
        let start = range.start;
        rules[range]
            .iter()
            .enumerate()
            .map(move |(i, r)| (start + i, r))
    };
    // The task list, once per process at fork (no syscall context): the first matching rule
    // sets the process's state. `never` turns auditing off; `always` puts the process in the
    // record state, in which every syscall is recorded with the task rule's key (if any) and
    // the exit rules are skipped (their priority never beats the record state's).
    for (i, r) in on(List::Task) {
        let t = tri(r, ev);
        match r.rule.action {
            _ if t == Tri::Never => continue,
            Action::Never => {
                return Cause::TaskSuppressed {
                    rule: i,
                    all: t == Tri::Always,
                }
            }
            Action::Always => match first_key(&r.rule) {
                Some(key) if t == Tri::Always => return Cause::Covered { rule: i, key },
                // Some processes carry the task rule's key; the rest go on.
                Some(_) => continue,
                None => {
                    return Cause::TaskRecorded {
                        rule: i,
                        all: t == Tri::Always,
                    }
                }
            },
            _ => continue,
        }
    }
    // The exclude list, per record: the first rule whose fields all match drops the record;
    // a field the filter cannot test ends the walk, keeping the record.
    for (i, r) in on(List::Exclude) {
        let (matched, stops) = filter_list(&r.rule, ev);
        if matched != Tri::Never {
            return Cause::Excluded {
                rule: i,
                all: matched == Tri::Always,
            };
        }
        if stops == Tri::Always {
            break;
        }
    }
    let mut partial: Option<usize> = None;
    let mut narrowed = Vec::new();
    let reachable = index.candidates(ev);
    let exit = || reachable.iter().map(|i| (*i as usize, &rules[*i as usize]));
    for (i, r) in exit() {
        let t = tri(r, ev);
        if t == Tri::Never {
            continue;
        }
        let keyed = r.rule.has_key();
        match (t, r.rule.action) {
            (Tri::Never, _) => {}
            (Tri::Always, Action::Never) => return Cause::Shadowed { rule: i },
            (Tri::Always, Action::Always) if partial.is_some() => {
                return partly_lost(rules, partial.expect("checked"), Some(i), ev)
            }
            (Tri::Always, Action::Always) if keyed => {
                let key = first_key(&r.rule).unwrap_or_default();
                return Cause::Covered { rule: i, key };
            }
            // A path watch lives in the kernel's inode hash and is checked after the exit list
            // (audit_filter_inodes after audit_filter_syscall); it overrides the state only by
            // priority, and the key only when it has one. So a keyless watch added first keeps
            // the key of the first exit-list rule that records the event (kernel_truth.rs
            // unkeyed_watch_first_keeps_the_syscall_rules_key).
            (Tri::Always, Action::Always) if is_inode_rule(&r.rule) => {
                let pass_one = exit()
                    .filter(|(_, r)| !is_inode_rule(&r.rule))
                    .find(|(_, r)| tri(r, ev) != Tri::Never);
                if let Some((k, r1)) = pass_one {
                    if tri(r1, ev) == Tri::Always && r1.rule.action == Action::Always {
                        if let Some(key) = first_key(&r1.rule) {
                            return Cause::Covered { rule: k, key };
                        }
                    }
                }
                return Cause::Keyless { rule: i };
            }
            (Tri::Always, Action::Always) => return Cause::Keyless { rule: i },
            (Tri::Sometimes, Action::Never) => {
                partial.get_or_insert(i);
            }
            (Tri::Sometimes, Action::Always) if !keyed => {
                partial.get_or_insert(i);
            }
            (Tri::Sometimes, Action::Always) => narrowed.push(i),
            _ => {}
        }
    }
    if let Some(p) = partial {
        return partly_lost(rules, p, None, ev);
    }
    // A watch on the path as named, which is a symlink: the kernel never fires it on exec.
    // Said before any narrowing rule: the user wrote that rule for this very program.
    if let (Some(named), Some(target)) = (&ev.exec_path, &ev.exec_target) {
        if named != target {
            let on_link = index
                .on_path(named)
                .into_iter()
                .map(|i| (i as usize, &rules[i as usize]))
                .find(|(_, r)| {
                    r.rule.action == Action::Always
                        && r.rule.fields.iter().any(|f| {
                            f.kind == FieldType::PATH
                                && r.watch.as_deref().or(f.bytes()) == Some(named)
                        })
                });
            if let Some((i, _)) = on_link {
                return Cause::WatchOnSymlink {
                    rule: i,
                    target: target.clone(),
                };
            }
        }
    }
    // A tree watch on a symlink to a directory, which would record the event if it sat on
    // that directory: the tree sits on the link (tests/kernel_truth.rs
    // dir_watch_on_a_symlink_to_the_target_directory_does_not_fire).
    let on_link = exit().find_map(|(i, r)| {
        let dir = r.tree_link.as_deref()?;
        (r.rule.action == Action::Always && matches(&r.rule, Some(dir), ev) != Tri::Never)
            .then_some((i, dir))
    });
    if let Some((i, dir)) = on_link {
        return Cause::TreeOnSymlink {
            rule: i,
            target: dir.to_vec(),
        };
    }
    if !narrowed.is_empty() {
        let mut fields: Vec<FieldType> = Vec::new();
        for i in &narrowed {
            let r = &rules[*i];
            for f in narrowing_fields(&r.rule, r.watch.as_deref(), ev) {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
        }
        return Cause::Narrowed {
            rules: narrowed,
            fields,
        };
    }
    Cause::Missing
}

/// Whether the kernel keeps the rule in its inode hash (a `path=` watch or an `inode=` rule)
/// rather than on the exit list proper.
fn is_inode_rule(rule: &crate::model::Rule) -> bool {
    rule.fields
        .iter()
        .any(|f| f.kind == FieldType::PATH || f.kind == FieldType::INODE)
}

/// The first non-empty key of a rule.
fn first_key(rule: &crate::model::Rule) -> Option<Vec<u8>> {
    rule.key_iter().find(|k| !k.is_empty()).map(<[u8]>::to_vec)
}

fn partly_lost(rules: &[LoadedRule], p: usize, covered_by: Option<usize>, ev: &Event) -> Cause {
    let r = &rules[p];
    let mut fields = Vec::new();
    for f in narrowing_fields(&r.rule, r.watch.as_deref(), ev) {
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    // Whether a keyed `always` rule after `p` records every event of the class.
    let rest_covered = rules.iter().skip(p + 1).any(|r| {
        r.rule.list == List::Exit
            && r.rule.action == Action::Always
            && r.rule.has_key()
            && tri(r, ev) == Tri::Always
    });
    Cause::PartlyLost {
        rule: p,
        covered_by,
        fields,
        rest_covered,
    }
}

/// A rule that would have audited the event but is not in the kernel: after the load's stop
/// point, deleted again by `-D`, or in a file the loader never reads.
fn missed_rule(ev: &Event, s: &Subject) -> Option<Missed> {
    let would_cover = |r: &LoadedRule| {
        r.rule.list == List::Exit && r.rule.action == Action::Always && tri(r, ev) == Tri::Always
    };
    if let Some(i) = s.outcome.swallowed.iter().position(|(r, _)| would_cover(r)) {
        return Some(Missed::Swallowed(i));
    }
    if let Some(i) = s.outcome.not_reached.iter().position(would_cover) {
        return Some(Missed::NotReached(i));
    }
    if let Some(i) = s.outcome.deleted.iter().position(|(r, _)| would_cover(r)) {
        return Some(Missed::Deleted(i));
    }
    s.unread.iter().position(would_cover).map(Missed::Unread)
}
