//! Which loader puts the audit rules into the kernel at boot on the target: augenrules (rules
//! from `/etc/audit/rules.d`) or `auditctl -R FILE` — or that we cannot tell, and why.
//!
//! systemd: the commands of `auditd.service`'s `ExecStartPost=` (audit ≤ 3.x)
//! then of `audit-rules.service`'s `ExecStart=` (audit ≥ 4), each assembled as systemd does it
//! ([`crate::load::systemd_unit`]: overrides, drop-ins, empty assignment resets, masking).
//! Without any unit, SysV init: Debian's `/etc/default/auditd` or RHEL's
//! `/etc/sysconfig/auditd` decide with `USE_AUGENRULES` whether `augenrules` runs before
//! `auditctl -R /etc/audit/audit.rules`.
//!
//! Unlike ComplianceAsCode (which reads only the vendor unit), overrides and drop-ins count.
//! Never guesses: anything it cannot classify is [`Loader::Unknown`] with the reason.

use crate::host::Host;
use crate::load::augenrules::{AUDIT_RULES, RULES_D};
use crate::load::systemd_unit::{self, Assignment, ExecCommand, Unit};
use std::path::{Path, PathBuf};

/// The loader that runs at boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loader {
    /// augenrules merges `rules.d` into `audit.rules`, which is then loaded (by
    /// `augenrules --load`, or by `auditctl -R /etc/audit/audit.rules` after it).
    Augenrules,
    /// `auditctl -R file` loads a file that nothing regenerates.
    Auditctl {
        /// The file given to `-R`.
        file: PathBuf,
    },
    /// A loader line runs but provably loads no rules (`auditctl` without `-R`, `augenrules`
    /// without `--load` and nothing loading its output, a loader program missing on an OS
    /// image).
    Nothing {
        /// Why, naming the line.
        reason: String,
    },
    /// Cannot tell (no loader line at all, an unknown command, several loaders).
    Unknown {
        /// Why.
        reason: String,
    },
}

/// The init system whose configuration decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// systemd units.
    Systemd,
    /// SysV init script and its defaults file.
    SysV,
    /// Neither found.
    None,
}

/// A line that decided (or helped decide).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, when a line decided (not for defaults or masks).
    pub line: Option<usize>,
    /// What it says (the setting, or a description).
    pub text: String,
}

/// The answer of [`detect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The loader.
    pub loader: Loader,
    /// The file `auditctl -R` loads at boot (`/etc/audit/audit.rules` for augenrules), when
    /// one is known.
    pub rules_file: Option<PathBuf>,
    /// Which init configuration decided.
    pub init: Init,
    /// The lines that decided, in the order they run.
    pub evidence: Vec<Evidence>,
    /// Things worth saying that did not decide (masked units, unrecognised commands).
    pub notes: Vec<String>,
    /// Whether the audit daemon enables auditing when it starts (auditd does unless started
    /// with `-s nochange` or `-s disable`; `false` also when no daemon unit runs); `None`
    /// when it cannot be told.
    pub daemon_enables: Option<bool>,
    /// augenrules runs with `--check`: it loads only when audit.rules already equals the
    /// merge.
    pub augenrules_check: bool,
}

/// Directories the commands may live in (absolute paths elsewhere still count, with a note).
const BIN_DIRS: &[&str] = &["/sbin", "/usr/sbin", "/usr/bin", "/bin"];

/// What one command does to the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// augenrules regenerates audit.rules; with `--load` it also loads it; with `--check`
    /// it loads only when audit.rules already equals the merge, and otherwise writes nothing.
    Augenrules { load: bool, check: bool },
    /// `auditctl -R file`.
    Load { file: PathBuf },
    /// A loader program that loads nothing: why.
    Nothing { why: String },
}

