//! Loading, as the host would: which loader runs at boot ([`detect`]), what augenrules
//! writes ([`augenrules`]), and what `auditctl -R` then puts into the kernel ([`auditctl`]).

pub mod auditctl;
pub mod augenrules;
pub mod detect;
