//! auditctl's option handling, one line at a time (`setopt` and `handle_request` in
//! `src/auditctl.c` of auditctl 3.0.9).
//!
//! Each line is a fresh auditctl invocation: [`super::options`] scans the tokens as
//! `getopt_long` does, each option acts on a [`Draft`] rule and on auditctl's per-line state
//! (`add`, `del`, `action`, `key`, ...), and the line ends the way `handle_request` ends it:
//! a rule to add or delete, settings, nothing, or an error. The first error ends the line, as
//! auditctl stops its option loop at the first failing option.
//!
//! The parser is pure: it reads nothing but the text and the [`ParseContext`]. What the kernel
//! answers when the rule is sent (`EINVAL` for a relative watch path or a second key, `ENOENT`
//! for a missing watch parent, `EEXIST`, `EPERM` after `-e 2`) and whether `-w` names a
//! directory are decided later, by `load::resolve` and the load simulation.
//!
//! Where auditctl runs side effects before failing later on the same line (`-e 1 -S nope`
//! enables auditing, then fails; `-i foo` sets ignore-errors, then fails — and because
//! ignore is already set, auditctl goes on with the next line), the line is
//! [`LineKind::Commands`] ending in [`Command::Failed`], so the loader sees both.

use super::lex::{self, Class, Token};
use super::options::{Arg, Code, Getopt, OptArg, Step};
use super::value::{
    self, show, Draft, RecentKeys, FILTER_EXCLUDE, FILTER_EXIT, FILTER_FS, FILTER_MASK,
    FILTER_PREPEND, FILTER_TASK, FILTER_UNSET, FILTER_USER, MAX_FIELDS, PATH_MAX,
};
use super::{Command, Diagnostic, LineKind, ParseContext, ParsedLine, Span};
use crate::model::field::FieldType;
use crate::model::rule::{Action, Field, List, Mask, Op, Rule, Value, MAX_KEY_LEN, NAME_MAX};
use crate::model::{cnum, syscalls, Machine};

/// `AUDIT_ALWAYS`
const ALWAYS: i32 = 2;
/// `AUDIT_NEVER`
const NEVER: i32 = 0;
/// `AUDIT_PERM_*` all four: the default of a watch.
const PERM_ALL: u32 = 15;

/// Parse a whole file.
pub fn parse_file(text: &[u8], ctx: &ParseContext) -> Vec<ParsedLine> {
    parse_lines(text, ctx).collect()
}

/// Parse a file lazily, line by line. The token and argv buffers are reused from line to line.
pub fn parse_lines<'a>(
    text: &'a [u8],
    ctx: &'a ParseContext<'a>,
) -> impl Iterator<Item = ParsedLine> + 'a {
    let mut pos = 0;
    let mut number = 0u32;
    let mut map = lex::LineMap::new();
    let mut tokens: Vec<Token<'a>> = Vec::new();
    let mut argv: Vec<Arg<'static>> = Vec::new();
    // The draft's fields buffer, reused from line to line (see `Setopt::rule`), and the keys
    // it stored lately.
    let mut fields: Vec<Field> = Vec::new();
    let mut keys = RecentKeys::default();
    std::iter::from_fn(move || {
        let range = lex::next_line(text, &mut pos)?;
        number = number.saturating_add(1);
        let (physical, offset) = map.place(&range, pos);
        let span = Span {
            line: physical,
            column: offset + 1,
        };
        let (kind, warnings) = match lex::lex_line_into(&text[range.clone()], &mut tokens) {
            Class::Blank => (LineKind::Blank, Vec::new()),
            Class::Comment => (LineKind::Comment, Vec::new()),
            Class::Tokens => {
                let mut line = Setopt::new(number, ctx);
                line.place = (physical, offset);
                line.draft.fields = std::mem::take(&mut fields);
                line.draft.keys = std::mem::take(&mut keys);
                let (kind, buffer) = line.run_with(&tokens, std::mem::take(&mut argv));
                argv = buffer;
                fields = std::mem::take(&mut line.draft.fields);
                fields.clear();
                keys = std::mem::take(&mut line.draft.keys);
                (kind, line.warnings)
            }
        };
        Some(ParsedLine {
            span,
            chunk: number,
            range,
            kind,
            warnings,
        })
    })
}