/// Detect the boot-time loader of `host`.
pub fn detect(host: &dyn Host, full_image: bool) -> Detection {
    let mut notes = Vec::new();
    let auditd = systemd_unit::find(host, "auditd.service");
    let rules_unit = systemd_unit::find(host, "audit-rules.service");
    if auditd == Unit::Missing && rules_unit == Unit::Missing {
        return sysv(host);
    }
    let unreadable = |u: systemd_unit::Unreadable| Detection {
        loader: Loader::Unknown {
            reason: format!(
                "cannot read {}, which systemd reads: {}",
                u.path.display(),
                u.why
            ),
        },
        rules_file: None,
        init: Init::Systemd,
        evidence: Vec::new(),
        notes: Vec::new(),
        daemon_enables: None,
        augenrules_check: false,
    };
    let daemon_enables = match &auditd {
        Unit::Found { files } => Some(
            !match systemd_unit::list_setting(host, files, "Service", "ExecStart") {
                Ok(list) => list,
                Err(u) => return unreadable(u),
            }
            .iter()
            .flat_map(|a| systemd_unit::exec_commands(&a.value))
            .any(|c| keeps_enabled_state(&c.args)),
        ),
        Unit::Masked { .. } | Unit::Missing => Some(false),
    };
    let mut steps: Vec<(Step, Evidence)> = Vec::new();
    for (unit, name, key) in [
        (&auditd, "auditd.service", "ExecStartPost"),
        (&rules_unit, "audit-rules.service", "ExecStart"),
    ] {
        match unit {
            Unit::Missing => {}
            Unit::Masked { path } => notes.push(format!(
                "{name} is masked by {}: its commands do not run",
                path.display()
            )),
            Unit::Found { files } => {
                let list = match systemd_unit::list_setting(host, files, "Service", key) {
                    Ok(list) => list,
                    Err(u) => return unreadable(u),
                };
                for a in list {
                    for cmd in systemd_unit::exec_commands(&a.value) {
                        let missing = full_image
                            && Path::new(&cmd.program).is_absolute()
                            && !host.exists(Path::new(&cmd.program));
                        let step = match step_of(&cmd, &mut notes, &a) {
                            Some(_) if missing => Some(Step::Nothing {
                                why: format!("{} does not exist on the target", cmd.program),
                            }),
                            step => step,
                        };
                        match step {
                            Some(step) => steps.push((step, evidence(&a, key))),
                            None => notes.push(format!(
                                "{}:{}: {key}={} does not load rules",
                                a.path.display(),
                                a.line,
                                a.value
                            )),
                        }
                    }
                }
            }
        }
    }
    let masked = |u: &Unit| matches!(u, Unit::Masked { .. });
    if masked(&auditd) && matches!(rules_unit, Unit::Missing | Unit::Masked { .. }) {
        let Unit::Masked { path } = &auditd else {
            unreachable!("checked")
        };
        let mut d = decide(Vec::new(), Init::Systemd, notes);
        d.loader = Loader::Nothing {
            reason: format!(
                "auditd.service is masked by {}: nothing runs at boot",
                path.display()
            ),
        };
        d.daemon_enables = Some(false);
        return d;
    }
    let mut d = decide(steps, Init::Systemd, notes);
    d.daemon_enables = daemon_enables;
    // Installed but not enabled: on a tree that records enablement (it has `*.wants/` links),
    // an auditd.service no `*.wants/` links never starts, so nothing is loaded at boot.
    let starts = |name: &str| systemd_unit::enabled(host, name) != Some(false);
    let rules_unit_starts =
        matches!(rules_unit, Unit::Found { .. }) && starts("audit-rules.service");
    let auditd_idle = matches!(auditd, Unit::Found { .. }) && !starts("auditd.service");
    if auditd_idle && !rules_unit_starts && !matches!(d.loader, Loader::Unknown { .. }) {
        d.loader = Loader::Nothing {
            reason: "auditd.service is not enabled (no *.wants/auditd.service link in the unit \
                     directories, which do record enablement): it does not start at boot"
                .to_string(),
        };
        d.daemon_enables = Some(false);
    }
    d
}

