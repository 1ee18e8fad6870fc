//! The kernel-shaped audit rule: what `struct audit_rule_data` carries, nothing more.
//!
//! A [`Rule`] is built from rule text by `syntax::parse` and, later, decoded from netlink
//! replies; both land here unchanged so one evaluator and one printer serve both. The model
//! is lossless: fields keep their order (the kernel's identity is order-sensitive), strings are bytes, unknown field numbers and lists pass through.
//!
//! This module knows nothing of text: printing lives in `model::listing`, parsing in `syntax`.

use crate::model::field::FieldType;

/// The filter list a rule lives on (`flags & ~PREPEND` on the wire, `linux/audit.h`
/// `AUDIT_FILTER_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum List {
    /// `user` (0): user-space messages.
    User,
    /// `task` (1): evaluated once at fork.
    Task,
    /// `exit` (4): evaluated at syscall exit; the only list most rules use.
    Exit,
    /// `exclude` (5, alias `type`): drops records by type.
    Exclude,
    /// `filesystem` (6): `fstype` rules.
    Filesystem,
    /// `io_uring` (7): audit 4.x only.
    IoUring,
    /// Anything else the kernel reports (obsolete `entry` 2, `watch` 3, future lists).
    Other(u32),
}

impl List {
    /// The kernel's list number.
    pub fn number(self) -> u32 {
        match self {
            List::User => 0,
            List::Task => 1,
            List::Exit => 4,
            List::Exclude => 5,
            List::Filesystem => 6,
            List::IoUring => 7,
            List::Other(n) => n,
        }
    }

    /// The list for a kernel list number.
    pub fn from_number(n: u32) -> List {
        match n {
            0 => List::User,
            1 => List::Task,
            4 => List::Exit,
            5 => List::Exclude,
            6 => List::Filesystem,
            7 => List::IoUring,
            n => List::Other(n),
        }
    }

    /// auditctl's name for the list, as printed by `auditctl -l`.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            List::User => "user",
            List::Task => "task",
            List::Exit => "exit",
            List::Exclude => "exclude",
            List::Filesystem => "filesystem",
            List::IoUring => "io_uring",
            List::Other(_) => return None,
        })
    }
}

/// What a matching rule does (`AUDIT_NEVER` 0, `AUDIT_POSSIBLE` 1, `AUDIT_ALWAYS` 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Suppress the event (or, on `exclude`, drop the record).
    Never,
    /// Deprecated; auditctl refuses to send it.
    Possible,
    /// Record the event.
    Always,
    /// An action number auditctl does not know.
    Other(u32),
}

impl Action {
    /// The kernel's action number.
    pub fn number(self) -> u32 {
        match self {
            Action::Never => 0,
            Action::Possible => 1,
            Action::Always => 2,
            Action::Other(n) => n,
        }
    }

    /// The action for a kernel action number.
    pub fn from_number(n: u32) -> Action {
        match n {
            0 => Action::Never,
            1 => Action::Possible,
            2 => Action::Always,
            n => Action::Other(n),
        }
    }

    /// auditctl's name for the action.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Action::Never => "never",
            Action::Possible => "possible",
            Action::Always => "always",
            Action::Other(_) => return None,
        })
    }
}

/// A field operator, as encoded in `fieldflags[i]` (`linux/audit.h` `AUDIT_*` operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `&` (AUDIT_BIT_MASK 0x08000000)
    BitMask,
    /// `<` (0x10000000)
    LessThan,
    /// `>` (0x20000000)
    GreaterThan,
    /// `!=` (0x30000000)
    NotEqual,
    /// `=` (0x40000000)
    Equal,
    /// `&=` (AUDIT_BIT_TEST 0x48000000)
    BitTest,
    /// `<=` (0x50000000)
    LessOrEqual,
    /// `>=` (0x60000000)
    GreaterOrEqual,
    /// Any other encoding the kernel might report.
    Other(u32),
}

impl Op {
    /// Operators in auditctl's search order: the first one found in `name OP value` wins
    /// (libaudit `audit_rule_fieldpair_data`).
    pub const SEARCH_ORDER: [Op; 8] = [
        Op::NotEqual,
        Op::GreaterOrEqual,
        Op::LessOrEqual,
        Op::BitTest,
        Op::Equal,
        Op::GreaterThan,
        Op::LessThan,
        Op::BitMask,
    ];

