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
        // The CIS level selections that hold items (`--profile ID-l2`, `ID-l2-workstation`).
        let levels: Vec<String> = [
            (1, "server"),
            (2, "server"),
            (1, "workstation"),
            (2, "workstation"),
        ]
        .into_iter()
        .filter_map(|(l, k)| {
            let n = p.clone().at_level(l, k).ok()?.items.len();
            Some(format!("{}-l{l}-{k} ({n})", p.id))
        })
        .collect();
        writeln!(
            out,
            "{}\t{} {}\t{} items\t{}{}",
            p.id,
            p.benchmark.publisher,
            p.benchmark.version,
            p.items.len(),
            p.title,
            if levels.is_empty() {
                String::new()
            } else {
                format!("\tlevels: {}", levels.join(", "))
            }
        )?;
    }
    Ok(0)
}
