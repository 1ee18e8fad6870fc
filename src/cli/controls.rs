//! `auditguard controls`: the catalogue, one control per line.

use std::io::Write;

pub(super) fn run() -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    for c in crate::control::catalogue() {
        writeln!(out, "{}\t{}", c.id, c.title)?;
    }
    Ok(0)
}
