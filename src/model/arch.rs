//! Machines and their audit arch numbers: what `-F arch=` means on a given target.
//!
//! Mirrors libaudit 3.0.9 (`lib/machinetab.h`, `elftab` in `lib/lookup_table.c`,
//! `audit_determine_machine` in `lib/libaudit.c`). The `b32`/`b64` aliases are resolved
//! against the *target's* machine, never silently against the machine auditguard runs on.

use crate::model::cnum;

/// `__AUDIT_ARCH_64BIT`
pub const ARCH_64BIT: u32 = 0x8000_0000;
/// `__AUDIT_ARCH_LE`
pub const ARCH_LE: u32 = 0x4000_0000;

/// A machine type as libaudit knows it (`MACH_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Machine {
    /// i386..i686
    X86,
    /// x86_64
    X86_64,
    /// ppc64 (big endian)
    Ppc64,
    /// ppc64le
    Ppc64le,
    /// 32-bit ppc
    Ppc,
    /// s390x
    S390x,
    /// 31-bit s390
    S390,
    /// 32-bit arm (arm, armeb, armv5tejl, armv5tel, armv6l, armv7l)
    Arm,
    /// aarch64 (also `armv8l`)
    Aarch64,
}

/// libaudit's machine names, aliases included (`machinetab.h`).
const MACHINE_NAMES: &[(&str, Machine)] = &[
    ("i386", Machine::X86),
    ("i486", Machine::X86),
    ("i586", Machine::X86),
    ("i686", Machine::X86),
    ("x86_64", Machine::X86_64),
    ("ppc64", Machine::Ppc64),
    ("ppc64le", Machine::Ppc64le),
    ("ppc", Machine::Ppc),
    ("s390x", Machine::S390x),
    ("s390", Machine::S390),
    ("armeb", Machine::Arm),
    ("arm", Machine::Arm),
    ("armv5tejl", Machine::Arm),
    ("armv5tel", Machine::Arm),
    ("armv6l", Machine::Arm),
    ("armv7l", Machine::Arm),
    ("aarch64", Machine::Aarch64),
    ("armv8l", Machine::Aarch64),
];

/// Every machine with its AUDIT_ARCH number (`linux/audit.h`).
const ELF_TABLE: &[(Machine, u32)] = &[
    (Machine::X86, 0x4000_0003),
    (Machine::X86_64, 0xC000_003E),
    (Machine::Ppc64, 0x8000_0015),
    (Machine::Ppc64le, 0xC000_0015),
    (Machine::Ppc, 0x0000_0014),
    (Machine::S390x, 0x8000_0016),
    (Machine::S390, 0x0000_0016),
    (Machine::Arm, 0x4000_0028),
    (Machine::Aarch64, 0xC000_00B7),
];

impl Machine {
    /// Every machine, for tables and tests.
    pub const ALL: [Machine; 9] = [
        Machine::X86,
        Machine::X86_64,
        Machine::Ppc64,
        Machine::Ppc64le,
        Machine::Ppc,
        Machine::S390x,
        Machine::S390,
        Machine::Arm,
        Machine::Aarch64,
    ];