    /// The wire encoding.
    pub fn number(self) -> u32 {
        match self {
            Op::BitMask => 0x0800_0000,
            Op::LessThan => 0x1000_0000,
            Op::GreaterThan => 0x2000_0000,
            Op::NotEqual => 0x3000_0000,
            Op::Equal => 0x4000_0000,
            Op::BitTest => 0x4800_0000,
            Op::LessOrEqual => 0x5000_0000,
            Op::GreaterOrEqual => 0x6000_0000,
            Op::Other(n) => n,
        }
    }

    /// The operator for a wire encoding.
    pub fn from_number(n: u32) -> Op {
        Op::SEARCH_ORDER
            .into_iter()
            .find(|op| op.number() == n)
            .unwrap_or(Op::Other(n))
    }

    /// The operator's text in rule syntax (empty for unknown encodings).
    pub fn symbol(self) -> &'static str {
        match self {
            Op::BitMask => "&",
            Op::LessThan => "<",
            Op::GreaterThan => ">",
            Op::NotEqual => "!=",
            Op::Equal => "=",
            Op::BitTest => "&=",
            Op::LessOrEqual => "<=",
            Op::GreaterOrEqual => ">=",
            Op::Other(_) => "",
        }
    }
}

/// A field value: a number (`values[i]`) or a string carried in `buf`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A 32-bit value as the kernel stores it (signed values are two's complement).
    Num(u32),
    /// A string field's bytes (path, dir, key, exe, subj_*, obj_*); never NUL-terminated.
    /// Shared, not a `Vec`: a rule keeps its fields for the whole run, a 32-byte field instead
    /// of 40 is a tenth of a 100,000-rule load's memory, and rules with the same key can
    /// share its bytes (the parser shares a key with the lines just before).
    Str(std::sync::Arc<[u8]>),
}

/// One `(type, operator, value)` triple of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field number (`AUDIT_UID`, `AUDIT_ARCH`, ...); unknown numbers pass through.
    pub kind: FieldType,
    /// The comparison operator.
    pub op: Op,
    /// The value compared against.
    pub value: Value,
}

impl Field {
    /// A numeric field.
    pub fn num(kind: FieldType, op: Op, value: u32) -> Field {
        Field {
            kind,
            op,
            value: Value::Num(value),
        }
    }

    /// A string field.
    pub fn str(kind: FieldType, op: Op, value: impl Into<Vec<u8>>) -> Field {
        Field {
            kind,
            op,
            value: Value::Str(value.into().into()),
        }
    }

    /// The numeric value, if this is a numeric field.
    pub fn number(&self) -> Option<u32> {
        match self.value {
            Value::Num(n) => Some(n),
            Value::Str(_) => None,
        }
    }

    /// The string value, if this is a string field.
    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::Str(s) => Some(s),
            Value::Num(_) => None,
        }
    }
}

/// Number of syscall bits the kernel's mask holds (`AUDIT_BITMASK_SIZE` words of 32 bits).
pub const MASK_WORDS: usize = 64;

/// The first syscall-class selector bit: bits 2032..=2047 select classes, not syscalls.
pub const CLASS_BITS_START: u32 = 2032;

/// How many syscall numbers a [`Mask`] keeps as a list before it stores the 64 words.
const SPARSE: usize = 11;

/// The 64×u32 syscall bitmask: syscall `n` is bit `n % 32` of word `n / 32`.
///
/// Stored compactly (24 bytes instead of 256, which mattered for 100,000 loaded rules) in the
/// shapes real rules have: a few syscall numbers, or `-S all` (words 0–62 all ones), or, for
/// anything else, the boxed 64 words. The representation is canonical, so equality and
/// hashing are those of the 64 words; [`Mask::words`] and [`Mask::from_words`] convert to and
/// from the kernel's array.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mask(Repr);

/// The canonical shapes of a [`Mask`]: `All` whenever words 0–62 are all ones, else `Sparse`
/// whenever at most [`SPARSE`] bits are set, else `Words`.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// The set bits, ascending, in `nrs[..len]`; the other slots are 0.
    Sparse { len: u8, nrs: [u16; SPARSE] },
    /// Words 0–62 all ones; word 63 as given (class selector bits in its high half).
    All { last: u32 },
    /// Any other words.
    Words(Box<[u32; MASK_WORDS]>),
}

