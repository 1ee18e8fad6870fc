//! Pure codecs for the audit netlink protocol: `struct audit_rule_data` ⇄ [`Rule`],
//! `struct audit_status` ⇄ [`Status`], and the netlink framing around them.
//!
//! Everything here takes bytes and returns values (or the reverse); nothing opens a socket.
//! Layouts and constants come from `linux/audit.h` and `linux/netlink.h` (Linux 6.x) and were
//! checked against raw dumps from a 6.18 kernel. All integers are in
//! host byte order, as the kernel writes them. Decoders are bounds-checked and never panic on
//! any input; they return [`WireError`] instead.
//!
//! This module refuses to know how rules are written as text (that is `syntax` and
//! `model::listing`) or how bytes reach the kernel (that is `kernel::netlink`).

use crate::model::field::FieldType;
use crate::model::rule::{Action, Field, List, Mask, Op, Rule, Value, MASK_WORDS};

// ----- netlink framing (linux/netlink.h) -----

/// `NLMSG_HDRLEN`: size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// `NLMSG_NOOP`
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR`: an error or, with code 0, an acknowledgement.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a multi-part reply.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`
pub const NLMSG_OVERRUN: u16 = 4;
/// `NLM_F_REQUEST`
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`: part of a multi-part reply.
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`: ask for an acknowledgement.
pub const NLM_F_ACK: u16 = 0x4;

// ----- audit message types (linux/audit.h) -----

/// `AUDIT_GET`: read `struct audit_status`.
pub const AUDIT_GET: u16 = 1000;
/// `AUDIT_SET`: change the status fields selected by `mask`.
pub const AUDIT_SET: u16 = 1001;
/// `AUDIT_ADD_RULE`
pub const AUDIT_ADD_RULE: u16 = 1011;
/// `AUDIT_DEL_RULE`
pub const AUDIT_DEL_RULE: u16 = 1012;
/// `AUDIT_LIST_RULES`: one reply per rule (NLM_F_MULTI), then NLMSG_DONE.
pub const AUDIT_LIST_RULES: u16 = 1013;
/// `AUDIT_GET_FEATURE`: read `struct audit_features`.
pub const AUDIT_GET_FEATURE: u16 = 1019;

// ----- struct audit_rule_data (linux/audit.h) -----

/// `AUDIT_FILTER_PREPEND`: flag on `flags` asking the kernel to insert at the list's head.
pub const AUDIT_FILTER_PREPEND: u32 = 0x10;
/// `AUDIT_MAX_FIELDS`
pub use crate::model::rule::MAX_FIELDS as AUDIT_MAX_FIELDS;
/// Size of `struct audit_rule_data` without its flexible `buf`.
pub const RULE_DATA_LEN: usize = 1040;

const OFF_FLAGS: usize = 0;
const OFF_ACTION: usize = 4;
const OFF_FIELD_COUNT: usize = 8;
const OFF_MASK: usize = 12;
const OFF_FIELDS: usize = OFF_MASK + 4 * MASK_WORDS; // 268
const OFF_VALUES: usize = OFF_FIELDS + 4 * AUDIT_MAX_FIELDS; // 524
const OFF_FIELDFLAGS: usize = OFF_VALUES + 4 * AUDIT_MAX_FIELDS; // 780
const OFF_BUFLEN: usize = OFF_FIELDFLAGS + 4 * AUDIT_MAX_FIELDS; // 1036

/// Why bytes could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the structure needs.
    #[error("truncated {what}: need {need} bytes, have {have}")]
    Truncated {
        /// Which structure.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// `field_count` above `AUDIT_MAX_FIELDS`.
    #[error("rule has {0} fields, at most 64 fit in struct audit_rule_data")]
    TooManyFields(usize),
    /// A string field's length runs past `buflen`.
    #[error("string of field {index} (type {kind}) runs past the rule buffer")]
    StringOutOfBounds {
        /// Field index.
        index: usize,
        /// Field number.
        kind: u32,
    },
    /// A value too large for the wire (a string longer than `u32::MAX` bytes).
    #[error("field {index} value does not fit in 32 bits")]
    ValueTooLarge {
        /// Field index.
        index: usize,
    },
    /// A netlink header whose `nlmsg_len` is smaller than the header or past the datagram.
    #[error("bad netlink message length {len} at offset {offset} of a {total}-byte datagram")]
    BadLength {
        /// The header's `nlmsg_len`.
        len: u32,
        /// Where the message starts.
        offset: usize,
        /// Datagram size.
        total: usize,
    },
}

