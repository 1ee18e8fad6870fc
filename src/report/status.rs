//! `status` for people (exactly `auditctl -s` of auditd 3.0.9, with the AUDIT_GET_FEATURE line)
//! and for programs (schema `auditguard/status/1`).

use crate::model::status::Status;
use serde::Serialize;
use std::fmt::Write as _;

/// The JSON schema identifier of a status report.
pub const STATUS_SCHEMA: &str = "auditguard/status/1";

/// The `loginuid_immutable` feature, when the kernel reports it: (on, locked).
pub type LoginuidImmutable = Option<(bool, bool)>;

#[derive(Serialize)]
struct StatusReport {
    schema: &'static str,
    #[serde(flatten)]
    run: crate::report::RunInfo,
    target: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    machine: Option<&'static str>,
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

/// `auditctl -s`'s text (`print_status`, then the feature line), in its order.
pub fn text(s: &Status, feature: LoginuidImmutable) -> String {
    let mut out = String::new();
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
    if let Some((on, locked)) = feature {
        let _ = writeln!(
            out,
            "loginuid_immutable {} {}",
            u32::from(on),
            if locked { "locked" } else { "unlocked" }
        );
    }
    out
}

/// The JSON document (`run`: tool, times, host name; `machine`: this host's).
pub fn json(
    s: &Status,
    feature: LoginuidImmutable,
    run: crate::report::RunInfo,
    machine: Option<crate::model::Machine>,
) -> String {
    let report = StatusReport {
        schema: STATUS_SCHEMA,
        run,
        target: "/",
        machine: machine.map(|m| m.name()),
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
        loginuid_immutable: feature.map(|f| f.0),
        loginuid_immutable_locked: feature.map(|f| f.1),
    };
    crate::report::bytes::to_json(&report)
}
