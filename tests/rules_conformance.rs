//! `auditguard rules --file F` equals what the real `auditctl -R F` leaves in this machine's
//! kernel, as the real `auditctl -l` prints it — for every file of Debian's shipped examples
//! and for combinations of them, including the stop at the first bad line and duplicates.
//!
//! Kernel safety: runs inside `common::with_kernel` (shared flock, no rules before and after,
//! `enabled 0`), and status lines (`-e`, `-f`, `-b`, `-r`, `--backlog_wait_time`,
//! `--loginuid-immutable`) are dropped so no shared setting changes and nothing can lock.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// Load `text` both ways; the number of listed rules compared, or what differs.
fn compare(name: &str, text: &str, dir: &std::path::Path) -> Result<usize, String> {
    let path = dir.join(format!("{}.rules", name.replace('+', "_")));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    drop(f);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let p = path.to_str().unwrap();
    let (real_status, real) = common::with_kernel(|| {
        let (status, _, _) = common::auditctl(&["-R", p]);
        let (_, listing, _) = common::auditctl(&["-l"]);
        (status, listing)
    });
    let ours = Command::new(env!("CARGO_BIN_EXE_auditguard"))
        .args(["rules", "--file", p])
        .output()
        .unwrap();
    let ours_text = String::from_utf8_lossy(&ours.stdout).into_owned();
    if ours_text != real {
        return Err(format!(
            "{name}: listing differs\n--- auditctl -l\n{real}\n--- auditguard rules\n{ours_text}\n--- our stderr\n{}",
            String::from_utf8_lossy(&ours.stderr)
        ));
    }
    let ours_status = ours.status.code().unwrap_or(-1);
    if ours_status != real_status {
        return Err(format!(
            "{name}: exit status {ours_status}, auditctl -R gave {real_status}\n{}",
            String::from_utf8_lossy(&ours.stderr)
        ));
    }
    Ok(real.lines().filter(|l| *l != "No rules").count())
}

#[test]
fn rules_equals_auditctl_listing_after_the_real_load() {
    if !common::kernel_available() {
        eprintln!("skipped: auditctl or the kernel audit socket is not available");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = common::debian_examples();
    assert!(files.len() >= 30, "Debian's example rules are missing");
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                common::rules_only(&std::fs::read_to_string(p).unwrap()),
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
    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, text) in &cases {
        match compare(name, text, dir.path()) {
            Ok(n) => compared += n,
            Err(e) => failures.push(e),
        }
    }
    eprintln!(
        "{} cases, {compared} listed rules compared byte for byte",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