/// Parse one line's tokens as auditctl line `lineno`.
pub fn parse_tokens(
    tokens: &[Token<'_>],
    lineno: u32,
    ctx: &ParseContext,
) -> (LineKind, Vec<Diagnostic>) {
    let mut line = Setopt::new(lineno, ctx);
    let (kind, _) = line.run_with(tokens, Vec::new());
    (kind, line.warnings)
}

/// What `-k` keys become: the field pair `key=<keys>`.
const KEY_PREFIX: &[u8] = b"key=";

/// A `key_pair` holding the prefix and no key.
fn key_pair_buffer() -> [u8; KEY_PREFIX.len() + MAX_KEY_LEN] {
    let mut buf = [0; KEY_PREFIX.len() + MAX_KEY_LEN];
    buf[..KEY_PREFIX.len()].copy_from_slice(KEY_PREFIX);
    buf
}

/// What an option does to the option loop (auditctl's `retval` protocol).
enum Act {
    /// `retval` unchanged.
    Keep,
    /// `retval = n` (1: send a rule, -2: done, no reply).
    Set(i32),
    /// `return n` straight out of `setopt`, skipping the end-of-line checks.
    Return(i32),
}

type Fail = Box<Diagnostic>;

/// auditctl's per-line state (`reset_vars`).
struct Setopt<'a> {
    ctx: &'a ParseContext<'a>,
    /// auditctl's line number (fgets chunks), for its own messages.
    lineno: u32,
    /// Where diagnostics point: the physical line, and the chunk's byte offset in it.
    place: (u32, u32),
    add: i32,
    del: i32,
    action: i32,
    exclude: bool,
    multiple: u32,
    list_requested: bool,
    draft: Draft,
    /// `key=` followed by the key bytes so far: the pair `-k` adds, built without allocating.
    key_pair: [u8; KEY_PREFIX.len() + MAX_KEY_LEN],
    /// Bytes of the key in `key_pair` (after the prefix).
    key_len: usize,
    key_column: u32,
    commands: Vec<Command>,
    warnings: Vec<Diagnostic>,
}

