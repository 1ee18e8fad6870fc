//! auditguard: makes sure Linux hosts really audit what compliance controls demand.
//!
//! The pipeline, one module per stage, data flowing one way:
//!
//! ```text
//! detect → merge → lex/parse → resolve → simulate → evaluate → report / plan
//!
//! host        the one door to the target (live host or --root DIR): openat2-confined reads
//! load        detect the loader; augenrules merge; resolve (the kernel's add step against the
//!             target, the only reader after the parse); auditctl -R simulation (pure)
//! syntax      rule text -> commands, exactly as auditctl -R reads it (pure)
//! model       kernel-shaped rules, field/arch/syscall tables, the auditctl -l printer
//! control     controls as data; per-list evaluation -> judgements: causes citing rules (pure)
//! report      every word: causes -> sentences; text, JSON; renderers of every command
//! fix         judgements -> named strategies on an in-memory overlay -> compare-and-swap
//!             writes in a crash-safe order (-> kernel)
//! kernel      NETLINK_AUDIT: rules and status codecs, client, events, probes
//! verify      probes in a child, records on the multicast group -> proof of collection
//! cli         the auditguard commands; reads the kernel at the edge
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
