//! `model::listing::list_rules` against the real `auditctl -l` (auditd 3.0.9, live kernel).
//!
//! Story: for each of Debian's example rule files (and a few combinations of them, plus a file
//! of the printer's tricky cases), every line is given to the real `auditctl -R` one at a time
//! (which is what `-R` does: each line is a separate invocation) and to our parser. Lines the
//! kernel accepts are applied to a plain in-test kernel list (append, prepend, delete,
//! delete-all); lines it refuses (a watch whose parent is missing, a duplicate) are skipped on
//! our side too. Then `auditctl -l` must equal our listing byte for byte, and our parser must
//! not have refused a line auditctl accepted.
//!
//! The real answers (which lines the kernel accepted, then `auditctl -l`) and the example files
//! are recorded in `tests/golden/listing_conformance.json` with their provenance. We are always
//! compared with that record, so the test proves parity without root or kernel audit; with
//! them, the real auditctl is asked again and must still agree
//! (`AUDITGUARD_REGENERATE_GOLDEN=1` rewrites the record).
//!
//! Kernel safety: the live part runs inside `common::with_kernel`; text goes through
//! `common::safe_rules`, and status lines (`-b`, `-f`, `-r`, `--backlog_wait_time`, ...) are
//! dropped as well so the shared kernel's settings are left alone.

mod common;

use auditguard::host::LiveHost;
use auditguard::model::{listing, Machine};
use auditguard::syntax::{LineKind, ParseContext};
use common::golden::{self, Golden, Provenance};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Tokens that change kernel settings rather than rules; lines holding one are not loaded.
const STATUS_OPTIONS: &[&str] = &[
    "-b",
    "-f",
    "-r",
    "-e",
    "-s",
    "--backlog_wait_time",
    "--reset-lost",
    "--reset_backlog_wait_time_actual",
    "--signal",
];

