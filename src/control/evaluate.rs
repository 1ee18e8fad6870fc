//! Evaluate a control against a kernel rule list, the way the kernel decides: the task list at
//! fork, the exclude list per record, and the exit list first-match (watches and syscall rules
//! in one order, the earliest added wins).

use crate::control::event::{self, Event, Expectation};
use crate::control::finding::{
    Advice, Cause, ControlFinding, EventFinding, Evidence, RequirementFinding, Verdict,
};
use crate::control::predicate::{matches, Tri};
use crate::control::Control;
use crate::host::Host;
use crate::load::auditctl::{LoadOutcome, LoadedRule};
use crate::model::{Action, List, Machine};

/// What a control is evaluated against.
pub struct Subject<'a> {
    /// The kernel list (simulated from the configuration, or read from the kernel), with the
    /// load's errors and stop point.
    pub outcome: &'a LoadOutcome,
    /// Rules found in files the loader never reads (evidence only).
    pub unread: &'a [LoadedRule],
    /// How the loader is named in messages (`augenrules`, `auditctl -R /etc/audit/audit.rules`).
    pub loader: &'a str,
    /// The target's machine.
    pub machine: Machine,
    /// The target.
    pub host: &'a dyn Host,
}

/// Evaluate one control.
pub fn evaluate(control: &Control, subject: &Subject) -> ControlFinding {
    let expectations = event::expectations(control, subject.machine, subject.host);
    let mut requirements = Vec::new();
    let mut advice = Vec::new();
    for req in &control.requirements {
        let mut events = Vec::new();
        for exp in expectations.iter().filter(|e| e.requirement == req.id) {
            let finding = judge(exp, subject);
            if exp.advice {
                if finding.verdict != Verdict::Pass {
                    advice.push(Advice {
                        message: format!(
                            "{} is not audited with a key ({}); modern kmod loads modules with it",
                            finding.event, finding.reason
                        ),
                        evidence: finding.evidence.first().cloned(),
                    });
                }
                continue;
            }
            events.push(finding);
        }
        requirements.push(summarise(req.id.clone(), req.title.clone(), events));
        // Symlinked tools, grouped by the file they lead to: one advice per target.
        let mut links: Vec<(Vec<u8>, Vec<&str>)> = Vec::new();
        for p in &req.paths {
            let Some(target) = event::is_symlink(subject.host, p.as_bytes()) else {
                continue;
            };
            if target_is_watched(&expectations, &req.id, &target, subject) {
                continue;
            }
            match links.iter_mut().find(|(t, _)| *t == target) {
                Some((_, names)) => names.push(p),
                None => links.push((target, vec![p])),
            }
        }
        for (target, names) in links {
            let target = String::from_utf8_lossy(&target);
            advice.push(Advice {
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
            });
        }
    }
    advice.extend(load_advice(subject.outcome));
    let verdict = requirements
        .iter()
        .fold(Verdict::Pass, |v, r| v.worst(r.verdict));
    let failing: Vec<&str> = requirements
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .map(|r| r.id.as_str())
        .collect();
    let reason = if failing.is_empty() {
        "every required event is recorded with a key".to_string()
    } else {
        format!("not met: {}", failing.join(", "))
    };
    ControlFinding {
        id: control.id.clone(),
        title: control.title.clone(),
        verdict,
        reason,
        requirements,
        advice,
    }
}

/// Whether the file a symlinked path leads to is itself recorded on exec (then the symlink
/// advice has nothing to add).
fn target_is_watched(exps: &[Expectation], req: &str, target: &[u8], s: &Subject) -> bool {
    exps.iter()
        .filter(|e| e.requirement == req && e.event.exec_target.as_deref() == Some(target))
        .all(|e| {
            let mut only_target = e.event.clone();
            only_target.exec_path = only_target.exec_target.clone();
            matches!(
                decide(&only_target, &s.outcome.rules, s.host).0,
                Cause::Covered { .. }
            )
        })
}

fn summarise(id: String, title: String, events: Vec<EventFinding>) -> RequirementFinding {
    let verdict = events.iter().fold(Verdict::Pass, |v, e| v.worst(e.verdict));
    let failing: Vec<&EventFinding> = events
        .iter()
        .filter(|e| e.verdict != Verdict::Pass)
        .collect();
    let reason = match failing.first() {
        None => format!("all {} events are recorded with a key", events.len()),
        Some(first) => format!(
            "{} of {} events not recorded with a key; {}: {}",
            failing.len(),
            events.len(),
            first.event,
            first.reason
        ),
    };
    let mut evidence: Vec<Evidence> = Vec::new();
    for e in &events {
        for ev in &e.evidence {
            if !evidence.contains(ev) {
                evidence.push(ev.clone());
            }
        }
    }
    RequirementFinding {
        id,
        title,
        verdict,
        reason,
        evidence,
        events,
    }
}

