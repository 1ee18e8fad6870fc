//! What auditguard asks of the kernel's audit subsystem, as one trait with two values: the
//! running kernel over netlink ([`NetlinkKernel`]) and an in-memory one ([`FakeKernel`]) for the
//! one state a shared machine must never enter: rules locked until reboot (`enabled 2`).
//!
//! Errors carry the kernel's meaning: EEXIST is "Rule exists", ENOENT a
//! missing rule or watch parent, EINVAL a rule the kernel refuses, EPERM either the lock or a
//! missing privilege, ECONNREFUSED / EPROTONOSUPPORT no audit in this namespace or kernel.
//! [`KernelError::is_not_applicable`] tells "cannot look from here" apart from real errors.
//!
//! This module refuses to know rule text; rules arrive and leave as [`Rule`] values.

use crate::kernel::netlink::{AuditSocket, Expect, TransportError};
use crate::kernel::wire::{self, Features, Status, WireError};
use crate::model::Rule;
use rustix::io::Errno;

/// Why a kernel request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// EEXIST on add: an identical rule is already loaded (auditctl's wording).
    #[error("Rule exists")]
    Exists,
    /// ENOENT: no identical rule to delete, or a watch whose parent directory is missing.
    #[error(
        "No such file or directory (no identical rule, or the watched path's parent is missing)"
    )]
    NotFound,
    /// EINVAL: the kernel refused the rule or setting.
    #[error("Invalid argument (the kernel refused the rule or setting)")]
    Invalid,
    /// EPERM while `enabled 2`: rules and settings are locked.
    #[error("audit configuration is locked (enabled 2): reboot required")]
    Immutable,
    /// EPERM otherwise: no CAP_AUDIT_CONTROL / CAP_AUDIT_READ, or a non-initial pid
    /// namespace.
    #[error("Operation not permitted (needs CAP_AUDIT_CONTROL in the initial pid namespace)")]
    NotPermitted,
    /// ECONNREFUSED (non-initial user namespace) or EPROTONOSUPPORT (kernel without audit).
    #[error("kernel audit is not available here ({0}): container, user namespace or kernel without audit")]
    Unavailable(&'static str),
    /// Refused by auditguard itself: locking (`enabled 2`) is for the boot-time loader only.
    #[error(
        "refusing to set enabled {0}: only 0 and 1 may be set from here (2 locks until reboot)"
    )]
    WouldLock(u32),
    /// No complete reply in time.
    #[error("timed out waiting for the kernel's audit reply")]
    Timeout,
    /// The kernel's reply did not decode.
    #[error("malformed reply from the kernel: {0}")]
    Wire(#[from] WireError),
    /// Any other errno.
    #[error("kernel audit request failed: {0}")]
    Os(Errno),
}

impl KernelError {
    /// Whether the error means "the kernel's audit state cannot be seen from here" (a
    /// container, a user namespace, no privilege, no audit in the kernel) rather than a
    /// problem with the request or the rules: such a check is *not applicable*, not failed.
    pub fn is_not_applicable(&self) -> bool {
        matches!(
            self,
            KernelError::NotPermitted | KernelError::Unavailable(_)
        )
    }

    /// The error for an errno from the socket or from NLMSG_ERROR.
    pub fn from_errno(e: Errno) -> KernelError {
        match e {
            Errno::EXIST => KernelError::Exists,
            Errno::NOENT => KernelError::NotFound,
            Errno::INVAL => KernelError::Invalid,
            Errno::PERM | Errno::ACCESS => KernelError::NotPermitted,
            Errno::CONNREFUSED => KernelError::Unavailable("ECONNREFUSED"),
            Errno::PROTONOSUPPORT => KernelError::Unavailable("EPROTONOSUPPORT"),
            Errno::AFNOSUPPORT => KernelError::Unavailable("EAFNOSUPPORT"),
            e => KernelError::Os(e),
        }
    }
}

impl From<TransportError> for KernelError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Errno(e) => KernelError::from_errno(e),
            TransportError::Timeout => KernelError::Timeout,
            TransportError::Wire(w) => KernelError::Wire(w),
        }
    }
}

/// Result of a kernel request.
pub type Result<T> = std::result::Result<T, KernelError>;