    /// The machine for a `uname -m` style name, with libaudit's aliases (exact, lower case,
    /// as `audit_name_to_machine` compares).
    pub fn from_name(name: &str) -> Option<Machine> {
        MACHINE_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| *m)
    }

    /// The canonical name (as `ausyscall` and `auditctl -l -i` print it).
    pub fn name(self) -> &'static str {
        match self {
            Machine::X86 => "i386",
            Machine::X86_64 => "x86_64",
            Machine::Ppc64 => "ppc64",
            Machine::Ppc64le => "ppc64le",
            Machine::Ppc => "ppc",
            Machine::S390x => "s390x",
            Machine::S390 => "s390",
            Machine::Arm => "arm",
            Machine::Aarch64 => "aarch64",
        }
    }

    /// The AUDIT_ARCH number the kernel compares with `-F arch=`.
    pub fn audit_arch(self) -> u32 {
        ELF_TABLE
            .iter()
            .find(|(m, _)| *m == self)
            .map(|(_, a)| *a)
            .expect("every machine has an arch number")
    }

    /// The machine for an AUDIT_ARCH number.
    pub fn from_audit_arch(arch: u32) -> Option<Machine> {
        ELF_TABLE.iter().find(|(_, a)| *a == arch).map(|(m, _)| *m)
    }

    /// Whether this is a 64-bit ABI.
    pub fn is_64bit(self) -> bool {
        self.audit_arch() & ARCH_64BIT != 0
    }

    /// The 32-bit compat machine that `b32` means on this machine, if any
    /// (`audit_determine_machine`). ppc64le has none: libaudit refuses `b32` there.
    pub fn compat32(self) -> Option<Machine> {
        match self {
            Machine::X86_64 => Some(Machine::X86),
            Machine::Ppc64 => Some(Machine::Ppc),
            Machine::S390x => Some(Machine::S390),
            Machine::Aarch64 => Some(Machine::Arm),
            _ => None,
        }
    }

    /// The ABIs whose syscalls a process on this machine can make: the native one first,
    /// then the 32-bit compat one. A compliance control needs rules for each.
    pub fn abis(self) -> Vec<Machine> {
        let mut abis = vec![self];
        abis.extend(self.compat32());
        abis
    }

    /// Resolve `-F arch=VALUE` as libaudit 3.0.9 does on a host of this machine type: a
    /// value starting with a digit is an AUDIT_ARCH number (`strtoul` base 0); otherwise
    /// `b64`/`b32` (case-insensitive), a machine name, or a bare hex AUDIT_ARCH number.
    pub fn resolve_arch(self, value: &[u8]) -> Result<Machine, ArchError> {
        if value.first().is_some_and(u8::is_ascii_digit) {
            let n = cnum::strtoul(value, 0);
            if n.overflow {
                return Err(ArchError::Unknown);
            }
            return Machine::from_audit_arch(n.as_u32()).ok_or(ArchError::Unknown);
        }
        let text = std::str::from_utf8(value).map_err(|_| ArchError::Unknown)?;
        let (machine, want) = if text.eq_ignore_ascii_case("b64") {
            (self, Some(true))
        } else if text.eq_ignore_ascii_case("b32") {
            (self, Some(false))
        } else if let Some(m) = Machine::from_name(text) {
            (m, None)
        } else {
            // audit_determine_machine falls back to strtoul(value, NULL, 16).
            let n = cnum::strtoul(value, 16);
            if n.overflow || !n.consumed {
                return Err(ArchError::Unknown);
            }
            (
                Machine::from_audit_arch(n.as_u32()).ok_or(ArchError::Unknown)?,
                None,
            )
        };
        let machine = match (want, machine.compat32()) {
            (Some(false), Some(compat)) => compat,
            _ => machine,
        };
        match want {
            Some(true) if !machine.is_64bit() => Err(ArchError::WrongBits),
            Some(false) if machine.is_64bit() => Err(ArchError::WrongBits),
            _ => Ok(machine),
        }
    }
}

/// Why an arch value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchError {
    /// Not a known machine (libaudit EAU_ELFUNKNOWN: "elf mapping not found").
    Unknown,
    /// `b64` on a 32-bit machine or `b32` where no 32-bit ABI exists.
    WrongBits,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b32_b64_on_x86_64() {
        let m = Machine::X86_64;
        assert_eq!(m.resolve_arch(b"b64"), Ok(Machine::X86_64));
        assert_eq!(m.resolve_arch(b"B32"), Ok(Machine::X86));
        assert_eq!(m.resolve_arch(b"i686"), Ok(Machine::X86));
        assert_eq!(m.resolve_arch(b"c000003e"), Ok(Machine::X86_64));
        assert_eq!(m.resolve_arch(b"0xc000003e"), Ok(Machine::X86_64));
        assert_eq!(m.resolve_arch(b"sparc"), Err(ArchError::Unknown));
    }

    #[test]
    fn bits_checks() {
        assert_eq!(Machine::X86.resolve_arch(b"b64"), Err(ArchError::WrongBits));
        assert_eq!(
            Machine::Ppc64le.resolve_arch(b"b32"),
            Err(ArchError::WrongBits)
        );
        assert_eq!(Machine::Aarch64.resolve_arch(b"b32"), Ok(Machine::Arm));
        assert_eq!(Machine::X86.resolve_arch(b"b32"), Ok(Machine::X86));
    }

    #[test]
    fn abis() {
        assert_eq!(Machine::X86_64.abis(), vec![Machine::X86_64, Machine::X86]);
        assert_eq!(Machine::X86.abis(), vec![Machine::X86]);
        assert_eq!(Machine::Ppc64le.abis(), vec![Machine::Ppc64le]);
    }
}
