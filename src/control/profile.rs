//! Profiles: a benchmark (the DISA STIG for RHEL 9, a CIS benchmark) as data. Each item names
//! the benchmark's own id and references and the controls (or single requirements of
//! controls) that decide it; [`Profile::controls`] turns the items into controls the evaluator
//! judges like any other, each carrying its item's ids ([`ItemInfo`]) for the reports.
//!
//! Profiles are TOML files (`control/catalogue/profiles/*.toml`, embedded at build time, or a
//! user's file given with `--profile FILE`); `docs/controls.md` documents the schema.

use crate::control::{line_of, toml_error, CatalogueError, Control};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Embedded profiles: (file name, TOML text).
const PROFILES: &[(&str, &str)] = &[
    (
        "profiles/stig-rhel9.toml",
        include_str!("catalogue/profiles/stig-rhel9.toml"),
    ),
    (
        "profiles/stig-rhel8.toml",
        include_str!("catalogue/profiles/stig-rhel8.toml"),
    ),
    (
        "profiles/stig-ubuntu2204.toml",
        include_str!("catalogue/profiles/stig-ubuntu2204.toml"),
    ),
    (
        "profiles/stig-ubuntu2404.toml",
        include_str!("catalogue/profiles/stig-ubuntu2404.toml"),
    ),
    (
        "profiles/cis-debian12.toml",
        include_str!("catalogue/profiles/cis-debian12.toml"),
    ),
    (
        "profiles/cis-ubuntu2204.toml",
        include_str!("catalogue/profiles/cis-ubuntu2204.toml"),
    ),
    (
        "profiles/cis-ubuntu2404.toml",
        include_str!("catalogue/profiles/cis-ubuntu2404.toml"),
    ),
    (
        "profiles/cis-rhel9.toml",
        include_str!("catalogue/profiles/cis-rhel9.toml"),
    ),
    (
        "profiles/stig-rhel10.toml",
        include_str!("catalogue/profiles/stig-rhel10.toml"),
    ),
    (
        "profiles/cis-rhel10.toml",
        include_str!("catalogue/profiles/cis-rhel10.toml"),
    ),
    (
        "profiles/cis-debian13.toml",
        include_str!("catalogue/profiles/cis-debian13.toml"),
    ),
    (
        "profiles/ssg.toml",
        include_str!("catalogue/profiles/ssg.toml"),
    ),
];

/// A benchmark as data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Schema version (2).
    pub schema: u32,
    /// Stable id (`stig-rhel9`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Who publishes the benchmark and which release this profile follows.
    pub benchmark: Benchmark,
    /// Products the benchmark is written for (`rhel9`, ...).
    #[serde(default)]
    pub products: Vec<String>,
    /// Evaluation policy for every item.
    #[serde(default)]
    pub settings: Settings,
    /// The items, in the benchmark's order.
    #[serde(rename = "item")]
    pub items: Vec<Item>,
    /// The file it was read from (for messages).
    #[serde(skip)]
    pub file: String,
}

/// Publisher and release.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    /// `DISA`, `CIS`.
    pub publisher: String,
    /// `V2R9`, `v2.0.0`.
    pub version: String,
}

/// Profile-wide evaluation policy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The lowest login uid of a user, as the benchmark fixes it (the STIG writes 1000);
    /// absent: the target's `UID_MIN` from `/etc/login.defs`.
    #[serde(default)]
    pub auid_min: Option<u32>,
}

/// One benchmark item.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The benchmark's own id (STIG ID, CIS section).
    pub id: String,
    /// Short title.
    pub title: String,
    /// `low`, `medium`, `high`.
    #[serde(default)]
    pub severity: Option<String>,
    /// The benchmark's references.
    #[serde(default)]
    pub refs: ItemRefs,
    /// Controls (`"control"`) or requirements (`"control/requirement"`) that decide it
    /// (empty for a manual item).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Why the item is left to a person (`notchecked`), when it is: a host fact auditguard
    /// does not judge (packages, offload, storage), or a kind not automated yet.
    #[serde(default)]
    pub manual: Option<String>,
    /// Benchmark levels the item belongs to (CIS: `l1_server`, `l2_workstation`, ...).
    #[serde(default)]
    pub levels: Vec<String>,
    /// The key `fix` writes on new lines for this item (default: the control's).
    #[serde(default)]
    pub key: Option<String>,
    /// Where the benchmark's own text is wrong or needs reading, what auditguard does.
    #[serde(default)]
    pub note: Option<String>,
    /// The 1-based line of its id in the file (for messages).
    #[serde(skip)]
    pub line: usize,
}

