//! Numbers as libaudit reads them: C's `strtoul`/`strtol` with base 0 (or 16), on a 64-bit
//! `long`, then stored into a 32-bit kernel value.
//!
//! auditctl never checks for trailing junk (it passes `NULL` as `endptr`), so `12abc` reads
//! as 12; it only checks `errno` for overflow of the 64-bit `long`. These helpers reproduce
//! exactly that, so `-F pid=12abc` loads the same value here as on the real host.

/// Result of a C number conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CNum {
    /// The value as the C function returned it, before truncation to 32 bits.
    pub value: i128,
    /// Whether any digit was consumed (C returns 0 and consumes nothing otherwise).
    pub consumed: bool,
    /// Whether the conversion overflowed and set `errno = ERANGE`.
    pub overflow: bool,
}

impl CNum {
    /// The value as stored into a `__u32` (two's complement truncation).
    pub fn as_u32(self) -> u32 {
        self.value as u32
    }
}

/// `strtoul(s, NULL, base)` (base 0 or 16) on LP64. A leading `-` negates modulo 2^64, as C does.
pub fn strtoul(s: &[u8], base: u32) -> CNum {
    let (neg, digits) = sign_and_digits(s);
    let (v, consumed, overflow) = digits_value(digits, base, u64::MAX as u128);
    let value = if overflow {
        u64::MAX as i128
    } else if neg {
        (v as u64).wrapping_neg() as i128
    } else {
        v as i128
    };
    CNum {
        value,
        consumed,
        overflow,
    }
}

/// `strtol(s, NULL, base)` (base 0 or 16) on LP64.
pub fn strtol(s: &[u8], base: u32) -> CNum {
    let (neg, digits) = sign_and_digits(s);
    let limit = if neg {
        i64::MAX as u128 + 1
    } else {
        i64::MAX as u128
    };
    let (v, consumed, overflow) = digits_value(digits, base, limit);
    let value = match (overflow, neg) {
        (true, false) => i64::MAX as i128,
        (true, true) => i64::MIN as i128,
        (false, true) => -(v as i128),
        (false, false) => v as i128,
    };
    CNum {
        value,
        consumed,
        overflow,
    }
}

fn sign_and_digits(s: &[u8]) -> (bool, &[u8]) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    match s.get(i) {
        Some(b'-') => (true, &s[i + 1..]),
        Some(b'+') => (false, &s[i + 1..]),
        _ => (false, &s[i..]),
    }
}

/// Read digits in `base` (0 = auto: `0x` hex, `0` octal, else decimal). Returns the value
/// (saturated), whether a digit was read, and whether it exceeded `limit`.
fn digits_value(s: &[u8], base: u32, limit: u128) -> (u128, bool, bool) {
    let has_hex_prefix = s.len() > 2
        && s[0] == b'0'
        && (s[1] == b'x' || s[1] == b'X')
        && (s[2] as char).is_ascii_hexdigit();
    let (base, body) = match base {
        0 if has_hex_prefix => (16, &s[2..]),
        0 if s.first() == Some(&b'0') => (8, s),
        0 => (10, s),
        16 if has_hex_prefix => (16, &s[2..]),
        b => (b, s),
    };
    let mut value: u128 = 0;
    let mut consumed = false;
    let mut overflow = false;
    for &c in body {
        let Some(d) = (c as char).to_digit(base) else {
            break;
        };
        consumed = true;
        value = value * base as u128 + d as u128;
        if value > limit {
            overflow = true;
            value = limit;
        }
    }
    (value, consumed, overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases() {
        assert_eq!(strtoul(b"0x3b", 0).as_u32(), 59);
        assert_eq!(strtoul(b"010", 0).as_u32(), 8);
        assert_eq!(strtoul(b"12abc", 0).as_u32(), 12);
        assert_eq!(strtoul(b"c000003e", 16).as_u32(), 0xc000_003e);
        assert!(!strtoul(b"abc", 0).consumed);
    }

    #[test]
    fn signs_and_overflow() {
        assert_eq!(strtol(b"-1", 0).as_u32(), u32::MAX);
        assert_eq!(strtoul(b"-1", 0).as_u32(), u32::MAX);
        assert!(strtoul(b"99999999999999999999999", 0).overflow);
        assert!(!strtoul(b"4294967296", 0).overflow);
        assert_eq!(strtoul(b"4294967296", 0).as_u32(), 0);
        assert!(strtol(b"-9223372036854775809", 0).overflow);
    }
}