impl<'a> Setopt<'a> {
    fn new(lineno: u32, ctx: &'a ParseContext<'a>) -> Setopt<'a> {
        Setopt {
            ctx,
            lineno,
            place: (lineno, 0),
            add: FILTER_UNSET,
            del: FILTER_UNSET,
            action: -1,
            exclude: false,
            multiple: 0,
            list_requested: false,
            draft: Draft::new(),
            key_pair: key_pair_buffer(),
            key_len: 0,
            key_column: 1,
            commands: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn fail(&self, column: u32, message: impl Into<String>) -> Fail {
        Box::new(Diagnostic {
            span: Span {
                line: self.place.0,
                column: column.max(1).saturating_add(self.place.1),
            },
            message: message.into(),
        })
    }

    fn warn(&mut self, column: u32, message: impl Into<String>) {
        let d = self.fail(column, message);
        self.warnings.push(*d);
    }

    /// [`Setopt::run`] with `argv` as the scanner's buffer, handed back for the next line.
    fn run_with(
        &mut self,
        tokens: &[Token<'_>],
        argv: Vec<Arg<'_>>,
    ) -> (LineKind, Vec<Arg<'static>>) {
        let args = tokens.iter().map(|t| Arg {
            bytes: &t.bytes,
            column: t.column,
        });
        let mut g = Getopt::with_buffer(argv, args);
        let kind = match self.run(&mut g) {
            Ok(kind) => kind,
            // Only effects that matter to the load make a failed line `Commands`.
            Err(d)
                if self
                    .commands
                    .iter()
                    .all(|c| matches!(c, Command::NoEffect(_))) =>
            {
                LineKind::Error(*d)
            }
            Err(d) => {
                let mut done = std::mem::take(&mut self.commands);
                done.push(Command::Failed(*d));
                LineKind::Commands(done)
            }
        };
        (kind, g.into_buffer())
    }

    /// `setopt` followed by `handle_request`, over the line's argv in `g`.
    fn run(&mut self, g: &mut Getopt<'_>) -> Result<LineKind, Fail> {
        let mut count = g.argv.len();
        let mut retval = 0;
        while retval >= 0 {
            match g.next(count) {
                Step::End => break,
                Step::Bad { .. } => {
                    let (bad, column) = match g.optind {
                        i if i >= 2 => {
                            let a = g.var(i - 1).expect("optind within argv");
                            (show(a.bytes), a.column)
                        }
                        _ => (" ".to_string(), 1),
                    };
                    return Err(self.fail(
                        column,
                        format!("Option {bad} on line {} is invalid", self.lineno),
                    ));
                }
                Step::Opt { code, arg, column } => {
                    match self.option(code, arg, column, g, &mut count)? {
                        Act::Keep => {}
                        Act::Set(n) => retval = n,
                        Act::Return(n) => return self.finish(n),
                    }
                }
            }
        }
        // "catch extra args or errors where the user types "- s""
        if g.optind == 1 {
            let column = g.var(1).map_or(1, |a| a.column);
            return Err(self.fail(
                column,
                "no option given (auditctl reports only the line number)",
            ));
        } else if g.optind < count {
            let column = g.var(g.optind).map_or(1, |a| a.column);
            return Err(self.fail(column, "parameter passed without an option given"));
        }
        if self.key_len > 0 && !self.list_requested {
            let flags = if self.add != FILTER_UNSET {
                self.add & FILTER_MASK
            } else if self.del != FILTER_UNSET {
                self.del & FILTER_MASK
            } else {
                0
            };
            let pair = &self.key_pair[..KEY_PREFIX.len() + self.key_len];
            value::fieldpair(&mut self.draft, pair, flags, self.ctx)
                .map_err(|m| self.fail(self.key_column, m))?;
        }
        self.finish(retval)
    }

    /// `handle_request(retval)`.
    fn finish(&mut self, retval: i32) -> Result<LineKind, Fail> {
        let mut commands = std::mem::take(&mut self.commands);
        match retval {
            -3 => commands.push(Command::NoEffect("possible")),
            0 if self.draft.syscall_added => {
                return Err(self.fail(1, "Error - no list specified"));
            }
            n if n > 0 => commands.push(self.rule()?),
            _ => {}
        }
        Ok(LineKind::Commands(commands))
    }

    /// The rule `handle_request` sends, checked as the kernel would.
    fn rule(&mut self) -> Result<Command, Fail> {
        let (flags, adding) = if self.add != FILTER_UNSET {
            (self.add, true)
        } else {
            (self.del, false)
        };
        let list = flags & FILTER_MASK;
        let mut mask = std::mem::replace(&mut self.draft.mask, Mask::EMPTY);
        if (list != FILTER_TASK && !self.draft.syscall_added) || mask.is_all() {
            mask = Mask::all();
        }
        let rule = Rule {
            list: List::from_number(list as u32),
            action: Action::from_number(self.action as u32),
            prepend: adding && flags & FILTER_PREPEND != 0,
            // Moved out at their exact count, the draft keeping its buffer: a rule lives as
            // long as the load (100,000 of them), and a doubled buffer kept room for 8 fields
            // where 5 were given (a third of a 100,000-line load's memory).
            fields: self.draft.fields.drain(..).collect(),
            mask,
        };
        // The kernel's own checks (EINVAL, ENOENT, EEXIST, EPERM) are `load::resolve`'s and
        // the load simulation's: they depend on the target and on what is loaded.
        Ok(match (adding, self.draft.watch) {
            (true, false) => Command::AddRule(rule),
            (false, false) => Command::DeleteRule(rule),
            (true, true) => Command::AddWatch(rule),
            (false, true) => Command::DeleteWatch(rule),
        })
    }

    /// One `case` of setopt's switch.
    fn option(
        &mut self,
        code: Code,
        arg: Option<OptArg<'_>>,
        column: u32,
        g: &mut Getopt<'_>,
        count: &mut usize,
    ) -> Result<Act, Fail> {
        let arg = arg.unwrap_or(OptArg { bytes: b"", column });
        let (a, acol) = (arg.bytes, arg.column);
        let c = match code {
            Code::Short(c) => c,
            Code::LoginuidImmutable => {
                self.commands.push(Command::LoginuidImmutable);
                return Ok(Act::Return(-2));
            }
            Code::BacklogWaitTime => {
                let n = self.number(a, acol, "Backlog_wait_time", "backlog_wait_time")?;
                self.commands.push(Command::SetBacklogWaitTime(n));
                return Ok(Act::Keep);
            }
            Code::ResetLost => {
                self.commands.push(Command::ResetLost);
                return Ok(Act::Return(-2));
            }
            Code::ResetBacklogWaitTimeActual => {
                self.commands.push(Command::ResetBacklogWaitTimeActual);
                return Ok(Act::Return(-2));
            }
            Code::Signal => {
                let known = ["TERM", "HUP", "USR1", "USR2", "CONT"];
                if !known.iter().any(|s| s.as_bytes().eq_ignore_ascii_case(a)) {
                    return Err(self.fail(acol, format!("{} is an unsupported signal", show(a))));
                }
                self.commands.push(Command::NoEffect("--signal"));
                return Ok(Act::Set(-2));
            }
        };
        match c {
            b'h' => Err(self.fail(column, "-h prints the usage and fails the line")),
            b'i' => {
                self.commands.push(Command::IgnoreErrors);
                Ok(Act::Set(-2))
            }
            b'c' => {
                self.commands.push(Command::ContinueOnError);
                Ok(Act::Set(-2))
            }
            b's' => {
                if *count > 3 {
                    return Err(self.fail(column, "Too many options for status command"));
                }
                if g.optind == 2 && *count == 3 {
                    if g.var(2).is_some_and(|v| v.bytes == b"-i") {
                        *count -= 1;
                    } else {
                        return Err(self.fail(column, "Only -i option is allowed"));
                    }
                }
                self.commands.push(Command::NoEffect("-s"));
                Ok(Act::Set(-2))
            }
            b'e' | b'f' => {
                let n = match a {
                    b"0" => 0,
                    b"1" => 1,
                    b"2" => 2,
                    _ => {
                        let what = if c == b'e' { "Enable" } else { "Failure" };
                        return Err(
                            self.fail(acol, format!("{what} must be 0, 1, or 2 was {}", show(a)))
                        );
                    }
                };
                self.commands.push(if c == b'e' {
                    Command::SetEnabled(n)
                } else {
                    Command::SetFailure(n)
                });
                Ok(Act::Keep)
            }
            b'r' => {
                let n = self.number(a, acol, "Rate", "rate")?;
                self.commands.push(Command::SetRateLimit(n));
                Ok(Act::Keep)
            }
            b'b' => {
                let n = self.number(a, acol, "Backlog", "backlog")?;
                self.commands.push(Command::SetBacklogLimit(n));
                Ok(Act::Keep)
            }
            b'l' => {
                if *count > 4 {
                    return Err(self.fail(column, "Wrong number of options for list request"));
                }
                let next = g.var(g.optind).map(|v| v.bytes);
                if *count == 3 {
                    match next {
                        None => return Err(self.crash(column)),
                        Some(b"-i") => *count -= 1,
                        Some(_) => {
                            return Err(self.fail(column, "Only -k or -i options are allowed"))
                        }
                    }
                } else if *count == 4 {
                    if next == Some(b"-k") {
                        *count -= 2;
                    } else {
                        return Err(self.fail(column, "Only -k or -i options are allowed"));
                    }
                }
                self.list_requested = true;
                self.commands.push(Command::NoEffect("-l"));
                Ok(Act::Set(-2))
            }
            b'a' | b'A' | b'd' => self.list_action(c, a, acol),
            b'S' => self.syscall(a, acol).map(|()| Act::Keep),
            b'F' => self.field(a, acol, g, *count).map(|()| Act::Keep),
            b'C' => {
                let flags = self.flags().unwrap_or(FILTER_UNSET);
                value::compare(&mut self.draft, a, flags).map_err(|m| self.fail(acol, m))?;
                Ok(Act::Keep)
            }
            b'm' => {
                if *count > 3 {
                    return Err(self.fail(
                        column,
                        "The -m option must be only the only option and takes 1 parameter",
                    ));
                }
                // `*s < 32` on a signed char: control bytes and every byte >= 0x80.
                if a.iter().any(|b| *b < 32 || *b >= 0x80) {
                    return Err(self.fail(acol, "Illegal character in audit event"));
                }
                self.commands.push(Command::NoEffect("-m"));
                Ok(Act::Return(-2))
            }
            b'R' => Err(self.fail(column, "Error - nested rule files not supported")),
            b'D' => {
                if *count > 4 || *count == 3 {
                    return Err(self.fail(column, "Wrong number of options for Delete all request"));
                }
                let mut key = None;
                if *count == 4 {
                    match g.var(g.optind) {
                        None => return Err(self.crash(column)),
                        Some(v) if v.bytes == b"-k" => {
                            // auditctl takes the literal vars[3], after permutation.
                            let k = g.var(3).map_or(&b""[..], |v| v.bytes);
                            key = Some(k[..k.len().min(MAX_KEY_LEN)].to_vec());
                            *count -= 2;
                        }
                        Some(_) => return Err(self.fail(column, "Only the -k option is allowed")),
                    }
                }
                self.commands.push(Command::DeleteAll { key });
                Ok(Act::Set(-2))
            }
            b'w' => {
                if self.add != FILTER_UNSET || self.del != FILTER_UNSET {
                    return Err(self.fail(column, "watch option can't be given with a syscall"));
                }
                self.add = FILTER_EXIT;
                self.action = ALWAYS;
                self.draft.syscall_added = true;
                self.watch(a, acol)?;
                Ok(Act::Set(1))
            }
            b'W' => {
                self.del = FILTER_EXIT;
                self.action = ALWAYS;
                self.draft.syscall_added = true;
                self.watch(a, acol)?;
                Ok(Act::Set(1))
            }
            b'k' => {
                let d = &self.draft;
                if !(d.syscall_added || d.perm_added || d.exe_added || d.fs_added)
                    || (self.add == FILTER_UNSET && self.del == FILTER_UNSET)
                {
                    return Err(self.fail(
                        column,
                        "key option needs a watch or syscall given prior to it",
                    ));
                }
                self.add_key(a, acol)?;
                Ok(Act::Keep)
            }
            b'p' => {
                if self.add == FILTER_UNSET && self.del == FILTER_UNSET {
                    return Err(
                        self.fail(column, "permission option needs a watch given prior to it")
                    );
                }
                self.perms(a, acol)?;
                Ok(Act::Set(1))
            }
            b'q' => {
                if self.draft.syscall_added {
                    return Err(self.fail(column, "Syscall auditing requested for make equivalent"));
                }
                let parts: Vec<&[u8]> = a.splitn(2, |b| *b == b',').collect();
                if parts.len() != 2 || parts[1].is_empty() || parts[1].contains(&b',') {
                    return Err(self.fail(acol, "Error parsing equivalent parts"));
                }
                self.commands.push(Command::NoEffect("-q"));
                Ok(Act::Return(-2))
            }
            b't' => {
                self.commands.push(Command::NoEffect("-t"));
                Ok(Act::Return(-2))
            }
            b'v' => {
                self.commands.push(Command::NoEffect("-v"));
                Ok(Act::Set(-2))
            }
            _ => unreachable!("every OPTSTRING letter is handled"),
        }
    }

    /// auditctl 3.0.9 calls `strcmp(NULL, ..)` here and dies.
    fn crash(&self, column: u32) -> Fail {
        self.fail(
            column,
            "auditctl 3.0.9 crashes on this line (strcmp on a missing argument)",
        )
    }

    /// `-b`, `-r`, `--backlog_wait_time`: must start with a digit, strtoul base 0.
    fn number(&self, a: &[u8], col: u32, what: &str, conv: &str) -> Result<u32, Fail> {
        if !a.first().is_some_and(u8::is_ascii_digit) {
            return Err(self.fail(
                col,
                format!("{what} must be a numeric value was {}", show(a)),
            ));
        }
        let n = cnum::strtoul(a, 0);
        if n.overflow {
            return Err(self.fail(col, format!("Error converting {conv}")));
        }
        Ok(n.as_u32())
    }

    /// The list flags `-F`/`-C` use: `add` or `del` without PREPEND.
    fn flags(&self) -> Option<i32> {
        if self.add != FILTER_UNSET {
            Some(self.add & FILTER_MASK)
        } else if self.del != FILTER_UNSET {
            Some(self.del & FILTER_MASK)
        } else {
            None
        }
    }

    /// `-a`, `-A`, `-d`.
    fn list_action(&mut self, c: u8, a: &[u8], col: u32) -> Result<Act, Fail> {
        let has_task = a.windows(4).any(|w| w == b"task");
        if c != b'd' && has_task && self.draft.syscall_added {
            let msg = if c == b'a' {
                "Syscall auditing requested for task list"
            } else {
                "Error: syscall auditing requested for task list"
            };
            return Err(self.fail(col, msg));
        }
        let mut filter = if c == b'd' { self.del } else { self.add };
        let rc = self.rule_setup(a, &mut filter);
        if c == b'd' {
            self.del = filter;
        } else {
            self.add = filter;
        }
        let verb = match c {
            b'a' => "Append",
            b'A' => "Add",
            _ => "Delete",
        };
        match rc {
            3 => Err(self.fail(
                col,
                "Multiple rule insert/delete operations are not allowed",
            )),
            2 => Err(self.fail(col, format!("{verb} rule - bad keyword {}", show(a)))),
            1 => {
                let verb = if c == b'd' { "Delete" } else { "Append" };
                self.warn(col, format!("{verb} rule - possible is deprecated"));
                Ok(Act::Return(-3))
            }
            _ => {
                if c == b'A' {
                    self.add |= FILTER_PREPEND;
                }
                Ok(Act::Set(1))
            }
        }
    }

    /// `audit_rule_setup`: 0 ok, 1 possible, 2 bad keyword, 3 multiple.
    fn rule_setup(&mut self, opt: &[u8], filter: &mut i32) -> u8 {
        self.multiple += 1;
        if self.multiple != 1 {
            return 3;
        }
        let Some(p) = opt.iter().position(|b| *b == b',') else {
            return 2;
        };
        let (first, second) = (&opt[..p], &opt[p + 1..]);
        if second.contains(&b',') {
            return 2;
        }
        if self.lookup_action(first) == 2 {
            let rc = self.lookup_filter(first, filter);
            if rc != 0 {
                return rc;
            }
        }
        if *filter == FILTER_UNSET {
            self.lookup_filter(second, filter);
        } else {
            let rc = self.lookup_action(second);
            if rc != 0 {
                return rc;
            }
        }
        if *filter == FILTER_UNSET || self.action == -1 {
            return 2;
        }
        0
    }

    fn lookup_filter(&mut self, s: &[u8], filter: &mut i32) -> u8 {
        *filter = match s {
            b"exit" => FILTER_EXIT,
            b"task" => FILTER_TASK,
            b"user" => FILTER_USER,
            b"exclude" => {
                self.exclude = true;
                FILTER_EXCLUDE
            }
            b"filesystem" => FILTER_FS,
            _ => return 2,
        };
        0
    }

    fn lookup_action(&mut self, s: &[u8]) -> u8 {
        self.action = match s {
            b"always" => ALWAYS,
            b"never" => NEVER,
            b"possible" => return 1,
            _ => return 2,
        };
        0
    }

    /// `-S`.
    fn syscall(&mut self, a: &[u8], col: u32) -> Result<(), Fail> {
        let list = |f: i32| f & (FILTER_MASK | FILTER_UNSET);
        for (l, name) in [
            (FILTER_TASK, "task"),
            (FILTER_USER, "user"),
            (FILTER_FS, "filesystem"),
        ] {
            if list(self.add) == l || list(self.del) == l {
                return Err(self.fail(
                    col,
                    format!("Error: syscall auditing being added to {name} list"),
                ));
            }
        }
        if self.exclude {
            return Err(self.fail(col, "Error: syscall auditing cannot be put on exclude list"));
        }
        let unknown_arch = self.draft.elf == 0;
        if unknown_arch {
            self.draft.elf = self.ctx.machine.audit_arch();
        }
        let machine = Machine::from_audit_arch(self.draft.elf).unwrap_or(self.ctx.machine);
        let mut mask = std::mem::replace(&mut self.draft.mask, Mask::EMPTY);
        let result = add_syscalls(&mut mask, machine, a);
        self.draft.mask = mask;
        if let Err(name) = result {
            return Err(self.fail(col, format!("Syscall name unknown: {}", show(name))));
        }
        self.draft.syscall_added = true;
        if unknown_arch && self.add != FILTER_UNSET {
            self.check_mismatch(machine, a, col);
        }
        Ok(())
    }

    /// `check_rule_mismatch`: on x86_64, ppc64 and s390x without an arch, warn when the
    /// 32-bit table gives other numbers. auditctl compares `AUDIT_BITMASK_SIZE` (64) *bytes*,
    /// i.e. only syscalls below 512.
    fn check_mismatch(&mut self, machine: Machine, a: &[u8], col: u32) {
        let compat = match machine {
            Machine::X86_64 | Machine::Ppc64 | Machine::S390x => machine.compat32(),
            _ => None,
        };
        let Some(compat) = compat else { return };
        let mut tmp = Mask::EMPTY;
        for piece in a.split(|b| *b == b',').filter(|p| !p.is_empty()) {
            let _ = add_syscall(&mut tmp, compat, piece);
        }
        if tmp.words()[..16] != self.draft.mask.words()[..16] {
            let msg = format!(
                "WARNING - 32/64 bit syscall mismatch in line {}, you should specify an arch",
                self.lineno
            );
            self.warn(col, msg);
        }
    }

    /// `-F`.
    fn field(&mut self, a: &[u8], col: u32, g: &Getopt<'_>, count: usize) -> Result<(), Fail> {
        let flags = match self.flags() {
            Some(f) => f,
            None => {
                let arch = a.windows(5).any(|w| w == b"arch=");
                let next_is_t =
                    g.optind < count && g.var(g.optind).is_some_and(|v| v.bytes == b"-t");
                if !(arch && next_is_t) {
                    return Err(self.fail(col, "List must be given before field"));
                }
                FILTER_UNSET
            }
        };
        if let Some(k) = a.strip_prefix(b"key=") {
            return self.add_key(k, col.saturating_add(4));
        }
        value::fieldpair(&mut self.draft, a, flags, self.ctx).map_err(|m| self.fail(col, m))
    }

    /// `process_keys`: collect a key for the final FILTERKEY field.
    fn add_key(&mut self, k: &[u8], col: u32) -> Result<(), Fail> {
        let sep = usize::from(self.key_len > 0);
        if k.len() + self.key_len + sep > MAX_KEY_LEN {
            return Err(self.fail(col, "key option exceeds size limit"));
        }
        if k.contains(&crate::model::rule::KEY_SEPARATOR) {
            self.warn(col, format!("key {} has illegal character", show(k)));
        }
        let mut at = KEY_PREFIX.len() + self.key_len;
        if self.key_len == 0 {
            self.key_column = col;
        } else {
            self.key_pair[at] = crate::model::rule::KEY_SEPARATOR;
            at += 1;
        }
        self.key_pair[at..at + k.len()].copy_from_slice(k);
        self.key_len += sep + k.len();
        Ok(())
    }

    /// `audit_setup_watch_name`: check, trim, stat, and make the rule a watch.
    fn watch(&mut self, path: &[u8], col: u32) -> Result<(), Fail> {
        if path.len() >= PATH_MAX {
            return Err(self.fail(col, "The path passed for the watch is too big"));
        }
        if path.first() != Some(&b'/') {
            return Err(self.fail(col, "The path must start with '/'"));
        }
        if posix_basename(path).len() > NAME_MAX {
            return Err(self.fail(col, "The base name of the path is too big"));
        }
        if path.windows(2).any(|w| w == b"..") {
            self.warn(col, "Warning - relative path notation is not supported");
        }
        if path.iter().any(|b| *b == b'*' || *b == b'?') {
            self.warn(col, "Warning - wildcard notation is not supported");
        }
        let mut len = path.len();
        if len > 2 && path[len - 1] == b'/' {
            while len > 1 && path[len - 1] == b'/' {
                len -= 1;
            }
        }
        let path = &path[..len];
        if !self.draft.fields.is_empty() {
            return Err(self.fail(col, "Rule is not empty"));
        }
        // auditctl stats the path here and writes `dir=` for a directory: that reads the
        // target, so `load::resolve` decides it; the parser writes `path=` and marks the watch.
        self.draft.watch = true;
        self.draft.mask = Mask::all();
        // (the fields are empty: checked above; the buffer is kept)
        self.draft.fields.extend([
            Field::str(FieldType::PATH, Op::Equal, path.to_vec()),
            Field::num(FieldType::PERM, Op::Equal, PERM_ALL),
        ]);
        self.draft.perm_added = true;
        Ok(())
    }

    /// `audit_setup_perms` + `audit_update_watch_perms`.
    fn perms(&mut self, a: &[u8], col: u32) -> Result<(), Fail> {
        if a.len() > 4 {
            return Err(self.fail(col, format!("permission {} is too long", show(a))));
        }
        let bits = value::watch_perm_bits(a)
            .map_err(|c| self.fail(col, format!("Permission {} isn't supported", show(&[c]))))?;
        if self.draft.fields.is_empty() {
            return Err(self.fail(col, "Permissions should be preceeded by other fields"));
        }
        let mut done = false;
        for f in self
            .draft
            .fields
            .iter_mut()
            .filter(|f| f.kind == FieldType::PERM)
        {
            f.value = Value::Num(bits);
            done = true;
        }
        if !done {
            if self.draft.fields.len() >= MAX_FIELDS - 1 {
                return Err(self.fail(col, "Too many fields when adding permissions"));
            }
            self.draft
                .fields
                .push(Field::num(FieldType::PERM, Op::Equal, bits));
        }
        self.draft.perm_added = true;
        Ok(())
    }
}

/// `parse_syscall`: a name, number, `all`, or a comma list of them. Returns the piece that
/// failed.
fn add_syscalls<'s>(mask: &mut Mask, machine: Machine, a: &'s [u8]) -> Result<(), &'s [u8]> {
    if a.contains(&b',') {
        for piece in a.split(|b| *b == b',').filter(|p| !p.is_empty()) {
            add_syscall(mask, machine, piece).map_err(|()| piece)?;
        }
        Ok(())
    } else {
        add_syscall(mask, machine, a).map_err(|()| a)
    }
}

