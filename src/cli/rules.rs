//! `auditguard rules`: the kernel list the host's loader would leave, as `auditctl -l` prints
//! it; load errors on stderr, like auditctl's "There was an error in line N of FILE".

use super::{open, Target};
use crate::kernel::{AuditKernel, NetlinkKernel};
use crate::load::configuration::{configure, load_as, Mode};
use crate::model::listing::{list_rules, write_rules};
use std::io::Write;
use std::path::Path;

pub(super) fn run(target: &Target, file: Option<&Path>, kernel: bool) -> anyhow::Result<u8> {
    let (host, machine) = open(target)?;
    if kernel {
        let rules = NetlinkKernel::open()?.list_rules()?;
        std::io::stdout()
            .lock()
            .write_all(&list_rules(&rules, machine))?;
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
        writeln!(err, "warning: {w}")?;
    }
    for e in &config.outcome.errors {
        writeln!(err, "{}: {}", e.origin, e.kind)?;
    }
    let rules = config.outcome.rules.iter().map(|r| &r.rule);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_rules(rules, machine, &mut out)?;
    out.flush()?;
    // The process ends right after: freeing a 100,000-rule configuration rule by rule would
    // only cost time. The memory goes back with the process.
    // The exit status `auditctl -R` would have: 1 when the load stopped or `-c` saw errors.
    let status = config.outcome.exit_status as u8;
    std::mem::forget(config);
    Ok(status)
}
