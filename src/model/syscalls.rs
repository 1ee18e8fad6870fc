//! Per-arch syscall tables with auditctl's names (`pread`, not `pread64`).
//!
//! STUB: to be filled from `ausyscall <arch> --dump` of auditd 3.0.9.

use crate::model::arch::Machine;

/// The syscall number for `name` in `machine`'s table, as `audit_name_to_syscall` finds it.
pub fn number(machine: Machine, name: &str) -> Option<u32> {
    let _ = (machine, name);
    None
}

/// The name auditctl prints for syscall `nr` of `machine`, if its table has one.
pub fn name(machine: Machine, nr: u32) -> Option<&'static str> {
    let _ = (machine, nr);
    None
}
