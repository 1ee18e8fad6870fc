//! `auditguard controls` and `auditguard profiles`: the catalogue and the benchmarks, one
//! per line, tab-separated.

use std::io::Write;
use std::path::Path;

pub(super) fn run(profile: Option<&str>, dir: Option<&Path>) -> anyhow::Result<u8> {
    let catalogue = crate::control::catalogue_with(dir)?;
    let mut out = std::io::stdout().lock();
    match profile {
        None => {
            for c in catalogue {
                writeln!(out, "{}\t{}", c.id, c.title)?;
            }
        }
        Some(name) => {
            let p = crate::control::profile::load(name)?;
            let controls = p.controls(&catalogue)?;
            for (item, c) in p.items.iter().zip(&controls) {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    item.id,
                    item.refs.vuln.as_deref().unwrap_or("-"),
                    item.requires.join(","),
                    c.title
                )?;
            }
        }
    }
    Ok(0)
}

pub(super) fn profiles() -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    for p in crate::control::profile::builtin() {
        writeln!(
            out,
            "{}\t{} {}\t{} items\t{}",
            p.id,
            p.benchmark.publisher,
            p.benchmark.version,
            p.items.len(),
            p.title
        )?;
    }
    Ok(0)
}
