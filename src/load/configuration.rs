//! The whole boot-time load of a target, as one value: which loader runs, the text that
//! `auditctl -R` reads (augenrules' merged output or the hand-kept `audit.rules`), its parse,
//! and what it leaves in the kernel — plus the rules sitting in files that loader never reads.

use crate::host::{FileKind, Host};
use crate::load::auditctl::{simulate, LoadError, LoadErrorKind, LoadOutcome, LoadedRule};
use crate::load::augenrules::{self, AUDIT_RULES, RULES_D};
use crate::load::detect::{self, Detection, Loader};
use crate::load::resolve::{Resolver, Step};
use crate::load::{LineText, Origin};
use crate::model::{Accounts, Machine, PathFacts, TargetFacts};
use crate::syntax::{self, Command, LineKind, ParseContext, Span};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How the target loads its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `augenrules --load`: `rules.d/*.rules` merged, then `auditctl -R audit.rules`.
    Augenrules,
    /// `auditctl -R FILE` of a hand-kept file.
    Auditctl(PathBuf),
    /// A loader line runs but provably loads nothing (the reason names it).
    Nothing(String),
}

/// What the target's tree is: a whole OS image (missing paths are missing: the kernel's
/// ENOENT), or a configuration-only tree (just `etc/audit` and units, as kept in a repository
/// or a role), where a path it lacks is unknown and judged as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Has `os-release` or one of the usual binary directories.
    OsImage,
    /// Has neither.
    ConfigOnly,
}

/// The layout of `host`'s tree: an OS image has an `os-release` (`/etc` or `/usr/lib`) or
/// one of `/bin`, `/sbin`, `/usr/bin`, `/usr/sbin`.
pub fn layout(host: &dyn Host) -> Layout {
    let os = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .any(|p| host.exists(Path::new(p)))
        || ["/bin", "/sbin", "/usr/bin", "/usr/sbin"].iter().any(|p| {
            host.stat(Path::new(p))
                .is_ok_and(|m| m.kind == FileKind::Dir)
        });
    if os {
        Layout::OsImage
    } else {
        Layout::ConfigOnly
    }
}

/// Whether auditing is on once the boot-time load is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boot {
    /// The rules are loaded and auditing is enabled.
    Enabled,
    /// Auditing is left disabled: by this `-e 0` (the last `-e` of the load), or (`None`)
    /// because nothing enables it (the daemon starts with `-s nochange`, no daemon runs).
    Disabled(Option<Origin>),
    /// Nothing is loaded (see [`Mode::Nothing`]).
    NothingLoaded(String),
}

/// The target's configuration, loaded as its boot would load it.
#[derive(Debug, Clone)]
pub struct Configuration {
    /// The loader.
    pub mode: Mode,
    /// What decided the loader (unit file and line).
    pub mode_reason: String,
    /// The bytes `auditctl -R` reads (shared with the [`LineText`]s of the outcome). Their
    /// parse is not kept: [`simulate`] consumes it; [`syntax::parse_file`] gives it again.
    pub text: Arc<[u8]>,
    /// The lines of `text` with commands other than adding or deleting a rule, in order.
    pub setting_lines: Vec<SettingLine>,
    /// The first line of `text` that adds a rule (whether or not it loaded).
    pub first_rule_line: Option<u32>,
    /// Where each line of `text` came from (for augenrules: the `rules.d` file and line).
    pub origins: Vec<Origin>,
    /// What the load leaves in the kernel.
    pub outcome: LoadOutcome,
    /// Rules in files this loader never reads (`rules.d/x.conf`, `audit.rules` in augenrules
    /// mode, `rules.d` in auditctl mode).
    pub unread: Vec<LoadedRule>,
    /// Problems reading the configuration that did not stop it (unreadable files, ...).
    pub warnings: Vec<String>,
    /// Whether the daemon enables auditing when it starts (see [`Detection`]).
    pub daemon_enables: Option<bool>,
    /// Whether the tree is an OS image.
    pub layout: Layout,
}

/// A line with commands other than a rule to add or delete (`-D`, `-e`, `-f`, `-b`, `-c`,
/// ...): what `fix` needs of the parse, kept small because the rules themselves moved into
/// the outcome.
#[derive(Debug, Clone)]
pub struct SettingLine {
    /// Where the line is in `text`.
    pub span: Span,
    /// Byte range of the line in `text` (without its `\n`).
    pub range: std::ops::Range<usize>,
    /// The line's commands, in order, without its rule.
    pub commands: Vec<Command>,
}

impl Configuration {
    /// How the loader is named in messages.
    pub fn loader_name(&self) -> String {
        match &self.mode {
            Mode::Augenrules => "augenrules".to_string(),
            Mode::Auditctl(f) => format!("auditctl -R {}", f.display()),
            Mode::Nothing(_) => "the boot configuration (which loads nothing)".to_string(),
        }
    }