/// The kernel's audit rules and status, read and changed.
pub trait AuditKernel {
    /// `struct audit_status` (AUDIT_GET).
    fn status(&mut self) -> Result<Status>;
    /// `struct audit_features` (AUDIT_GET_FEATURE): the loginuid-immutable switch and lock.
    fn features(&mut self) -> Result<Features>;
    /// Every rule, in the kernel's order: grouped by list number, each list in its own order
    /// (prepended rules first). The prepend flag is never set on listed rules.
    fn list_rules(&mut self) -> Result<Vec<Rule>>;
    /// Add a rule (at the head of its list when `rule.prepend`).
    fn add_rule(&mut self, rule: &Rule) -> Result<()>;
    /// Delete the rule identical to `rule`.
    fn delete_rule(&mut self, rule: &Rule) -> Result<()>;
    /// Set `enabled` to 0 or 1. 2 is refused with [`KernelError::WouldLock`].
    fn set_enabled(&mut self, enabled: u32) -> Result<()>;
}

/// The running kernel, over a `NETLINK_AUDIT` socket. Needs CAP_AUDIT_CONTROL.
#[derive(Debug)]
pub struct NetlinkKernel {
    socket: AuditSocket,
}

impl NetlinkKernel {
    /// Open the socket. Nothing is asked of the kernel yet.
    pub fn open() -> Result<NetlinkKernel> {
        Ok(NetlinkKernel {
            socket: AuditSocket::open()?,
        })
    }

    /// EPERM on a change means "locked" when the kernel says `enabled 2`, else "not
    /// permitted" (LIST and GET still work when locked).
    fn explain(&mut self, e: KernelError) -> KernelError {
        if e == KernelError::NotPermitted && self.status().is_ok_and(|s| s.is_locked()) {
            return KernelError::Immutable;
        }
        e
    }

    fn change(&mut self, kind: u16, payload: &[u8]) -> Result<()> {
        match self.socket.request(kind, payload, Expect::Ack) {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = KernelError::from(e);
                Err(self.explain(e))
            }
        }
    }
}

impl AuditKernel for NetlinkKernel {
    fn status(&mut self) -> Result<Status> {
        let replies = self.socket.request(wire::AUDIT_GET, &[], Expect::One)?;
        let first = replies.first().map(Vec::as_slice).unwrap_or_default();
        Ok(Status::decode(first)?)
    }

    fn features(&mut self) -> Result<Features> {
        let replies = self
            .socket
            .request(wire::AUDIT_GET_FEATURE, &[], Expect::One)?;
        let first = replies.first().map(Vec::as_slice).unwrap_or_default();
        Ok(Features::decode(first)?)
    }

    fn list_rules(&mut self) -> Result<Vec<Rule>> {
        let replies = self
            .socket
            .request(wire::AUDIT_LIST_RULES, &[], Expect::Multi)?;
        replies
            .iter()
            .map(|r| wire::decode_rule(r).map_err(KernelError::from))
            .collect()
    }

    fn add_rule(&mut self, rule: &Rule) -> Result<()> {
        self.change(wire::AUDIT_ADD_RULE, &wire::encode_rule(rule)?)
    }

    fn delete_rule(&mut self, rule: &Rule) -> Result<()> {
        // The kernel ignores PREPEND on delete; send the rule as it is listed.
        let mut rule = rule.clone();
        rule.prepend = false;
        self.change(wire::AUDIT_DEL_RULE, &wire::encode_rule(&rule)?)
    }

    fn set_enabled(&mut self, enabled: u32) -> Result<()> {
        if enabled > 1 {
            return Err(KernelError::WouldLock(enabled));
        }
        self.change(wire::AUDIT_SET, &Status::set_enabled(enabled).encode())
    }
}

/// An in-memory kernel: rules kept in kernel order with the kernel's identity, duplicate and
/// delete semantics, and the `enabled 2` lock (every change refused with EPERM, reported as
/// [`KernelError::Immutable`]). It does not model what needs a file system (ENOENT for a
/// missing watch parent) or the kernel's field validation (EINVAL).
///
/// ```
/// use auditguard::kernel::client::{AuditKernel, FakeKernel, KernelError};
/// use auditguard::model::{Action, List, Rule};
/// let mut k = FakeKernel::locked(vec![Rule::new(List::Task, Action::Never)]);
/// assert_eq!(k.status().unwrap().enabled, 2);
/// assert_eq!(k.list_rules().unwrap().len(), 1);
/// assert_eq!(k.add_rule(&Rule::new(List::Exit, Action::Always)), Err(KernelError::Immutable));
/// ```
#[derive(Debug, Clone, Default)]
pub struct FakeKernel {
    /// The status GET returns.
    pub status: Status,
    /// The rules, in kernel order within each list.
    rules: Vec<Rule>,
}

impl FakeKernel {
    /// An empty, disabled kernel.
    pub fn new() -> FakeKernel {
        FakeKernel::default()
    }

    /// A kernel holding `rules` (added in this order) and locked with `enabled 2`.
    pub fn locked(rules: Vec<Rule>) -> FakeKernel {
        let mut k = FakeKernel::new();
        for r in &rules {
            // A fresh kernel refuses only duplicates; a caller giving duplicates gets one.
            let _ = k.add_rule(r);
        }
        k.status.enabled = 2;
        k
    }

