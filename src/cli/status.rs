//! `auditguard status`: the kernel's audit status, printed like `auditctl -s` (3.0.9), or as
//! JSON. Read here; worded by `report::status`.

use super::{deliver, this_hostname, Format, Output, Ui};
use crate::kernel::{AuditKernel, NetlinkKernel};
use crate::report::status;

pub(super) fn run(format: Format, output: &Output, ui: Ui) -> anyhow::Result<u8> {
    let started = std::time::SystemTime::now();
    let mut k = NetlinkKernel::open()?;
    let s = k.status()?;
    let bit = crate::kernel::Features::LOGINUID_IMMUTABLE;
    let feature = k
        .features()
        .ok()
        .filter(|f| f.mask & bit != 0)
        .map(|f| (f.features & bit != 0, f.lock & bit != 0));
    let run = crate::report::RunInfo::ended_now(started, this_hostname());
    let out = match format {
        Format::Text => status::text(&s, feature),
        Format::Json => status::json(&s, feature, run, crate::host::native_machine()),
    };
    deliver(output, ui, out.as_bytes(), format == Format::Text, |_| {
        status::text(&s, feature)
    })?;
    Ok(0)
}