/// The text we load: `safe_rules`, then status lines turned into comments (keeping line
/// numbers aligned between both sides).
fn loadable(text: &str) -> String {
    common::safe_rules(text)
        .lines()
        .map(|l| {
            let status = l
                .split(' ')
                .any(|t| STATUS_OPTIONS.contains(&t) || t.starts_with("--loginuid"));
            if status {
                "# (status line dropped by the test)\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// `auditctl -R` on a one-line file (root-owned, 0600); true when the line was accepted.
fn kernel_accepts(line: &[u8], file: &Path) -> bool {
    let mut f = std::fs::File::create(file).expect("create rules file");
    f.write_all(line)
        .and_then(|_| f.write_all(b"\n"))
        .expect("write");
    drop(f);
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (rc, _, _) = common::auditctl(&["-R", file.to_str().expect("utf-8 path")]);
    rc == 0
}

fn auditctl_list() -> String {
    common::auditctl(&["-l"]).1
}

/// What the real auditctl and kernel did with one case's (loadable) text: the line numbers
/// (from 1) it accepted and refused, each line loaded alone, then `auditctl -l`.
#[derive(Clone, Debug, PartialEq)]
struct Answer {
    accepted: BTreeSet<usize>,
    refused: BTreeSet<usize>,
    listing: String,
}

/// Load every line holding more than whitespace into the real kernel, one at a time
/// (kernel, root).
fn real(text: &str) -> Answer {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("line.rules");
    common::with_kernel(|| {
        let (mut accepted, mut refused) = (BTreeSet::new(), BTreeSet::new());
        for (i, line) in text.split('\n').enumerate() {
            // `loadable` already made status lines comments; this guard never feeds a line
            // that even looks like one (tabs count as separators here).
            if line.trim().is_empty() || common::rules_only(line).is_empty() {
                continue;
            }
            if kernel_accepts(line.as_bytes(), &file) {
                accepted.insert(i + 1);
            } else {
                refused.insert(i + 1);
            }
        }
        Answer {
            accepted,
            refused,
            listing: auditctl_list(),
        }
    })
}

/// What one file gave: rules listed, and every difference found.
struct Outcome {
    rules: usize,
    problems: Vec<String>,
}

/// Our side, given what the kernel did: parse (the parser call is kept in this one place),
/// mirror the lines the kernel accepted, list, compare.
fn compare(name: &str, text: &str, real: &Answer) -> Outcome {
    let host = LiveHost;
    let accounts = auditguard::load::configuration::accounts(&host);
    let ctx = ParseContext {
        machine: Machine::X86_64,
        accounts: &accounts,
    };
    let parsed = auditguard::load::resolve::checked_lines(text.as_bytes(), &ctx, &host);
    let mut problems = Vec::new();
    let mut model = common::KernelModel::default();
    for line in &parsed {
        let bytes = &text.as_bytes()[line.range.clone()];
        let n = line.span.line as usize;
        let at = format!("{name}:{n}");
        let asked = real.accepted.contains(&n) || real.refused.contains(&n);
        match &line.kind {
            LineKind::Blank | LineKind::Comment => continue,
            _ if !asked => problems.push(format!(
                "{at}: no recorded answer of auditctl for {:?}",
                String::from_utf8_lossy(bytes)
            )),
            LineKind::Commands(cmds) => {
                if real.accepted.contains(&n) {
                    cmds.iter().for_each(|c| model.apply(c));
                }
            }
            LineKind::Error(d) => {
                if real.accepted.contains(&n) {
                    problems.push(format!(
                        "{at}: auditctl accepted a line our parser refused ({d}): {}",
                        String::from_utf8_lossy(bytes)
                    ));
                }
            }
        }
    }
    let ours = model.rules();
    let listed = String::from_utf8_lossy(&listing::list_rules(&ours, Machine::X86_64)).into_owned();
    if std::env::var_os("AUDITGUARD_SHOW_LISTING").is_some() {
        eprintln!("== {name}\n{}", real.listing);
    }
    if listed != real.listing {
        let mut diff = String::new();
        for (i, (a, b)) in real.listing.lines().zip(listed.lines()).enumerate() {
            if a != b {
                diff.push_str(&format!(
                    "  line {}:\n    auditctl: {a}\n    ours:     {b}\n",
                    i + 1
                ));
            }
        }
        problems.push(format!(
            "{name}: listing differs ({} lines from auditctl, {} from us)\n{diff}",
            real.listing.lines().count(),
            listed.lines().count()
        ));
    }
    Outcome {
        rules: ours.len(),
        problems,
    }
}

/// Rules that exercise the printer's corner cases: an arch carried to later rules, `perm`
/// before `path`, a foreign arch, syscall numbers, operators, errno names, several keys, watch
/// spellings, every list, prepend and delete.
const TRICKY: &str = r"-a always,exit -F arch=b32 -S open -k carry1
-a always,exit -S 5 -k carry2
-a always,exit -F perm=wa -F path=/etc/hostname -k permfirst
-a always,exit -F perm=r -k permonly
-a always,exit -F arch=b64 -S execve -F exe!=/usr/bin/true -k exe
-a always,exit -F arch=b64 -F arch!=b32 -S openat -k twoarch
-a always,exit -F arch=aarch64 -S openat -k foreign
-a always,exit -S 999 -k afterforeign
-a always,exit -F arch=b64 -S 999,17,18,0x3b -k nums
-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mnt
-a always,exit -F arch=b64 -S kill -F a1&=9 -F a2&8 -F pid<10 -F ppid>1 -F sessionid<=5 -k ops
-a always,exit -F a0=2 -F a1=0x10 -F a2=-1
-a always,exit -S all -F exit=-EPERM -k e1
-a always,exit -S all -F exit=-13 -k e2
-a always,exit -S all -F exit=EPERM -k e3
-a always,exit -S all -F uid=root -F gid=root -k ids
-a always,exit -S all -F filetype=file -k ft
-a always,exit -F path=/etc/issue -k pathnoperm
-w /etc/hosts -F uid=0 -p wa
-w / -p r -k root
-w /etc/shadow
-w /etc/ssh/ -p wa -k wslash
-a always,exit -F path=/etc/ssh -F perm=wa -k wslash
-a always,exit -F dir=/etc/ssh/ -F perm=wa -k dirslash
-a always,exit -F arch=b64 -S execve -k a -k b -F key=c
-a always,exit -F arch=b64 -S execve -k with\ space
-a always,exit -F arch=b64 -S execve -C euid=uid -C obj_uid!=auid -C fsgid=egid
-a always,exit -F arch=b64 -S openat -F inode=4294967295 -F devmajor=8 -F devminor&2 -k dev
-a always,exit -F arch=b64 -S connect -F saddr_fam=2 -F success=0 -F pers=1 -k fam
-a always,task -F uid=0
-a always,user -F uid=0
-a always,exclude -F msgtype=CWD
-a never,exclude -F msgtype=1302
-a exclude,never -F msgtype=EOE
-a never,filesystem -F fstype=debugfs -k fsk
-A always,exit -F arch=b64 -S delete_module -k prepended
-d always,exit -F arch=b64 -S execve -k with\ space
";

const GOLDEN: &str = "listing_conformance";

/// Debian's example files on this machine: (file name, text).
fn system_examples() -> Vec<(String, String)> {
    common::debian_examples()
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(p).unwrap_or_default())
        })
        .collect()
}

/// The cases, (name, loadable text), from the example files (file name, text).
fn cases_of(examples: &[(String, String)]) -> Vec<(String, String)> {
    let read = |name: &str| -> String {
        examples
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    let mut cases: Vec<(String, String)> = examples.to_vec();
    // Combinations, as augenrules would concatenate them.
    let combos: [&[&str]; 3] = [
        &[
            "10-base-config.rules",
            "30-stig.rules",
            "43-module-load.rules",
            "99-finalize.rules",
        ],
        &[
            "30-ospp-v42.rules",
            "30-ospp-v42-1-create-failed.rules",
            "30-ospp-v42-2-modify-failed.rules",
            "30-ospp-v42-3-access-failed.rules",
            "30-ospp-v42-4-delete-failed.rules",
            "30-ospp-v42-5-perm-change-failed.rules",
            "30-ospp-v42-6-owner-change-failed.rules",
        ],
        &[
            "30-pci-dss-v31.rules",
            "32-power-abuse.rules",
            "41-containers.rules",
            "42-injection.rules",
            "44-installers.rules",
            "71-networking.rules",
        ],
    ];
    for combo in combos {
        cases.push((combo.join("+"), combo.iter().map(|n| read(n)).collect()));
    }
    cases.push(("tricky".into(), TRICKY.into()));
    // The STIG for RHEL 9's published lines (status and control lines dropped below).
    cases.push((
        "stig-rhel9-v2r9".into(),
        include_str!("data/stig-rhel9-v2r9.rules").into(),
    ));
    cases.push((
        "stig-rhel8-v2r8".into(),
        include_str!("data/stig-rhel8-v2r8.rules").into(),
    ));
    cases.push((
        "stig-ubuntu2204-v2r8".into(),
        include_str!("data/stig-ubuntu2204-v2r8.rules").into(),
    ));
    cases.push((
        "stig-ubuntu2404-v1r1".into(),
        include_str!("data/stig-ubuntu2404-v1r1.rules").into(),
    ));
    cases.push((
        "lockdown-UBUNTU22-CIS".into(),
        include_str!("data/ansible-lockdown-UBUNTU22-CIS-99_auditd.rendered.rules").into(),
    ));
    cases
        .into_iter()
        .map(|(name, text)| (name, loadable(&text)))
        .collect()
}

fn numbers(v: &Value) -> BTreeSet<usize> {
    v.as_array()
        .expect("line numbers")
        .iter()
        .map(|n| n.as_u64().expect("line number") as usize)
        .collect()
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
                accepted: numbers(&c["accepted"]),
                refused: numbers(&c["refused"]),
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
    let examples = system_examples();
    if examples.is_empty() {
        golden::skip_live(
            "Debian's example rules",
            "/usr/share/doc/auditd/examples/rules is not installed",
        );
        return golden;
    }
    let answers: Vec<(String, String, Answer)> = cases_of(&examples)
        .into_iter()
        .map(|(name, text)| {
            let answer = real(&text);
            (name, golden::fingerprint(&[text.as_bytes()]), answer)
        })
        .collect();
    let now = Provenance::here(
        "per case, status lines dropped: auditctl -D; per line holding more than whitespace, \
         auditctl -R FILE holding only that line (exit 0 = accepted); then auditctl -l; \
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
                        json!({"name": name, "input": input, "accepted": a.accepted,
                               "refused": a.refused, "listing": a.listing})
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
            "recorded {a:?}
  now {now:?}"
        )
    });
    golden::judge_live(&golden, &now, true, answers.len(), &mismatches);
    Some(golden)
}

