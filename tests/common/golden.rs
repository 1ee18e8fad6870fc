//! Golden files (`tests/golden/*.json`): what the real auditctl, augenrules, ausyscall and
//! kernel answered, recorded with provenance (auditd package version, kernel release, date,
//! command), so the parity tests prove something on a machine without audit support.
//!
//! Every parity test has two parts:
//! - **offline** (always): our current answers against the answers recorded in its golden file;
//! - **live** (when the real tool, root and kernel audit are there): the real tool is asked
//!   again and must still agree with the golden file. Under the same provenance a difference is
//!   a failure; under another auditd version or kernel release it is reported, not failed.
//!
//! `AUDITGUARD_REGENERATE_GOLDEN=1` makes the live part rewrite the golden file instead.
//!
//! Format: one JSON object; `provenance` first, then one key per section. Arrays and objects at
//! the top level are written one element per line so that a regeneration diffs line by line.
//! Byte strings are JSON strings when they are UTF-8, else `{"escaped": "..."}` with `\\` for a
//! backslash and `\xNN` for each byte that is not UTF-8.

use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// Set to `1` to make the live parts rewrite their golden files.
pub const REGENERATE_VAR: &str = "AUDITGUARD_REGENERATE_GOLDEN";

/// Print one line on the real stderr, past the test harness's output capture, so skips and
/// notes are seen in a plain `cargo test` run.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether the live parts should rewrite the golden files.
pub fn regenerate() -> bool {
    std::env::var(REGENERATE_VAR).is_ok_and(|v| v == "1")
}

/// `tests/golden/NAME.json` inside this repository.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"))
}

/// `tests/golden/NAME.json`, as messages name it.
pub fn shown(name: &str) -> String {
    format!("tests/golden/{name}.json")
}

/// Where a golden file's answers came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// `dpkg-query -W auditd` (the package version), else `auditctl -v`.
    pub auditd: String,
    /// `uname -r`.
    pub kernel: String,
    /// UTC date of the recording.
    pub date: String,
    /// The commands whose answers were recorded.
    pub command: String,
}

fn stdout_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

impl Provenance {
    /// This machine now.
    pub fn here(command: &str) -> Provenance {
        let auditd = stdout_of("dpkg-query", &["-W", "-f", "${Version}", "auditd"])
            .map(|v| format!("auditd {v}"))
            .or_else(|| stdout_of("auditctl", &["-v"]))
            .unwrap_or_else(|| "auditd not installed".into());
        Provenance {
            auditd,
            kernel: stdout_of("uname", &["-r"]).unwrap_or_default(),
            date: stdout_of("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default(),
            command: command.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "auditd": self.auditd,
            "kernel": self.kernel,
            "date": self.date,
            "command": self.command,
        })
    }

    fn from_json(v: &Value) -> Option<Provenance> {
        let s = |k: &str| v.get(k)?.as_str().map(str::to_string);
        Some(Provenance {
            auditd: s("auditd")?,
            kernel: s("kernel")?,
            date: s("date")?,
            command: s("command")?,
        })
    }

    /// What differs between the recording and `now` that can change the real tool's answers
    /// (the kernel release only when `kernel_matters`).
    pub fn differences(&self, now: &Provenance, kernel_matters: bool) -> Vec<String> {
        let mut d = Vec::new();
        if self.auditd != now.auditd {
            d.push(format!("recorded with {}, now {}", self.auditd, now.auditd));
        }
        if kernel_matters && self.kernel != now.kernel {
            d.push(format!(
                "recorded on kernel {}, now {}",
                self.kernel, now.kernel
            ));
        }
        d
    }
}

/// One golden file.
#[derive(Clone, Debug)]
pub struct Golden {
    pub name: String,
    pub provenance: Provenance,
    /// Every top-level key but `provenance`.
    pub sections: Map<String, Value>,
}

impl Golden {
    pub fn new(name: &str, provenance: Provenance) -> Golden {
        Golden {
            name: name.into(),
            provenance,
            sections: Map::new(),
        }
    }

