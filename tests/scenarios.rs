//! Seed-control scenarios: every `tests/scenarios/*.scenario` file builds a temporary root,
//! runs `auditguard check --root DIR --format json` on it and checks the verdicts, reasons,
//! evidence, advice and load errors it names, and the exit code (0 pass, 1 fail, 2 error).
//!
//! # The scenario format
//!
//! A scenario is a header, then sections. The header:
//!
//! ```text
//! # What the scenario is about (any number of `#` lines: the description).
//! verdict: fail                     control verdict, top-level verdict and exit code
//! module-syscalls: fail             a requirement's verdict
//! module-syscalls.reason: TEXT      the requirement's reason, or one of its events', contains TEXT
//! module-syscalls.evidence: TEXT    one of its evidence items (`file:line: text`) contains TEXT
//! event b32 init_module: fail       one event's verdict (the event label as the report names it)
//! event b32 init_module.reason: T   ... its reason contains T
//! event b64 init_module.key: K      ... the key it is recorded with is K
//! reason: TEXT                      some reason anywhere (control, requirement, event, loader)
//! evidence: TEXT                    some evidence item anywhere
//! advice: TEXT / no-advice: TEXT    some advice message contains / no advice message contains
//! load-error: TEXT                  some load error (`file:line: message: text`) contains TEXT
//! load-errors: N                    exactly N load errors
//! loader: auditctl                  the detected loader mode
//! not: TEXT                         the whole JSON report does not contain TEXT
//! args: --arch i386                 extra arguments for `check`
//! (values take the same escapes as file lines: `\r` is a CR)
//! known-bug: ONE LINE               the expectation is right but the code is not (yet): the
//!                                   scenario runs and reports, but does not fail the suite
//! ```
//!
//! Sections start with `--- `:
//!
//! ```text
//! --- file /etc/audit/rules.d/x.rules [mode=0644] [noeol]
//! exact lines; escapes \r \t \0 \\ \xNN; other backslashes stay as they are;
//! trailing blank lines of a section are dropped, every line ends with \n unless noeol
//! --- symlink /usr/sbin/insmod -> ../bin/kmod
//! --- dir /etc/audit/rules.d/sub
//! --- host augenrules|auditctl|auditctl-dropin|audit4|none
//!       a merged-/usr Debian-like root: /bin -> usr/bin, /sbin -> usr/sbin, x86_64 ELF
//!       /usr/bin/sh, login.defs UID_MIN 1000, passwd, insmod/rmmod/modprobe as regular files
//!       in /usr/sbin, an empty /etc/audit/rules.d, and the loader's systemd unit(s)
//! --- unit augenrules|auditctl|auditctl-dropin|audit4     (just the unit files)
//! --- elf x86_64|i386|aarch64 [PATH]                      (default /usr/bin/sh)
//! --- login.defs UID_MIN
//! --- passwd
//! --- kmod            insmod, rmmod, modprobe as symlinks to ../bin/kmod (Debian's layout)
//! --- tool-watches FILE     the three `-w /usr/sbin/TOOL -p x -k modules` lines
//! --- module-rules FILE     the canonical b64 and b32 module syscall rules
//! --- remove PATH
//! ```
//!
//! `SCENARIO=substring cargo test --test scenarios` runs only the matching scenarios;
//! `SCENARIO_SHOW=1` prints every report (with `-- --nocapture`).

#[path = "common/scenario.rs"]
mod scenario;
#[path = "common/validate.rs"]
mod validate;

use assert_cmd::Command;
use scenario::{build, load, parse_scenario, unescape, Scenario, Section};
use serde_json::Value;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

/// Scenarios the suite must have, at least.
const MIN_SCENARIOS: usize = 45;

