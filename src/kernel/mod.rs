//! The running kernel's audit subsystem, over `NETLINK_AUDIT` (live host only).
//!
//! Rules read from the kernel become the same [`crate::model::Rule`] values the parser makes,
//! so one evaluator and one `auditctl -l` printer serve configuration and kernel alike.
//!
//! ```text
//! wire      pure codecs: struct audit_rule_data <-> Rule, audit_status, netlink framing
//! netlink   the transport: a NETLINK_AUDIT socket, request -> ack + replies (opaque bytes)
//! client    AuditKernel: status, list, add, delete, set_enabled; NetlinkKernel, FakeKernel
//! events    read-only multicast listener (AUDIT_NLGRP_READLOG); event ids and keys
//! ```
//!
//! Safety: nothing here ever sets `enabled 2`, `failure 2` or the loginuid lock; a locked
//! kernel (`enabled 2`) is reported as [`client::KernelError::Immutable`], never worked around.
//! This module refuses to know rule text or controls.

pub mod client;
pub mod events;
pub mod netlink;
pub mod probe;
pub mod wire;

pub use client::{AuditKernel, FakeKernel, KernelError, NetlinkKernel};
pub use wire::{Features, Status};
