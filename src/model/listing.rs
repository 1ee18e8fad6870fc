//! Two printers for a [`Rule`]: the `auditctl -l` text, byte-identical to auditctl 3.0.9, and a
//! lossless canonical text for messages and diffs that re-parses to the identical rule.
//!
//! The listing mirrors `print_rule` in 3.0.9 `src/auditctl-listing.c`, quirks
//! included, because `auditguard rules --kernel` must print what `auditctl -l` prints:
//! - a rule is printed as a watch when its fields are only path/dir/perm/key with at least
//!   one perm, and (except on the user, task, exclude and filesystem lists) mask words 0–62
//!   are all ones; a watch is printed field by field, so a perm stored before the path gives
//!   the malformed ` -p wa-w /path` (a quirk of 3.0.9's printer);
//! - arch fields come first; syscall names come from the table of the *last* arch field
//!   printed (`_audit_elf`), else of the host machine; and because auditctl never resets
//!   `_audit_elf` between the rules of one listing, a rule without an arch field is named with
//!   the table of the previous rule's arch ([`list_rules`] reproduces this; [`list_rule`] starts
//!   fresh);
//! - path, dir and exe always print `=` (3.0.9 drops `!=`); perm prints letters; keys split at
//!   0x01 with empty pieces skipped (`strtok`); unknown field numbers print ` fN<op><value>`;
//!   an unknown list, action or operator prints `(null)` as glibc's printf does; io_uring is
//!   unknown to 3.0.9's flag table.
//!
//! Neither printer knows about files or the kernel; they take a rule and the host machine.

use crate::model::arch::{Machine, ARCH_64BIT};
use crate::model::field::{FieldType, ValueKind};
use crate::model::names;
use crate::model::rule::{Action, Field, List, Op, Rule, Value, KEY_SEPARATOR, MASK_WORDS};
use crate::model::syscalls;

/// Bits of the `perm` field (`AUDIT_PERM_*`): exec 1, write 2, read 4, attr 8, printed in the
/// order r, w, x, a.
const PERM_LETTERS: [(u32, u8); 4] = [(4, b'r'), (2, b'w'), (1, b'x'), (8, b'a')];

/// One rule as `auditctl -l` prints it (no trailing newline). `machine` is the host's, used
/// for syscall names when the rule has no arch field.
///
/// ```
/// use auditguard::model::{listing, Action, Field, FieldType, List, Machine, Mask, Op, Rule};
/// let mut r = Rule::new(List::Exit, Action::Always);
/// r.fields.push(Field::num(FieldType::ARCH, Op::Equal, 0xC000_003E));
/// r.fields.push(Field::str(FieldType::KEY, Op::Equal, "modules"));
/// r.mask.set(175);
/// assert_eq!(
///     listing::list_rule(&r, Machine::X86_64),
///     b"-a always,exit -F arch=b64 -S init_module -F key=modules"
/// );
/// ```
pub fn list_rule(rule: &Rule, machine: Machine) -> Vec<u8> {
    let mut out = Vec::new();
    Listing {
        host: machine,
        elf: 0,
    }
    .rule(rule, &mut out);
    out
}

/// A whole kernel list as `auditctl -l` prints it: one rule per line, `No rules` when empty.
///
/// `rules` is the kernel's content in its order within each list (prepended rules already at
/// the front, as the load simulation and a netlink read give them). Rules are grouped by list
/// number, ascending, as the kernel returns them (`audit_list_rules` walks its lists in index
/// order: user 0, task 1, exit 4, exclude 5, filesystem 6, io_uring 7).
pub fn list_rules<'r>(rules: impl IntoIterator<Item = &'r Rule>, machine: Machine) -> Vec<u8> {
    let mut out = Vec::new();
    write_rules(rules, machine, &mut out).expect("writing to a Vec never fails");
    out
}

