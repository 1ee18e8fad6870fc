//! Harmless probes: the module syscalls made with arguments the kernel must refuse, on the
//! native ABI or (x86_64) the 32-bit one through `int 0x80`. They fail (EFAULT, EBADF,
//! ENOENT, ENOSYS without module support, EPERM without CAP_SYS_MODULE) and change nothing,
//! but the kernel audits them at syscall exit exactly like real module loads.
//!
//! Runs in a child process (`auditguard __probe`), never in auditguard itself: the child first
//! takes a user's login uid (so rules filtered on `auid>=UID_MIN` see a user action), and a
//! 32-bit probe on a kernel without IA32 emulation can only kill the child.

use crate::model::{syscalls, Machine};

// Raw syscalls by hand: the point is to make one given syscall, by number, on a chosen ABI,
// with chosen refused arguments; no crate wraps "syscall N of the i386 table".
extern "C" {
    /// libc's `syscall(2)`.
    fn syscall(number: i64, ...) -> i64;
}

/// Why a probe could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The syscall has no known-harmless form of the kind asked for.
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

/// The module syscalls, the seed's probes (kept for callers that name them).
pub const HARMLESS: &[&str] = &["init_module", "finit_module", "delete_module"];

/// Syscalls with a refused form: every pointer NULL (EFAULT) and, where the first argument is
/// a file descriptor, -1 (EBADF). The kernel checks these before it touches anything, and
/// audits the call at syscall exit like any other.
pub const REFUSABLE: &[&str] = &[
    "init_module",
    "finit_module",
    "delete_module",
    "execve",
    "chmod",
    "fchmod",
    "fchmodat",
    "chown",
    "fchown",
    "fchownat",
    "lchown",
    "chown32",
    "fchown32",
    "lchown32",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "truncate",
    "ftruncate",
    "creat",
    "open",
    "openat",
    "open_by_handle_at",
    "umount",
    "umount2",
];

/// Syscalls whose first argument is a file descriptor (given -1 in the refused form).
const FD_FIRST: &[&str] = &[
    "finit_module",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchown32",
    "fchownat",
    "fsetxattr",
    "fremovexattr",
    "renameat",
    "renameat2",
    "unlinkat",
    "ftruncate",
    "openat",
    "open_by_handle_at",
];

/// How a probe makes its syscall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// With refused arguments (see [`REFUSABLE`]).
    Refused,
    /// On an existing file, changing nothing: opened for writing with `O_APPEND` and closed
    /// without a write, chmod to its current mode, chown to -1:-1, an xattr that does not exist
    /// replaced or removed (ENODATA), linked onto itself (EEXIST). (A rename onto itself is a
    /// no-op that never names the file's inode, so a watch cannot see it: renames have no
    /// harmless form.) See [`on_file_form`].
    OnFile {
        /// The file.
        path: Vec<u8>,
        /// Its current mode (permission bits), for chmod.
        mode: u32,
    },
    /// Made to fail with `errno` (13 EACCES or 1 EPERM) by an unprivileged process: EACCES on
    /// `denied` (a file in a directory only root may search), EPERM by opening `owned` (a
    /// root-owned file) with `O_NOATIME`, or `open_by_handle_at` without CAP_DAC_READ_SEARCH.
    Errno {
        /// The errno wanted.
        errno: u32,
        /// A path below a directory the probe may not search.
        denied: Vec<u8>,
        /// A root-owned file the probe may read but does not own.
        owned: Vec<u8>,
    },
}

/// Whether a syscall has a harmless on-file form.
pub fn on_file_form(name: &str) -> bool {
    matches!(
        name,
        "open"
            | "openat"
            | "chmod"
            | "fchmodat"
            | "chown"
            | "lchown"
            | "chown32"
            | "lchown32"
            | "fchownat"
            | "setxattr"
            | "lsetxattr"
            | "removexattr"
            | "lremovexattr"
            | "link"
            | "linkat"
    )
}

/// Whether a syscall can be made to fail with `errno` harmlessly (see [`Form::Errno`]).
pub fn errno_form(name: &str, errno: u32) -> bool {
    match errno {
        EACCES => matches!(name, "open" | "openat" | "creat" | "truncate"),
        EPERM => matches!(name, "open" | "openat" | "open_by_handle_at"),
        _ => false,
    }
}

const EPERM: u32 = 1;
const EACCES: u32 = 13;
const AT_FDCWD: i64 = -100;
const O_WRONLY: i64 = 0o1;
const O_APPEND: i64 = 0o2000;
const O_NOATIME: i64 = 0o1000000;
const XATTR_REPLACE: i64 = 2;
const PROBE_XATTR: &[u8] = b"user.auditguard-probe";