/// Evidence items as `file:line: text`.
fn evidence_of(v: &Value) -> Vec<String> {
    v["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}:{}: {}",
                e["file"].as_str().unwrap_or(""),
                e["line"],
                e["text"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn str_of(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or("").to_string()
}

/// Everything a scenario can look at, flattened.
struct Report {
    json: Value,
    raw: String,
}

impl Report {
    fn control(&self) -> &Value {
        &self.json["controls"][0]
    }
    fn requirement(&self, id: &str) -> Option<&Value> {
        self.control()["requirements"]
            .as_array()?
            .iter()
            .find(|r| r["id"] == id)
    }
    fn events(&self) -> Vec<&Value> {
        self.control()["requirements"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["events"].as_array().into_iter().flatten())
            .collect()
    }
    fn event(&self, label: &str) -> Option<&Value> {
        self.events().into_iter().find(|e| e["event"] == label)
    }
    fn reasons(&self) -> Vec<String> {
        let mut out = vec![
            str_of(self.control(), "reason"),
            str_of(&self.json["loader"], "reason"),
        ];
        for r in self.control()["requirements"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.push(str_of(r, "reason"));
        }
        out.extend(self.events().iter().map(|e| str_of(e, "reason")));
        out
    }
    fn all_evidence(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in self.control()["requirements"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.extend(evidence_of(r));
        }
        for e in self.events() {
            out.extend(evidence_of(e));
        }
        out
    }
    fn advice(&self) -> Vec<String> {
        let top = self.json["advice"].as_array().into_iter().flatten();
        let per = self.json["controls"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["advice"].as_array().into_iter().flatten());
        top.chain(per)
            .map(|a| {
                let mut s = str_of(a, "message");
                if !a["evidence"].is_null() {
                    let _ = write!(
                        s,
                        " at {}:{}: {}",
                        str_of(&a["evidence"], "file"),
                        a["evidence"]["line"],
                        str_of(&a["evidence"], "text")
                    );
                }
                s
            })
            .collect()
    }
    fn load_errors(&self) -> Vec<String> {
        self.json["load_errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                format!(
                    "{}:{}: {}: {}",
                    str_of(e, "file"),
                    e["line"],
                    str_of(e, "message"),
                    str_of(e, "text")
                )
            })
            .collect()
    }
}

fn contains(haystack: &[String], needle: &str) -> bool {
    haystack.iter().any(|h| h.contains(needle))
}

fn show(items: &[String]) -> String {
    if items.is_empty() {
        return "  (none)".to_string();
    }
    items.iter().map(|i| format!("  | {i}\n")).collect()
}

/// Check one expectation; `Err` says what was wrong.
fn check_one(r: &Report, key: &str, want: &str) -> Result<(), String> {
    let verdict_of = |v: Option<&Value>| v.map(|v| str_of(v, "verdict"));
    let expect_eq = |what: &str, got: Option<String>| match got {
        Some(g) if g == want => Ok(()),
        Some(g) => Err(format!("{what}: want {want}, got {g}")),
        None => Err(format!("{what}: not in the report")),
    };
    let expect_in = |what: &str, items: Vec<String>| {
        if contains(&items, want) {
            Ok(())
        } else {
            Err(format!(
                "{what}: none contains {want:?}; got:\n{}",
                show(&items)
            ))
        }
    };
    match key {
        "verdict" => {
            expect_eq("verdict", Some(str_of(&r.json, "verdict")))?;
            expect_eq("control verdict", verdict_of(Some(r.control())))
        }
        "reason" => expect_in("reasons", r.reasons()),
        "evidence" => expect_in("evidence", r.all_evidence()),
        "advice" => expect_in("advice", r.advice()),
        "no-advice" => match r.advice().iter().find(|a| a.contains(want)) {
            None => Ok(()),
            Some(a) => Err(format!("advice: unexpected {a:?}")),
        },
        "load-error" => expect_in("load_errors", r.load_errors()),
        "load-errors" => {
            let got = r.load_errors();
            if got.len().to_string() == want {
                Ok(())
            } else {
                Err(format!("load_errors: want {want}, got:\n{}", show(&got)))
            }
        }
        "loader" => expect_eq("loader.mode", Some(str_of(&r.json["loader"], "mode"))),
        "not" => {
            if r.raw.contains(want) {
                Err(format!("report contains {want:?}"))
            } else {
                Ok(())
            }
        }
        _ => {
            if let Some(label) = key.strip_prefix("event ") {
                let (label, field) = match label.rsplit_once('.') {
                    Some((l, f)) if ["reason", "key", "evidence"].contains(&f) => (l, Some(f)),
                    _ => (label, None),
                };
                let ev = r.event(label);
                let Some(ev) = ev else {
                    let labels: Vec<String> =
                        r.events().iter().map(|e| str_of(e, "event")).collect();
                    return Err(format!(
                        "event {label:?} not in the report; events:\n{}",
                        show(&labels)
                    ));
                };
                return match field {
                    None => expect_eq(key, verdict_of(Some(ev))),
                    Some("reason") => expect_in(key, vec![str_of(ev, "reason")]),
                    Some("key") => expect_eq(key, ev["key"].as_str().map(str::to_string)),
                    Some(_) => expect_in(key, evidence_of(ev)),
                };
            }
            let (id, field) = key.split_once('.').unwrap_or((key, ""));
            let Some(req) = r.requirement(id) else {
                return Err(format!("requirement {id:?} not in the report"));
            };
            let mut events = req["events"].as_array().cloned().unwrap_or_default();
            match field {
                "" => expect_eq(key, verdict_of(Some(req))),
                "reason" => {
                    let mut rs = vec![str_of(req, "reason")];
                    rs.extend(events.iter().map(|e| str_of(e, "reason")));
                    expect_in(key, rs)
                }
                "evidence" => {
                    let mut es = evidence_of(req);
                    es.extend(events.drain(..).flat_map(|e| evidence_of(&e)));
                    expect_in(key, es)
                }
                other => Err(format!("unknown expectation field {other:?}")),
            }
        }
    }
}

fn binary() -> Command {
    Command::cargo_bin("auditguard").expect("the auditguard binary is built")
}

/// Run a scenario; `Err` lists every unmet expectation.
fn run(s: &Scenario) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    fs::create_dir(&root).expect("mkdir root");
    build(&root, &s.sections);
    let out = binary()
        .arg("check")
        .arg("--root")
        .arg(&root)
        .args(["--format", "json"])
        .args(&s.args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("run auditguard");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut problems = Vec::new();
    if stderr.contains("panicked") {
        problems.push(format!("panic:\n{stderr}"));
    }
    let json: Value = match serde_json::from_str(&stdout) {
        Ok(v) => {
            validate::later(stdout.as_bytes());
            v
        }
        Err(e) => {
            return Err(format!(
                "no JSON report ({e}); exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                out.status.code()
            ))
        }
    };
    if json["schema"] != "auditguard/check/1" {
        problems.push(format!("schema: {}", json["schema"]));
    }
    if std::env::var_os("SCENARIO_SHOW").is_some() {
        eprintln!("=== {}\n{stdout}{stderr}", s.name);
    }
    let report = Report { json, raw: stdout };
    for (k, v) in &s.expects {
        if let Err(e) = check_one(&report, k, v) {
            problems.push(e);
        }
    }
    if let Some((_, v)) = s.expects.iter().find(|(k, _)| k == "verdict") {
        let want = match v.as_str() {
            "pass" => 0,
            "fail" => 1,
            _ => 2,
        };
        if out.status.code() != Some(want) {
            problems.push(format!(
                "exit code: want {want}, got {:?}",
                out.status.code()
            ));
        }
    } else {
        problems.push("scenario has no `verdict:` line".to_string());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n--- report ---\n{}\n--- stderr ---\n{stderr}",
            problems.join("\n"),
            report.raw
        ))
    }
}

