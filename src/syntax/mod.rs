//! Rule text → commands, exactly as `auditctl -R` reads a rules file (auditctl 3.0.9).
//!
//! Two stages: [`lex`] cuts a file into the lines and tokens auditctl sees (fgets lines of at
//! most 6143 bytes, `\n` removed but `\r` kept, space-only splitting, `\ ` and `\\` escapes,
//! comments), and [`parse`] runs auditctl's option handling on each line's tokens, producing
//! [`Command`]s whose rules are already in kernel shape ([`crate::model::Rule`]).
//!
//! Parsing needs two facts about the target (its machine type for `-S` names and
//! `b32`/`b64`, its user and group names); they come in as data through [`ParseContext`]. The
//! parser reads nothing: whether `-w` names a directory, and the kernel's reaction to a rule
//! (invalid, missing watch parent, duplicate, locked), are `load::resolve`'s and the load
//! simulation's. Line numbers are physical lines (what an editor shows and what origins and
//! `fix` count); auditctl's own count of `fgets` chunks is kept beside them.

pub mod lex;
mod options;
pub mod parse;
mod value;

use crate::model::{Accounts, Machine, Rule};

/// What the parser needs to know about the target system, as data.
pub struct ParseContext<'a> {
    /// The target's machine: the table for `-S` names without `-F arch`, and what `b64`/`b32`
    /// mean.
    pub machine: Machine,
    /// The target's user and group names (`-F uid=root`).
    pub accounts: &'a Accounts,
}

/// A 1-based position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Physical line number (1-based; lines end at `\n`), as an editor and [`lex::LineMap`]
    /// count them. A line longer than auditctl's 6,143-byte `fgets` buffer is several auditctl
    /// lines but one physical line.
    pub line: u32,
    /// Byte column of the offending token in that physical line (1-based); the first column
    /// of the `fgets` chunk when the whole chunk is concerned.
    pub column: u32,
}

/// One line of a rules file after parsing.
#[derive(Debug, Clone)]
pub struct ParsedLine {
    /// Where the line starts.
    pub span: Span,
    /// auditctl's line number: the count of `fgets` chunks (differs from `span.line` after a
    /// line longer than 6,143 bytes).
    pub chunk: u32,
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
    /// `-d`: delete the identical rule.
    DeleteRule(Rule),
    /// `-w`: add a watch. The rule holds `path=` and `perm=`; `load::resolve` makes it `dir=`
    /// when the path is a directory on the target, as auditctl's `stat` does.
    AddWatch(Rule),
    /// `-W`: delete a watch (resolved like [`Command::AddWatch`]).
    DeleteWatch(Rule),
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

impl Command {
    /// Whether it adds a rule (`-a`, `-A`, `-w`).
    pub fn adds_rule(&self) -> bool {
        matches!(self, Command::AddRule(_) | Command::AddWatch(_))
    }

    /// Whether it adds or deletes a rule.
    pub fn is_rule(&self) -> bool {
        matches!(
            self,
            Command::AddRule(_)
                | Command::DeleteRule(_)
                | Command::AddWatch(_)
                | Command::DeleteWatch(_)
        )
    }
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
