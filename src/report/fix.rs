//! `fix` in words: its steps, blockers, its diff, and the text and JSON reports (target bytes
//! through [`crate::report::bytes`]: escaped in text, lossless in JSON).

use crate::control::finding::Verdict;
use crate::fix::load::LoadReport;
use crate::fix::plan::{Blocker, NotWritable, Plan, Why};
use crate::fix::repair::Repair;
use crate::report::bytes::{escape, escape_lines, origin, path, text as t, ByteString};
use crate::report::words::{self, Context};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The JSON schema identifier of a fix report.
pub const FIX_SCHEMA: &str = "auditguard/fix/1";

/// The document of `fix`.
#[derive(Debug, Serialize)]
pub struct FixReport {
    /// [`FIX_SCHEMA`].
    pub schema: &'static str,
    /// Tool, times and host name.
    #[serde(flatten)]
    pub run: crate::report::RunInfo,
    /// `/` or the root.
    pub target: String,
    /// The target's machine (`x86_64`).
    pub machine: String,
    /// Whether nothing was to be written.
    pub dry_run: bool,
    /// Whether files were written.
    pub changed: bool,
    /// After the fix (or, for a dry run, after the planned fix).
    pub verdict: Verdict,
    /// The steps, in order.
    pub steps: Vec<StepReport>,
    /// What stopped the plan.
    pub blockers: Vec<String>,
    /// The unified diff of the planned edits (exact bytes of the files' lines).
    pub diff: ByteString,
    /// The planned (or, without `--dry-run`, made) mode and owner changes.
    pub metadata: Vec<MetadataReport>,
    /// What `--load` did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadReport>,
    /// Warnings about the configuration after the fix (e.g. `finit_module` not recorded).
    pub warnings: Vec<String>,
}

/// One mode/owner change of a file (a file-permission item's fix).
#[derive(Debug, Serialize)]
pub struct MetadataReport {
    /// The file (exact bytes).
    pub path: ByteString,
    /// Permission bits before and after, octal (`"0644"`, `"0600"`).
    pub mode: [String; 2],
    /// Owner before and after (name, or uid when the target's passwd lacks it).
    pub owner: [String; 2],
    /// Group before and after.
    pub group: [String; 2],
    /// The same as shell commands (`chmod 0600 /var/log/audit/audit.log (was 0644)`).
    pub commands: Vec<String>,
    /// The requirements (`control/requirement`) it serves.
    pub requirements: Vec<String>,
}

/// The report of one planned mode/owner change.
pub fn metadata(m: &crate::fix::plan::PlannedMeta) -> MetadataReport {
    MetadataReport {
        path: ByteString::path(&m.change.path),
        mode: [
            format!("{:04o}", m.change.expected.mode),
            format!("{:04o}", m.change.new.mode),
        ],
        owner: [m.owner.0.clone(), m.owner.1.clone()],
        group: [m.group.0.clone(), m.group.1.clone()],
        commands: words::metadata_change(m),
        requirements: m.requirements.clone(),
    }
}

/// One step.
#[derive(Debug, Serialize)]
pub struct StepReport {
    /// The strategy that took it.
    pub strategy: &'static str,
    /// The files it changed (exact bytes).
    pub files: Vec<ByteString>,
    /// Why, in a sentence.
    pub why: String,
}

/// The JSON report, terminal-safe (see [`crate::report::bytes::to_json`]).
pub fn json(r: &FixReport) -> String {
    crate::report::bytes::to_json(r)
}

/// One planned file edit: target path, old bytes (`None` for a new file), new bytes.
pub type FileEdit = (PathBuf, Option<Vec<u8>>, Vec<u8>);

