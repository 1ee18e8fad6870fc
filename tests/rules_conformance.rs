//! `auditguard rules --file F` equals what the real `auditctl -R F` leaves in this machine's
//! kernel, as the real `auditctl -l` prints it — for every file of Debian's shipped examples
//! and for combinations of them, including the stop at the first bad line and duplicates.
//!
//! The real answers (exit status of `auditctl -R F`, then `auditctl -l`) and the example files
//! they were given are recorded in `tests/golden/rules_conformance.json` with their provenance.
//! We are always compared with that record, so the test proves parity without root or kernel
//! audit; with them, the real auditctl is asked again and must still agree
//! (`AUDITGUARD_REGENERATE_GOLDEN=1` rewrites the record).
//!
//! Kernel safety: the live part runs inside `common::with_kernel` (shared flock, no rules
//! and `enabled 0` inside, the host's state restored after), and status lines (`-e`, `-f`, `-b`, `-r`,
//! `--backlog_wait_time`, `--loginuid-immutable`) are dropped so no shared setting changes and
//! nothing can lock.

mod common;

use common::golden::{self, Golden, Provenance};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const GOLDEN: &str = "rules_conformance";

/// What loading one case gave: exit status of `-R` and the listing.
#[derive(Clone, Debug, PartialEq)]
struct Answer {
    status: i32,
    listing: String,
}

/// Write `text` to a root-owned (when root) 0600 file for `auditctl -R` and `rules --file`.
fn rules_file(name: &str, text: &str, dir: &std::path::Path) -> String {
    let path = dir.join(format!("{}.rules", name.replace('+', "_")));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    drop(f);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.to_str().unwrap().to_string()
}

/// The real `auditctl -R F; auditctl -l` (kernel, root).
fn real(name: &str, text: &str, dir: &std::path::Path) -> Answer {
    let p = rules_file(name, text, dir);
    common::with_kernel(|| {
        let (status, _, _) = common::auditctl(&["-R", &p]);
        let (_, listing, _) = common::auditctl(&["-l"]);
        Answer { status, listing }
    })
}