    /// Whether auditing is on after the load: the last `-e` decides (augenrules moves it to
    /// the end); without one, what the daemon does when it starts.
    pub fn boot(&self) -> Boot {
        if let Mode::Nothing(reason) = &self.mode {
            return Boot::NothingLoaded(reason.clone());
        }
        match &self.outcome.enabled {
            Some((0, at)) => Boot::Disabled(Some(at.clone())),
            Some(_) => Boot::Enabled,
            None if self.daemon_enables == Some(false) => Boot::Disabled(None),
            None => Boot::Enabled,
        }
    }
}

/// Why a configuration could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The loader could not be told.
    #[error("cannot tell how this host loads its audit rules: {0}")]
    UnknownLoader(String),
    /// augenrules could not run.
    #[error("augenrules: {0}")]
    Merge(String),
    /// A file the loader reads (as root) that auditguard cannot read (no permission, over the
    /// size cap): judging without it would be judging another configuration.
    #[error("{0}")]
    Unreadable(String),
}

/// Load the target's configuration as its boot would.
pub fn configure(host: &dyn Host, machine: Machine) -> Result<Configuration, ConfigError> {
    // A loader program missing from the tree says "nothing loads" only on a whole image
    // (one with an os-release): a trimmed or synthetic tree may simply not carry binaries.
    let full_image = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .any(|p| host.exists(Path::new(p)));
    let detection = detect::detect(host, full_image);
    let reason = describe(&detection);
    let mode = match &detection.loader {
        // augenrules 3.0.9 without its rules directory prints "No rules directory" and still
        // loads the audit.rules that is there (`try_load` before `exit 1`).
        Loader::Augenrules
            if host
                .stat(Path::new(RULES_D))
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
                && host
                    .stat(Path::new(AUDIT_RULES))
                    .is_ok_and(|m| m.kind == FileKind::File) =>
        {
            let mut config = load_as(host, machine, Mode::Auditctl(AUDIT_RULES.into()), reason)?;
            config.warnings.push(format!(
                "{RULES_D} is missing: augenrules merges nothing and loads the existing \
                 {AUDIT_RULES} as it is"
            ));
            config.daemon_enables = detection.daemon_enables;
            return Ok(config);
        }
        // `augenrules --check --load` loads only when audit.rules already equals the merge;
        // otherwise it says "Rules have changed" and loads (and writes) nothing.
        Loader::Augenrules if detection.augenrules_check => {
            let merged = augenrules::merge(host, Path::new(RULES_D))
                .map(|m| m.into_text())
                .unwrap_or_default();
            let current = host.read(Path::new(AUDIT_RULES)).unwrap_or_default();
            if merged == current {
                Mode::Augenrules
            } else {
                Mode::Nothing(format!(
                    "{reason} (augenrules --check loads only when {AUDIT_RULES} already equals \
                     the merge of {RULES_D}; it differs, so nothing is loaded)"
                ))
            }
        }
        Loader::Augenrules => Mode::Augenrules,
        Loader::Auditctl { file } => Mode::Auditctl(file.clone()),
        Loader::Nothing { reason } => Mode::Nothing(reason.clone()),
        Loader::Unknown { reason } => return Err(ConfigError::UnknownLoader(reason.clone())),
    };
    let mut config = load_as(host, machine, mode, reason)?;
    config.daemon_enables = detection.daemon_enables;
    Ok(config)
}

