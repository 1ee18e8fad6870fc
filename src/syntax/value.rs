//! `-F name OP value` and `-C f1 OP f2`, exactly as libaudit 3.0.9 reads them
//! (`audit_rule_fieldpair_data`, `audit_rule_interfield_comp_data` in `lib/libaudit.c`).
//!
//! The rule being built is a [`Draft`]: the fields so far plus the flags libaudit keeps in
//! globals (`_audit_syscalladded`, `_audit_permadded`, `_audit_elf`, ...). Errors are the
//! text `audit_number_to_errmsg` prints for the `EAU_*` code (`lib/errormsg.h`), including
//! its quirks: the option text printed is the *field name* because libaudit has already
//! cut the pair at the operator.
//!
//! Field facts (number, value kind, operators, exit-only) come from
//! [`crate::model::field::FIELDS`]; this module only knows how libaudit turns text into values.

use super::ParseContext;
use crate::model::cnum;
use crate::model::field::{FieldDef, FieldType, ValueKind, FIELDS};
use crate::model::names;
use crate::model::rule::{Field, Mask, Op, Value};
use crate::model::Machine;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::sync::OnceLock;

/// `AUDIT_FILTER_USER`
pub const FILTER_USER: i32 = 0;
/// `AUDIT_FILTER_TASK`
pub const FILTER_TASK: i32 = 1;
/// `AUDIT_FILTER_EXIT`
pub const FILTER_EXIT: i32 = 4;
/// `AUDIT_FILTER_EXCLUDE`
pub const FILTER_EXCLUDE: i32 = 5;
/// `AUDIT_FILTER_FS`
pub const FILTER_FS: i32 = 6;
/// `AUDIT_FILTER_MASK`: the list bits of `flags`.
pub const FILTER_MASK: i32 = 0x07;
/// `AUDIT_FILTER_PREPEND`
pub const FILTER_PREPEND: i32 = 0x10;
/// libaudit's `AUDIT_FILTER_UNSET`: no list given yet.
pub const FILTER_UNSET: i32 = 0x80;

pub use crate::model::rule::{AF_MAX, MAX_FIELDS, PATH_MAX};

/// Fields libaudit allows on the exclude list when the kernel has EXCLUDE_EXTEND
/// (`audit_rule_fieldpair_data`; every kernel since 4.17 has it, and so does the reference
/// machine, `feature_bitmap = 127`).
const EXCLUDE_EXTEND_FIELDS: [FieldType; 11] = [
    FieldType::PID,
    FieldType::UID,
    FieldType::GID,
    FieldType::AUID,
    FieldType::MSGTYPE,
    FieldType::SUBJ_USER,
    FieldType::SUBJ_ROLE,
    FieldType::SUBJ_TYPE,
    FieldType::SUBJ_SEN,
    FieldType::SUBJ_CLR,
    FieldType::EXE,
];

/// `filetype=` names (`lib/ftypetab.h`): the S_IF* values.
const FILETYPES: [(&str, u32); 7] = [
    ("socket", 0o140000),
    ("link", 0o120000),
    ("file", 0o100000),
    ("block", 0o060000),
    ("dir", 0o040000),
    ("character", 0o020000),
    ("fifo", 0o010000),
];

/// `fstype=` names (`lib/fstypetab.h` of 3.0.9): superblock magics.
const FSTYPES: [(&str, u32); 2] = [("tracefs", 0x7472_6163), ("debugfs", 0x6462_6720)];

