//! Lines and tokens exactly as `auditctl -R` (3.0.9, `src/auditctl.c` `fileopt`) sees them.
//!
//! - **Lines**: `fgets` into a `LINE_SIZE` (6144) buffer, so a line holds at most 6143 bytes;
//!   a longer physical line is cut into chunks and every chunk counts as a line of its own.
//!   Only `\n` is removed; `\r` stays part of the text. A NUL byte ends the C string, so the
//!   rest of that chunk is invisible.
//! - **Blank**: empty or ASCII spaces only (a TAB makes the line non-blank).
//! - **Escapes** (`preprocess`/`postprocess`): `\ ` becomes a space inside a token, `\\` one
//!   backslash, any other backslash stays. auditctl marks escapes with the bytes 0x07 and 0x04
//!   before splitting and turns markers back afterwards — but 3.0.9 forgets to post-process the
//!   **first** token, which therefore keeps the raw marker bytes. Raw 0x07/0x04 bytes in the
//!   input are taken for markers too (and swallow the byte after them). We mirror all of it.
//! - **Tokens**: split on ASCII space (0x20) only, runs collapse; at most `strlen/3 + 1`
//!   tokens are kept (auditctl's `nf = strlen/3 + 3` argv slots), the rest silently dropped.
//! - **Comments**: the first token starts with `#`. There are no trailing comments.
//!
//! Tokens borrow from the file unless the line holds a backslash or a raw marker byte: only
//! then are escapes processed into owned bytes; [`lex_line_into`] fills a buffer the caller
//! reuses from line to line.
//!
//! This module knows nothing of options: that is [`super::parse`].

use std::borrow::Cow;
use std::ops::Range;

/// `LINE_SIZE` in auditctl.c: the `fgets` buffer, terminating NUL included.
pub const LINE_SIZE: usize = 6144;

/// Marker `preprocess` writes over an escaped space (`\ `).
const MARK_SPACE: u8 = 0x07;
/// Marker `preprocess` writes over an escaped backslash (`\\`).
const MARK_BACKSLASH: u8 = 0x04;

/// One token of a line: its bytes after escape processing and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// The bytes auditctl passes as this argv element: borrowed from the file, or owned when
    /// escape processing changed them.
    pub bytes: Cow<'a, [u8]>,
    /// 1-based byte column of the token's first byte in the line.
    pub column: u32,
}

/// What a line is, before option handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lexed<'a> {
    /// Empty or spaces only.
    Blank,
    /// First token starts with `#`.
    Comment,
    /// The argv auditctl builds (without `argv[0]`).
    Tokens(Vec<Token<'a>>),
}

/// One line as `fgets` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number as auditctl counts (every `fgets` chunk is a line).
    pub number: u32,
    /// Byte range of the chunk in the file, without its `\n`.
    pub range: Range<usize>,
    /// What the line holds.
    pub lexed: Lexed<'a>,
}

/// Cut a file into lines and tokens.
///
/// ```
/// use auditguard::syntax::lex::{lex, Lexed};
/// let lines = lex(b"# c\n-w /etc/a\\ b -k x\r\n");
/// assert_eq!(lines[0].lexed, Lexed::Comment);
/// let Lexed::Tokens(t) = &lines[1].lexed else { panic!() };
/// assert_eq!(&*t[1].bytes, b"/etc/a b");
/// assert_eq!(&*t[3].bytes, b"x\r");
/// ```
pub fn lex(file: &[u8]) -> Vec<Line<'_>> {
    lines(file).collect()
}

/// Lex a file lazily, one `fgets` line at a time: a 100,000-line file never has more than one
/// line's tokens alive.
pub fn lines(file: &[u8]) -> impl Iterator<Item = Line<'_>> + '_ {
    let mut pos = 0;
    let mut number = 0u32;
    std::iter::from_fn(move || {
        let range = next_line(file, &mut pos)?;
        number = number.saturating_add(1);
        Some(Line {
            number,
            range: range.clone(),
            lexed: lex_line(&file[range]),
        })
    })
}

