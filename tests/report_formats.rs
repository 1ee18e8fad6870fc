//! The report formats of `check` (SARIF, JUnit, XCCDF, HDF, JSON) and the JSON of the other
//! commands, each validated by an independent validator against the format's published
//! schema (`schemas/external/`: OASIS SARIF 2.1.0, Jenkins junit-10.xsd, MITRE HDF
//! exec-json; OpenSCAP's XCCDF 1.2 schema and schematron, and its ARF 1.1 validation;
//! auditguard's own `schemas/*.json`),
//! on the bundled examples and on profile runs; and SARIF on a rules.d kept in a git
//! checkout, whose locations must point at the right files and lines.

mod common;

use assert_cmd::Command;
use common::validate;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn auditguard() -> Command {
    let mut c = Command::cargo_bin("auditguard").expect("binary");
    c.env_remove("NO_COLOR");
    c
}

fn example(name: &str) -> PathBuf {
    validate::repo().join("examples").join(name)
}

/// `check --root ROOT [ARGS] --format FORMAT`: the report (exit 0 or 1, never 2).
fn check(root: &Path, format: &str, args: &[&str]) -> Vec<u8> {
    let out = auditguard()
        .arg("check")
        .arg("--root")
        .arg(root)
        .args(args)
        .args(["--format", format])
        .output()
        .expect("run auditguard");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "check {args:?} --format {format}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The runs every format is validated on: both examples with the default control, and
/// profile runs (a STIG and a CIS benchmark).
fn runs() -> Vec<(PathBuf, Vec<&'static str>)> {
    vec![
        (example("debian12"), vec![]),
        (example("compliant"), vec![]),
        (example("debian12"), vec!["--profile", "stig-rhel9"]),
        (example("compliant"), vec!["--profile", "stig-rhel9"]),
        (example("debian12"), vec!["--profile", "cis-debian12"]),
    ]
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let schema = validate::schema("schemas/external/sarif-schema-2.1.0.json");
    for (root, args) in runs() {
        let doc = check(&root, "sarif", &args);
        let v: Value = serde_json::from_slice(&doc).expect("SARIF is JSON");
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "auditguard");
        assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        for r in run["results"].as_array().expect("results") {
            let id = r["ruleId"].as_str().expect("ruleId");
            let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
            assert!(r["locations"][0]["physicalLocation"].is_object(), "{r}");
        }
        if !validate::json(&schema, &doc) {
            return;
        }
    }
}

#[test]
fn sarif_rules_carry_the_benchmark_references() {
    let doc = check(&example("debian12"), "sarif", &["--profile", "stig-rhel9"]);
    let v: Value = serde_json::from_slice(&doc).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let json: Value = serde_json::from_slice(&check(
        &example("debian12"),
        "json",
        &["--profile", "stig-rhel9"],
    ))
    .unwrap();
    let items = json["controls"].as_array().unwrap().len();
    assert_eq!(rules.len(), items, "one rule per item");
    let r = rules
        .iter()
        .find(|r| r["id"] == "RHEL-09-654015")
        .expect("the chmod item");
    let p = &r["properties"];
    assert_eq!(p["stig_id"][0], "RHEL-09-654015");
    assert_eq!(p["vuln"][0], "V-258177");
    assert!(p["cci"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "CCI-000130"));
    assert!(p["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "V-258177"));
    assert!(r["help"]["text"].as_str().unwrap().contains("CCI-000130"));
    let cis = check(
        &example("debian12"),
        "sarif",
        &["--profile", "cis-debian12"],
    );
    let v: Value = serde_json::from_slice(&cis).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|r| r["properties"]["cis"][0] == r["id"]));
}

#[test]
fn junit_is_valid_against_junit_10_xsd() {
    let xsd = validate::schema("schemas/external/junit-10.xsd");
    for (root, args) in runs() {
        let doc = check(&root, "junit", &args);
        let text = String::from_utf8(doc.clone()).expect("UTF-8");
        assert!(text.contains("<testsuites"), "{text}");
        if !args.is_empty() {
            // One suite for the profile, one case per item.
            assert_eq!(text.matches("<testsuite ").count(), 1);
            assert!(text.contains("<testcase name=\""));
        }
        if !validate::xsd(&xsd, &doc) {
            return;
        }
    }
}

#[test]
fn junit_failures_carry_the_reason() {
    let doc = check(&example("debian12"), "junit", &[]);
    let text = String::from_utf8(doc).unwrap();
    assert!(
        text.contains("<failure message=\"2 of 4 events not recorded with a key"),
        "{text}"
    );
    assert!(text.contains("30-noise.rules:4"), "{text}");
    let ok = check(&example("compliant"), "junit", &[]);
    let ok = String::from_utf8(ok).unwrap();
    assert!(ok.contains("failures=\"0\""), "{ok}");
}

