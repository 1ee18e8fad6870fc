//! The JSON rendering (`--format json`): the [`CheckReport`] as is, pretty-printed.

use crate::report::CheckReport;

/// Render a report as JSON followed by a newline.
pub fn render(report: &CheckReport) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("reports serialise");
    s.push('\n');
    s
}