/// [`list_rules`] into a sink, one line at a time: 100,000 rules are never one buffer.
pub fn write_rules<'r>(
    rules: impl IntoIterator<Item = &'r Rule>,
    machine: Machine,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut ordered: Vec<&Rule> = rules.into_iter().collect();
    if ordered.is_empty() {
        return out.write_all(b"No rules\n");
    }
    ordered.sort_by_key(|r| r.list.number());
    let mut listing = Listing {
        host: machine,
        elf: 0,
    };
    let mut line = Vec::new();
    for r in ordered {
        line.clear();
        listing.rule(r, &mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// The state `print_rule` shares across one listing: the host machine and `_audit_elf`.
struct Listing {
    host: Machine,
    elf: u32,
}

impl Listing {
    fn rule(&mut self, r: &Rule, out: &mut Vec<u8>) {
        let watch = is_watch(r);
        if !watch {
            out.extend_from_slice(b"-a ");
            out.extend_from_slice(action_name(r.action).as_bytes());
            out.push(b',');
            out.extend_from_slice(list_name(r.list).as_bytes());
            for f in r.fields_of(FieldType::ARCH) {
                self.arch(f, out);
            }
            self.syscalls(r, out);
        }
        for f in &r.fields {
            if f.kind != FieldType::ARCH {
                field(f, watch, out);
            }
        }
    }

    /// `print_arch`: `b64`/`b32` by the 64-bit flag, hex for an unknown arch; remembers it.
    fn arch(&mut self, f: &Field, out: &mut Vec<u8>) {
        let value = num(f);
        self.elf = value;
        out.extend_from_slice(b" -F arch");
        out.extend_from_slice(op_symbol(f.op).as_bytes());
        match Machine::from_audit_arch(value) {
            None => out.extend_from_slice(format!("0x{value:X}").as_bytes()),
            Some(_) if value & ARCH_64BIT != 0 => out.extend_from_slice(b"b64"),
            Some(_) => out.extend_from_slice(b"b32"),
        }
    }

    /// `print_syscall`: nothing on lists without syscalls, `-S all`, or ascending names from
    /// the table of `_audit_elf` (host table when it is 0), numbers where there is no name.
    /// (The count auditctl keeps only matters to `-l -i`, which interprets a0–a3.)
    fn syscalls(&self, r: &Rule, out: &mut Vec<u8>) {
        if matches!(
            r.list,
            List::User | List::Task | List::Exclude | List::Filesystem
        ) {
            return;
        }
        if r.mask.is_all() {
            out.extend_from_slice(b" -S all");
            return;
        }
        let machine = if self.elf != 0 {
            Machine::from_audit_arch(self.elf)
        } else {
            Some(self.host)
        };
        // Every bit, class selectors included (the kernel clears those, a parsed rule may not).
        for (i, nr) in r.mask.bits().enumerate() {
            out.extend_from_slice(if i == 0 { b" -S " } else { b"," });
            match machine.and_then(|m| syscalls::name(m, nr)) {
                Some(name) => out.extend_from_slice(name.as_bytes()),
                None => out.extend_from_slice(nr.to_string().as_bytes()),
            }
        }
    }
}

/// `is_watch`: only path/dir/perm/key fields, at least one perm, and (outside the user, task,
/// exclude and filesystem lists) every syscall.
fn is_watch(r: &Rule) -> bool {
    let watch_fields = [
        FieldType::PERM,
        FieldType::KEY,
        FieldType::DIR,
        FieldType::PATH,
    ];
    if !r.fields.iter().all(|f| watch_fields.contains(&f.kind)) {
        return false;
    }
    let perm = r.fields.iter().any(|f| f.kind == FieldType::PERM);
    let all = match r.list {
        List::User | List::Task | List::Exclude | List::Filesystem => true,
        _ => r.mask.is_all(),
    };
    perm && all
}

/// One non-arch field as `print_rule` prints it.
fn field(f: &Field, watch: bool, out: &mut Vec<u8>) {
    let op = op_symbol(f.op);
    let Some(def) = f.kind.def() else {
        // Unknown to 3.0.9's field table: ` f%d%s%d` of the type and the value word (for a
        // string field the kernel's value word is the string's length).
        let value = match &f.value {
            Value::Num(n) => *n as i32,
            Value::Str(s) => s.len() as i32,
        };
        out.extend_from_slice(format!(" f{}{op}{value}", f.kind.0).as_bytes());
        return;
    };
    let name = def.name;
    let simple = |text: &[u8], out: &mut Vec<u8>| {
        out.extend_from_slice(b" -F ");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(op.as_bytes());
        out.extend_from_slice(text);
    };
    match f.kind {
        FieldType::PATH | FieldType::DIR if watch => {
            out.extend_from_slice(b"-w ");
            out.extend_from_slice(c_str(f));
        }
        // 3.0.9 prints `=` whatever the operator.
        FieldType::PATH | FieldType::DIR | FieldType::EXE => {
            out.extend_from_slice(b" -F ");
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            out.extend_from_slice(c_str(f));
        }
        FieldType::KEY => {
            for key in c_str(f)
                .split(|b| *b == KEY_SEPARATOR)
                .filter(|k| !k.is_empty())
            {
                out.extend_from_slice(if watch { b" -k " } else { b" -F key=" });
                out.extend_from_slice(key);
            }
        }
        FieldType::PERM => {
            out.extend_from_slice(if watch { b" -p " } else { b" -F perm=" });
            out.extend(perm_letters(num(f)));
        }
        FieldType::FIELD_COMPARE => {
            // An unknown comparison prints nothing at all.
            if let Some(c) = names::compare(num(f)) {
                let text = format!(
                    " -C {}{op}{}",
                    c.left.name().unwrap_or_default(),
                    c.right.name().unwrap_or_default()
                );
                out.extend_from_slice(text.as_bytes());
            }
        }
        _ => match def.value {
            ValueKind::Str => simple(c_str(f), out),
            ValueKind::Msgtype => match names::msgtype_name(num(f)) {
                Some(n) => simple(n.as_bytes(), out),
                None => simple(signed(f, &mut [0; SIGNED_LEN]), out),
            },
            ValueKind::Fstype => match names::fstype_name(num(f)) {
                Some(n) => simple(n.as_bytes(), out),
                None => simple(signed(f, &mut [0; SIGNED_LEN]), out),
            },
            ValueKind::Inode => simple(num(f).to_string().as_bytes(), out),
            ValueKind::Arg => simple(format!("0x{:X}", num(f)).as_bytes(), out),
            ValueKind::Errno => simple(exit_value(num(f)).as_bytes(), out),
            _ => simple(signed(f, &mut [0; SIGNED_LEN]), out),
        },
    }
}

/// `exit=`: `-ENAME` for a negative value with a known name, else signed decimal.
fn exit_value(v: u32) -> String {
    let e = v as i32;
    match names::errno_name(e.unsigned_abs()) {
        Some(name) if e < 0 && e != i32::MIN => format!("-{name}"),
        _ => e.to_string(),
    }
}

/// The perm letters in r, w, x, a order (empty when no known bit is set).
fn perm_letters(v: u32) -> impl Iterator<Item = u8> {
    PERM_LETTERS
        .into_iter()
        .filter(move |(bit, _)| v & bit != 0)
        .map(|(_, letter)| letter)
}

/// A numeric field's value word (a string field's is its length, as on the wire).
fn num(f: &Field) -> u32 {
    match &f.value {
        Value::Num(n) => *n,
        Value::Str(s) => s.len() as u32,
    }
}

/// Room for `%d` of any `i32`: `-2147483648`.
const SIGNED_LEN: usize = 11;

/// `%d` of the value word, written at the end of `buf` (no allocation: most fields print so).
fn signed<'b>(f: &Field, buf: &'b mut [u8; SIGNED_LEN]) -> &'b [u8] {
    let v = num(f) as i32;
    let mut rest = v.unsigned_abs();
    let mut at = SIGNED_LEN;
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if v < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// A string field as `%.*s` prints it: up to the first NUL. A numeric value in a string
/// field's slot (not something the kernel or the parser produce) prints as its number.
fn c_str(f: &Field) -> &[u8] {
    match &f.value {
        Value::Str(s) => s.split(|b| *b == 0).next().unwrap_or_default(),
        Value::Num(_) => b"",
    }
}

/// `audit_operator_to_symbol`; glibc prints a NULL `%s` as `(null)`.
fn op_symbol(op: Op) -> &'static str {
    match op {
        Op::Other(_) => "(null)",
        op => op.symbol(),
    }
}