/// Make syscall `name` of `abi` on a `native` machine in the given form. Returns the raw
/// result (a negative errno on failure). An fd the call opened is closed again.
///
/// # Errors
/// [`ProbeError::NotHarmless`] when the syscall has no such form, [`ProbeError::Unknown`]
/// when the ABI lacks it, [`ProbeError::Unsupported`] for an ABI this build cannot enter.
pub fn probe_form(
    native: Machine,
    abi: Machine,
    name: &str,
    form: &Form,
) -> Result<i64, ProbeError> {
    let not_harmless = || ProbeError::NotHarmless(name.to_string());
    let harmless = match form {
        Form::Refused => REFUSABLE.contains(&name),
        Form::OnFile { .. } => on_file_form(name),
        Form::Errno { errno, .. } => errno_form(name, *errno),
    };
    if !harmless {
        return Err(not_harmless());
    }
    let nr = syscalls::number(abi, name).ok_or_else(|| ProbeError::Unknown {
        abi: abi.name(),
        name: name.to_string(),
    })?;
    let mut strings = LowStrings::new();
    let args: [i64; 5] = match form {
        Form::Refused => {
            let first = if FD_FIRST.contains(&name) { -1 } else { 0 };
            [first, 0, 0, 0, 0]
        }
        Form::OnFile { path, mode } => {
            let p = strings.put(path).ok_or_else(not_harmless)?;
            let x = strings.put(PROBE_XATTR).ok_or_else(not_harmless)?;
            let mode = i64::from(*mode & 0o7777);
            match name {
                "open" => [p, O_WRONLY | O_APPEND, 0, 0, 0],
                "openat" => [AT_FDCWD, p, O_WRONLY | O_APPEND, 0, 0],
                "chmod" => [p, mode, 0, 0, 0],
                "fchmodat" => [AT_FDCWD, p, mode, 0, 0],
                "chown" | "lchown" | "chown32" | "lchown32" => [p, -1, -1, 0, 0],
                "fchownat" => [AT_FDCWD, p, -1, -1, 0],
                "setxattr" | "lsetxattr" => [p, x, 0, 0, XATTR_REPLACE],
                "removexattr" | "lremovexattr" => [p, x, 0, 0, 0],
                "link" => [p, p, 0, 0, 0],
                _ => [AT_FDCWD, p, AT_FDCWD, p, 0],
            }
        }
        Form::Errno {
            errno,
            denied,
            owned,
        } => {
            let d = strings.put(denied).ok_or_else(not_harmless)?;
            let o = strings.put(owned).ok_or_else(not_harmless)?;
            match (*errno, name) {
                (EACCES, "open") => [d, 0, 0, 0, 0],
                (EACCES, "openat") => [AT_FDCWD, d, 0, 0, 0],
                (EACCES, "creat") => [d, 0o600, 0, 0, 0],
                (EACCES, "truncate") => [d, 0, 0, 0, 0],
                (EPERM, "open") => [o, O_NOATIME, 0, 0, 0],
                (EPERM, "openat") => [AT_FDCWD, o, O_NOATIME, 0, 0],
                _ => [AT_FDCWD, 0, 0, 0, 0],
            }
        }
    };
    let rc = raw(native, abi, nr, args)?;
    // Close what an open for writing opened (native and compat fds are the same table).
    if rc >= 0 && matches!(form, Form::OnFile { .. }) && matches!(name, "open" | "openat") {
        if let Some(close) = syscalls::number(native, "close") {
            raw(native, native, close, [rc, 0, 0, 0, 0])?;
        }
    }
    Ok(rc)
}

/// Make syscall `name` of `abi` with refused arguments (see [`REFUSABLE`]).
///
/// # Errors
/// As [`probe_form`].
pub fn probe(native: Machine, abi: Machine, name: &str) -> Result<i64, ProbeError> {
    probe_form(native, abi, name, &Form::Refused)
}

/// NUL-terminated strings in memory a 32-bit syscall can address (below 4 GiB: an anonymous
/// `MAP_32BIT` page), since a compat syscall takes 32-bit pointers.
struct LowStrings {
    base: *mut u8,
    used: usize,
}

const LOW_PAGE: usize = 4096;

extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
}

impl LowStrings {
    fn new() -> LowStrings {
        const PROT_READ_WRITE: i32 = 0x3;
        const MAP_PRIVATE_ANON_32BIT: i32 = 0x02 | 0x20 | 0x40;
        // SAFETY: a fresh anonymous private mapping nothing else refers to. It is leaked on
        // purpose: the probe child exits right after its probes (and tests make few).
        let base = unsafe {
            mmap(
                std::ptr::null_mut(),
                LOW_PAGE,
                PROT_READ_WRITE,
                MAP_PRIVATE_ANON_32BIT,
                -1,
                0,
            )
        };
        LowStrings {
            base: if base as isize == -1 {
                std::ptr::null_mut()
            } else {
                base
            },
            used: 0,
        }
    }

    /// Copy `s` with a NUL after it and return its address (`None`: no room, no mapping, or
    /// a NUL inside `s`).
    fn put(&mut self, s: &[u8]) -> Option<i64> {
        let len = s.len() + 1;
        if self.base.is_null() || self.used + len > LOW_PAGE || s.contains(&0) {
            return None;
        }
        // SAFETY: `base..base+LOW_PAGE` is our mapping and `used + len <= LOW_PAGE`.
        unsafe {
            let at = self.base.add(self.used);
            std::ptr::copy_nonoverlapping(s.as_ptr(), at, s.len());
            *at.add(s.len()) = 0;
            self.used += len;
            Some(at as i64)
        }
    }
}