/// The planned edits as a unified diff, file by file (`files`: target path, old bytes or
/// `None` for a new file, new bytes). Byte-exact: lines are compared and copied as bytes,
/// whatever their encoding.
pub fn diff(files: &[FileEdit]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    // Each byte as the char of the same number (Latin-1): a lossless text for `similar`, whose
    // own additions (headers, hunk lines, markers) are ASCII, so the result maps back exactly.
    let latin1 = |b: &[u8]| b.iter().map(|&b| char::from(b)).collect::<String>();
    let mut out = String::new();
    for (file, old, new) in files {
        let name = latin1(file.as_os_str().as_bytes());
        let old_name = if old.is_some() {
            format!("a{name}")
        } else {
            "/dev/null".to_string()
        };
        let (old_text, new_text) = (latin1(old.as_deref().unwrap_or_default()), latin1(new));
        let diff = similar::TextDiff::from_lines(&old_text, &new_text);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &format!("b{name}"))
                .to_string(),
        );
    }
    out.chars().map(|c| c as u32 as u8).collect()
}

/// The rules the kernel refused under `--load`, one sentence each (target bytes escaped).
pub fn load_errors(l: &LoadReport) -> Vec<String> {
    l.errors
        .iter()
        .map(|(at, e)| match at {
            Some(at) => format!("{}: {e}", origin(at)),
            None => e.to_string(),
        })
        .collect()
}

/// What `--load` left to the loader: the `-e 2` it did not apply and the settings it did not
/// set, one sentence each (target bytes escaped; the exact setting lines are in `settings`).
pub fn load_warnings(l: &LoadReport) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(at) = &l.lock_not_applied {
        out.push(format!(
            "the configuration locks the rules with -e 2 at {}: auditguard does not lock them; \
             the loader will at the next boot (then only a reboot can change them). Audit is \
             enabled (1) now.",
            origin(at)
        ));
    }
    if !l.settings.is_empty() {
        let lines: Vec<String> = l.settings.iter().map(|s| escape(s).into_owned()).collect();
        out.push(format!(
            "settings not applied by auditguard (the loader applies them): {}",
            lines.join("; ")
        ));
    }
    out
}

/// `--load`'s part of the JSON report: the counts, the refusals and what was left, as
/// sentences, and the exact bytes of the setting lines left to the loader.
impl Serialize for LoadReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("LoadReport", 6)?;
        m.serialize_field("how", self.how)?;
        m.serialize_field("added", &self.added)?;
        m.serialize_field("deleted", &self.deleted)?;
        m.serialize_field("errors", &load_errors(self))?;
        m.serialize_field("warnings", &load_warnings(self))?;
        let settings: Vec<ByteString> = self.settings.iter().cloned().map(ByteString).collect();
        m.serialize_field("settings", &settings)?;
        m.end()
    }
}

/// The text report (every value escaped: see [`crate::report::bytes`]).
pub fn text(r: &FixReport) -> String {
    let mut out = String::new();
    if r.steps.is_empty() && r.blockers.is_empty() && r.load.is_none() && r.metadata.is_empty() {
        let _ = writeln!(out, "nothing to fix: {} is compliant", t(&r.target));
        for w in &r.warnings {
            let _ = writeln!(out, "warning: {}", t(w));
        }
        return out;
    }
    for s in &r.steps {
        let files: Vec<String> = s.files.iter().map(|f| f.to_string()).collect();
        let _ = writeln!(out, "{} ({})", t(&s.why), files.join(", "));
    }
    for b in &r.blockers {
        let _ = writeln!(out, "blocked: {}", t(b));
    }
    if !r.diff.as_bytes().is_empty() {
        let _ = writeln!(out);
        out.push_str(&escape_lines(r.diff.as_bytes()));
    }
    if !r.metadata.is_empty() {
        let _ = writeln!(out);
        for c in r.metadata.iter().flat_map(|m| &m.commands) {
            let _ = writeln!(out, "{c}");
        }
    }
    if let Some(l) = &r.load {
        let _ = writeln!(
            out,
            "loaded into the running kernel: {} ({} rule(s) added, {} deleted)",
            l.how, l.added, l.deleted
        );
        for e in load_errors(l) {
            let _ = writeln!(out, "load error: {e}");
        }
        for w in load_warnings(l) {
            let _ = writeln!(out, "load: {w}");
        }
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {}", t(w));
    }
    let state = match (r.dry_run, r.changed, r.blockers.is_empty()) {
        (false, true, false) => "written for the items not blocked",
        (true, _, false) if !r.diff.0.is_empty() => {
            "dry run: nothing written; the items not blocked would be fixed"
        }
        (_, _, false) => "nothing written",
        (true, _, true) => "dry run: nothing written; after the fix",
        (false, true, true) => "written",
        (false, false, true) => "nothing to write",
    };
    let _ = writeln!(
        out,
        "{state}; result: {}",
        r.verdict.as_str().to_uppercase()
    );
    out
}