/// `audit_action_to_name`, with `(null)` for an unknown action.
fn action_name(action: Action) -> &'static str {
    action.name().unwrap_or("(null)")
}

/// `audit_flag_to_name` of 3.0.9's flag table, which has no `io_uring` (added in 4.0).
fn list_name(list: List) -> &'static str {
    match list {
        List::IoUring | List::Other(_) => "(null)",
        l => l.name().unwrap_or("(null)"),
    }
}

// ---------------------------------------------------------------------------------------
// Canonical text.

/// A lossless, re-parseable text for `rule`: `syntax::parse_file` of it (with the same
/// `machine`) gives a rule identical to `rule` (same list, action, prepend flag, fields in
/// order with operators and values, and mask).
///
/// Form: `-a ACTION,LIST` (`-A` when prepended), the fields in stored order as `-F name<op>value`
/// (`-C a<op>b` for comparisons), with `-S` placed right after the last arch field (or after
/// the list when there is none) so its names resolve in the same table; `-S all` when every
/// syscall is set. Arch is the real machine name (`-F arch=aarch64`, never `b64`), path and
/// dir stay `-F path=`/`-F dir=` (never `-w`, whose meaning depends on the target's files),
/// keys are `-F key=` items, every operator is the real one, and spaces and backslashes in
/// strings are escaped (`\ `, `\\`).
///
/// Rules no auditctl text can express print as closely as possible but do not round-trip:
/// an unknown list, action, operator or arch; a string containing a newline or NUL, or an
/// operator text that auditctl's operator search would find first (`-F path=/a>=b`); empty
/// key pieces; an exit rule with an empty mask; a user, exclude or filesystem rule whose mask
/// is not every syscall, or a task rule with any syscall.
///
/// ```
/// use auditguard::model::{listing, Action, Field, FieldType, List, Machine, Mask, Op, Rule};
/// let mut r = Rule::new(List::Exit, Action::Always);
/// r.fields.push(Field::num(FieldType::ARCH, Op::Equal, 0xC000_00B7));
/// r.fields.push(Field::str(FieldType::DIR, Op::Equal, "/var/my log"));
/// r.fields.push(Field::str(FieldType::KEY, Op::Equal, "a\x01b"));
/// r.mask.set(56);
/// assert_eq!(
///     listing::canonical_rule(&r, Machine::X86_64),
///     b"-a always,exit -F arch=aarch64 -S openat -F dir=/var/my\\ log -F key=a -F key=b".to_vec()
/// );
/// ```
pub fn canonical_rule(rule: &Rule, machine: Machine) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(if rule.prepend { b"-A " } else { b"-a " });
    match rule.action.name() {
        Some(n) => out.extend_from_slice(n.as_bytes()),
        None => out.extend_from_slice(rule.action.number().to_string().as_bytes()),
    }
    out.push(b',');
    match rule.list.name() {
        Some(n) => out.extend_from_slice(n.as_bytes()),
        None => out.extend_from_slice(rule.list.number().to_string().as_bytes()),
    }
    let last_arch = rule.fields.iter().rposition(|f| f.kind == FieldType::ARCH);
    let table = last_arch
        .map(|i| Machine::from_audit_arch(num(&rule.fields[i])))
        .unwrap_or(Some(machine));
    if last_arch.is_none() {
        canonical_syscalls(rule, table, &mut out);
    }
    for (i, f) in rule.fields.iter().enumerate() {
        canonical_field(f, &mut out);
        if Some(i) == last_arch {
            canonical_syscalls(rule, table, &mut out);
        }
    }
    out
}

