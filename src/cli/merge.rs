//! `auditguard merge`: what augenrules would write to /etc/audit/audit.rules.
//!
//! Byte for byte what augenrules writes when stdout is a file or a pipe (that is the
//! command's contract, and what the conformance tests compare); on a terminal each line is
//! escaped first (`report::bytes::escape_lines`), so the target's bytes cannot drive it.
//! Warnings on stderr are always escaped. `--format json`: the text and each line's source
//! (`schemas/merge-1.json`).

use super::{hostname_of, open, target_bytes, Format, Output, Target, Ui};
use crate::load::augenrules::{self, RULES_D};
use crate::report::bytes;
use crate::report::listing::{MergeReport, MergedLineReport, MERGE_SCHEMA};
use crate::report::ByteString;
use std::io::Write;
use std::path::Path;

pub(super) fn run(target: &Target, format: Format, output: &Output, ui: Ui) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    let (host, machine) = open(target)?;
    let merged = augenrules::merge(host.as_ref(), Path::new(RULES_D))?;
    if format == Format::Json {
        let report = MergeReport {
            schema: MERGE_SCHEMA,
            run: crate::report::RunInfo::ended_now(started, hostname_of(target, host.as_ref())),
            target: target_bytes(target),
            machine: machine.name().to_string(),
            text: ByteString(merged.text().to_vec()),
            lines: merged
                .iter()
                .map(|(text, origin)| MergedLineReport {
                    text: ByteString(text.to_vec()),
                    file: origin.map(|(f, _)| ByteString::path(f)),
                    line: origin.map(|(_, l)| l),
                })
                .collect(),
            warnings: merged.diagnostics().iter().map(|d| d.to_string()).collect(),
        };
        super::deliver_json(output, ui, &report)?;
        return Ok(0);
    }
    let mut err = std::io::stderr().lock();
    for d in merged.diagnostics() {
        writeln!(err, "warning: {}", bytes::text(&d.to_string()))?;
    }
    super::rules::deliver_listing(output, ui, merged.text())?;
    Ok(0)
}
