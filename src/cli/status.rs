//! `auditguard status`: the kernel's audit status, printed like `auditctl -s` (3.0.9), or as
//! JSON. Read here; worded by `report::status`.

use super::Format;
use crate::kernel::{AuditKernel, NetlinkKernel};
use crate::report::status;
use std::io::Write;

pub(super) fn run(format: Format) -> anyhow::Result<u8> {
    let mut k = NetlinkKernel::open()?;
    let s = k.status()?;
    let bit = crate::kernel::Features::LOGINUID_IMMUTABLE;
    let feature = k
        .features()
        .ok()
        .filter(|f| f.mask & bit != 0)
        .map(|f| (f.features & bit != 0, f.lock & bit != 0));
    let out = match format {
        Format::Text => status::text(&s, feature),
        Format::Json => status::json(&s, feature),
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(0)
}
