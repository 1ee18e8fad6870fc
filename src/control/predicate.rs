//! Does a rule match an event class? Three-valued: always, never, or sometimes.
//!
//! The kernel ANDs a rule's fields (`audit_filter_rules`, `kernel/auditsc.c`). For an event
//! class (say "b32 init_module by any user with a login uid ≥ UID_MIN"), each field is
//! true for every event of the class, for none, or for some. A rule *always* matches when every
//! field always does, *never* when one never does. `-F auid>=1000 -F auid!=unset` is
//! always true for user actions; `-F uid=0` or `-F exit=-EPERM` narrow them to *sometimes*.

use crate::control::event::{self, Access, Event, AUDIT_SYSCALL};
use crate::control::{ArgOp, ArgSpec, Outcome, Who};
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

/// Match a rule against an event class, as the kernel evaluates the rule's list. `watch` is
/// the inode path the rule's `path=`/`dir=` field watches, as `load::resolve` found it
/// (`None`: the path as written). Pure; O(fields).
///
/// - exit list (`audit_filter_syscall`): the syscall must be in the mask, then every field.
/// - task list (`audit_filter_task`, at fork): evaluated without a syscall context, so the
///   fields that need one — arch, a0..a3, exit, success, perm, filetype, the file and object
///   fields, `-C` against an object — are false there; a rule without fields matches every
///   process.
/// - exclude and user lists (`audit_filter`): see [`filter_list`]; this returns its match.
pub fn matches(rule: &Rule, watch: Option<&[u8]>, event: &Event) -> Tri {
    match rule.list {
        List::Exclude | List::User => filter_list(rule, event).0,
        List::Exit if !rule.mask.has(event.syscall) => Tri::Never,
        _ => {
            // AND in order, stopping at the first field that never matches.
            let mut all = Tri::Always;
            for f in &rule.fields {
                all = all.and(field_on(rule.list, f, watch, event));
                if all == Tri::Never {
                    break;
                }
            }
            all
        }
    }
}

/// A field as the rule's list evaluates it.
fn field_on(list: List, field: &Field, watch: Option<&[u8]>, event: &Event) -> Tri {
    if list == List::Task && needs_syscall_context(field) {
        return Tri::Never;
    }
    field_matches(field, watch, event)
}

/// Fields about the files (names) a syscall touched: tested against the syscall's names only.
const FILE_FIELDS: [FieldType; 11] = [
    FieldType::FILETYPE,
    FieldType::INODE,
    FieldType::DEVMAJOR,
    FieldType::DEVMINOR,
    FieldType::OBJ_UID,
    FieldType::OBJ_GID,
    FieldType::OBJ_USER,
    FieldType::OBJ_ROLE,
    FieldType::OBJ_TYPE,
    FieldType::OBJ_LEV_LOW,
    FieldType::OBJ_LEV_HIGH,
];

/// Fields `audit_filter_rules` can only test with a syscall context or a file name (both
/// absent at fork): they are false on the task list.
fn needs_syscall_context(field: &Field) -> bool {
    match field.kind {
        FieldType::ARCH
        | FieldType::A0
        | FieldType::A1
        | FieldType::A2
        | FieldType::A3
        | FieldType::EXIT
        | FieldType::SUCCESS
        | FieldType::PERM
        | FieldType::PATH
        | FieldType::DIR
        | FieldType::SADDR_FAM => true,
        kind if FILE_FIELDS.contains(&kind) => true,
        // At fork `exe` is compared for the new task before it has run anything of its own:
        // a task rule with `exe=` never matched on the kernel (tests/kernel_truth.rs
        // task_rule_exe_field_never_matches_at_fork).
        FieldType::EXE => true,
        // `-C` comparisons 1..=9 compare with an object's uid/gid.
        FieldType::FIELD_COMPARE => field.number().is_some_and(|n| (1..=9).contains(&n)),
        _ => false,
    }
}

/// A rule of the exclude or user list against the event's SYSCALL record, as `audit_filter`
/// (`kernel/auditfilter.c`, Linux 6.x) walks it: `(matches, stops)`.
///
/// The kernel starts each rule with "no match" and ANDs its fields in order, so a rule
/// without fields matches nothing. It can test only pid, uid, gid, auid, the loginuid-set
/// flag, msgtype, the subject labels and exe; at any other field (euid, key, ...) it stops the
/// whole walk and keeps the record, so later rules of the list are never looked at. `stops`
/// says whether that happens for the event (reached when the fields before it are true).
pub fn filter_list(rule: &Rule, event: &Event) -> (Tri, Tri) {
    if rule.fields.is_empty() {
        return (Tri::Never, Tri::Never);
    }
    let mut reach = Tri::Always;
    for f in &rule.fields {
        let testable = matches!(
            f.kind,
            FieldType::PID
                | FieldType::UID
                | FieldType::GID
                | FieldType::AUID
                | FieldType::LOGINUID_SET
                | FieldType::MSGTYPE
                | FieldType::SUBJ_USER
                | FieldType::SUBJ_ROLE
                | FieldType::SUBJ_TYPE
                | FieldType::SUBJ_SEN
                | FieldType::SUBJ_CLR
                | FieldType::EXE
        );
        if !testable {
            return (Tri::Never, reach);
        }
        reach = reach.and(field_matches(f, None, event));
        if reach == Tri::Never {
            return (Tri::Never, Tri::Never);
        }
    }
    (reach, Tri::Never)
}

