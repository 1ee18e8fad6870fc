//! Property tests for `syntax`: generated rules survive print → parse unchanged, equivalent
//! spellings give identical models, and no input makes the parser panic.

use auditguard::host::RootHost;
use auditguard::model::field::FieldType as F;
use auditguard::model::{Action, Field, List, Machine, Mask, Op, Rule, Value};
use auditguard::syntax::{parse_file, Command, LineKind, ParseContext};
use proptest::prelude::*;

const B64: u32 = 0xC000_003E;

fn with_ctx<T>(f: impl FnOnce(&ParseContext, &RootHost) -> T) -> T {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/ssh")).unwrap();
    std::fs::write(dir.path().join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
    let host = RootHost::new(dir.path());
    let accounts = auditguard::load::configuration::accounts(&host);
    let ctx = ParseContext {
        machine: Machine::X86_64,
        accounts: &accounts,
    };
    f(&ctx, &host)
}

/// The rule a line adds, after the kernel's add step (a `-w` watch gets its kind).
fn parse_rule(ctx: &ParseContext, host: &RootHost, text: &str) -> Rule {
    let mut lines = auditguard::load::resolve::checked_lines(text.as_bytes(), ctx, host);
    assert_eq!(lines.len(), 1, "{text}");
    match lines.pop().unwrap().kind {
        LineKind::Commands(mut c) => match c.pop() {
            Some(Command::AddRule(r)) => r,
            other => panic!("{text}: {other:?}"),
        },
        other => panic!("{text}: {other:?}"),
    }
}

/// Print a rule as rule text in a lossless form (fields in order, numbers in decimal).
fn print(rule: &Rule) -> String {
    let mut s = format!(
        "-{} {},{}",
        if rule.prepend { "A" } else { "a" },
        rule.action.name().unwrap(),
        rule.list.name().unwrap()
    );
    let (arch, rest): (Vec<&Field>, Vec<&Field>) =
        rule.fields.iter().partition(|f| f.kind == F::ARCH);
    for f in arch {
        s += &format!(" -F arch{}{}", f.op.symbol(), f.number().unwrap());
    }
    if rule.mask.is_all() {
        s += " -S all";
    } else if !rule.mask.is_empty() {
        let nrs: Vec<String> = rule.mask.syscalls().map(|n| n.to_string()).collect();
        s += &format!(" -S {}", nrs.join(","));
    }
    for f in rest {
        let name = f.kind.name().unwrap();
        match &f.value {
            Value::Str(b) if f.kind == F::KEY => {
                for k in b.split(|c| *c == 1) {
                    s += &format!(" -k {}", String::from_utf8_lossy(k).replace(' ', "\\ "));
                }
            }
            Value::Str(b) => {
                s += &format!(" -F {name}{}{}", f.op.symbol(), String::from_utf8_lossy(b))
            }
            Value::Num(n) => s += &format!(" -F {name}{}{n}", f.op.symbol()),
        }
    }
    s
}

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![
        Op::Equal,
        Op::NotEqual,
        Op::LessThan,
        Op::GreaterThan,
        Op::LessOrEqual,
        Op::GreaterOrEqual,
    ])
}

