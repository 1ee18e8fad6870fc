//! Judgements into words: the sentences and evidence every format shows, built from the
//! causes `control` returns (the only place that words them). Target bytes inside a sentence
//! (keys, file names) are escaped with [`crate::report::bytes`]; the exact bytes travel beside
//! the sentence (evidence, key, paths).

use crate::control::evaluate::Assessment;
use crate::control::finding::{
    Advice, Cause, Check, ControlJudgement, DaemonCause, FileProblem, Judgement, Missed,
    RequirementJudgement, SettingCause, SettingJudgement, Verdict,
};
use crate::control::Setting;
use crate::load::auditctl::{LoadOutcome, LoadedRule};
use crate::model::{FieldType, Machine};
use crate::report::bytes::{escape, origin, path};
use crate::report::{
    AdviceReport, ByteString, ControlFinding, EventFinding, Evidence, RequirementFinding,
};

/// The progress line of a long `check` (on a terminal's stderr only): what is being judged.
pub fn progress_check(target: &crate::report::ByteString, n: usize, profile: bool) -> String {
    let kind = if profile { "item" } else { "control" };
    let what = if n == 1 {
        format!("1 {kind}")
    } else {
        format!("{n} {kind}s")
    };
    format!(
        "auditguard: judging {what} on {target} (reading the configuration, resolving paths)..."
    )
}

/// Narrowed rules cited per event; the rest are counted.
const CITED: usize = 3;

/// What the words need besides the judgement: the evaluated outcome (rules the causes cite),
/// the rules in unread files, how the loader is named, and the target's machine.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The outcome the judgement's indices point into.
    pub outcome: &'a LoadOutcome,
    /// Rules in files the loader never reads.
    pub unread: &'a [LoadedRule],
    /// `augenrules`, `auditctl -R FILE`, `the running kernel`.
    pub loader: &'a str,
    /// The target's machine (for `b64`/`b32` labels).
    pub machine: Machine,
}

impl Context<'_> {
    fn at(&self, i: usize) -> String {
        origin(&self.outcome.rules[i].origin)
    }

    fn cite(&self, i: usize) -> Evidence {
        let r = &self.outcome.rules[i];
        Evidence::new(&r.origin, &r.text)
    }
}