/// `-C` pairs and their `AUDIT_COMPARE_*` numbers (`linux/audit.h`); the pair is unordered.
pub const COMPARES: [(FieldType, FieldType, u32); 25] = [
    (FieldType::UID, FieldType::OBJ_UID, 1),
    (FieldType::GID, FieldType::OBJ_GID, 2),
    (FieldType::EUID, FieldType::OBJ_UID, 3),
    (FieldType::EGID, FieldType::OBJ_GID, 4),
    (FieldType::AUID, FieldType::OBJ_UID, 5),
    (FieldType::SUID, FieldType::OBJ_UID, 6),
    (FieldType::SGID, FieldType::OBJ_GID, 7),
    (FieldType::FSUID, FieldType::OBJ_UID, 8),
    (FieldType::FSGID, FieldType::OBJ_GID, 9),
    (FieldType::UID, FieldType::AUID, 10),
    (FieldType::UID, FieldType::EUID, 11),
    (FieldType::UID, FieldType::FSUID, 12),
    (FieldType::UID, FieldType::SUID, 13),
    (FieldType::AUID, FieldType::FSUID, 14),
    (FieldType::AUID, FieldType::SUID, 15),
    (FieldType::AUID, FieldType::EUID, 16),
    (FieldType::EUID, FieldType::SUID, 17),
    (FieldType::EUID, FieldType::FSUID, 18),
    (FieldType::SUID, FieldType::FSUID, 19),
    (FieldType::GID, FieldType::EGID, 20),
    (FieldType::GID, FieldType::FSGID, 21),
    (FieldType::GID, FieldType::SGID, 22),
    (FieldType::EGID, FieldType::FSGID, 23),
    (FieldType::EGID, FieldType::SGID, 24),
    (FieldType::SGID, FieldType::FSGID, 25),
];

/// A rule under construction plus libaudit's per-line globals.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Fields in order.
    pub fields: Vec<Field>,
    /// The syscall mask.
    pub mask: Mask,
    /// `_audit_syscalladded` (also set by `-w`/`-W`).
    pub syscall_added: bool,
    /// `_audit_permadded` (perm, path, dir, watches).
    pub perm_added: bool,
    /// `_audit_exeadded`
    pub exe_added: bool,
    /// `_audit_filterfsadded`
    pub fs_added: bool,
    /// `_audit_elf`: the arch `-S` names are looked up in (0 = not chosen yet).
    pub elf: u32,
    /// Made by `-w`/`-W`: the kernel field (`path=` or `dir=`) is chosen by `load::resolve`.
    pub watch: bool,
    /// Keys stored lately (kept from line to line by the caller).
    pub keys: RecentKeys,
}

impl Draft {
    /// An empty rule (`audit_rule_create_data` + `reset_vars`).
    pub fn new() -> Draft {
        Draft {
            fields: Vec::new(),
            mask: Mask::EMPTY,
            syscall_added: false,
            perm_added: false,
            exe_added: false,
            fs_added: false,
            elf: 0,
            watch: false,
            keys: RecentKeys::default(),
        }
    }
}

/// The last few keys the parser stored: a key given again (the same `-k` on the lines of a
/// file) shares their bytes instead of a copy per rule (an allocation each on a
/// 100,000-rule load).
#[derive(Debug, Clone, Default)]
pub struct RecentKeys(Vec<std::sync::Arc<[u8]>>);

impl RecentKeys {
    /// How many keys are remembered.
    const KEPT: usize = 4;

    /// `key`'s bytes, shared with the same key stored lately when there is one.
    pub fn share(&mut self, key: &[u8]) -> std::sync::Arc<[u8]> {
        if let Some(k) = self.0.iter().find(|k| ***k == *key) {
            return std::sync::Arc::clone(k);
        }
        let k: std::sync::Arc<[u8]> = key.into();
        if self.0.len() == Self::KEPT {
            self.0.remove(0);
        }
        self.0.push(std::sync::Arc::clone(&k));
        k
    }
}

impl Default for Draft {
    fn default() -> Draft {
        Draft::new()
    }
}

/// Text for display: bytes that are not UTF-8 are shown replaced.
pub fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// [`show`] deferred: formats as the lossy text only when a message is really built, so a
/// line that parses cleanly builds no `String`.
struct Shown<'a>(&'a [u8]);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.0))
    }
}

