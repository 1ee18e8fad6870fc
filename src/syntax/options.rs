//! GNU `getopt_long` (glibc 2.36, as linked by auditctl 3.0.9 on Debian 12), emulated over a
//! line's tokens.
//!
//! auditctl runs `getopt_long(count, vars, OPTSTRING, long_opts, ..)` with `opterr = 0` and
//! `optind = 0` (full re-initialisation) for every line. The default PERMUTE ordering moves
//! non-option words behind the options *in `vars` itself*, and auditctl later reads
//! `vars[optind]` and even the literal `vars[3]`, so the emulation keeps argv and permutes it
//! the way glibc's `exchange` does (a block rotation). Short options cluster (`-ic`), take
//! attached (`-Sopen`) or detached arguments; long options take `--name=value` or
//! `--name value` and may be abbreviated to any unambiguous prefix.
//!
//! argv elements and option arguments are slices of the line's tokens: permuting argv moves
//! slices, never bytes.
//!
//! This module knows the option letters but not what they mean: that is [`super::parse`].

/// auditctl 3.0.9's option string.
pub const OPTSTRING: &[u8] = b"hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:";

/// A long option: its name, whether it takes an argument, and the code getopt returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LongOpt {
    /// Name without the leading `--`.
    pub name: &'static str,
    /// `required_argument`.
    pub has_arg: bool,
    /// The value returned (auditctl's `case 1..5`).
    pub code: Code,
}

/// What `getopt_long` returned for one option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A short option letter from [`OPTSTRING`].
    Short(u8),
    /// `--loginuid-immutable`
    LoginuidImmutable,
    /// `--backlog_wait_time`
    BacklogWaitTime,
    /// `--reset-lost`
    ResetLost,
    /// `--reset_backlog_wait_time_actual`
    ResetBacklogWaitTimeActual,
    /// `--signal`
    Signal,
}

/// auditctl 3.0.9's `long_opts` as built on Debian 12 (every `#if` true; see `auditctl -h`).
pub const LONG_OPTS: [LongOpt; 5] = [
    LongOpt {
        name: "loginuid-immutable",
        has_arg: false,
        code: Code::LoginuidImmutable,
    },
    LongOpt {
        name: "backlog_wait_time",
        has_arg: true,
        code: Code::BacklogWaitTime,
    },
    LongOpt {
        name: "reset-lost",
        has_arg: false,
        code: Code::ResetLost,
    },
    LongOpt {
        name: "reset_backlog_wait_time_actual",
        has_arg: false,
        code: Code::ResetBacklogWaitTimeActual,
    },
    LongOpt {
        name: "signal",
        has_arg: true,
        code: Code::Signal,
    },
];

/// One argv element: bytes and the column of the token it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg<'a> {
    /// The element's bytes.
    pub bytes: &'a [u8],
    /// 1-based column in the line (0 for the synthetic `argv[0]`).
    pub column: u32,
}

/// An option argument: its bytes and the column where they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptArg<'a> {
    /// The argument's bytes.
    pub bytes: &'a [u8],
    /// 1-based column of the argument's first byte.
    pub column: u32,
}

/// One step of the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'a> {
    /// A recognised option, with its argument if it takes one.
    Opt {
        /// Which option.
        code: Code,
        /// Its argument.
        arg: Option<OptArg<'a>>,
        /// Column of the option itself.
        column: u32,
    },
    /// getopt's `'?'`: unknown option, missing argument, ambiguous or unexpected `=value`.
    Bad {
        /// Column of the offending element.
        column: u32,
    },
    /// `-1`: no more options.
    End,
}

/// An emptied argv with another lifetime, keeping the allocation (the standard library
/// collects an emptied `IntoIter` mapped to a same-layout type in place).
fn recycle<'b>(mut argv: Vec<Arg<'_>>) -> Vec<Arg<'b>> {
    argv.clear();
    argv.into_iter()
        .map(|_| -> Arg<'b> { unreachable!("the argv was cleared") })
        .collect()
}

/// The scanner: glibc's `struct _getopt_data` plus the argv it permutes.
#[derive(Debug, Clone)]
pub struct Getopt<'a> {
    /// The argv, permuted in place as glibc does (`argv[0]` is `auditctl`).
    pub argv: Vec<Arg<'a>>,
    /// glibc's `optind`.
    pub optind: usize,
    /// Position inside a short-option cluster: (element, byte offset).
    next: Option<(usize, usize)>,
    first_nonopt: usize,
    last_nonopt: usize,
}

