//! Edits of rule files through the target: insert lines, add a key to a rule line, extend a
//! `-S` list, move a line — each returning the file's new bytes with every other byte kept.

use crate::fix::lines::{first_token, Lines};
use crate::host::Host;
use crate::load::auditctl::LoadedRule;
use std::path::Path;

/// Insert `new` before line `at` of `file` (creating it when missing).
pub fn insert_lines(host: &dyn Host, file: &Path, at: usize, new: &[Vec<u8>]) -> Option<Vec<u8>> {
    if new.is_empty() {
        return None;
    }
    let text = match host.read(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(_) => return None,
    };
    let mut lines = Lines::parse(&text);
    for (i, l) in new.iter().enumerate() {
        lines.insert(at + i, l);
    }
    Some(lines.to_bytes())
}

/// The line of `origin` with ` -F key=KEY` (` -k KEY` for a watch) added before any CR.
pub fn add_key(host: &dyn Host, rule: &LoadedRule, key: &str) -> Option<Vec<u8>> {
    let text = host.read(&rule.origin.file).ok()?;
    let mut lines = Lines::parse(&text);
    let line = lines.get(rule.origin.line as usize)?.to_vec();
    let (body, cr) = match line.strip_suffix(b"\r") {
        Some(b) => (b.to_vec(), true),
        None => (line.clone(), false),
    };
    let mut new = body.clone();
    let is_watch = first_token(&body) == Some(b"-w");
    new.extend_from_slice(if is_watch { b" -k " } else { b" -F key=" });
    new.extend_from_slice(key.as_bytes());
    if cr {
        new.push(b'\r');
    }
    lines.replace(rule.origin.line as usize, &new);
    Some(lines.to_bytes())
}

/// `-S a,b` → `-S a,b,c,d`: append names to the argument of the last `-S` token.
pub fn append_to_last_syscall_list(line: &[u8], names: &[&str]) -> Option<Vec<u8>> {
    if names.is_empty() {
        return None;
    }
    // Token boundaries on spaces, as auditctl splits.
    let mut spans = Vec::new();
    let mut i = 0;
    while i < line.len() {
        if line[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < line.len() && line[i] != b' ' {
            i += 1;
        }
        spans.push((start, i));
    }
    let pos = spans.iter().rposition(|(s, e)| &line[*s..*e] == b"-S")?;
    let (_, arg_end) = *spans.get(pos + 1)?;
    // A CR glued to the argument stays after our names.
    let end = if line[..arg_end].ends_with(b"\r") {
        arg_end - 1
    } else {
        arg_end
    };
    let mut out = line[..end].to_vec();
    for n in names {
        out.push(b',');
        out.extend_from_slice(n.as_bytes());
    }
    out.extend_from_slice(&line[end..]);
    Some(out)
}

/// Move line `n` of `file` to the end of the file.
pub fn move_line_to_end(host: &dyn Host, file: &Path, n: usize) -> Option<Vec<u8>> {
    let mut lines = Lines::parse(&host.read(file).ok()?);
    if n >= lines.len() {
        return None;
    }
    let l = lines.remove(n)?;
    let end = lines.len() + 1;
    lines.insert(end, &l);
    Some(lines.to_bytes())
}

/// Move line `n` of `file` to the top of the file.
pub fn move_line_to_top(host: &dyn Host, file: &Path, n: usize) -> Option<Vec<u8>> {
    let mut lines = Lines::parse(&host.read(file).ok()?);
    if n <= 1 {
        return None;
    }
    let l = lines.remove(n)?;
    lines.insert(1, &l);
    Some(lines.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_list_extension_keeps_the_rest() {
        let line = b"-a always,exit -F arch=b64 -S init_module -S delete_module -k modules\r";
        let out = append_to_last_syscall_list(line, &["finit_module"]).unwrap();
        assert_eq!(
            out,
            b"-a always,exit -F arch=b64 -S init_module -S delete_module,finit_module -k modules\r"
        );
        assert_eq!(append_to_last_syscall_list(b"-w /x -p x", &["a"]), None);
    }
}
