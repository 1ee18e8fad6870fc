//! The whole pipeline on a tree decoded from bytes (shared by the cargo-fuzz target
//! `pipeline` and the `tests/pipeline_smoke.rs` seed run): detect, merge, parse, resolve,
//! simulate, judge every control, word the report, serialise it as JSON and parse it back,
//! then plan a fix (with and without `--repair`) and word its blockers. Nothing may panic or
//! hang; the JSON must parse; the exit code must be 0, 1 or 2.
//!
//! Input: chunks separated by `0x00`. A chunk's first byte picks a file (low 3 bits) and what
//! it is (bit 3: a FIFO instead of a file; bit 4: a symlink whose target is the rest); the rest
//! is the file's bytes. The unit defaults to Debian's (`augenrules --load`) unless replaced.

use auditguard::control::evaluate::assess_configuration;
use auditguard::control::finding::Verdict;
use auditguard::host::RootHost;
use auditguard::load::configuration::{configure, facts};
use auditguard::model::Machine;
use auditguard::report::{words, CheckReport, LoaderReport, CHECK_SCHEMA};
use std::path::Path;

const SLOTS: [&str; 8] = [
    "etc/audit/rules.d/10-a.rules",
    "etc/audit/rules.d/20-b.rules",
    "etc/audit/rules.d/30-c.conf",
    "etc/audit/audit.rules",
    "usr/lib/systemd/system/auditd.service",
    "etc/systemd/system/auditd.service.d/50-x.conf",
    "etc/login.defs",
    "etc/passwd",
];

/// Build the tree under `root`.
pub fn build(root: &Path, data: &[u8]) {
    std::fs::create_dir_all(root.join("etc/audit/rules.d")).unwrap();
    // A default unit (augenrules --load), which a chunk may replace.
    let unit = root.join(SLOTS[4]);
    std::fs::create_dir_all(unit.parent().unwrap()).unwrap();
    std::fs::write(
        &unit,
        "[Service]\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n",
    )
    .unwrap();
    for chunk in data.split(|b| *b == 0).take(16) {
        let Some((&sel, body)) = chunk.split_first() else {
            continue;
        };
        let path = root.join(SLOTS[(sel & 7) as usize]);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        if sel & 0x10 != 0 {
            let target: &std::ffi::OsStr = std::os::unix::ffi::OsStrExt::from_bytes(body);
            let _ = std::os::unix::fs::symlink(target, &path);
        } else if sel & 0x08 != 0 {
            let _ = rustix_mkfifo(&path);
        } else {
            std::fs::write(&path, body).unwrap();
        }
    }
}

fn rustix_mkfifo(path: &Path) -> std::io::Result<()> {
    let status = std::process::Command::new("mkfifo").arg(path).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other("mkfifo failed"))
    }
}

/// Run every stage on the tree built from `data`; returns the check's exit code.
pub fn run(data: &[u8]) -> u8 {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    build(&root, data);
    let host = RootHost::new(&root);
    let machine = Machine::X86_64;
    let controls: Vec<_> = auditguard::control::catalogue();
    let facts = facts(&host, &controls);
    let report = match configure(&host, machine) {
        Ok(config) => {
            let assessment = assess_configuration(&controls, &config, machine, &facts);
            let loader = config.loader_name();
            let ctx = words::Context {
                outcome: &config.outcome,
                unread: &config.unread,
                loader: &loader,
                machine,
            };
            CheckReport {
                schema: CHECK_SCHEMA,
                run: auditguard::report::RunInfo::ended_now(std::time::SystemTime::now(), None),
                profile: None,
                target: "/".into(),
                machine: machine.name().to_string(),
                loader: LoaderReport {
                    mode: "fuzz".into(),
                    file: None,
                    reason: config.mode_reason.clone(),
                },
                verdict: assessment.verdict(),
                controls: words::assessment(&assessment, &ctx),
                load_errors: config
                    .outcome
                    .errors
                    .iter()
                    .map(auditguard::report::LoadErrorReport::new)
                    .collect(),
                warnings: config.warnings.clone(),
                kernel: None,
            }
        }
        Err(e) => CheckReport {
            schema: CHECK_SCHEMA,
            run: auditguard::report::RunInfo::ended_now(std::time::SystemTime::now(), None),
            profile: None,
            target: "/".into(),
            machine: machine.name().to_string(),
            loader: LoaderReport {
                mode: "unknown".into(),
                file: None,
                reason: e.to_string(),
            },
            verdict: Verdict::Error,
            controls: Vec::new(),
            load_errors: Vec::new(),
            warnings: Vec::new(),
            kernel: None,
        },
    };
    let json = auditguard::report::json::render(&report);
    let _: serde_json::Value = serde_json::from_str(&json).expect("check JSON parses");
    let _ = auditguard::report::text::render(
        &report,
        auditguard::report::text::Style {
            color: false,
            verbose: true,
        },
    );
    // Every other format renders whatever the input (no panic; XML and JSON well formed).
    for doc in [
        auditguard::report::hdf::render(&report, &Default::default()),
        auditguard::report::sarif::render(
            &report,
            &auditguard::report::sarif::SarifContext {
                base: auditguard::report::sarif::UriBase::Live,
                fixes: Default::default(),
                fixes_left_out: 0,
            },
        ),
    ] {
        let _: serde_json::Value = serde_json::from_str(&doc).expect("JSON format parses");
    }
    for xml in [
        auditguard::report::junit::render(&report),
        auditguard::report::xccdf::render(&report),
        auditguard::report::xccdf::render_arf(&report),
    ] {
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("XML format does not parse: {e}\n{xml}"),
            }
        }
    }
    let code = report.exit_code();
    assert!(code <= 2);
    // The plan re-assesses after every step: over the whole catalogue that is minutes per
    // input in a debug build. One control of each kind (exec, syscall, watch, syscall with
    // outcomes, loader setting) covers every strategy.
    let planned: Vec<_> = controls
        .iter()
        .filter(|c| {
            [
                "kernel-module-loading",
                "account-files",
                "access-denied",
                "rules-immutable",
            ]
            .contains(&c.id.as_str())
        })
        .cloned()
        .collect();
    for repair in [false, true] {
        let opts = auditguard::fix::plan::PlanOptions {
            repair,
            auid_min: None,
        };
        if let Ok(plan) = auditguard::fix::plan::plan(&host, machine, &planned, opts) {
            let _ = auditguard::report::fix::blockers(&plan, machine);
        }
    }
    code
}
