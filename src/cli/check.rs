//! `auditguard check`: evaluate controls against what the host's loader would load (and, on
//! the live host, against the running kernel).

use super::{
    deliver, facts_for, hostname_of, open, resolve_selection, target_bytes, Output, ReportFormat,
    Selection, Target, Ui,
};
use crate::control;
use crate::control::drift::kernel_outcome;
use crate::control::evaluate::assess_configuration;
use crate::control::finding::Verdict;
use crate::control::kernel::judge_kernel;
use crate::kernel::{AuditKernel, NetlinkKernel};
use crate::load::configuration::{configure, facts, resolve_watches, Mode};
use crate::report::sarif::{SarifContext, UriBase};
use crate::report::{
    kernel as kernel_words, text, words, ByteString, CheckReport, ControlFinding, KernelFinding,
    LoadErrorReport, LoaderReport, ProfileReport, RunInfo, CHECK_SCHEMA,
};
use std::time::SystemTime;

pub(super) fn run(
    target: &Target,
    selection: &Selection,
    format: ReportFormat,
    output: &Output,
    ui: Ui,
) -> anyhow::Result<u8> {
    let started = SystemTime::now();
    let (controls, profile) = resolve_selection(selection)?;
    let (host, machine) = open(target)?;
    let hostname = hostname_of(target, host.as_ref());
    let progress = super::Progress::start(
        ui,
        &crate::report::words::progress_check(
            &target_bytes(target),
            controls.len(),
            profile.is_some(),
        ),
    );
    let config = configure(host.as_ref(), machine);
    let facts = facts_for(host.as_ref(), &controls, profile.as_ref());
    let mut report = match &config {
        Ok(config) => {
            let assessment = assess_configuration(&controls, config, machine, &facts);
            let loader = config.loader_name();
            let ctx = words::Context {
                outcome: &config.outcome,
                unread: &config.unread,
                loader: &loader,
                machine,
            };
            let (mode, file) = match &config.mode {
                Mode::Augenrules => ("augenrules", None),
                Mode::Auditctl(f) => ("auditctl", Some(ByteString::path(f))),
                Mode::Nothing(_) => ("nothing", None),
            };
            CheckReport {
                schema: CHECK_SCHEMA,
                run: RunInfo::ended_now(started, hostname.clone()),
                profile: None,
                target: target_bytes(target),
                machine: machine.name().to_string(),
                loader: LoaderReport {
                    mode: mode.to_string(),
                    file,
                    reason: config.mode_reason.clone(),
                },
                verdict: assessment.verdict(),
                controls: words::assessment(&assessment, &ctx),
                load_errors: config
                    .outcome
                    .errors
                    .iter()
                    .map(LoadErrorReport::new)
                    .collect(),
                warnings: config.warnings.clone(),
                kernel: None,
            }
        }
        Err(err) => unevaluated(
            &controls,
            RunInfo::ended_now(started, hostname.clone()),
            target_bytes(target),
            machine.name(),
            err.to_string(),
        ),
    };
    if let Some(p) = &profile {
        let mut counts = std::collections::BTreeMap::new();
        for c in &report.controls {
            *counts.entry(c.verdict.as_str()).or_insert(0) += 1;
        }
        report.profile = Some(ProfileReport {
            id: p.id.clone(),
            title: p.title.clone(),
            benchmark: p.benchmark.clone(),
            counts,
        });
    }
    // On the live host, the kernel is judged too: its rules, its status, its drift. Read
    // here, at the edge; judged as data.
    if target.root.is_none() {
        let configured = config.as_ref().ok().map(|c| c.outcome.rules.as_slice());
        let finding = match NetlinkKernel::open() {
            Ok(mut k) => kernel_finding(&mut k, configured, &controls, machine, host.as_ref()),
            Err(e) => kernel_words::unreadable(e.is_not_applicable(), &e.to_string()),
        };
        if finding.verdict != Verdict::NotApplicable {
            report.verdict = report.verdict.worst(finding.verdict);
        }
        report.kernel = Some(finding);
    }
    drop(progress);
    report.run = RunInfo::ended_now(started, hostname);
    let style = |color| text::Style {
        color,
        verbose: ui.verbose,
    };
    let rendered = match format {
        ReportFormat::Json => crate::report::json::render(&report),
        ReportFormat::Text => text::render(&report, style(false)),
        ReportFormat::Sarif => {
            let rules = config.as_ref().map_or(0, |c| c.outcome.rules.len());
            let (fixes, fixes_left_out) = if rules > FIX_MAX_RULES {
                let failing = report
                    .controls
                    .iter()
                    .filter(|c| c.verdict == Verdict::Fail);
                (Default::default(), failing.count())
            } else {
                planned_fixes(&report, &controls, profile.as_ref(), host.as_ref(), machine)
            };
            let ctx = SarifContext {
                base: uri_base(target),
                fixes,
                fixes_left_out,
            };
            crate::report::sarif::render(&report, &ctx)
        }
        ReportFormat::Junit => crate::report::junit::render(&report),
        ReportFormat::Xccdf => crate::report::xccdf::render(&report),
        ReportFormat::Arf => crate::report::xccdf::render_arf(&report),
        ReportFormat::Hdf => crate::report::hdf::render(&report, &platform(host.as_ref())),
    };
    deliver(
        output,
        ui,
        rendered.as_bytes(),
        format == ReportFormat::Text,
        |color| text::render(&report, style(color)),
    )?;
    // The process ends right after: freeing a 100,000-rule configuration rule by rule would
    // only cost time (3% of `check` on such a root). The memory goes back with the process.
    std::mem::forget(config);
    Ok(report.exit_code())
}

