//! `auditguard verify`: prove that the audited actions produce keyed records; and the hidden
//! `__probe` child it runs to make them happen.

use super::{deliver, resolve_selection, this_hostname, Format, Output, Selection, Ui};
use crate::host::{native_machine, LiveHost};
use crate::kernel::probe;
use crate::kernel::NetlinkKernel;
use crate::model::Machine;
use crate::verify::{verify, VerifyOptions};
use anyhow::Context;
use std::io::Write;
use std::time::Duration;

pub(super) fn run(
    selection: &Selection,
    exec: bool,
    format: Format,
    output: &Output,
    ui: Ui,
) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    let (controls, profile) = resolve_selection(selection)?;
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
        auid_min: profile.as_ref().and_then(|p| p.settings.auid_min),
    };
    let verification = match verify(&mut kernel, &controls, machine, &LiveHost, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("auditguard: cannot verify: {e}");
            return Ok(2);
        }
    };
    let run = crate::report::RunInfo::ended_now(started, this_hostname());
    let report = crate::report::verify::report(&verification, machine, run);
    let rendered = match format {
        Format::Json => crate::report::verify::json(&report),
        Format::Text => crate::report::verify::text(&report),
    };
    deliver(
        output,
        ui,
        rendered.as_bytes(),
        format == Format::Text,
        |_| crate::report::verify::text(&report),
    )?;
    Ok(crate::report::verify::exit_code(&report))
}

/// The probe child's arguments (see `auditguard __probe`).
pub(super) struct ProbeArgs<'a> {
    pub loginuid: u32,
    pub abi: &'a str,
    pub syscalls: Option<&'a str>,
    pub file: Option<&'a std::path::Path>,
    pub mode: &'a str,
    pub errno: Option<u32>,
    pub denied: Option<&'a std::path::Path>,
    pub owned: Option<&'a std::path::Path>,
    pub drop_to: Option<u32>,
    pub exec: Option<&'a str>,
}

/// The probe child: take the login uid, drop privileges when asked, make each syscall in the
/// asked form and print `name=rc` for it, optionally exec a tool.
pub(super) fn probe_child(a: &ProbeArgs) -> anyhow::Result<u8> {
    use std::os::unix::ffi::OsStrExt;
    let native = native_machine().context("unknown machine")?;
    let abi = Machine::from_name(a.abi).context("unknown ABI")?;
    if probe::loginuid() != Some(a.loginuid) {
        if let Err(e) = probe::set_loginuid(a.loginuid) {
            eprintln!("cannot set the login uid to {}: {e}", a.loginuid);
        }
    }
    let bytes = |p: Option<&std::path::Path>| {
        p.map(|p| p.as_os_str().as_bytes().to_vec())
            .unwrap_or_default()
    };
    let form = match (a.file, a.errno) {
        (Some(f), _) => probe::Form::OnFile {
            path: bytes(Some(f)),
            mode: u32::from_str_radix(a.mode, 8).unwrap_or(0),
        },
        (None, Some(errno)) => probe::Form::Errno {
            errno,
            denied: bytes(a.denied),
            owned: bytes(a.owned),
        },
        (None, None) => probe::Form::Refused,
    };
    if let Some(uid) = a.drop_to {
        if let Err(rc) = probe::drop_privileges(native, uid, uid) {
            eprintln!("cannot drop to uid {uid}: {rc}");
            return Ok(1);
        }
    }
    let mut out = std::io::stdout().lock();
    for name in a
        .syscalls
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
    {
        match probe::probe_form(native, abi, name, &form) {
            Ok(rc) => writeln!(out, "{name}={rc}")?,
            Err(e) => eprintln!("{e}"),
        }
    }
    out.flush()?;
    if let Some(path) = a.exec {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(path).arg("--version").exec();
        eprintln!("cannot exec {path}: {err}");
        return Ok(1);
    }
    Ok(0)
}
