//! The JSON documents of the listing commands: `rules` (`auditguard/rules/1`), `merge`
//! (`auditguard/merge/1`), `controls` (`auditguard/controls/1`) and `profiles`
//! (`auditguard/profiles/1`), each described in `schemas/`. Byte strings from the target
//! are [`ByteString`]s (lossless, terminal-safe JSON, as in every report).

use crate::report::{ByteString, Evidence, RunInfo};
use serde::Serialize;

/// The JSON schema identifier of a `rules` document.
pub const RULES_SCHEMA: &str = "auditguard/rules/1";
/// The JSON schema identifier of a `merge` document.
pub const MERGE_SCHEMA: &str = "auditguard/merge/1";
/// The JSON schema identifier of a `controls` document.
pub const CONTROLS_SCHEMA: &str = "auditguard/controls/1";
/// The JSON schema identifier of a `profiles` document.
pub const PROFILES_SCHEMA: &str = "auditguard/profiles/1";

/// `auditguard rules --format json`: the kernel's list as `auditctl -l` prints it, each rule
/// with the line that added it.
#[derive(Debug, Serialize)]
pub struct RulesReport {
    /// [`RULES_SCHEMA`].
    pub schema: &'static str,
    /// Tool, times and host name.
    #[serde(flatten)]
    pub run: RunInfo,
    /// `/` or the `--root` directory (exact bytes).
    pub target: ByteString,
    /// The machine whose syscall table names the rules.
    pub machine: String,
    /// `loader` (what the boot-time loader leaves), `file` (`auditctl -R FILE`) or `kernel`
    /// (the running kernel's list).
    pub source: &'static str,
    /// The rules in `auditctl -l` order.
    pub rules: Vec<ListedRule>,
    /// Lines the load fails on (`loader` and `file`).
    pub errors: Vec<crate::report::LoadErrorReport>,
    /// What the loader would warn about.
    pub warnings: Vec<String>,
    /// The exit status `auditctl -R` would have (0, or 1 when the load stops or has errors).
    pub exit_status: u8,
}

/// One listed rule.
#[derive(Debug, Serialize)]
pub struct ListedRule {
    /// The rule as `auditctl -l` prints it (exact bytes, without the newline).
    pub text: ByteString,
    /// The line that added it (absent for the running kernel's rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Evidence>,
}

/// The lines of a listing (`auditctl -l` text) paired with the rules in listing order:
/// `listing` is the listing of `rules`, which `auditctl -l` orders by list, stably.
pub fn listed_rules(
    listing: &[u8],
    lists: &[u32],
    origins: Vec<Option<Evidence>>,
) -> Vec<ListedRule> {
    let mut order: Vec<usize> = (0..lists.len()).collect();
    order.sort_by_key(|&i| lists[i]);
    let mut origins: Vec<Option<Option<Evidence>>> = origins.into_iter().map(Some).collect();
    listing
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .zip(order)
        .map(|(line, i)| ListedRule {
            text: ByteString(line.to_vec()),
            origin: origins.get_mut(i).and_then(Option::take).flatten(),
        })
        .collect()
}

/// `auditguard merge --format json`: what augenrules would write, each line with its source.
#[derive(Debug, Serialize)]
pub struct MergeReport {
    /// [`MERGE_SCHEMA`].
    pub schema: &'static str,
    /// Tool, times and host name.
    #[serde(flatten)]
    pub run: RunInfo,
    /// `/` or the `--root` directory (exact bytes).
    pub target: ByteString,
    /// The target's machine.
    pub machine: String,
    /// The exact bytes of the merged `audit.rules`.
    pub text: ByteString,
    /// Each output line (the header first) and the `rules.d` line it is.
    pub lines: Vec<MergedLineReport>,
    /// What augenrules would print to stderr.
    pub warnings: Vec<String>,
}

/// One merged line.
#[derive(Debug, Serialize)]
pub struct MergedLineReport {
    /// The line (exact bytes, without the newline).
    pub text: ByteString,
    /// The `rules.d` file it comes from (absent for the header and placeholder lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<ByteString>,
    /// Its 1-based line there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// `auditguard controls --format json`.
#[derive(Debug, Serialize)]
pub struct ControlsReport {
    /// [`CONTROLS_SCHEMA`].
    pub schema: &'static str,
    /// Tool, times and host name.
    #[serde(flatten)]
    pub run: RunInfo,
    /// The catalogue's controls (without `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controls: Option<Vec<ControlEntry>>,
    /// The profile listed (with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileEntry>,
    /// Its items (with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemEntry>>,
}

/// A control of the catalogue.
#[derive(Debug, Serialize)]
pub struct ControlEntry {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// NIST 800-53 and ComplianceAsCode references.
    pub refs: crate::control::Refs,
    /// Its requirements' ids.
    pub requirements: Vec<String>,
}

/// A profile item.
#[derive(Debug, Serialize)]
pub struct ItemEntry {
    /// The benchmark's id (STIG ID, CIS section).
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// V-ID, STIG rule id, CCIs, SCAP Security Guide rules.
    pub refs: crate::control::profile::ItemRefs,
    /// The controls (or `control/requirement`s) that decide it.
    pub requires: Vec<String>,
    /// Why it is left to a person, for a manual item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<String>,
    /// Benchmark levels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<String>,
}

/// `auditguard profiles --format json`.
#[derive(Debug, Serialize)]
pub struct ProfilesReport {
    /// [`PROFILES_SCHEMA`].
    pub schema: &'static str,
    /// Tool, times and host name.
    #[serde(flatten)]
    pub run: RunInfo,
    /// The built-in profiles.
    pub profiles: Vec<ProfileEntry>,
}

/// A profile.
#[derive(Debug, Serialize)]
pub struct ProfileEntry {
    /// Id (`stig-rhel9`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Publisher and release.
    pub benchmark: crate::control::profile::Benchmark,
    /// Products it is written for.
    pub products: Vec<String>,
    /// How many items.
    pub items: usize,
    /// The level selections that hold items (`profiles` only; CIS: `ID-l1-server`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selections: Vec<SelectionEntry>,
}

/// A selection of a profile's items (a CIS level), usable as `--profile ID`.
#[derive(Debug, Serialize)]
pub struct SelectionEntry {
    /// The id to give `--profile` (`cis-rhel9-l1-server`).
    pub id: String,
    /// How many items it selects.
    pub items: usize,
}

impl ProfileEntry {
    /// The entry of a profile.
    pub fn new(p: &crate::control::profile::Profile) -> ProfileEntry {
        ProfileEntry {
            id: p.id.clone(),
            title: p.title.clone(),
            benchmark: p.benchmark.clone(),
            products: p.products.clone(),
            items: p.items.len(),
            selections: Vec::new(),
        }
    }
}

impl ItemEntry {
    /// The entry of a profile item.
    pub fn new(i: &crate::control::profile::Item) -> ItemEntry {
        ItemEntry {
            id: i.id.clone(),
            title: i.title.clone(),
            severity: i.severity.clone(),
            refs: i.refs.clone(),
            requires: i.requires.clone(),
            manual: i.manual.clone(),
            levels: i.levels.clone(),
        }
    }
}

impl ControlEntry {
    /// The entry of a control.
    pub fn new(c: &crate::control::Control) -> ControlEntry {
        ControlEntry {
            id: c.id.clone(),
            title: c.title.clone(),
            severity: c.severity.clone(),
            refs: c.refs.clone(),
            requirements: c.requirements.iter().map(|r| r.id.clone()).collect(),
        }
    }
}