/// Advice about the load itself: every error, and `-e 2` before other lines.
fn load_advice(outcome: &LoadOutcome) -> Vec<Advice> {
    let mut out = Vec::new();
    if let (Some(lock), Some(first)) = (&outcome.locked_at, outcome.after_lock.first()) {
        out.push(Advice {
            message: format!(
                "-e 2 at {lock} is not the last line: {} later change(s) are refused, the first \
                 at {first}; put -e 2 last",
                outcome.after_lock.len()
            ),
            evidence: None,
        });
    }
    for err in &outcome.errors {
        out.push(Advice {
            message: format!("load error: {}", err.message),
            evidence: Some(Evidence::new(&err.origin, &err.text)),
        });
    }
    out
}

/// Decide one expected event.
fn judge(exp: &Expectation, s: &Subject) -> EventFinding {
    let ev = &exp.event;
    let rules = &s.outcome.rules;
    let (cause, mut reason) = decide(ev, rules, s.host);
    let mut evidence = Vec::new();
    let cite = |i: usize| Evidence::new(&rules[i].origin, &rules[i].text);
    let mut key = None;
    let verdict = match &cause {
        Cause::Covered { rule, key: k } => {
            evidence.push(cite(*rule));
            key = Some(String::from_utf8_lossy(k).into_owned());
            Verdict::Pass
        }
        Cause::Missing => Verdict::Fail,
        Cause::Shadowed { rule }
        | Cause::Keyless { rule }
        | Cause::TaskSuppressed { rule }
        | Cause::Excluded { rule } => {
            evidence.push(cite(*rule));
            Verdict::Fail
        }
        Cause::Narrowed { rules: rs } => {
            evidence.extend(rs.iter().map(|i| cite(*i)));
            Verdict::Fail
        }
        Cause::PartlyLost { rule, covered_by } => {
            evidence.push(cite(*rule));
            evidence.extend(covered_by.map(cite));
            Verdict::Fail
        }
    };
    if verdict != Verdict::Pass {
        if let Some(extra) = missed_rule(ev, s) {
            reason.push_str("; ");
            reason.push_str(&extra.0);
            evidence.push(extra.1);
        }
    }
    EventFinding {
        event: ev.label(s.machine),
        verdict,
        reason,
        key,
        evidence,
        cause: Some(cause),
        abi: Some(ev.abi),
    }
}