fn read_u32(data: &[u8], off: usize) -> Option<u32> {
    let b = data.get(off..off.checked_add(4)?)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_u16(data: &[u8], off: usize) -> Option<u16> {
    let b = data.get(off..off.checked_add(2)?)?;
    Some(u16::from_ne_bytes([b[0], b[1]]))
}

fn put_u32(out: &mut [u8], off: usize, v: u32) {
    out[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

/// Encode a rule as `struct audit_rule_data` for AUDIT_ADD_RULE / AUDIT_DEL_RULE.
///
/// Numeric values go to `values[i]`; string values are appended to `buf` in field order
/// without NUL, their length in `values[i]` (as libaudit's `audit_rule_fieldpair_data` does).
/// The prepend flag becomes `AUDIT_FILTER_PREPEND` on `flags`.
///
/// ```
/// use auditguard::kernel::wire;
/// use auditguard::model::{Action, Field, FieldType, List, Mask, Op, Rule};
/// let mut r = Rule::new(List::Exit, Action::Always);
/// r.mask = Mask::all();
/// r.fields.push(Field::str(FieldType::PATH, Op::Equal, "/etc/hosts"));
/// let bytes = wire::encode_rule(&r).unwrap();
/// assert_eq!(bytes.len(), 1040 + 10);
/// assert_eq!(wire::decode_rule(&bytes).unwrap(), r);
/// ```
pub fn encode_rule(rule: &Rule) -> Result<Vec<u8>, WireError> {
    if rule.fields.len() > AUDIT_MAX_FIELDS {
        return Err(WireError::TooManyFields(rule.fields.len()));
    }
    let mut out = vec![0u8; RULE_DATA_LEN];
    let mut buf = Vec::new();
    let mut flags = rule.list.number();
    if rule.prepend {
        flags |= AUDIT_FILTER_PREPEND;
    }
    put_u32(&mut out, OFF_FLAGS, flags);
    put_u32(&mut out, OFF_ACTION, rule.action.number());
    put_u32(&mut out, OFF_FIELD_COUNT, rule.fields.len() as u32);
    for (i, word) in rule.mask.words().iter().enumerate() {
        put_u32(&mut out, OFF_MASK + 4 * i, *word);
    }
    for (i, f) in rule.fields.iter().enumerate() {
        let value = match &f.value {
            Value::Num(n) => *n,
            Value::Str(s) => {
                buf.extend_from_slice(s);
                u32::try_from(s.len()).map_err(|_| WireError::ValueTooLarge { index: i })?
            }
        };
        put_u32(&mut out, OFF_FIELDS + 4 * i, f.kind.0);
        put_u32(&mut out, OFF_VALUES + 4 * i, value);
        put_u32(&mut out, OFF_FIELDFLAGS + 4 * i, f.op.number());
    }
    let buflen = u32::try_from(buf.len()).map_err(|_| WireError::ValueTooLarge { index: 0 })?;
    put_u32(&mut out, OFF_BUFLEN, buflen);
    out.extend_from_slice(&buf);
    Ok(out)
}

/// Decode a `struct audit_rule_data` as the kernel sends it in AUDIT_LIST_RULES replies.
///
/// Tolerant where the kernel may grow: unknown lists, actions, operators and field numbers
/// pass through (an unknown field is numeric; only the field table's string fields take
/// bytes from `buf`, `exe` included). Bytes after `buf` (netlink padding) are ignored. The
/// kernel lists `auid=-1`/`auid!=-1` as `AUDIT_LOGINUID` with value -1 (it stores them as
/// `AUDIT_LOGINUID_SET` 0 internally); a bare `LOGINUID_SET` field with value 0 sent by
/// another tool is normalised to that same form, which the kernel treats as identical.
pub fn decode_rule(data: &[u8]) -> Result<Rule, WireError> {
    if data.len() < RULE_DATA_LEN {
        return Err(WireError::Truncated {
            what: "audit_rule_data",
            need: RULE_DATA_LEN,
            have: data.len(),
        });
    }
    // In bounds: data holds at least RULE_DATA_LEN bytes and every offset below is inside it.
    let word = |off: usize| read_u32(data, off).unwrap_or(0);
    let flags = word(OFF_FLAGS);
    let field_count = word(OFF_FIELD_COUNT) as usize;
    if field_count > AUDIT_MAX_FIELDS {
        return Err(WireError::TooManyFields(field_count));
    }
    let buflen = word(OFF_BUFLEN) as usize;
    let buf = data
        .get(RULE_DATA_LEN..)
        .and_then(|rest| rest.get(..buflen))
        .ok_or(WireError::Truncated {
            what: "audit_rule_data buf",
            need: RULE_DATA_LEN.saturating_add(buflen),
            have: data.len(),
        })?;
    let mask = Mask::from_words(std::array::from_fn(|i| word(OFF_MASK + 4 * i)));
    let mut rule = Rule::new(
        List::from_number(flags & !AUDIT_FILTER_PREPEND),
        Action::from_number(word(OFF_ACTION)),
    );
    rule.prepend = flags & AUDIT_FILTER_PREPEND != 0;
    rule.mask = mask;
    let mut pos = 0usize;
    for i in 0..field_count {
        let kind = FieldType(word(OFF_FIELDS + 4 * i));
        let value = word(OFF_VALUES + 4 * i);
        let op = Op::from_number(word(OFF_FIELDFLAGS + 4 * i));
        let field = if kind.is_string() {
            let end = pos
                .checked_add(value as usize)
                .filter(|end| *end <= buf.len())
                .ok_or(WireError::StringOutOfBounds {
                    index: i,
                    kind: kind.0,
                })?;
            let s = buf[pos..end].to_vec();
            pos = end;
            Field::str(kind, op, s)
        } else if kind == FieldType::LOGINUID_SET && value == 0 {
            Field::num(FieldType::AUID, op, u32::MAX)
        } else {
            Field::num(kind, op, value)
        };
        rule.fields.push(field);
    }
    Ok(rule)
}

// ----- struct audit_status (linux/audit.h) -----

/// `AUDIT_STATUS_ENABLED`
pub const STATUS_ENABLED: u32 = 0x0001;
/// `AUDIT_STATUS_FAILURE`
pub const STATUS_FAILURE: u32 = 0x0002;
/// `AUDIT_STATUS_PID`
pub const STATUS_PID: u32 = 0x0004;
/// `AUDIT_STATUS_RATE_LIMIT`
pub const STATUS_RATE_LIMIT: u32 = 0x0008;
/// `AUDIT_STATUS_BACKLOG_LIMIT`
pub const STATUS_BACKLOG_LIMIT: u32 = 0x0010;
/// `AUDIT_STATUS_BACKLOG_WAIT_TIME`
pub const STATUS_BACKLOG_WAIT_TIME: u32 = 0x0020;
/// `AUDIT_STATUS_LOST`
pub const STATUS_LOST: u32 = 0x0040;
/// `AUDIT_STATUS_BACKLOG_WAIT_TIME_ACTUAL`
pub const STATUS_BACKLOG_WAIT_TIME_ACTUAL: u32 = 0x0080;

/// Size of `struct audit_status` on current kernels (11 × u32).
pub const STATUS_LEN: usize = 44;
/// The oldest layout still parsed: 8 × u32, before `version`/`feature_bitmap`.
pub const STATUS_MIN_LEN: usize = 32;

/// `struct audit_features` (AUDIT_GET_FEATURE reply): which features are on and locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Features {
    /// Structure version (1).
    pub vers: u32,
    /// Features this kernel reports.
    pub mask: u32,
    /// Features switched on.
    pub features: u32,
    /// Features locked until reboot.
    pub lock: u32,
}

impl Features {
    /// `AUDIT_FEATURE_LOGINUID_IMMUTABLE` as a mask bit.
    pub const LOGINUID_IMMUTABLE: u32 = 1 << 1;

    /// Decode the 16-byte reply.
    pub fn decode(data: &[u8]) -> Result<Features, WireError> {
        if data.len() < 16 {
            return Err(WireError::Truncated {
                what: "audit_features",
                need: 16,
                have: data.len(),
            });
        }
        let word = |i: usize| read_u32(data, 4 * i).unwrap_or(0);
        Ok(Features {
            vers: word(0),
            mask: word(1),
            features: word(2),
            lock: word(3),
        })
    }
}

pub use crate::model::status::Status;

impl Status {
    /// A SET request that changes only `enabled`.
    pub fn set_enabled(enabled: u32) -> Status {
        Status {
            mask: STATUS_ENABLED,
            enabled,
            ..Status::default()
        }
    }

    /// Whether the rules and settings are locked until reboot (`enabled 2`).
    pub fn is_locked(&self) -> bool {
        self.enabled == 2
    }

    /// Decode an AUDIT_GET reply. The length says which layout the kernel uses: 32 bytes
    /// (8 fields), 36 (+ version), 40 (+ backlog_wait_time), 44 (+ backlog_wait_time_actual);
    /// longer replies from future kernels are read as 44.
    pub fn decode(data: &[u8]) -> Result<Status, WireError> {
        if data.len() < STATUS_MIN_LEN {
            return Err(WireError::Truncated {
                what: "audit_status",
                need: STATUS_MIN_LEN,
                have: data.len(),
            });
        }
        let word = |i: usize| read_u32(data, 4 * i);
        Ok(Status {
            mask: word(0).unwrap_or(0),
            enabled: word(1).unwrap_or(0),
            failure: word(2).unwrap_or(0),
            pid: word(3).unwrap_or(0),
            rate_limit: word(4).unwrap_or(0),
            backlog_limit: word(5).unwrap_or(0),
            lost: word(6).unwrap_or(0),
            backlog: word(7).unwrap_or(0),
            feature_bitmap: word(8),
            backlog_wait_time: word(9),
            backlog_wait_time_actual: word(10),
        })
    }

    /// Encode for AUDIT_SET: the full 44-byte layout (the kernel copies at most its own size
    /// and zero-fills the rest); only fields selected by `mask` take effect.
    pub fn encode(&self) -> Vec<u8> {
        [
            self.mask,
            self.enabled,
            self.failure,
            self.pid,
            self.rate_limit,
            self.backlog_limit,
            self.lost,
            self.backlog,
            self.feature_bitmap.unwrap_or(0),
            self.backlog_wait_time.unwrap_or(0),
            self.backlog_wait_time_actual.unwrap_or(0),
        ]
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .collect()
    }
}

// ----- netlink messages -----

/// `struct nlmsghdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// `nlmsg_len`: header plus payload, not padded (the kernel's replies are not).
    pub len: u32,
    /// `nlmsg_type`
    pub kind: u16,
    /// `nlmsg_flags`
    pub flags: u16,
    /// `nlmsg_seq`
    pub seq: u32,
    /// `nlmsg_pid`: sender port, 0 for the kernel.
    pub pid: u32,
}

impl Header {
    /// Decode the first 16 bytes.
    pub fn decode(data: &[u8]) -> Result<Header, WireError> {
        let trunc = WireError::Truncated {
            what: "nlmsghdr",
            need: NLMSG_HDRLEN,
            have: data.len(),
        };
        Ok(Header {
            len: read_u32(data, 0).ok_or(trunc.clone())?,
            kind: read_u16(data, 4).ok_or(trunc.clone())?,
            flags: read_u16(data, 6).ok_or(trunc.clone())?,
            seq: read_u32(data, 8).ok_or(trunc.clone())?,
            pid: read_u32(data, 12).ok_or(trunc)?,
        })
    }
}

/// `NLMSG_ALIGN`: round up to 4.
pub fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// Encode one request: header (`nlmsg_len = NLMSG_SPACE(payload)`, as libaudit sends it),
/// payload, zero padding to 4.
pub fn encode_message(kind: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let total = NLMSG_HDRLEN + align4(payload.len());
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(payload);
    out.resize(total, 0);
    out
}

/// One netlink message inside a received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Its header.
    pub header: Header,
    /// `nlmsg_len - 16` bytes after the header.
    pub payload: &'a [u8],
}

