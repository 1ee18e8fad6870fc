//! Fuzz the whole pipeline: the input decodes into a small root tree (rules.d files, a unit,
//! a drop-in, audit.rules, login.defs, passwd; files, FIFOs or symlinks), and every stage runs
//! on it up to the JSON report (parsed back) and a fix plan. See `pipeline_harness.rs`.
#![no_main]

#[path = "../pipeline_harness.rs"]
mod harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 64 * 1024 {
        return;
    }
    let code = harness::run(data);
    assert!(code <= 2);
});
