//! Reading one setting of a systemd service the way systemd assembles it: the unit file found
//! first on the search path, masking, `NAME.d/*.conf` drop-ins, list settings that accumulate
//! and reset on an empty assignment, and `Exec*=` command lines.
//!
//! Owns only the file layout and syntax of units (systemd.unit(5), systemd.service(5)); it does
//! not know which commands matter ([`crate::load::detect`] does). Simplified where audit units
//! never go: no specifiers (`%n`), no environment expansion, no `service.d/` top-level
//! drop-ins, no `system.control` or transient directories, no aliases' drop-in directories.

use crate::host::{FileKind, Host};
use std::path::{Path, PathBuf};

/// Unit directories, highest priority first (systemd's system search path, minus the
/// control, transient and generator directories).
pub const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// Whether `name` is enabled to start at boot, as far as the tree shows: `Some(true)` when a
/// `*.wants/` (or `*.requires/`) directory of any unit directory links it, `Some(false)` when
/// the tree has such directories (so it records enablement) but none links it, `None` when it
/// has none at all (a trimmed or synthetic tree: cannot be told). Cost: one listing per unit
/// directory and per wants directory.
pub fn enabled(host: &dyn Host, name: &str) -> Option<bool> {
    let mut any_wants = false;
    for dir in UNIT_DIRS {
        let Ok(entries) = host.read_dir(Path::new(dir)) else {
            continue;
        };
        for e in entries {
            let is_wants = e.name.ends_with(b".wants") || e.name.ends_with(b".requires");
            if !is_wants || e.kind == FileKind::File {
                continue;
            }
            any_wants = true;
            let sub = Path::new(dir).join(std::ffi::OsStr::from_bytes(&e.name));
            if host.lstat(&sub.join(name)).is_ok() {
                return Some(true);
            }
        }
    }
    any_wants.then_some(false)
}

/// One assignment, with where it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line where the assignment starts.
    pub line: usize,
    /// The raw value (continuations joined), not unquoted.
    pub value: String,
}

/// How a unit name resolves on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// No unit file in any directory.
    Missing,
    /// Masked: the first file found links to `/dev/null` or is empty.
    Masked {
        /// The masking file.
        path: PathBuf,
    },
    /// The unit file and its drop-ins in the order systemd applies them.
    Found {
        /// The unit file, then the drop-ins.
        files: Vec<PathBuf>,
    },
}

/// Whether the file at `path` masks what it stands for (a link to `/dev/null`, or an empty
/// regular file). A FIFO or device (size 0 too) is no mask: systemd opens it, and it is then
/// named as unreadable.
fn is_masked(host: &dyn Host, path: &Path) -> bool {
    let links_to_null = host
        .read_link(path)
        .is_ok_and(|t| t == Path::new("/dev/null"));
    links_to_null
        || host
            .stat(path)
            .is_ok_and(|m| m.kind == FileKind::File && m.size == 0)
}

/// Find `name` (`auditd.service`) on the unit search path, and its drop-ins.
pub fn find(host: &dyn Host, name: &str) -> Unit {
    let main = UNIT_DIRS
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| host.lstat(p).is_ok());
    let Some(main) = main else {
        return Unit::Missing;
    };
    if is_masked(host, &main) {
        return Unit::Masked { path: main };
    }
    let mut files = vec![main];
    files.extend(drop_ins(host, name));
    Unit::Found { files }
}

/// `NAME.d/*.conf` from every unit directory, sorted by file name; a name in a
/// higher-priority directory hides the same name below it; masked drop-ins (links to
/// `/dev/null`) and directories are left out. An empty drop-in (also a mask) adds nothing
/// when read, so it needs no `stat`.
///
/// Cost: one listing per unit directory, one `readlink` per symlinked drop-in, O(D log D)
/// to choose and sort D drop-ins (a map by name, not a scan per name).
fn drop_ins(host: &dyn Host, name: &str) -> Vec<PathBuf> {
    let mut chosen: std::collections::BTreeMap<Vec<u8>, PathBuf> = Default::default();
    for dir in UNIT_DIRS {
        let dir = Path::new(dir).join(format!("{name}.d"));
        let Ok(entries) = host.read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            if !entry.name.ends_with(b".conf") || chosen.contains_key(&entry.name) {
                continue;
            }
            let path = dir.join(std::ffi::OsStr::from_bytes(&entry.name));
            let masked = match entry.kind {
                FileKind::Dir => continue,
                FileKind::Symlink => is_masked(host, &path),
                FileKind::File | FileKind::Other => false,
            };
            // A masked name still hides the same name in lower directories.
            chosen.insert(entry.name, if masked { PathBuf::new() } else { path });
        }
    }
    chosen
        .into_values()
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}

/// A unit file or drop-in that systemd reads but auditguard cannot (a FIFO, no permission,
/// over the size cap): the setting cannot be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub why: String,
}

use std::os::unix::ffi::OsStrExt;

