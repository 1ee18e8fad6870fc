//! Compliance controls as data, and their evaluation against a kernel rule list.
//!
//! A control ([`Control`]) is a few requirements, each naming an event class: "these
//! syscalls, on every ABI of the target, by a user" or "executions of these paths, by a
//! user". [`evaluate`] walks the (simulated or real) kernel list the way the kernel does —
//! first match wins — and says for every event whether it comes out, with which key, or why
//! not, as data ([`finding`]: causes citing rules); `report/` words it. Pure: the target's
//! facts and the kernel's state come in as data. Controls are TOML files embedded at build time
//! (`control/catalogue/*.toml`), so adding one needs no code.

pub mod drift;
pub mod evaluate;
pub mod event;
pub mod finding;
pub mod kernel;
pub mod predicate;
pub mod profile;

use serde::Deserialize;
use std::path::Path;

/// Embedded control definitions: (file name, TOML text).
const CATALOGUE: &[(&str, &str)] = &[
    (
        "kernel-module-loading.toml",
        include_str!("catalogue/kernel-module-loading.toml"),
    ),
    (
        "controls/stig-audit-rules.toml",
        include_str!("catalogue/controls/stig-audit-rules.toml"),
    ),
    (
        "controls/privileged-commands.toml",
        include_str!("catalogue/controls/privileged-commands.toml"),
    ),
    (
        "controls/audit-settings.toml",
        include_str!("catalogue/controls/audit-settings.toml"),
    ),
    (
        "controls/cis-audit-rules.toml",
        include_str!("catalogue/controls/cis-audit-rules.toml"),
    ),
    (
        "controls/audit-daemon.toml",
        include_str!("catalogue/controls/audit-daemon.toml"),
    ),
    (
        "controls/audit-boot.toml",
        include_str!("catalogue/controls/audit-boot.toml"),
    ),
    (
        "controls/audit-files.toml",
        include_str!("catalogue/controls/audit-files.toml"),
    ),
    (
        "controls/stig-audit-daemon.toml",
        include_str!("catalogue/controls/stig-audit-daemon.toml"),
    ),
    (
        "controls/cac-audit-rules.toml",
        include_str!("catalogue/controls/cac-audit-rules.toml"),
    ),
];

/// The control `check` evaluates when none is named.
pub const DEFAULT_CONTROL: &str = "kernel-module-loading";

/// A compliance control.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Schema version of the file (1 when absent: the seed file's shape; 2 adds `refs`,
    /// `severity` and the requirement dimensions).
    #[serde(default)]
    pub schema: Option<u32>,
    /// Stable identifier (`kernel-module-loading`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Why the control matters.
    #[serde(default)]
    pub rationale: String,
    /// Severity (`low`, `medium`, `high`); a profile item may override it.
    #[serde(default)]
    pub severity: Option<String>,
    /// Benchmark references, as free text.
    #[serde(default)]
    pub references: Vec<String>,
    /// Invariant references: NIST 800-53 controls and ComplianceAsCode rule ids.
    #[serde(default)]
    pub refs: Refs,
    /// What must be audited.
    #[serde(alias = "requirement")]
    pub requirements: Vec<Requirement>,
    /// How `fix` writes missing rules.
    #[serde(default)]
    pub remediation: Remediation,
    /// The profile item this control stands for, when it was built from a profile.
    #[serde(skip)]
    pub item: Option<profile::ItemInfo>,
}

/// A control's invariant references.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Refs {
    /// NIST SP 800-53 controls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nist: Vec<String>,
    /// ComplianceAsCode rule ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cac: Vec<String>,
}