/// The one line map: auditctl's `fgets` chunks ↔ physical lines ↔ byte ranges.
///
/// A physical line ends at `\n` (what an editor, `fix` and every origin count); auditctl reads
/// at most 6,143 bytes at a time, so a longer physical line is several auditctl lines. Fed the
/// chunks in order by [`LineMap::place`], it tells each chunk's physical line and its byte
/// offset in that line; [`LineMap::line_starts`] gives the physical lines of a whole text.
///
/// ```
/// use auditguard::syntax::lex::{next_line, LineMap};
/// let text = [vec![b'x'; 7000], b"\n-w /a\n".to_vec()].concat();
/// let (mut pos, mut map, mut placed) = (0, LineMap::new(), Vec::new());
/// while let Some(r) = next_line(&text, &mut pos) {
///     placed.push(map.place(&r, pos));
/// }
/// // Three auditctl lines: two chunks of physical line 1, then line 2.
/// assert_eq!(placed, vec![(1, 0), (1, 6143), (2, 0)]);
/// assert_eq!(LineMap::line_starts(&text), vec![0, 7001]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct LineMap {
    /// The physical line of the last chunk placed (0 before the first).
    line: u32,
    /// Where that physical line starts.
    start: usize,
    /// Whether the last chunk ended its physical line (consumed a `\n`).
    ended: bool,
}

impl LineMap {
    /// A map before the first chunk.
    pub fn new() -> LineMap {
        LineMap {
            line: 0,
            start: 0,
            ended: true,
        }
    }

    /// Place the chunk `range` (as [`next_line`] returned it, `pos` being where it left off):
    /// its physical line (1-based) and its byte offset in that line.
    pub fn place(&mut self, range: &Range<usize>, pos: usize) -> (u32, u32) {
        if self.ended {
            self.line = self.line.saturating_add(1);
            self.start = range.start;
        }
        self.ended = pos > range.end;
        (self.line, (range.start - self.start) as u32)
    }

    /// Byte offsets where the physical lines of `text` start (one per line; a final line
    /// without `\n` counts, an empty text has none). Line `n` (1-based) starts at index `n-1`.
    pub fn line_starts(text: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < text.len() {
            out.push(pos);
            pos = match find_byte(&text[pos..], b'\n') {
                Some(nl) => pos + nl + 1,
                None => text.len(),
            };
        }
        out
    }
}

/// The next `fgets` chunk of `file` at `*pos`: its byte range without the `\n`, moving `*pos`
/// past it. `None` at the end of the file.
pub fn next_line(file: &[u8], pos: &mut usize) -> Option<Range<usize>> {
    let start = *pos;
    if start >= file.len() {
        return None;
    }
    let max = (file.len() - start).min(LINE_SIZE - 1);
    let chunk = &file[start..start + max];
    let (len, text_end) = match find_byte(chunk, b'\n') {
        Some(nl) => (nl + 1, nl),
        None => (max, max),
    };
    *pos = start + len;
    Some(start..start + text_end)
}

/// Bytes looked at together by the scans below: a block is tested without a branch per byte,
/// which the compiler turns into vector code.
const BLOCK: usize = 32;

/// Position of the first `byte` in `haystack` (a newline scan over whole files).
pub fn find_byte(haystack: &[u8], byte: u8) -> Option<usize> {
    let mut base = 0;
    for block in haystack.chunks(BLOCK) {
        if block.iter().fold(false, |seen, b| seen | (*b == byte)) {
            return block.iter().position(|b| *b == byte).map(|p| base + p);
        }
        base += block.len();
    }
    None
}

/// Whether `text` holds a NUL, a backslash or a raw marker byte (0x07, 0x04): the bytes that
/// make lexing more than splitting on spaces.
fn has_special(text: &[u8]) -> bool {
    for block in text.chunks(BLOCK) {
        let special = block.iter().fold(0u8, |seen, b| {
            seen | u8::from(*b < 8) | u8::from(*b == b'\\')
        });
        if special != 0 {
            return true;
        }
    }
    false
}

/// What a line is, its tokens left in the caller's buffer (see [`lex_line_into`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Empty or spaces only.
    Blank,
    /// First token starts with `#`.
    Comment,
    /// The tokens are in the buffer.
    Tokens,
}

/// Lex the text of one line (no `\n`).
pub fn lex_line(chunk: &[u8]) -> Lexed<'_> {
    let mut tokens = Vec::new();
    match lex_line_into(chunk, &mut tokens) {
        Class::Blank => Lexed::Blank,
        Class::Comment => Lexed::Comment,
        Class::Tokens => Lexed::Tokens(tokens),
    }
}

