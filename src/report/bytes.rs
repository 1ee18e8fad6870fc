//! Target bytes on their way out: the one place that decides how bytes that come from the
//! target (file names, rule text, keys, unit lines) are shown to people and given to
//! programs. Every renderer in `report/` goes through it.
//!
//! **Text (terminals, logs): [`escape`].** A target is hostile input: a rule line, a key or a
//! file name may hold ESC sequences, CR, C1 controls or invalid UTF-8, and printed raw they
//! could rewrite the screen (for example draw `result: PASS` over a failing report). In every
//! text rendering, each value that is not auditguard's own constant wording is escaped:
//!
//! | input | shown as |
//! |---|---|
//! | `\n`, `\r`, `\t` | `\n`, `\r`, `\t` (two characters) |
//! | other C0 controls, ESC, DEL (0x00–0x1F, 0x7F) | `\xNN` |
//! | C1 controls (U+0080–U+009F) | `\u{NN}` |
//! | bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) | `\u{NNNN}` |
//! | a byte that is not part of valid UTF-8 | `\xNN` |
//! | everything else (printable UTF-8, backslash included) | itself |
//!
//! A newline inside a value is escaped too: the only raw newlines in text output are the line
//! separators auditguard writes itself, so no value can start a line of its own. Escaping is
//! idempotent (an escaped value contains no control character), so a value escaped when its
//! sentence was made and again when it is printed reads the same. The display is for reading:
//! a literal backslash is left as is, so `\x1b` typed into a file name and a real ESC look alike;
//! the exact bytes are in the JSON rendering.
//!
//! **JSON: [`ByteString`].** Byte strings are lossless (see `schemas/check-1.json`): a JSON string
//! when the bytes are valid UTF-8 (unchanged from earlier versions), else an object
//! `{"base64": "<RFC 4648 base64 of the exact bytes>", "escaped": "<the text escape above>"}`.
//! JSON documents are made terminal-safe by [`json_safe`]: DEL and C1 characters inside strings
//! are written as `\u00NN` escapes (the same JSON value; serde_json already escapes C0).
//!
//! **`rules` and `merge`** print what `auditctl -l` and augenrules print, byte for byte, when
//! their output goes to a file or a pipe (that is their contract); on a terminal their output
//! goes through [`escape_lines`] first.

use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 && needs_escape(c) => {
            out.push_str(&format!("\\x{:02x}", c as u32));
        }
        c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// `bytes` as text safe to print on a terminal (see the module documentation): valid,
/// printable UTF-8 is borrowed unchanged; control characters, bidi overrides and invalid
/// bytes are escaped. Linear in `bytes`.
///
/// ```
/// use auditguard::report::bytes::escape;
/// assert_eq!(escape(b"-k mods"), "-k mods");
/// assert_eq!(escape(b"a\x1b[2K\rb\xff\xc2\x9b\n"), "a\\x1b[2K\\rb\\xff\\u{9b}\\n");
/// ```
pub fn escape(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        if !s.chars().any(needs_escape) {
            return Cow::Borrowed(s);
        }
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for a string value (a sentence, a label) about to be printed.
pub fn text(s: &str) -> Cow<'_, str> {
    escape(s.as_bytes())
}

/// [`escape`] of a path's bytes.
pub fn path(p: &Path) -> Cow<'_, str> {
    escape(p.as_os_str().as_bytes())
}

/// Multi-line target text (a diff, a merged rules file) for a terminal: each line escaped
/// with [`escape`], the newlines between lines kept.
pub fn escape_lines(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape(line));
    }
    out
}

/// Target bytes shown with [`escape`] by `Display`.
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(self.0))
    }
}

/// `origin` as `file:line`, the file name escaped.
pub fn origin(o: &crate::load::Origin) -> String {
    format!("{}:{}", path(&o.file), o.line)
}

/// Bytes from the target, kept exactly: a JSON string when valid UTF-8, else
/// `{"base64": ..., "escaped": ...}` (see the module documentation and
/// `schemas/check-1.json`). Displays with [`escape`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteString(pub Vec<u8>);

impl ByteString {
    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether `needle`'s bytes occur in these bytes.
    pub fn contains(&self, needle: &str) -> bool {
        let n = needle.as_bytes();
        n.is_empty() || self.0.windows(n.len()).any(|w| w == n)
    }

    /// The bytes of a path.
    pub fn path(p: &Path) -> ByteString {
        ByteString(p.as_os_str().as_bytes().to_vec())
    }
}

impl From<&[u8]> for ByteString {
    fn from(b: &[u8]) -> ByteString {
        ByteString(b.to_vec())
    }
}

impl From<Vec<u8>> for ByteString {
    fn from(b: Vec<u8>) -> ByteString {
        ByteString(b)
    }
}

impl From<&str> for ByteString {
    fn from(s: &str) -> ByteString {
        ByteString(s.as_bytes().to_vec())
    }
}

impl From<String> for ByteString {
    fn from(s: String) -> ByteString {
        ByteString(s.into_bytes())
    }
}

impl fmt::Display for ByteString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(&self.0))
    }
}

impl PartialEq<str> for ByteString {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for ByteString {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl Serialize for ByteString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                use serde::ser::SerializeStruct;
                let mut st = s.serialize_struct("ByteString", 2)?;
                st.serialize_field("base64", &base64(&self.0))?;
                st.serialize_field("escaped", &escape(&self.0))?;
                st.end()
            }
        }
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 §4, with padding) of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A serialised JSON document made safe for a terminal: DEL and the C1 controls (which
/// serde_json writes raw inside strings) become `\u00NN` escapes, which decode to the same
/// characters. Anything else is unchanged.
pub fn json_safe(json: String) -> String {
    if !json
        .chars()
        .any(|c| c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c))
    {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `value` as pretty JSON followed by a newline, made terminal-safe with [`json_safe`]: how
/// every JSON document of auditguard is written.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("reports serialise");
    s.push('\n');
    json_safe(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_control_and_invalid_byte() {
        for b in (0u8..0x20).chain([0x7f]) {
            let input = [b'a', b, b'b'];
            let e = escape(&input);
            assert!(!e.chars().any(|c| c.is_control()), "{b:#x}: {e}");
        }
        for c in ('\u{80}'..='\u{9f}').chain(['\u{202e}', '\u{2066}']) {
            let s = format!("a{c}b");
            let e = escape(s.as_bytes());
            assert!(!e.contains(c), "{c:?}: {e}");
        }
        assert_eq!(escape(b"\xff\xfe"), "\\xff\\xfe");
        assert_eq!(escape(b"caf\xc3\xa9"), "café");
        assert_eq!(escape(b"a\\x1b"), "a\\x1b");
        // idempotent
        let once = escape(b"\x1b[31m\r\n\xff").into_owned();
        assert_eq!(escape(once.as_bytes()), once);
        assert_eq!(escape_lines(b"a\x1b\nb\r\n"), "a\\x1b\nb\\r\n");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn byte_strings_are_plain_strings_when_utf8_else_base64_objects() {
        let v = serde_json::to_value(ByteString::from("/etc/a b")).unwrap();
        assert_eq!(v, serde_json::json!("/etc/a b"));
        let v = serde_json::to_value(ByteString(b"/etc/x\xff".to_vec())).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"base64": "L2V0Yy94/w==", "escaped": "/etc/x\\xff"})
        );
    }

    #[test]
    fn json_has_no_raw_del_or_c1() {
        let s = to_json(&ByteString::from("a\u{9b}b\u{7f}\u{1b}"));
        assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s}");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\u{9b}b\u{7f}\u{1b}");
    }
}
