//! `auditguard fix`: plan the smallest edits, show them as a diff, write them atomically,
//! and check again.

use super::{deliver, hostname_of, open, resolve_selection, Format, Output, Selection, Target, Ui};
use crate::control::evaluate::assess_configuration;
use crate::control::finding::Verdict;
use crate::fix::apply::{self, ApplyOptions, FileWrite};
use crate::fix::plan::{plan, PlanOptions};
use crate::host::Host;
use crate::load::configuration::configure;
use crate::model::Machine;
use crate::report::fix::{FixReport, StepReport, FIX_SCHEMA};
use crate::report::ByteString;

/// Options of `fix`.
pub(super) struct FixArgs<'a> {
    pub target: &'a Target,
    pub selection: &'a Selection,
    pub dry_run: bool,
    pub repair: bool,
    pub backup: bool,
    pub load: bool,
    pub format: Format,
    pub output: &'a Output,
    pub ui: Ui,
}

pub(super) fn run(args: FixArgs) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    // --load acts on this host's kernel: only the configuration of this host may go there.
    if args.load {
        if let Some(dir) = &args.target.root {
            if !is_this_host(dir) {
                anyhow::bail!(crate::report::fix::load_with_root(dir));
            }
        }
    }
    let (controls, profile) = resolve_selection(args.selection)?;
    let (host, machine) = open(args.target)?;
    let target = match &args.target.root {
        Some(dir) => apply::Target::root(dir),
        None => apply::Target::live(),
    };
    // Plan under the lock, so a concurrent run sees this one's result and plans nothing.
    let _lock = apply::lock(&target)?;
    if !args.dry_run {
        apply::remove_stale_temps(&target);
    }
    let plan = plan(
        host.as_ref(),
        machine,
        &controls,
        PlanOptions {
            repair: args.repair,
            auid_min: profile.as_ref().and_then(|p| p.settings.auid_min),
        },
    )?;
    let diff = crate::report::fix::diff(&plan.files);
    let writes: Vec<FileWrite> = plan
        .files
        .iter()
        .map(|(path, old, new)| FileWrite {
            path: path.clone(),
            contents: new.clone(),
            expected: old.clone(),
            mode: None,
        })
        .collect();
    let changed = !args.dry_run && (!writes.is_empty() || !plan.metadata.is_empty());
    if changed {
        apply::apply(
            &target,
            &writes,
            &ApplyOptions {
                backup: args.backup,
            },
        )?;
        let modes: Vec<_> = plan.metadata.iter().map(|m| m.change.clone()).collect();
        apply::set_metadata(&target, &modes)?;
    }
    // Evaluate again from the files as now written (their configuration also feeds --load).
    // (A profile plan whose blockers only set some items aside writes the others: those files
    // are judged, and loaded, like an unblocked plan's.)
    let (mut verdict, written) = if args.dry_run || (!plan.blockers.is_empty() && !changed) {
        let v = if plan.blockers.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        (v, None)
    } else {
        let config = configure(host.as_ref(), machine)?;
        let facts = super::facts_for(host.as_ref(), &controls, profile.as_ref());
        let v = assess_configuration(&controls, &config, machine, &facts).verdict();
        (v, Some(config))
    };
    // --load: write audit.rules as augenrules would, then put the rules into the kernel.
    let mut load_report = None;
    if let Some(config) = written.filter(|_| args.load) {
        let writes = crate::fix::load::audit_rules_writes(host.as_ref(), &config);
        if !writes.is_empty() {
            apply::apply(&target, &writes, &ApplyOptions { backup: false })?;
        }
        let mut kernel = crate::kernel::NetlinkKernel::open()?;
        match crate::fix::load::load(&mut kernel, &config) {
            Ok(r) => {
                if !r.errors.is_empty() {
                    verdict = verdict.worst(Verdict::Fail);
                }
                load_report = Some(r);
            }
            Err(e @ crate::kernel::KernelError::Immutable) => {
                eprintln!("auditguard: not loaded: {e}");
                verdict = verdict.worst(Verdict::Fail);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let report = FixReport {
        schema: FIX_SCHEMA,
        run: crate::report::RunInfo::ended_now(started, hostname_of(args.target, host.as_ref())),
        target: host.describe(),
        machine: machine.name().to_string(),
        dry_run: args.dry_run,
        changed,
        verdict,
        steps: plan
            .steps
            .iter()
            .map(|s| StepReport {
                strategy: s.strategy,
                files: s.files.iter().map(|f| ByteString::path(f)).collect(),
                why: crate::report::fix::why(&s.why),
            })
            .collect(),
        blockers: crate::report::fix::blockers(&plan, machine),
        warnings: plan
            .config
            .as_ref()
            .map(|c| warnings(c, &controls, machine, host.as_ref()))
            .unwrap_or_default(),
        diff: ByteString(diff),
        metadata: plan
            .metadata
            .iter()
            .map(crate::report::fix::metadata)
            .collect(),
        load: load_report,
    };
    let code = match verdict {
        Verdict::Pass | Verdict::NotApplicable | Verdict::NotChecked => 0,
        Verdict::Fail => 1,
        Verdict::Error => 2,
    };
    let rendered = match args.format {
        Format::Json => crate::report::fix::json(&report).into_bytes(),
        Format::Text => crate::report::fix::text(&report).into_bytes(),
    };
    let delivered = deliver(
        args.output,
        args.ui,
        &rendered,
        args.format == Format::Text,
        |_| crate::report::fix::text(&report),
    );
    if let Err(e) = delivered {
        if !changed {
            return Err(e);
        }
        // The files are written: the outcome is the verdict, not "error".
        eprintln!(
            "auditguard: {}",
            crate::report::fix::report_lost(&crate::report::error_line(e.as_ref()))
        );
    }
    Ok(code)
}

/// Whether `--root DIR` names this host's `/` (after symlinks).
fn is_this_host(dir: &std::path::Path) -> bool {
    std::fs::canonicalize(dir).is_ok_and(|d| d == std::path::Path::new("/"))
}

/// The warnings (advice-only events not recorded, e.g. `finit_module`) of a configuration.
fn warnings(
    config: &crate::load::configuration::Configuration,
    controls: &[crate::control::Control],
    machine: Machine,
    host: &dyn Host,
) -> Vec<String> {
    let facts = crate::load::configuration::facts(host, controls);
    let loader = config.loader_name();
    let ctx = crate::report::words::Context {
        outcome: &config.outcome,
        unread: &config.unread,
        loader: &loader,
        machine,
    };
    assess_configuration(controls, config, machine, &facts)
        .controls
        .iter()
        .flat_map(|c| &c.advice)
        .filter(|a| matches!(a, crate::control::finding::Advice::Unaudited(_)))
        .map(|a| crate::report::words::advice(a, &ctx).message)
        .collect()
}