/// Walk the lists as the kernel does and say what happens to the event: its [`Cause`] and a
/// sentence. `Cause` indices point into `rules`.
pub fn decide(ev: &Event, rules: &[LoadedRule], host: &dyn Host) -> (Cause, String) {
    let on = |list: List| {
        rules
            .iter()
            .enumerate()
            .filter(move |(_, r)| r.rule.list == list)
    };
    let at = |i: usize| rules[i].origin.to_string();

    for (i, r) in on(List::Task) {
        let m = matches(&r.rule, ev, host);
        match (m.tri, r.rule.action) {
            (Tri::Never, _) => continue,
            (Tri::Always, Action::Never) => {
                return (
                    Cause::TaskSuppressed { rule: i },
                    format!(
                        "the task-list never rule at {} turns auditing off for every user process",
                        at(i)
                    ),
                )
            }
            (Tri::Sometimes, Action::Never) => {
                return (
                    Cause::TaskSuppressed { rule: i },
                    format!(
                        "the task-list never rule at {} turns auditing off for some user processes",
                        at(i)
                    ),
                )
            }
            (Tri::Always, _) => break,
            _ => continue,
        }
    }
    for (i, r) in on(List::Exclude) {
        if matches(&r.rule, ev, host).tri != Tri::Never {
            return (
                Cause::Excluded { rule: i },
                format!(
                    "the exclude rule at {} drops the SYSCALL records that carry the key",
                    at(i)
                ),
            );
        }
    }
    let mut partial: Option<usize> = None;
    let mut narrowed = Vec::new();
    for (i, r) in on(List::Exit) {
        let m = matches(&r.rule, ev, host);
        let keyed = !r.rule.keys().iter().all(|k| k.is_empty());
        match (m.tri, r.rule.action) {
            (Tri::Never, _) => {}
            (Tri::Always, Action::Never) => {
                return (
                    Cause::Shadowed { rule: i },
                    format!(
                        "the never rule at {} matches it first, so no later rule records it",
                        at(i)
                    ),
                )
            }
            (Tri::Always, Action::Always) if partial.is_some() => {
                let p = partial.expect("checked");
                return (
                    Cause::PartlyLost {
                        rule: p,
                        covered_by: Some(i),
                    },
                    partly_lost_reason(rules, p, ev, host),
                );
            }
            (Tri::Always, Action::Always) if keyed => {
                let key = r
                    .rule
                    .keys()
                    .into_iter()
                    .find(|k| !k.is_empty())
                    .unwrap_or_default()
                    .to_vec();
                let reason = format!(
                    "recorded with key \"{}\" by the rule at {}",
                    String::from_utf8_lossy(&key),
                    at(i)
                );
                return (Cause::Covered { rule: i, key }, reason);
            }
            (Tri::Always, Action::Always) => {
                return (
                    Cause::Keyless { rule: i },
                    format!(
                    "the first rule that matches it, at {}, has no key, so its records carry none",
                    at(i)
                ),
                )
            }
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
        return (
            Cause::PartlyLost {
                rule: p,
                covered_by: None,
            },
            partly_lost_reason(rules, p, ev, host),
        );
    }
    if !narrowed.is_empty() {
        let fields: Vec<String> = narrowed
            .iter()
            .flat_map(|i| matches(&rules[*i].rule, ev, host).narrowed_by)
            .map(|n| n.field)
            .collect();
        let reason = format!(
            "only rules that match some of these events audit it (narrowed by {}), e.g. at {}",
            dedup(fields).join(", "),
            at(narrowed[0])
        );
        return (Cause::Narrowed { rules: narrowed }, reason);
    }
    (Cause::Missing, "no loaded rule audits it".to_string())
}

fn partly_lost_reason(rules: &[LoadedRule], p: usize, ev: &Event, host: &dyn Host) -> String {
    let r = &rules[p];
    let what = if r.rule.action == Action::Never {
        "never rule"
    } else {
        "keyless rule"
    };
    let by = dedup(
        matches(&r.rule, ev, host)
            .narrowed_by
            .into_iter()
            .map(|n| n.field)
            .collect(),
    );
    format!(
        "the {what} at {} catches some of these events first (those selected by {}){}",
        r.origin,
        by.join(", "),
        if covered_by_later(rules, p, ev, host) {
            ""
        } else {
            "; no loaded rule audits the rest"
        }
    )
}

/// Whether a keyed `always` rule after `p` records every event of the class.
fn covered_by_later(rules: &[LoadedRule], p: usize, ev: &Event, host: &dyn Host) -> bool {
    rules.iter().skip(p + 1).any(|r| {
        r.rule.list == List::Exit
            && r.rule.action == Action::Always
            && r.rule.keys().iter().any(|k| !k.is_empty())
            && matches(&r.rule, ev, host).tri == Tri::Always
    })
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    v.retain(|x| {
        if seen.contains(x) {
            false
        } else {
            seen.push(x.clone());
            true
        }
    });
    v
}

/// A rule that would have audited the event but is not in the kernel: after the load's stop
/// point, or in a file the loader never reads.
fn missed_rule(ev: &Event, s: &Subject) -> Option<(String, Evidence)> {
    let would_cover = |r: &LoadedRule| {
        r.rule.list == List::Exit
            && r.rule.action == Action::Always
            && matches(&r.rule, ev, s.host).tri == Tri::Always
    };
    if let Some(r) = s.outcome.not_reached.iter().find(|r| would_cover(r)) {
        let stop = s
            .outcome
            .stopped_at
            .as_ref()
            .map(|o| o.to_string())
            .unwrap_or_default();
        let why = s
            .outcome
            .errors
            .last()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        return Some((
            format!(
                "the rule at {} would audit it but is never loaded: the load stops at {stop} ({why})",
                r.origin
            ),
            Evidence::new(&r.origin, &r.text),
        ));
    }
    if let Some((r, by)) = s.outcome.deleted.iter().find(|(r, _)| would_cover(r)) {
        return Some((
            format!(
                "the rule at {} would audit it but the -D at {by} deletes it again",
                r.origin
            ),
            Evidence::new(&r.origin, &r.text),
        ));
    }
    s.unread.iter().find(|r| would_cover(r)).map(|r| {
        (
            format!(
                "the rule at {} would audit it, but {} is not read by {}",
                r.origin,
                r.origin.file.display(),
                s.loader
            ),
            Evidence::new(&r.origin, &r.text),
        )
    })
}