/// Load the target's configuration with a given loader, skipping detection: `rules --file F`
/// asks what `auditctl -R F` would leave in this target's kernel.
pub fn load_as(
    host: &dyn Host,
    machine: Machine,
    mode: Mode,
    reason: String,
) -> Result<Configuration, ConfigError> {
    let mut warnings = Vec::new();
    let accounts = read_accounts(host, &mut warnings);
    let ctx = ParseContext {
        machine,
        accounts: &accounts,
    };
    let layout = layout(host);
    let mut resolver = Resolver::new(host);
    resolver.missing_is_unknown(layout == Layout::ConfigOnly);
    // (the joined line, the file whose first line it swallows)
    let mut joins: Vec<(Origin, PathBuf)> = Vec::new();
    if layout == Layout::ConfigOnly {
        warnings.push(CONFIG_ONLY_NOTE.to_string());
    }
    let (text, origins, mut pre_errors) = match &mode {
        Mode::Augenrules => {
            let merged = augenrules::merge(host, Path::new(RULES_D))
                .map_err(|e| ConfigError::Merge(e.to_string()))?;
            warnings.extend(merged.diagnostics().iter().map(|d| d.to_string()));
            joins = merged
                .diagnostics()
                .iter()
                .filter_map(|d| match &d.kind {
                    augenrules::DiagnosticKind::JoinsNextFile { next } => Some((
                        Origin {
                            file: Arc::from(d.path.as_path()),
                            line: d.line.unwrap_or(0) as u32,
                        },
                        next.clone(),
                    )),
                    _ => None,
                })
                .collect();
            // One shared path per file read, and one for the lines augenrules writes itself.
            let files: Vec<Arc<Path>> = merged
                .sources()
                .iter()
                .map(|p| Arc::from(p.as_path()))
                .collect();
            let audit_rules: Arc<Path> = Arc::from(Path::new(AUDIT_RULES));
            let origins = merged
                .lines()
                .iter()
                .enumerate()
                .map(|(i, l)| match l.origin {
                    Some(o) => Origin {
                        file: Arc::clone(&files[o.source]),
                        line: o.line as u32,
                    },
                    None => Origin {
                        file: Arc::clone(&audit_rules),
                        line: i as u32 + 1,
                    },
                })
                .collect();
            (merged.into_text(), origins, Vec::new())
        }
        Mode::Nothing(_) => (Vec::new(), Vec::new(), Vec::new()),
        Mode::Auditctl(file) => {
            let shared: Arc<Path> = Arc::from(file.as_path());
            match read_rules_file(host, file)? {
                Ok(text) => {
                    let n = syntax::lex::LineMap::line_starts(&text).len() as u32;
                    let origins = (1..=n)
                        .map(|line| Origin {
                            file: Arc::clone(&shared),
                            line,
                        })
                        .collect();
                    (text, origins, Vec::new())
                }
                Err(message) => (
                    Vec::new(),
                    Vec::new(),
                    vec![LoadError {
                        origin: Origin {
                            file: shared,
                            line: 0,
                        },
                        kind: LoadErrorKind::RulesFile(message),
                        text: LineText::default(),
                        rule: None,
                    }],
                ),
            }
        }
    };
    let text: Arc<[u8]> = text.into();
    let audit_rules: Arc<Path> = Arc::from(Path::new(AUDIT_RULES));
    let origin_of = |span: Span| {
        origins
            .get(span.line.saturating_sub(1) as usize)
            .cloned()
            .unwrap_or_else(|| Origin {
                file: Arc::clone(&audit_rules),
                line: span.line,
            })
    };
    let mut setting_lines = Vec::new();
    let mut first_rule_line = None;
    let lines = syntax::parse_lines(&text, &ctx)
        .inspect(|l| {
            let LineKind::Commands(cmds) = &l.kind else {
                return;
            };
            if cmds.iter().any(|c| c.adds_rule()) {
                first_rule_line.get_or_insert(l.span.line);
            }
            if cmds.iter().any(|c| !c.is_rule()) {
                setting_lines.push(SettingLine {
                    span: l.span,
                    range: l.range.clone(),
                    commands: cmds.iter().filter(|c| !c.is_rule()).cloned().collect(),
                });
            }
        })
        .filter_map(|l| resolver.resolve_line(l));
    let mut outcome = simulate(lines, &text, &origin_of);
    outcome.swallowed = swallowed(host, &ctx, &mut resolver, &joins);
    if !pre_errors.is_empty() {
        outcome.exit_status = 1;
        pre_errors.append(&mut outcome.errors);
        outcome.errors = pre_errors;
    }
    let unread = unread_rules(host, &mode, &ctx, &mut resolver, &mut warnings);
    Ok(Configuration {
        mode,
        mode_reason: reason,
        text,
        setting_lines,
        first_rule_line,
        origins,
        outcome,
        unread,
        warnings,
        daemon_enables: None,
        layout,
    })
}

/// What is said once on a configuration-only tree.
pub const CONFIG_ONLY_NOTE: &str = "this tree is not an OS image (no os-release, no /bin, /sbin, \
    /usr/bin or /usr/sbin): paths it lacks are judged as written (a plain file in an existing \
    directory); on a host where /usr/sbin/insmod, rmmod and modprobe are symlinks to kmod, \
    watches on those names record nothing";

/// The rules on the first line of each file augenrules glued to the line before it: parsed
/// from that file alone (what its author wrote), each with the joined line.
fn swallowed(
    host: &dyn Host,
    ctx: &ParseContext,
    resolver: &mut Resolver,
    joins: &[(Origin, PathBuf)],
) -> Vec<(LoadedRule, Origin)> {
    let mut out = Vec::new();
    for (joined, next) in joins {
        let Ok(text) = host.read(next) else { continue };
        let end = text.iter().position(|b| *b == b'\n').unwrap_or(text.len());
        let first: Arc<[u8]> = Arc::from(&text[..end]);
        let file: Arc<Path> = Arc::from(next.as_path());
        for line in syntax::parse_lines(&first, ctx).filter_map(|l| resolver.resolve_line(l)) {
            for step in line.steps.into_iter().flatten() {
                if let Step::Add(r) = step {
                    let rule = LoadedRule {
                        prepended: r.rule.prepend,
                        rule: r.rule,
                        origin: Origin {
                            file: Arc::clone(&file),
                            line: 1,
                        },
                        text: LineText::new(&first, line.range.clone()),
                        watch: r.watch,
                        tree_link: r.tree_link,
                    };
                    out.push((rule, joined.clone()));
                }
            }
        }
    }
    out
}

/// What decided the loader, as `file:line: text` items.
fn describe(d: &Detection) -> String {
    let mut parts: Vec<String> = d
        .evidence
        .iter()
        .map(|e| match e.line {
            Some(l) => format!("{}:{l}: {}", e.path.display(), e.text),
            None => format!("{}: {}", e.path.display(), e.text),
        })
        .collect();
    parts.extend(d.notes.iter().cloned());
    parts.join("; ")
}

