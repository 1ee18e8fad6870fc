//! A file as lines, edited so that every untouched byte stays as it was.
//!
//! Each line keeps its own terminator (or none, for a last line without `\n`), and CR bytes
//! stay part of the line: auditctl treats them as data, so only an explicit repair removes one.

use crate::syntax::lex::LineMap;

/// A file's lines, terminators included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lines {
    lines: Vec<Vec<u8>>,
}

impl Lines {
    /// Cut `bytes` into its physical lines (the lexer's [`LineMap`]: what every origin and
    /// diagnostic counts), each with its `\n`.
    pub fn parse(bytes: &[u8]) -> Lines {
        let starts = LineMap::line_starts(bytes);
        let ends = starts.iter().skip(1).copied().chain([bytes.len()]);
        let lines = starts
            .iter()
            .zip(ends)
            .map(|(s, e)| bytes[*s..e].to_vec())
            .collect();
        Lines { lines }
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.lines.concat()
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Line `n` (1-based) without its `\n`.
    pub fn get(&self, n: usize) -> Option<&[u8]> {
        let l = self.lines.get(n.checked_sub(1)?)?;
        Some(l.strip_suffix(b"\n").unwrap_or(l))
    }

    /// Replace line `n`'s content, keeping its terminator.
    pub fn replace(&mut self, n: usize, content: &[u8]) {
        let Some(line) = n.checked_sub(1).and_then(|i| self.lines.get_mut(i)) else {
            return;
        };
        let newline = line.ends_with(b"\n");
        *line = content.to_vec();
        if newline {
            line.push(b'\n');
        }
    }

    /// Insert a line before line `n` (1-based; `len() + 1` appends). A last line without a
    /// terminator gets one first, so nothing joins it.
    pub fn insert(&mut self, n: usize, content: &[u8]) {
        let index = n.saturating_sub(1).min(self.lines.len());
        if index == self.lines.len() {
            if let Some(last) = self.lines.last_mut() {
                if !last.ends_with(b"\n") {
                    last.push(b'\n');
                }
            }
        }
        let mut line = content.to_vec();
        line.push(b'\n');
        self.lines.insert(index, line);
    }

    /// Remove line `n`, returning its content (without `\n`).
    pub fn remove(&mut self, n: usize) -> Option<Vec<u8>> {
        let i = n.checked_sub(1)?;
        if i >= self.lines.len() {
            return None;
        }
        let mut l = self.lines.remove(i);
        if l.ends_with(b"\n") {
            l.pop();
        }
        Some(l)
    }

    /// Lines with their 1-based numbers.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &[u8])> {
        (1..=self.lines.len()).filter_map(|n| self.get(n).map(|l| (n, l)))
    }
}

/// The first token of a line (split on spaces, as auditctl does).
pub fn first_token(line: &[u8]) -> Option<&[u8]> {
    line.split(|b| *b == b' ').find(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_bytes_survive() {
        let text = b"a\r\n\nb\nlast";
        let mut l = Lines::parse(text);
        assert_eq!(l.to_bytes(), text);
        assert_eq!(l.get(1), Some(&b"a\r"[..]));
        l.replace(3, b"B");
        assert_eq!(l.to_bytes(), b"a\r\n\nB\nlast");
        l.insert(5, b"new");
        assert_eq!(l.to_bytes(), b"a\r\n\nB\nlast\nnew\n");
        l.insert(1, b"top");
        assert_eq!(l.remove(1), Some(b"top".to_vec()));
        assert_eq!(l.to_bytes(), b"a\r\n\nB\nlast\nnew\n");
    }

    #[test]
    fn empty_file() {
        let mut l = Lines::parse(b"");
        assert!(l.is_empty());
        l.insert(1, b"x");
        assert_eq!(l.to_bytes(), b"x\n");
    }
}