/// One thing a control demands.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable identifier within the control.
    pub id: String,
    /// One-line title.
    #[serde(default)]
    pub title: String,
    /// The event class.
    pub kind: RequirementKind,
    /// For `syscall`: syscalls that must be audited on every ABI.
    #[serde(default)]
    pub syscalls: Vec<String>,
    /// For `syscall`: syscalls whose absence is reported as advice only.
    #[serde(default)]
    pub advice_syscalls: Vec<String>,
    /// For `exec`: paths whose execution must be audited; for `watch`: files (or, with
    /// `tree`, directories) whose changes must be audited.
    #[serde(default)]
    pub paths: Vec<String>,
    /// For `exec`: the files those paths are symlinks to on common layouts (kmod), watched
    /// too by `fix` where the target's layout cannot be seen (a configuration-only tree).
    #[serde(default)]
    pub link_targets: Vec<String>,
    /// Which ABIs the events are made through (default: every ABI of the target).
    #[serde(default)]
    pub abis: Abis,
    /// Whose actions (default: `users`, login uid ≥ UID_MIN and set; watches: `everyone`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub who: Vec<Who>,
    /// For `syscall`: which outcomes (default: any). Each listed outcome is an event class.
    #[serde(default, deserialize_with = "one_or_many")]
    pub exit: Vec<Outcome>,
    /// For `syscall`: argument constraints that select the events (`a0=0`, `a1&0100`).
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    /// For `watch`: the access classes that must be recorded, as `-p` spells them (`wa`).
    #[serde(default)]
    pub access: Option<String>,
    /// For `watch`: the path is a directory tree (every file below it), not one file.
    #[serde(default)]
    pub tree: bool,
    /// For `control`: the loader setting.
    #[serde(default)]
    pub setting: Option<Setting>,
    /// For `control`: the value the setting must end with; for `boot-parameter`: the value
    /// the argument must have.
    #[serde(default)]
    pub equals: Option<u32>,
    /// For `daemon-setting`: the configuration file (default `/etc/audit/auditd.conf`).
    #[serde(default)]
    pub file: Option<String>,
    /// For `daemon-setting`: the keyword.
    #[serde(default)]
    pub key: Option<String>,
    /// For `daemon-setting`: the values accepted (compared without regard to case, as auditd
    /// does).
    #[serde(default)]
    pub allowed: Vec<String>,
    /// For `daemon-setting` and `boot-parameter`: the lowest number accepted.
    #[serde(default)]
    pub min: Option<u64>,
    /// For `daemon-setting`: the highest number accepted.
    #[serde(default)]
    pub max: Option<u64>,
    /// For `daemon-setting`: the number must be written as a percentage (`25%`).
    #[serde(default)]
    pub percent: bool,
    /// For `daemon-setting`: the value `fix` writes (default: the first accepted value, or
    /// the minimum).
    #[serde(default)]
    pub fix_value: Option<String>,
    /// For `boot-parameter`: the kernel argument (`audit`, `audit_backlog_limit`).
    #[serde(default)]
    pub arg: Option<String>,
    /// For `file-permission`: the most permissive mode allowed (octal, `"0640"`).
    #[serde(default)]
    pub max_mode: Option<String>,
    /// For `file-permission`: the ceiling instead of `max_mode` when auditd.conf's
    /// `log_group` is not root (the STIGs: log files 0600, or 0640 readable by that group).
    #[serde(default)]
    pub max_mode_with_log_group: Option<String>,
    /// For `file-permission`: the owners allowed (user names; `{auditd.log_group}` and such
    /// are not expanded here: owners are users).
    #[serde(default)]
    pub owners: Vec<String>,
    /// For `file-permission`: the groups allowed (group names, or `{auditd.log_group}`).
    #[serde(default)]
    pub groups: Vec<String>,
}

impl Requirement {
    /// The `who` classes, with the kind's default when none is given.
    pub fn who(&self) -> Vec<Who> {
        match (self.who.is_empty(), self.kind) {
            (false, _) => self.who.clone(),
            (true, RequirementKind::Watch) => vec![Who::Everyone],
            (true, _) => vec![Who::Users],
        }
    }

    /// The outcome classes, `any` when none is given.
    pub fn outcomes(&self) -> Vec<Outcome> {
        if self.exit.is_empty() {
            vec![Outcome::Any]
        } else {
            self.exit.clone()
        }
    }

    /// The access classes of a watch (`w`, `a`), `wa` when not given.
    pub fn access(&self) -> &str {
        self.access.as_deref().unwrap_or("wa")
    }