/// Lowest uid of a real user: `UID_MIN` of the target's `/etc/login.defs`, else 1000.
pub fn uid_min(host: &dyn Host) -> u32 {
    read_uid_min(host, &mut Vec::new())
}

/// [`uid_min`], naming in `warnings` a `login.defs` that exists but cannot be read (a FIFO,
/// a device, no permission, over the size cap).
fn read_uid_min(host: &dyn Host, warnings: &mut Vec<String>) -> u32 {
    read_or_warn(host, "/etc/login.defs", "UID_MIN taken as 1000", warnings)
        .and_then(|text| {
            text.split(|b| *b == b'\n').find_map(|line| {
                let line = std::str::from_utf8(line).ok()?;
                let mut words = line.split_whitespace();
                (words.next()? == "UID_MIN").then_some(())?;
                words.next()?.parse().ok()
            })
        })
        .unwrap_or(1000)
}

/// The facts the evaluator needs about the target for `controls`: UID_MIN and, for every path
/// a control names, its watched (parent-resolved) and executed (fully resolved) forms.
pub fn facts(host: &dyn Host, controls: &[crate::control::Control]) -> TargetFacts {
    let mut resolver = Resolver::new(host);
    let image = layout(host) == Layout::OsImage;
    let mut paths = std::collections::BTreeMap::new();
    use crate::control::RequirementKind as K;
    let reqs = || controls.iter().flat_map(|c| &c.requirements);
    for p in reqs()
        .filter(|r| matches!(r.kind, K::Exec | K::Watch))
        .flat_map(|r| &r.paths)
    {
        let p = p.as_bytes();
        let named = resolver.walk(p, false);
        let resolved = resolver.walk(p, true);
        paths.insert(
            p.to_vec(),
            PathFacts {
                symlink: named.kind == Some(FileKind::Symlink),
                exists: image.then_some(resolved.kind.is_some()),
                named: named.path,
                resolved: resolved.path,
            },
        );
    }
    let mut facts = TargetFacts {
        uid_min: uid_min(host),
        paths,
        ..TargetFacts::default()
    };
    facts.daemon_confs = daemon_confs(host, controls);
    for r in reqs().filter(|r| r.kind == K::FilePermission) {
        for pattern in &r.paths {
            if facts.files.contains_key(pattern) {
                continue;
            }
            let expanded = expand_placeholders(pattern, &facts);
            let found = matching_files(host, &expanded);
            facts.files.insert(pattern.clone(), found);
        }
    }
    if reqs().any(|r| r.kind == K::FilePermission) {
        let (users, groups) = names(host);
        facts.user_names = users;
        facts.group_names = groups;
    }
    if reqs().any(|r| r.kind == K::BootParameter) {
        facts.boot = crate::load::boot::sources(host);
    }
    if reqs().any(|r| r.kind == K::ExecScan) {
        let (files, gaps) = suid_scan(host);
        facts.suid_files = Some(files);
        facts.suid_scan_gaps = gaps;
    }
    facts
}

/// Directories never scanned: kernel and runtime file systems, not the image's programs.
const SCAN_SKIP: &[&str] = &["/proc", "/sys", "/dev", "/run"];

/// Most entries one scan looks at (a bound on time and memory for a huge or hostile tree).
const SCAN_MAX_ENTRIES: usize = 2_000_000;

/// Most unreadable directories one scan names.
const MAX_GAPS_NAMED: usize = 20;

/// Every setuid or setgid regular file under `/` of the target, as `find / -xdev -type f
/// -perm /6000` over the mounts that allow them: the mount points that the target's
/// `/etc/fstab` (and, on a live host, `/proc/self/mounts`) mount `nosuid` or `noexec` are
/// skipped, and so are the kernel's file systems. Symlinks are not followed. Sorted.
pub fn suid_scan(host: &dyn Host) -> (Vec<Vec<u8>>, Vec<crate::model::ScanGap>) {
    use crate::model::ScanGap;
    let mut skip: Vec<Vec<u8>> = SCAN_SKIP.iter().map(|s| s.as_bytes().to_vec()).collect();
    for table in ["/etc/fstab", "/proc/self/mounts"] {
        let text = host.read(Path::new(table)).unwrap_or_default();
        for line in text.split(|b| *b == b'\n') {
            let fields: Vec<&[u8]> = line
                .split(|b| b.is_ascii_whitespace())
                .filter(|f| !f.is_empty())
                .collect();
            if fields.len() < 4 || fields[0].starts_with(b"#") {
                continue;
            }
            let options = fields[3];
            if options
                .split(|b| *b == b',')
                .any(|o| o == b"nosuid" || o == b"noexec")
            {
                let mut mount = fields[1].to_vec();
                while mount.len() > 1 && mount.ends_with(b"/") {
                    mount.pop();
                }
                skip.push(mount);
            }
        }
    }
    let mut found = Vec::new();
    let mut gaps = Vec::new();
    let mut stack: Vec<Vec<u8>> = vec![b"/".to_vec()];
    let mut seen = 0usize;
    'scan: while let Some(dir) = stack.pop() {
        let entries = match host.read_dir(Path::new(OsStr::from_bytes(&dir))) {
            Ok(entries) => entries,
            Err(e) => {
                // The first few are named; a tree of thousands is still one warning.
                if gaps.len() < MAX_GAPS_NAMED {
                    gaps.push(ScanGap::Unreadable {
                        dir,
                        error: e.to_string(),
                    });
                }
                continue;
            }
        };
        for e in entries {
            seen += 1;
            if seen > SCAN_MAX_ENTRIES {
                gaps.push(ScanGap::Bound { entries: seen - 1 });
                break 'scan;
            }
            let mut path = dir.clone();
            if path != b"/" {
                path.push(b'/');
            }
            path.extend_from_slice(&e.name);
            match e.kind {
                FileKind::Dir if !skip.contains(&path) => stack.push(path),
                FileKind::File
                    if host
                        .lstat(Path::new(OsStr::from_bytes(&path)))
                        .is_ok_and(|m| m.mode & 0o6000 != 0) =>
                {
                    found.push(path);
                }
                _ => {}
            }
        }
    }
    found.sort();
    (found, gaps)
}

