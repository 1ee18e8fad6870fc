//! Rule text → commands, exactly as `auditctl -R` reads a rules file (auditctl 3.0.9).
//!
//! Two stages: [`lex`] cuts a file into the lines and tokens auditctl sees (fgets lines of at
//! most 6143 bytes, `\n` removed but `\r` kept, space-only splitting, `\ ` and `\\` escapes,
//! comments), and [`parse`] runs auditctl's option handling on each line's tokens, producing
//! [`Command`]s whose rules are already in kernel shape ([`crate::model::Rule`]).
//!
//! Resolving a rule needs a few facts about the target (its machine type for `-S` names and
//! `b32`/`b64`, its user and group databases, whether a watched path is a directory); they come
//! in through [`ParseContext`], never from the machine auditguard happens to run on.
//!
//! This module refuses to know about loading order, files other than the one it is given, or
//! the kernel's reaction to a rule (duplicates, missing watch parents): that is `load`.

pub mod lex;
mod options;
pub mod parse;
mod value;

use crate::host::Host;
use crate::model::{Machine, Rule};

/// What the parser needs to know about the target system.
pub struct ParseContext<'a> {
    /// The target's machine: the table for `-S` names without `-F arch`, and what `b64`/`b32`
    /// mean.
    pub machine: Machine,
    /// The target: user and group names (`-F uid=root`), and `stat` for `-w` (directory
    /// watches become `dir=`, everything else `path=`).
    pub host: &'a dyn Host,
}

/// A 1-based position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Line number as auditctl counts it (1-based).
    pub line: u32,
    /// Byte column of the offending token in that line (1-based); 1 when the whole line is
    /// concerned.
    pub column: u32,
}

/// One line of a rules file after parsing.
#[derive(Debug, Clone)]
pub struct ParsedLine {
    /// Where the line starts.
    pub span: Span,
    /// Byte range of the line's text in the file (without its `\n`).
    pub range: std::ops::Range<usize>,
    /// What the line means.
    pub kind: LineKind,
    /// Warnings auditctl prints but that do not make the line fail (e.g. the 32/64 bit
    /// syscall mismatch, an illegal character in a key).
    pub warnings: Vec<Diagnostic>,
}

/// The meaning of a line.
#[derive(Debug, Clone)]
pub enum LineKind {
    /// Empty or ASCII spaces only: auditctl skips it.
    Blank,
    /// First token starts with `#`: auditctl skips it.
    Comment,
    /// The commands of the line, in the order auditctl carries them out. A rule to add or
    /// delete, if any, is always last (auditctl sends it after parsing the whole line).
    Commands(Vec<Command>),
    /// auditctl rejects the line: with neither `-c` nor `-i` seen before, the load stops here.
    Error(Diagnostic),
}

/// One thing a line asks auditctl to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `-a`/`-A`/`-w`: add a rule (prepend when `rule.prepend`).
    AddRule(Rule),
    /// `-d`/`-W`: delete the identical rule.
    DeleteRule(Rule),
    /// `-D` (optionally `-D -k KEY`: only rules whose key contains KEY).
    DeleteAll {
        /// The key substring filter of `-D -k`.
        key: Option<Vec<u8>>,
    },
    /// `-e N`
    SetEnabled(u32),
    /// `-f N`
    SetFailure(u32),
    /// `-r N`
    SetRateLimit(u32),
    /// `-b N`
    SetBacklogLimit(u32),
    /// `--backlog_wait_time N`
    SetBacklogWaitTime(u32),
    /// `--reset-lost`
    ResetLost,
    /// `--reset_backlog_wait_time_actual`
    ResetBacklogWaitTimeActual,
    /// `--loginuid-immutable`: locks loginuid until reboot.
    LoginuidImmutable,
    /// `-c`: continue after errors (the load's exit status becomes 1).
    ContinueOnError,
    /// `-i`: ignore errors.
    IgnoreErrors,
    /// The line fails here, after the commands before it took effect: auditctl carries out
    /// `-i`, `-c`, `-e`, `-b`, ... as it meets them, so `-i -S nope` goes on with the next
    /// line and `-e 1 -S nope` enables auditing before it stops the load. Always last; a line
    /// that fails before any effect is [`LineKind::Error`] instead.
    Failed(Diagnostic),
    /// A line auditctl accepts but that changes no rule or setting (`-l`, `-s`, `-m`, `-t`,
    /// `-q`, `-v`, `--signal`, and `possible` rules, which it drops with a warning).
    NoEffect(&'static str),
}

/// A message about a line: an error (auditctl refuses it) or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub span: Span,
    /// What, in auditctl's wording where it has one (e.g. "Syscall name unknown: foo").
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.span.line, self.span.column, self.message
        )
    }
}

/// Parse a whole rules file as `auditctl -R` would read it.
pub fn parse_file(text: &[u8], ctx: &ParseContext) -> Vec<ParsedLine> {
    parse_lines(text, ctx).collect()
}

/// [`parse_file`] one line at a time: only the line being parsed is alive, so a consumer
/// that moves each line's rules away never holds the whole parse.
pub fn parse_lines<'a>(
    text: &'a [u8],
    ctx: &'a ParseContext<'a>,
) -> impl Iterator<Item = ParsedLine> + 'a {
    parse::parse_lines(text, ctx)
}
