//! The audit rule model, shaped like the kernel's `struct audit_rule_data`, and the tables
//! that give its numbers names: fields, machines/arches, syscalls, errno and record types.
//!
//! Text (`syntax`) and netlink (`kernel`) both produce [`rule::Rule`]; the `auditctl -l`
//! printer ([`listing`]) turns one back into the exact text auditctl 3.0.9 prints.

pub mod accounts;
pub mod arch;
pub mod cnum;
pub mod field;
pub mod listing;
pub mod names;
pub mod rule;
pub mod status;
pub mod syscalls;
pub mod target;

pub use accounts::Accounts;
pub use arch::Machine;
pub use field::FieldType;
pub use rule::{Action, Field, List, Mask, Op, Rule, Value};
pub use target::{BootSource, BootSourceKind, FileFacts, PathFacts, ScanGap, TargetFacts};