fn is_digit(b: &[u8]) -> bool {
    b.first().is_some_and(u8::is_ascii_digit)
}

fn is_negative_number(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == b'-' && b[1].is_ascii_digit()
}

/// libaudit's table lookups fold ASCII case (`gen_tables --lowercase/--uppercase`).
fn folded(b: &[u8], upper: bool) -> Option<String> {
    let s = std::str::from_utf8(b).ok()?;
    Some(if upper {
        s.to_ascii_uppercase()
    } else {
        s.to_ascii_lowercase()
    })
}

/// The field for a name as `audit_name_to_field` finds it (case-insensitive).
pub fn field_by_name(name: &[u8]) -> Option<&'static FieldDef> {
    /// An index over [`FieldType::from_name`]'s answers (the field table, `loginuid`), built
    /// once: a linear scan of the table for every `-F` was 9% of a 100,000-line load.
    static BY_NAME: OnceLock<FxHashMap<&'static [u8], &'static FieldDef>> = OnceLock::new();
    let index = BY_NAME.get_or_init(|| {
        let names = FIELDS.iter().map(|d| d.name).chain(["loginuid"]);
        names
            .filter_map(|n| {
                let def = FieldType::from_name(n.as_bytes())?.def()?;
                Some((n.as_bytes(), def))
            })
            .collect()
    });
    index.get(&*lowered(name)).copied()
}

/// ASCII lowercase, copying only when there is an uppercase byte.
pub fn lowered(b: &[u8]) -> Cow<'_, [u8]> {
    if b.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(b.to_ascii_lowercase())
    } else {
        Cow::Borrowed(b)
    }
}

/// Find the operator as libaudit does: the first of `!=`, `>=`, `<=`, `&=`, `=`, `>`, `<`,
/// `&` (in that priority) anywhere in the text. Returns (op, position, length).
pub fn find_op(pair: &[u8]) -> Option<(Op, usize, usize)> {
    Op::SEARCH_ORDER.into_iter().find_map(|op| {
        let sym = op.symbol().as_bytes();
        pair.windows(sym.len())
            .position(|w| w == sym)
            .map(|pos| (op, pos, sym.len()))
    })
}