#[test]
fn xccdf_passes_oscap_validate() {
    for (root, args) in runs() {
        let doc = check(&root, "xccdf", &args);
        let text = String::from_utf8(doc.clone()).expect("UTF-8");
        assert!(text.contains("<TestResult "), "{text}");
        if !validate::xccdf(&doc) {
            return;
        }
        let arf = check(&root, "arf", &args);
        let text = String::from_utf8(arf.clone()).expect("UTF-8");
        assert!(text.contains("<arf:asset-report-collection"), "{text}");
        validate::arf(&arf);
    }
}

#[test]
fn xccdf_uses_the_ssg_rule_ids() {
    let doc = check(&example("debian12"), "xccdf", &["--profile", "stig-rhel9"]);
    let text = String::from_utf8(doc).unwrap();
    assert!(
        text.contains(
            "<rule-result idref=\"xccdf_org.ssgproject.content_rule_audit_rules_dac_modification_chmod\""
        ),
        "{text}"
    );
    assert!(text.contains("<ident system=\"http://cyber.mil/cci\">CCI-000130</ident>"));
    assert!(text.contains("<score system=\"urn:xccdf:scoring:default\" maximum=\"100\">"));
    assert!(text.contains("start-time=\"") && text.contains("end-time=\""));
}

#[test]
fn hdf_is_valid_against_mitre_exec_json() {
    let schema = validate::schema("schemas/external/hdf-exec-json.json");
    for (root, args) in runs() {
        let doc = check(&root, "hdf", &args);
        let v: Value = serde_json::from_slice(&doc).expect("HDF is JSON");
        assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
        if !validate::json(&schema, &doc) {
            return;
        }
    }
    let doc = check(&example("debian12"), "hdf", &["--profile", "stig-rhel9"]);
    let v: Value = serde_json::from_slice(&doc).unwrap();
    let controls = v["profiles"][0]["controls"].as_array().unwrap();
    let c = controls
        .iter()
        .find(|c| c["id"] == "V-258177")
        .expect("by V-ID");
    assert_eq!(c["tags"]["gid"], "V-258177");
    assert_eq!(c["tags"]["stig_id"], "RHEL-09-654015");
    assert!(c["tags"]["cci"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "CCI-000130"));
    for c in controls {
        for r in c["results"].as_array().unwrap() {
            let s = r["status"].as_str().unwrap();
            assert!(["passed", "failed", "skipped", "error"].contains(&s), "{s}");
        }
    }
}

#[test]
fn check_json_is_valid_against_its_schema() {
    for (root, args) in runs() {
        let doc = check(&root, "json", &args);
        let v: Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(v["tool"]["name"], "auditguard");
        assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(v["started"].as_str().unwrap().ends_with('Z'));
        assert!(v["finished"].as_str().unwrap().ends_with('Z'));
        assert!(v["machine"].is_string() && v["target"].is_string());
        if !validate::report(&doc) {
            return;
        }
    }
}

/// A copy of an example root at `root` (created), symlinks and modes kept.
fn copy_example(name: &str, root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    let cp = std::process::Command::new("cp")
        .arg("-a")
        .arg(example(name).join("."))
        .arg(root)
        .status()
        .unwrap();
    assert!(cp.success());
}

/// A copy of an example root inside a fresh git checkout, at `hosts/web1`.
fn checkout_with(example_name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let root = repo.join("hosts/web1");
    copy_example(example_name, &root);
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .status();
    if !git.is_ok_and(|s| s.success()) {
        // Without git, the checkout is what makes one: a .git directory.
        std::fs::create_dir_all(repo.join(".git")).unwrap();
    }
    (dir, repo)
}

