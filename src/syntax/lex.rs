//! Lines and tokens as `auditctl -R` sees them.
//!
//! STUB: to be written.