/// `audit_rule_fieldpair_data(&rule, pair, flags)`: parse and append one field.
pub fn fieldpair(
    draft: &mut Draft,
    pair: &[u8],
    flags: i32,
    ctx: &ParseContext,
) -> Result<(), String> {
    if draft.fields.len() >= MAX_FIELDS - 1 {
        return Err(format!("Too many fields in rule: {}", show(pair)));
    }
    let Some((op, pos, len)) = find_op(pair) else {
        return Err(format!("-F missing operation for {}", show(pair)));
    };
    let (name, v) = (&pair[..pos], &pair[pos + len..]);
    // From here libaudit prints the pair cut at the operator: the name.
    let opt = Shown(name);
    if name.is_empty() {
        return Err("-F missing field name before operator for ".to_string());
    }
    if v.is_empty() {
        return Err(format!("-F missing value after operation for {opt}"));
    }
    let Some(def) = field_by_name(name) else {
        return Err(format!("-F unknown field: {opt}"));
    };
    let kind = def.kind;
    if flags == FILTER_EXCLUDE && !EXCLUDE_EXTEND_FIELDS.contains(&kind) {
        return Err(
            "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter"
                .to_string(),
        );
    }
    // libaudit 3.0.9 checks the list for every exit-only field before reading its value.
    if def.exit_only && flags != FILTER_EXIT {
        return Err(format!("{opt} can only be used with exit filter list"));
    }
    let equality = op == Op::Equal || op == Op::NotEqual;
    let value = match def.value {
        ValueKind::Uid => Value::Num(if is_digit(v) {
            cnum::strtoul(v, 0).as_u32()
        } else if is_negative_number(v) {
            cnum::strtol(v, 0).as_u32()
        } else if v == b"unset" {
            u32::MAX
        } else {
            ctx.accounts
                .user_id(v)
                .ok_or_else(|| format!("Unknown user: {}", show(v)))?
        }),
        ValueKind::Gid => Value::Num(if is_digit(v) {
            cnum::strtol(v, 0).as_u32()
        } else {
            ctx.accounts
                .group_id(v)
                .ok_or_else(|| format!("Unknown group: {}", show(v)))?
        }),
        ValueKind::Errno => Value::Num(if is_digit(v) || is_negative_number(v) {
            cnum::strtol(v, 0).as_u32()
        } else {
            let (minus, name) = match v.strip_prefix(b"-") {
                Some(rest) => (true, rest),
                None => (false, v),
            };
            let n = folded(name, true)
                .and_then(|n| names::errno_number(&n))
                .filter(|n| *n != 0)
                .ok_or_else(|| format!("-F unknown errno - {opt}"))?;
            if minus {
                n.wrapping_neg()
            } else {
                n
            }
        }),
        ValueKind::Msgtype => {
            if flags != FILTER_EXCLUDE && flags != FILTER_USER {
                return Err(
                    "msgtype field can only be used with exclude or user filter list".to_string(),
                );
            }
            Value::Num(if is_digit(v) {
                cnum::strtol(v, 0).as_u32()
            } else {
                msgtype_by_name(v).ok_or_else(|| format!("-F unknown message type - {opt}"))?
            })
        }
        ValueKind::Str => {
            if kind == FieldType::PATH || kind == FieldType::DIR {
                draft.perm_added = true;
            }
            if kind == FieldType::EXE {
                if !equality {
                    return Err(format!("{opt} only takes = or != operators"));
                }
                draft.exe_added = true;
            }
            if kind == FieldType::KEY
                && !(draft.syscall_added || draft.perm_added || draft.exe_added || draft.fs_added)
            {
                return Err(
                    "Key field needs a watch, syscall or exe path given prior to it".to_string(),
                );
            }
            let limit = if kind == FieldType::KEY {
                crate::model::rule::MAX_KEY_LEN
            } else {
                PATH_MAX
            };
            if v.len() > limit {
                return Err("String value too long".to_string());
            }
            if kind == FieldType::KEY {
                Value::Str(draft.keys.share(v))
            } else {
                Value::Str(v.into())
            }
        }
        ValueKind::Arch => {
            if draft.syscall_added {
                return Err(format!("{opt} must be before -S"));
            }
            if !equality {
                return Err(format!("{opt} only takes = or != operators"));
            }
            let elf =
                arch_value(v, ctx.machine).ok_or_else(|| format!("{opt} elf mapping not found"))?;
            draft.elf = elf;
            Value::Num(elf)
        }
        ValueKind::Perm => {
            if op != Op::Equal {
                return Err(format!("{opt} only takes = operator"));
            }
            if v.len() > 4 {
                return Err("String value too long".to_string());
            }
            draft.perm_added = true;
            Value::Num(
                perm_bits(v).ok_or_else(|| "Permission can only contain  'rwxa'".to_string())?,
            )
        }
        ValueKind::Filetype => Value::Num(
            lookup(&FILETYPES, v).ok_or_else(|| format!("-F unknown file type -  {opt}"))?,
        ),
        ValueKind::Fstype => {
            if flags != FILTER_FS {
                return Err(format!("{opt} field is not valid for the filter"));
            }
            if !equality {
                return Err(format!("{opt} only takes = or != operators"));
            }
            let n = if is_digit(v) {
                cnum::strtoul(v, 0).as_u32()
            } else {
                lookup(&FSTYPES, v).unwrap_or(u32::MAX)
            };
            if n == u32::MAX {
                return Err(format!("file system type is unknown for field: {opt}"));
            }
            draft.fs_added = true;
            Value::Num(n)
        }
        ValueKind::Arg => Value::Num(if is_digit(v) {
            cnum::strtoul(v, 0).as_u32()
        } else if is_negative_number(v) {
            cnum::strtol(v, 0).as_u32()
        } else {
            return Err(format!("-F value should be number for {opt}"));
        }),
        ValueKind::SessionId => {
            if flags != FILTER_EXCLUDE && flags != FILTER_USER && flags != FILTER_EXIT {
                return Err(format!(
                    "{opt} must be used with exclude, user, or exit filter"
                ));
            }
            // Anything else leaves the zeroed value in place: `sessionid=abc` is 0.
            Value::Num(if is_digit(v) {
                cnum::strtoul(v, 0).as_u32()
            } else if is_negative_number(v) {
                cnum::strtol(v, 0).as_u32()
            } else if v == b"unset" {
                u32::MAX
            } else {
                0
            })
        }
        ValueKind::SaddrFam => {
            let n = cnum::strtoul(v, 0).as_u32();
            if n >= AF_MAX {
                return Err(format!("value is too large for field: {opt}"));
            }
            Value::Num(n)
        }
        ValueKind::Inode | ValueKind::Num | ValueKind::Compare => {
            if def.value == ValueKind::Inode && !equality {
                return Err(format!("{opt} only takes = or != operators"));
            }
            if !is_digit(v) {
                return Err(format!("-F value should be number for {opt}"));
            }
            Value::Num(if def.value == ValueKind::Inode {
                cnum::strtoul(v, 0).as_u32()
            } else {
                cnum::strtol(v, 0).as_u32()
            })
        }
    };
    draft.fields.push(Field { kind, op, value });
    Ok(())
}

