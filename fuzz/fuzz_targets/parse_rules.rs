//! Fuzz `syntax::parse_file`: any bytes, as a rules file, must parse without panicking, and
//! every line must keep a span and range inside the input. The parser is pure: no target, no
//! temporary directory; user and group names come from a small table.
#![no_main]

use auditguard::model::{Accounts, Machine};
use auditguard::syntax::{parse_file, ParseContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let accounts = Accounts::from_files(b"root:x:0:0::/root:/bin/sh\n", b"root:x:0:\n");
    let ctx = ParseContext {
        machine: Machine::X86_64,
        accounts: &accounts,
    };
    let lines = parse_file(data, &ctx);
    let mut end = 0;
    let mut line = 0;
    for l in &lines {
        assert!(l.range.start >= end && l.range.end <= data.len());
        assert!(l.span.line >= line && l.chunk as usize >= l.span.line as usize);
        end = l.range.end;
        line = l.span.line;
    }
});