/// What a message means to a requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// NLMSG_ERROR with code 0: the request was accepted.
    Ack,
    /// NLMSG_ERROR with a nonzero code: the positive errno.
    Error(i32),
    /// NLMSG_DONE: end of a multi-part reply.
    Done,
    /// Anything else: a data message of this type.
    Data(u16, &'a [u8]),
}

impl<'a> Message<'a> {
    /// Classify the message.
    pub fn reply(&self) -> Result<Reply<'a>, WireError> {
        Ok(match self.header.kind {
            NLMSG_ERROR => {
                let code = read_u32(self.payload, 0).ok_or(WireError::Truncated {
                    what: "nlmsgerr",
                    need: 4,
                    have: self.payload.len(),
                })? as i32;
                match code {
                    0 => Reply::Ack,
                    c => Reply::Error(c.saturating_neg()),
                }
            }
            NLMSG_DONE => Reply::Done,
            kind => Reply::Data(kind, self.payload),
        })
    }
}

/// Split a datagram into its messages. `nlmsg_len` is not padded by the kernel (e.g. 1059 for
/// a rule with 3 bytes of strings); the next message starts at the 4-aligned offset.
pub fn split_messages(datagram: &[u8]) -> Result<Vec<Message<'_>>, WireError> {
    let mut out = Vec::new();
    let mut offset = 0;
    while datagram.len().saturating_sub(offset) >= NLMSG_HDRLEN {
        let rest = &datagram[offset..];
        let header = Header::decode(rest)?;
        let len = header.len as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Err(WireError::BadLength {
                len: header.len,
                offset,
                total: datagram.len(),
            });
        }
        out.push(Message {
            header,
            payload: &rest[NLMSG_HDRLEN..len],
        });
        offset = offset.saturating_add(align4(len));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
