//! `--repair`: the safe syntactic repairs of a line that stops the load — tabs to spaces,
//! strip a CR, move a trailing comment to its own line, end a file augenrules glued to the
//! next, and otherwise comment the line out with a `# auditguard:` note.

use crate::fix::lines::{first_token, Lines};
use crate::host::Host;
use crate::load::Origin;

/// The `--repair` of a line that stops the load: tabs → spaces, strip CR, move a trailing
/// comment to its own line, else comment the line out with a note.
pub fn repair_line(host: &dyn Host, at: &Origin, message: &str) -> Option<(Vec<u8>, String)> {
    let text = host.read(&at.file).ok()?;
    let mut lines = Lines::parse(&text);
    let n = at.line as usize;
    // A last line without `\n`: augenrules' `cat` glued the next file's first line to it.
    // The repair is the missing newline, not the (innocent) line.
    if n == lines.len() && !text.ends_with(b"\n") && !text.is_empty() {
        let mut fixed = text.clone();
        fixed.push(b'\n');
        return Some((fixed, format!("repair {at}: {JOINED}")));
    }
    let line = lines.get(n)?.to_vec();
    let (new, above, what) = repaired(&line, message);
    lines.replace(n, &new);
    if let Some(comment) = above {
        lines.insert(n, &comment);
    }
    Some((lines.to_bytes(), format!("repair {at}: {what}")))
}

/// What the missing-final-newline repair does.
const JOINED: &str = "end the file with a newline (augenrules joined its last line with the \
                      next file's first line)";

/// What `--repair` would do to a line, in words.
pub fn repair_preview(host: &dyn Host, at: &Origin, message: &str) -> String {
    let text = host.read(&at.file).ok().unwrap_or_default();
    let lines = Lines::parse(&text);
    if at.line as usize == lines.len() && !text.ends_with(b"\n") && !text.is_empty() {
        return JOINED.to_string();
    }
    let line = lines
        .get(at.line as usize)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    repaired(&line, message).2
}

/// The repaired line, a line to insert above it, and what was done.
fn repaired(line: &[u8], message: &str) -> (Vec<u8>, Option<Vec<u8>>, String) {
    if line.contains(&b'\t') {
        let new = line
            .iter()
            .map(|b| if *b == b'\t' { b' ' } else { *b })
            .collect();
        return (new, None, "replace tabs with spaces".into());
    }
    if let Some(body) = line.strip_suffix(b"\r") {
        return (
            body.to_vec(),
            None,
            "strip the CR at the end of the line".into(),
        );
    }
    let comment_at = line
        .windows(2)
        .position(|w| w == b" #")
        .filter(|_| first_token(line).is_some_and(|t| !t.starts_with(b"#")));
    if let Some(i) = comment_at {
        let body = line[..i].to_vec();
        let comment = line[i + 1..].to_vec();
        return (
            body,
            Some(comment),
            "move the trailing comment to its own line above".into(),
        );
    }
    let what = if message.contains("Rule exists") {
        "duplicate"
    } else {
        "disabled"
    };
    let mut new = format!("# auditguard: {what}, auditctl refuses it ({message}): ").into_bytes();
    new.extend_from_slice(line);
    (new, None, format!("comment the line out ({what})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs() {
        assert_eq!(repaired(b"-w /x\t-p x", "").0, b"-w /x -p x");
        assert_eq!(repaired(b"-w /x -p x\r", "").0, b"-w /x -p x");
        let (body, above, _) = repaired(b"-w /x -p x # note", "");
        assert_eq!(body, b"-w /x -p x");
        assert_eq!(above.unwrap(), b"# note");
        let (c, _, _) = repaired(b"-a always,exit -S bogus", "Syscall name unknown: bogus");
        assert!(c.starts_with(b"# auditguard: disabled"));
    }
}