    /// Read `tests/golden/NAME.json`; `None` when it does not exist. Panics when it is corrupt.
    pub fn load(name: &str) -> Option<Golden> {
        let p = path(name);
        let text = std::fs::read_to_string(&p).ok()?;
        let mut v: Map<String, Value> = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a golden file: {e}", p.display()));
        let provenance = v
            .remove("provenance")
            .as_ref()
            .and_then(Provenance::from_json)
            .unwrap_or_else(|| panic!("{}: no provenance", p.display()));
        Some(Golden {
            name: name.into(),
            provenance,
            sections: v,
        })
    }

    /// Read the golden file, or panic with how to make it.
    pub fn require(name: &str) -> Golden {
        Golden::load(name).unwrap_or_else(|| {
            panic!(
                "{} is missing: run this test with {REGENERATE_VAR}=1 as root on a machine with \
                 auditd and kernel audit support",
                shown(name)
            )
        })
    }

    pub fn section(&self, key: &str) -> &Value {
        self.sections.get(key).unwrap_or_else(|| {
            panic!(
                "{}: no section {key:?}; regenerate with {REGENERATE_VAR}=1",
                shown(&self.name)
            )
        })
    }

    /// Write `tests/golden/NAME.json`, one top-level element per line.
    pub fn save(&self) {
        let mut out = String::from("{\n");
        let mut entries: Vec<(String, Value)> =
            vec![("provenance".into(), self.provenance.to_json())];
        entries.extend(self.sections.iter().map(|(k, v)| (k.clone(), v.clone())));
        for (i, (key, value)) in entries.iter().enumerate() {
            out.push_str(&format!("  {}: ", Value::String(key.clone())));
            match value {
                Value::Array(items) if !items.is_empty() => {
                    out.push_str("[\n");
                    for (j, item) in items.iter().enumerate() {
                        let sep = if j + 1 < items.len() { "," } else { "" };
                        out.push_str(&format!("    {item}{sep}\n"));
                    }
                    out.push_str("  ]");
                }
                Value::Object(map) if !map.is_empty() && key != "provenance" => {
                    out.push_str("{\n");
                    for (j, (k, v)) in map.iter().enumerate() {
                        let sep = if j + 1 < map.len() { "," } else { "" };
                        out.push_str(&format!("    {}: {v}{sep}\n", Value::String(k.clone())));
                    }
                    out.push_str("  }");
                }
                other => out.push_str(&other.to_string()),
            }
            out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
        }
        out.push_str("}\n");
        let p = path(&self.name);
        std::fs::create_dir_all(p.parent().expect("golden dir")).expect("create tests/golden");
        std::fs::write(&p, out).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        say(&format!(
            "regenerated {} ({}, kernel {}, {})",
            shown(&self.name),
            self.provenance.auditd,
            self.provenance.kernel,
            self.provenance.date
        ));
    }
}

/// What the live part does with the real tool's answers now, compared with the golden file
/// (`mismatches`, one line each, empty when they agree): nothing when they agree; a failure
/// when the provenance is the same; a clear report, not a failure, when the auditd version or
/// (if `kernel_matters`) the kernel release differs.
pub fn judge_live(
    golden: &Golden,
    now: &Provenance,
    kernel_matters: bool,
    compared: usize,
    mismatches: &[String],
) {
    judge_live_with(golden, now, kernel_matters, &[], compared, mismatches);
}

/// [`judge_live`], with more provenance than the auditd version and kernel release: what else
/// differs between the recording and now (`other_differences`, e.g. another awk or script).
pub fn judge_live_with(
    golden: &Golden,
    now: &Provenance,
    kernel_matters: bool,
    other_differences: &[String],
    compared: usize,
    mismatches: &[String],
) {
    let file = shown(&golden.name);
    if mismatches.is_empty() {
        eprintln!("live part: the real tool agrees with {file} ({compared} answers)");
        return;
    }
    let mut differences = golden.provenance.differences(now, kernel_matters);
    differences.extend(other_differences.iter().cloned());
    let list = mismatches.join("\n  ");
    if differences.is_empty() {
        panic!(
            "the real tool no longer agrees with {file} although the provenance is the same ({}, \
             kernel {}): {} of {compared} answers differ:\n  {list}",
            now.auditd,
            now.kernel,
            mismatches.len()
        );
    }
    say(&format!(
        "NOTE live part: the real tool here differs from {file} in {} of {compared} answers, and \
         so does the provenance ({}); not a failure (the offline part still holds us to the \
         golden file). Set {REGENERATE_VAR}=1 to make this machine the reference.\n  {list}",
        mismatches.len(),
        differences.join("; ")
    ));
}

