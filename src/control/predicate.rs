//! Does a rule match an event class? Three-valued: always, never, or sometimes.
//!
//! The kernel ANDs a rule's fields (`audit_filter_rules`, `kernel/auditsc.c`). For an event
//! class (say "b32 init_module by any user with a login uid ≥ UID_MIN"), each field is
//! true for every event of the class, for none, or for some. A rule *always* matches when every
//! field always does, *never* when one never does. `-F auid>=1000 -F auid!=unset` is
//! always true for user actions; `-F uid=0` or `-F exit=-EPERM` narrow them to *sometimes*.

use crate::control::event::{Event, AUDIT_SYSCALL};
use crate::model::field::{FieldType, ValueKind};
use crate::model::{Field, List, Op, Rule};

/// A three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// True for every event of the class.
    Always,
    /// True for some events of the class, false for others.
    Sometimes,
    /// False for every event of the class.
    Never,
}

impl Tri {
    /// Logical AND.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Never, _) | (_, Tri::Never) => Tri::Never,
            (Tri::Always, Tri::Always) => Tri::Always,
            _ => Tri::Sometimes,
        }
    }

    fn from_bool(b: bool) -> Tri {
        if b {
            Tri::Always
        } else {
            Tri::Never
        }
    }
}

/// Match a rule of any list against an event class. `watch` is the inode path the rule's
/// `path=`/`dir=` field watches, as `load::resolve` found it (`None`: the path as written).
/// Pure; O(fields).
pub fn matches(rule: &Rule, watch: Option<&[u8]>, event: &Event) -> Tri {
    let mut tri = Tri::Always;
    if rule.list == List::Exit && !rule.mask.has(event.syscall) {
        return Tri::Never;
    }
    for field in &rule.fields {
        tri = tri.and(field_matches(field, watch, event));
        if tri == Tri::Never {
            break;
        }
    }
    tri
}

/// The fields of `rule` that make it match only some events of the class (for "narrowed by
/// field Y" evidence); empty unless it matches `Sometimes`.
pub fn narrowing_fields(rule: &Rule, watch: Option<&[u8]>, event: &Event) -> Vec<FieldType> {
    if matches(rule, watch, event) != Tri::Sometimes {
        return Vec::new();
    }
    rule.fields
        .iter()
        .filter(|f| field_matches(f, watch, event) == Tri::Sometimes)
        .map(|f| f.kind)
        .collect()
}

/// One field against the event class.
fn field_matches(field: &Field, watch: Option<&[u8]>, event: &Event) -> Tri {
    let exec = event.exec_path.is_some();
    match field.kind {
        FieldType::KEY => Tri::Always,
        FieldType::ARCH => match field.number() {
            Some(v) => range(field.op, v, event.abi.audit_arch(), event.abi.audit_arch()),
            None => Tri::Never,
        },
        FieldType::AUID => match field.number() {
            Some(v) => range(field.op, v, event.auid_min, u32::MAX - 1),
            None => Tri::Sometimes,
        },
        // The kernel's internal form of `auid=-1`/`auid!=-1`: value 1 means "is set".
        FieldType::LOGINUID_SET => match (field.op, field.number()) {
            (Op::Equal, Some(v)) => Tri::from_bool(v != 0),
            (Op::NotEqual, Some(v)) => Tri::from_bool(v == 0),
            _ => Tri::Sometimes,
        },
        FieldType::MSGTYPE => match field.number() {
            Some(v) => range(field.op, v, AUDIT_SYSCALL, AUDIT_SYSCALL),
            None => Tri::Sometimes,
        },
        // A watch matches the file as named (what the control's text asks for; a symlink
        // there earns advice) or the file really executed (what the kernel sees).
        FieldType::PATH => match watch.or(field.bytes()) {
            Some(watched) if exec => Tri::from_bool(exec_files(event).any(|f| f == watched)),
            _ => Tri::Never,
        },
        FieldType::DIR => match watch.or(field.bytes()) {
            Some(dir) if exec => Tri::from_bool(exec_files(event).any(|f| is_under(f, dir))),
            _ => Tri::Never,
        },
        // perm on an exec is the kernel's AUDIT_PERM_EXEC class check.
        FieldType::PERM => match field.number() {
            Some(bits) if exec => Tri::from_bool(bits & 1 != 0),
            _ => Tri::Never,
        },
        // Fields about the files a syscall touched: module syscalls name no file.
        FieldType::FILETYPE
        | FieldType::INODE
        | FieldType::DEVMAJOR
        | FieldType::DEVMINOR
        | FieldType::OBJ_UID
        | FieldType::OBJ_GID
        | FieldType::OBJ_USER
        | FieldType::OBJ_ROLE
        | FieldType::OBJ_TYPE
        | FieldType::OBJ_LEV_LOW
        | FieldType::OBJ_LEV_HIGH => {
            if exec {
                Tri::Sometimes
            } else {
                Tri::Never
            }
        }
        // Only socket syscalls carry an address family.
        FieldType::SADDR_FAM => Tri::Never,
        kind => match (kind.def().map(|d| d.value), field.number()) {
            // Ids, pids, arguments, exit codes: any value is possible for a user action.
            (Some(ValueKind::Uid | ValueKind::Gid | ValueKind::Num | ValueKind::Arg), Some(v))
            | (Some(ValueKind::Errno | ValueKind::Inode | ValueKind::SessionId), Some(v)) => {
                range(field.op, v, 0, u32::MAX)
            }
            _ => Tri::Sometimes,
        },
    }
}