/// [`lex_line`] into a reusable buffer: `tokens` is cleared, then holds the line's tokens when
/// the line is [`Class::Tokens`].
pub fn lex_line_into<'a>(chunk: &'a [u8], tokens: &mut Vec<Token<'a>>) -> Class {
    tokens.clear();
    // Lines rarely hold a NUL, a backslash or a marker: then the tokens are slices of the line.
    if !has_special(chunk) {
        if chunk.iter().all(|b| *b == b' ') {
            return Class::Blank;
        }
        return split(chunk, tokens, |_, raw| Cow::Borrowed(raw));
    }
    // The C string ends at the first NUL.
    let text = if chunk.contains(&0) {
        &chunk[..chunk.iter().position(|b| *b == 0).unwrap_or(chunk.len())]
    } else {
        chunk
    };
    if text.iter().all(|b| *b == b' ') {
        return Class::Blank;
    }
    // Without a backslash or a raw marker byte, `preprocess` and `postprocess` change
    // nothing: the tokens are slices of the line.
    if ![b'\\', MARK_SPACE, MARK_BACKSLASH]
        .iter()
        .any(|special| text.contains(special))
    {
        return split(text, tokens, |_, raw| Cow::Borrowed(raw));
    }
    let marked = preprocess(text);
    split(&marked, tokens, |first, raw| {
        // auditctl 3.0.9 does not postprocess argv[1].
        Cow::Owned(if first {
            raw.to_vec()
        } else {
            postprocess(raw)
        })
    })
}

/// Split marked text into `tokens` (`make` turns each raw token into its argv bytes, `first`
/// telling argv[1] apart), stopping at a comment or at auditctl's argv limit.
fn split<'m, 'a>(
    marked: &'m [u8],
    tokens: &mut Vec<Token<'a>>,
    mut make: impl FnMut(bool, &'m [u8]) -> Cow<'a, [u8]>,
) -> Class {
    // Markers keep the length, so this is `strlen` of the line.
    let nf = marked.len() / 3 + 3;
    let mut i = 0;
    while let Some(skip) = marked[i..].iter().position(|b| *b != b' ') {
        let start = i + skip;
        i = marked[start..]
            .iter()
            .position(|b| *b == b' ')
            .map_or(marked.len(), |len| start + len);
        let raw = &marked[start..i];
        let column = u32::try_from(start + 1).unwrap_or(u32::MAX);
        let first = tokens.is_empty();
        if first && raw[0] == b'#' {
            return Class::Comment;
        }
        // argv holds auditctl + tokens + NULL in `nf` slots.
        if !first && tokens.len() + 1 >= nf - 1 {
            break;
        }
        tokens.push(Token {
            bytes: make(first, raw),
            column,
        });
    }
    Class::Tokens
}

/// auditctl's `preprocess`: mark `\ ` and `\\` pairs with 0x07 / 0x04 (same length).
fn preprocess(text: &[u8]) -> Vec<u8> {
    let mut buf = text.to_vec();
    let mut escaped = false;
    for i in 0..buf.len() {
        if buf[i] == b'\\' && !escaped {
            escaped = true;
        } else if escaped {
            if buf[i] == b' ' {
                buf[i] = MARK_SPACE;
                buf[i - 1] = MARK_SPACE;
            } else if buf[i] == b'\\' {
                buf[i] = MARK_BACKSLASH;
                buf[i - 1] = MARK_BACKSLASH;
            }
            escaped = false;
        }
    }
    buf
}

/// auditctl's `postprocess`: each marker byte becomes its character and swallows the byte
/// after it. (A marker as the very last byte makes auditctl read past the string, undefined
/// behaviour; we stop at the end instead.)
fn postprocess(token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    let mut i = 0;
    while i < token.len() {
        match token[i] {
            MARK_SPACE => {
                out.push(b' ');
                i += 2;
            }
            MARK_BACKSLASH => {
                out.push(b'\\');
                i += 2;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(line: &[u8]) -> Vec<Vec<u8>> {
        match lex_line(line) {
            Lexed::Tokens(t) => t.into_iter().map(|t| t.bytes.into_owned()).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blank_and_comment() {
        assert_eq!(lex_line(b""), Lexed::Blank);
        assert_eq!(lex_line(b"    "), Lexed::Blank);
        assert_eq!(lex_line(b"  # x"), Lexed::Comment);
        assert_eq!(lex_line(b"#"), Lexed::Comment);
        // A tab is not blank and not a separator.
        assert_eq!(toks(b"\t"), vec![b"\t".to_vec()]);
        assert_eq!(toks(b"-a\talways"), vec![b"-a\talways".to_vec()]);
        // Spaces before a NUL: blank.
        assert_eq!(lex_line(b"  \0-w /x"), Lexed::Blank);
    }

    #[test]
    fn split_on_space_only_with_columns() {
        let Lexed::Tokens(t) = lex_line(b"  -w  /etc/x -k\tk") else {
            panic!()
        };
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].column, t[1].column, t[2].column), (3, 7, 14));
        assert_eq!(&*t[2].bytes, b"-k\tk");
    }

    #[test]
    fn escapes() {
        assert_eq!(
            toks(br"-w /a\ b\\c\d"),
            vec![b"-w".to_vec(), br"/a b\c\d".to_vec()]
        );
        // `\\ ` is a backslash then a separator.
        assert_eq!(
            toks(br"-k a\\ b"),
            vec![b"-k".to_vec(), br"a\".to_vec(), b"b".to_vec()]
        );
        // The first token is not postprocessed in 3.0.9.
        assert_eq!(toks(br"-w/a\ b"), vec![b"-w/a\x07\x07b".to_vec()]);
        // A trailing backslash stays.
        assert_eq!(toks(br"-k x\"), vec![b"-k".to_vec(), br"x\".to_vec()]);
    }

    #[test]
    fn raw_marker_bytes_swallow_the_next_byte() {
        assert_eq!(toks(b"-k a\x07bc"), vec![b"-k".to_vec(), b"a c".to_vec()]);
        assert_eq!(toks(b"-k a\x04"), vec![b"-k".to_vec(), b"a\\".to_vec()]);
    }

    #[test]
    fn cr_is_kept_and_lines_split() {
        let lines = lex(b"-k a\r\n\n  \n# c\nlast");
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0].range, 0..5);
        assert_eq!(lines[1].lexed, Lexed::Blank);
        assert_eq!(lines[2].lexed, Lexed::Blank);
        assert_eq!(lines[3].lexed, Lexed::Comment);
        assert_eq!(lines[4].number, 5);
        assert_eq!(toks(b"-k a\r")[1], b"a\r");
    }

    #[test]
    fn long_lines_are_chunked() {
        let mut file = vec![b'#'; LINE_SIZE - 1];
        file.extend_from_slice(b"\n-D\n");
        let lines = lex(&file);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].range, 0..LINE_SIZE - 1);
        assert_eq!(lines[1].lexed, Lexed::Blank, "the lone \\n");
        assert_eq!(lines[2].number, 3);
        let mut file = vec![b'x'; LINE_SIZE + 10];
        file[0] = b'#';
        let lines = lex(&file);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].range, LINE_SIZE - 1..LINE_SIZE + 10);
    }

    #[test]
    fn nul_ends_the_line_text() {
        assert_eq!(toks(b"-D\0 -k x"), vec![b"-D".to_vec()]);
    }

    #[test]
    fn token_limit() {
        // strlen 11 -> nf 6 -> at most 4 tokens.
        assert_eq!(toks(b"a b c d e f").len(), 4);
        assert_eq!(toks(b"-w /etc/hosts -p wa -k k").len(), 6);
    }
}

