//! `auditguard rules`: the kernel list the host's loader would leave, as `auditctl -l` prints
//! it; load errors on stderr, like auditctl's "There was an error in line N of FILE".
//!
//! The listing is byte for byte `auditctl -l`'s when stdout is a file or a pipe (the
//! command's contract and what the conformance tests compare); on a terminal each line is
//! escaped first (`report::bytes::escape_lines`), so keys and paths from the target cannot
//! drive it. Warnings and load errors on stderr are always escaped.

use super::{open, Target};
use crate::kernel::{AuditKernel, NetlinkKernel};
use crate::load::configuration::{configure, load_as, Mode};
use crate::model::listing::{list_rules, write_rules};
use crate::report::bytes;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub(super) fn run(target: &Target, file: Option<&Path>, kernel: bool) -> anyhow::Result<u8> {
    let (host, machine) = open(target)?;
    if kernel {
        let rules = NetlinkKernel::open()?.list_rules()?;
        emit(&list_rules(&rules, machine))?;
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
    if std::io::stdout().is_terminal() {
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
    let status = config.outcome.exit_status as u8;
    std::mem::forget(config);
    Ok(status)
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