/// ` -S all` or ` -S a,b,...` (names from `table`, numbers where it has none); nothing for an
/// empty mask. Class selector bits (2032–2047) are not part of the identity and are left out.
/// Nothing on the lists where auditctl refuses `-S`: it gives user, exclude and filesystem
/// rules every syscall by itself and task rules none (3.0.9 `setopt`, "add syscall any if not
/// specified").
fn canonical_syscalls(rule: &Rule, table: Option<Machine>, out: &mut Vec<u8>) {
    if matches!(
        rule.list,
        List::User | List::Task | List::Exclude | List::Filesystem
    ) {
        return;
    }
    let mask = rule.mask.words();
    if mask[..MASK_WORDS - 1].iter().all(|w| *w == u32::MAX)
        && mask[MASK_WORDS - 1] & 0xFFFF == 0xFFFF
    {
        out.extend_from_slice(b" -S all");
        return;
    }
    for (i, nr) in rule.mask.syscalls().enumerate() {
        out.extend_from_slice(if i == 0 { b" -S " } else { b"," });
        match table.and_then(|m| syscalls::name(m, nr)) {
            Some(name) => out.extend_from_slice(name.as_bytes()),
            None => out.extend_from_slice(nr.to_string().as_bytes()),
        }
    }
}

/// One field in canonical form.
fn canonical_field(f: &Field, out: &mut Vec<u8>) {
    let op = f.op.symbol();
    let Some(def) = f.kind.def() else {
        // No text names an unknown field; show it like the listing does.
        out.extend_from_slice(format!(" f{}{op}", f.kind.0).as_bytes());
        match &f.value {
            Value::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Value::Str(s) => escape(s, out),
        }
        return;
    };
    if f.kind == FieldType::FIELD_COMPARE {
        match names::compare(num(f)) {
            Some(c) => out.extend_from_slice(
                format!(
                    " -C {}{op}{}",
                    c.left.name().unwrap_or_default(),
                    c.right.name().unwrap_or_default()
                )
                .as_bytes(),
            ),
            None => out.extend_from_slice(format!(" -F field_compare{op}{}", num(f)).as_bytes()),
        }
        return;
    }
    if f.kind == FieldType::KEY {
        let key = match &f.value {
            Value::Str(s) => &s[..],
            Value::Num(_) => b"",
        };
        for piece in key.split(|b| *b == KEY_SEPARATOR) {
            out.extend_from_slice(b" -F key=");
            escape(piece, out);
        }
        return;
    }
    out.extend_from_slice(b" -F ");
    out.extend_from_slice(def.name.as_bytes());
    out.extend_from_slice(op.as_bytes());
    if let Value::Str(s) = &f.value {
        escape(s, out);
        return;
    }
    let v = num(f);
    let text = match def.value {
        ValueKind::Uid | ValueKind::SessionId if v == u32::MAX => "unset".to_string(),
        ValueKind::Arch => match Machine::from_audit_arch(v) {
            Some(m) => m.name().to_string(),
            None => format!("0x{v:X}"),
        },
        ValueKind::Errno => exit_value(v),
        ValueKind::Msgtype => names::msgtype_name(v)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
        ValueKind::Filetype => names::filetype_name(v)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
        ValueKind::Fstype => names::fstype_name(v)
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
        ValueKind::Perm if v != 0 && v & !0xF == 0 => {
            String::from_utf8(perm_letters(v).collect()).unwrap_or_default()
        }
        ValueKind::Arg => format!("0x{v:X}"),
        _ => v.to_string(),
    };
    out.extend_from_slice(text.as_bytes());
}

