//! The embedded syscall tables against the real `ausyscall` (auditd 3.0.9): every number's
//! printed name equals `ausyscall <arch> --dump`, and every accepted name resolves the same
//! way with `ausyscall <arch> NAME --exact`.
//!
//! The real answers are recorded in `tests/golden/tables_syscalls.json` with their provenance:
//! the tables are always compared with that record, so they are checked where auditd is not
//! installed; where ausyscall is, it is asked again and must still agree
//! (`AUDITGUARD_REGENERATE_GOLDEN=1` rewrites the record).

mod common;

use auditguard::model::syscalls::{self, AUDIT_VERSION, TABLES};
use auditguard::model::Machine;
use common::golden::{self, Golden, Provenance};
use serde_json::{json, Map, Value};
use std::process::Command;
use std::sync::OnceLock;

const GOLDEN: &str = "tables_syscalls";

/// Why `ausyscall` cannot be asked, or `None` when it can.
fn ausyscall_unavailable() -> Option<String> {
    match Command::new("ausyscall").arg("--dump").output() {
        Ok(_) => None,
        Err(e) => Some(format!("ausyscall: {e}")),
    }
}

/// `ausyscall ARCH --dump`: `number<TAB>name` lines after the `Using ... syscall table:` line.
fn dump(arch: &str) -> String {
    let out = Command::new("ausyscall")
        .args([arch, "--dump"])
        .output()
        .expect("run ausyscall");
    let text = String::from_utf8(out.stdout).expect("utf-8 dump");
    let (header, rows) = text.split_once('\n').unwrap_or((&text, ""));
    assert!(header.starts_with("Using "), "{arch}: {header}");
    rows.to_string()
}

/// `ausyscall TABLE NAME --exact`.
fn exact(table: &str, name: &str) -> String {
    let out = Command::new("ausyscall")
        .args([table, name, "--exact"])
        .output()
        .expect("run ausyscall");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Names whose number the dumps do not show: the aliases of every table (a name not printed),
/// and one spelling in mixed case (libaudit's lookups ignore case).
fn lookups() -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    for t in TABLES {
        for (name, _) in t.by_name {
            if !t.by_number.iter().any(|(_, n)| n == name) {
                v.push((t.name, *name));
            }
        }
    }
    v.push(("x86_64", "INIT_Module"));
    v
}

/// The real answers now: (dumps by machine name, lookups as `{table, name, ausyscall}`).
fn real() -> (Map<String, Value>, Vec<Value>) {
    let dumps = Machine::ALL
        .iter()
        .map(|m| (m.name().to_string(), Value::String(dump(m.name()))))
        .collect();
    let lookups = lookups()
        .into_iter()
        .map(|(table, name)| json!({"table": table, "name": name, "ausyscall": exact(table, name)}))
        .collect();
    (dumps, lookups)
}

/// The golden file, after the live part (run once per test process).
fn golden_file() -> &'static Golden {
    static GOLDEN_FILE: OnceLock<Golden> = OnceLock::new();
    GOLDEN_FILE.get_or_init(|| {
        let golden = Golden::load(GOLDEN);
        if let Some(reason) = ausyscall_unavailable() {
            golden::skip_live("ausyscall (auditd)", &reason);
            return golden.unwrap_or_else(|| Golden::require(GOLDEN));
        }
        let (dumps, lookups) = real();
        let now = Provenance::here(
            "ausyscall ARCH --dump for every machine; ausyscall TABLE NAME --exact for every \
             name the dumps do not print",
        );
        if golden::regenerate() {
            let mut g = Golden::new(GOLDEN, now);
            g.sections.insert("dumps".into(), Value::Object(dumps));
            g.sections.insert("lookups".into(), Value::Array(lookups));
            g.save();
            return g;
        }
        let golden = golden.unwrap_or_else(|| Golden::require(GOLDEN));
        let mut mismatches = Vec::new();
        for (arch, rows) in &dumps {
            if golden.section("dumps").get(arch) != Some(rows) {
                mismatches.push(format!("ausyscall {arch} --dump differs from the record"));
            }
        }
        let recorded = golden.section("lookups").as_array().expect("lookups");
        for l in &lookups {
            if !recorded.contains(l) {
                mismatches.push(format!("not as recorded: {l}"));
            }
        }
        let compared = dumps.len() + lookups.len();
        golden::judge_live(&golden, &now, false, compared, &mismatches);
        golden
    })
}

/// Every machine (ppc64 and ppc64le share ppc's table) against its own recorded dump.
#[test]
fn embedded_tables_match_ausyscall_dump() {
    let golden = golden_file();
    assert!(
        golden.provenance.auditd.contains(AUDIT_VERSION),
        "{} was recorded with {}, the tables are pinned to {AUDIT_VERSION}",
        golden::shown(GOLDEN),
        golden.provenance.auditd
    );
    for m in Machine::ALL {
        let t = syscalls::table(m);
        let embedded: String = t
            .by_number
            .iter()
            .map(|(n, s)| format!("{n}\t{s}\n"))
            .collect();
        let recorded = golden.section("dumps")[m.name()]
            .as_str()
            .unwrap_or_else(|| panic!("{m:?}: no recorded dump"));
        assert_eq!(embedded, recorded, "{m:?} (table {})", t.name);
    }
}

#[test]
fn every_accepted_name_resolves_like_ausyscall_exact() {
    let golden = golden_file();
    let recorded = golden.section("lookups").as_array().expect("lookups");
    let answer = |table: &str, name: &str| -> &str {
        recorded
            .iter()
            .find(|l| l["table"] == table && l["name"] == name)
            .and_then(|l| l["ausyscall"].as_str())
            .unwrap_or_else(|| {
                panic!(
                    "{table} {name}: no recorded ausyscall answer; regenerate {} with {}=1",
                    golden::shown(GOLDEN),
                    golden::REGENERATE_VAR
                )
            })
    };
    // Only the aliases (names not printed) need a lookup each; printed names are covered by
    // the dump comparison and the unit test that ties both directions together.
    for t in TABLES {
        for (name, nr) in t.by_name {
            if t.by_number.iter().any(|(_, n)| n == name) {
                continue;
            }
            assert_eq!(answer(t.name, name), nr.to_string(), "{} {name}", t.name);
        }
    }
    // Case-insensitive lookup, as libaudit's --lowercase tables do.
    assert_eq!(answer("x86_64", "INIT_Module"), "175");
    assert_eq!(syscalls::number(Machine::X86_64, "INIT_Module"), Some(175));
}
