//! Harmless probes: the module syscalls made with arguments the kernel must refuse, on the
//! native ABI or (x86_64) the 32-bit one through `int 0x80`. They fail (EFAULT, EBADF,
//! ENOENT, ENOSYS without module support, EPERM without CAP_SYS_MODULE) and change nothing,
//! but the kernel audits them at syscall exit exactly like real module loads.
//!
//! Runs in a child process (`auditguard __probe`), never in auditguard itself: the child first
//! takes a user's login uid (so rules filtered on `auid>=UID_MIN` see a user action), and a
//! 32-bit probe on a kernel without IA32 emulation can only kill the child.

use crate::model::{syscalls, Machine};

extern "C" {
    /// libc's `syscall(2)`.
    fn syscall(number: i64, ...) -> i64;
}

/// Why a probe could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// Only the module syscalls have a known-harmless form.
    #[error("no harmless probe exists for {0}")]
    NotHarmless(String),
    /// The syscall is not in the ABI's table.
    #[error("{abi} has no syscall {name}")]
    Unknown {
        /// The ABI.
        abi: &'static str,
        /// The syscall.
        name: String,
    },
    /// This build cannot enter that ABI (only x86_64's 32-bit ABI is supported).
    #[error("probing the {0} ABI from this machine is not supported")]
    Unsupported(&'static str),
}

/// The names that have a harmless form: all pointers NULL, fd -1.
pub const HARMLESS: &[&str] = &["init_module", "finit_module", "delete_module"];

/// Make syscall `name` of `abi` on a `native` machine with refused arguments. Returns the
/// raw result (a negative errno, or -1 with errno for the native path mapped to `-errno`).
pub fn probe(native: Machine, abi: Machine, name: &str) -> Result<i64, ProbeError> {
    if !HARMLESS.contains(&name) {
        return Err(ProbeError::NotHarmless(name.to_string()));
    }
    let nr = syscalls::number(abi, name).ok_or_else(|| ProbeError::Unknown {
        abi: abi.name(),
        name: name.to_string(),
    })?;
    // finit_module(fd = -1, NULL, 0); init_module(NULL, 0, NULL); delete_module(NULL, 0).
    let first: i64 = if name == "finit_module" { -1 } else { 0 };
    if abi == native {
        // SAFETY: the arguments are NULL pointers / fd -1 / zero, which the kernel checks and
        // refuses before touching any memory; no Rust memory is passed.
        let rc = unsafe { syscall(i64::from(nr), first, 0i64, 0i64) };
        if rc < 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Ok(-i64::from(errno));
        }
        return Ok(rc);
    }
    compat32(native, nr, first as u32)
}

/// A 32-bit syscall through `int 0x80` (x86_64 with IA32 emulation).
#[cfg(target_arch = "x86_64")]
fn compat32(native: Machine, nr: u32, first: u32) -> Result<i64, ProbeError> {
    if native != Machine::X86_64 {
        return Err(ProbeError::Unsupported(native.name()));
    }
    let ret: i64;
    // SAFETY: `int 0x80` enters the i386 syscall table with eax = number, ebx, ecx, edx =
    // arguments (here -1/NULL/0, refused by the kernel before any memory access). rbx is
    // reserved by LLVM, so the first argument is swapped in and out around the interrupt.
    unsafe {
        core::arch::asm!(
            "xchg {a:r}, rbx",
            "int 0x80",
            "xchg {a:r}, rbx",
            a = inout(reg) u64::from(first) => _,
            inlateout("rax") u64::from(nr) => ret,
            in("rcx") 0u64,
            in("rdx") 0u64,
        );
    }
    // The i386 ABI returns a 32-bit -errno in eax.
    Ok(i64::from(ret as i32))
}

#[cfg(not(target_arch = "x86_64"))]
fn compat32(native: Machine, _nr: u32, _first: u32) -> Result<i64, ProbeError> {
    Err(ProbeError::Unsupported(native.name()))
}

/// Give this process the login uid `uid` (`/proc/self/loginuid`; needs CAP_AUDIT_CONTROL and
/// an unlocked loginuid). Children inherit it.
pub fn set_loginuid(uid: u32) -> std::io::Result<()> {
    std::fs::write("/proc/self/loginuid", uid.to_string())
}

/// This process's login uid (4294967295 when unset).
pub fn loginuid() -> Option<u32> {
    std::fs::read_to_string("/proc/self/loginuid")
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_module_syscalls_are_probed() {
        assert_eq!(
            probe(Machine::X86_64, Machine::X86_64, "execve"),
            Err(ProbeError::NotHarmless("execve".into()))
        );
    }
}