/// `\ ` for a space and `\\` for a backslash: the only escapes `auditctl -R` undoes.
fn escape(s: &[u8], out: &mut Vec<u8>) {
    for &b in s {
        if b == b' ' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rule::Mask;
    use FieldType as F;

    const B64: u32 = 0xC000_003E;

    #[test]
    fn signed_prints_like_percent_d() {
        for v in [0, 7, 10, 1000, -1, -10, i32::MAX, i32::MIN] {
            let f = Field::num(F::UID, Op::Equal, v as u32);
            assert_eq!(signed(&f, &mut [0; SIGNED_LEN]), v.to_string().as_bytes());
        }
    }
    const B32: u32 = 0x4000_0003;

    fn n(kind: FieldType, op: Op, v: u32) -> Field {
        Field::num(kind, op, v)
    }
    fn eq(kind: FieldType, v: u32) -> Field {
        Field::num(kind, Op::Equal, v)
    }
    fn s(kind: FieldType, v: &str) -> Field {
        Field::str(kind, Op::Equal, v)
    }

    /// An exit rule with `fields` and `syscalls` (`None` = all).
    fn exit(fields: Vec<Field>, syscalls: Option<&[u32]>) -> Rule {
        let mut r = Rule::new(List::Exit, Action::Always);
        r.fields = fields;
        match syscalls {
            None => r.mask = Mask::all(),
            Some(nrs) => nrs.iter().for_each(|nr| assert!(r.mask.set(*nr))),
        }
        r
    }

    fn listed(r: &Rule) -> String {
        String::from_utf8(list_rule(r, Machine::X86_64)).unwrap()
    }

    /// Listing rows that need no parser (x86_64 host, auditctl 3.0.9).
    #[test]
    fn reference_table_rows() {
        let k = |v: &str| s(F::KEY, v);
        let rows: Vec<(&str, Rule, &str)> = vec![
            ("1", exit(vec![eq(F::ARCH, B64), k("mod1")], Some(&[176, 175])),
             "-a always,exit -F arch=b64 -S init_module,delete_module -F key=mod1"),
            ("3", exit(vec![eq(F::ARCH, B64), k("mod3")], Some(&[313, 175, 176])),
             "-a always,exit -F arch=b64 -S init_module,delete_module,finit_module -F key=mod3"),
            ("4", exit(vec![eq(F::ARCH, B32), k("module-load")], Some(&[128, 350])),
             "-a always,exit -F arch=b32 -S init_module,finit_module -F key=module-load"),
            ("5", exit(vec![eq(F::ARCH, B32), k("p7")], Some(&[350, 129, 128, 127, 167])),
             "-a always,exit -F arch=b32 -S create_module,init_module,delete_module,query_module,finit_module -F key=p7"),
            ("7", exit(vec![k("noarch")], Some(&[175])),
             "-a always,exit -S init_module -F key=noarch"),
            ("9", exit(vec![s(F::PATH, "/etc/nonexistentfile"), eq(F::PERM, 10), k("nefile")], None),
             "-w /etc/nonexistentfile -p wa -k nefile"),
            ("10", exit(vec![s(F::PATH, "/etc/shadow"), eq(F::PERM, 15)], None),
             "-w /etc/shadow -p rwxa"),
            ("14", exit(vec![s(F::DIR, "/etc/ssh/"), eq(F::PERM, 10), k("dirslash")], None),
             "-w /etc/ssh/ -p wa -k dirslash"),
            ("16", exit(vec![eq(F::ARCH, B64), s(F::DIR, "/var/log"), eq(F::SUCCESS, 0), k("dirsys")], Some(&[257])),
             "-a always,exit -F arch=b64 -S openat -F dir=/var/log -F success=0 -F key=dirsys"),
            ("17", exit(vec![eq(F::ARCH, B64), s(F::PATH, "/etc/hosts"), eq(F::PERM, 4), k("withsys")], Some(&[257])),
             "-a always,exit -F arch=b64 -S openat -F path=/etc/hosts -F perm=r -F key=withsys"),
            ("18", exit(vec![eq(F::ARCH, B64), s(F::PATH, "/etc/hosts"), eq(F::PERM, 1), k("allwatch")], None),
             "-a always,exit -F arch=b64 -S all -F path=/etc/hosts -F perm=x -F key=allwatch"),
            ("20", exit(vec![s(F::PATH, "/etc/issue"), k("pathnoperm")], None),
             "-a always,exit -S all -F path=/etc/issue -F key=pathnoperm"),
            ("21", exit(vec![eq(F::PERM, 10), s(F::PATH, "/etc/hostname"), k("permfirst")], None),
             " -p wa-w /etc/hostname -k permfirst"),
            ("22", exit(vec![eq(F::ARCH, B64), k("k1\x01k2")], Some(&[59])),
             "-a always,exit -F arch=b64 -S execve -F key=k1 -F key=k2"),
            ("23", exit(vec![eq(F::ARCH, B64), n(F::AUID, Op::GreaterOrEqual, 1000), n(F::AUID, Op::NotEqual, u32::MAX)], Some(&[165])),
             "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=-1"),
            ("25", exit(vec![eq(F::ARCH, 0xC000_00B7)], Some(&[56])),
             "-a always,exit -F arch=b64 -S openat"),
            ("26", exit(vec![eq(F::ARCH, B64), n(F::ARCH, Op::NotEqual, B32)], Some(&[295])),
             "-a always,exit -F arch=b64 -F arch!=b32 -S openat"),
            ("28", exit(vec![eq(F::AUID, 1002)], None),
             "-a always,exit -S all -F auid=1002"),
            ("29", exit(vec![], Some(&[17, 18, 999])),
             "-a always,exit -S pread,pwrite,999"),
            ("30", exit(vec![eq(F::ARCH, B64), Field::str(F::EXE, Op::NotEqual, "/usr/bin/true")], Some(&[59])),
             "-a always,exit -F arch=b64 -S execve -F exe=/usr/bin/true"),
            ("34", exit(vec![eq(F::EXIT, -1i32 as u32), eq(F::EXIT, -13i32 as u32), eq(F::EXIT, 1)], None),
             "-a always,exit -S all -F exit=-EPERM -F exit=-EACCES -F exit=1"),
            ("35", exit(vec![eq(F::A0, 2), eq(F::A1, 0x10), eq(F::A2, u32::MAX)], None),
             "-a always,exit -S all -F a0=0x2 -F a1=0x10 -F a2=0xFFFFFFFF"),
            ("36", exit(vec![eq(F::UID, 0), eq(F::GID, 0)], None),
             "-a always,exit -S all -F uid=0 -F gid=0"),
            ("37", exit(vec![eq(F::FILETYPE, 0o100000)], None),
             "-a always,exit -S all -F filetype=32768"),
            ("38", exit(vec![n(F::A1, Op::BitTest, 9), n(F::A2, Op::BitMask, 8), n(F::PID, Op::LessThan, 10),
                             n(F::PPID, Op::GreaterThan, 1), n(F::SESSIONID, Op::LessOrEqual, 5)], None),
             "-a always,exit -S all -F a1&=0x9 -F a2&0x8 -F pid<10 -F ppid>1 -F sessionid<=5"),
            ("40", exit(vec![eq(F::ARCH, B64), k("with space")], Some(&[59])),
             "-a always,exit -F arch=b64 -S execve -F key=with space"),
            ("41", exit(vec![s(F::PATH, "/etc/hosts"), eq(F::PERM, 10), eq(F::UID, 0)], None),
             "-a always,exit -S all -F path=/etc/hosts -F perm=wa -F uid=0"),
            ("42", exit(vec![s(F::DIR, "/"), eq(F::PERM, 4)], None), "-w / -p r"),
            ("1.6", exit(vec![eq(F::FIELD_COMPARE, 11), n(F::FIELD_COMPARE, Op::NotEqual, 5), eq(F::FIELD_COMPARE, 23)], None),
             "-a always,exit -S all -C uid=euid -C auid!=obj_uid -C egid=fsgid"),
        ];
        for (row, rule, want) in rows {
            assert_eq!(listed(&rule), want, "row {row}");
        }
    }

    #[test]
    fn other_lists() {
        let mut task = Rule::new(List::Task, Action::Always);
        task.fields.push(eq(F::UID, 0));
        assert_eq!(listed(&task), "-a always,task -F uid=0");
        let mut excl = Rule::new(List::Exclude, Action::Never);
        excl.fields.push(eq(F::MSGTYPE, 1302));
        assert_eq!(listed(&excl), "-a never,exclude -F msgtype=PATH");
        excl.fields[0] = eq(F::MSGTYPE, 999);
        assert_eq!(listed(&excl), "-a never,exclude -F msgtype=999");
        let mut fs = Rule::new(List::Filesystem, Action::Never);
        fs.fields.push(eq(F::FSTYPE, 0x6462_6720));
        fs.fields.push(s(F::KEY, "fsk"));
        assert_eq!(
            listed(&fs),
            "-a never,filesystem -F fstype=debugfs -F key=fsk"
        );
        let io = Rule::new(List::IoUring, Action::Always);
        assert_eq!(listed(&io), "-a always,(null)");
    }

    #[test]
    fn odd_values() {
        let r = exit(
            vec![
                n(FieldType(99), Op::Equal, u32::MAX),
                n(F::UID, Op::Other(7), 1),
            ],
            None,
        );
        assert_eq!(listed(&r), "-a always,exit -S all f99=-1 -F uid(null)1");
        let r = exit(
            vec![eq(F::EXIT, i32::MIN as u32), eq(F::EXIT, -4095i32 as u32)],
            None,
        );
        assert_eq!(
            listed(&r),
            "-a always,exit -S all -F exit=-2147483648 -F exit=-4095"
        );
        let r = exit(
            vec![eq(F::ARCH, 0x1234), eq(F::INODE, u32::MAX)],
            Some(&[59]),
        );
        assert_eq!(
            listed(&r),
            "-a always,exit -F arch=0x1234 -S 59 -F inode=4294967295"
        );
        // Empty key pieces are skipped, as strtok does; a NUL ends the string.
        let r = exit(
            vec![
                s(F::PATH, "/a\0b"),
                eq(F::PERM, 2),
                s(F::KEY, "\x01x\x01\x01y\x01"),
            ],
            None,
        );
        assert_eq!(listed(&r), "-w /a -p w -k x -k y");
        // perm alone is a watch shape; no syscall on an exit rule prints no -S.
        let r = exit(vec![eq(F::PERM, 0)], None);
        assert_eq!(listed(&r), " -p ");
        assert_eq!(listed(&exit(vec![], Some(&[]))), "-a always,exit");
        let r = exit(vec![eq(F::FIELD_COMPARE, 26)], None);
        assert_eq!(listed(&r), "-a always,exit -S all");
    }

    #[test]
    fn list_order_and_arch_carry_over() {
        assert_eq!(list_rules(&[], Machine::X86_64), b"No rules\n");
        let mut user = Rule::new(List::User, Action::Always);
        user.fields.push(eq(F::UID, 0));
        let b32 = exit(vec![eq(F::ARCH, B32)], Some(&[5]));
        let noarch = exit(vec![], Some(&[5]));
        let rules = [b32.clone(), user, noarch.clone()];
        let text = String::from_utf8(list_rules(&rules, Machine::X86_64)).unwrap();
        // 5 is i386 open and x86_64 fstat; auditctl keeps the last arch across rules.
        assert_eq!(
            text,
            "-a always,user -F uid=0\n-a always,exit -F arch=b32 -S open\n-a always,exit -S open\n"
        );
        assert_eq!(listed(&noarch), "-a always,exit -S fstat");
    }

    fn canon(r: &Rule) -> String {
        String::from_utf8(canonical_rule(r, Machine::X86_64)).unwrap()
    }

    #[test]
    fn canonical_forms() {
        let r = exit(
            vec![s(F::PATH, "/etc/hosts"), eq(F::PERM, 10), s(F::KEY, "k")],
            None,
        );
        assert_eq!(
            canon(&r),
            "-a always,exit -S all -F path=/etc/hosts -F perm=wa -F key=k"
        );
        let r = exit(
            vec![
                eq(F::UID, 0),
                eq(F::ARCH, B32),
                Field::str(F::EXE, Op::NotEqual, "/a b\\c"),
                n(F::AUID, Op::NotEqual, u32::MAX),
                eq(F::EXIT, -13i32 as u32),
                eq(F::FILETYPE, 0o40000),
                eq(F::A0, 16),
                n(F::FIELD_COMPARE, Op::NotEqual, 5),
                s(F::KEY, "x\x01y z"),
            ],
            Some(&[128, 5]),
        );
        assert_eq!(
            canon(&r),
            "-a always,exit -F uid=0 -F arch=i386 -S open,init_module -F exe!=/a\\ b\\\\c -F auid!=unset \
             -F exit=-EACCES -F filetype=dir -F a0=0x10 -C auid!=obj_uid -F key=x -F key=y\\ z"
        );
        let mut p = Rule::new(List::Exclude, Action::Never);
        p.prepend = true;
        p.fields.push(eq(F::MSGTYPE, 1320));
        assert_eq!(canon(&p), "-A never,exclude -F msgtype=EOE");
        let r = exit(vec![s(F::DIR, "/var/log")], Some(&[999, 257]));
        assert_eq!(canon(&r), "-a always,exit -S openat,999 -F dir=/var/log");
    }
}
