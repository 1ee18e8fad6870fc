//! Name tables for field values: errno names (`exit=-EPERM`), record types
//! (`msgtype=CWD`), file types and filesystem types.
//!
//! STUB: to be filled from what auditctl 3.0.9 accepts and prints.

/// The errno number for a name such as `EPERM` (positive).
pub fn errno_number(name: &str) -> Option<u32> {
    let _ = name;
    None
}

/// The name for a positive errno number.
pub fn errno_name(n: u32) -> Option<&'static str> {
    let _ = n;
    None
}

/// The record type number for a name such as `CWD`.
pub fn msgtype_number(name: &str) -> Option<u32> {
    let _ = name;
    None
}

/// The record type name for a number.
pub fn msgtype_name(n: u32) -> Option<&'static str> {
    let _ = n;
    None
}