    fn check_unlocked(&self) -> Result<()> {
        if self.status.is_locked() {
            return Err(KernelError::Immutable);
        }
        Ok(())
    }
}

impl AuditKernel for FakeKernel {
    fn status(&mut self) -> Result<Status> {
        Ok(self.status)
    }

    fn features(&mut self) -> Result<Features> {
        Ok(Features {
            vers: 1,
            mask: u32::MAX,
            ..Features::default()
        })
    }

    fn list_rules(&mut self) -> Result<Vec<Rule>> {
        let mut rules = self.rules.clone();
        rules.sort_by_key(|r| r.list.number()); // stable: each list keeps its order
        Ok(rules)
    }

    fn add_rule(&mut self, rule: &Rule) -> Result<()> {
        self.check_unlocked()?;
        if self.rules.iter().any(|r| r.same_identity(rule)) {
            return Err(KernelError::Exists);
        }
        let mut stored = rule.clone();
        stored.prepend = false;
        if rule.prepend {
            self.rules.insert(0, stored);
        } else {
            self.rules.push(stored);
        }
        Ok(())
    }

    fn delete_rule(&mut self, rule: &Rule) -> Result<()> {
        self.check_unlocked()?;
        let i = self
            .rules
            .iter()
            .position(|r| r.same_identity(rule))
            .ok_or(KernelError::NotFound)?;
        self.rules.remove(i);
        Ok(())
    }

    fn set_enabled(&mut self, enabled: u32) -> Result<()> {
        self.check_unlocked()?;
        if enabled > 1 {
            return Err(KernelError::WouldLock(enabled));
        }
        self.status.enabled = enabled;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Field, FieldType, List, Op};

    fn rule(key: &str) -> Rule {
        let mut r = Rule::new(List::Exit, Action::Always);
        r.mask.set(175);
        r.fields.push(Field::str(FieldType::KEY, Op::Equal, key));
        r
    }

    #[test]
    fn fake_keeps_kernel_order_and_identity() {
        let mut k = FakeKernel::new();
        k.add_rule(&rule("a")).unwrap();
        k.add_rule(&Rule::new(List::Task, Action::Never)).unwrap();
        let mut first = rule("b");
        first.prepend = true;
        k.add_rule(&first).unwrap();
        assert_eq!(k.add_rule(&rule("a")), Err(KernelError::Exists));
        let listed = k.list_rules().unwrap();
        assert_eq!(listed[0].list, List::Task);
        assert_eq!(listed[1].keys(), vec![&b"b"[..]]);
        assert!(!listed[1].prepend);
        assert_eq!(listed[2].keys(), vec![&b"a"[..]]);
        k.delete_rule(&rule("a")).unwrap();
        assert_eq!(k.delete_rule(&rule("a")), Err(KernelError::NotFound));
    }

    #[test]
    fn locked_fake_refuses_every_change_but_lists() {
        let mut k = FakeKernel::locked(vec![rule("a")]);
        assert_eq!(k.add_rule(&rule("b")), Err(KernelError::Immutable));
        assert_eq!(k.delete_rule(&rule("a")), Err(KernelError::Immutable));
        assert_eq!(k.set_enabled(0), Err(KernelError::Immutable));
        assert_eq!(k.list_rules().unwrap(), vec![rule("a")]);
        assert!(k.status().unwrap().is_locked());
        assert!(!KernelError::Immutable.is_not_applicable());
    }

    #[test]
    fn enabling_two_is_refused_before_asking_anyone() {
        let mut k = FakeKernel::new();
        assert_eq!(k.set_enabled(2), Err(KernelError::WouldLock(2)));
        k.set_enabled(1).unwrap();
        assert_eq!(k.status().unwrap().enabled, 1);
    }

    #[test]
    fn errno_mapping() {
        assert_eq!(
            KernelError::from_errno(Errno::EXIST).to_string(),
            "Rule exists"
        );
        assert_eq!(KernelError::from_errno(Errno::NOENT), KernelError::NotFound);
        assert_eq!(KernelError::from_errno(Errno::INVAL), KernelError::Invalid);
        assert!(KernelError::from_errno(Errno::CONNREFUSED).is_not_applicable());
        assert!(KernelError::from_errno(Errno::PROTONOSUPPORT).is_not_applicable());
        assert!(KernelError::from_errno(Errno::PERM).is_not_applicable());
        assert!(!KernelError::from_errno(Errno::INVAL).is_not_applicable());
        assert_eq!(
            KernelError::from(TransportError::Timeout),
            KernelError::Timeout
        );
    }
}