/// What a repair does, in words.
pub fn repair(r: Repair) -> String {
    match r {
        Repair::EndWithNewline => "end the file with a newline (augenrules joined its last line \
                                   with the next file's first line)"
            .to_string(),
        Repair::TabsToSpaces => "replace tabs with spaces".to_string(),
        Repair::StripCr => "strip the CR at the end of the line".to_string(),
        Repair::MoveTrailingComment => "move the trailing comment to its own line above".into(),
        Repair::WrapLongLine => "wrap the line, longer than auditctl's 6143-byte line buffer, \
                                 into comment lines"
            .to_string(),
        Repair::CommentOut { duplicate } => format!(
            "comment the line out ({})",
            if duplicate { "duplicate" } else { "disabled" }
        ),
    }
}

/// Why a step was taken, in a sentence.
pub fn why(w: &Why) -> String {
    match w {
        Why::RepairJoin { joined, swallowed } => format!(
            "end {} with a newline: augenrules joined its last line ({}) with the rule at {}, \
             which was never loaded as written",
            path(&joined.file),
            origin(joined),
            origin(swallowed)
        ),
        Why::MoveLockToEnd { lock } => format!(
            "move -e 2 at {} to the end: every rule after it is refused",
            origin(lock)
        ),
        Why::Repair { at, repair: r } => format!("repair {}: {}", origin(at), repair(*r)),
        Why::MoveDeleteAllToTop { at } => format!(
            "move -D at {} to the top: it deletes the rules loaded before it",
            origin(at)
        ),
        Why::AddKey { key, rule, event } => format!(
            "add key {key:?} to the rule at {}: it catches {event} first and records no key",
            origin(rule)
        ),
        Why::MoveBeforeNever { from, never, event } => format!(
            "move the rule at {} before the never rule at {}, which catches {event} first",
            origin(from),
            origin(never)
        ),
        Why::InsertBeforeNever {
            count,
            never,
            event,
        } => format!(
            "add {count} rule(s) before the never rule at {}, which catches {event} first",
            origin(never)
        ),
        Why::InsertBeforeKeyless { count, rule, event } => format!(
            "add {count} rule(s) with the control's key before the keyless rule at {}, which \
             catches {event} first and serves another purpose (left as it is)",
            origin(rule)
        ),
        Why::ExtendSyscalls { names, rule, abi } => format!(
            "add {} to the syscall list of the rule at {}, which already records {abi} with \
             a key",
            names.join(","),
            origin(rule)
        ),
        Why::SetDaemon { file, key, value } => {
            format!("set {key} = {value} in {file}: the item does not accept its value")
        }
        Why::SetControl { line, requirement } => {
            format!("add {line}: {requirement} demands it as the load's final setting")
        }
        Why::AddRules { count, events } => {
            format!("add {count} rule(s): {}", events.join(", "))
        }
    }
}

/// A blocker, in a sentence. `ctx` is the context of the plan's last assessed configuration
/// (the causes' rule numbers point into it).
/// One blocker in words, its causes read against `config` (the configuration it was found
/// in).
pub fn blocker_in(
    b: &Blocker,
    config: &crate::load::configuration::Configuration,
    machine: crate::model::Machine,
) -> String {
    let loader = config.loader_name();
    let ctx = Context {
        outcome: &config.outcome,
        unread: &config.unread,
        loader: &loader,
        machine,
    };
    blocker(b, Some(&ctx))
}