/// The fields of `rule` that make it match only some events of the class (for "narrowed by
/// field Y" evidence); empty unless it matches `Sometimes`.
pub fn narrowing_fields(rule: &Rule, watch: Option<&[u8]>, event: &Event) -> Vec<FieldType> {
    if matches(rule, watch, event) != Tri::Sometimes {
        return Vec::new();
    }
    rule.fields
        .iter()
        .filter(|f| field_on(rule.list, f, watch, event) == Tri::Sometimes)
        .map(|f| f.kind)
        .collect()
}

/// One field against the event class.
fn field_matches(field: &Field, watch: Option<&[u8]>, event: &Event) -> Tri {
    let exec = event.exec_path.is_some();
    let object = event.object.as_ref();
    match field.kind {
        FieldType::KEY => Tri::Always,
        FieldType::ARCH => match field.number() {
            Some(v) => range(field.op, v, event.abi.audit_arch(), event.abi.audit_arch()),
            None => Tri::Never,
        },
        FieldType::AUID => match field.number() {
            Some(v) => {
                let (lo, hi) = event.auid_range();
                range(field.op, v, lo, hi)
            }
            None => Tri::Sometimes,
        },
        // The kernel's internal form of `auid=-1`/`auid!=-1`: value 1 means "is set".
        FieldType::LOGINUID_SET => {
            let set = match event.auid_range() {
                (_, hi) if hi < u32::MAX => Tri::Always,
                (lo, _) if lo == u32::MAX => Tri::Never,
                _ => Tri::Sometimes,
            };
            match (field.op, field.number()) {
                (Op::Equal, Some(v)) if v != 0 => set,
                (Op::Equal, Some(_)) | (Op::NotEqual, Some(1..)) => not(set),
                (Op::NotEqual, Some(_)) => set,
                _ => Tri::Sometimes,
            }
        }
        FieldType::MSGTYPE => match field.number() {
            Some(v) => range(field.op, v, AUDIT_SYSCALL, AUDIT_SYSCALL),
            None => Tri::Sometimes,
        },
        // The kernel records an exec under the inode really executed (every symlink
        // resolved); a `path=` watch sits on the inode its last component names, not followed,
        // so a watch on a symlink never fires on exec (confirmed on the kernel: verify's
        // symlink probe). A `dir=` watch matches the executed file's real parents. For a
        // change of a file, a `path=` watch fires when its inode is among the syscall's names:
        // the file's, or its directory's for creates, renames, removes and links
        // (tests/kernel_truth.rs path_watch_on_a_directory_misses_writes_inside).
        FieldType::PATH => match (watch.or(field.bytes()), &event.exec_target, object) {
            (Some(watched), Some(file), _) => Tri::from_bool(file.as_slice() == watched),
            (Some(watched), None, Some(o)) if o.below => {
                Tri::from_bool(o.names_parent && o.path == watched)
            }
            (Some(watched), None, Some(o)) => {
                Tri::from_bool(o.path == watched || (o.names_parent && parent(&o.path) == watched))
            }
            _ => Tri::Never,
        },
        FieldType::DIR => match (watch.or(field.bytes()), &event.exec_target, object) {
            (Some(dir), Some(file), _) => Tri::from_bool(is_under(file, dir)),
            (Some(dir), None, Some(o)) => Tri::from_bool(is_under(&o.path, dir)),
            _ => Tri::Never,
        },
        // perm is the kernel's AUDIT_PERM_* class check (`audit_match_perm`): exec for
        // execve; for the open family the access mode of the flags (opened for writing:
        // O_WRONLY or O_RDWR, so `r` holds for some); else the syscall's class.
        FieldType::PERM => match field.number() {
            Some(bits) if exec => Tri::from_bool(bits & PERM_EXEC != 0),
            Some(bits) => match object {
                Some(o) if event::is_open_family(&event.syscall_name) => {
                    if bits & PERM_WRITE != 0 {
                        Tri::Always
                    } else if bits & PERM_READ != 0 {
                        Tri::Sometimes
                    } else {
                        Tri::Never
                    }
                    .and(Tri::from_bool(o.access == Access::Write))
                }
                Some(o) => Tri::from_bool(match o.access {
                    Access::Write => bits & PERM_WRITE != 0,
                    Access::Attr => bits & PERM_ATTR != 0,
                }),
                None => Tri::Never,
            },
            None => Tri::Never,
        },
        // Fields about the files a syscall touched: module syscalls name no file.
        kind if FILE_FIELDS.contains(&kind) => {
            if exec || object.is_some() {
                Tri::Sometimes
            } else {
                Tri::Never
            }
        }
        // Only socket syscalls carry an address family.
        FieldType::SADDR_FAM => Tri::Never,
        // The kernel compares the global pid; pid 1 is init, never a user's action.
        FieldType::PID => match field.number() {
            Some(v) => range(field.op, v, 2, u32::MAX),
            None => Tri::Sometimes,
        },
        FieldType::EUID | FieldType::SUID | FieldType::FSUID => match field.number() {
            Some(v) if matches!(event.who, Who::SetuidToRoot | Who::CronRoot) => {
                range(field.op, v, 0, 0)
            }
            Some(v) => range(field.op, v, 0, u32::MAX),
            None => Tri::Sometimes,
        },
        FieldType::UID => match field.number() {
            // uid differs from euid (0): never 0.
            Some(v) if event.who == Who::SetuidToRoot => range(field.op, v, 1, u32::MAX),
            Some(v) if event.who == Who::CronRoot => range(field.op, v, 0, 0),
            Some(v) => range(field.op, v, 0, u32::MAX),
            None => Tri::Sometimes,
        },
        FieldType::EGID | FieldType::SGID | FieldType::FSGID => match field.number() {
            Some(v) if event.who == Who::SetgidToRoot => range(field.op, v, 0, 0),
            Some(v) => range(field.op, v, 0, u32::MAX),
            None => Tri::Sometimes,
        },
        FieldType::GID => match field.number() {
            Some(v) if event.who == Who::SetgidToRoot => range(field.op, v, 1, u32::MAX),
            Some(v) => range(field.op, v, 0, u32::MAX),
            None => Tri::Sometimes,
        },
        FieldType::FIELD_COMPARE => compare(field, event),
        FieldType::SUBJ_TYPE if matches!(event.who, Who::CronRoot | Who::CronUsers) => {
            let is = field.bytes() == Some(&b"crond_t"[..]);
            match field.op {
                Op::Equal => Tri::from_bool(is),
                Op::NotEqual => Tri::from_bool(!is),
                _ => Tri::Sometimes,
            }
        }
        FieldType::EXIT => match (field.number(), event.outcome) {
            (Some(v), Outcome::Failed(e)) => {
                let x = 0u32.wrapping_sub(e);
                range(field.op, v, x, x)
            }
            (Some(v), Outcome::Success) => match field.op {
                // Negative values (errors) never equal a success's return value.
                Op::Equal if v > i32::MAX as u32 => Tri::Never,
                Op::NotEqual if v > i32::MAX as u32 => Tri::Always,
                _ => Tri::Sometimes,
            },
            (Some(v), Outcome::Any) => range(field.op, v, 0, u32::MAX),
            (None, _) => Tri::Sometimes,
        },
        // `success=1` holds for a successful return, `success=0` for a failed one (the kernel
        // compares its AUDITSC_SUCCESS/AUDITSC_FAILURE, `audit_filter_rules`).
        FieldType::SUCCESS => match (field.number(), event.outcome) {
            (Some(v), Outcome::Success | Outcome::Failed(_)) => {
                let succeeded = event.outcome == Outcome::Success;
                let wanted = v != 0;
                match field.op {
                    Op::Equal => Tri::from_bool(succeeded == wanted),
                    Op::NotEqual => Tri::from_bool(succeeded != wanted),
                    _ => Tri::Sometimes,
                }
            }
            (Some(_), Outcome::Any) | (None, _) => Tri::Sometimes,
        },
        FieldType::A0 | FieldType::A1 | FieldType::A2 | FieldType::A3 => {
            let index = (field.kind.0 - FieldType::A0.0) as u8;
            match (field.number(), event.args.iter().find(|a| a.arg == index)) {
                (Some(v), Some(a)) => arg_matches(field.op, v, *a),
                (Some(v), None) => range(field.op, v, 0, u32::MAX),
                (None, _) => Tri::Sometimes,
            }
        }
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

/// `AUDIT_PERM_*` bits.
const PERM_EXEC: u32 = 1;
const PERM_WRITE: u32 = 2;
const PERM_READ: u32 = 4;
const PERM_ATTR: u32 = 8;

fn not(t: Tri) -> Tri {
    match t {
        Tri::Always => Tri::Never,
        Tri::Never => Tri::Always,
        Tri::Sometimes => Tri::Sometimes,
    }
}

/// The directory part of an absolute path (`/` for a file in the root).
fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|b| *b == b'/') {
        Some(0) => b"/",
        Some(i) => &path[..i],
        None => path,
    }
}