impl Mask {
    /// No syscall selected (task, user, exclude and filesystem rules).
    pub const EMPTY: Mask = Mask(Repr::Sparse {
        len: 0,
        nrs: [0; SPARSE],
    });

    /// Every syscall, as the kernel stores `-S all` (and a syscall rule with no `-S`): words
    /// 0–62 all ones, word 63 with the class selector bits cleared.
    pub fn all() -> Mask {
        Mask(Repr::All { last: 0x0000_FFFF })
    }

    /// The mask with these 64 words (as `audit_rule_data.mask` carries them).
    ///
    /// ```
    /// use auditguard::model::Mask;
    /// let mut words = [0; 64];
    /// words[5] = 1 << 15; // syscall 175
    /// words[63] = 1 << 31;
    /// let m = Mask::from_words(words);
    /// assert!(m.has(175) && m.has(2047));
    /// assert_eq!(m.words(), words);
    /// ```
    pub fn from_words(words: [u32; MASK_WORDS]) -> Mask {
        if words[..MASK_WORDS - 1].iter().all(|w| *w == u32::MAX) {
            return Mask(Repr::All {
                last: words[MASK_WORDS - 1],
            });
        }
        let count: u32 = words.iter().map(|w| w.count_ones()).sum();
        if count as usize > SPARSE {
            return Mask(Repr::Words(Box::new(words)));
        }
        let mut nrs = [0; SPARSE];
        for (slot, nr) in nrs.iter_mut().zip(word_bits(words)) {
            *slot = nr as u16;
        }
        Mask(Repr::Sparse {
            len: count as u8,
            nrs,
        })
    }

    /// The 64 words, as `audit_rule_data.mask` carries them.
    pub fn words(&self) -> [u32; MASK_WORDS] {
        match &self.0 {
            Repr::Sparse { len, nrs } => {
                let mut words = [0; MASK_WORDS];
                for nr in &nrs[..*len as usize] {
                    words[usize::from(*nr) / 32] |= 1 << (nr % 32);
                }
                words
            }
            Repr::All { last } => {
                let mut words = [u32::MAX; MASK_WORDS];
                words[MASK_WORDS - 1] = *last;
                words
            }
            Repr::Words(words) => **words,
        }
    }

    /// Word `i` (0 beyond the mask).
    pub fn word(&self, i: usize) -> u32 {
        match &self.0 {
            _ if i >= MASK_WORDS => 0,
            Repr::Sparse { len, nrs } => nrs[..*len as usize]
                .iter()
                .filter(|nr| usize::from(**nr) / 32 == i)
                .fold(0, |w, nr| w | 1 << (nr % 32)),
            Repr::All { last } if i == MASK_WORDS - 1 => *last,
            Repr::All { .. } => u32::MAX,
            Repr::Words(words) => words[i],
        }
    }

    /// Whether auditctl would print this mask as `-S all`: it looks at words 0–62 only.
    pub fn is_all(&self) -> bool {
        matches!(self.0, Repr::All { .. })
    }

    /// Whether no bit is set.
    pub fn is_empty(&self) -> bool {
        matches!(self.0, Repr::Sparse { len: 0, .. })
    }

    /// Set the bit for syscall number `nr`. Returns false if `nr` is outside the mask.
    pub fn set(&mut self, nr: u32) -> bool {
        let word = (nr / 32) as usize;
        if word >= MASK_WORDS {
            return false;
        }
        match &mut self.0 {
            Repr::Sparse { len, nrs } if (*len as usize) < SPARSE => {
                let n = *len as usize;
                let at = nrs[..n].partition_point(|x| u32::from(*x) < nr);
                if nrs[..n].get(at).map(|x| u32::from(*x)) != Some(nr) {
                    nrs.copy_within(at..n, at + 1);
                    nrs[at] = nr as u16;
                    *len += 1;
                }
            }
            Repr::All { last } if word == MASK_WORDS - 1 => *last |= 1 << (nr % 32),
            Repr::All { .. } => {}
            _ => {
                let mut words = self.words();
                words[word] |= 1 << (nr % 32);
                *self = Mask::from_words(words);
            }
        }
        true
    }

    /// Whether syscall number `nr` is selected.
    pub fn has(&self, nr: u32) -> bool {
        self.word((nr / 32) as usize) & (1 << (nr % 32)) != 0
    }

