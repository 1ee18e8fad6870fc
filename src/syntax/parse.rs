//! auditctl's option handling, one line at a time.
//!
//! STUB: to be written.

use super::{ParseContext, ParsedLine};

/// Parse a whole rules file.
pub fn parse_file(text: &[u8], ctx: &ParseContext) -> Vec<ParsedLine> {
    let _ = (text, ctx);
    Vec::new()
}