    /// Check that the fields fit the kind, naming the first that does not.
    fn validate(&self) -> Result<(), String> {
        let has = |set: bool, name: &str, kinds: &str| {
            if set {
                Err(format!(
                    "requirement {:?}: field `{name}` is only for kind {kinds}",
                    self.id
                ))
            } else {
                Ok(())
            }
        };
        use RequirementKind as K;
        let k = self.kind;
        has(
            k != K::Syscall && !self.syscalls.is_empty(),
            "syscalls",
            "syscall",
        )?;
        has(k != K::Syscall && !self.exit.is_empty(), "exit", "syscall")?;
        has(k != K::Syscall && !self.args.is_empty(), "args", "syscall")?;
        has(
            !matches!(k, K::Exec | K::Watch | K::FilePermission) && !self.paths.is_empty(),
            "paths",
            "exec, watch or file-permission",
        )?;
        has(k != K::Watch && self.access.is_some(), "access", "watch")?;
        has(k != K::Watch && self.tree, "tree", "watch")?;
        has(
            k != K::Control && self.setting.is_some(),
            "setting",
            "control",
        )?;
        has(
            !matches!(k, K::Control | K::BootParameter) && self.equals.is_some(),
            "equals",
            "control or boot-parameter",
        )?;
        has(
            k != K::DaemonSetting
                && (self.file.is_some()
                    || self.key.is_some()
                    || !self.allowed.is_empty()
                    || self.fix_value.is_some()),
            "file/key/allowed/fix_value",
            "daemon-setting",
        )?;
        has(
            !matches!(k, K::DaemonSetting | K::BootParameter)
                && (self.min.is_some() || self.max.is_some()),
            "min/max",
            "daemon-setting or boot-parameter",
        )?;
        has(
            k != K::BootParameter && self.arg.is_some(),
            "arg",
            "boot-parameter",
        )?;
        has(
            k != K::FilePermission
                && (self.max_mode.is_some()
                    || self.max_mode_with_log_group.is_some()
                    || !self.owners.is_empty()
                    || !self.groups.is_empty()),
            "max_mode/max_mode_with_log_group/owners/groups",
            "file-permission",
        )?;
        if self.max_mode_with_log_group.is_some() && self.max_mode.is_none() {
            return Err(format!(
                "requirement {:?}: max_mode_with_log_group needs max_mode",
                self.id
            ));
        }
        for m in self.max_mode.iter().chain(&self.max_mode_with_log_group) {
            if u32::from_str_radix(m, 8).map_or(true, |v| v > 0o7777) {
                return Err(format!(
                    "requirement {:?}: max_mode {m:?} is not an octal mode",
                    self.id
                ));
            }
        }
        if let Some(key) = &self.key {
            if !crate::load::auditd_conf::known(key) && self.file.is_none() {
                return Err(format!(
                    "requirement {:?}: auditd {} has no keyword {key:?}",
                    self.id,
                    crate::load::auditd_conf::AUDITD_VERSION
                ));
            }
        }
        let empty = match k {
            K::Syscall => self.syscalls.is_empty() && self.advice_syscalls.is_empty(),
            K::Exec | K::Watch | K::FilePermission => self.paths.is_empty(),
            K::Control => self.setting.is_none(),
            K::DaemonSetting => self.key.is_none(),
            K::BootParameter => self.arg.is_none(),
            K::ExecScan => false,
        };
        if empty {
            return Err(format!(
                "requirement {:?}: kind {} needs {}",
                self.id,
                k.name(),
                match k {
                    K::Syscall => "`syscalls`",
                    K::Exec | K::Watch | K::FilePermission => "`paths`",
                    K::Control => "`setting`",
                    K::DaemonSetting => "`key`",
                    K::BootParameter => "`arg`",
                    K::ExecScan => "nothing",
                }
            ));
        }
        for n in self.syscalls.iter().chain(&self.advice_syscalls) {
            if !crate::model::syscalls::known_name(n) {
                return Err(format!(
                    "requirement {:?}: unknown syscall {n:?} (on every machine)",
                    self.id
                ));
            }
        }
        if let Some(a) = self.args.iter().find(|a| a.arg > 3) {
            return Err(format!(
                "requirement {:?}: argument a{} does not exist (the kernel filters a0..a3)",
                self.id, a.arg
            ));
        }
        if let (Some(s), Some(v)) = (self.setting, self.equals) {
            let max = match s {
                Setting::Enabled | Setting::Failure => 2,
                Setting::LoginuidImmutable => 0,
            };
            if v > max || s == Setting::LoginuidImmutable {
                return Err(format!(
                    "requirement {:?}: {s:?} cannot equal {v} (allowed: 0..={max}; \
                     loginuid-immutable takes no value)",
                    self.id
                ));
            }
        }
        if let Some(a) = &self.access {
            if a.is_empty() || !a.chars().all(|c| "rwxa".contains(c)) {
                return Err(format!(
                    "requirement {:?}: access {a:?} is not made of r, w, x, a",
                    self.id
                ));
            }
        }
        for p in &self.paths {
            if !p.starts_with('/') && !p.starts_with('{') {
                return Err(format!(
                    "requirement {:?}: path {p:?} is not absolute",
                    self.id
                ));
            }
        }
        Ok(())
    }
}