/// The effective list of `key=` assignments in `[section]` over `files` (in order): each
/// assignment appends, an empty one clears the list.
///
/// A file that vanished since it was listed is skipped; one that cannot be read otherwise is
/// [`Unreadable`]. Cost: one read per file, linear in their bytes.
pub fn list_setting(
    host: &dyn Host,
    files: &[PathBuf],
    section: &str,
    key: &str,
) -> Result<Vec<Assignment>, Unreadable> {
    let mut list = Vec::new();
    for path in files {
        let bytes = match host.read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Unreadable {
                    path: path.clone(),
                    why: e.to_string(),
                })
            }
        };
        for (line, value) in assignments(&String::from_utf8_lossy(&bytes), section, key) {
            if value.is_empty() {
                list.clear();
            } else {
                list.push(Assignment {
                    path: path.clone(),
                    line,
                    value,
                });
            }
        }
    }
    Ok(list)
}

/// `(line, value)` of every `key=value` in `[section]` of one unit file's text.
fn assignments(text: &str, section: &str, key: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_section = false;
    let mut lines = text.split('\n').enumerate();
    while let Some((index, raw)) = lines.next() {
        let mut logical = raw.trim_end_matches('\r').to_string();
        // A trailing backslash continues the line; comment lines inside are skipped.
        while logical.ends_with('\\') {
            logical.pop();
            logical.push(' ');
            match lines.next() {
                Some((_, next)) => {
                    let next = next.trim_end_matches('\r');
                    if !matches!(next.trim_start().chars().next(), Some('#' | ';')) {
                        logical.push_str(next);
                    }
                }
                None => break,
            }
        }
        let trimmed = logical.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            in_section = trimmed == format!("[{section}]");
            continue;
        }
        if let Some((k, v)) = trimmed.split_once('=') {
            if in_section && k.trim_end() == key {
                out.push((index + 1, v.trim().to_string()));
            }
        }
    }
    out
}

/// One command of an `Exec*=` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecCommand {
    /// The executable as written, without the `-@+!:|` prefixes.
    pub program: String,
    /// The arguments after argv\[0\] (after the `@` argv\[0\] word, if any).
    pub args: Vec<String>,
    /// Whether a failure is ignored (`-` prefix).
    pub ignore_failure: bool,
}

/// Split an `Exec*=` value into commands: systemd quoting (`"..."`, `'...'`, backslash),
/// commands separated by a lone `;` word, prefixes `-`, `@`, `+`, `!`, `!!`, `:`, `|`.
pub fn exec_commands(value: &str) -> Vec<ExecCommand> {
    let mut commands = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for (word, quoted) in words(value) {
        if word == ";" && !quoted {
            commands.extend(command_of(std::mem::take(&mut current)));
        } else {
            current.push(word);
        }
    }
    commands.extend(command_of(current));
    commands
}

fn command_of(words: Vec<String>) -> Option<ExecCommand> {
    let mut words = words.into_iter();
    let first = words.next()?;
    let program = first.trim_start_matches(['-', '@', '+', '!', ':', '|']);
    let prefixes = &first[..first.len() - program.len()];
    let mut program = program.to_string();
    if program.is_empty() {
        // Prefixes written apart from the path are not valid systemd; take the next word.
        program = words.next()?;
    }
    if prefixes.contains('@') {
        words.next(); // argv[0]
    }
    Some(ExecCommand {
        program,
        args: words.collect(),
        ignore_failure: prefixes.contains('-'),
    })
}

/// Words of a command line with systemd's quoting; `true` if any part of the word was quoted.
fn words(value: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return out;
        }
        let (mut word, mut quoted) = (String::new(), false);
        while let Some(c) = chars.next() {
            match c {
                c if c.is_whitespace() => break,
                '\\' => {
                    quoted = true;
                    word.extend(chars.next());
                }
                '"' | '\'' => {
                    quoted = true;
                    while let Some(q) = chars.next() {
                        match q {
                            q if q == c => break,
                            '\\' if c == '"' => word.extend(chars.next()),
                            q => word.push(q),
                        }
                    }
                }
                c => word.push(c),
            }
        }
        out.push((word, quoted));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_prefixes_quotes_and_separators() {
        let cmds = exec_commands(
            r#"-/sbin/augenrules --load ; @/sbin/auditctl auditctl -R "/etc/a b.rules""#,
        );
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].program, "/sbin/augenrules");
        assert!(cmds[0].ignore_failure);
        assert_eq!(cmds[1].program, "/sbin/auditctl");
        assert_eq!(cmds[1].args, ["-R", "/etc/a b.rules"]);
        assert_eq!(
            exec_commands("!!/usr/sbin/auditctl -R x")[0].program,
            "/usr/sbin/auditctl"
        );
        assert_eq!(exec_commands("/bin/echo \\;")[0].args, [";"]);
    }

    #[test]
    fn assignments_in_section_with_continuations() {
        let text = "[Unit]\nExecStartPost=/nope\n[Service]\n# c\nExecStartPost = /a \\\n  --x\n\
                    ExecStartPost=\n;x\nExecStartPostX=1\n";
        assert_eq!(
            assignments(text, "Service", "ExecStartPost"),
            [(5, "/a    --x".to_string()), (7, String::new())]
        );
    }
}
