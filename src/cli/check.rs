//! `auditguard check`: evaluate controls against what the host's loader would load.

use super::{open, resolve_controls, use_color, Format, Target};
use crate::control;
use crate::control::evaluate::{evaluate, Subject};
use crate::control::finding::{Evidence, Verdict};
use crate::control::kernel::{assess, unreadable};
use crate::kernel::NetlinkKernel;
use crate::load::configuration::{configure, ConfigError, Mode};
use crate::report::{text, CheckReport, LoadErrorReport, LoaderReport, CHECK_SCHEMA};
use std::io::Write;

pub(super) fn run(target: &Target, ids: &[String], format: Format) -> anyhow::Result<u8> {
    let controls = resolve_controls(ids)?;
    let (host, machine) = open(target)?;
    let config = configure(host.as_ref(), machine);
    let mut report = match &config {
        Ok(config) => {
            let subject = Subject {
                outcome: &config.outcome,
                unread: &config.unread,
                loader: &config.loader_name(),
                machine,
                host: host.as_ref(),
            };
            let findings: Vec<_> = controls.iter().map(|c| evaluate(c, &subject)).collect();
            let (mode, file) = match &config.mode {
                Mode::Augenrules => ("augenrules", None),
                Mode::Auditctl(f) => ("auditctl", Some(f.display().to_string())),
            };
            CheckReport {
                schema: CHECK_SCHEMA,
                target: host.describe(),
                machine: machine.name().to_string(),
                loader: LoaderReport {
                    mode: mode.to_string(),
                    file,
                    reason: config.mode_reason.clone(),
                },
                verdict: findings
                    .iter()
                    .fold(Verdict::Pass, |v, f| v.worst(f.verdict)),
                controls: findings,
                load_errors: config
                    .outcome
                    .errors
                    .iter()
                    .map(|e| LoadErrorReport {
                        evidence: Evidence::new(&e.origin, &e.text),
                        message: e.message.clone(),
                    })
                    .collect(),
                warnings: config.warnings.clone(),
                kernel: None,
            }
        }
        Err(err @ ConfigError::UnknownLoader(_)) | Err(err @ ConfigError::Merge(_)) => {
            unevaluated(&controls, host.describe(), machine.name(), err.to_string())
        }
    };
    // On the live host, the kernel is judged too: its rules, its status, its drift.
    if target.root.is_none() {
        let configured = config.as_ref().ok().map(|c| c.outcome.rules.as_slice());
        let finding = match NetlinkKernel::open() {
            Ok(mut k) => assess(&mut k, configured, &controls, machine, host.as_ref()),
            Err(e) => unreadable(&e),
        };
        if finding.verdict != Verdict::NotApplicable {
            report.verdict = report.verdict.worst(finding.verdict);
        }
        report.kernel = Some(finding);
    }
    let rendered = match format {
        Format::Json => crate::report::json::render(&report),
        Format::Text => text::render(&report, text::Style { color: use_color() }),
    };
    std::io::stdout().lock().write_all(rendered.as_bytes())?;
    // The process ends right after: freeing a 100,000-rule configuration rule by rule would
    // only cost time (3% of `check` on such a root). The memory goes back with the process.
    std::mem::forget(config);
    Ok(report.exit_code())
}

/// A report whose every control is `error`, with the reason.
fn unevaluated(
    controls: &[control::Control],
    target: String,
    machine: &str,
    reason: String,
) -> CheckReport {
    CheckReport {
        schema: CHECK_SCHEMA,
        target,
        machine: machine.to_string(),
        loader: LoaderReport {
            mode: "unknown".to_string(),
            file: None,
            reason: reason.clone(),
        },
        verdict: Verdict::Error,
        controls: controls
            .iter()
            .map(|c| crate::control::finding::ControlFinding {
                id: c.id.clone(),
                title: c.title.clone(),
                verdict: Verdict::Error,
                reason: reason.clone(),
                requirements: Vec::new(),
                advice: Vec::new(),
            })
            .collect(),
        load_errors: Vec::new(),
        warnings: Vec::new(),
        kernel: None,
    }
}