/// A benchmark item's references.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ItemRefs {
    /// STIG vulnerability id (`V-258188`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vuln: Option<String>,
    /// STIG rule id (`SV-258188r1155605_rule`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// CCIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cci: Vec<String>,
    /// The ComplianceAsCode (SCAP Security Guide) rule ids that check the item, without the
    /// `xccdf_org.ssgproject.content_rule_` prefix: an XCCDF report's idrefs, and what
    /// `oscap xccdf eval --rule` is compared on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cac: Vec<String>,
}

/// What a control built from a profile item carries for the reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemInfo {
    /// The profile's id.
    pub profile: String,
    /// The benchmark and release.
    pub benchmark: Benchmark,
    /// The item's id (STIG ID).
    pub id: String,
    /// Severity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The item's references.
    pub refs: ItemRefs,
    /// The controls it is judged by.
    pub controls: Vec<String>,
    /// The note, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why it is not checked automatically, for a manual item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<String>,
}

/// Parse a profile file. `file` names it in errors.
///
/// # Errors
/// A [`CatalogueError`] with the line: TOML syntax, an unknown field, a wrong schema version,
/// a duplicate item id.
pub fn parse(file: &str, text: &str) -> Result<Profile, CatalogueError> {
    let mut p: Profile = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    p.file = file.to_string();
    for item in &mut p.items {
        item.line = line_of(text, &format!("\"{}\"", item.id));
    }
    let err = |needle: &str, message: String| CatalogueError {
        file: file.to_string(),
        line: line_of(text, needle),
        message,
    };
    if p.schema != 2 {
        return Err(err(
            "schema",
            format!(
                "schema {}: this auditguard reads profile schema 2",
                p.schema
            ),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for item in &p.items {
        if !seen.insert(item.id.as_str()) {
            return Err(err(
                &format!("\"{}\"", item.id),
                format!("item {:?} is listed twice", item.id),
            ));
        }
        if item.requires.is_empty() && item.manual.is_none() {
            return Err(err(
                &format!("\"{}\"", item.id),
                format!(
                    "item {:?} requires nothing (give `requires`, or `manual` with the reason)",
                    item.id
                ),
            ));
        }
    }
    Ok(p)
}

/// Every built-in profile.
///
/// # Panics
/// Never for a released build: the tests parse every embedded profile and resolve it against
/// the catalogue.
pub fn builtin() -> Vec<Profile> {
    PROFILES
        .iter()
        .map(|(f, t)| parse(f, t).unwrap_or_else(|e| panic!("embedded profile: {e}")))
        .collect()
}

/// A profile by built-in id, or from a file when `name` is a path to one (contains `/` or
/// ends in `.toml`).
///
/// # Errors
/// An unknown id (listing the known ones), an unreadable file, or a file error with its line.
pub fn load(name: &str) -> Result<Profile, CatalogueError> {
    if name.contains('/') || name.ends_with(".toml") {
        let text = crate::control::read_user_file(Path::new(name))?;
        return parse(name, &text);
    }
    if let Some((base, level, kind)) = level_suffix(name) {
        if let Some(p) = builtin().into_iter().find(|p| p.id == base) {
            return p.at_level(level, kind);
        }
    }
    builtin()
        .into_iter()
        .find(|p| p.id == name)
        .ok_or_else(|| CatalogueError {
            file: "--profile".into(),
            line: 0,
            message: format!(
                "unknown profile {name:?}; known: {} (or give a profile file)",
                builtin()
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// `cis-rhel9-l2`, `cis-rhel9-l1-workstation`: (base id, level 1 or 2, `server` or
/// `workstation`; server when not given).
fn level_suffix(name: &str) -> Option<(&str, u8, &str)> {
    for kind in ["server", "workstation"] {
        for level in [1u8, 2] {
            let long = format!("-l{level}-{kind}");
            if let Some(base) = name.strip_suffix(long.as_str()) {
                return Some((base, level, kind));
            }
            if kind == "server" {
                if let Some(base) = name.strip_suffix(format!("-l{level}").as_str()) {
                    return Some((base, level, kind));
                }
            }
        }
    }
    None
}

impl Profile {
    /// The items of one CIS level, as the benchmark's level profiles select them: Level 2
    /// includes Level 1 (an item tagged `l1_server` is in `-l2-server` too); items without
    /// levels are in every level. The id becomes `BASE-lN-KIND`.
    ///
    /// # Errors
    /// The profile has no levels, or none of its items is at that level (the audit chapters
    /// of the CIS benchmarks are Level 2 only: `-l1` selects nothing, which is said, not
    /// passed as an empty report).
    pub fn at_level(mut self, level: u8, kind: &str) -> Result<Profile, CatalogueError> {
        let error = |message: String| CatalogueError {
            file: "--profile".into(),
            line: 0,
            message,
        };
        if self.items.iter().all(|i| i.levels.is_empty()) {
            return Err(error(format!(
                "profile {} has no levels (only CIS profiles do)",
                self.id
            )));
        }
        let tags: Vec<String> = (1..=level).map(|l| format!("l{l}_{kind}")).collect();
        self.items
            .retain(|i| i.levels.is_empty() || i.levels.iter().any(|t| tags.contains(t)));
        if self.items.iter().all(|i| i.manual.is_some()) {
            return Err(error(format!(
                "profile {} has no Level {level} {kind} items: its audit items are at higher \
                 levels (use {}-l2-{kind})",
                self.id, self.id
            )));
        }
        self.id = format!("{}-l{level}-{kind}", self.id);
        self.title = format!("{} — Level {level} {kind}", self.title);
        Ok(self)
    }
    /// Every item as a control to evaluate, in the profile's order: the item's id and title,
    /// the required controls' requirements (a requirement id becomes `control/requirement`
    /// when an item draws on several controls), the first control's remediation with the
    /// item's key, and the item's references.
    ///
    /// # Errors
    /// An item naming a control or requirement the catalogue does not have (with the
    /// profile's file and the item's line).
    pub fn controls(&self, catalogue: &[Control]) -> Result<Vec<Control>, CatalogueError> {
        self.items
            .iter()
            .map(|item| {
                self.item_control(item, catalogue)
                    .map_err(|message| CatalogueError {
                        file: self.file.clone(),
                        line: item.line,
                        message,
                    })
            })
            .collect()
    }

    fn item_control(&self, item: &Item, catalogue: &[Control]) -> Result<Control, String> {
        let mut used: Vec<&Control> = Vec::new();
        let mut picks: Vec<(&Control, Option<&str>)> = Vec::new();
        for r in &item.requires {
            let (cid, rid) = match r.split_once('/') {
                Some((c, q)) => (c, Some(q)),
                None => (r.as_str(), None),
            };
            let c = catalogue.iter().find(|c| c.id == cid).ok_or_else(|| {
                format!(
                    "item {}: no control {cid:?} in the catalogue (see `auditguard controls`)",
                    item.id
                )
            })?;
            if let Some(q) = rid {
                if !c.requirements.iter().any(|x| x.id == q) {
                    return Err(format!(
                        "item {}: control {cid} has no requirement {q:?}",
                        item.id
                    ));
                }
            }
            if !used.iter().any(|u| u.id == c.id) {
                used.push(c);
            }
            picks.push((c, rid));
        }
        if used.is_empty() {
            return Ok(Control {
                schema: Some(2),
                id: item.id.clone(),
                title: item.title.clone(),
                rationale: String::new(),
                severity: item.severity.clone(),
                references: Vec::new(),
                refs: crate::control::Refs::default(),
                requirements: Vec::new(),
                remediation: crate::control::Remediation::default(),
                item: Some(ItemInfo {
                    profile: self.id.clone(),
                    benchmark: self.benchmark.clone(),
                    id: item.id.clone(),
                    severity: item.severity.clone(),
                    refs: item.refs.clone(),
                    controls: Vec::new(),
                    note: item.note.clone(),
                    manual: item.manual.clone(),
                }),
            });
        }
        let several = used.len() > 1;
        let mut requirements = Vec::new();
        for (c, rid) in &picks {
            for q in c
                .requirements
                .iter()
                .filter(|q| rid.is_none_or(|r| r == q.id))
            {
                let mut q = q.clone();
                if several {
                    q.id = format!("{}/{}", c.id, q.id);
                }
                if q.title.is_empty() {
                    q.title = c.title.clone();
                }
                requirements.push(q);
            }
        }
        let first = used[0];
        let mut remediation = first.remediation.clone();
        if let Some(k) = &item.key {
            remediation.key = k.clone();
        }
        remediation.syscalls = used
            .iter()
            .flat_map(|c| c.remediation.syscalls.iter())
            .fold(Vec::new(), |mut v, s| {
                if !v.contains(s) {
                    v.push(s.clone());
                }
                v
            });
        Ok(Control {
            schema: Some(2),
            id: item.id.clone(),
            title: item.title.clone(),
            rationale: first.rationale.clone(),
            severity: item.severity.clone().or_else(|| first.severity.clone()),
            references: Vec::new(),
            refs: crate::control::Refs {
                nist: merged(used.iter().map(|c| &c.refs.nist)),
                cac: merged(used.iter().map(|c| &c.refs.cac)),
            },
            requirements,
            remediation,
            item: Some(ItemInfo {
                profile: self.id.clone(),
                benchmark: self.benchmark.clone(),
                id: item.id.clone(),
                severity: item.severity.clone().or_else(|| first.severity.clone()),
                refs: item.refs.clone(),
                controls: used.iter().map(|c| c.id.clone()).collect(),
                note: item.note.clone(),
                manual: item.manual.clone(),
            }),
        })
    }
}

fn merged<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in lists.flatten() {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}