/// A numeric field the kernel accepts with any of [`op`] and any value we generate.
fn num_field() -> impl Strategy<Value = Field> {
    (
        prop::sample::select(vec![
            F::PID,
            F::PPID,
            F::A0,
            F::A3,
            F::PERS,
            F::SUCCESS,
            F::AUID,
            F::UID,
        ]),
        op(),
        0u32..100_000,
    )
        .prop_map(|(kind, op, v)| Field::num(kind, op, v))
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::option::of(any::<bool>()),
        prop::collection::btree_set(0u32..460, 0..6),
        prop::collection::vec(num_field(), 0..6),
        prop::collection::vec("[a-z0-9_ ]{1,12}", 0..3),
    )
        .prop_map(|(always, prepend, arch, nrs, fields, keys)| {
            let mut r = Rule::new(
                List::Exit,
                if always {
                    Action::Always
                } else {
                    Action::Never
                },
            );
            r.prepend = prepend;
            if let Some(b64) = arch {
                r.fields.push(Field::num(
                    F::ARCH,
                    Op::Equal,
                    if b64 { B64 } else { 0x4000_0003 },
                ));
            }
            if nrs.is_empty() {
                r.mask = Mask::all();
            }
            for n in nrs {
                r.mask.set(n);
            }
            r.fields.extend(fields);
            if !keys.is_empty() {
                r.fields
                    .push(Field::str(F::KEY, Op::Equal, keys.join("\x01")));
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn print_then_parse_is_identity(r in rule()) {
        with_ctx(|ctx, host| {
            let text = print(&r);
            let back = parse_rule(ctx, host, &text);
            prop_assert_eq!(&back, &r, "{}", text);
            prop_assert_eq!(back.prepend, r.prepend);
            prop_assert_eq!(back.fields, r.fields.clone());
            Ok(())
        })?;
    }

    #[test]
    fn syscall_spellings_are_equivalent(nrs in prop::collection::btree_set(0u32..300, 1..6)) {
        with_ctx(|ctx, host| {
            let list: Vec<String> = nrs.iter().map(|n| n.to_string()).collect();
            let joined = parse_rule(ctx, host, &format!("-a always,exit -F arch=b64 -S {} -k k", list.join(",")));
            let repeated: String = list.iter().rev().map(|n| format!(" -S {n}")).collect();
            let repeated = parse_rule(ctx, host, &format!("-a always,exit -F arch=b64{repeated} -F key=k"));
            let hex: Vec<String> = nrs.iter().map(|n| format!("0x{n:x}")).collect();
            let hex = parse_rule(ctx, host, &format!("-a exit,always -F arch=x86_64 -S {} -k k", hex.join(",")));
            prop_assert_eq!(&joined, &repeated);
            prop_assert_eq!(&joined, &hex);
            Ok(())
        })?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        with_ctx(|ctx, _| { let _ = parse_file(&bytes, ctx); });
    }

    #[test]
    fn random_token_soup_never_panics(words in prop::collection::vec(prop::sample::select(vec![
        "-a", "-A", "-d", "-w", "-W", "-p", "-k", "-S", "-F", "-C", "-D", "-e", "-f", "-b", "-r",
        "-l", "-s", "-i", "-c", "-t", "-q", "-m", "-R", "-h", "-v", "--", "-", "--backlog", "--l",
        "--signal", "always,exit", "exit,never", "task,always", "exclude,always", "user,always",
        "filesystem,never", "possible,exit", "exit,possible", "/etc", "/etc/ssh/", "/x/", "rw",
        "open", "all", "1,2", "2048", "arch=b64", "arch=b32", "key=x", "uid=0", "auid!=-1",
        "a0&=1", "path=/x", "dir=/etc", "perm=wa", "msgtype=CWD", "fstype=debugfs", "exe=/bin/sh",
        "uid=euid", "foo", "#", "\t", "\\", "\\ ", "\r", "\x07", "\x04", "\u{ff}", "\0",
    ]), 0..12)) {
        let text = words.join(" ");
        with_ctx(|ctx, _| { let _ = parse_file(text.as_bytes(), ctx); });
    }
}

#[test]
fn equivalent_spellings_give_identical_models() {
    with_ctx(|ctx, host| {
        let same = |a: &str, b: &str| {
            let (ra, rb) = (parse_rule(ctx, host, a), parse_rule(ctx, host, b));
            assert_eq!(ra, rb, "{a} vs {b}");
            assert_eq!(ra.fields, rb.fields, "{a} vs {b}");
        };
        same(
            "-a always,exit -F arch=b64 -S init_module -S delete_module -k m",
            "-a always,exit -F arch=b64 -S delete_module,init_module -F key=m",
        );
        same(
            "-a always,exit -F arch=b64 -S init_module,delete_module -k m",
            "-a always,exit -F arch=b64 -S 175,176 -k m",
        );
        same(
            "-a exit,always -S all -k x",
            "-a always,exit -S all -F key=x",
        );
        same(
            "-a always,exit -S 1 -F auid!=-1",
            "-a always,exit -S 1 -F auid!=unset",
        );
        same(
            "-a always,exit -S 1 -F auid!=unset",
            "-a always,exit -S 1 -F auid!=4294967295",
        );
        same(
            "-a always,exit -F arch=x86_64 -S 1",
            "-a always,exit -F arch=b64 -S 1",
        );
        same(
            "-a always,exit -F arch=i686 -S 1",
            "-a always,exit -F arch=b32 -S 1",
        );
        same(
            "-w /etc/passwd -p x",
            "-a always,exit -F path=/etc/passwd -F perm=x",
        );
        same(
            "-w /etc/passwd -p x -k k",
            "-a always,exit -S all -F path=/etc/passwd -F perm=x -F key=k",
        );
        same(
            "-w /etc/ssh/ -p wa",
            "-a always,exit -F dir=/etc/ssh -F perm=wa",
        );
        same(
            "-a always,exit -F loginuid>=1000",
            "-a always,exit -F auid>=1000",
        );
    });
}
