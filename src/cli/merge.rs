//! `auditguard merge`: what augenrules would write to /etc/audit/audit.rules.

use super::{open, Target};
use crate::load::augenrules::{self, RULES_D};
use std::io::Write;
use std::path::Path;

pub(super) fn run(target: &Target) -> anyhow::Result<u8> {
    let (host, _) = open(target)?;
    let merged = augenrules::merge(host.as_ref(), Path::new(RULES_D))?;
    let mut err = std::io::stderr().lock();
    for d in merged.diagnostics() {
        writeln!(err, "warning: {d}")?;
    }
    std::io::stdout().lock().write_all(merged.text())?;
    Ok(0)
}