/// One blocker in words (causes read against `ctx`).
pub fn blocker(b: &Blocker, ctx: Option<&Context>) -> String {
    let reason = |c: &crate::control::finding::Cause| {
        ctx.map(|ctx| words::cause(c, ctx)).unwrap_or_default()
    };
    match b {
        Blocker::ForeignRule {
            event,
            cause,
            origin,
            text,
        } => format!(
            "{event}: {} (at {}: {}); change or remove that rule by hand",
            reason(cause),
            self::origin(origin),
            escape(text)
        ),
        Blocker::RulesFile { file, error } => format!(
            "auditctl refuses {} before reading a line: {error}; make it a regular root-owned \
             file that is not world writable (e.g. chown root: and chmod o-w), then run fix again",
            path(file)
        ),
        Blocker::LoadStops {
            at,
            error,
            repair: r,
        } => format!(
            "the load stops at {} ({error}), so no rule after it is loaded; --repair would {}",
            origin(at),
            repair(*r)
        ),
        Blocker::Unwritable { event, cause } => format!(
            "{event}: {}; no rule can be written that the target can load",
            reason(cause)
        ),
        Blocker::NoStrategy { event, cause } => format!("{event}: {}", reason(cause)),
        Blocker::Worded { item, text } => format!("{} (set aside): {text}", t(item)),
        Blocker::Conflict {
            requirement,
            key,
            wanted,
            other,
            other_wanted,
        } => format!(
            "{} wants {} to be one of {} and {} one of {}: no value satisfies both; tailor the \
             profile to keep one of them",
            t(requirement),
            t(key),
            t(&wanted.join(", ")),
            t(other),
            t(&other_wanted.join(", "))
        ),
        Blocker::ByHand { requirement, what } => {
            format!("{requirement} is left to you: {what}")
        }
        Blocker::DaemonConfRefused {
            file,
            line: 0,
            reason,
        } => format!("auditd refuses {file} ({reason}) and does not start: correct it by hand"),
        Blocker::DaemonConfRefused { file, line, reason } => format!(
            "auditd refuses {file} at line {line} ({reason}) and does not start: correct that \
             line by hand"
        ),
        Blocker::Setting {
            requirement,
            judgement,
        } => format!("{requirement}: {}", words::setting(judgement).0),
        Blocker::AuditDisabled { by: Some(at) } => format!(
            "auditing is left disabled by -e 0 at {at}: the rules are loaded but nothing is \
             recorded; remove it or make it -e 1 (or -e 2, last) if auditing should be on"
        ),
        Blocker::AuditDisabled { by: None } => "nothing enables auditing at boot (the audit \
             daemon starts with -s nochange or -s disable, or does not run): add -e 1 to the \
             rules, or start auditd without that option"
            .to_string(),
        Blocker::NothingLoaded { reason } => format!(
            "{reason}; make the loader line load the rules (augenrules --load, or auditctl -R \
             /etc/audit/audit.rules)"
        ),
        Blocker::MissingDirectory { at, dir } => format!(
            "the watch at {} is required by the control but cannot load: {} does not exist on \
             this image (the kernel refuses the watch, ENOENT, and the load stops there); \
             install the tools or create the directory, do not disable the line",
            origin(at),
            path(dir)
        ),
        Blocker::NoProgress => "the plan would undo one of its own steps (no progress); nothing \
                                was changed"
            .to_string(),
        Blocker::StillFailing => {
            "no safe edit makes every event recorded; nothing was changed".to_string()
        }
        Blocker::NewLoadError { at, error } => {
            format!(
                "the edited configuration would not load cleanly: {}: {error}",
                origin(at)
            )
        }
        Blocker::NotARulesFile { path, why } => {
            let why = match why {
                NotWritable::OutsideAudit => "it is not under /etc/audit/".to_string(),
                NotWritable::NotLoadedAsRules => {
                    "the loader does not read it as an audit rules file".to_string()
                }
                NotWritable::Symlink { target } => format!(
                    "it is reached through a symlink that leads to {}, which is not an audit \
                     rules file",
                    target.display()
                ),
                NotWritable::NotRegular => "it is not a regular file".to_string(),
            };
            format!(
                "the fix would write {}, and {why}; fix only writes the audit rules files \
                 under /etc/audit/ that the loader reads; nothing was changed",
                path.display()
            )
        }
    }
}