#[cfg(test)]
mod line_map_tests {
    use super::*;

    /// (auditctl line, physical line, offset, range) of every chunk of `text`.
    fn placed(text: &[u8]) -> Vec<(u32, u32, Range<usize>)> {
        let (mut pos, mut map, mut out) = (0, LineMap::new(), Vec::new());
        while let Some(r) = next_line(text, &mut pos) {
            let (line, offset) = map.place(&r, pos);
            out.push((line, offset, r));
        }
        out
    }

    #[test]
    fn a_7000_byte_line_is_two_auditctl_lines_and_one_physical_line() {
        let text = [vec![b'a'; 7000], b"\n-w /x\n".to_vec()].concat();
        let p = placed(&text);
        assert_eq!(
            p,
            vec![(1, 0, 0..6143), (1, 6143, 6143..7000), (2, 0, 7001..7006)]
        );
        assert_eq!(LineMap::line_starts(&text), vec![0, 7001]);
    }

    #[test]
    fn cr_stays_in_the_line_and_a_missing_final_newline_still_ends_a_line() {
        let text = b"-w /a\r\n-w /b";
        let p = placed(text);
        assert_eq!(p, vec![(1, 0, 0..6), (2, 0, 7..12)]);
        assert_eq!(&text[p[0].2.clone()], b"-w /a\r");
        assert_eq!(LineMap::line_starts(text), vec![0, 7]);
        assert!(LineMap::line_starts(b"").is_empty());
        // 6,143 bytes then `\n`: fgets stops before the newline, which comes back as an empty
        // auditctl line of its own — still physical line 1.
        let exact = [vec![b'b'; 6143], b"\nx\n".to_vec()].concat();
        assert_eq!(
            placed(&exact),
            vec![(1, 0, 0..6143), (1, 6143, 6143..6143), (2, 0, 6144..6145)]
        );
    }
}