/// Accept `"x"` or `["x", "y"]`, keeping the element's own error (an untagged enum would
/// replace it with "did not match any variant").
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visit<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<T>, E> {
            use serde::de::IntoDeserializer;
            T::deserialize(v.into_deserializer()).map(|t| vec![t])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(x) = seq.next_element()? {
                out.push(x);
            }
            Ok(out)
        }
    }
    d.deserialize_any(Visit(std::marker::PhantomData))
}

/// The kind of event a requirement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementKind {
    /// Syscalls, on the requirement's ABIs, by its `who`, with its outcomes and arguments.
    Syscall,
    /// Executions of files.
    Exec,
    /// Changes to files (writes, attribute changes), as `-w PATH -p wa` records them.
    Watch,
    /// A loader setting's effective final value (`-e 2`, `-f 2`, `--loginuid-immutable`).
    Control,
    /// A keyword of `auditd.conf` as auditd reads it (last value wins, built-in default when
    /// absent, values without regard to case).
    DaemonSetting,
    /// A kernel argument in the boot configuration (GRUB defaults, BLS entries, grub.cfg)
    /// and, on a live host, in `/proc/cmdline`.
    BootParameter,
    /// Mode ceiling, owner and group of files (audit logs, configuration, tools).
    FilePermission,
    /// Executions of every setuid or setgid regular file on the target's mounts that allow
    /// them (CIS "use of privileged commands"): an `exec` requirement per file found.
    ExecScan,
}

impl RequirementKind {
    /// The name files use (`daemon-setting`).
    pub fn name(self) -> &'static str {
        match self {
            RequirementKind::Syscall => "syscall",
            RequirementKind::Exec => "exec",
            RequirementKind::Watch => "watch",
            RequirementKind::Control => "control",
            RequirementKind::DaemonSetting => "daemon-setting",
            RequirementKind::BootParameter => "boot-parameter",
            RequirementKind::FilePermission => "file-permission",
            RequirementKind::ExecScan => "exec-scan",
        }
    }
}

/// Which ABIs a syscall requirement covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Abis {
    /// Every ABI of the target (native and compat).
    #[default]
    All,
    /// The native ABI only.
    Native,
}

/// Whose actions an event class is about: predicates over the process's ids and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Who {
    /// Users: login uid in [UID_MIN, 4294967294] (set).
    Users,
    /// Root logins: login uid 0.
    RootLogins,
    /// Everyone, including processes without a login uid (unset).
    Everyone,
    /// A setuid-root program: uid ≠ euid, euid = 0, any login uid.
    SetuidToRoot,
    /// A setgid-root program: gid ≠ egid, egid = 0, any login uid.
    SetgidToRoot,
    /// Cron jobs of root: subject type `crond_t`, euid = 0.
    CronRoot,
    /// Cron jobs of users: subject type `crond_t`, login uid of a user.
    CronUsers,
    /// Someone acting as another user: euid ≠ uid, login uid set (CIS "actions as another
    /// user", `sudo`).
    AsOtherUser,
}

impl Who {
    /// The name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Who::Users => "users",
            Who::RootLogins => "root-logins",
            Who::Everyone => "everyone",
            Who::SetuidToRoot => "setuid-to-root",
            Who::SetgidToRoot => "setgid-to-root",
            Who::CronRoot => "cron-root",
            Who::CronUsers => "cron-users",
            Who::AsOtherUser => "as-other-user",
        }
    }
}