/// How to run our binary so that the files this test writes are owned by root, as
/// `auditctl -R` (and so `rules --file`) demands: directly as root, else in a user namespace
/// that maps us to root (`unshare -r`); `None` when neither is possible.
fn as_root_owner() -> Option<Vec<&'static str>> {
    if golden::is_root() {
        return Some(vec![]);
    }
    let userns = Command::new("unshare")
        .args(["-r", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    userns.then(|| vec!["unshare", "-r"])
}

/// `auditguard rules --file F` run through `prefix`: (answer, stderr).
fn ours(name: &str, text: &str, dir: &std::path::Path, prefix: &[&str]) -> (Answer, String) {
    let p = rules_file(name, text, dir);
    let bin = env!("CARGO_BIN_EXE_auditguard");
    let mut command: Vec<&str> = prefix.to_vec();
    command.extend([bin, "rules", "--file", &p]);
    let out = Command::new(command[0])
        .args(&command[1..])
        .output()
        .unwrap();
    (
        Answer {
            status: out.status.code().unwrap_or(-1),
            listing: String::from_utf8_lossy(&out.stdout).into_owned(),
        },
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The cases, from Debian's example files (file name, text).
fn cases_of(examples: &[(String, String)]) -> Vec<(String, String)> {
    let texts: Vec<(String, String)> = examples
        .iter()
        .map(|(name, text)| {
            (
                name.strip_suffix(".rules").unwrap_or(name).to_string(),
                common::rules_only(text),
            )
        })
        .collect();
    let mut cases: Vec<(String, String)> = texts.clone();
    // Everything in order, as augenrules would concatenate it (stops at the first bad line).
    cases.push((
        "all".into(),
        texts.iter().map(|(_, t)| t.as_str()).collect(),
    ));
    // Triples that interact: -D wiping, duplicates, never rules first, -c/-i early.
    for (i, (a, ta)) in texts.iter().enumerate() {
        let (b, tb) = &texts[(i * 7 + 3) % texts.len()];
        let (c, tc) = &texts[(i * 11 + 5) % texts.len()];
        cases.push((format!("{a}+{b}+{c}"), format!("{ta}{tb}{tc}")));
    }
    // The same file twice: the second copy's first rule is a duplicate ("Rule exists").
    if let Some((_, t)) = texts.iter().find(|(n, _)| n == "30-stig") {
        cases.push(("stig-twice".into(), format!("{t}{t}")));
    }
    cases
}

/// The recorded answers: case name → (input fingerprint, answer).
fn recorded(golden: &Golden) -> BTreeMap<String, (String, Answer)> {
    golden
        .section("cases")
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let s = |k: &str| {
                c[k].as_str()
                    .unwrap_or_else(|| panic!("{k}: {c}"))
                    .to_string()
            };
            let answer = Answer {
                status: c["status"].as_i64().expect("status") as i32,
                listing: s("listing"),
            };
            (s("name"), (s("input"), answer))
        })
        .collect()
}

/// Live part: ask the real auditctl again; rewrite the golden file or check it still holds.
fn live_part(golden: Option<Golden>) -> Option<Golden> {
    if !golden::kernel_live() {
        return golden;
    }
    let examples: Vec<(String, String)> = common::debian_examples()
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    assert!(examples.len() >= 30, "Debian's example rules are missing");
    let dir = tempfile::tempdir().unwrap();
    let answers: Vec<(String, String, Answer)> = cases_of(&examples)
        .into_iter()
        .map(|(name, text)| {
            let answer = real(&name, &text, dir.path());
            (name, golden::fingerprint(&[text.as_bytes()]), answer)
        })
        .collect();
    let now = Provenance::here(
        "per case: auditctl -D; auditctl -R FILE (exit status); auditctl -l (listing); \
         auditctl -D",
    );
    if golden::regenerate() {
        let mut g = Golden::new(GOLDEN, now);
        g.sections
            .insert("examples".into(), golden::examples_value(&examples));
        g.sections.insert(
            "cases".into(),
            Value::Array(
                answers
                    .iter()
                    .map(|(name, input, a)| {
                        json!({"name": name, "input": input, "status": a.status,
                               "listing": a.listing})
                    })
                    .collect(),
            ),
        );
        g.save();
        return Some(g);
    }
    let golden = golden?;
    let recorded = recorded(&golden);
    let mismatches = golden::case_mismatches(&answers, &recorded, |a, now| {
        format!(
            "recorded exit {} and listing
{}
  now exit {} and listing
{}",
            a.status, a.listing, now.status, now.listing
        )
    });
    golden::judge_live(&golden, &now, true, answers.len(), &mismatches);
    Some(golden)
}

#[test]
fn rules_equals_auditctl_listing_after_the_real_load() {
    let golden = live_part(Golden::load(GOLDEN)).unwrap_or_else(|| Golden::require(GOLDEN));
    // Offline part: `auditguard rules --file` against the recorded answers.
    let examples = golden::examples_of(&golden);
    let recorded = recorded(&golden);
    let Some(prefix) = as_root_owner() else {
        golden::say(
            "skipped offline part: `rules --file` wants a root-owned file, as auditctl -R does; \
             needs root or a user namespace (unshare -r)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = cases_of(&examples);
    let mut failures = Vec::new();
    let (mut compared, mut stale) = (0, false);
    for (name, text) in &cases {
        let Some((input, real)) = recorded.get(name) else {
            failures.push(format!("{name}: no recorded answer"));
            stale = true;
            continue;
        };
        if *input != golden::fingerprint(&[text.as_bytes()]) {
            failures.push(format!("{name}: the recorded answer is for another input"));
            stale = true;
            continue;
        }
        let (ours, stderr) = ours(name, text, dir.path(), &prefix);
        if ours.listing != real.listing {
            failures.push(format!(
                "{name}: listing differs\n--- auditctl -l\n{}\n--- auditguard rules\n{}\n--- our stderr\n{stderr}",
                real.listing, ours.listing
            ));
        } else if ours.status != real.status {
            failures.push(format!(
                "{name}: exit status {}, auditctl -R gave {}\n{stderr}",
                ours.status, real.status
            ));
        } else {
            compared += real.listing.lines().filter(|l| *l != "No rules").count();
        }
    }
    eprintln!(
        "{} cases, {compared} listed rules compared byte for byte with auditctl as recorded in \
         {} ({}, kernel {})",
        cases.len(),
        golden::shown(GOLDEN),
        golden.provenance.auditd,
        golden.provenance.kernel
    );
    if stale {
        failures.push(format!(
            "the golden file is stale: regenerate {} with {}=1 (root, kernel audit)",
            golden::shown(GOLDEN),
            golden::REGENERATE_VAR
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