/// A syscall argument field against the class's constraint on that argument.
fn arg_matches(op: Op, v: u32, a: ArgSpec) -> Tri {
    match a.op {
        ArgOp::Equal => range(op, v, a.value, a.value),
        // The class only knows that these bits are set.
        ArgOp::Bits => match op {
            Op::BitMask if v & a.value != 0 => Tri::Always,
            Op::BitTest if v & a.value == v => Tri::Always,
            Op::Equal if v & a.value != a.value => Tri::Never,
            _ => Tri::Sometimes,
        },
    }
}

/// A `-C` comparison against the class's ids: a setuid-root program has uid ≠ euid = suid =
/// fsuid = 0 (a setgid-root one likewise for the group ids); nothing is known otherwise.
fn compare(field: &Field, event: &Event) -> Tri {
    let Some(n) = field.number() else {
        return Tri::Sometimes;
    };
    // (comparisons that differ, comparisons that are equal) for the class.
    let (differ, equal): (&[u32], &[u32]) = match event.who {
        Who::SetuidToRoot => (&[11, 12, 13], &[17, 18, 19]),
        Who::AsOtherUser => (&[11], &[]),
        Who::SetgidToRoot => (&[20, 21, 22], &[23, 24, 25]),
        _ => (&[], &[]),
    };
    let holds = if differ.contains(&n) {
        Some(false)
    } else if equal.contains(&n) {
        Some(true)
    } else {
        None
    };
    match (holds, field.op) {
        (Some(eq), Op::Equal) => Tri::from_bool(eq),
        (Some(eq), Op::NotEqual) => Tri::from_bool(!eq),
        _ => Tri::Sometimes,
    }
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

#[cfg(test)]
mod list_tests {
    use super::*;
    use crate::model::{Action, Machine};

    fn event(abi: Machine) -> Event {
        Event {
            abi,
            syscall: 175,
            syscall_name: "init_module".into(),
            exec_path: None,
            exec_target: None,
            auid_min: 1000,
            who: Who::Users,
            outcome: Outcome::Any,
            args: Vec::new(),
            object: None,
        }
    }

    fn rule(list: List, fields: Vec<Field>) -> Rule {
        let mut r = Rule::new(list, Action::Always);
        r.fields = fields;
        r
    }

    #[test]
    fn filter_lists_match_nothing_without_fields_and_stop_at_untestable_fields() {
        let ev = event(Machine::X86_64);
        let none = rule(List::Exclude, vec![]);
        assert_eq!(filter_list(&none, &ev), (Tri::Never, Tri::Never));
        assert_eq!(matches(&none, None, &ev), Tri::Never);
        let syscall = rule(
            List::Exclude,
            vec![Field::num(FieldType::MSGTYPE, Op::Equal, AUDIT_SYSCALL)],
        );
        assert_eq!(filter_list(&syscall, &ev), (Tri::Always, Tri::Never));
        // A key (only reachable over netlink) is not testable by audit_filter: the walk ends
        // there, keeping the record.
        let keyed = rule(
            List::Exclude,
            vec![
                Field::num(FieldType::MSGTYPE, Op::Equal, AUDIT_SYSCALL),
                Field::str(FieldType::KEY, Op::Equal, b"k".to_vec()),
            ],
        );
        assert_eq!(filter_list(&keyed, &ev), (Tri::Never, Tri::Always));
        let euid = rule(
            List::Exclude,
            vec![Field::num(FieldType::EUID, Op::Equal, 0)],
        );
        assert_eq!(filter_list(&euid, &ev), (Tri::Never, Tri::Always));
    }

    #[test]
    fn task_rules_have_no_syscall_context() {
        for abi in [Machine::X86_64, Machine::X86] {
            let ev = event(abi);
            let arch = rule(
                List::Task,
                vec![Field::num(
                    FieldType::ARCH,
                    Op::Equal,
                    Machine::X86.audit_arch(),
                )],
            );
            assert_eq!(matches(&arch, None, &ev), Tri::Never, "{abi:?}");
            let all = rule(List::Task, vec![]);
            assert_eq!(matches(&all, None, &ev), Tri::Always);
            let user = rule(
                List::Task,
                vec![Field::num(FieldType::AUID, Op::GreaterOrEqual, 1000)],
            );
            assert_eq!(matches(&user, None, &ev), Tri::Always);
            let exit = rule(List::Task, vec![Field::num(FieldType::EXIT, Op::Equal, 0)]);
            assert_eq!(matches(&exit, None, &ev), Tri::Never);
        }
    }
}