/// Whether auditd's arguments say `-s nochange` or `-s disable` (it then leaves the kernel's
/// enabled flag as it is, or disables it), as `auditd -s` parses them.
fn keeps_enabled_state(args: &[String]) -> bool {
    // auditd's getopt string is "flns:c:": flags may be grouped (`-ls nochange`), `s` and `c`
    // take the rest of the word or the next one.
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(flags) = a
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && !f.starts_with('-'))
        else {
            continue;
        };
        for (i, c) in flags.char_indices() {
            match c {
                'f' | 'l' | 'n' => continue,
                's' | 'c' => {
                    let rest = &flags[i + 1..];
                    let value = if rest.is_empty() {
                        it.next().map(String::as_str)
                    } else {
                        Some(rest)
                    };
                    if c == 's' && matches!(value, Some("nochange" | "disable")) {
                        return true;
                    }
                    break;
                }
                _ => break,
            }
        }
    }
    false
}

fn evidence(a: &Assignment, key: &str) -> Evidence {
    Evidence {
        path: a.path.clone(),
        line: Some(a.line),
        text: format!("{key}={}", a.value),
    }
}

/// The rule-loading meaning of one command, if it has one.
fn step_of(cmd: &ExecCommand, notes: &mut Vec<String>, at: &Assignment) -> Option<Step> {
    let program = Path::new(&cmd.program);
    let name = program.file_name()?.to_str()?;
    if !matches!(name, "augenrules" | "auditctl") {
        return None;
    }
    let dir = program.parent().filter(|d| !d.as_os_str().is_empty());
    if dir.is_some_and(|d| !BIN_DIRS.iter().any(|b| Path::new(b) == d)) {
        notes.push(format!(
            "{}:{}: {} is not in {}; taken as {name}",
            at.path.display(),
            at.line,
            cmd.program,
            BIN_DIRS.join(", ")
        ));
    }
    if name == "augenrules" {
        // augenrules 3.0.9 takes only `--check` and `--load`; anything else prints its usage
        // and exits 1 before doing anything.
        if let Some(bad) = cmd.args.iter().find(|a| *a != "--check" && *a != "--load") {
            return Some(Step::Nothing {
                why: format!("augenrules stops at `{bad}` with its usage message"),
            });
        }
        return Some(Step::Augenrules {
            load: cmd.args.iter().any(|a| a == "--load"),
            check: cmd.args.iter().any(|a| a == "--check"),
        });
    }
    // auditctl 3.0.9 reads a rules file only when called exactly as `auditctl -R FILE`
    // (`argc == 3 && strcmp(argv[1], "-R") == 0`); `-R` anywhere else fails ("nested rule
    // files not supported") and loads nothing.
    match cmd.args.as_slice() {
        [r, file] if r == "-R" => Some(Step::Load { file: file.into() }),
        args if args.iter().any(|a| a.starts_with("-R")) => Some(Step::Nothing {
            why: "auditctl reads a rules file only as `auditctl -R FILE` alone; with other \
                  arguments it fails (nested rule files not supported)"
                .to_string(),
        }),
        _ => Some(Step::Nothing {
            why: "auditctl without -R loads no rules".to_string(),
        }),
    }
}

