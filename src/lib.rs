//! auditguard: makes sure Linux hosts really audit what compliance controls demand.
//!
//! The pipeline, one module per stage, data flowing one way:
//!
//! ```text
//! host        the target (live host or --root DIR), behind the Host trait
//! load        detect the loader; augenrules merge; auditctl -R simulation -> kernel list
//! syntax      rule text -> commands, exactly as auditctl -R reads it
//! model       kernel-shaped rules, field/arch/syscall tables, the auditctl -l printer
//! control     controls as data; first-match evaluation over the kernel list -> findings
//! report      findings -> text or JSON
//! fix         findings -> edits tried on an in-memory overlay -> atomic writes (-> kernel)
//! kernel      NETLINK_AUDIT: rules and status codecs, client, events, probes, drift
//! verify      probes in a child, records on the multicast group -> proof of collection
//! cli         the auditguard commands
//! ```
#![warn(missing_docs)]

pub mod cli;
pub mod control;
pub mod fix;
pub mod host;
pub mod kernel;
pub mod load;
pub mod model;
pub mod report;
pub mod syntax;
pub mod verify;
