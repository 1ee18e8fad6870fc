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
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// The exit statuses of every command, in one place (`--help`, the man page and README.md
/// show this text).
pub const EXIT_CODES: &str = "\
Exit status:
  0  compliant: every judged item passes (or is not applicable or left to a person); for
     fix, compliant afterwards; for verify, every required event came out with a key; for
     rules, merge, status, controls, profiles: done
  1  not compliant: some item fails (check), the fix is blocked or still failing (fix),
     some required event did not come out (verify); for rules, the load stops or has
     errors as `auditctl -R` would exit 1
  2  could not evaluate or an error (bad arguments, unreadable target, no privilege)";

/// Makes sure Linux hosts really audit what compliance controls demand.
#[derive(Debug, Parser)]
#[command(name = "auditguard", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Args {
    /// The command.
    #[command(subcommand)]
    pub command: Cmd,
    /// Colour the text report: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
    /// Print no text report on the terminal (files of -o are still written; the exit status
    /// tells the verdict).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: every failing event of a profile item (not only the first few).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// When to colour text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always (even into a pipe).
    Always,
    /// Never.
    Never,
}

/// How a command talks to the terminal (from the global options).
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// Colour the text on stdout.
    pub color: bool,
    /// No text report on stdout.
    pub quiet: bool,
    /// Every detail in the text report.
    pub verbose: bool,
}

impl Ui {
    /// The terminal settings the options ask for.
    pub fn from_args(args: &Args) -> Ui {
        Ui {
            color: match args.color {
                ColorWhen::Always => true,
                ColorWhen::Never => false,
                ColorWhen::Auto => use_color(),
            },
            quiet: args.quiet,
            verbose: args.verbose,
        }
    }
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

/// Output format of the commands other than `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people (for rules and merge: the exact text auditctl and augenrules print).
    Text,
    /// For programs: a versioned document, schemas/COMMAND-1.json.
    Json,
}

/// Output format of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// For programs (schemas/check-1.json).
    Json,
    /// SARIF 2.1.0, for code scanning: a result per failing item, at its file and line.
    Sarif,
    /// JUnit XML, for CI dashboards: a test suite per profile (or control), a test per item.
    Junit,
    /// XCCDF 1.2 results, for SCAP tools: a rule-result per item (SCAP Security Guide
    /// rule ids where known).
    Xccdf,
    /// The XCCDF results as an ARF 1.1 result data stream (asset, report request, report).
    Arf,
    /// MITRE Heimdall Data Format (InSpec JSON), for Heimdall and the SAF CLI (STIG Viewer
    /// checklists).
    Hdf,
}

/// Where a report goes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Output {
    /// Write the report (in --format) to FILE; the text report still goes to the terminal
    /// (unless -q).
    #[arg(id = "output", short = 'o', long = "output", value_name = "FILE")]
    pub file: Option<PathBuf>,
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
        /// Output format (json: schemas/check-1.json).
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Where the report goes.
        #[command(flatten)]
        output: Output,
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
        /// Output format (json: schemas/rules-1.json, each rule with the line that added it).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Where the listing goes.
        #[command(flatten)]
        output: Output,
    },
    /// Print the kernel's audit status like `auditctl -s` (enabled, locked, daemon pid,
    /// backlog, lost).
    Status {
        /// Output format (json: schemas/status-1.json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Where the report goes.
        #[command(flatten)]
        output: Output,
    },
    /// Print what augenrules would write to /etc/audit/audit.rules.
    Merge {
        /// Target selection.
        #[command(flatten)]
        target: Target,
        /// Output format (json: schemas/merge-1.json, each line with its rules.d source).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Where the merged text goes.
        #[command(flatten)]
        output: Output,
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
        /// Output format (json: schemas/fix-1.json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Where the report goes.
        #[command(flatten)]
        output: Output,
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
        /// Output format (json: schemas/verify-1.json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Where the report goes.
        #[command(flatten)]
        output: Output,
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
        /// Output format (json: schemas/controls-1.json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the built-in benchmark profiles.
    Profiles {
        /// Output format (json: schemas/profiles-1.json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of auditguard, or of one of its commands.
    Man {
        /// The command (default: auditguard itself).
        command: Option<String>,
    },
}

/// Run a command; the result is the process exit code.
pub fn run(args: &Args) -> anyhow::Result<u8> {
    let ui = Ui::from_args(args);
    match &args.command {
        Cmd::Check {
            target,
            selection,
            format,
            output,
        } => check::run(target, selection, *format, output, ui),
        Cmd::Rules {
            target,
            file,
            kernel,
            format,
            output,
        } => rules::run(target, file.as_deref(), *kernel, *format, output, ui),
        Cmd::Status { format, output } => status::run(*format, output, ui),
        Cmd::Merge {
            target,
            format,
            output,
        } => merge::run(target, *format, output, ui),
        Cmd::Fix {
            target,
            selection,
            dry_run,
            repair,
            backup,
            load,
            format,
            output,
        } => fix::run(fix::FixArgs {
            target,
            selection,
            dry_run: *dry_run,
            repair: *repair,
            backup: *backup,
            load: *load,
            format: *format,
            output,
            ui,
        }),
        Cmd::Verify {
            selection,
            exec,
            format,
            output,
        } => verify::run(selection, *exec, *format, output, ui),
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
            format,
        } => controls::run(profile.as_deref(), controls_dir.as_deref(), *format),
        Cmd::Profiles { format } => controls::profiles(*format),
        Cmd::Completions { shell } => {
            let mut cmd = <Args as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "auditguard", &mut std::io::stdout());
            Ok(0)
        }
        Cmd::Man { command } => man(command.as_deref()),
    }
}

