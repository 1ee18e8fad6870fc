//! `auditguard verify`: prove that the audited actions produce keyed records; and the hidden
//! `__probe` child it runs to make them happen.

use super::{resolve_controls, Format};
use crate::host::{native_machine, LiveHost};
use crate::kernel::probe;
use crate::kernel::NetlinkKernel;
use crate::model::Machine;
use crate::verify::{verify, VerifyOptions};
use anyhow::Context;
use std::io::Write;
use std::time::Duration;

pub(super) fn run(ids: &[String], exec: bool, format: Format) -> anyhow::Result<u8> {
    let controls = resolve_controls(ids)?;
    let machine = native_machine().context("cannot tell this machine's type")?;
    let exe = std::env::current_exe().context("cannot find the auditguard binary")?;
    let mut kernel = match NetlinkKernel::open() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("auditguard: cannot verify: {e}");
            return Ok(2);
        }
    };
    let opts = VerifyOptions {
        probe_exe: &exe,
        exec,
        settle: Duration::from_millis(400),
    };
    let verification = match verify(&mut kernel, &controls, machine, &LiveHost, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("auditguard: cannot verify: {e}");
            return Ok(2);
        }
    };
    let report = crate::report::verify::report(&verification, machine);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => out.write_all(crate::report::verify::json(&report).as_bytes())?,
        Format::Text => out.write_all(crate::report::verify::text(&report).as_bytes())?,
    }
    Ok(crate::report::verify::exit_code(&report))
}

/// The probe child: take the login uid, make the refused syscalls, optionally exec a tool.
pub(super) fn probe_child(
    loginuid: u32,
    abi: &str,
    syscalls: Option<&str>,
    exec: Option<&str>,
) -> anyhow::Result<u8> {
    let native = native_machine().context("unknown machine")?;
    let abi = Machine::from_name(abi).context("unknown ABI")?;
    if probe::loginuid() != Some(loginuid) {
        if let Err(e) = probe::set_loginuid(loginuid) {
            eprintln!("cannot set the login uid to {loginuid}: {e}");
        }
    }
    for name in syscalls
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
    {
        if let Err(e) = probe::probe(native, abi, name) {
            eprintln!("{e}");
        }
    }
    if let Some(path) = exec {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(path).arg("--version").exec();
        eprintln!("cannot exec {path}: {err}");
        return Ok(1);
    }
    Ok(0)
}