/// `-F arch=` value → AUDIT_ARCH number, or None for "elf mapping not found".
fn arch_value(v: &[u8], host: Machine) -> Option<u32> {
    if is_digit(v) {
        let n = cnum::strtoul(v, 0);
        if n.overflow {
            return None;
        }
        let elf = n.as_u32();
        return Machine::from_audit_arch(elf).map(|_| elf);
    }
    // Machine names are matched case-insensitively (machinetab is --lowercase).
    host.resolve_arch(&lowered(v)).ok().map(Machine::audit_arch)
}

fn perm_bits(v: &[u8]) -> Option<u32> {
    v.iter().try_fold(0u32, |acc, c| {
        Some(
            acc | match c.to_ascii_lowercase() {
                b'r' => 4,
                b'w' => 2,
                b'x' => 1,
                b'a' => 8,
                _ => return None,
            },
        )
    })
}

/// Watch permission letters (`-p`), or the first unsupported byte.
pub fn watch_perm_bits(v: &[u8]) -> Result<u32, u8> {
    let mut bits = 0;
    for c in v {
        bits |= perm_bits(std::slice::from_ref(c)).ok_or(*c)?;
    }
    Ok(bits)
}

fn lookup(table: &[(&str, u32)], v: &[u8]) -> Option<u32> {
    let name = folded(v, false)?;
    table.iter().find(|(n, _)| *n == name).map(|(_, n)| *n)
}

/// `audit_name_to_msg_type`, with the `> 0` check libaudit applies.
fn msgtype_by_name(v: &[u8]) -> Option<u32> {
    if let Some(n) = folded(v, true).and_then(|n| names::msgtype_number(&n)) {
        return Some(n).filter(|n| (*n as i32) > 0);
    }
    let n = if let Some(rest) = v.strip_prefix(b"UNKNOWN[") {
        let end = rest.iter().position(|b| *b == b']')?;
        cnum::strtol(&rest[..end.min(7)], 10).value as i32
    } else {
        return None;
    };
    u32::try_from(n).ok().filter(|n| *n > 0)
}

