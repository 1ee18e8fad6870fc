//! `auditguard rules`: the kernel list the host's loader would leave, as `auditctl -l` prints
//! it; load errors on stderr, like auditctl's "There was an error in line N of FILE".
//!
//! The listing is byte for byte `auditctl -l`'s when stdout is a file or a pipe (the
//! command's contract and what the conformance tests compare); on a terminal each line is
//! escaped first (`report::bytes::escape_lines`), so keys and paths from the target cannot
//! drive it. Warnings and load errors on stderr are always escaped.

use super::{hostname_of, open, target_bytes, Format, Output, Target, Ui};
use crate::kernel::{AuditKernel, NetlinkKernel};
use crate::load::configuration::{configure, load_as, Mode};
use crate::model::listing::{list_rules, write_rules};
use crate::report::bytes;
use crate::report::listing::{listed_rules, RulesReport, RULES_SCHEMA};
use crate::report::ByteString;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub(super) fn run(
    target: &Target,
    file: Option<&Path>,
    kernel: bool,
    format: Format,
    output: &Output,
    ui: Ui,
) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    let (host, machine) = open(target)?;
    let run_info =
        || crate::report::RunInfo::ended_now(started, hostname_of(target, host.as_ref()));
    if kernel {
        let rules = NetlinkKernel::open()?.list_rules()?;
        let listing = list_rules(&rules, machine);
        if format == Format::Json {
            let lists: Vec<u32> = rules.iter().map(|r| r.list.number()).collect();
            let report = RulesReport {
                schema: RULES_SCHEMA,
                run: run_info(),
                target: ByteString::from("/"),
                machine: machine.name().to_string(),
                source: "kernel",
                rules: listed_rules(&listing, &lists, vec![None; rules.len()]),
                errors: Vec::new(),
                warnings: Vec::new(),
                exit_status: 0,
            };
            super::deliver_json(output, ui, &report)?;
            return Ok(0);
        }
        deliver_listing(output, ui, &listing)?;
        return Ok(0);
    }
    let config = match file {
        Some(f) => {
            let on_target = if target.root.is_some() {
                f.to_path_buf()
            } else {
                std::path::absolute(f)?
            };
            load_as(
                host.as_ref(),
                machine,
                Mode::Auditctl(on_target.clone()),
                format!("--file: auditctl -R {}", on_target.display()),
            )?
        }
        None => configure(host.as_ref(), machine)?,
    };
    let status = config.outcome.exit_status as u8;
    if format == Format::Json {
        let listed = &config.outcome.rules;
        let listing = list_rules(listed.iter().map(|r| &r.rule), machine);
        let lists: Vec<u32> = listed.iter().map(|r| r.rule.list.number()).collect();
        let origins = listed
            .iter()
            .map(|r| Some(crate::report::Evidence::new(&r.origin, &r.text)))
            .collect();
        let report = RulesReport {
            schema: RULES_SCHEMA,
            run: run_info(),
            target: target_bytes(target),
            machine: machine.name().to_string(),
            source: if file.is_some() { "file" } else { "loader" },
            rules: listed_rules(&listing, &lists, origins),
            errors: config
                .outcome
                .errors
                .iter()
                .map(crate::report::LoadErrorReport::new)
                .collect(),
            warnings: config.warnings.clone(),
            exit_status: status,
        };
        super::deliver_json(output, ui, &report)?;
        std::mem::forget(config);
        return Ok(status);
    }
    let mut err = std::io::stderr().lock();
    for w in &config.warnings {
        writeln!(err, "warning: {}", bytes::text(w))?;
    }
    for e in &config.outcome.errors {
        writeln!(
            err,
            "{}: {}",
            bytes::origin(&e.origin),
            bytes::text(&e.kind.to_string())
        )?;
    }
    let rules = config.outcome.rules.iter().map(|r| &r.rule);
    if output.file.is_some() {
        deliver_listing(output, ui, &list_rules(rules, machine))?;
    } else if ui.quiet {
    } else if std::io::stdout().is_terminal() {
        let mut listing = Vec::new();
        write_rules(rules, machine, &mut listing)?;
        emit(&listing)?;
    } else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        write_rules(rules, machine, &mut out)?;
        out.flush()?;
    }
    // The process ends right after: freeing a 100,000-rule configuration rule by rule would
    // only cost time. The memory goes back with the process.
    // The exit status `auditctl -R` would have: 1 when the load stopped or `-c` saw errors.
    std::mem::forget(config);
    Ok(status)
}

/// A listing with `-o`: the exact bytes to the file, and (unless `-q`) to stdout as [`emit`]
/// writes them; without `-o`, [`emit`] (unless `-q`).
pub(super) fn deliver_listing(output: &Output, ui: Ui, listing: &[u8]) -> anyhow::Result<()> {
    if let Some(file) = &output.file {
        std::fs::write(file, listing).map_err(|e| anyhow::anyhow!("-o {}: {e}", file.display()))?;
    }
    if !ui.quiet {
        emit(listing)?;
    }
    Ok(())
}

/// Write a listing: exact bytes to a file or pipe, escaped lines to a terminal.
fn emit(listing: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        out.write_all(bytes::escape_lines(listing).as_bytes())
    } else {
        out.write_all(listing)
    }
}
