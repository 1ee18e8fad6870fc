//! Fuzz `syntax::parse_file`: any bytes, as a rules file, must parse without panicking, and
//! every line must keep a span and range inside the input.
#![no_main]

use auditguard::host::RootHost;
use auditguard::model::Machine;
use auditguard::syntax::{parse_file, ParseContext};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// An empty root: `-w` stats find nothing, user and group names are unknown.
fn root() -> &'static tempfile::TempDir {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    ROOT.get_or_init(|| tempfile::tempdir().expect("temp dir"))
}

fuzz_target!(|data: &[u8]| {
    let host = RootHost::new(root().path());
    let ctx = ParseContext {
        machine: Machine::X86_64,
        host: &host,
    };
    let lines = parse_file(data, &ctx);
    let mut end = 0;
    for line in &lines {
        assert!(line.range.start >= end && line.range.end <= data.len());
        end = line.range.end;
    }
});
