//! `auditguard controls` and `auditguard profiles`: the catalogue and the benchmarks, one
//! per line, tab-separated; or as JSON (`schemas/controls-1.json`, `schemas/profiles-1.json`).

use super::{this_hostname, Format};
use crate::report::listing::{
    ControlEntry, ControlsReport, ItemEntry, ProfileEntry, ProfilesReport, SelectionEntry,
    CONTROLS_SCHEMA, PROFILES_SCHEMA,
};
use crate::report::RunInfo;
use std::io::Write;
use std::path::Path;

pub(super) fn run(profile: Option<&str>, dir: Option<&Path>, format: Format) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    let catalogue = crate::control::catalogue_with(dir)?;
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let mut report = ControlsReport {
            schema: CONTROLS_SCHEMA,
            run: RunInfo::ended_now(started, this_hostname()),
            controls: None,
            profile: None,
            items: None,
        };
        match profile {
            None => report.controls = Some(catalogue.iter().map(ControlEntry::new).collect()),
            Some(name) => {
                let p = crate::control::profile::load(name)?;
                p.controls(&catalogue)?;
                report.items = Some(p.items.iter().map(ItemEntry::new).collect());
                report.profile = Some(ProfileEntry::new(&p));
            }
        }
        out.write_all(crate::report::bytes::to_json(&report).as_bytes())?;
        return Ok(0);
    }
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

/// The CIS level selections of a profile that hold items (`--profile ID-l2-server`,
/// `ID-l2-workstation`), with their item counts.
fn level_selections(p: &crate::control::profile::Profile) -> Vec<(String, usize)> {
    [
        (1, "server"),
        (2, "server"),
        (1, "workstation"),
        (2, "workstation"),
    ]
    .into_iter()
    .filter_map(|(l, k)| {
        let n = p.clone().at_level(l, k).ok()?.items.len();
        Some((format!("{}-l{l}-{k}", p.id), n))
    })
    .collect()
}

pub(super) fn profiles(format: Format) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        let report = ProfilesReport {
            schema: PROFILES_SCHEMA,
            run: RunInfo::ended_now(started, this_hostname()),
            profiles: crate::control::profile::builtin()
                .iter()
                .map(|p| {
                    let mut e = ProfileEntry::new(p);
                    e.selections = level_selections(p)
                        .into_iter()
                        .map(|(id, items)| SelectionEntry { id, items })
                        .collect();
                    e
                })
                .collect(),
        };
        out.write_all(crate::report::bytes::to_json(&report).as_bytes())?;
        return Ok(0);
    }
    for p in crate::control::profile::builtin() {
        let levels: Vec<String> = level_selections(&p)
            .into_iter()
            .map(|(id, n)| format!("{id} ({n})"))
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