#[test]
fn sarif_locations_in_a_git_checkout_point_at_the_files_and_lines() {
    let (_dir, repo) = checkout_with("debian12");
    let root = repo.join("hosts/web1");
    let doc = check(&root, "sarif", &[]);
    let v: Value = serde_json::from_slice(&doc).unwrap();
    let run = &v["runs"][0];
    let base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with("/repo/"),
        "{base}"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "the one failing control");
    let r = &results[0];
    assert_eq!(r["ruleId"], "kernel-module-loading");
    let mut locations = vec![&r["locations"][0]];
    locations.extend(r["relatedLocations"].as_array().into_iter().flatten());
    let mut seen = Vec::new();
    for l in locations {
        let p = &l["physicalLocation"];
        assert_eq!(p["artifactLocation"]["uriBaseId"], "SRCROOT");
        let uri = p["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("hosts/web1/etc/audit/rules.d/"), "{uri}");
        let line = p["region"]["startLine"].as_u64().unwrap() as usize;
        let text = std::fs::read_to_string(repo.join(uri)).unwrap();
        let at = text.lines().nth(line - 1).expect("the line exists");
        assert_eq!(
            at,
            p["region"]["snippet"]["text"].as_str().unwrap(),
            "{uri}:{line}"
        );
        seen.push(format!("{uri}:{line}"));
    }
    // The never rule that swallows b32 module loads, and the watches on symlinks.
    assert_eq!(
        seen[0], "hosts/web1/etc/audit/rules.d/30-noise.rules:4",
        "{seen:?}"
    );
    assert!(seen.contains(&"hosts/web1/etc/audit/rules.d/50-modules.rules:3".to_string()));
    // The fix suggestion: byte regions of the files as they are; applied, the control passes.
    let changes = r["fixes"][0]["artifactChanges"].as_array().expect("a fix");
    for change in changes {
        let uri = change["artifactLocation"]["uri"].as_str().unwrap();
        let path = repo.join(uri);
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        let mut reps: Vec<&Value> = change["replacements"].as_array().unwrap().iter().collect();
        reps.sort_by_key(|r| std::cmp::Reverse(r["deletedRegion"]["byteOffset"].as_u64()));
        for rep in reps {
            let off = rep["deletedRegion"]["byteOffset"].as_u64().unwrap() as usize;
            let len = rep["deletedRegion"]["byteLength"].as_u64().unwrap() as usize;
            let ins = rep["insertedContent"]["text"].as_str().unwrap_or("");
            bytes.splice(off..off + len, ins.bytes());
        }
        std::fs::write(&path, bytes).unwrap();
    }
    let after = check(&root, "json", &[]);
    let after: Value = serde_json::from_slice(&after).unwrap();
    assert_eq!(after["controls"][0]["verdict"], "pass", "{after:#}");
    validate::json(
        &validate::schema("schemas/external/sarif-schema-2.1.0.json"),
        &doc,
    );
}

#[test]
fn sarif_outside_a_checkout_is_relative_to_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("img");
    copy_example("debian12", &root);
    let doc = check(&root, "sarif", &[]);
    let v: Value = serde_json::from_slice(&doc).unwrap();
    let loc = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "ROOT");
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "etc/audit/rules.d/30-noise.rules"
    );
}

