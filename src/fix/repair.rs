//! `--repair`: the safe syntactic repairs of a line that stops the load — tabs to spaces,
//! strip a CR, move a trailing comment to its own line, end a file augenrules glued to the
//! next, and otherwise comment the line out with a `# auditguard:` note.

use crate::fix::lines::{first_token, Lines};
use crate::host::Host;
use crate::load::auditctl::LoadErrorKind;
use crate::load::Origin;
use crate::syntax::lex::LINE_SIZE;

/// Bytes of a wrapped piece: well under auditctl's line buffer, prefix included.
const PIECE: usize = 4096;

/// A long line as comment lines of at most [`PIECE`] bytes plus their `# ` prefix, joined by
/// `\n`. The bytes of the line are all kept, in order.
fn wrap_long(line: &[u8]) -> Vec<u8> {
    let comment = first_token(line).is_some_and(|t| t.starts_with(b"#"));
    let mut out = Vec::with_capacity(line.len() + line.len() / PIECE * 3 + 64);
    if !comment {
        out.extend_from_slice(b"# auditguard: disabled, longer than auditctl's 6143-byte line:\n");
    }
    for (i, piece) in line.chunks(PIECE).enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        if i > 0 || !comment {
            out.extend_from_slice(b"# ");
        }
        out.extend_from_slice(piece);
    }
    out
}

/// A safe syntactic repair of a line that stops the load (worded by `report::fix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// End the file with a newline (augenrules joined its last line with the next file's
    /// first line).
    EndWithNewline,
    /// Replace tabs with spaces (auditctl splits on spaces only).
    TabsToSpaces,
    /// Strip the CR at the end of the line.
    StripCr,
    /// Move the trailing comment to its own line above.
    MoveTrailingComment,
    /// Wrap a line longer than auditctl's 6,143-byte `fgets` buffer into comment lines it reads
    /// whole (a comment stays a comment; anything else is commented out, as auditctl never
    /// loaded it as written).
    WrapLongLine,
    /// Comment the line out with a `# auditguard:` note (`duplicate`: "Rule exists").
    CommentOut {
        /// The line duplicates a loaded rule.
        duplicate: bool,
    },
}

/// The `--repair` of a line that stops the load with `error`: the file's new contents and
/// what was done.
pub fn repair_line(
    host: &dyn Host,
    at: &Origin,
    error: &LoadErrorKind,
) -> Option<(Vec<u8>, Repair)> {
    let text = host.read(&at.file).ok()?;
    let mut lines = Lines::parse(&text);
    let n = at.line as usize;
    // A last line without `\n`: augenrules' `cat` glued the next file's first line to it.
    // The repair is the missing newline, not the (innocent) line.
    if n == lines.len() && !text.ends_with(b"\n") && !text.is_empty() {
        let mut fixed = text.clone();
        fixed.push(b'\n');
        return Some((fixed, Repair::EndWithNewline));
    }
    let line = lines.get(n)?.to_vec();
    let (new, above, what) = repaired(&line, error);
    lines.replace(n, &new);
    if let Some(comment) = above {
        lines.insert(n, &comment);
    }
    Some((lines.to_bytes(), what))
}

/// What `--repair` would do to a line.
pub fn repair_preview(host: &dyn Host, at: &Origin, error: &LoadErrorKind) -> Repair {
    let text = host.read(&at.file).ok().unwrap_or_default();
    let lines = Lines::parse(&text);
    if at.line as usize == lines.len() && !text.ends_with(b"\n") && !text.is_empty() {
        return Repair::EndWithNewline;
    }
    let line = lines
        .get(at.line as usize)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    repaired(&line, error).2
}

/// The repaired line, a line to insert above it, and what was done.
fn repaired(line: &[u8], error: &LoadErrorKind) -> (Vec<u8>, Option<Vec<u8>>, Repair) {
    if line.len() >= LINE_SIZE {
        return (wrap_long(line), None, Repair::WrapLongLine);
    }
    if line.contains(&b'\t') {
        let new = line
            .iter()
            .map(|b| if *b == b'\t' { b' ' } else { *b })
            .collect();
        return (new, None, Repair::TabsToSpaces);
    }
    if let Some(body) = line.strip_suffix(b"\r") {
        return (body.to_vec(), None, Repair::StripCr);
    }
    let comment_at = line
        .windows(2)
        .position(|w| w == b" #")
        .filter(|_| first_token(line).is_some_and(|t| !t.starts_with(b"#")));
    if let Some(i) = comment_at {
        let body = line[..i].to_vec();
        let comment = line[i + 1..].to_vec();
        return (body, Some(comment), Repair::MoveTrailingComment);
    }
    let duplicate = *error == LoadErrorKind::Exists;
    let what = if duplicate { "duplicate" } else { "disabled" };
    // The note is file content (what a reader of the rules file sees), not a report.
    let mut new = format!("# auditguard: {what}, auditctl refuses it ({error}): ").into_bytes();
    new.extend_from_slice(line);
    (new, None, Repair::CommentOut { duplicate })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs() {
        let none = LoadErrorKind::Syntax(String::new());
        assert_eq!(repaired(b"-w /x\t-p x", &none).0, b"-w /x -p x");
        assert_eq!(repaired(b"-w /x -p x\r", &none).0, b"-w /x -p x");
        let (body, above, _) = repaired(b"-w /x -p x # note", &none);
        assert_eq!(body, b"-w /x -p x");
        assert_eq!(above.unwrap(), b"# note");
        let unknown = LoadErrorKind::Syntax("Syscall name unknown: bogus".into());
        let (c, _, what) = repaired(b"-a always,exit -S bogus", &unknown);
        assert!(c.starts_with(b"# auditguard: disabled"));
        assert_eq!(what, Repair::CommentOut { duplicate: false });
        let (c, _, _) = repaired(b"-w /x -p x", &LoadErrorKind::Exists);
        assert!(c.starts_with(b"# auditguard: duplicate"));
        let long = [b"# ".to_vec(), vec![b'x'; 7000]].concat();
        let (w, _, what) = repaired(&long, &none);
        assert_eq!(what, Repair::WrapLongLine);
        let pieces: Vec<&[u8]> = w.split(|b| *b == b'\n').collect();
        assert_eq!(pieces.len(), 2);
        assert!(pieces
            .iter()
            .all(|p| p.starts_with(b"#") && p.len() < LINE_SIZE));
    }
}
