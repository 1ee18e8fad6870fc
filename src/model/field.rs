//! The field table: one row per audit field — name, kernel number, how its value is read and
//! printed, which operators the kernel allows, and whether it is exit-list only.
//!
//! Numbers come from `linux/audit.h`; names and aliases from libaudit 3.0.9 `lib/fieldtab.h`;
//! operator rules from the kernel's `audit_field_valid` (`kernel/auditfilter.c`) and libaudit's
//! `audit_rule_fieldpair_data`. Everything that needs to know "what kind of field is this"
//! asks this table; no other module lists field names.

/// A field number (`AUDIT_*` in `linux/audit.h`). Unknown numbers are kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldType(pub u32);

impl FieldType {
    /// `AUDIT_PID`
    pub const PID: FieldType = FieldType(0);
    /// `AUDIT_UID`
    pub const UID: FieldType = FieldType(1);
    /// `AUDIT_EUID`
    pub const EUID: FieldType = FieldType(2);
    /// `AUDIT_SUID`
    pub const SUID: FieldType = FieldType(3);
    /// `AUDIT_FSUID`
    pub const FSUID: FieldType = FieldType(4);
    /// `AUDIT_GID`
    pub const GID: FieldType = FieldType(5);
    /// `AUDIT_EGID`
    pub const EGID: FieldType = FieldType(6);
    /// `AUDIT_SGID`
    pub const SGID: FieldType = FieldType(7);
    /// `AUDIT_FSGID`
    pub const FSGID: FieldType = FieldType(8);
    /// `AUDIT_LOGINUID` (`auid`, alias `loginuid`)
    pub const AUID: FieldType = FieldType(9);
    /// `AUDIT_PERS`
    pub const PERS: FieldType = FieldType(10);
    /// `AUDIT_ARCH`
    pub const ARCH: FieldType = FieldType(11);
    /// `AUDIT_MSGTYPE`
    pub const MSGTYPE: FieldType = FieldType(12);
    /// `AUDIT_SUBJ_USER`
    pub const SUBJ_USER: FieldType = FieldType(13);
    /// `AUDIT_SUBJ_ROLE`
    pub const SUBJ_ROLE: FieldType = FieldType(14);
    /// `AUDIT_SUBJ_TYPE`
    pub const SUBJ_TYPE: FieldType = FieldType(15);
    /// `AUDIT_SUBJ_SEN`
    pub const SUBJ_SEN: FieldType = FieldType(16);
    /// `AUDIT_SUBJ_CLR`
    pub const SUBJ_CLR: FieldType = FieldType(17);
    /// `AUDIT_PPID`
    pub const PPID: FieldType = FieldType(18);
    /// `AUDIT_OBJ_USER`
    pub const OBJ_USER: FieldType = FieldType(19);
    /// `AUDIT_OBJ_ROLE`
    pub const OBJ_ROLE: FieldType = FieldType(20);
    /// `AUDIT_OBJ_TYPE`
    pub const OBJ_TYPE: FieldType = FieldType(21);
    /// `AUDIT_OBJ_LEV_LOW`
    pub const OBJ_LEV_LOW: FieldType = FieldType(22);
    /// `AUDIT_OBJ_LEV_HIGH`
    pub const OBJ_LEV_HIGH: FieldType = FieldType(23);
    /// `AUDIT_LOGINUID_SET` (kernel-internal form of `auid=-1`)
    pub const LOGINUID_SET: FieldType = FieldType(24);
    /// `AUDIT_SESSIONID`
    pub const SESSIONID: FieldType = FieldType(25);
    /// `AUDIT_FSTYPE`
    pub const FSTYPE: FieldType = FieldType(26);
    /// `AUDIT_DEVMAJOR`
    pub const DEVMAJOR: FieldType = FieldType(100);
    /// `AUDIT_DEVMINOR`
    pub const DEVMINOR: FieldType = FieldType(101);
    /// `AUDIT_INODE`
    pub const INODE: FieldType = FieldType(102);
    /// `AUDIT_EXIT`
    pub const EXIT: FieldType = FieldType(103);
    /// `AUDIT_SUCCESS`
    pub const SUCCESS: FieldType = FieldType(104);
    /// `AUDIT_WATCH` (`path`)
    pub const PATH: FieldType = FieldType(105);
    /// `AUDIT_PERM`
    pub const PERM: FieldType = FieldType(106);
    /// `AUDIT_DIR`
    pub const DIR: FieldType = FieldType(107);
    /// `AUDIT_FILETYPE`
    pub const FILETYPE: FieldType = FieldType(108);
    /// `AUDIT_OBJ_UID`
    pub const OBJ_UID: FieldType = FieldType(109);
    /// `AUDIT_OBJ_GID`
    pub const OBJ_GID: FieldType = FieldType(110);
    /// `AUDIT_FIELD_COMPARE` (`-C`)
    pub const FIELD_COMPARE: FieldType = FieldType(111);
    /// `AUDIT_EXE`
    pub const EXE: FieldType = FieldType(112);
    /// `AUDIT_SADDR_FAM`
    pub const SADDR_FAM: FieldType = FieldType(113);
    /// `AUDIT_ARG0`
    pub const A0: FieldType = FieldType(200);
    /// `AUDIT_ARG1`
    pub const A1: FieldType = FieldType(201);
    /// `AUDIT_ARG2`
    pub const A2: FieldType = FieldType(202);
    /// `AUDIT_ARG3`
    pub const A3: FieldType = FieldType(203);
    /// `AUDIT_FILTERKEY` (`key`)
    pub const KEY: FieldType = FieldType(210);