/// The outcome of a syscall an event class is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Outcome {
    /// Any outcome.
    Any,
    /// Success (return value ≥ 0).
    Success,
    /// Failure with this errno (positive number: 13 is EACCES).
    Failed(u32),
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "any" => Ok(Outcome::Any),
            "success" => Ok(Outcome::Success),
            e => {
                let name = e.strip_prefix('-').unwrap_or(e);
                crate::model::names::errno_number(name)
                    .map(Outcome::Failed)
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "exit {s:?}: not \"any\", \"success\" or an errno name like \"-EACCES\""
                        ))
                    })
            }
        }
    }
}

/// An argument constraint of an event class: `a<arg> = value` or `a<arg> & value` (bits set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    /// Argument index, 0..=3.
    pub arg: u8,
    /// `=` (equal) or `&` (these bits set).
    pub op: ArgOp,
    /// The value or bits.
    pub value: u32,
}

/// How an [`ArgSpec`] constrains its argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ArgOp {
    /// Equal to the value.
    #[serde(rename = "=")]
    Equal,
    /// Has every bit of the value set.
    #[serde(rename = "&")]
    Bits,
}

/// A loader setting a `control` requirement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Setting {
    /// `-e`: the final enabled value (2 must also be the last line that changes anything).
    Enabled,
    /// `-f`: the final failure mode.
    Failure,
    /// `--loginuid-immutable` loaded.
    LoginuidImmutable,
}

/// How `fix` remediates the control.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// The key written on new rules.
    #[serde(default)]
    pub key: String,
    /// The `rules.d` file new rules go to (augenrules mode) when no file holds the key yet.
    #[serde(default)]
    pub file: String,
    /// The syscalls a new syscall rule lists, grouped on one line per ABI (default: the
    /// requirements' syscalls).
    #[serde(default)]
    pub syscalls: Vec<String>,
}

/// A control file that cannot be used: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", if *line > 0 { format!(":{line}") } else { String::new() })]
pub struct CatalogueError {
    /// The file (as given, or the embedded file's name).
    pub file: String,
    /// 1-based line (the line of the offending table when TOML gives no finer place).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parse one control file. `file` names it in errors.
///
/// # Errors
/// A [`CatalogueError`] naming the line and field: TOML syntax, an unknown field (typo), a
/// wrong value, a field that does not fit the requirement's kind, an unknown syscall.
pub fn parse_control(file: &str, text: &str) -> Result<Control, CatalogueError> {
    let mut c: Control = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let at = |needle: &str| line_of(text, needle);
    if let Some(v) = c.schema.filter(|v| !(1..=2).contains(v)) {
        return Err(CatalogueError {
            file: file.to_string(),
            line: at("schema"),
            message: format!("schema {v}: this auditguard reads control schema 1 and 2"),
        });
    }
    let mut ids = std::collections::BTreeSet::new();
    for r in &c.requirements {
        if !ids.insert(r.id.as_str()) {
            return Err(CatalogueError {
                file: file.to_string(),
                line: at(&format!("\"{}\"", r.id)),
                message: format!(
                    "requirement {:?} is listed twice in control {:?}",
                    r.id, c.id
                ),
            });
        }
    }
    for r in &c.requirements {
        r.validate().map_err(|message| CatalogueError {
            file: file.to_string(),
            line: at(&format!("\"{}\"", r.id)),
            message,
        })?;
    }
    if c.remediation.syscalls.is_empty() {
        c.remediation.syscalls = c
            .requirements
            .iter()
            .flat_map(|r| r.syscalls.iter().chain(&r.advice_syscalls))
            .fold(Vec::new(), |mut v, s| {
                if !v.contains(s) {
                    v.push(s.clone());
                }
                v
            });
    }
    if c.remediation.key.is_empty() {
        c.remediation.key = c.id.clone();
    }
    if c.remediation.file.is_empty() {
        c.remediation.file = format!("50-{}.rules", c.id);
    }
    Ok(c)
}

/// Parse a file holding one control or several (`[[control]]` tables).
///
/// # Errors
/// As [`parse_control`].
pub fn parse_controls(file: &str, text: &str) -> Result<Vec<Control>, CatalogueError> {
    #[derive(Deserialize)]
    struct Many {
        control: Vec<toml::Value>,
    }
    if let Ok(m) = toml::from_str::<Many>(text) {
        let mut out = Vec::new();
        for v in m.control {
            let one = toml::to_string(&v).map_err(|e| CatalogueError {
                file: file.to_string(),
                line: 1,
                message: e.to_string(),
            })?;
            let id = v.get("id").and_then(|i| i.as_str()).unwrap_or("");
            let c = parse_control(file, &one).map_err(|mut e| {
                // Lines in the re-serialised table mean nothing to the user: point at the
                // control's id in the file.
                e.line = line_of(text, &format!("\"{id}\""));
                e
            })?;
            out.push(c);
        }
        return Ok(out);
    }
    parse_control(file, text).map(|c| vec![c])
}

/// The 1-based line of the first occurrence of `needle` (1 when absent).
pub(crate) fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map(|at| text[..at].matches('\n').count() + 1)
        .unwrap_or(1)
}