/// `audit_rule_syscallbyname_data`.
fn add_syscall(mask: &mut Mask, machine: Machine, name: &[u8]) -> Result<(), ()> {
    if name == b"all" {
        *mask = Mask::from_words([u32::MAX; crate::model::rule::MASK_WORDS]);
        return Ok(());
    }
    let by_name = std::str::from_utf8(&value::lowered(name))
        .ok()
        .and_then(|n| syscalls::number(machine, n));
    let nr: i32 = match by_name {
        Some(n) => n as i32,
        // `nr = strtol(..)` into an int.
        None if name.first().is_some_and(u8::is_ascii_digit) => {
            cnum::strtol(name, 0).value as i64 as i32
        }
        None => return Err(()),
    };
    if nr < 0 || !mask.set(nr as u32) {
        return Err(());
    }
    Ok(())
}

/// POSIX `basename` (libgen): trailing slashes ignored, `/` for all-slash paths.
fn posix_basename(path: &[u8]) -> &[u8] {
    let trimmed = match path.iter().rposition(|b| *b != b'/') {
        Some(end) => &path[..=end],
        None => return if path.is_empty() { b"." } else { b"/" },
    };
    match trimmed.iter().rposition(|b| *b == b'/') {
        Some(p) => &trimmed[p + 1..],
        None => trimmed,
    }
}

#[cfg(test)]
mod tests;
