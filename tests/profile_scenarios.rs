//! Profile scenarios: every `tests/profile/*.scenario` builds a temporary root, runs
//! `auditguard check --root DIR --format json --profile stig-rhel9` (or the scenario's
//! `args:`) and checks the item verdicts and reasons. The format is the one of
//! `tests/scenarios.rs` (sections: `--- host`, `--- file`, ..., plus `--- stig-image`, the
//! files the STIG names, and `--- stig-rules FILE`, the STIG's published lines), with these
//! header lines:
//!
//! ```text
//! verdict: fail                  the report's verdict and the exit code
//! items: pass                    every automated item not named below has this verdict
//!                                (manual items: notchecked)
//! item RHEL-09-654015: fail      one item's verdict
//! item RHEL-09-654015.reason: T  one of its requirement or event reasons contains T
//! item RHEL-09-654015.key: K     every one of its recorded events carries key K
//! args: --profile FILE           arguments instead of `--profile stig-rhel9`
//! not: TEXT                      the whole JSON report does not contain TEXT
//! ```
//!
//! Expectations are the kernel's: each trap below is one whose semantics a probe in
//! `tests/kernel_truth.rs` established (named in the scenario's description).
//! `SCENARIO=substring` runs only the matching scenarios.

#[path = "common/scenario.rs"]
mod scenario;
#[path = "common/validate.rs"]
mod validate;

use assert_cmd::Command;
use scenario::{build, load, Scenario};
use serde_json::Value;
use std::fs;

fn item<'a>(json: &'a Value, id: &str) -> Option<&'a Value> {
    json["controls"]
        .as_array()?
        .iter()
        .find(|c| c["id"].as_str() == Some(id))
}

/// Every reason of an item: its own, its requirements', its events'.
fn reasons(c: &Value) -> Vec<String> {
    let mut out = vec![c["reason"].as_str().unwrap_or("").to_string()];
    for r in c["requirements"].as_array().into_iter().flatten() {
        out.push(r["reason"].as_str().unwrap_or("").to_string());
        for e in r["events"].as_array().into_iter().flatten() {
            out.push(format!(
                "{}: {}",
                e["event"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

fn run(s: &Scenario) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    fs::create_dir(&root).expect("mkdir root");
    build(&root, &s.sections);
    let args: Vec<String> = if s.args.is_empty() {
        vec!["--profile".into(), "stig-rhel9".into()]
    } else {
        s.args.clone()
    };
    let out = Command::cargo_bin("auditguard")
        .expect("binary")
        .arg("check")
        .arg("--root")
        .arg(&root)
        .args(["--format", "json"])
        .args(&args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("run auditguard");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_str(&stdout)
        .map_err(|e| format!("no JSON report ({e}):\n{stdout}\n{stderr}"))?;
    validate::later(stdout.as_bytes());
    let mut problems = Vec::new();
    let mut named = Vec::new();
    for (k, v) in &s.expects {
        if let Some(rest) = k.strip_prefix("item ") {
            let (id, what) = match rest.rsplit_once('.') {
                Some((id, w)) if matches!(w, "reason" | "key" | "verdict") => (id, w),
                _ => (rest, "verdict"),
            };
            named.push(id.to_string());
            let Some(c) = item(&json, id) else {
                problems.push(format!("no item {id} in the report"));
                continue;
            };
            match what {
                "verdict" if c["verdict"] != v.as_str() => problems.push(format!(
                    "item {id}: want {v}, got {} ({})",
                    c["verdict"],
                    reasons(c).join(" | ")
                )),
                "reason" if !reasons(c).iter().any(|r| r.contains(v.as_str())) => {
                    problems.push(format!(
                        "item {id}: no reason contains {v:?}: {}",
                        reasons(c).join(" | ")
                    ))
                }
                "key" => {
                    for r in c["requirements"].as_array().into_iter().flatten() {
                        for e in r["events"].as_array().into_iter().flatten() {
                            if e["verdict"] == "pass" && e["key"] != v.as_str() {
                                problems.push(format!(
                                    "item {id}: {} carries key {}, want {v}",
                                    e["event"], e["key"]
                                ));
                            }
                        }
                    }
                }
                "verdict" | "reason" => {}
                other => problems.push(format!("unknown expectation item {id}.{other}")),
            }
        }
    }
    for (k, v) in &s.expects {
        match k.as_str() {
            "verdict" => {
                if json["verdict"] != v.as_str() {
                    problems.push(format!("verdict: want {v}, got {}", json["verdict"]));
                }
                // A report whose worst verdict is notchecked (manual items) exits 0 like a pass.
                let want = if v == "pass" || v == "notchecked" {
                    0
                } else {
                    1
                };
                if out.status.code() != Some(want) {
                    problems.push(format!("exit {:?}, want {want}", out.status.code()));
                }
            }
            "items" => {
                for c in json["controls"].as_array().into_iter().flatten() {
                    let id = c["id"].as_str().unwrap_or("");
                    let want = if c["item"]["manual"].is_string() {
                        "notchecked"
                    } else {
                        v.as_str()
                    };
                    if !named.iter().any(|n| n == id) && c["verdict"] != want {
                        problems.push(format!(
                            "item {id}: want {want} (items:), got {}: {}",
                            c["verdict"],
                            reasons(c).join(" | ")
                        ));
                    }
                }
            }
            "not" if stdout.contains(v.as_str()) => {
                problems.push(format!("the report contains {v:?}"))
            }
            _ => {}
        }
    }
    if std::env::var_os("SCENARIO_SHOW").is_some() {
        eprintln!("=== {}\n{stdout}{stderr}", s.name);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn profile_scenarios() {
    let filter = std::env::var("SCENARIO").unwrap_or_default();
    let files = scenario::scenario_files("tests/profile");
    assert!(files.len() >= 15, "only {} profile scenarios", files.len());
    let mut failed = Vec::new();
    for path in files {
        let s = load(&path);
        if !s.name.contains(&filter) {
            continue;
        }
        if let Err(e) = run(&s) {
            failed.push(format!("=== {} ({})\n{e}", s.name, path.display()));
        }
    }
    let valid = validate::flush();
    eprintln!("{valid} JSON reports valid against schemas/check-1.json");
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