fn field_names(fields: &[FieldType]) -> String {
    fields
        .iter()
        .map(|f| {
            f.name()
                .map(str::to_string)
                .unwrap_or_else(|| format!("f{}", f.0))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sentence for a cause.
pub fn cause(c: &Cause, ctx: &Context) -> String {
    match c {
        Cause::Covered { rule, key } => format!(
            "recorded with key \"{}\" by the rule at {}",
            escape(key),
            ctx.at(*rule)
        ),
        Cause::Missing => "no loaded rule audits it".to_string(),
        Cause::Shadowed { rule } => format!(
            "the never rule at {} matches it first, so no later rule records it",
            ctx.at(*rule)
        ),
        Cause::Keyless { rule } => format!(
            "the first rule that matches it, at {}, has no key, so its records carry none",
            ctx.at(*rule)
        ),
        Cause::Narrowed { rules, fields } => format!(
            "only rules that match some of these events audit it (narrowed by {}), e.g. at {}",
            field_names(fields),
            ctx.at(rules[0])
        ),
        Cause::PartlyLost {
            rule,
            fields,
            rest_covered,
            ..
        } => {
            let what = if ctx.outcome.rules[*rule].rule.action == crate::model::Action::Never {
                "never rule"
            } else {
                "keyless rule"
            };
            format!(
                "the {what} at {} catches some of these events first (those selected by {}){}",
                ctx.at(*rule),
                field_names(fields),
                if *rest_covered {
                    ""
                } else {
                    "; no loaded rule audits the rest"
                }
            )
        }
        Cause::TaskSuppressed { rule, all } => format!(
            "the task-list never rule at {} turns auditing off for {} processes at fork",
            ctx.at(*rule),
            if *all { "all" } else { "some" }
        ),
        Cause::Excluded { rule, all: true } => format!(
            "the exclude rule at {} drops the SYSCALL records that carry the key",
            ctx.at(*rule)
        ),
        Cause::Excluded { rule, all: false } => format!(
            "the exclude rule at {} drops the SYSCALL records of some of these events (those \
             its fields select)",
            ctx.at(*rule)
        ),
        Cause::TaskRecorded { rule, all } => format!(
            "the task-list always rule at {} puts {} user processes in the record state: their \
             syscalls are recorded but the exit rules, and their keys, are skipped, so the \
             records carry no key",
            ctx.at(*rule),
            if *all { "all" } else { "some" }
        ),
        Cause::WatchOnSymlink { rule, target } => {
            let (at, named) = watched(ctx, *rule, FieldType::PATH);
            let target = escape(target);
            format!(
                "the watch at {at} is on {named}, a symlink to {target}: the kernel records an \
                 exec under the inode really executed, so a watch on the link never fires; \
                 watch {target} instead"
            )
        }
        Cause::TreeOnSymlink { rule, target } => {
            let (at, named) = watched(ctx, *rule, FieldType::DIR);
            let target = escape(target);
            format!(
                "the directory watch at {at} is on {named}, a symlink to {target}: the kernel \
                 puts the tree on the link itself (it does not follow a tree's last \
                 component), so nothing below {target} is under it; watch {target} instead"
            )
        }
        Cause::AuditDisabled { by: Some(at) } => format!(
            "auditing is left disabled by -e 0 at {at}: the rules are loaded but nothing is \
             recorded"
        ),
        Cause::AuditDisabled { by: None } => {
            "nothing enables auditing at boot: the rules are loaded but nothing is recorded"
                .to_string()
        }
        Cause::NothingLoaded { reason } => format!("no rules are loaded at boot: {reason}"),
        Cause::NotInstalled { path } => format!(
            "{} is not installed on the target, so nothing can run it (should it be installed, \
             its executions must be audited)",
            escape(path)
        ),
    }
}

/// The sentence and evidence for a rule that would record the event but is not loaded.
fn missed(m: Missed, ctx: &Context) -> (String, Evidence) {
    match m {
        Missed::NotReached(i) => {
            let r = &ctx.outcome.not_reached[i];
            let stop = ctx
                .outcome
                .stopped_at
                .as_ref()
                .map(origin)
                .unwrap_or_default();
            let why = ctx
                .outcome
                .errors
                .last()
                .map(|e| e.kind.to_string())
                .unwrap_or_default();
            (
                format!(
                    "the rule at {} would audit it but is never loaded: the load stops at {stop} ({why})",
                    origin(&r.origin)
                ),
                Evidence::new(&r.origin, &r.text),
            )
        }
        Missed::Swallowed(i) => {
            let (r, joined) = &ctx.outcome.swallowed[i];
            (
                format!(
                    "the rule at {} would audit it but is never loaded as written: {} does not end \
                     with a newline, so augenrules joins its last line ({joined}) with it",
                    r.origin,
                    joined.file.display()
                ),
                Evidence::new(&r.origin, &r.text),
            )
        }
        Missed::Deleted(i) => {
            let (r, by) = &ctx.outcome.deleted[i];
            (
                format!(
                    "the rule at {} would audit it but the -D at {} deletes it again",
                    origin(&r.origin),
                    origin(by)
                ),
                Evidence::new(&r.origin, &r.text),
            )
        }
        Missed::Unread(i) => {
            let r = &ctx.unread[i];
            (
                format!(
                    "the rule at {} would audit it, but {} is not read by {}",
                    origin(&r.origin),
                    path(&r.origin.file),
                    ctx.loader
                ),
                Evidence::new(&r.origin, &r.text),
            )
        }
    }
}

/// Where the watch rule `rule` is, and the path its `kind` field names (escaped).
fn watched(ctx: &Context, rule: usize, kind: FieldType) -> (String, String) {
    let r = &ctx.outcome.rules[rule];
    let named = r
        .rule
        .fields
        .iter()
        .find(|f| f.kind == kind)
        .and_then(|f| f.bytes())
        .unwrap_or_default();
    (origin(&r.origin), escape(named).into_owned())
}

/// The evidence lines of a cause: the rules it cites (narrowed ones: the first few).
fn evidence(c: &Cause, ctx: &Context) -> Vec<Evidence> {
    match c {
        Cause::Missing
        | Cause::NothingLoaded { .. }
        | Cause::AuditDisabled { by: None }
        | Cause::NotInstalled { .. } => Vec::new(),
        Cause::AuditDisabled { by: Some(at) } => {
            let text = ctx
                .outcome
                .enabled
                .as_ref()
                .filter(|(_, o)| o == at)
                .map(|_| b"-e 0".to_vec())
                .unwrap_or_default();
            vec![Evidence::new(at, &text)]
        }
        Cause::Narrowed { rules, .. } => rules.iter().take(CITED).map(|i| ctx.cite(*i)).collect(),
        Cause::PartlyLost {
            rule, covered_by, ..
        } => std::iter::once(*rule)
            .chain(*covered_by)
            .map(|i| ctx.cite(i))
            .collect(),
        other => other.rule().map(|i| ctx.cite(i)).into_iter().collect(),
    }
}

/// One judged event as a report entry.
pub fn event(j: &Judgement, ctx: &Context) -> EventFinding {
    let mut reason = cause(&j.cause, ctx);
    if let Cause::Narrowed { rules, .. } = &j.cause {
        if rules.len() > CITED {
            reason.push_str(&format!(" ({} such rules)", rules.len()));
        }
    }
    let mut ev = evidence(&j.cause, ctx);
    if let Some(m) = j.missed {
        let (words, cited) = missed(m, ctx);
        reason.push_str("; ");
        reason.push_str(&words);
        ev.push(cited);
    }
    EventFinding {
        event: j.event.label(ctx.machine),
        verdict: j.verdict(),
        reason,
        key: match &j.cause {
            Cause::Covered { key, .. } => Some(ByteString(key.to_vec())),
            _ => None,
        },
        evidence: ev,
    }
}

/// The sentence and evidence for a loader setting's final state.
pub fn setting(s: &SettingJudgement) -> (String, Vec<Evidence>) {
    let line = match (s.setting, s.wanted) {
        (Setting::Enabled, Some(n)) => format!("-e {n}"),
        (Setting::Enabled, None) => "-e".to_string(),
        (Setting::Failure, Some(n)) => format!("-f {n}"),
        (Setting::Failure, None) => "-f".to_string(),
        (Setting::LoginuidImmutable, _) => "--loginuid-immutable".to_string(),
    };
    let cite = |at: &crate::load::Origin, text: &str| Evidence::new(at, text.as_bytes());
    let flag = if s.setting == Setting::Enabled {
        "-e"
    } else {
        "-f"
    };
    match &s.cause {
        SettingCause::Set { at } if crate::control::kernel::is_kernel_status(at) => (
            format!("the running kernel is at {line} (AUDIT_GET): in force"),
            Vec::new(),
        ),
        SettingCause::Other { value, at } if crate::control::kernel::is_kernel_status(at) => (
            format!(
                "the running kernel is at {flag} {value} (AUDIT_GET), not {line}: a \
                 configuration's {line} takes effect at the next load (augenrules --load) or \
                 boot; until then it is not in force"
            ),
            Vec::new(),
        ),
        SettingCause::Set { at } => (
            format!("the load ends with {line}, set at {}", origin(at)),
            vec![cite(at, &line)],
        ),
        SettingCause::UnsetLoadStops { stop } => (
            format!(
                "no line that takes effect sets {line}: the load stops at {} (an error without \
                 -c or -i), so no line after it takes effect; fix that line first",
                origin(stop)
            ),
            vec![cite(stop, "")],
        ),
        SettingCause::Unset => (
            format!(
                "no line that takes effect sets {line}: add it as the last line the loader reads"
            ),
            Vec::new(),
        ),
        SettingCause::Other { value, at } => (
            format!(
                "the load ends with {flag} {value} (set at {}), not {line}",
                origin(at)
            ),
            vec![cite(at, &format!("{flag} {value}"))],
        ),
        SettingCause::NotLast { lock, first, count } => (
            format!(
                "-e 2 at {} is not the last line: {count} later line(s) are refused, the first \
                 at {}; put -e 2 last",
                origin(lock),
                origin(first)
            ),
            vec![cite(lock, "-e 2")],
        ),
        SettingCause::NothingLoaded { reason } => {
            (format!("no rules are loaded at boot: {reason}"), Vec::new())
        }
    }
}

/// The sentence and evidence for a requirement on the target's files.
pub fn check(c: &Check) -> (String, Vec<Evidence>) {
    let at = |file: &str, line: u32, text: String| Evidence {
        file: ByteString(file.as_bytes().to_vec()),
        line,
        text: ByteString(text.into_bytes()),
    };
    match c {
        Check::Setting(s) => setting(s),
        Check::Daemon(d) => {
            let key = &d.key;
            match &d.cause {
                DaemonCause::Accepted { value, line: 0 } => (
                    format!("{key} is not set in {}: auditd's default {value} applies, which is accepted", d.file),
                    Vec::new(),
                ),
                DaemonCause::Accepted { value, line } => (
                    format!("{key} = {} at {}:{line}", escape(value.as_bytes()), d.file),
                    vec![at(&d.file, *line, format!("{key} = {value}"))],
                ),
                DaemonCause::NotAccepted { value, line: 0, wanted } => (
                    format!(
                        "{key} is not set in {}: auditd's default ({}) applies; set {key} to one of: {wanted}",
                        d.file,
                        if value.is_empty() { "none" } else { value }
                    ),
                    Vec::new(),
                ),
                DaemonCause::NotAccepted { value, line, wanted } => (
                    format!(
                        "{key} = {} at {}:{line}; wanted one of: {wanted}",
                        escape(value.as_bytes()),
                        d.file
                    ),
                    vec![at(&d.file, *line, format!("{key} = {value}"))],
                ),
                DaemonCause::Refused { line: 0, reason } => (
                    format!(
                        "auditd refuses {} ({reason}) and does not start: nothing is recorded",
                        d.file
                    ),
                    Vec::new(),
                ),
                DaemonCause::Refused { line, reason } => (
                    format!(
                        "auditd refuses {} at line {line} ({reason}) and does not start: nothing \
                         is recorded",
                        d.file
                    ),
                    vec![at(&d.file, *line, String::new())],
                ),
                DaemonCause::Unreadable { error } => {
                    (format!("{} cannot be read: {error}", d.file), Vec::new())
                }
            }
        }
        Check::Boot(b) => {
            if b.sources.is_empty() {
                return (
                    "no boot loader configuration on the target (no /etc/default/grub, BLS \
                     entry or grub.cfg): the kernel's arguments are not set here"
                        .to_string(),
                    Vec::new(),
                );
            }
            let bad: Vec<String> = b
                .sources
                .iter()
                .filter(|(_, _, ok)| !ok)
                .map(|(s, v, _)| {
                    let what = match v {
                        None => format!("{} absent", b.arg),
                        Some(v) => format!("{}={v}", b.arg),
                    };
                    let running = s.kind == crate::model::BootSourceKind::Running;
                    format!(
                        "{}:{}: {what}{}",
                        s.file,
                        s.line,
                        if running {
                            " (the running kernel: reboot required)"
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            let evidence = b
                .sources
                .iter()
                .map(|(s, _, _)| at(&s.file, s.line, s.args.join(" ")))
                .collect();
            if bad.is_empty() {
                (
                    format!("{} in every boot source ({})", b.wanted, b.sources.len()),
                    evidence,
                )
            } else {
                (
                    format!(
                        "wanted {}; not so in {}; {}",
                        b.wanted,
                        bad.join("; "),
                        boot_command(b)
                    ),
                    evidence,
                )
            }
        }
        Check::NoPrivilegedPrograms => (
            "no setuid or setgid program on the target's mounts that allow them: nothing to \
             audit (should one be installed, its executions must be)"
                .to_string(),
            Vec::new(),
        ),
        Check::Files(f) => {
            if f.files.is_empty() {
                return (
                    format!("no such file on the target ({})", f.patterns.join(", ")),
                    Vec::new(),
                );
            }
            let mut bad = Vec::new();
            for (file, problems) in &f.files {
                for p in problems {
                    let path = escape(&file.path).into_owned();
                    bad.push(match p {
                        FileProblem::Mode { max } => {
                            format!("{path} has mode {:04o}, more than {max:04o}", file.mode)
                        }
                        FileProblem::Owner { owner, allowed } => {
                            format!("{path} is owned by {owner}, not {}", allowed.join(" or "))
                        }
                        FileProblem::Symlink => format!(
                            "{path} is a symbolic link: judge and fix the file it names, or \
                             replace the link"
                        ),
                        FileProblem::Group { group, allowed } => {
                            format!("{path} has group {group}, not {}", allowed.join(" or "))
                        }
                    });
                }
            }
            if bad.is_empty() {
                (
                    format!("all {} file(s) are as required", f.files.len()),
                    Vec::new(),
                )
            } else {
                (bad.join("; "), Vec::new())
            }
        }
    }
}

/// One judged requirement as a report entry. Evidence is gathered from its events, each
/// line once (hashed: O(events)).
pub fn requirement(r: &RequirementJudgement, ctx: &Context) -> RequirementFinding {
    if let Some(c) = &r.check {
        let (reason, evidence) = check(c);
        return RequirementFinding {
            id: r.id.clone(),
            title: r.title.clone(),
            verdict: r.verdict(),
            reason,
            evidence,
            events: Vec::new(),
        };
    }
    let events: Vec<EventFinding> = r.events.iter().map(|e| event(e, ctx)).collect();
    let failing: Vec<&EventFinding> = events
        .iter()
        .filter(|e| e.verdict >= Verdict::Fail)
        .collect();
    let not_applicable = events.iter().find(|e| e.verdict == Verdict::NotApplicable);
    let reason = match (failing.first(), not_applicable) {
        (None, Some(na)) => format!("{}: {}", na.event, na.reason),
        (None, None) => format!("all {} events are recorded with a key", events.len()),
        (Some(first), _) => format!(
            "{} of {} events not recorded with a key; {}: {}",
            failing.len(),
            events.len(),
            first.event,
            first.reason
        ),
    };
    let mut seen = std::collections::HashSet::new();
    let evidence = events
        .iter()
        .flat_map(|e| &e.evidence)
        .filter(|e| seen.insert((e.file.clone(), e.line, e.text.clone())))
        .cloned()
        .collect();
    RequirementFinding {
        id: r.id.clone(),
        title: r.title.clone(),
        verdict: r.verdict(),
        reason,
        evidence,
        events,
    }
}

/// One advice item.
pub fn advice(a: &Advice, ctx: &Context) -> AdviceReport {
    match a {
        Advice::Unaudited(j) => {
            let e = event(j, ctx);
            AdviceReport {
                level: "warning",
                message: format!(
                    "{} is not audited with a key ({}); modprobe (kmod) loads modules with it, so module loads by modprobe leave no trail",
                    e.event, e.reason
                ),
                evidence: e.evidence.first().cloned(),
                paths: Vec::new(),
            }
        }
        Advice::Symlinked { names, target } => {
            let paths = names
                .iter()
                .chain(std::iter::once(target))
                .map(|p| ByteString(p.to_vec()))
                .collect();
            let target = escape(target);
            let names: Vec<String> = names.iter().map(|n| escape(n).into_owned()).collect();
            AdviceReport {
                level: "advice",
                message: format!(
                    "{} {} to {target} on the target: a watch on a symlink never fires on \
                     exec; watch {target} instead, or rely on the module syscall rules",
                    names.join(", "),
                    if names.len() == 1 {
                        "is a symlink"
                    } else {
                        "are symlinks"
                    },
                ),
                evidence: None,
                paths,
            }
        }
        Advice::ScanIncomplete(gaps) => {
            let parts: Vec<String> = gaps
                .iter()
                .map(|g| match g {
                    crate::model::ScanGap::Bound { entries } => {
                        format!("it stopped after {entries} directory entries (its bound)")
                    }
                    crate::model::ScanGap::Unreadable { dir, error } => {
                        format!("{} could not be read ({error})", escape(dir))
                    }
                })
                .collect();
            AdviceReport {
                level: "warning",
                message: format!(
                    "the setuid/setgid scan did not see the whole target: {}; programs there \
                     were not judged",
                    parts.join("; ")
                ),
                evidence: None,
                paths: gaps
                    .iter()
                    .filter_map(|g| match g {
                        crate::model::ScanGap::Unreadable { dir, .. } => {
                            Some(ByteString(dir.clone()))
                        }
                        crate::model::ScanGap::Bound { .. } => None,
                    })
                    .collect(),
            }
        }
        Advice::LockNotLast { lock, first, count } => AdviceReport {
            level: "advice",
            message: format!(
                "-e 2 at {} is not the last line: {count} later change(s) are refused, the \
                 first at {}; put -e 2 last",
                origin(lock),
                origin(first)
            ),
            evidence: None,
            paths: Vec::new(),
        },
        Advice::LoadError(i) => {
            let err = &ctx.outcome.errors[*i];
            AdviceReport {
                level: "advice",
                message: format!("load error: {}", err.kind),
                evidence: Some(Evidence::new(&err.origin, &err.text)),
                paths: Vec::new(),
            }
        }
    }
}

/// One judged control as a report entry.
pub fn control(c: &ControlJudgement, ctx: &Context) -> ControlFinding {
    let requirements: Vec<RequirementFinding> =
        c.requirements.iter().map(|r| requirement(r, ctx)).collect();
    let failing: Vec<&str> = requirements
        .iter()
        .filter(|r| r.verdict >= Verdict::Fail)
        .map(|r| r.id.as_str())
        .collect();
    let not_applicable: Vec<&str> = requirements
        .iter()
        .filter(|r| r.verdict == Verdict::NotApplicable)
        .map(|r| r.id.as_str())
        .collect();
    let reason = if !failing.is_empty() {
        format!("not met: {}", failing.join(", "))
    } else if !not_applicable.is_empty() {
        format!(
            "not applicable on this target: {}",
            not_applicable.join(", ")
        )
    } else if c.requirements.iter().all(|r| r.events.is_empty()) {
        "every requirement is met".to_string()
    } else {
        "every required event is recorded with a key".to_string()
    };
    ControlFinding {
        id: c.id.clone(),
        title: c.title.clone(),
        verdict: c.verdict(),
        reason,
        requirements,
        advice: c.advice.iter().map(|a| advice(a, ctx)).collect(),
        refs: c.refs.clone(),
        severity: c.severity.clone(),
        item: c.item.clone(),
    }
}

/// Every judged control as report entries.
pub fn assessment(a: &Assessment, ctx: &Context) -> Vec<ControlFinding> {
    a.controls.iter().map(|c| control(c, ctx)).collect()
}

/// Why fix leaves a symlinked file of a file-permission item alone.
pub fn symlinked_file(p: &std::path::Path) -> String {
    format!(
        "{} is a symbolic link: its own mode means nothing and fix does not change the file it \
         names through it; point the item at the file, or change that file by hand",
        path(p)
    )
}

/// Why fix leaves log files outside `/var/log` alone.
/// `real`: where `p` really is (its directories resolved through symlinks).
pub fn log_outside_var_log(p: &std::path::Path, real: &std::path::Path) -> String {
    let really = if p == real {
        String::new()
    } else {
        format!(" (a symlinked directory puts it at {})", path(real))
    };
    format!(
        "{}{really} comes from auditd.conf's log_file and is not in a directory below /var/log: \
         fix changes the mode and owner of audit logs only there; check log_file, then change it \
         by hand",
        path(p)
    )
}

/// Why fix cannot pick an owner or group.
pub fn unknown_names(allowed: &[String]) -> String {
    format!(
        "none of the allowed names ({}) is known on the target (its /etc/passwd and /etc/group)",
        allowed
            .iter()
            .map(|a| escape(a.as_bytes()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A planned mode/owner change as a command line: `chmod 0600 PATH (was 0644)`,
/// `chown root:root PATH (was adm:adm)`.
pub fn metadata_change(m: &crate::fix::plan::PlannedMeta) -> Vec<String> {
    let c = &m.change;
    let mut out = Vec::new();
    if (c.expected.uid, c.expected.gid) != (c.new.uid, c.new.gid) {
        out.push(format!(
            "chown {}:{} {} (was {}:{})",
            escape(m.owner.1.as_bytes()),
            escape(m.group.1.as_bytes()),
            path(&c.path),
            escape(m.owner.0.as_bytes()),
            escape(m.group.0.as_bytes()),
        ));
    }
    if c.expected.mode != c.new.mode {
        out.push(format!(
            "chmod {:04o} {} (was {:04o})",
            c.new.mode,
            path(&c.path),
            c.expected.mode
        ));
    }
    out
}

/// How to set a kernel argument on the kind of boot configuration the target has, as the
/// benchmarks' fix texts do: `grubby` where Boot Loader Specification entries hold the
/// arguments (RHEL), else `GRUB_CMDLINE_LINUX` in /etc/default/grub and the distribution's
/// generator (`update-grub` on Debian and Ubuntu, `grub2-mkconfig` elsewhere); a reboot makes
/// the running kernel use it.
fn boot_command(b: &crate::control::finding::BootJudgement) -> String {
    use crate::model::BootSourceKind as K;
    let arg = match b.wanted.split_once(" >= ") {
        Some((name, min)) => format!("{name}={min}"),
        None => b.wanted.clone(),
    };
    let has = |k: K| b.sources.iter().any(|(s, _, _)| s.kind == k);
    let debian = b
        .sources
        .iter()
        .any(|(s, _, _)| s.file.starts_with("/boot/grub/"));
    let set = if has(K::Bls) {
        format!("set it with: grubby --update-kernel=ALL --args=\"{arg}\"")
    } else if debian {
        format!("add {arg} to GRUB_CMDLINE_LINUX in /etc/default/grub, then run update-grub")
    } else if b
        .sources
        .iter()
        .any(|(s, _, _)| s.file.starts_with("/boot/grub2/"))
    {
        format!(
            "add {arg} to GRUB_CMDLINE_LINUX in /etc/default/grub, then run grub2-mkconfig -o \
             /boot/grub2/grub.cfg"
        )
    } else {
        format!(
            "add {arg} to GRUB_CMDLINE_LINUX in /etc/default/grub, then run update-grub (Debian, \
             Ubuntu) or grub2-mkconfig -o /boot/grub2/grub.cfg"
        )
    };
    if has(K::Running) {
        format!("{set}, and reboot")
    } else {
        set
    }
}