/// From the steps in run order to the loader.
fn decide(steps: Vec<(Step, Evidence)>, init: Init, mut notes: Vec<String>) -> Detection {
    let audit_rules = Path::new(AUDIT_RULES);
    let mut regenerated = false;
    // (file loaded, whether augenrules wrote it first, evidence)
    let mut loads: Vec<(PathBuf, bool)> = Vec::new();
    let mut evidence = Vec::new();
    let mut nothing: Vec<String> = Vec::new();
    let mut augenrules_check = false;
    for (step, ev) in steps {
        let at = match ev.line {
            Some(l) => format!("{}:{l}: {}", ev.path.display(), ev.text),
            None => format!("{}: {}", ev.path.display(), ev.text),
        };
        match step {
            Step::Nothing { why } => nothing.push(format!("{at} ({why})")),
            Step::Augenrules { load, check } => {
                augenrules_check |= check;
                regenerated = true;
                if load {
                    loads.push((audit_rules.to_path_buf(), true));
                } else {
                    notes.push(format!(
                        "{}: augenrules runs without --load",
                        ev.path.display()
                    ));
                    nothing.push(format!(
                        "{at} (augenrules without --load only writes audit.rules)"
                    ));
                }
            }
            Step::Load { file } => {
                let fresh = regenerated && file == audit_rules;
                loads.push((file, fresh));
            }
        }
        evidence.push(ev);
    }
    let detection = |loader, rules_file| Detection {
        loader,
        rules_file,
        init,
        evidence: evidence.clone(),
        notes: notes.clone(),
        daemon_enables: None,
        augenrules_check,
    };
    let Some((first, _)) = loads.first().cloned() else {
        if !nothing.is_empty() {
            let reason = format!(
                "the loader line loads nothing at boot: {}",
                nothing.join("; ")
            );
            return detection(Loader::Nothing { reason }, None);
        }
        let reason = if evidence.is_empty() {
            "no augenrules --load or auditctl -R command runs at boot".to_string()
        } else {
            "augenrules runs but nothing loads its output (no --load, no auditctl -R)".to_string()
        };
        return detection(Loader::Unknown { reason }, None);
    };
    if loads.iter().all(|(_, fresh)| *fresh) {
        return detection(Loader::Augenrules, Some(first));
    }
    if loads.iter().all(|(f, fresh)| !fresh && *f == first) {
        return detection(
            Loader::Auditctl {
                file: first.clone(),
            },
            Some(first),
        );
    }
    let files: Vec<String> = loads.iter().map(|(f, _)| f.display().to_string()).collect();
    let reason = format!("several loaders run at boot (files: {})", files.join(", "));
    detection(Loader::Unknown { reason }, None)
}

/// Which SysV defaults file, and how its script reads `USE_AUGENRULES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SysvFlavor {
    /// Debian `/etc/init.d/auditd`: anything but `no`/`NO` (or unset) runs augenrules.
    Debian,
    /// Upstream/RHEL `auditd.init`: unset or empty does not; else anything but `no` after
    /// `tr 'NO' 'no'`.
    Rhel,
}

const SYSV_SCRIPTS: &[&str] = &["/etc/init.d/auditd", "/etc/rc.d/init.d/auditd"];