#[test]
fn output_file_gets_the_format_and_the_terminal_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.sarif");
    let out = auditguard()
        .args(["check", "--format", "sarif", "-o"])
        .arg(&file)
        .arg("--root")
        .arg(example("debian12"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("result: FAIL"), "{text}");
    let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    // -q: nothing on the terminal, the file still written, the exit status the verdict.
    std::fs::remove_file(&file).unwrap();
    let out = auditguard()
        .args(["-q", "check", "--format", "junit", "-o"])
        .arg(&file)
        .arg("--root")
        .arg(example("debian12"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("<testsuites"));
    // An unwritable -o is an error naming the file.
    auditguard()
        .args(["check", "-o", "/nonexistent/dir/r.json", "--root"])
        .arg(example("debian12"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("/nonexistent/dir/r.json"));
}

#[test]
fn color_always_and_never() {
    let run = |args: &[&str]| {
        let out = auditguard()
            .args(args)
            .arg("--root")
            .arg(example("debian12"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&["check", "--color", "always"]).contains("\x1b["));
    assert!(!run(&["check", "--color", "never"]).contains("\x1b["));
    // auto: not a terminal here, so none.
    assert!(!run(&["check"]).contains("\x1b["));
}

#[test]
fn verbose_lists_every_failing_event() {
    let run = |v: bool| {
        let mut c = auditguard();
        if v {
            c.arg("-v");
        }
        let out = c
            .args(["check", "--profile", "stig-rhel9", "--root"])
            .arg(example("debian12"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let (short, long) = (run(false), run(true));
    assert!(
        short.contains("more (-v or --format json lists every event)"),
        "{short}"
    );
    assert!(!long.contains("more (-v"), "{long}");
    assert!(long.len() > short.len());
}

#[test]
fn fix_json_is_valid_against_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("img");
    copy_example("debian12", &root);
    for args in [
        &["--dry-run"][..],
        &["--dry-run", "--profile", "stig-rhel9"],
        &[],
    ] {
        let out = auditguard()
            .args(["fix", "--format", "json", "--root"])
            .arg(&root)
            .args(args)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).expect("fix JSON");
        assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["machine"], "x86_64");
        if !validate::report(&out.stdout) {
            return;
        }
    }
}

#[test]
fn verify_json_shape_is_valid_against_its_schema() {
    // verify needs the live kernel; its JSON document is validated as the library builds it.
    use auditguard::control::finding::Verdict;
    use auditguard::report::verify::{json, ProbeFinding, VerifyReport, VERIFY_SCHEMA};
    let r = VerifyReport {
        schema: VERIFY_SCHEMA,
        run: auditguard::report::RunInfo::ended_now(std::time::SystemTime::now(), Some("h".into())),
        target: "/",
        machine: "x86_64".into(),
        verdict: Verdict::Fail,
        reason: "1 required event(s) did not come out with a key".into(),
        probe_loginuid: 4242,
        events: vec![
            ProbeFinding {
                control: "kernel-module-loading".into(),
                requirement: "module-syscalls".into(),
                event: "b64 init_module".into(),
                verdict: Verdict::Pass,
                key: Some(auditguard::report::ByteString(b"modules\xff".to_vec())),
                reason: "seen with key modules".into(),
                advice: false,
            },
            ProbeFinding {
                control: "kernel-module-loading".into(),
                requirement: "module-syscalls".into(),
                event: "b32 init_module".into(),
                verdict: Verdict::Fail,
                key: None,
                reason: "no record".into(),
                advice: false,
            },
        ],
        warnings: vec!["w".into()],
        elapsed_ms: 5,
    };
    validate::report(json(&r).as_bytes());
}

#[test]
fn status_json_is_valid_against_its_schema() {
    let out = auditguard()
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!(
            "skipped: status needs root and kernel audit: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tool"]["name"], "auditguard");
    validate::report(&out.stdout);
}

#[test]
fn listing_json_is_valid_against_its_schemas() {
    let d12 = example("debian12");
    let run = |args: &[&str]| {
        let out = auditguard().args(args).output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let root = d12.to_str().unwrap();
    let rules = run(&["rules", "--root", root, "--format", "json"]);
    let v: Value = serde_json::from_slice(&rules).unwrap();
    // The rules' texts are the text listing, line for line, each with its origin.
    let text = String::from_utf8(run(&["rules", "--root", root])).unwrap();
    let listed: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(listed, text.lines().collect::<Vec<_>>());
    assert!(v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["origin"]["file"].is_string()));
    let merge = run(&["merge", "--root", root, "--format", "json"]);
    let m: Value = serde_json::from_slice(&merge).unwrap();
    assert_eq!(
        m["text"].as_str().unwrap(),
        String::from_utf8(run(&["merge", "--root", root])).unwrap()
    );
    let docs = [
        rules,
        merge,
        run(&["controls", "--format", "json"]),
        run(&["controls", "--profile", "stig-rhel9", "--format", "json"]),
        run(&["controls", "--profile", "cis-debian12", "--format", "json"]),
        run(&["profiles", "--format", "json"]),
    ];
    for doc in &docs {
        validate::later(doc);
    }
    validate::flush();
}

#[test]
fn man_page_and_completions_come_from_the_cli_definition() {
    let man = auditguard().arg("man").output().unwrap();
    assert!(man.status.success());
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH auditguard"),
        "{page}"
    );
    assert!(
        page.contains("Exit status"),
        "the exit codes are in the man page"
    );
    let check =
        String::from_utf8(auditguard().args(["man", "check"]).output().unwrap().stdout).unwrap();
    assert!(
        check.contains(".TH auditguard-check") && check.contains("sarif"),
        "{check}"
    );
    auditguard().args(["man", "nosuch"]).assert().code(2);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = auditguard().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("auditguard"), "{shell}");
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(
                script.contains("sarif"),
                "{shell}: the format values complete"
            );
        }
    }
    if let Ok(out) = std::process::Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(
            String::from_utf8(
                auditguard()
                    .args(["completions", "bash"])
                    .output()
                    .unwrap()
                    .stdout,
            )
            .unwrap(),
        )
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The exit codes, documented once, are in --help too.
    let help = String::from_utf8(auditguard().arg("--help").output().unwrap().stdout).unwrap();
    assert!(
        help.contains("Exit status:") && help.contains("could not evaluate"),
        "{help}"
    );
}

#[test]
fn help_wraps_to_the_terminal_width() {
    let help = |cols: &str| {
        let out = auditguard()
            .env("COLUMNS", cols)
            .args(["check", "--help"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let narrow = help("60");
    assert!(narrow.lines().all(|l| l.chars().count() <= 60), "{narrow}");
    let wide = help("200");
    assert!(wide.lines().count() < narrow.lines().count());
}
