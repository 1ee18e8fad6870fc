//! `auditguard status`: the kernel's audit status, printed like `auditctl -s` (3.0.9), or as
//! JSON.

use super::Format;
use crate::kernel::{AuditKernel, NetlinkKernel};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;

#[derive(Serialize)]
struct StatusReport {
    schema: &'static str,
    enabled: u32,
    locked: bool,
    failure: u32,
    pid: u32,
    rate_limit: u32,
    backlog_limit: u32,
    lost: u32,
    backlog: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    backlog_wait_time: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backlog_wait_time_actual: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loginuid_immutable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loginuid_immutable_locked: Option<bool>,
}

pub(super) fn run(format: Format) -> anyhow::Result<u8> {
    let mut k = NetlinkKernel::open()?;
    let s = k.status()?;
    let f = k.features().ok();
    let bit = crate::kernel::Features::LOGINUID_IMMUTABLE;
    let feature = f.filter(|f| f.mask & bit != 0);
    let mut out = String::new();
    match format {
        Format::Text => {
            // auditctl 3.0.9 `print_status` and the AUDIT_GET_FEATURE reply, in its order.
            let _ = write!(
                out,
                "enabled {}\nfailure {}\npid {}\nrate_limit {}\nbacklog_limit {}\nlost {}\nbacklog {}\n",
                s.enabled, s.failure, s.pid, s.rate_limit, s.backlog_limit, s.lost, s.backlog
            );
            if let Some(t) = s.backlog_wait_time {
                let _ = writeln!(out, "backlog_wait_time {t}");
            }
            if let Some(t) = s.backlog_wait_time_actual {
                let _ = writeln!(out, "backlog_wait_time_actual {t}");
            }
            if let Some(f) = feature {
                let _ = writeln!(
                    out,
                    "loginuid_immutable {} {}",
                    u32::from(f.features & bit != 0),
                    if f.lock & bit != 0 {
                        "locked"
                    } else {
                        "unlocked"
                    }
                );
            }
        }
        Format::Json => {
            let report = StatusReport {
                schema: "auditguard/status/1",
                enabled: s.enabled,
                locked: s.is_locked(),
                failure: s.failure,
                pid: s.pid,
                rate_limit: s.rate_limit,
                backlog_limit: s.backlog_limit,
                lost: s.lost,
                backlog: s.backlog,
                backlog_wait_time: s.backlog_wait_time,
                backlog_wait_time_actual: s.backlog_wait_time_actual,
                loginuid_immutable: feature.map(|f| f.features & bit != 0),
                loginuid_immutable_locked: feature.map(|f| f.lock & bit != 0),
            };
            out = serde_json::to_string_pretty(&report)?;
            out.push('\n');
        }
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(0)
}