/// The daemon configuration file auditd reads.
pub const AUDITD_CONF: &str = "/etc/audit/auditd.conf";

/// Every daemon configuration file `controls` name, read as auditd reads it (auditd.conf is
/// also read for the log file's facts). Only these: `fix` reads them again after each edit.
pub fn daemon_confs(
    host: &dyn Host,
    controls: &[crate::control::Control],
) -> std::collections::BTreeMap<String, Result<Option<crate::load::auditd_conf::DaemonConf>, String>>
{
    use crate::control::RequirementKind as K;
    let reqs = || controls.iter().flat_map(|c| &c.requirements);
    let mut files: Vec<String> = reqs()
        .filter(|r| r.kind == K::DaemonSetting)
        .map(|r| r.file.clone().unwrap_or_else(|| AUDITD_CONF.to_string()))
        .collect();
    if reqs().any(|r| matches!(r.kind, K::DaemonSetting | K::FilePermission)) {
        files.push(AUDITD_CONF.to_string());
    }
    files
        .into_iter()
        .map(|f| {
            let conf = read_daemon_conf(host, Path::new(&f), Repaired::default());
            (f, conf)
        })
        .collect()
}

/// What a plan's file-permission fixes will have made of a daemon configuration file.
#[derive(Debug, Clone, Copy, Default)]
struct Repaired {
    /// Its mode will have no world-write bit.
    mode: bool,
    /// Its owner will be root.
    owner: bool,
}

/// [`daemon_confs`] as `fix` plans with them: a file auditd refuses only for its owner or its
/// world-write bit, when file-permission requirements of `controls` will make it root's and
/// not world-writable (the plan's chmod/chown), is read as auditd will read it afterwards, so
/// its keywords are planned in the same run instead of the next one.
pub fn daemon_confs_as_fixed(
    host: &dyn Host,
    controls: &[crate::control::Control],
) -> std::collections::BTreeMap<String, Result<Option<crate::load::auditd_conf::DaemonConf>, String>>
{
    use crate::control::RequirementKind as K;
    let mut confs = daemon_confs(host, controls);
    for (file, conf) in confs.iter_mut() {
        let fixable = matches!(conf, Ok(Some(c)) if c.refused.as_ref().is_some_and(|r| {
            r.line == 0 && (r.reason == REFUSED_NOT_ROOT || r.reason == REFUSED_WORLD_WRITABLE)
        }));
        if !fixable {
            continue;
        }
        let reqs = || {
            controls
                .iter()
                .flat_map(|c| &c.requirements)
                .filter(|r| r.kind == K::FilePermission && r.paths.iter().any(|p| p == file))
        };
        let repaired = Repaired {
            mode: reqs().any(|r| {
                r.max_mode
                    .as_deref()
                    .and_then(|m| u32::from_str_radix(m, 8).ok())
                    .is_some_and(|m| m & 0o002 == 0)
            }),
            owner: reqs().any(|r| r.owners.iter().any(|o| o == "root" || o == "0")),
        };
        *conf = read_daemon_conf(host, Path::new(file), repaired);
    }
    confs
}

/// auditd's refusal of a configuration file not owned by root.
const REFUSED_NOT_ROOT: &str = "it is not owned by root";
/// auditd's refusal of a world-writable configuration file.
const REFUSED_WORLD_WRITABLE: &str = "it is world writable";