    /// This field's row in the table, if the field is known.
    pub fn def(self) -> Option<&'static FieldDef> {
        FIELDS.iter().find(|d| d.kind == self)
    }

    /// The field's canonical name (`auid`, not `loginuid`).
    pub fn name(self) -> Option<&'static str> {
        self.def().map(|d| d.name)
    }

    /// Whether the value travels as a string in `buf`.
    pub fn is_string(self) -> bool {
        self.def().is_some_and(|d| d.value == ValueKind::Str)
    }

    /// The field for a name as written in `-F name=...` (aliases included).
    pub fn from_name(name: &[u8]) -> Option<FieldType> {
        if name == b"loginuid" {
            return Some(FieldType::AUID);
        }
        FIELDS
            .iter()
            .find(|d| d.name.as_bytes() == name)
            .map(|d| d.kind)
    }
}

/// How a field's value is read from text and printed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A user id: number, `-N`, `unset`, or a user name; printed signed.
    Uid,
    /// A group id: number or group name (no `unset`, no negatives); printed signed.
    Gid,
    /// `exit`: number, or errno name with an optional leading `-`; printed `-ENAME`.
    Errno,
    /// `msgtype`: number or record type name; printed by name.
    Msgtype,
    /// `arch`: `b32`/`b64`, a machine name or an AUDIT_ARCH number; printed `b32`/`b64`.
    Arch,
    /// `perm`: letters from `rwxa`.
    Perm,
    /// `filetype`: `file`, `dir`, ... ; printed as the S_IF* number.
    Filetype,
    /// `fstype`: number or `tracefs`/`debugfs`; printed by name.
    Fstype,
    /// `a0`..`a3`: any number, printed as `0x` uppercase hex.
    Arg,
    /// `inode`: unsigned number.
    Inode,
    /// `sessionid`: number or `unset`; printed signed.
    SessionId,
    /// `saddr_fam`: number below AF_MAX.
    SaddrFam,
    /// A plain number (pid, ppid, pers, devmajor, devminor, success); printed signed.
    Num,
    /// A string carried in `buf` (paths, labels, key, exe).
    Str,
    /// `-C` inter-field comparison (AUDIT_COMPARE_* number).
    Compare,
}

/// Which operators the kernel accepts for a field (`audit_field_valid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpSet {
    /// Only `=` and `!=`.
    EqualityOnly,
    /// Everything except the bit operators `&` and `&=`.
    NoBitOps,
    /// Every operator.
    All,
}

/// One row of the field table.
#[derive(Debug)]
pub struct FieldDef {
    /// The kernel's field number.
    pub kind: FieldType,
    /// auditctl's name for it.
    pub name: &'static str,
    /// How the value is read and printed.
    pub value: ValueKind,
    /// Operators the kernel accepts.
    pub ops: OpSet,
    /// libaudit refuses the field outside the exit list (EAU_EXITONLY).
    pub exit_only: bool,
}

const fn row(
    kind: FieldType,
    name: &'static str,
    value: ValueKind,
    ops: OpSet,
    exit_only: bool,
) -> FieldDef {
    FieldDef {
        kind,
        name,
        value,
        ops,
        exit_only,
    }
}

use OpSet::{All, EqualityOnly as EqOnly, NoBitOps};
use ValueKind as V;