fn scenario_files() -> Vec<PathBuf> {
    scenario::scenario_files("tests/scenarios")
}

#[test]
fn scenarios() {
    let filter = std::env::var("SCENARIO").unwrap_or_default();
    let mut failed = Vec::new();
    let mut summary = String::new();
    let (mut passed, mut known, mut fixed) = (0, 0, 0);
    for path in scenario_files() {
        let s = load(&path);
        if !s.name.contains(&filter) {
            continue;
        }
        let result = run(&s);
        match (&s.known_bug, result) {
            (None, Ok(())) => passed += 1,
            (None, Err(e)) => {
                let _ = writeln!(summary, "FAIL {}: {}", s.name, s.description);
                failed.push(format!("=== {} ({})\n{e}", s.name, path.display()));
            }
            (Some(bug), Err(e)) => {
                known += 1;
                let first = e.lines().next().unwrap_or("").to_string();
                let _ = writeln!(summary, "KNOWN BUG {}: {bug}\n    {first}", s.name);
            }
            (Some(bug), Ok(())) => {
                fixed += 1;
                let _ = writeln!(
                    summary,
                    "FIXED? {} now meets its expectations; remove `known-bug: {bug}`",
                    s.name
                );
            }
        }
    }
    eprintln!(
        "{summary}scenarios: {passed} pass, {} fail, {known} known bugs, {fixed} known bugs now passing",
        failed.len()
    );
    let valid = validate::flush();
    eprintln!("{valid} JSON reports valid against schemas/check-1.json");
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn there_are_enough_scenarios_and_all_parse() {
    let files = scenario_files();
    assert!(
        files.len() >= MIN_SCENARIOS,
        "only {} scenarios, want at least {MIN_SCENARIOS}",
        files.len()
    );
    for f in files {
        let s = load(&f);
        assert!(!s.description.is_empty(), "{}: no description", s.name);
        assert!(
            s.expects.iter().any(|(k, _)| k == "verdict"),
            "{}: no verdict",
            s.name
        );
    }
}

#[test]
fn format_escapes() {
    assert_eq!(unescape(r"-k modules\r"), b"-k modules\r");
    assert_eq!(unescape(r"-a\talways"), b"-a\talways");
    assert_eq!(unescape(r"a\\b\ c\x7f\0"), b"a\\b\\ c\x7f\0");
    let s = parse_scenario(
        "t",
        "# d\nverdict: pass\n--- file /x noeol\na\n\n--- symlink /y -> z\n",
    );
    match &s.sections[0] {
        Section::File { bytes, .. } => assert_eq!(bytes, b"a"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(&s.sections[1], Section::Symlink { target, .. } if target == "z"));
}