/// A daemon configuration file as auditd 3.0.9 opens it (`load_config`): `O_NOFOLLOW`, then
/// refused unless a regular file owned by root and not world-writable; a missing file means
/// every default. `Ok(None)`: missing; `Err`: unreadable for us.
fn read_daemon_conf(
    host: &dyn Host,
    path: &Path,
    repaired: Repaired,
) -> Result<Option<crate::load::auditd_conf::DaemonConf>, String> {
    use crate::load::auditd_conf::{DaemonConf, Refusal};
    let refused = |reason: &str| {
        Ok(Some(DaemonConf {
            refused: Some(Refusal {
                line: 0,
                reason: reason.to_string(),
            }),
            ..DaemonConf::default()
        }))
    };
    match host.lstat(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
        Ok(m) if m.kind == FileKind::Symlink => {
            return refused("it is a symlink, which auditd does not follow (O_NOFOLLOW)")
        }
        Ok(m) if m.kind != FileKind::File => return refused("it is not a regular file"),
        Ok(m) if m.uid != 0 && !repaired.owner => return refused(REFUSED_NOT_ROOT),
        Ok(m) if m.mode & 0o002 != 0 && !repaired.mode => return refused(REFUSED_WORLD_WRITABLE),
        Ok(_) => {}
    }
    match host.read(path) {
        Ok(bytes) => {
            let mut conf = crate::load::auditd_conf::parse(&bytes);
            // A tree that is not an OS image (a configuration repository) cannot say whether
            // the directories, programs and groups exist on the host it configures.
            let image = layout(host) == Layout::OsImage;
            if let Some(r) = on_target_refusal(host, &conf).filter(|_| image) {
                conf.refused = Some(r);
            }
            Ok(Some(conf))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The checks auditd 3.0.9's keyword parsers make against the system (`src/auditd-config.c`),
/// made on the target: `log_group` names a group of its `/etc/group` (or is numeric),
/// `log_file`'s directory is at least 4 bytes long and exists and an existing log file is a
/// regular file owned by root, and an `exec` action's program (`check_exe_name`) is an
/// absolute path to a regular file owned by root with mode 0750, 0755, 0555 or 0550. The
/// first line (in file order) that fails is where auditd stops; `None` when every line
/// passes (`root` and numeric groups are always known). Only on an OS image: a configuration
/// tree cannot tell. Cost: one stat per such line, one read of the group file.
fn on_target_refusal(
    host: &dyn Host,
    conf: &crate::load::auditd_conf::DaemonConf,
) -> Option<crate::load::auditd_conf::Refusal> {
    use crate::load::auditd_conf::Refusal;
    let mut groups: Option<Vec<String>> = None;
    for e in &conf.entries {
        if conf
            .refused
            .as_ref()
            .is_some_and(|r| r.line != 0 && r.line < e.line)
        {
            break;
        }
        let why = match e.key {
            "log_group"
                if e.value != "root" && !e.value.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                let known = groups.get_or_insert_with(|| names(host).1.into_values().collect());
                (!known.contains(&e.value)).then(|| {
                    format!(
                        "log_group {} is non-numeric and unknown to the target's /etc/group",
                        e.value
                    )
                })
            }
            "log_file" => {
                let dir = Path::new(&e.value).parent().map(|d| d.as_os_str().len());
                let dir_path = Path::new(&e.value).parent().unwrap_or(Path::new("/"));
                match (dir, host.stat(dir_path), host.stat(Path::new(&e.value))) {
                    (None | Some(0..4), _, _) => Some(format!(
                        "the directory of log_file {} is too short",
                        e.value
                    )),
                    (_, Err(err), _) => Some(format!(
                        "cannot open the directory of log_file {} ({err})",
                        e.value
                    )),
                    (_, Ok(d), _) if d.kind != FileKind::Dir => Some(format!(
                        "the directory of log_file {} is not a directory",
                        e.value
                    )),
                    (_, _, Ok(f)) if f.kind != FileKind::File => {
                        Some(format!("log_file {} is not a regular file", e.value))
                    }
                    (_, _, Ok(f)) if f.uid != 0 => {
                        Some(format!("log_file {} is not owned by root", e.value))
                    }
                    _ => None,
                }
            }
            _ if e.value.eq_ignore_ascii_case("exec") => {
                let program = e.option.as_deref().unwrap_or_default();
                match host.stat(Path::new(program)) {
                    _ if !program.starts_with('/') => Some(format!(
                        "{}: exec needs an absolute path, not {program}",
                        e.key
                    )),
                    Err(err) => Some(format!("{}: cannot stat {program} ({err})", e.key)),
                    Ok(m) if m.kind != FileKind::File => {
                        Some(format!("{}: {program} is not a regular file", e.key))
                    }
                    Ok(m) if m.uid != 0 => {
                        Some(format!("{}: {program} is not owned by root", e.key))
                    }
                    Ok(m) if ![0o750, 0o755, 0o555, 0o550].contains(&(m.mode & 0o777)) => {
                        Some(format!(
                            "{}: {program} has mode {:04o}; it should be 0750, 0755, 0555 or 0550",
                            e.key,
                            m.mode & 0o777
                        ))
                    }
                    Ok(_) => None,
                }
            }
            _ => None,
        };
        if let Some(reason) = why {
            return Some(Refusal {
                line: e.line,
                reason,
            });
        }
    }
    None
}

/// `{auditd.log_file}` and `{auditd.log_dir}` replaced by what auditd.conf says (or auditd's
/// default).
fn expand_placeholders(pattern: &str, facts: &TargetFacts) -> String {
    let log_file = facts
        .daemon_value(AUDITD_CONF, "log_file")
        .map(|(v, _)| v)
        .unwrap_or_else(|| "/var/log/audit/audit.log".to_string());
    let log_dir = Path::new(&log_file)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/var/log/audit".to_string());
    pattern
        .replace("{auditd.log_file}", &log_file)
        .replace("{auditd.log_dir}", &log_dir)
}

/// The files a pattern names on the target: the path itself, or, when its last component
/// holds one `*`, every entry of the directory that matches (prefix and suffix). Not
/// followed through a final symlink (`lstat`), as a permission check must see the file.
fn matching_files(host: &dyn Host, pattern: &str) -> Vec<crate::model::FileFacts> {
    let path = Path::new(pattern);
    let fact = |p: &Path| {
        host.lstat(p).ok().map(|m| crate::model::FileFacts {
            path: p.as_os_str().as_bytes().to_vec(),
            mode: m.mode,
            uid: m.uid,
            gid: m.gid,
            dir: m.kind == FileKind::Dir,
            symlink: m.kind == FileKind::Symlink,
            special: m.kind == FileKind::Other,
            nlink: m.nlink,
            real: crate::host::resolve_target(host, p.as_os_str().as_bytes(), false),
        })
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((prefix, suffix)) = name.split_once('*') else {
        return fact(path).into_iter().collect();
    };
    let dir = path.parent().unwrap_or(Path::new("/"));
    let mut names: Vec<Vec<u8>> = host
        .read_dir(dir)
        .map(|entries| entries.into_iter().map(|e| e.name).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|n| {
            n.len() >= prefix.len() + suffix.len()
                && n.starts_with(prefix.as_bytes())
                && n.ends_with(suffix.as_bytes())
        })
        .filter_map(|n| fact(&dir.join(std::ffi::OsStr::from_bytes(&n))))
        // A pattern names files (`find -type f`): directories beside them are not matched.
        .filter(|f| !f.dir)
        .collect()
}

/// uid → name and gid → name from the target's passwd and group (the first line of an id
/// wins).
fn names(
    host: &dyn Host,
) -> (
    std::collections::BTreeMap<u32, String>,
    std::collections::BTreeMap<u32, String>,
) {
    let table = |file: &str| {
        let mut out = std::collections::BTreeMap::new();
        for line in host
            .read(Path::new(file))
            .unwrap_or_default()
            .split(|b| *b == b'\n')
        {
            let fields: Vec<&[u8]> = line.split(|b| *b == b':').collect();
            if let (Some(name), Some(id)) = (fields.first(), fields.get(2)) {
                if let Some(id) = std::str::from_utf8(id).ok().and_then(|i| i.parse().ok()) {
                    out.entry(id)
                        .or_insert_with(|| String::from_utf8_lossy(name).into_owned());
                }
            }
        }
        out
    };
    (table("/etc/passwd"), table("/etc/group"))
}

/// Resolve the watches of rules that did not come through the load (rules read from a
/// kernel), as the kernel resolved them on this target.
pub fn resolve_watches(host: &dyn Host, rules: &mut [LoadedRule]) {
    let mut resolver = Resolver::new(host);
    for r in rules {
        r.watch = resolver.watched_inode(&r.rule);
        r.tree_link = resolver.tree_link(&r.rule);
    }
}

/// The target's user and group names (missing files give empty tables: every name is then
/// unknown, as auditctl finds it).
pub fn accounts(host: &dyn Host) -> Accounts {
    read_accounts(host, &mut Vec::new())
}

/// [`accounts`], naming in `warnings` a `passwd` or `group` that exists but cannot be read.
fn read_accounts(host: &dyn Host, warnings: &mut Vec<String>) -> Accounts {
    let why = "names in rules (-F uid=NAME, gid=NAME, ...) are unknown";
    let passwd = read_or_warn(host, "/etc/passwd", why, warnings);
    let group = read_or_warn(host, "/etc/group", why, warnings);
    // login.defs is read for the facts; its refusal is said here, with the other files.
    read_uid_min(host, warnings);
    // A configuration-only tree carries no account databases: its names are for the host it
    // lands on, so they resolve (as some user) instead of stopping the load.
    if passwd.is_none() && group.is_none() && layout(host) == Layout::ConfigOnly {
        warnings.push(
            "no /etc/passwd or /etc/group in this tree: user and group names in rules are \
             taken as some user (uid 65534), not refused"
                .to_string(),
        );
        return Accounts::unknown();
    }
    Accounts::from_files(&passwd.unwrap_or_default(), &group.unwrap_or_default())
}

/// A target file's bytes; `None` when it is missing, or (named in `warnings` with what
/// follows from it) when it exists but cannot be read.
fn read_or_warn(
    host: &dyn Host,
    path: &str,
    consequence: &str,
    warnings: &mut Vec<String>,
) -> Option<Vec<u8>> {
    match host.read(Path::new(path)) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            warnings.push(format!("cannot read {path}: {e}; {consequence}"));
            None
        }
    }
}

/// `auditctl -R`'s own checks on the file (3.0.9 `fileopt`): exists, owned by root, not
/// world-writable, a regular file. Symlinks are followed (it uses open + fstat). The inner
/// error is auditctl's refusal (a load error); the outer one is what only auditguard cannot
/// read (auditctl runs as root; auditguard may not; the size cap): [`ConfigError::Unreadable`].
fn read_rules_file(host: &dyn Host, file: &Path) -> Result<Result<Vec<u8>, String>, ConfigError> {
    let name = file.display();
    let ours = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::InvalidData
        )
    };
    let unreadable = |e: std::io::Error| {
        ConfigError::Unreadable(format!(
            "cannot read {name}, which auditctl -R loads at boot: {e}"
        ))
    };
    let meta = match host.stat(file) {
        Ok(meta) => meta,
        Err(e) if ours(&e) => return Err(unreadable(e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Err(format!("audit rules file {name} doesn't exist")))
        }
        Err(e) => return Ok(Err(format!("Error opening {name} ({e})"))),
    };
    if meta.uid != 0 {
        return Ok(Err(format!("Error - {name} isn't owned by root")));
    }
    if meta.mode & 0o002 != 0 {
        return Ok(Err(format!("Error - {name} is world writable")));
    }
    if meta.kind != FileKind::File {
        return Ok(Err(format!("Error - {name} is not a regular file")));
    }
    match host.read(file) {
        Ok(text) => Ok(Ok(text)),
        Err(e) if ours(&e) => Err(unreadable(e)),
        Err(e) => Ok(Err(format!("Error opening {name} ({e})"))),
    }
}