impl<'a> Getopt<'a> {
    /// A fresh scan (auditctl sets `optind = 0`, which re-initialises getopt).
    #[cfg(test)]
    pub fn new(args: impl ExactSizeIterator<Item = Arg<'a>>) -> Getopt<'a> {
        Getopt::with_buffer(Vec::new(), args)
    }

    /// [`Getopt::new`] building argv in `buffer` (cleared first), so that a caller scanning
    /// line after line reuses one allocation; [`Getopt::into_buffer`] gives it back.
    pub fn with_buffer(
        buffer: Vec<Arg<'_>>,
        args: impl ExactSizeIterator<Item = Arg<'a>>,
    ) -> Getopt<'a> {
        let mut argv = recycle(buffer);
        argv.reserve(args.len() + 1);
        argv.push(Arg {
            bytes: b"auditctl",
            column: 0,
        });
        argv.extend(args);
        Getopt {
            argv,
            optind: 1,
            next: None,
            first_nonopt: 1,
            last_nonopt: 1,
        }
    }

    /// The argv's allocation, emptied, for the next [`Getopt::with_buffer`].
    pub fn into_buffer(self) -> Vec<Arg<'static>> {
        recycle(self.argv)
    }

    /// `vars[i]`, or `None` for the terminating NULL / beyond.
    pub fn var(&self, i: usize) -> Option<&Arg<'a>> {
        self.argv.get(i)
    }

    fn is_nonoption(&self, i: usize) -> bool {
        let b = &self.argv[i].bytes;
        b.first() != Some(&b'-') || b.len() == 1
    }

    /// glibc `exchange`: move the skipped non-options behind the options just scanned.
    fn exchange(&mut self) {
        let (bottom, middle, top) = (self.first_nonopt, self.last_nonopt, self.optind);
        if bottom < middle && middle < top && top <= self.argv.len() {
            self.argv[bottom..top].rotate_left(middle - bottom);
        }
        self.first_nonopt += self.optind - self.last_nonopt;
        self.last_nonopt = self.optind;
    }

    /// `getopt_long(argc, argv, OPTSTRING, LONG_OPTS, ..)`.
    pub fn next(&mut self, argc: usize) -> Step<'a> {
        let argc = argc.min(self.argv.len());
        let at_end = match self.next {
            None => true,
            Some((e, p)) => p >= self.argv[e].bytes.len(),
        };
        if at_end {
            self.next = None;
            if self.last_nonopt > self.optind {
                self.last_nonopt = self.optind;
            }
            if self.first_nonopt > self.optind {
                self.first_nonopt = self.optind;
            }
            if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                self.exchange();
            } else if self.last_nonopt != self.optind {
                self.first_nonopt = self.optind;
            }
            while self.optind < argc && self.is_nonoption(self.optind) {
                self.optind += 1;
            }
            self.last_nonopt = self.optind;
            if self.optind != argc && self.argv[self.optind].bytes == b"--" {
                self.optind += 1;
                if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                    self.exchange();
                } else if self.first_nonopt == self.last_nonopt {
                    self.first_nonopt = self.optind;
                }
                self.last_nonopt = argc;
                self.optind = argc;
            }
            if self.optind >= argc {
                if self.first_nonopt != self.last_nonopt {
                    self.optind = self.first_nonopt;
                }
                return Step::End;
            }
            if self.argv[self.optind].bytes.get(1) == Some(&b'-') {
                return self.long_option(argc);
            }
            self.next = Some((self.optind, 1));
        }
        self.short_option(argc)
    }

    fn short_option(&mut self, argc: usize) -> Step<'a> {
        let (e, p) = self.next.expect("inside a cluster");
        let elem = self.argv[e];
        let column = elem.column;
        let c = elem.bytes[p];
        let rest = elem.bytes.len() - (p + 1);
        self.next = Some((e, p + 1));
        if rest == 0 {
            self.optind += 1;
        }
        let Some(pos) = OPTSTRING.iter().position(|o| *o == c).filter(|_| c != b':') else {
            return Step::Bad { column };
        };
        let code = Code::Short(c);
        if OPTSTRING.get(pos + 1) != Some(&b':') {
            return Step::Opt {
                code,
                arg: None,
                column,
            };
        }
        self.next = None;
        let arg = if rest > 0 {
            self.optind += 1;
            OptArg {
                bytes: &elem.bytes[p + 1..],
                column: column.saturating_add(p as u32 + 1),
            }
        } else if self.optind >= argc {
            return Step::Bad { column };
        } else {
            let a = self.argv[self.optind];
            self.optind += 1;
            OptArg {
                bytes: a.bytes,
                column: a.column,
            }
        };
        Step::Opt {
            code,
            arg: Some(arg),
            column,
        }
    }

    /// glibc `process_long_option` (not `getopt_long_only`).
    fn long_option(&mut self, argc: usize) -> Step<'a> {
        let elem = self.argv[self.optind];
        let body = &elem.bytes[2..];
        let name_len = body.iter().position(|b| *b == b'=').unwrap_or(body.len());
        let name = &body[..name_len];
        let exact = LONG_OPTS.iter().find(|o| o.name.as_bytes() == name);
        let found = match exact {
            Some(o) => Some(o),
            None => {
                let mut prefixed = LONG_OPTS
                    .iter()
                    .filter(|o| o.name.as_bytes().starts_with(name));
                let first = prefixed.next();
                if prefixed.next().is_some() {
                    // Ambiguous: every long option has its own code.
                    self.optind += 1;
                    return Step::Bad {
                        column: elem.column,
                    };
                }
                first
            }
        };
        self.optind += 1;
        let Some(opt) = found else {
            return Step::Bad {
                column: elem.column,
            };
        };
        let arg = if name_len < body.len() {
            if !opt.has_arg {
                return Step::Bad {
                    column: elem.column,
                };
            }
            Some(OptArg {
                bytes: &body[name_len + 1..],
                column: elem.column.saturating_add(name_len as u32 + 3),
            })
        } else if opt.has_arg {
            if self.optind >= argc {
                return Step::Bad {
                    column: elem.column,
                };
            }
            let a = self.argv[self.optind];
            self.optind += 1;
            Some(OptArg {
                bytes: a.bytes,
                column: a.column,
            })
        } else {
            None
        };
        Step::Opt {
            code: opt.code,
            arg,
            column: elem.column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan<'a>(words: &[&'a str]) -> (Vec<String>, Getopt<'a>) {
        let args = words.iter().enumerate().map(|(i, w)| Arg {
            bytes: w.as_bytes(),
            column: i as u32 + 1,
        });
        let mut g = Getopt::new(args);
        let argc = g.argv.len();
        let mut out = Vec::new();
        loop {
            match g.next(argc) {
                Step::End => break,
                Step::Bad { column } => out.push(format!("?{column}")),
                Step::Opt { code, arg, .. } => {
                    let a = arg.map(|a| String::from_utf8(a.bytes.to_vec()).unwrap());
                    out.push(format!("{code:?}={a:?}"));
                }
            }
        }
        (out, g)
    }

    fn order(g: &Getopt) -> Vec<String> {
        g.argv[1..]
            .iter()
            .map(|a| String::from_utf8(a.bytes.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn clusters_and_attached_arguments() {
        let (out, g) = scan(&["-ic", "-Sopen", "-k", "key"]);
        assert_eq!(
            out,
            vec![
                "Short(105)=None",
                "Short(99)=None",
                "Short(83)=Some(\"open\")",
                "Short(107)=Some(\"key\")"
            ]
        );
        assert_eq!(g.optind, 5);
    }

    #[test]
    fn permutation_moves_words_behind_options() {
        let (out, g) = scan(&["x", "-D", "y", "-s"]);
        assert_eq!(out.len(), 2);
        assert_eq!(order(&g), vec!["-D", "-s", "x", "y"]);
        assert_eq!(g.optind, 3, "optind points at the first non-option");
        let (_, g) = scan(&["foo", "bar"]);
        assert_eq!(g.optind, 1);
        let (_, g) = scan(&["-w", "/x", "#", "c"]);
        assert_eq!(g.optind, 3);
    }

    #[test]
    fn double_dash_ends_options() {
        let (out, g) = scan(&["-s", "--", "-D"]);
        assert_eq!(out, vec!["Short(115)=None"]);
        assert_eq!(g.optind, 3);
    }

    #[test]
    fn errors() {
        assert_eq!(scan(&["-x"]).0, vec!["?1"]);
        assert_eq!(scan(&["-w"]).0, vec!["?1"]);
        assert_eq!(scan(&["--reset"]).0, vec!["?1"], "ambiguous");
        assert_eq!(scan(&["--nope"]).0, vec!["?1"]);
        assert_eq!(scan(&["--reset-lost=1"]).0, vec!["?1"]);
        assert_eq!(scan(&["--signal"]).0, vec!["?1"]);
    }

    #[test]
    fn long_options_and_prefixes() {
        assert_eq!(
            scan(&["--backlog", "5"]).0,
            vec!["BacklogWaitTime=Some(\"5\")"]
        );
        assert_eq!(
            scan(&["--backlog_wait_time=7"]).0,
            vec!["BacklogWaitTime=Some(\"7\")"]
        );
        assert_eq!(scan(&["--reset-"]).0, vec!["ResetLost=None"]);
        assert_eq!(scan(&["--l"]).0, vec!["LoginuidImmutable=None"]);
    }
}