    /// Set every bit (auditctl's `-S all` before the kernel clears the class bits).
    pub fn set_all(&mut self) {
        *self = Mask::all();
    }

    /// Selected syscall numbers in ascending order, class selector bits excluded.
    pub fn syscalls(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits().take_while(|nr| *nr < CLASS_BITS_START)
    }

    /// The set bits, ascending, when the mask holds them as a short list (at most 11), else
    /// `None`: for an index by syscall that must not walk 2,048 bits per rule.
    pub fn few_bits(&self) -> Option<impl Iterator<Item = u32> + '_> {
        match &self.0 {
            Repr::Sparse { len, nrs } => Some(nrs[..*len as usize].iter().map(|n| u32::from(*n))),
            _ => None,
        }
    }

    /// Every set bit in ascending order, class selector bits included. Scans words or the
    /// list, not bits: a listing of 100,000 rules must not test 2048 bits each.
    ///
    /// ```
    /// use auditguard::model::Mask;
    /// let mut m = Mask::EMPTY;
    /// m.set(2047);
    /// m.set(2);
    /// assert_eq!(m.bits().collect::<Vec<_>>(), vec![2, 2047]);
    /// ```
    pub fn bits(&self) -> impl Iterator<Item = u32> + '_ {
        let (listed, words) = match &self.0 {
            Repr::Sparse { len, nrs } => (&nrs[..*len as usize], None),
            _ => (&[][..], Some(self.words())),
        };
        let listed = listed.iter().map(|nr| u32::from(*nr));
        listed.chain(words.into_iter().flat_map(word_bits))
    }
}

/// The set bits of `words`, ascending.
fn word_bits(words: [u32; MASK_WORDS]) -> impl Iterator<Item = u32> {
    words.into_iter().enumerate().flat_map(|(i, word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let bit = rest.trailing_zeros();
            rest &= rest - 1;
            Some(i as u32 * 32 + bit)
        })
    })
}

impl std::fmt::Debug for Mask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_all() {
            return f.write_str("Mask(all)");
        }
        f.debug_list().entries(self.syscalls()).finish()
    }
}

/// Byte that joins several keys into the one FILTERKEY field (`AUDIT_KEY_SEPARATOR`).
pub const KEY_SEPARATOR: u8 = 0x01;

/// `AUDIT_MAX_FIELDS`: fields a rule can hold (libaudit refuses a field once
/// `field_count >= AUDIT_MAX_FIELDS - 1`; the kernel refuses more than this many).
pub const MAX_FIELDS: usize = 64;
/// `PATH_MAX`: the longest path, terminating NUL included.
pub const PATH_MAX: usize = 4096;
/// `NAME_MAX`: the longest file name (one path component).
pub const NAME_MAX: usize = 255;
/// glibc 2.36 / Linux 6.x `AF_MAX` (`saddr_fam` must be below it).
pub const AF_MAX: u32 = 46;
/// `AUDIT_SYSCALL`: the record type that carries the rule's key.
pub const AUDIT_SYSCALL: u32 = 1300;

/// Total key bytes allowed, separators included (`AUDIT_MAX_KEY_LEN`).
pub const MAX_KEY_LEN: usize = 256;

/// One audit rule, exactly as the kernel holds it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The filter list.
    pub list: List,
    /// The action.
    pub action: Action,
    /// Added with `-A` (`AUDIT_FILTER_PREPEND`): goes to the head of the list. Not part of the
    /// rule's identity and never echoed by the kernel.
    pub prepend: bool,
    /// Fields in the order they were given; the key, if any, is the last one.
    pub fields: Vec<Field>,
    /// The syscall mask.
    pub mask: Mask,
}

impl Rule {
    /// An empty rule on `list` with `action`.
    pub fn new(list: List, action: Action) -> Rule {
        Rule {
            list,
            action,
            prepend: false,
            fields: Vec::new(),
            mask: Mask::EMPTY,
        }
    }

    /// The keys of the rule (the FILTERKEY field split at 0x01), in order.
    pub fn keys(&self) -> Vec<&[u8]> {
        self.key_iter().collect()
    }

    /// [`Rule::keys`] without collecting them (no allocation).
    pub fn key_iter(&self) -> impl Iterator<Item = &[u8]> {
        self.fields
            .iter()
            .filter(|f| f.kind == FieldType::KEY)
            .filter_map(Field::bytes)
            .flat_map(|k| k.split(|b| *b == KEY_SEPARATOR))
    }

