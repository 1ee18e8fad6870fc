//! The JSON rendering (`--format json`): the [`CheckReport`] as is, pretty-printed (schema
//! `schemas/check-1.json`; byte strings as [`crate::report::ByteString`], terminal-safe by
//! [`crate::report::bytes::json_safe`]).

use crate::report::CheckReport;

/// Render a report as JSON followed by a newline.
pub fn render(report: &CheckReport) -> String {
    crate::report::bytes::to_json(report)
}