/// Every blocker of a plan, in sentences.
pub fn blockers(plan: &Plan, machine: crate::model::Machine) -> Vec<String> {
    let loader = plan
        .config
        .as_ref()
        .map(|c| c.loader_name())
        .unwrap_or_default();
    let ctx = plan.config.as_ref().map(|c| Context {
        outcome: &c.outcome,
        unread: &c.unread,
        loader: &loader,
        machine,
    });
    plan.blockers
        .iter()
        .map(|b| blocker(b, ctx.as_ref()))
        .collect()
}

/// The refusal of `fix --load --root DIR`: loading would put an image's rules into this host's
/// kernel.
pub fn load_with_root(dir: &std::path::Path) -> String {
    format!(
        "--load loads rules into this host's running kernel, but --root {} is another system's \
         configuration; nothing was written or loaded (run fix --root without --load, or fix \
         --load on the host itself)",
        dir.display()
    )
}

/// Said on stderr when the report cannot be written after the files were.
pub fn report_lost(e: &str) -> String {
    format!("the files were written, but the report could not be printed: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fix --load` in text mode says what it loaded, the `-e 2` it did not apply and the
    /// settings it left alone (issue 8 item 10).
    #[test]
    fn text_says_what_load_did_and_left() {
        let report = FixReport {
            schema: FIX_SCHEMA,
            run: crate::report::RunInfo::ended_now(std::time::SystemTime::now(), None),
            target: "/".into(),
            machine: "x86_64".into(),
            dry_run: false,
            changed: false,
            verdict: Verdict::Pass,
            steps: Vec::new(),
            blockers: Vec::new(),
            diff: ByteString(Vec::new()),
            metadata: Vec::new(),
            load: Some(LoadReport {
                how: "replaced",
                added: 7,
                deleted: 2,
                errors: vec![(
                    Some(crate::load::Origin {
                        file: std::path::Path::new("/etc/audit/rules.d/x.rules").into(),
                        line: 3,
                    }),
                    crate::kernel::KernelError::Invalid,
                )],
                lock_not_applied: Some(crate::load::Origin {
                    file: std::path::Path::new("x").into(),
                    line: 9,
                }),
                settings: vec![b"-b 8192".to_vec(), b"-r 1\x1b[2K\xff".to_vec()],
            }),
            warnings: Vec::new(),
        };
        let out = text(&report);
        for said in [
            "loaded into the running kernel: replaced (7 rule(s) added, 2 deleted)",
            "load error: /etc/audit/rules.d/x.rules:3: Invalid argument",
            "load: the configuration locks the rules with -e 2 at x:9",
            "load: settings not applied by auditguard (the loader applies them): -b 8192; \
             -r 1\\x1b[2K\\xff",
        ] {
            assert!(out.contains(said), "{said}:\n{out}");
        }
        // JSON: the sentences, and the setting lines byte for byte.
        let json: serde_json::Value = serde_json::from_str(&super::json(&report)).unwrap();
        let load = &json["load"];
        assert_eq!(load["how"], "replaced");
        assert_eq!(load["settings"][0], "-b 8192");
        let odd = &load["settings"][1];
        assert_eq!(
            crate::report::bytes::base64(b"-r 1\x1b[2K\xff"),
            odd["base64"].as_str().unwrap_or_default(),
            "{odd}"
        );
        assert!(load["warnings"][1]
            .as_str()
            .is_some_and(|w| w.contains("-r 1\\x1b[2K\\xff")));
    }
}