/// The marker in the names of `auditguard fix`'s temporary files (`.NAME.auditguard-XXXXXXXX`,
/// written by `fix::apply`).
pub const FIX_TEMP_MARK: &str = ".auditguard-";

/// Whether `name` is one of `fix`'s temporary files: a dot name ending in [`FIX_TEMP_MARK`] and
/// eight hex digits. A killed `fix` can leave one behind; the loader never reads it (a dot
/// name not ending in `.rules`), so it is no evidence either, and the next `fix` removes it.
pub fn is_fix_temp_name(name: &[u8]) -> bool {
    let mark = FIX_TEMP_MARK.as_bytes();
    name.len() > 1 + mark.len() + 8
        && name.starts_with(b".")
        && name[name.len() - 8..].iter().all(u8::is_ascii_hexdigit)
        && name[..name.len() - 8].ends_with(mark)
}

/// How deep `rules.d` subdirectories are searched for stray rule files.
const MAX_UNREAD_DEPTH: usize = 4;

/// Files under `dir` the loader does not read: in augenrules mode, top-level names not ending
/// `.rules` or starting with a dot, and everything in subdirectories; in auditctl mode, all.
fn collect_unread(host: &dyn Host, dir: &Path, mode: &Mode, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = host.read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.into_iter().collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    for e in entries {
        let path = dir.join(OsStr::from_bytes(&e.name));
        if e.kind == FileKind::Dir {
            if depth < MAX_UNREAD_DEPTH {
                collect_unread(host, &path, mode, depth + 1, out);
            }
            continue;
        }
        if is_fix_temp_name(&e.name) {
            continue;
        }
        let read_by_augenrules =
            depth == 0 && e.name.ends_with(b".rules") && !e.name.starts_with(b".");
        if !matches!(mode, Mode::Augenrules) || !read_by_augenrules {
            out.push(path);
        }
    }
}