/// The running kernel judged, in words: its status and rules read here (the edge), each
/// watch resolved on `host`, judged as data against `controls` and `configured` (the
/// configuration's simulated list, for drift).
pub fn kernel_finding(
    kernel: &mut dyn AuditKernel,
    configured: Option<&[crate::load::auditctl::LoadedRule]>,
    controls: &[control::Control],
    machine: crate::model::Machine,
    host: &dyn crate::host::Host,
) -> KernelFinding {
    let read = kernel
        .status()
        .and_then(|status| Ok((status, kernel.list_rules()?)));
    match read {
        Ok((status, rules)) => {
            let mut rules = kernel_outcome(rules, machine).rules;
            resolve_watches(host, &mut rules);
            let facts = facts(host, controls);
            let judged = judge_kernel(status, rules, configured, controls, machine, &facts);
            kernel_words::finding(&judged, machine)
        }
        Err(e) => kernel_words::unreadable(e.is_not_applicable(), &e.to_string()),
    }
}

/// The target's OS from its os-release file (`/etc/os-release`, else `/usr/lib/os-release`).
fn platform(host: &dyn crate::host::Host) -> crate::report::hdf::Platform {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| host.read_prefix(std::path::Path::new(p), 64 * 1024).ok())
        .map(|text| crate::report::hdf::Platform::from_os_release(&text))
        .unwrap_or_default()
}

/// How long SARIF's fix suggestions may take to plan, all items together. One plan loads
/// and judges the whole configuration again (each step too): on a 100,000-line rules.d a
/// profile's thirty failing items took minutes in a debug build, for a report `check` makes
/// in seconds. Items left when the budget is spent get no fix suggestion, and the run says
/// how many (`fix --dry-run` shows every edit).
const FIX_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// Above this many loaded rules no fix suggestion is planned at all: one plan alone would
/// take longer than the budget (a 100,000-rule configuration: half a minute in a debug build).
const FIX_MAX_RULES: usize = 20_000;

/// For each failing control, the edits `fix` would make for it alone (SARIF's fix
/// suggestions): planned on the target, written nowhere, in report order within
/// [`FIX_BUDGET`]; also how many failing controls the budget left without one. A control
/// whose plan fails or is empty gets none.
fn planned_fixes(
    report: &CheckReport,
    controls: &[control::Control],
    profile: Option<&control::profile::Profile>,
    host: &dyn crate::host::Host,
    machine: crate::model::Machine,
) -> (
    std::collections::BTreeMap<String, Vec<crate::report::fix::FileEdit>>,
    usize,
) {
    let mut fixes = std::collections::BTreeMap::new();
    let deadline = std::time::Instant::now() + FIX_BUDGET;
    let failing: Vec<_> = report
        .controls
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .collect();
    for (done, finding) in failing.iter().enumerate() {
        if std::time::Instant::now() > deadline {
            return (fixes, failing.len() - done);
        }
        let Some(c) = controls.iter().find(|c| c.id == finding.id) else {
            continue;
        };
        let opts = crate::fix::plan::PlanOptions {
            repair: false,
            auid_min: profile.and_then(|p| p.settings.auid_min),
        };
        if let Ok(plan) = crate::fix::plan::plan(host, machine, std::slice::from_ref(c), opts) {
            if !plan.files.is_empty() {
                fixes.insert(finding.id.clone(), plan.files);
            }
        }
    }
    (fixes, 0)
}

/// How SARIF names the target's files: absolute `file:` URIs on this host; with `--root`,
/// relative to the git checkout the root lies in (so code scanning finds them in the
/// repository), else relative to the root.
fn uri_base(target: &Target) -> UriBase {
    let Some(root) = &target.root else {
        return UriBase::Live;
    };
    let Ok(root) = std::fs::canonicalize(root) else {
        return UriBase::Live;
    };
    let repo = root
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok());
    match repo {
        Some(repo) => UriBase::Repo {
            prefix: root.strip_prefix(repo).unwrap_or(&root).to_path_buf(),
            repo: repo.to_path_buf(),
        },
        None => UriBase::Root { root },
    }
}

/// A report whose every control is `error`, with the reason.
fn unevaluated(
    controls: &[control::Control],
    run: RunInfo,
    target: ByteString,
    machine: &str,
    reason: String,
) -> CheckReport {
    CheckReport {
        schema: CHECK_SCHEMA,
        run,
        profile: None,
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
            .map(|c| ControlFinding {
                id: c.id.clone(),
                title: c.title.clone(),
                verdict: Verdict::Error,
                reason: reason.clone(),
                requirements: Vec::new(),
                advice: Vec::new(),
                refs: c.refs.clone(),
                severity: c.severity.clone(),
                item: c.item.clone(),
            })
            .collect(),
        load_errors: Vec::new(),
        warnings: Vec::new(),
        kernel: None,
    }
}