/// The one line a test prints when it cannot do its live part.
pub fn skip_live(needs: &str, reason: &str) {
    say(&format!("skipped live part: needs {needs} ({reason})"));
    if regenerate() {
        panic!("{REGENERATE_VAR}=1 but the live part cannot run: needs {needs} ({reason})");
    }
}

extern "C" {
    fn geteuid() -> u32;
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { geteuid() == 0 }
}

/// Why the kernel parity tests cannot talk to the real auditctl and kernel, or `None` when
/// they can (same test as `common::kernel_available`, with the reason): not root, no
/// auditctl, no kernel audit, or a host state the tests must not touch
/// ([`super::host_refusal`]: a registered audit daemon, locked rules, panic on failure).
pub fn kernel_unavailable() -> Option<String> {
    let out = match Command::new("auditctl").arg("-s").output() {
        Ok(o) => o,
        Err(e) => return Some(format!("auditctl: {e}")),
    };
    if !is_root() {
        return Some("not root".into());
    }
    if !(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("enabled")) {
        let err = String::from_utf8_lossy(&out.stderr);
        return Some(format!(
            "auditctl -s failed: {}",
            err.lines().next().unwrap_or("no kernel audit support?")
        ));
    }
    super::host_refusal()
}

/// The standard skip for a kernel parity test; true when the live part can run.
pub fn kernel_live() -> bool {
    match kernel_unavailable() {
        None => true,
        Some(reason) => {
            skip_live("root and kernel audit", &reason);
            false
        }
    }
}

/// A byte string as JSON (see the module doc).
pub fn bytes(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => Value::String(s.into()),
        Err(_) => {
            let mut s = String::new();
            for chunk in b.utf8_chunks() {
                s.push_str(&chunk.valid().replace('\\', "\\\\"));
                for byte in chunk.invalid() {
                    s.push_str(&format!("\\x{byte:02x}"));
                }
            }
            json!({ "escaped": s })
        }
    }
}

/// The byte string `bytes` wrote.
pub fn to_bytes(v: &Value) -> Vec<u8> {
    if let Some(s) = v.as_str() {
        return s.as_bytes().to_vec();
    }
    let s = v
        .get("escaped")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("not a byte string: {v}"));
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('\\') {
            out.push(b'\\');
            rest = a;
        } else {
            let hex = after.get(1..3).expect("\\xNN");
            out.push(u8::from_str_radix(hex, 16).expect("hex byte"));
            rest = &after[3..];
        }
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// A short fingerprint of a test input (FNV-1a, 64 bits), so a golden answer is only used for
/// the very input it was recorded for.
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in (part.len() as u64).to_le_bytes().iter().chain(part.iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The named cases whose live answer differs from the recorded one (or whose input changed,
/// or that the record lacks), each as a line; `describe(recorded, now)` words a difference.
pub fn case_mismatches<A: PartialEq>(
    answers: &[(String, String, A)],
    recorded: &std::collections::BTreeMap<String, (String, A)>,
    describe: impl Fn(&A, &A) -> String,
) -> Vec<String> {
    answers
        .iter()
        .filter_map(|(name, input, answer)| match recorded.get(name) {
            Some((i, a)) if i == input && a == answer => None,
            Some((i, _)) if i != input => {
                Some(format!("{name}: input differs from the recorded one"))
            }
            Some((_, a)) => Some(format!("{name}: {}", describe(a, answer))),
            None => Some(format!("{name}: not in the golden file")),
        })
        .collect()
}

/// The "examples" section: file name → text.
pub fn examples_value(examples: &[(String, String)]) -> Value {
    Value::Object(
        examples
            .iter()
            .map(|(n, t)| (n.clone(), Value::String(t.clone())))
            .collect(),
    )
}

/// The "examples" section read back.
pub fn examples_of(golden: &Golden) -> Vec<(String, String)> {
    golden
        .section("examples")
        .as_object()
        .expect("examples")
        .iter()
        .map(|(n, t)| (n.clone(), t.as_str().expect("text").to_string()))
        .collect()
}