/// Rules in files the loader does not read, parsed on their own: evidence for "your rule is in
/// a file that is never loaded".
fn unread_rules(
    host: &dyn Host,
    mode: &Mode,
    ctx: &ParseContext,
    resolver: &mut Resolver,
    warnings: &mut Vec<String>,
) -> Vec<LoadedRule> {
    let mut files: Vec<PathBuf> = Vec::new();
    collect_unread(host, Path::new(RULES_D), mode, 0, &mut files);
    match mode {
        Mode::Augenrules => {
            // augenrules overwrites audit.rules; a hand edit there never survives a boot.
            files.push(PathBuf::from(AUDIT_RULES));
        }
        Mode::Auditctl(f) if f != Path::new(AUDIT_RULES) => files.push(PathBuf::from(AUDIT_RULES)),
        Mode::Auditctl(_) => {}
        Mode::Nothing(_) => files.push(PathBuf::from(AUDIT_RULES)),
    }
    let mut out = Vec::new();
    for file in files {
        // Only regular files: reading a FIFO would block, a device would never end.
        if !host.stat(&file).is_ok_and(|m| m.kind == FileKind::File) {
            continue;
        }
        let text: Arc<[u8]> = match host.read(&file) {
            Ok(t) => t.into(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                warnings.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        let file: Arc<Path> = file.into();
        for line in syntax::parse_lines(&text, ctx).filter_map(|l| resolver.resolve_line(l)) {
            for step in line.steps.into_iter().flatten() {
                if let Step::Add(r) = step {
                    out.push(LoadedRule {
                        prepended: r.rule.prepend,
                        rule: r.rule,
                        origin: Origin {
                            file: Arc::clone(&file),
                            line: line.span.line,
                        },
                        text: LineText::new(&text, line.range.clone()),
                        watch: r.watch,
                        tree_link: r.tree_link,
                    });
                }
            }
        }
    }
    out
}
