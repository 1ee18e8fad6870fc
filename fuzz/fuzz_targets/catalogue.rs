//! Fuzz the control and profile file parsers (`--controls-dir`, `--profile FILE`): any text
//! is an error naming a line inside the text, or a value that resolves against the built-in
//! catalogue without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count().max(1);
    match auditguard::control::parse_controls("f.toml", text) {
        Ok(_) => {}
        Err(e) => assert!(e.line <= lines + 1, "{e}"),
    }
    if let Ok(p) = auditguard::control::profile::parse("f.toml", text) {
        let _ = p.controls(&auditguard::control::catalogue());
    }
});