fn sysv(host: &dyn Host) -> Detection {
    // A script or defaults file that exists but cannot be read (a FIFO the shell would block
    // on, no permission, over the size cap) leaves the loader unknown, named.
    let cannot_read = |path: &Path, e: std::io::Error| Detection {
        loader: Loader::Unknown {
            reason: format!("cannot read {}, which SysV init reads: {e}", path.display()),
        },
        rules_file: None,
        init: Init::SysV,
        evidence: Vec::new(),
        notes: Vec::new(),
        daemon_enables: None,
        augenrules_check: false,
    };
    let mut script = None;
    for p in SYSV_SCRIPTS.iter().map(Path::new) {
        match host.read(p) {
            Ok(b) => {
                script = Some((p, b));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return cannot_read(p, e),
        }
    }
    let flavor_of_script = script.as_ref().and_then(|(_, text)| {
        let has = |s: &[u8]| text.windows(s.len()).any(|w| w == s);
        if has(b"/etc/default/") {
            Some(SysvFlavor::Debian)
        } else if has(b"/etc/sysconfig/auditd") {
            Some(SysvFlavor::Rhel)
        } else {
            None
        }
    });
    let debian = Path::new("/etc/default/auditd");
    let rhel = Path::new("/etc/sysconfig/auditd");
    let flavor = flavor_of_script.or_else(|| {
        if host.exists(debian) {
            Some(SysvFlavor::Debian)
        } else if host.exists(rhel) {
            Some(SysvFlavor::Rhel)
        } else {
            None
        }
    });
    let unknown = |reason: String, init| Detection {
        loader: Loader::Unknown { reason },
        rules_file: None,
        init,
        evidence: Vec::new(),
        notes: Vec::new(),
        daemon_enables: None,
        augenrules_check: false,
    };
    let Some(flavor) = flavor else {
        let reason = match &script {
            Some((p, _)) => format!("{} reads no known defaults file", p.display()),
            None => "no auditd.service or audit-rules.service unit and no SysV init script or \
                     defaults file (/etc/default/auditd, /etc/sysconfig/auditd)"
                .to_string(),
        };
        let init = if script.is_some() {
            Init::SysV
        } else {
            Init::None
        };
        return unknown(reason, init);
    };
    let defaults = match flavor {
        SysvFlavor::Debian => debian,
        SysvFlavor::Rhel => rhel,
    };
    let setting = match host.read(defaults) {
        Ok(b) => shell_assignment(&String::from_utf8_lossy(&b), "USE_AUGENRULES"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return cannot_read(defaults, e),
    };
    let value = setting.as_ref().map(|(_, v)| v.as_str());
    let wants_augenrules = match flavor {
        SysvFlavor::Debian => !matches!(value, Some("no" | "NO")),
        SysvFlavor::Rhel => {
            value.is_some_and(|v| !v.is_empty() && v.replace('N', "n").replace('O', "o") != "no")
        }
    };
    let mut evidence = Vec::new();
    if let Some((path, _)) = &script {
        evidence.push(Evidence {
            path: path.to_path_buf(),
            line: None,
            text: "SysV init script".to_string(),
        });
    }
    evidence.push(match &setting {
        Some((line, v)) => Evidence {
            path: defaults.to_path_buf(),
            line: Some(*line),
            text: format!("USE_AUGENRULES={v}"),
        },
        None => Evidence {
            path: defaults.to_path_buf(),
            line: None,
            text: format!(
                "USE_AUGENRULES unset (default {})",
                if flavor == SysvFlavor::Debian {
                    "yes"
                } else {
                    "no"
                }
            ),
        },
    });
    let mut notes = Vec::new();
    if script.is_none() {
        notes.push("no SysV init script found; judged from the defaults file".to_string());
    }
    // Both scripts: `[ -d rules.d ] && augenrules` (no --load), then
    // `[ -f audit.rules ] && auditctl -R audit.rules`.
    let runs_augenrules = wants_augenrules
        && host
            .stat(Path::new(RULES_D))
            .is_ok_and(|m| m.kind == crate::host::FileKind::Dir);
    if wants_augenrules && !runs_augenrules {
        notes.push(format!(
            "{RULES_D} does not exist, so augenrules is not run"
        ));
    }
    let audit_rules = PathBuf::from(AUDIT_RULES);
    if !runs_augenrules && !host.exists(&audit_rules) {
        let mut d = unknown(
            format!("{AUDIT_RULES} does not exist: no rules are loaded"),
            Init::SysV,
        );
        d.evidence = evidence;
        d.notes = notes;
        return d;
    }
    let loader = if runs_augenrules {
        Loader::Augenrules
    } else {
        Loader::Auditctl {
            file: audit_rules.clone(),
        }
    };
    Detection {
        loader,
        rules_file: Some(audit_rules),
        init: Init::SysV,
        evidence,
        notes,
        // The SysV script starts auditd, which enables auditing when it starts.
        daemon_enables: Some(true),
        augenrules_check: false,
    }
}

/// The last `NAME=value` (optionally after `export`) in a shell defaults file, unquoted,
/// with its 1-based line.
fn shell_assignment(text: &str, name: &str) -> Option<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    lines.iter().enumerate().rev().find_map(|(i, line)| {
        let line = line.trim();
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let value = line.strip_prefix(name)?.strip_prefix('=')?;
        let value = value.split(" #").next().unwrap_or("").trim_end();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        Some((i + 1, unquoted.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RootHost;
    use std::os::unix::fs::symlink;

    const DEBIAN_UNIT: &str = "[Unit]\nDescription=Security Auditing Service\n\n[Service]\n\
        Type=forking\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n\
        #ExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules\n\n[Install]\n\
        WantedBy=multi-user.target\n";

    struct Root(tempfile::TempDir);

    impl Root {
        fn new() -> Root {
            Root(tempfile::tempdir().unwrap())
        }
        fn file(&self, path: &str, text: &str) -> &Root {
            let p = self.0.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
            self
        }
        fn link(&self, path: &str, target: &str) -> &Root {
            let p = self.0.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            symlink(target, p).unwrap();
            self
        }
        fn detect(&self) -> Detection {
            detect(&RootHost::new(self.0.path()), false)
        }
    }

    fn auditctl(file: &str) -> Loader {
        Loader::Auditctl { file: file.into() }
    }

    #[test]
    fn debian_vendor_unit_runs_augenrules() {
        for dir in ["/lib/systemd/system", "/usr/lib/systemd/system"] {
            let root = Root::new();
            root.file(&format!("{dir}/auditd.service"), DEBIAN_UNIT);
            let d = root.detect();
            assert_eq!(d.loader, Loader::Augenrules);
            assert_eq!(d.init, Init::Systemd);
            assert_eq!(d.rules_file.as_deref(), Some(Path::new(AUDIT_RULES)));
            assert_eq!(
                d.evidence,
                [Evidence {
                    path: format!("{dir}/auditd.service").into(),
                    line: Some(7),
                    text: "ExecStartPost=-/sbin/augenrules --load".into()
                }]
            );
        }
    }

    #[test]
    fn full_copy_in_etc_overrides_vendor_unit() {
        let root = Root::new();
        root.file("/usr/lib/systemd/system/auditd.service", DEBIAN_UNIT)
            .file(
                "/etc/systemd/system/auditd.service",
                &DEBIAN_UNIT
                    .replace("ExecStartPost=-/sbin/augenrules --load\n#", "#")
                    .replace(
                        "#ExecStartPost=-/sbin/auditctl",
                        "ExecStartPost=-/sbin/auditctl",
                    ),
            );
        let d = root.detect();
        assert_eq!(d.loader, auditctl("/etc/audit/audit.rules"));
        assert_eq!(
            d.evidence[0].path,
            Path::new("/etc/systemd/system/auditd.service")
        );
    }

    #[test]
    fn drop_in_resets_and_replaces() {
        // Debian's README way of switching to auditctl.
        let root = Root::new();
        root.file("/lib/systemd/system/auditd.service", DEBIAN_UNIT)
            .file(
                "/etc/systemd/system/auditd.service.d/override.conf",
                "[Service]\nExecStartPost=\nExecStartPost=-/sbin/auditctl -R /etc/audit/my.rules\n",
            );
        let d = root.detect();
        assert_eq!(d.loader, auditctl("/etc/audit/my.rules"));
        assert_eq!(d.evidence[0].line, Some(3));
    }

    #[test]
    fn drop_ins_sort_by_name_across_dirs_and_etc_wins_a_name() {
        let root = Root::new();
        root.file("/usr/lib/systemd/system/auditd.service", DEBIAN_UNIT)
            // Hidden by the same name in /etc.
            .file(
                "/usr/lib/systemd/system/auditd.service.d/50-x.conf",
                "[Service]\nExecStartPost=\n",
            )
            .file(
                "/etc/systemd/system/auditd.service.d/50-x.conf",
                "[Service]\nExecStartPost=/usr/bin/true\n",
            )
            // Sorted after 50-x although in a lower-priority directory.
            .file(
                "/run/systemd/system/auditd.service.d/60-y.conf",
                "[Service]\nExecStartPost=@/usr/sbin/auditctl auditctl -R /etc/audit/audit.rules\n",
            );
        let d = root.detect();
        // augenrules --load, then auditctl -R of the same freshly generated file.
        assert_eq!(d.loader, Loader::Augenrules);
        assert_eq!(d.evidence.len(), 2);
        assert!(d.notes.iter().any(|n| n.contains("/usr/bin/true")));
    }

    #[test]
    fn masked_drop_in_is_ignored() {
        let root = Root::new();
        root.file("/lib/systemd/system/auditd.service", DEBIAN_UNIT)
            .file(
                "/lib/systemd/system/auditd.service.d/10-reset.conf",
                "[Service]\nExecStartPost=\n",
            )
            .link(
                "/etc/systemd/system/auditd.service.d/10-reset.conf",
                "/dev/null",
            );
        assert_eq!(root.detect().loader, Loader::Augenrules);
    }

    #[test]
    fn audit_4_rules_service() {
        let root = Root::new();
        root.file(
            "/usr/lib/systemd/system/auditd.service",
            "[Unit]\nWants=audit-rules.service\n[Service]\nExecStart=/usr/sbin/auditd\n",
        )
        .file(
            "/usr/lib/systemd/system/audit-rules.service",
            "[Service]\nType=oneshot\nExecStart=/usr/sbin/augenrules --load\n",
        );
        let d = root.detect();
        assert_eq!(d.loader, Loader::Augenrules);
        assert_eq!(d.evidence[0].text, "ExecStart=/usr/sbin/augenrules --load");
        root.link("/etc/systemd/system/audit-rules.service", "/dev/null");
        let d = root.detect();
        assert!(matches!(d.loader, Loader::Unknown { .. }), "{d:?}");
        assert!(d.notes[0].contains("masked"));
    }

    #[test]
    fn masked_auditd_service() {
        let root = Root::new();
        root.file("/lib/systemd/system/auditd.service", DEBIAN_UNIT)
            .file("/etc/systemd/system/auditd.service", "");
        let d = root.detect();
        // Masked: nothing runs at boot — a known outcome, not "cannot tell".
        assert!(
            matches!(&d.loader, Loader::Nothing { reason } if reason.contains("masked")),
            "{d:?}"
        );
        assert!(
            d.notes[0].contains("auditd.service is masked"),
            "{:?}",
            d.notes
        );
    }

    #[test]
    fn command_shapes() {
        let cases = [
            ("+/usr/bin/augenrules --load", Loader::Augenrules),
            (
                "!!/bin/auditctl -R /etc/audit/x.rules",
                auditctl("/etc/audit/x.rules"),
            ),
            ("-augenrules --load", Loader::Augenrules),
            (
                "/sbin/augenrules ; /sbin/auditctl -R /etc/audit/audit.rules",
                Loader::Augenrules,
            ),
            (
                "/sbin/auditctl -R /etc/audit/audit.rules ; /sbin/augenrules",
                auditctl("/etc/audit/audit.rules"),
            ),
        ];
        for (cmd, want) in cases {
            let root = Root::new();
            root.file(
                "/lib/systemd/system/auditd.service",
                &format!("[Service]\nExecStartPost={cmd}\n"),
            );
            assert_eq!(root.detect().loader, want, "{cmd}");
        }
        // A loader line that provably loads nothing: `Nothing`, naming the line.
        // (`-RFILE` and `-R FILE` with other arguments: auditctl 3.0.9 reads a file only as
        // exactly `auditctl -R FILE`, checked with the real one: the others load nothing.)
        for cmd in [
            "/sbin/augenrules",
            "/sbin/auditctl -e 1",
            "-/sbin/auditctl",
            "/sbin/auditctl -R/etc/audit/audit.rules",
            "/sbin/auditctl -e 1 -R /etc/audit/audit.rules",
            "/sbin/augenrules --load --foo",
        ] {
            let root = Root::new();
            root.file(
                "/lib/systemd/system/auditd.service",
                &format!("[Service]\nExecStartPost={cmd}\n"),
            );
            match root.detect().loader {
                Loader::Nothing { reason } => {
                    assert!(reason.contains("auditd.service:2"), "{cmd}: {reason}")
                }
                other => panic!("{cmd}: {other:?}"),
            }
        }
        // What cannot be told stays unknown: several loaders, no loader line at all.
        for cmd in [
            "/sbin/augenrules --load ; /sbin/auditctl -R /etc/audit/extra.rules",
            "/bin/true",
        ] {
            let root = Root::new();
            root.file(
                "/lib/systemd/system/auditd.service",
                &format!("[Service]\nExecStartPost={cmd}\n"),
            );
            assert!(
                matches!(root.detect().loader, Loader::Unknown { .. }),
                "{cmd}"
            );
        }
    }

    #[test]
    fn a_loader_program_missing_from_a_whole_image_loads_nothing() {
        let root = Root::new();
        root.file(
            "/lib/systemd/system/auditd.service",
            "[Service]\nExecStartPost=-/sbin/augenrules --load\n",
        );
        assert_eq!(root.detect().loader, Loader::Augenrules);
        let d = detect(&RootHost::new(root.0.path()), true);
        assert!(
            matches!(&d.loader, Loader::Nothing { reason } if reason.contains("does not exist")),
            "{d:?}"
        );
        root.file("/sbin/augenrules", "#!/bin/sh\n");
        let d = detect(&RootHost::new(root.0.path()), true);
        assert_eq!(d.loader, Loader::Augenrules);
    }

    #[test]
    fn auditd_enables_auditing_unless_told_not_to() {
        for (exec_start, enables) in [
            ("/sbin/auditd", true),
            ("/sbin/auditd -s enable", true),
            ("/sbin/auditd -s nochange", false),
            ("/sbin/auditd -snochange", false),
            ("/sbin/auditd -s disable", false),
        ] {
            let root = Root::new();
            root.file(
                "/lib/systemd/system/auditd.service",
                &format!(
                    "[Service]\nExecStart={exec_start}\nExecStartPost=-/sbin/augenrules --load\n"
                ),
            );
            assert_eq!(root.detect().daemon_enables, Some(enables), "{exec_start}");
        }
    }

    #[test]
    fn sysv_debian() {
        for (setting, want) in [
            ("", Loader::Augenrules),
            ("USE_AUGENRULES=\"yes\"\n", Loader::Augenrules),
            ("USE_AUGENRULES=\"no\"\n", auditctl(AUDIT_RULES)),
            ("USE_AUGENRULES=NO\n", auditctl(AUDIT_RULES)),
            ("USE_AUGENRULES=No\n", Loader::Augenrules),
        ] {
            let root = Root::new();
            root.file(
                "/etc/init.d/auditd",
                "[ -r /etc/default/\"$NAME\" ] && . /etc/default/\"$NAME\"\n",
            )
            .file("/etc/default/auditd", &format!("# x\n{setting}"))
            .file("/etc/audit/rules.d/a.rules", "")
            .file("/etc/audit/audit.rules", "");
            let d = root.detect();
            assert_eq!(d.loader, want, "{setting}");
            assert_eq!(d.init, Init::SysV);
            assert_eq!(d.rules_file.as_deref(), Some(Path::new(AUDIT_RULES)));
        }
    }

    #[test]
    fn sysv_rhel() {
        for (setting, want) in [
            ("", auditctl(AUDIT_RULES)),
            ("USE_AUGENRULES=\"no\"\n", auditctl(AUDIT_RULES)),
            ("USE_AUGENRULES=\"No\"\n", auditctl(AUDIT_RULES)),
            ("USE_AUGENRULES=\"yes\"\n", Loader::Augenrules),
            ("export USE_AUGENRULES='true'\n", Loader::Augenrules),
        ] {
            let root = Root::new();
            root.file(
                "/etc/rc.d/init.d/auditd",
                "test -f /etc/sysconfig/auditd && . /etc/sysconfig/auditd\n",
            )
            .file("/etc/sysconfig/auditd", setting)
            .file("/etc/audit/rules.d/a.rules", "")
            .file("/etc/audit/audit.rules", "");
            let d = root.detect();
            assert_eq!(d.loader, want, "{setting}");
            if let Some(line) = d.evidence.iter().find_map(|e| e.line) {
                assert_eq!(line, 1);
            }
        }
    }

    #[test]
    fn sysv_without_rules_dir_falls_back_to_auditctl() {
        let root = Root::new();
        root.file("/etc/default/auditd", "USE_AUGENRULES=yes\n")
            .file("/etc/audit/audit.rules", "");
        let d = root.detect();
        assert_eq!(d.loader, auditctl(AUDIT_RULES));
        assert!(d.notes.iter().any(|n| n.contains("rules.d")));
    }

    #[test]
    fn nothing_is_unknown() {
        let d = Root::new().detect();
        assert_eq!(d.init, Init::None);
        let Loader::Unknown { reason } = d.loader else {
            panic!("{d:?}")
        };
        assert!(reason.contains("no auditd.service"), "{reason}");
    }
}
