//! `fix --profile stig-rhel9` on roots nobody here wrote: the seed example and the rules the
//! ansible-lockdown RHEL9-STIG role renders, on an image holding every file the STIG names.
//! The invariants: what fix writes loads with no new error, a second fix writes nothing, every
//! item then passes or is named as blocked, new lines carry the item's key (not a key borrowed
//! from a rule that records the events by accident), and no line lands after `-e 2`.

#[path = "common/scenario.rs"]
mod scenario;
#[path = "common/validate.rs"]
mod validate;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn ag(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("auditguard")
        .unwrap()
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A root: a Debian-like host, every file the STIG names, and `rules` as `rules.d/FILE`.
fn root(rules: Option<(&str, &str)>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut sections = scenario::expand("host", "augenrules", Vec::new());
    sections.extend(scenario::expand("stig-image", "", Vec::new()));
    // /var/log/audit as the audit package creates it (auditd refuses a log_file whose
    // directory does not exist).
    for d in ["/var/spool/cron", "/etc/cron.d", "/var/log/audit"] {
        sections.push(scenario::Section::Dir(d.into()));
    }
    if let Some((name, data)) = rules {
        sections.extend(scenario::expand(
            "data",
            &format!("{data} /etc/audit/rules.d/{name}"),
            Vec::new(),
        ));
    }
    scenario::build(dir.path(), &sections);
    dir
}

fn rules_errors(r: &Path) -> String {
    ag(&["rules", "--root", r.to_str().unwrap()]).2
}

/// `auditguard COMMAND --root R --profile stig-rhel9 --format json`, parsed.
fn profile_json(command: &str, r: &Path) -> Value {
    let (_, out, err) = ag(&[
        command,
        "--root",
        r.to_str().unwrap(),
        "--profile",
        "stig-rhel9",
        "--format",
        "json",
    ]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    validate::report(out.as_bytes());
    v
}

fn fix_twice_and_check(r: &Path) -> (Value, Value) {
    let before = rules_errors(r);
    let fix = profile_json("fix", r);
    assert_eq!(rules_errors(r), before, "fix added load errors");
    let snapshot = scenario::snapshot(r);
    let (_, out2, _) = ag(&[
        "fix",
        "--root",
        r.to_str().unwrap(),
        "--profile",
        "stig-rhel9",
    ]);
    assert_eq!(
        scenario::snapshot(r),
        snapshot,
        "a second fix changed files:\n{out2}"
    );
    // No rule line after an -e line in any rules.d file.
    for e in std::fs::read_dir(r.join("etc/audit/rules.d")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let mut locked = false;
        for l in text.lines() {
            if l.trim_start().starts_with("-e") {
                locked = true;
            } else if locked && (l.starts_with("-a") || l.starts_with("-w")) {
                panic!("{}: {l:?} after -e", p.display());
            }
        }
    }
    (fix, profile_json("check", r))
}

fn verdicts(check: &Value) -> Vec<(String, String)> {
    check["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn fix_profile_on_an_empty_image_makes_every_item_pass() {
    let r = root(None);
    let (fix, check) = fix_twice_and_check(r.path());
    let failing: Vec<_> = verdicts(&check)
        .into_iter()
        .filter(|(_, v)| v == "fail")
        .collect();
    assert!(failing.is_empty(), "{failing:?}\n{fix:#}");
    let logins = std::fs::read_to_string(r.path().join("etc/audit/rules.d/50-logins.rules"))
        .unwrap_or_default();
    assert!(
        logins.contains("/var/log/faillock/ -p wa -k logins"),
        "{logins}"
    );
}

#[test]
fn fix_profile_on_the_lockdown_rules_keeps_keys_and_passes_or_names_blockers() {
    let r = root(Some((
        "audit.rules",
        "ansible-lockdown-RHEL9-STIG-audit.rendered.rules",
    )));
    let (fix, check) = fix_twice_and_check(r.path());
    // Before: everything but the cron item (the role still writes the old /etc/cron.d
    // watches) passes; after: every item.
    let failing: Vec<_> = verdicts(&check)
        .into_iter()
        .filter(|(_, v)| v == "fail")
        .collect();
    assert!(failing.is_empty(), "{failing:?}\n{fix:#}");
    assert!(fix["steps"].to_string().contains("cron"), "{fix:#}");
    // Lines fix wrote for the login records carry the item's key.
    for e in std::fs::read_dir(r.path().join("etc/audit/rules.d")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for l in text
            .lines()
            .filter(|l| l.contains("faillock") || l.contains("lastlog"))
        {
            assert!(!l.contains("-k delete") && !l.contains("key=delete"), "{l}");
        }
    }
}

/// auditd.conf as the CIS items want it, by the smallest edit: the line auditd uses gets the
/// value (whatever its case or spacing was), a missing keyword gets a line; comments and other
/// lines stay; a second fix changes nothing. A line auditd refuses is named, not touched.
#[test]
fn fix_profile_sets_auditd_conf_keywords_by_minimal_edits() {
    let r = root(None);
    let conf = r.path().join("etc/audit/auditd.conf");
    std::fs::write(
        &conf,
        "# site settings\nlog_file = /var/log/audit/audit.log\nMAX_LOG_FILE_ACTION = ROTATE\nmax_log_file_action = rotate\nspace_left = 75\nadmin_space_left = 50\nspace_left_action = SYSLOG\n",
    )
    .unwrap();
    let p = r.path().to_str().unwrap();
    let (_, out, err) = ag(&["fix", "--root", p, "--profile", "cis-debian12"]);
    let text = std::fs::read_to_string(&conf).unwrap();
    assert_eq!(
        text,
        "# site settings\nlog_file = /var/log/audit/audit.log\nMAX_LOG_FILE_ACTION = ROTATE\nmax_log_file_action = keep_logs\nspace_left = 75\nadmin_space_left = 50\nspace_left_action = email\nmax_log_file = 8\ndisk_full_action = halt\nadmin_space_left_action = single\n",
        "{out}{err}"
    );
    let before = scenario::snapshot(r.path());
    let _ = ag(&["fix", "--root", p, "--profile", "cis-debian12"]);
    assert_eq!(
        scenario::snapshot(r.path()),
        before,
        "second fix changed files"
    );
    let (_, out, _) = ag(&[
        "check",
        "--root",
        p,
        "--profile",
        "cis-debian12",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    validate::report(out.as_bytes());
    for c in v["controls"].as_array().unwrap() {
        if c["id"].as_str().unwrap().starts_with("6.2.2.") {
            assert_eq!(c["verdict"], "pass", "{c}");
        }
    }
    // No auditd.conf at all: fix creates one auditd accepts (space_left above admin_space_left).
    std::fs::remove_file(&conf).unwrap();
    let _ = ag(&["fix", "--root", p, "--profile", "cis-debian12"]);
    let made = auditguard::load::auditd_conf::parse(&std::fs::read(&conf).unwrap());
    assert_eq!(made.refused, None, "{made:?}");
    assert_eq!(made.get("space_left").unwrap().value, "75");
    // A tab-separated line: auditd refuses the file; fix names it and leaves the file alone.
    std::fs::write(&conf, "max_log_file_action\t=\tkeep_logs\n").unwrap();
    let (_, out, _) = ag(&["fix", "--root", p, "--profile", "cis-debian12"]);
    assert!(
        out.contains("auditd refuses /etc/audit/auditd.conf at line 1"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "max_log_file_action\t=\tkeep_logs\n"
    );
}

/// `fix --profile P` then `check --profile P` on a copy of the seed example (examples/debian12)
/// for the RHEL 10 STIG, the 37-item CIS profiles and `ssg`: fix adds no load error, a second
/// fix writes nothing, and every item still failing is named by one of fix's blockers (the
/// seed image lacks /etc/sudoers.d, /etc/security and /var/log, so watches there cannot load).
/// `ssg` holds CaC rules whose values conflict (max_log_file_action keep_logs for the CIS rule,
/// rotate or single for its _stig sibling): fix names the conflict, sets both aside and fixes
/// the rest; where two items accept overlapping values it picks one both accept.
#[test]
fn fix_profile_on_the_seed_example_passes_or_names_blockers() {
    for profile in [
        "stig-rhel9",
        "stig-rhel8",
        "stig-ubuntu2204",
        "stig-ubuntu2404",
        "stig-rhel10",
        "cis-debian12",
        "cis-ubuntu2204",
        "cis-ubuntu2404",
        "cis-rhel9",
        "cis-rhel10",
        "cis-debian13",
        "ssg",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path().join("root");
        let src = format!("{}/examples/debian12", env!("CARGO_MANIFEST_DIR"));
        let cp = std::process::Command::new("cp")
            .args(["-a", &src, r.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(cp.success());
        let p = r.to_str().unwrap();
        let before = rules_errors(&r);
        let (_, out, err) = ag(&["fix", "--root", p, "--profile", profile, "--format", "json"]);
        let fix: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        assert_eq!(rules_errors(&r), before, "{profile}: fix added load errors");
        let snapshot = scenario::snapshot(&r);
        let _ = ag(&["fix", "--root", p, "--profile", profile]);
        assert_eq!(
            scenario::snapshot(&r),
            snapshot,
            "{profile}: second fix changed files"
        );
        let blockers = fix["blockers"].to_string();
        if profile == "ssg" {
            // CIS's keep_logs and the STIG's rotate/single: both items are set aside and
            // named; the plan goes on with the others.
            assert!(
                blockers
                    .contains("max_log_file_action one of rotate, single: no value satisfies both"),
                "{fix:#}"
            );
        }
        let (_, out, _) = ag(&[
            "check",
            "--root",
            p,
            "--profile",
            profile,
            "--format",
            "json",
        ]);
        let check: Value = serde_json::from_str(&out).unwrap();
        for c in check["controls"].as_array().unwrap() {
            if c["verdict"] != "fail" {
                continue;
            }
            let id = c["id"].as_str().unwrap();
            let named = blockers.contains(id)
                || c["requirements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|q| q["events"].as_array().into_iter().flatten())
                    .filter(|e| e["verdict"] != "pass")
                    .any(|e| blockers.contains(e["event"].as_str().unwrap_or("\u{0}")));
            assert!(
                named,
                "{profile}: {id} fails and no blocker names it:\n{c:#}\n{fix:#}"
            );
        }
    }
}
