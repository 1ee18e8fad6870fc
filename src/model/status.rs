//! The kernel's audit status as data (`struct audit_status`, `include/uapi/linux/audit.h`):
//! what `auditctl -s` shows. The netlink codec is `kernel::wire`; the evaluator judges it here
//! as a plain value.

/// `struct audit_status`: the AUDIT_GET reply and the AUDIT_SET request.
///
/// Fields that older kernels do not send (32- and 40-byte replies) are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    /// On SET: which fields to change (`STATUS_*` bits). On GET: 0.
    pub mask: u32,
    /// 0 disabled, 1 enabled, 2 enabled and locked until reboot.
    pub enabled: u32,
    /// 0 silent, 1 printk, 2 panic.
    pub failure: u32,
    /// pid of the audit daemon, 0 if none.
    pub pid: u32,
    /// Messages per second, 0 unlimited.
    pub rate_limit: u32,
    /// Backlog queue limit.
    pub backlog_limit: u32,
    /// Records lost.
    pub lost: u32,
    /// Records waiting.
    pub backlog: u32,
    /// `feature_bitmap` (formerly `version`); absent in 32-byte replies.
    pub feature_bitmap: Option<u32>,
    /// `backlog_wait_time`; absent before Linux 3.14.
    pub backlog_wait_time: Option<u32>,
    /// `backlog_wait_time_actual`; absent before Linux 5.10.
    pub backlog_wait_time_actual: Option<u32>,
}