/// `audit_rule_interfield_comp_data(&rule, pair, flags)`: one `-C` comparison.
pub fn compare(draft: &mut Draft, pair: &[u8], flags: i32) -> Result<(), String> {
    if draft.fields.len() >= MAX_FIELDS - 1 {
        return Err(format!("Too many fields in rule: {}", show(pair)));
    }
    let (op, pos, len) = if let Some(p) = pair.windows(2).position(|w| w == b"!=") {
        (Op::NotEqual, p, 2)
    } else if let Some(p) = pair.iter().position(|b| *b == b'=') {
        (Op::Equal, p, 1)
    } else {
        return Err(format!("{} only takes = or != operators", show(pair)));
    };
    let (left, right) = (&pair[..pos], &pair[pos + len..]);
    let opt = Shown(left);
    if left.is_empty() {
        return Err("-C missing field name before operator for ".to_string());
    }
    if right.is_empty() {
        return Err(format!("-C missing value after operation for  {opt}"));
    }
    let Some(a) = field_by_name(left) else {
        return Err(format!("-C unknown field: {opt}"));
    };
    let Some(b) = field_by_name(right) else {
        return Err(format!(
            "-C unknown right hand value for comparison with: {opt}"
        ));
    };
    if flags != FILTER_EXIT {
        return Err(format!("{opt} can only be used with exit filter list"));
    }
    let n = COMPARES
        .iter()
        .find(|(x, y, _)| (*x, *y) == (a.kind, b.kind) || (*y, *x) == (a.kind, b.kind))
        .map(|(_, _, n)| *n)
        .ok_or_else(|| format!("-C incompatible comparison {opt}"))?;
    draft
        .fields
        .push(Field::num(FieldType::FIELD_COMPARE, op, n));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RootHost;

    fn with_ctx<T>(f: impl FnOnce(&ParseContext) -> T) -> T {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/h:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("etc/group"), "root:x:0:\nadm:x:4:\n").unwrap();
        let host = RootHost::new(dir.path());
        let accounts = crate::load::configuration::accounts(&host);
        let ctx = ParseContext {
            machine: Machine::X86_64,
            accounts: &accounts,
        };
        f(&ctx)
    }

    fn one(pair: &str, flags: i32) -> Result<Field, String> {
        with_ctx(|ctx| {
            let mut d = Draft::new();
            fieldpair(&mut d, pair.as_bytes(), flags, ctx)?;
            Ok(d.fields.pop().unwrap())
        })
    }

    #[test]
    fn operator_search_order() {
        assert_eq!(find_op(b"a0>=5").map(|o| o.0), Some(Op::GreaterOrEqual));
        assert_eq!(find_op(b"path=/a>b").map(|o| o.0), Some(Op::Equal));
        assert_eq!(find_op(b"a1&=9").map(|o| o.0), Some(Op::BitTest));
        assert_eq!(find_op(b"x").map(|o| o.0), None);
        let f = one("a0=x!=y", FILTER_EXIT);
        assert_eq!(f.unwrap_err(), "-F unknown field: a0=x");
    }

    #[test]
    fn ids() {
        assert_eq!(
            one("auid!=-1", FILTER_EXIT).unwrap().number(),
            Some(u32::MAX)
        );
        assert_eq!(
            one("auid!=unset", FILTER_EXIT).unwrap().number(),
            Some(u32::MAX)
        );
        assert_eq!(
            one("auid!=4294967295", FILTER_EXIT).unwrap().number(),
            Some(u32::MAX)
        );
        assert_eq!(one("uid=alice", FILTER_EXIT).unwrap().number(), Some(1000));
        assert_eq!(one("UID=root", FILTER_EXIT).unwrap().number(), Some(0));
        assert_eq!(
            one("uid=bob", FILTER_EXIT).unwrap_err(),
            "Unknown user: bob"
        );
        assert_eq!(one("gid=-1", FILTER_EXIT).unwrap_err(), "Unknown group: -1");
        assert_eq!(
            one("gid=unset", FILTER_EXIT).unwrap_err(),
            "Unknown group: unset"
        );
        assert_eq!(one("gid=adm", FILTER_EXIT).unwrap().number(), Some(4));
        assert_eq!(
            one("loginuid>=1000", FILTER_EXIT).unwrap().kind,
            FieldType::AUID
        );
        assert_eq!(
            one("obj_uid=0", FILTER_TASK).unwrap().kind,
            FieldType::OBJ_UID
        );
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            one("uid", FILTER_EXIT).unwrap_err(),
            "-F missing operation for uid"
        );
        assert_eq!(
            one("=0", FILTER_EXIT).unwrap_err(),
            "-F missing field name before operator for "
        );
        assert_eq!(
            one("uid=", FILTER_EXIT).unwrap_err(),
            "-F missing value after operation for uid"
        );
        assert_eq!(
            one("foo=1", FILTER_EXIT).unwrap_err(),
            "-F unknown field: foo"
        );
        assert_eq!(
            one("success=yes", FILTER_EXIT).unwrap_err(),
            "-F value should be number for success"
        );
        assert_eq!(
            one("exit=1", FILTER_TASK).unwrap_err(),
            "exit can only be used with exit filter list"
        );
        assert_eq!(
            one("msgtype=1300", FILTER_EXIT).unwrap_err(),
            "msgtype field can only be used with exclude or user filter list"
        );
        assert_eq!(
            one("uid=0", FILTER_EXCLUDE).map(|f| f.kind),
            Ok(FieldType::UID)
        );
        assert!(one("ppid=1", FILTER_EXCLUDE)
            .unwrap_err()
            .starts_with("Only msgtype"));
    }

    #[test]
    fn exit_values() {
        assert_eq!(
            one("exit=-13", FILTER_EXIT).unwrap().number(),
            Some(-13i32 as u32)
        );
        assert_eq!(one("exit=5", FILTER_EXIT).unwrap().number(), Some(5));
        assert_eq!(
            one("exit=NOPE", FILTER_EXIT).unwrap_err(),
            "-F unknown errno - exit"
        );
    }

    #[test]
    fn arch() {
        assert_eq!(
            one("arch=b64", FILTER_EXIT).unwrap().number(),
            Some(0xC000_003E)
        );
        assert_eq!(
            one("arch=X86_64", FILTER_EXIT).unwrap().number(),
            Some(0xC000_003E)
        );
        assert_eq!(
            one("arch=b32", FILTER_EXIT).unwrap().number(),
            Some(0x4000_0003)
        );
        assert_eq!(
            one("arch=3221225534", FILTER_EXIT).unwrap().number(),
            Some(0xC000_003E)
        );
        assert_eq!(
            one("arch=sparc", FILTER_EXIT).unwrap_err(),
            "arch elf mapping not found"
        );
        assert_eq!(
            one("arch>b64", FILTER_EXIT).unwrap_err(),
            "arch only takes = or != operators"
        );
        with_ctx(|ctx| {
            let mut d = Draft::new();
            d.syscall_added = true;
            assert_eq!(
                fieldpair(&mut d, b"arch=b64", FILTER_EXIT, ctx).unwrap_err(),
                "arch must be before -S"
            );
        });
    }

    #[test]
    fn perm_filetype_fstype_args() {
        assert_eq!(one("perm=wa", FILTER_EXIT).unwrap().number(), Some(10));
        assert_eq!(one("perm=RWXA", FILTER_EXIT).unwrap().number(), Some(15));
        assert_eq!(
            one("perm!=r", FILTER_EXIT).unwrap_err(),
            "perm only takes = operator"
        );
        assert_eq!(
            one("perm=rwxar", FILTER_EXIT).unwrap_err(),
            "String value too long"
        );
        assert_eq!(
            one("perm=q", FILTER_EXIT).unwrap_err(),
            "Permission can only contain  'rwxa'"
        );
        assert_eq!(
            one("filetype=file", FILTER_EXIT).unwrap().number(),
            Some(32768)
        );
        assert!(one("filetype=32768", FILTER_EXIT).is_err());
        assert_eq!(
            one("fstype=debugfs", FILTER_FS).unwrap().number(),
            Some(0x6462_6720)
        );
        assert_eq!(
            one("fstype=debugfs", FILTER_EXIT).unwrap_err(),
            "fstype field is not valid for the filter"
        );
        assert_eq!(one("a0=-1", FILTER_EXIT).unwrap().number(), Some(u32::MAX));
        assert_eq!(one("a1&=0x10", FILTER_EXIT).unwrap().number(), Some(16));
        assert_eq!(
            one("a0=x", FILTER_EXIT).unwrap_err(),
            "-F value should be number for a0"
        );
        assert_eq!(one("sessionid=abc", FILTER_EXIT).unwrap().number(), Some(0));
        assert_eq!(
            one("sessionid=unset", FILTER_EXIT).unwrap().number(),
            Some(u32::MAX)
        );
        assert_eq!(
            one("saddr_fam=46", FILTER_EXIT).unwrap_err(),
            "value is too large for field: saddr_fam"
        );
        assert_eq!(
            one("inode<5", FILTER_EXIT).unwrap_err(),
            "inode only takes = or != operators"
        );
        assert_eq!(one("pid=12abc", FILTER_EXIT).unwrap().number(), Some(12));
    }

    #[test]
    fn key_needs_a_syscall_or_watch() {
        assert_eq!(
            one("key=x", FILTER_EXIT).unwrap_err(),
            "Key field needs a watch, syscall or exe path given prior to it"
        );
        with_ctx(|ctx| {
            let mut d = Draft::new();
            fieldpair(&mut d, b"exe=/bin/x", FILTER_EXIT, ctx).unwrap();
            fieldpair(&mut d, b"key=x", FILTER_EXIT, ctx).unwrap();
            let long = format!("key={}", "k".repeat(257));
            assert_eq!(
                fieldpair(&mut d, long.as_bytes(), FILTER_EXIT, ctx).unwrap_err(),
                "String value too long"
            );
        });
    }

    #[test]
    fn compares() {
        let mut d = Draft::new();
        compare(&mut d, b"euid=uid", FILTER_EXIT).unwrap();
        compare(&mut d, b"uid=euid", FILTER_EXIT).unwrap();
        compare(&mut d, b"obj_uid!=auid", FILTER_EXIT).unwrap();
        assert_eq!(d.fields[0], d.fields[1]);
        assert_eq!(d.fields[2].op, Op::NotEqual);
        assert_eq!(d.fields[2].number(), Some(5));
        assert_eq!(
            compare(&mut d, b"uid=gid", FILTER_EXIT).unwrap_err(),
            "-C incompatible comparison uid"
        );
        assert_eq!(
            compare(&mut d, b"auid<obj_uid", FILTER_EXIT).unwrap_err(),
            "auid<obj_uid only takes = or != operators"
        );
        assert_eq!(
            compare(&mut d, b"uid=euid", FILTER_TASK).unwrap_err(),
            "uid can only be used with exit filter list"
        );
        assert_eq!(
            compare(&mut d, b"uid=nope", FILTER_EXIT).unwrap_err(),
            "-C unknown right hand value for comparison with: uid"
        );
    }

    #[test]
    fn field_limit() {
        with_ctx(|ctx| {
            let mut d = Draft::new();
            for _ in 0..63 {
                fieldpair(&mut d, b"pid=1", FILTER_EXIT, ctx).unwrap();
            }
            assert_eq!(
                fieldpair(&mut d, b"pid=1", FILTER_EXIT, ctx).unwrap_err(),
                "Too many fields in rule: pid=1"
            );
        });
    }
}