/// The executed file as named and as resolved.
fn exec_files(event: &Event) -> impl Iterator<Item = &Vec<u8>> {
    event.exec_path.iter().chain(event.exec_target.iter())
}

/// Whether `path` is `dir` or below it.
fn is_under(path: &[u8], dir: &[u8]) -> bool {
    path.starts_with(dir) && (dir == b"/" || path.get(dir.len()).is_none_or(|b| *b == b'/'))
}

/// How `x OP v` (unsigned 32-bit, as the kernel's `audit_comparator`) fares for every `x` in
/// `lo..=hi`.
fn range(op: Op, v: u32, lo: u32, hi: u32) -> Tri {
    let single = lo == hi;
    match op {
        Op::Equal if single => Tri::from_bool(lo == v),
        Op::Equal if v < lo || v > hi => Tri::Never,
        Op::NotEqual if single => Tri::from_bool(lo != v),
        Op::NotEqual if v < lo || v > hi => Tri::Always,
        Op::LessThan if hi < v => Tri::Always,
        Op::LessThan if lo >= v => Tri::Never,
        Op::LessOrEqual if hi <= v => Tri::Always,
        Op::LessOrEqual if lo > v => Tri::Never,
        Op::GreaterThan if lo > v => Tri::Always,
        Op::GreaterThan if hi <= v => Tri::Never,
        Op::GreaterOrEqual if lo >= v => Tri::Always,
        Op::GreaterOrEqual if hi < v => Tri::Never,
        Op::BitMask if single => Tri::from_bool(lo & v != 0),
        Op::BitTest if single => Tri::from_bool(lo & v == v),
        Op::Other(_) => Tri::Never,
        _ => Tri::Sometimes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        // auid>=1000 over user actions [1000, 4294967294]
        assert_eq!(
            range(Op::GreaterOrEqual, 1000, 1000, u32::MAX - 1),
            Tri::Always
        );
        assert_eq!(
            range(Op::GreaterOrEqual, 2000, 1000, u32::MAX - 1),
            Tri::Sometimes
        );
        assert_eq!(
            range(Op::NotEqual, u32::MAX, 1000, u32::MAX - 1),
            Tri::Always
        );
        assert_eq!(range(Op::Equal, 0, 1000, u32::MAX - 1), Tri::Never);
        assert_eq!(range(Op::LessThan, 1000, 1000, u32::MAX - 1), Tri::Never);
        assert_eq!(range(Op::Equal, 0, 0, u32::MAX), Tri::Sometimes);
        assert_eq!(range(Op::GreaterOrEqual, 0, 0, u32::MAX), Tri::Always);
    }

    #[test]
    fn tri_and() {
        assert_eq!(Tri::Always.and(Tri::Sometimes), Tri::Sometimes);
        assert_eq!(Tri::Sometimes.and(Tri::Never), Tri::Never);
        assert_eq!(Tri::Always.and(Tri::Always), Tri::Always);
    }
}