/// Every field auditctl 3.0.9 knows, in `fieldtab.h` order.
pub static FIELDS: &[FieldDef] = &[
    row(FieldType::PID, "pid", V::Num, NoBitOps, false),
    row(FieldType::UID, "uid", V::Uid, NoBitOps, false),
    row(FieldType::EUID, "euid", V::Uid, NoBitOps, false),
    row(FieldType::SUID, "suid", V::Uid, NoBitOps, false),
    row(FieldType::FSUID, "fsuid", V::Uid, NoBitOps, false),
    row(FieldType::GID, "gid", V::Gid, NoBitOps, false),
    row(FieldType::EGID, "egid", V::Gid, NoBitOps, false),
    row(FieldType::SGID, "sgid", V::Gid, NoBitOps, false),
    row(FieldType::FSGID, "fsgid", V::Gid, NoBitOps, false),
    row(FieldType::AUID, "auid", V::Uid, NoBitOps, false),
    row(FieldType::PERS, "pers", V::Num, All, false),
    row(FieldType::ARCH, "arch", V::Arch, EqOnly, false),
    row(FieldType::MSGTYPE, "msgtype", V::Msgtype, NoBitOps, false),
    row(FieldType::SUBJ_USER, "subj_user", V::Str, EqOnly, false),
    row(FieldType::SUBJ_ROLE, "subj_role", V::Str, EqOnly, false),
    row(FieldType::SUBJ_TYPE, "subj_type", V::Str, EqOnly, false),
    row(FieldType::SUBJ_SEN, "subj_sen", V::Str, NoBitOps, false),
    row(FieldType::SUBJ_CLR, "subj_clr", V::Str, NoBitOps, false),
    row(FieldType::PPID, "ppid", V::Num, NoBitOps, true),
    row(FieldType::OBJ_USER, "obj_user", V::Str, EqOnly, true),
    row(FieldType::OBJ_ROLE, "obj_role", V::Str, EqOnly, true),
    row(FieldType::OBJ_TYPE, "obj_type", V::Str, EqOnly, true),
    row(
        FieldType::OBJ_LEV_LOW,
        "obj_lev_low",
        V::Str,
        NoBitOps,
        true,
    ),
    row(
        FieldType::OBJ_LEV_HIGH,
        "obj_lev_high",
        V::Str,
        NoBitOps,
        true,
    ),
    row(
        FieldType::SESSIONID,
        "sessionid",
        V::SessionId,
        NoBitOps,
        false,
    ),
    row(FieldType::DEVMAJOR, "devmajor", V::Num, NoBitOps, true),
    row(FieldType::DEVMINOR, "devminor", V::Num, All, true),
    row(FieldType::INODE, "inode", V::Inode, NoBitOps, true),
    row(FieldType::EXIT, "exit", V::Errno, NoBitOps, true),
    row(FieldType::SUCCESS, "success", V::Num, NoBitOps, true),
    row(FieldType::PATH, "path", V::Str, EqOnly, true),
    row(FieldType::PERM, "perm", V::Perm, EqOnly, true),
    row(FieldType::DIR, "dir", V::Str, EqOnly, true),
    row(FieldType::FILETYPE, "filetype", V::Filetype, EqOnly, true),
    row(FieldType::FSTYPE, "fstype", V::Fstype, EqOnly, false),
    row(FieldType::OBJ_UID, "obj_uid", V::Uid, NoBitOps, false),
    row(FieldType::OBJ_GID, "obj_gid", V::Gid, NoBitOps, false),
    row(
        FieldType::FIELD_COMPARE,
        "field_compare",
        V::Compare,
        EqOnly,
        false,
    ),
    row(FieldType::A0, "a0", V::Arg, All, false),
    row(FieldType::A1, "a1", V::Arg, All, false),
    row(FieldType::A2, "a2", V::Arg, All, false),
    row(FieldType::A3, "a3", V::Arg, All, false),
    row(FieldType::KEY, "key", V::Str, EqOnly, false),
    row(FieldType::EXE, "exe", V::Str, EqOnly, false),
    row(
        FieldType::SADDR_FAM,
        "saddr_fam",
        V::SaddrFam,
        NoBitOps,
        false,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_resolve() {
        assert_eq!(FieldType::from_name(b"auid"), Some(FieldType::AUID));
        assert_eq!(FieldType::from_name(b"loginuid"), Some(FieldType::AUID));
        assert_eq!(FieldType::from_name(b"nope"), None);
        assert_eq!(FieldType::AUID.name(), Some("auid"));
        assert!(FieldType::KEY.is_string() && !FieldType::UID.is_string());
    }

    #[test]
    fn table_has_unique_numbers_and_names() {
        for (i, a) in FIELDS.iter().enumerate() {
            for b in &FIELDS[i + 1..] {
                assert_ne!(a.kind, b.kind, "{}", a.name);
                assert_ne!(a.name, b.name);
            }
        }
    }
}