    /// Whether the rule has a non-empty key.
    pub fn has_key(&self) -> bool {
        self.key_iter().any(|k| !k.is_empty())
    }

    /// Fields of one type, in order.
    pub fn fields_of(&self, kind: FieldType) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(move |f| f.kind == kind)
    }

    /// The arch this rule is restricted to: the value of its first `arch=` field.
    pub fn arch(&self) -> Option<u32> {
        self.fields_of(FieldType::ARCH)
            .find(|f| f.op == Op::Equal)
            .and_then(Field::number)
    }

    /// Whether this rule is the kernel's *identical* twin of `other`:
    /// list, action, fields in order with operators and values, and the syscall mask. The
    /// prepend flag is ignored. `-d`, `-W` and "Rule exists" use this.
    pub fn same_identity(&self, other: &Rule) -> bool {
        self.list == other.list
            && self.action == other.action
            && self.fields == other.fields
            && self.identity_mask() == other.identity_mask()
    }

    /// A hash of the rule's identity: equal for rules that are [`Rule::same_identity`], so
    /// duplicate checks over many rules need not compare each pair.
    pub fn identity_hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        // Not DoS-resistant, and need not be: a collision only costs a full comparison.
        let mut h = rustc_hash::FxHasher::default();
        self.list.hash(&mut h);
        self.action.hash(&mut h);
        self.fields.hash(&mut h);
        self.identity_mask().hash(&mut h);
        h.finish()
    }

    /// The mask as the kernel compares it: class selector bits cleared.
    fn identity_mask(&self) -> [u32; MASK_WORDS] {
        let mut words = self.mask.words();
        words[MASK_WORDS - 1] &= 0x0000_FFFF;
        words
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.same_identity(other)
    }
}

impl Eq for Rule {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_all_matches_the_kernel_listing() {
        let all = Mask::all();
        assert!(all.is_all());
        assert_eq!(all.word(63), 0x0000_FFFF);
        assert!(all.has(0) && all.has(2031) && !all.has(2032));
    }

    #[test]
    fn mask_set_and_iterate() {
        let mut m = Mask::EMPTY;
        assert!(m.set(313) && m.set(175) && m.set(176));
        assert!(!m.set(2048));
        assert_eq!(m.syscalls().collect::<Vec<_>>(), vec![175, 176, 313]);
    }

    #[test]
    fn compact_mask_is_canonical() {
        // The same words reached through different shapes compare and hash alike.
        let mut a = Mask::EMPTY;
        assert!(a.set(600) && a.set(1));
        let mut words = [0; MASK_WORDS];
        words[0] = 2;
        words[600 / 32] = 1 << (600 % 32);
        assert_eq!(a, Mask::from_words(words));
        assert_eq!(a.words(), words);
        let mut all = Mask::EMPTY;
        for nr in 0..CLASS_BITS_START {
            all.set(nr);
        }
        assert_eq!(all, Mask::all());
        assert!(all.is_all() && !all.is_empty() && Mask::EMPTY.is_empty());
        let hash = |m: &Mask| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            m.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&all), hash(&Mask::all()));
        assert_eq!(std::mem::size_of::<Mask>(), 24);
    }

    #[test]
    fn identity_ignores_prepend_and_class_bits() {
        let mut a = Rule::new(List::Exit, Action::Always);
        a.mask = Mask::all();
        let mut b = a.clone();
        b.prepend = true;
        b.mask = Mask::from_words({
            let mut w = b.mask.words();
            w[63] = u32::MAX;
            w
        });
        assert_eq!(a, b);
        b.fields
            .push(Field::str(FieldType::KEY, Op::Equal, b"k".to_vec()));
        assert_ne!(a, b);
    }

    #[test]
    fn keys_split_on_separator() {
        let mut r = Rule::new(List::Exit, Action::Always);
        r.fields
            .push(Field::str(FieldType::KEY, Op::Equal, b"a\x01bc".to_vec()));
        assert_eq!(r.keys(), vec![&b"a"[..], &b"bc"[..]]);
    }

    #[test]
    fn op_numbers_round_trip() {
        for op in Op::SEARCH_ORDER {
            assert_eq!(Op::from_number(op.number()), op);
        }
        assert_eq!(Op::from_number(7), Op::Other(7));
    }
}
