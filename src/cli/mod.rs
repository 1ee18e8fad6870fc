//! The commands. Each parses nothing itself (clap did), builds the target [`Host`], calls the
//! library, and chooses a rendering.

mod check;
mod controls;
mod fix;
mod merge;
mod rules;
mod status;
mod verify;

pub use check::kernel_finding;

use crate::host::{Host, LiveHost, RootHost};
use crate::model::Machine;
use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Makes sure Linux hosts really audit what compliance controls demand.
#[derive(Debug, Parser)]
#[command(name = "auditguard", version, about, long_about = None)]
pub struct Args {
    /// The command.
    #[command(subcommand)]
    pub command: Cmd,
}

/// Options that select the target.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// Check an offline image whose `/` is DIR instead of this host (nothing outside DIR is
    /// read, symlinks included).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The target's machine (x86_64, i386, aarch64, arm, ppc64le, ppc64, ppc, s390x, s390);
    /// default: from the root's /bin/sh, else this host's.
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs (schema auditguard/check/1).
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Is the host compliant? Exit 0: all pass, 1: some fail, 2: could not evaluate.
    Check {
        /// Target selection.
        #[command(flatten)]
        target: Target,
        /// Control selection.
        #[command(flatten)]
        selection: Selection,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the rules the kernel would hold after the host's loader ran, as `auditctl -l`
    /// prints them; load errors go to stderr.
    Rules {
        /// Target selection.
        #[command(flatten)]
        target: Target,
        /// Simulate `auditctl -R FILE` on the target instead of its boot-time loader (with
        /// --root, FILE is a path inside the root).
        #[arg(long, value_name = "FILE", conflicts_with = "kernel")]
        file: Option<PathBuf>,
        /// Print the rules the running kernel holds instead (like `auditctl -l`).
        #[arg(long, conflicts_with = "root")]
        kernel: bool,
    },
    /// Print the kernel's audit status like `auditctl -s` (enabled, locked, daemon pid,
    /// backlog, lost).
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print what augenrules would write to /etc/audit/audit.rules.
    Merge {
        /// Target selection.
        #[command(flatten)]
        target: Target,
    },
    /// Repair the configuration with the smallest safe edit, then check again. Exit 0:
    /// compliant afterwards; 1: blocked or still failing (the blocker is named); 2: error.
    Fix {
        /// Target selection.
        #[command(flatten)]
        target: Target,
        /// Control selection.
        #[command(flatten)]
        selection: Selection,
        /// Show the edits as a unified diff and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also make the safe syntactic repairs of other lines that stop the load (tabs,
        /// CR, trailing comments; comment out duplicates and unloadable lines with a note).
        #[arg(long)]
        repair: bool,
        /// Keep each changed file's previous version beside it as NAME.bak.
        #[arg(long)]
        backup: bool,
        /// Then load the configuration into the running kernel as the loader would
        /// (augenrules mode: write audit.rules first). Appends when the kernel's rules are a
        /// prefix of the wanted ones, else replaces them. Never locks (-e 2 is only warned
        /// about); refuses on a locked kernel.
        #[arg(long)]
        load: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Prove collection on this host: make harmless module syscalls (refused arguments) on
    /// every ABI from a child with a user's login uid, and report which key came out. Exit 0:
    /// every required event came out with a key; 1: some did not; 2: cannot verify.
    Verify {
        /// Control selection.
        #[command(flatten)]
        selection: Selection,
        /// Also exec the watched tools (with --version) and check their events.
        #[arg(long)]
        exec: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The probe child of `verify` (internal).
    #[command(name = "__probe", hide = true)]
    Probe {
        /// Login uid to take.
        #[arg(long)]
        loginuid: u32,
        /// ABI of the syscalls (machine name).
        #[arg(long)]
        abi: String,
        /// Comma-separated syscalls.
        #[arg(long)]
        syscalls: Option<String>,
        /// Make them on this existing file, changing nothing.
        #[arg(long)]
        file: Option<PathBuf>,
        /// The file's mode (octal), for chmod.
        #[arg(long, default_value = "0")]
        mode: String,
        /// Make them fail with this errno (13 or 1) after dropping privileges.
        #[arg(long)]
        errno: Option<u32>,
        /// For --errno 13: a path below a directory only root may search.
        #[arg(long)]
        denied: Option<PathBuf>,
        /// For --errno 1: a root-owned file.
        #[arg(long)]
        owned: Option<PathBuf>,
        /// Drop to this uid (and gid) before the syscalls.
        #[arg(long)]
        drop_to: Option<u32>,
        /// Path to exec with --version afterwards.
        #[arg(long)]
        exec: Option<String>,
    },
    /// List the controls auditguard knows, or the items of a profile.
    Controls {
        /// List this profile's items (id, controls, title) instead.
        #[arg(long, value_name = "ID|FILE")]
        profile: Option<String>,
        /// Include the user's control files of DIR.
        #[arg(long, value_name = "DIR")]
        controls_dir: Option<PathBuf>,
    },
    /// List the built-in benchmark profiles.
    Profiles,
}

/// Run a command; the result is the process exit code.
pub fn run(args: &Args) -> anyhow::Result<u8> {
    match &args.command {
        Cmd::Check {
            target,
            selection,
            format,
        } => check::run(target, selection, *format),
        Cmd::Rules {
            target,
            file,
            kernel,
        } => rules::run(target, file.as_deref(), *kernel),
        Cmd::Status { format } => status::run(*format),
        Cmd::Merge { target } => merge::run(target),
        Cmd::Fix {
            target,
            selection,
            dry_run,
            repair,
            backup,
            load,
            format,
        } => fix::run(fix::FixArgs {
            target,
            selection,
            dry_run: *dry_run,
            repair: *repair,
            backup: *backup,
            load: *load,
            format: *format,
        }),
        Cmd::Verify {
            selection,
            exec,
            format,
        } => verify::run(selection, *exec, *format),
        Cmd::Probe {
            loginuid,
            abi,
            syscalls,
            file,
            mode,
            errno,
            denied,
            owned,
            drop_to,
            exec,
        } => verify::probe_child(&verify::ProbeArgs {
            loginuid: *loginuid,
            abi,
            syscalls: syscalls.as_deref(),
            file: file.as_deref(),
            mode,
            errno: *errno,
            denied: denied.as_deref(),
            owned: owned.as_deref(),
            drop_to: *drop_to,
            exec: exec.as_deref(),
        }),
        Cmd::Controls {
            profile,
            controls_dir,
        } => controls::run(profile.as_deref(), controls_dir.as_deref()),
        Cmd::Profiles => controls::profiles(),
    }
}

/// The target as a [`Host`] and its machine.
fn open(target: &Target) -> anyhow::Result<(Box<dyn Host>, Machine)> {
    let host: Box<dyn Host> = match &target.root {
        Some(dir) => {
            let meta =
                std::fs::metadata(dir).with_context(|| format!("--root {}", dir.display()))?;
            if !meta.is_dir() {
                bail!("--root {}: not a directory", dir.display());
            }
            Box::new(RootHost::new(dir))
        }
        None => {
            // Without the privilege to read the audit configuration, every later message would
            // be a symptom of it: say it once, as the cause.
            for dir in ["/etc/audit/rules.d", "/etc/audit"] {
                if let Err(e) = LiveHost.read_dir(std::path::Path::new(dir)) {
                    if e.kind() == std::io::ErrorKind::PermissionDenied {
                        bail!(
                            "reading {dir} (and the kernel's audit state) needs root: run as \
                             root, or give --root DIR on a readable copy of the host's files"
                        );
                    }
                }
            }
            Box::new(LiveHost)
        }
    };
    let machine = match &target.arch {
        Some(a) => Machine::from_name(a).with_context(|| {
            format!("--arch {a}: unknown machine (try x86_64, aarch64, i386, ...)")
        })?,
        None => host
            .machine()
            .or_else(crate::host::native_machine)
            .context("cannot tell the target's machine type; give --arch")?,
    };
    Ok((host, machine))
}

/// Which controls a command judges: `--control` ids, a `--profile`, and where users keep
/// their own control files.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Selection {
    /// Control to evaluate (repeatable); default: kernel-module-loading.
    #[arg(long = "control", value_name = "ID")]
    pub controls: Vec<String>,
    /// A benchmark profile: a built-in id (see `auditguard profiles`) or a profile file.
    /// Every item of it is judged, with its benchmark ids.
    #[arg(long, value_name = "ID|FILE", conflicts_with = "controls")]
    pub profile: Option<String>,
    /// A directory of the user's own control files (`*.toml`, the built-in schema); a control
    /// with a built-in id replaces it.
    #[arg(long, value_name = "DIR")]
    pub controls_dir: Option<PathBuf>,
}

/// The controls a selection names (the profile's items as controls), and the profile.
fn resolve_selection(
    sel: &Selection,
) -> anyhow::Result<(
    Vec<crate::control::Control>,
    Option<crate::control::profile::Profile>,
)> {
    // The default run needs the seed control only: parse that file, not the catalogue.
    if sel.profile.is_none() && sel.controls.is_empty() && sel.controls_dir.is_none() {
        return Ok((vec![crate::control::seed()], None));
    }
    let catalogue = crate::control::catalogue_with(sel.controls_dir.as_deref())?;
    if let Some(name) = &sel.profile {
        let profile = crate::control::profile::load(name)?;
        let controls = profile.controls(&catalogue)?;
        return Ok((controls, Some(profile)));
    }
    let find = |id: &str| catalogue.iter().find(|c| c.id == id).cloned();
    if sel.controls.is_empty() {
        return Ok((
            vec![find(crate::control::DEFAULT_CONTROL)
                .context("the default control is missing from the catalogue")?],
            None,
        ));
    }
    let controls = sel
        .controls
        .iter()
        .map(|id| {
            find(id).with_context(|| format!("unknown control {id:?} (see `auditguard controls`)"))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((controls, None))
}

/// The target's facts, with the profile's fixed UID_MIN when it sets one (the STIG writes
/// 1000 whatever the target's login.defs says).
fn facts_for(
    host: &dyn Host,
    controls: &[crate::control::Control],
    profile: Option<&crate::control::profile::Profile>,
) -> crate::model::TargetFacts {
    let mut facts = crate::load::configuration::facts(host, controls);
    if let Some(min) = profile.and_then(|p| p.settings.auid_min) {
        facts.uid_min = min;
    }
    facts
}

/// Whether to colour output: only on a terminal, and never with `NO_COLOR` set.
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
