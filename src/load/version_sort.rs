//! Version sort of file names, exactly as GNU `ls -1v` orders them (gnulib `filevercmp`, as in
//! coreutils 9.1 on Debian 12), so the merge reads rules files in the order augenrules does.
//!
//! Owns the comparison only; it knows nothing of directories or rules. Locale-independent, as
//! `filevercmp` is: digits and letters are ASCII, every other byte sorts after the letters and
//! `~` sorts before everything, even the end of the name (`a~` < `a`).

use std::cmp::Ordering;

/// `ls -v` order: [`filevercmp`], ties (such as `a01` and `a1`) broken by plain byte order,
/// as coreutils `ls` does (`cmp_version`).
pub fn ls_version_cmp(a: &[u8], b: &[u8]) -> Ordering {
    filevercmp(a, b).then_with(|| a.cmp(b))
}

/// gnulib `filevercmp`: compare two file names containing version numbers.
///
/// Special cases first: the empty name, then `.`, `..` and other names starting with a dot
/// sort before all others. Then the names are compared without their suffixes (the longest
/// match of `(\.[A-Za-z~][A-Za-z0-9~]*)*$` that is not the whole name) and, if that ties, in
/// full. Runs of digits compare as numbers (leading zeros ignored); other bytes by
/// [`order`]. May return `Equal` for different names (`a01` and `a1`).
///
/// ```
/// use auditguard::load::version_sort::filevercmp;
/// use std::cmp::Ordering::Less;
/// assert_eq!(filevercmp(b"2-x.rules", b"10-x.rules"), Less);
/// ```
pub fn filevercmp(a: &[u8], b: &[u8]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    match (a[0] == b'.', b[0] == b'.') {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (true, true) => {
            for special in [&b"."[..], &b".."[..]] {
                match (a == special, b == special) {
                    (true, true) => return Ordering::Equal,
                    (true, false) => return Ordering::Less,
                    (false, true) => return Ordering::Greater,
                    _ => {}
                }
            }
        }
        (false, false) => {}
    }
    let a_prefix = prefix_len(a);
    let b_prefix = prefix_len(b);
    let one_pass_only = a_prefix == a.len() && b_prefix == b.len();
    let result = verrevcmp(&a[..a_prefix], &b[..b_prefix]);
    if result != Ordering::Equal || one_pass_only {
        result
    } else {
        verrevcmp(a, b)
    }
}

/// Length of `s` without its file suffix: the longest match of
/// `(\.[A-Za-z~][A-Za-z0-9~]*)*$`, never the whole of a non-empty name.
fn prefix_len(s: &[u8]) -> usize {
    let n = s.len();
    let mut prefix = 0;
    let mut i = 0;
    while i < n {
        i += 1;
        prefix = i;
        while i + 1 < n && s[i] == b'.' && (s[i + 1].is_ascii_alphabetic() || s[i + 1] == b'~') {
            i += 2;
            while i < n && (s[i].is_ascii_alphanumeric() || s[i] == b'~') {
                i += 1;
            }
        }
    }
    prefix
}

/// Sort weight of the byte at `pos` (the end of the name is `-1`, `~` is `-2`, digits `0`,
/// letters themselves, any other byte after all letters).
fn order(s: &[u8], pos: usize) -> i32 {
    match s.get(pos) {
        None => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(*c),
        Some(b'~') => -2,
        Some(c) => i32::from(*c) + 256,
    }
}

/// dpkg's `verrevcmp` as modified by gnulib: alternate non-digit runs (by [`order`]) and
/// digit runs (numerically).
fn verrevcmp(s1: &[u8], s2: &[u8]) -> Ordering {
    let digit_at = |s: &[u8], p: usize| s.get(p).is_some_and(u8::is_ascii_digit);
    let (mut p1, mut p2) = (0, 0);
    while p1 < s1.len() || p2 < s2.len() {
        while (p1 < s1.len() && !digit_at(s1, p1)) || (p2 < s2.len() && !digit_at(s2, p2)) {
            let (c1, c2) = (order(s1, p1), order(s2, p2));
            if c1 != c2 {
                return c1.cmp(&c2);
            }
            p1 += 1;
            p2 += 1;
        }
        while s1.get(p1) == Some(&b'0') {
            p1 += 1;
        }
        while s2.get(p2) == Some(&b'0') {
            p2 += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit_at(s1, p1) && digit_at(s2, p2) {
            if first_diff == Ordering::Equal {
                first_diff = s1[p1].cmp(&s2[p2]);
            }
            p1 += 1;
            p2 += 1;
        }
        if digit_at(s1, p1) {
            return Ordering::Greater;
        }
        if digit_at(s2, p2) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<&str> = names.to_vec();
        v.sort_by(|a, b| ls_version_cmp(a.as_bytes(), b.as_bytes()));
        v.into_iter().map(str::to_string).collect()
    }

    #[test]
    fn numbers_compare_as_numbers() {
        assert_eq!(
            sorted(&["100-x.rules", "10-x.rules", "99-x.rules", "2-x.rules"]),
            ["2-x.rules", "10-x.rules", "99-x.rules", "100-x.rules"]
        );
    }

    #[test]
    fn suffix_is_cut_before_comparing() {
        // `a` < `a1` once `.rules` is cut, although `.` (46) sorts after `1` bytewise.
        assert_eq!(sorted(&["a1.rules", "a.rules"]), ["a.rules", "a1.rules"]);
        assert_eq!(filevercmp(b"a.rules", b"a1.rules"), Ordering::Less);
    }

    #[test]
    fn tilde_sorts_before_end_and_dot_after_letters() {
        // Observed with coreutils 9.1 `ls -1v`.
        assert_eq!(
            sorted(&["a.", "a1.rules", "a01.rules", "a.rules", "a.rules~", "a"]),
            ["a", "a.rules~", "a.rules", "a01.rules", "a1.rules", "a."]
        );
        assert_eq!(filevercmp(b"a~", b"a"), Ordering::Less);
        assert_eq!(filevercmp(b"1.0~rc1", b"1.0"), Ordering::Less);
    }

    #[test]
    fn leading_zeros_tie_then_bytes_decide() {
        assert_eq!(filevercmp(b"a01", b"a1"), Ordering::Equal);
        assert_eq!(ls_version_cmp(b"a01", b"a1"), Ordering::Less);
    }

    #[test]
    fn dots_first() {
        assert_eq!(
            sorted(&["b", ".a", "..", ".", ""]),
            ["", ".", "..", ".a", "b"]
        );
    }

    #[test]
    fn non_ascii_bytes_sort_after_letters() {
        assert_eq!(filevercmp(b"a\xff", b"az"), Ordering::Greater);
        assert_eq!(filevercmp(b"a-", b"az"), Ordering::Greater);
        assert_eq!(filevercmp(b"10-a", b"10-b"), Ordering::Less);
    }
}