/// One raw syscall with five arguments, natively or through the 32-bit entry.
fn raw(native: Machine, abi: Machine, nr: u32, a: [i64; 5]) -> Result<i64, ProbeError> {
    if abi == native {
        // SAFETY: the arguments are NULL, -1, small integers, or pointers to NUL-terminated
        // strings in our own mapping, chosen per syscall so that the kernel refuses the call
        // or changes nothing (see `Form`).
        let rc = unsafe { syscall(i64::from(nr), a[0], a[1], a[2], a[3], a[4]) };
        if rc < 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Ok(-i64::from(errno));
        }
        return Ok(rc);
    }
    compat32(native, nr, a.map(|x| x as u32))
}

/// A 32-bit syscall through `int 0x80` (x86_64 with IA32 emulation), five arguments.
#[cfg(target_arch = "x86_64")]
fn compat32(native: Machine, nr: u32, a: [u32; 5]) -> Result<i64, ProbeError> {
    if native != Machine::X86_64 {
        return Err(ProbeError::Unsupported(native.name()));
    }
    let ret: i64;
    // SAFETY: `int 0x80` enters the i386 syscall table with eax = number and ebx, ecx, edx,
    // esi, edi = arguments (chosen per syscall so the call is refused or changes nothing;
    // pointers into a MAP_32BIT mapping). rbx is reserved by LLVM, so the first argument is
    // swapped in and out around the interrupt.
    unsafe {
        core::arch::asm!(
            "xchg {a:r}, rbx",
            "int 0x80",
            "xchg {a:r}, rbx",
            a = inout(reg) u64::from(a[0]) => _,
            inlateout("rax") u64::from(nr) => ret,
            in("rcx") u64::from(a[1]),
            in("rdx") u64::from(a[2]),
            in("rsi") u64::from(a[3]),
            in("rdi") u64::from(a[4]),
        );
    }
    // The i386 ABI returns a 32-bit -errno in eax.
    Ok(i64::from(ret as i32))
}

#[cfg(not(target_arch = "x86_64"))]
fn compat32(native: Machine, _nr: u32, _a: [u32; 5]) -> Result<i64, ProbeError> {
    Err(ProbeError::Unsupported(native.name()))
}

/// Drop to an unprivileged user and group (for the errno probes): `setgroups(0)`,
/// `setresgid`, `setresuid` on the native ABI. Irreversible for the (single-threaded) probe
/// child that calls it.
///
/// # Errors
/// The negative errno of the first call that failed.
pub fn drop_privileges(native: Machine, uid: u32, gid: u32) -> Result<(), i64> {
    for (name, args) in [
        ("setgroups", [0i64, 0, 0, 0, 0]),
        ("setresgid", [i64::from(gid); 5]),
        ("setresuid", [i64::from(uid); 5]),
    ] {
        let nr = syscalls::number(native, name).ok_or(-38i64)?;
        let rc = raw(native, native, nr, args).map_err(|_| -38i64)?;
        if rc < 0 {
            return Err(rc);
        }
    }
    Ok(())
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
    fn only_syscalls_with_a_harmless_form_are_probed() {
        assert_eq!(
            probe(Machine::X86_64, Machine::X86_64, "kill"),
            Err(ProbeError::NotHarmless("kill".into()))
        );
        let file = Form::OnFile {
            path: b"/nonexistent".to_vec(),
            mode: 0o644,
        };
        assert_eq!(
            probe_form(Machine::X86_64, Machine::X86_64, "unlink", &file),
            Err(ProbeError::NotHarmless("unlink".into()))
        );
        assert!(errno_form("open", 13) && !errno_form("ftruncate", 13));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn refused_forms_fail_and_on_file_forms_change_nothing() {
        use std::os::unix::fs::PermissionsExt;
        for name in [
            "chmod", "fchmod", "unlink", "rename", "truncate", "openat", "execve",
        ] {
            let rc = probe(Machine::X86_64, Machine::X86_64, name).unwrap();
            assert!(rc == -14 || rc == -9, "{name}: {rc}");
        }
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"keep").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let before = std::fs::metadata(&f).unwrap();
        let form = Form::OnFile {
            path: f.as_os_str().as_encoded_bytes().to_vec(),
            mode: 0o640,
        };
        for name in [
            "open",
            "openat",
            "chmod",
            "fchmodat",
            "chown",
            "lchown",
            "fchownat",
            "setxattr",
            "removexattr",
            "link",
            "linkat",
        ] {
            let _ = probe_form(Machine::X86_64, Machine::X86_64, name, &form).unwrap();
        }
        let after = std::fs::metadata(&f).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"keep");
        assert_eq!(before.permissions().mode(), after.permissions().mode());
        assert_eq!(before.len(), after.len());
        assert_eq!(before.modified().unwrap(), after.modified().unwrap());
    }
}
