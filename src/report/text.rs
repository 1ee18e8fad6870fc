//! The human rendering: what failed, why, where, and what to do — colour only when asked.
//! Every value interpolated here goes through [`crate::report::bytes`] ([`t`] for strings,
//! `Display` of [`crate::report::ByteString`] for bytes): nothing from the target reaches the
//! terminal raw, and no value can start a line of its own (so none can forge `result:`).

use crate::control::finding::Verdict;
use crate::report::bytes::text as t;
use crate::report::CheckReport;
use crate::report::Evidence;
use std::fmt::Write;

/// Styling: ANSI colours or none, and how much detail.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Emit ANSI colour codes.
    pub color: bool,
    /// Every failing event of a profile item (else the first few, the rest counted).
    pub verbose: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn verdict(&self, v: Verdict) -> String {
        let word = v.as_str().to_uppercase();
        match v {
            Verdict::Pass => self.paint("32", &word),
            Verdict::Fail => self.paint("31;1", &word),
            Verdict::Error => self.paint("35;1", &word),
            Verdict::NotApplicable | Verdict::NotChecked => self.paint("33", &word),
        }
    }
}

fn cite(e: &Evidence) -> String {
    // ByteString displays escaped.
    format!("{}:{}: {}", e.file, e.line, e.text)
}

/// Render a report for a terminal or a log.
pub fn render(report: &CheckReport, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "target {} ({}), rules loaded by {}{}",
        report.target,
        t(&report.machine),
        t(&report.loader.mode),
        report
            .loader
            .file
            .as_ref()
            .map(|f| format!(" from {f}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "  {}", t(&report.loader.reason));
    for w in &report.warnings {
        let _ = writeln!(out, "  {} {}", style.paint("33", "warning:"), t(w));
    }
    for c in &report.controls {
        if c.item.is_some() {
            item(&mut out, c, style);
            continue;
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} {}: {}",
            style.verdict(c.verdict),
            t(&c.id),
            t(&c.title)
        );
        if c.verdict != Verdict::Pass {
            let _ = writeln!(out, "  {}", t(&c.reason));
        }
        for r in &c.requirements {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                style.verdict(r.verdict),
                t(&r.id),
                t(&r.title)
            );
            for e in &r.events {
                let mark = if e.verdict == Verdict::Pass {
                    "ok "
                } else {
                    "NO "
                };
                let _ = writeln!(out, "    {mark} {}: {}", t(&e.event), t(&e.reason));
                if e.verdict != Verdict::Pass {
                    for ev in &e.evidence {
                        let _ = writeln!(out, "          at {}", cite(ev));
                    }
                }
            }
        }
        for a in &c.advice {
            let label = if a.level == "warning" {
                style.paint("33;1", "warning:")
            } else {
                style.paint("33", "advice:")
            };
            let _ = writeln!(out, "  {label} {}", t(&a.message));
            if let Some(ev) = &a.evidence {
                let _ = writeln!(out, "          at {}", cite(ev));
            }
        }
    }
    if let Some(k) = &report.kernel {
        let _ = writeln!(out);
        let _ = writeln!(out, "{} kernel: {}", style.verdict(k.verdict), t(&k.reason));
        if let Some(s) = &k.status {
            let _ = writeln!(
                out,
                "  enabled {} failure {} pid {} backlog_limit {} lost {}",
                s.enabled, s.failure, s.pid, s.backlog_limit, s.lost
            );
        }
        if let Some(d) = &k.drift {
            for e in &d.missing {
                let _ = writeln!(out, "  not in the kernel: {}", cite(e));
            }
            for e in &d.extra {
                let _ = writeln!(out, "  only in the kernel: {}", cite(e));
            }
        }
        for c in &k.controls {
            let _ = writeln!(
                out,
                "  {} {} (kernel rules): {}",
                style.verdict(c.verdict),
                t(&c.id),
                t(&c.reason)
            );
            for r in c.requirements.iter().filter(|r| r.verdict != Verdict::Pass) {
                let _ = writeln!(out, "    {}: {}", t(&r.id), t(&r.reason));
            }
        }
    }
    let _ = writeln!(out);
    if let Some(p) = &report.profile {
        let counts: Vec<String> = p.counts.iter().map(|(v, n)| format!("{n} {v}")).collect();
        let _ = writeln!(
            out,
            "profile {} ({} {}): {} items: {}",
            t(&p.id),
            t(&p.benchmark.publisher),
            t(&p.benchmark.version),
            report.controls.len(),
            counts.join(", ")
        );
    }
    let _ = writeln!(out, "result: {}", style.verdict(report.verdict));
    out
}

/// Failing events shown per requirement of a profile item; the rest are counted.
const ITEM_EVENTS: usize = 3;

/// A profile item: one line when it passes (and its warnings); for a failing one, each failing
/// requirement with its first few failing events and their evidence, and the profile's note.
fn item(out: &mut String, c: &crate::report::ControlFinding, style: Style) {
    let _ = writeln!(
        out,
        "{} {}",
        style.verdict(c.verdict),
        crate::report::item_label(c)
    );
    // Warnings are shown whatever the verdict (a pass may rest on an incomplete scan).
    for a in c.advice.iter().filter(|a| a.level == "warning") {
        let _ = writeln!(
            out,
            "    {} {}",
            style.paint("33;1", "warning:"),
            t(&a.message)
        );
    }
    if c.verdict == Verdict::Pass {
        return;
    }
    if let Some(why) = c.item.as_ref().and_then(|i| i.manual.as_deref()) {
        let _ = writeln!(out, "    not checked by auditguard: {}", t(why.trim()));
        return;
    }
    for r in c.requirements.iter().filter(|r| r.verdict != Verdict::Pass) {
        let failing: Vec<_> = r
            .events
            .iter()
            .filter(|e| e.verdict >= Verdict::Fail)
            .collect();
        if failing.is_empty() {
            let _ = writeln!(out, "    {}: {}", t(&r.id), t(&r.reason));
            for ev in &r.evidence {
                let _ = writeln!(out, "          at {}", cite(ev));
            }
            continue;
        }
        let _ = writeln!(
            out,
            "    {}: {} of {} events not recorded with a key",
            t(&r.id),
            failing.len(),
            r.events.len()
        );
        let shown = if style.verbose {
            failing.len()
        } else {
            ITEM_EVENTS
        };
        for e in failing.iter().take(shown) {
            let _ = writeln!(out, "      NO  {}: {}", t(&e.event), t(&e.reason));
            for ev in &e.evidence {
                let _ = writeln!(out, "          at {}", cite(ev));
            }
        }
        if failing.len() > shown {
            let _ = writeln!(
                out,
                "      ... and {} more (-v or --format json lists every event)",
                failing.len() - shown
            );
        }
    }
    if let Some(note) = c.item.as_ref().and_then(|i| i.note.as_deref()) {
        let _ = writeln!(out, "    note: {}", t(note.trim()));
    }
}