/// The man page of auditguard or of one command, from the clap definition.
fn man(command: Option<&str>) -> anyhow::Result<u8> {
    let cmd = <Args as clap::CommandFactory>::command();
    let page = match command {
        None => cmd,
        Some(name) => {
            let sub = cmd
                .find_subcommand(name)
                .filter(|c| !c.is_hide_set())
                .cloned()
                .with_context(|| format!("no command {name:?} (see `auditguard --help`)"))?;
            sub.name(format!("auditguard-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    std::io::stdout().lock().write_all(&out)?;
    Ok(0)
}

/// Deliver a report. With `-o FILE`, `rendered` (the chosen format) is written to FILE and
/// the text rendering still goes to stdout; without, `rendered` goes to stdout. `-q` keeps
/// text off stdout (a machine format asked for on stdout is still printed: it is the output).
/// `text(color)` renders the text report.
fn deliver(
    output: &Output,
    ui: Ui,
    rendered: &[u8],
    is_text: bool,
    text: impl FnOnce(bool) -> String,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match &output.file {
        Some(file) => {
            std::fs::write(file, rendered).with_context(|| format!("-o {}", file.display()))?;
            if !ui.quiet {
                out.write_all(text(ui.color).as_bytes())?;
            }
        }
        None if is_text => {
            if !ui.quiet {
                out.write_all(text(ui.color).as_bytes())?;
            }
        }
        None => out.write_all(rendered)?,
    }
    out.flush()?;
    Ok(())
}

/// Deliver a JSON document (to FILE with `-o`, else to stdout): a machine format is the
/// output itself, so `-q` does not hold it back, and there is no text beside it.
fn deliver_json(output: &Output, ui: Ui, doc: &impl serde::Serialize) -> anyhow::Result<()> {
    let json = crate::report::bytes::to_json(doc);
    deliver(output, ui, json.as_bytes(), false, |_| String::new())
}

/// The target as reports name it: `/` or the `--root` directory's exact bytes.
fn target_bytes(target: &Target) -> crate::report::ByteString {
    target
        .root
        .as_deref()
        .map(crate::report::ByteString::path)
        .unwrap_or_else(|| crate::report::ByteString::from("/"))
}

/// A progress line on stderr while a long step runs: only on a terminal, never with `-q`;
/// erased when dropped, so it never mixes with the report.
pub(super) struct Progress(bool);

impl Progress {
    /// Show `line` (already escaped) when stderr is a terminal and `-q` is not given.
    pub(super) fn start(ui: Ui, line: &str) -> Progress {
        let on = !ui.quiet && std::io::stderr().is_terminal();
        if on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{line}\r");
            let _ = err.flush();
        }
        Progress(on)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.0 {
            // Erase the line (carriage return, clear to the end of the line).
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// This host's name (the kernel's), for reports.
fn this_hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    Some(name.trim().to_string()).filter(|n| !n.is_empty())
}

/// The target's host name: this host's, or the first line of the image's `/etc/hostname`.
fn hostname_of(target: &Target, host: &dyn Host) -> Option<String> {
    if target.root.is_none() {
        return this_hostname();
    }
    let bytes = host
        .read_prefix(std::path::Path::new("/etc/hostname"), 256)
        .ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let name = text.lines().next()?.trim();
    // A host name is letters, digits, dots and dashes; anything else is not one.
    (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'))
    .then(|| name.to_string())
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

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every command (unique names, valid defaults, ...).
    #[test]
    fn the_command_line_definition_is_consistent() {
        <super::Args as clap::CommandFactory>::command().debug_assert();
    }
}