pub(crate) fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> CatalogueError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
        .unwrap_or(1);
    CatalogueError {
        file: file.to_string(),
        line,
        message: e.message().to_string(),
    }
}

/// Every control of the built-in catalogue, in catalogue order.
///
/// # Panics
/// Never for a released build: `tests` parses every embedded file.
pub fn catalogue() -> Vec<Control> {
    CATALOGUE
        .iter()
        .flat_map(|(file, text)| {
            parse_controls(file, text).unwrap_or_else(|e| panic!("embedded catalogue: {e}"))
        })
        .collect()
}

/// The built-in catalogue plus every `*.toml` control file of `dir` (sorted by name); a
/// user's control with a built-in id replaces it.
///
/// # Errors
/// The first unreadable or invalid file, with file and line.
pub fn catalogue_with(dir: Option<&Path>) -> Result<Vec<Control>, CatalogueError> {
    let mut all = catalogue();
    let Some(dir) = dir else { return Ok(all) };
    let err = |file: &Path, message: String| CatalogueError {
        file: file.display().to_string(),
        line: 0,
        message,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| err(dir, e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for f in files {
        let text = read_user_file(&f)?;
        for c in parse_controls(&f.display().to_string(), &text)? {
            all.retain(|o| o.id != c.id);
            all.push(c);
        }
    }
    Ok(all)
}

/// Largest control or profile file read, in bytes (the built-in catalogue is 40 KiB).
pub const MAX_USER_FILE: u64 = 4 << 20;

/// Read a user's control or profile file: a regular file (after symlinks) of at most
/// [`MAX_USER_FILE`] bytes, in UTF-8. Opened without blocking, so a FIFO or device is refused
/// instead of hanging or streaming forever.
///
/// # Errors
/// A [`CatalogueError`] naming the file (line 0) and what is wrong.
pub fn read_user_file(path: &Path) -> Result<String, CatalogueError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let err = |message: String| CatalogueError {
        file: path.display().to_string(),
        line: 0,
        message,
    };
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| err(e.to_string()))?;
    let meta = f.metadata().map_err(|e| err(e.to_string()))?;
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    if meta.len() > MAX_USER_FILE {
        return Err(err(format!(
            "{} bytes: larger than the {MAX_USER_FILE} bytes a control or profile file may have",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    f.take(MAX_USER_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(e.to_string()))?;
    if bytes.len() as u64 > MAX_USER_FILE {
        return Err(err("grew past the size limit while being read".into()));
    }
    String::from_utf8(bytes).map_err(|e| {
        err(format!(
            "not UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// The seed control ([`DEFAULT_CONTROL`]), parsed alone (the first catalogue file).
///
/// # Panics
/// Never for a released build (tests parse it).
pub fn seed() -> Control {
    let (file, text) = CATALOGUE[0];
    parse_control(file, text).unwrap_or_else(|e| panic!("embedded catalogue: {e}"))
}

/// The control with this id.
pub fn find(id: &str) -> Option<Control> {
    catalogue().into_iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_and_has_the_seed_control() {
        let c = find(DEFAULT_CONTROL).expect("seed control");
        assert_eq!(c.requirements.len(), 2);
        assert_eq!(c.remediation.key, "modules");
    }
}
