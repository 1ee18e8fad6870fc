//! `auditguard merge`: what augenrules would write to /etc/audit/audit.rules.
//!
//! Byte for byte what augenrules writes when stdout is a file or a pipe (that is the
//! command's contract, and what the conformance tests compare); on a terminal each line is
//! escaped first (`report::bytes::escape_lines`), so the target's bytes cannot drive it.
//! Warnings on stderr are always escaped.

use super::{open, Target};
use crate::load::augenrules::{self, RULES_D};
use crate::report::bytes;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub(super) fn run(target: &Target) -> anyhow::Result<u8> {
    let (host, _) = open(target)?;
    let merged = augenrules::merge(host.as_ref(), Path::new(RULES_D))?;
    let mut err = std::io::stderr().lock();
    for d in merged.diagnostics() {
        writeln!(err, "warning: {}", bytes::text(&d.to_string()))?;
    }
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        out.write_all(bytes::escape_lines(merged.text()).as_bytes())?;
    } else {
        out.write_all(merged.text())?;
    }
    Ok(0)
}