#[test]
fn debian_example_files_list_like_auditctl() {
    let golden = live_part(Golden::load(GOLDEN)).unwrap_or_else(|| Golden::require(GOLDEN));
    // Offline part: our parser and printer against the recorded answers.
    let examples = golden::examples_of(&golden);
    let recorded = recorded(&golden);
    let cases = cases_of(&examples);
    let (mut rules, mut problems) = (0, Vec::new());
    for (name, text) in &cases {
        let real = match recorded.get(name) {
            Some((input, real)) if *input == golden::fingerprint(&[text.as_bytes()]) => real,
            found => {
                problems.push(format!(
                    "{name}: {}; regenerate {} with {}=1 (root, kernel audit)",
                    if found.is_some() {
                        "the recorded answer is for another input"
                    } else {
                        "no recorded answer"
                    },
                    golden::shown(GOLDEN),
                    golden::REGENERATE_VAR
                ));
                continue;
            }
        };
        let outcome = compare(name, text, real);
        eprintln!("{name}: {} rules compared", outcome.rules);
        rules += outcome.rules;
        problems.extend(outcome.problems);
    }
    eprintln!(
        "compared {rules} rules from {} files/combinations byte for byte with auditctl -l as \
         recorded in {} ({}, kernel {})",
        cases.len(),
        golden::shown(GOLDEN),
        golden.provenance.auditd,
        golden.provenance.kernel
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
