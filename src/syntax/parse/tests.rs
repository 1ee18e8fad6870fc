//! Unit tests for the line parser (what auditctl 3.0.9 accepts and refuses).

//!
//! The helpers run each line through `load::resolve` too, so what a test sees is auditctl's
//! answer for the line: the kernel's EINVAL and the `-w` directory check happen there now.

use super::*;
use crate::host::RootHost;
use crate::model::field::FieldType as F;

const B64: u32 = 0xC000_003E;
const B32: u32 = 0x4000_0003;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc/ssh")).unwrap();
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/h:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
        std::fs::write(root.join("etc/hosts"), "").unwrap();
        Env { dir }
    }

    /// Parse `text` and apply the kernel's rule checks (`load::resolve::checked_lines`), so a
    /// test sees auditctl's answer for the line.
    fn lines(&self, text: &[u8]) -> Vec<ParsedLine> {
        let host = RootHost::new(self.dir.path());
        let accounts = crate::load::configuration::accounts(&host);
        let ctx = ParseContext {
            machine: Machine::X86_64,
            accounts: &accounts,
        };
        crate::load::resolve::checked_lines(text, &ctx, &host)
    }

    fn line(&self, text: &str) -> ParsedLine {
        let mut v = self.lines(text.as_bytes());
        assert_eq!(v.len(), 1, "{text:?}");
        v.pop().unwrap()
    }

    fn commands(&self, text: &str) -> Vec<Command> {
        match self.line(text).kind {
            LineKind::Commands(c) => c,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn rule(&self, text: &str) -> Rule {
        match self.commands(text).pop() {
            Some(Command::AddRule(r)) | Some(Command::DeleteRule(r)) => r,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn err(&self, text: &str) -> Diagnostic {
        match self.line(text).kind {
            LineKind::Error(d) => d,
            other => panic!("{text:?} accepted: {other:?}"),
        }
    }

    fn msg(&self, text: &str) -> String {
        self.err(text).message
    }
}

fn mask_of(nrs: &[u32]) -> Mask {
    let mut m = Mask::EMPTY;
    for n in nrs {
        m.set(*n);
    }
    m
}

fn key(k: &[u8]) -> Field {
    Field::str(F::KEY, Op::Equal, k.to_vec())
}

#[test]
fn blank_comment_and_spans() {
    let e = Env::new();
    let lines = e.lines(b"\n   \n# x\n  -D\n-x\n");
    assert!(matches!(lines[0].kind, LineKind::Blank));
    assert!(matches!(lines[1].kind, LineKind::Blank));
    assert!(matches!(lines[2].kind, LineKind::Comment));
    assert_eq!(
        lines[3].kind.clone_commands(),
        vec![Command::DeleteAll { key: None }]
    );
    let LineKind::Error(d) = &lines[4].kind else {
        panic!()
    };
    assert_eq!(d.span, Span { line: 5, column: 1 });
    assert_eq!(d.message, "Option -x on line 5 is invalid");
    assert_eq!(lines[3].range, 9..13);
}

trait Cmds {
    fn clone_commands(&self) -> Vec<Command>;
}
impl Cmds for LineKind {
    fn clone_commands(&self) -> Vec<Command> {
        match self {
            LineKind::Commands(c) => c.clone(),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn syscall_rules_table_2_2() {
    let e = Env::new();
    // #1, #2: -S a -S b ≡ -S b,a; keys become the last field.
    let r1 = e.rule("-a always,exit -F arch=b64 -S init_module -S delete_module -k mod1");
    assert_eq!(r1.list, List::Exit);
    assert_eq!(r1.action, Action::Always);
    assert_eq!(r1.mask, mask_of(&[175, 176]));
    assert_eq!(
        r1.fields,
        vec![Field::num(F::ARCH, Op::Equal, B64), key(b"mod1")]
    );
    let r2 = e.rule("-a always,exit -F arch=b64 -S delete_module,init_module -k mod1");
    assert_eq!(r1, r2);
    // #6: exit,always ≡ always,exit.
    let r6 = e.rule("-a exit,always -F arch=b64 -S 175,176 -F key=mod1");
    assert_eq!(r1, r6);
    // #5: b32 table.
    let r5 = e.rule("-a always,exit -F arch=b32 -S init_module,finit_module");
    assert_eq!(r5.mask, mask_of(&[128, 350]));
    assert_eq!(r5.fields, vec![Field::num(F::ARCH, Op::Equal, B32)]);
    // #29: numbers in any base, unknown numbers kept.
    assert_eq!(e.rule("-a always,exit -S 0x3b").mask, mask_of(&[59]));
    assert_eq!(e.rule("-a always,exit -S 999").mask, mask_of(&[999]));
    // #28: no -S on exit → all.
    let r = e.rule("-a always,exit -F auid=1002");
    assert!(r.mask.is_all());
    assert_eq!(r.mask, Mask::all());
    assert_eq!(e.rule("-a always,exit -S all").mask, Mask::all());
    assert_eq!(e.rule("-a always,exit -S open,all").mask, Mask::all());
}

#[test]
fn mismatch_warning_without_arch() {
    let e = Env::new();
    let l = e.line("-a always,exit -S init_module -k noarch");
    assert!(matches!(l.kind, LineKind::Commands(_)));
    assert_eq!(l.warnings.len(), 1);
    assert_eq!(
        l.warnings[0].message,
        "WARNING - 32/64 bit syscall mismatch in line 1, you should specify an arch"
    );
    assert!(e.line("-a always,exit -S all").warnings.is_empty());
    assert!(e.line("-a always,exit -S 5").warnings.is_empty());
    assert!(e
        .line("-a always,exit -F arch=b64 -S open")
        .warnings
        .is_empty());
}

#[test]
fn arch_ordering_and_spellings() {
    let e = Env::new();
    assert_eq!(
        e.msg("-a always,exit -S chroot -F arch=b64"),
        "arch must be before -S"
    );
    let a = e.rule("-a always,exit -F arch=x86_64 -S open");
    let b = e.rule("-a always,exit -F arch=b64 -S open");
    let c = e.rule("-a always,exit -F arch=0xc000003e -S 2");
    assert_eq!(a, b);
    assert_eq!(a, c);
    // `-F key=` may come before -S; `-k` may not.
    e.rule("-a always,exit -F key=early -F arch=b64 -S execve");
    assert_eq!(
        e.msg("-a always,exit -k early -S execve"),
        "key option needs a watch or syscall given prior to it"
    );
    // The arch of -S lookups is the last arch field, even `!=`.
    let r = e.rule("-a always,exit -F arch!=b32 -S 5");
    assert_eq!(r.fields, vec![Field::num(F::ARCH, Op::NotEqual, B32)]);
    assert_eq!(e.msg("-w /etc/hosts -F arch=b64"), "arch must be before -S");
}

#[test]
fn list_and_action() {
    let e = Env::new();
    for bad in [
        "-a always",
        "-a always,entry",
        "-a always,exit,task",
        "-a possible,exit",
    ] {
        assert!(e.msg(bad).starts_with("Append rule - bad keyword"), "{bad}");
    }
    assert_eq!(e.msg("-A never,foo"), "Add rule - bad keyword never,foo");
    assert_eq!(e.msg("-d x,y"), "Delete rule - bad keyword x,y");
    // possible: the line is dropped with a warning.
    let l = e.line("-a exit,possible -S open");
    assert_eq!(l.kind.clone_commands(), vec![Command::NoEffect("possible")]);
    assert_eq!(
        l.warnings[0].message,
        "Append rule - possible is deprecated"
    );
    assert_eq!(
        e.msg("-a always,exit -a always,exit"),
        "Multiple rule insert/delete operations are not allowed"
    );
    let r = e.rule("-A always,exit -S 1");
    assert!(r.prepend);
    assert_eq!(
        e.commands("-d never,exit -S 1"),
        vec![Command::DeleteRule({
            let mut r = Rule::new(List::Exit, Action::Never);
            r.mask = mask_of(&[1]);
            r
        })]
    );
    assert_eq!(
        e.msg("-F uid=0 -a always,exit"),
        "List must be given before field"
    );
    assert_eq!(
        e.msg("-a always,task -S open"),
        "Error: syscall auditing being added to task list"
    );
    assert_eq!(
        e.msg("-a never,exclude -S open"),
        "Error: syscall auditing cannot be put on exclude list"
    );
    assert_eq!(
        e.msg("-a always,user -S open"),
        "Error: syscall auditing being added to user list"
    );
    assert_eq!(
        e.msg("-S open -a always,task"),
        "Syscall auditing requested for task list"
    );
    assert_eq!(e.msg("-S open"), "Error - no list specified");
    // Task rules keep an empty mask; other lists without -S get all.
    assert!(e.rule("-a always,task -F uid=0").mask.is_empty());
    assert!(e.rule("-a always,user -F uid=0").mask.is_all());
    let r = e.rule("-a always,exclude -F msgtype=1302");
    assert_eq!(r.list, List::Exclude);
    assert_eq!(r.fields, vec![Field::num(F::MSGTYPE, Op::Equal, 1302)]);
}

#[test]
fn positional_words_and_getopt() {
    let e = Env::new();
    let d = e.err("-w /etc/hosts -p wa -k r2 # trailing comment");
    assert_eq!(d.message, "parameter passed without an option given");
    assert_eq!(d.span.column, 27);
    assert_eq!(
        e.msg("-D -x"),
        "Wrong number of options for Delete all request"
    );
    assert_eq!(e.msg("-D -x y"), "Only the -k option is allowed");
    assert_eq!(
        e.commands("-D -k foo"),
        vec![Command::DeleteAll {
            key: Some(b"foo".to_vec())
        }]
    );
    // -i takes effect before the line fails: the loader goes on (Command::Failed comes last).
    match e.commands("-i -D").as_slice() {
        [Command::IgnoreErrors, Command::Failed(d)] => {
            assert_eq!(d.message, "parameter passed without an option given")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.msg("foo"),
        "no option given (auditctl reports only the line number)"
    );
    assert_eq!(
        e.msg("\t-D"),
        "no option given (auditctl reports only the line number)"
    );
    assert_eq!(
        e.msg("-a\talways,exit"),
        "Append rule - bad keyword \talways,exit"
    );
    assert_eq!(e.msg("-w"), "Option -w on line 1 is invalid");
    assert_eq!(e.msg("--reset"), "Option --reset on line 1 is invalid");
    // `-i` ends the option loop inside the cluster: optind is still 1 (after -i took effect).
    match e.commands("-ic").as_slice() {
        [Command::IgnoreErrors, Command::Failed(d)] => {
            assert!(d.message.starts_with("no option given"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.msg("-si"),
        "no option given (auditctl reports only the line number)"
    );
    // Clustered and attached forms.
    let r = e.rule("-aalways,exit -Sopen -Fkey=x");
    assert_eq!(r.fields, vec![key(b"x")]);
    assert_eq!(e.msg("-R /x"), "Error - nested rule files not supported");
    // -t returns before the rule is sent.
    assert_eq!(
        e.commands("-a always,exit -S 1 -t"),
        vec![Command::NoEffect("-t")]
    );
    assert_eq!(e.commands("--"), vec![]);
}

#[test]
fn control_lines() {
    let e = Env::new();
    assert_eq!(e.commands("-e 1"), vec![Command::SetEnabled(1)]);
    assert_eq!(e.commands("-e 2"), vec![Command::SetEnabled(2)]);
    assert_eq!(e.msg("-e 3"), "Enable must be 0, 1, or 2 was 3");
    assert_eq!(e.msg("-e 01"), "Enable must be 0, 1, or 2 was 01");
    assert_eq!(e.commands("-f 1"), vec![Command::SetFailure(1)]);
    assert_eq!(e.commands("-b 8192"), vec![Command::SetBacklogLimit(8192)]);
    assert_eq!(e.commands("-b 0x10"), vec![Command::SetBacklogLimit(16)]);
    assert_eq!(e.msg("-b x"), "Backlog must be a numeric value was x");
    assert_eq!(e.commands("-r 100"), vec![Command::SetRateLimit(100)]);
    assert_eq!(
        e.commands("--backlog_wait_time 60000"),
        vec![Command::SetBacklogWaitTime(60000)]
    );
    assert_eq!(
        e.commands("--backlog_wait_time=1"),
        vec![Command::SetBacklogWaitTime(1)]
    );
    assert_eq!(
        e.commands("--loginuid-immutable"),
        vec![Command::LoginuidImmutable]
    );
    assert_eq!(e.commands("--reset-lost"), vec![Command::ResetLost]);
    assert_eq!(e.commands("-c"), vec![Command::ContinueOnError]);
    assert_eq!(e.commands("-i"), vec![Command::IgnoreErrors]);
    assert_eq!(
        e.commands("-b 1 -e 1"),
        vec![Command::SetBacklogLimit(1), Command::SetEnabled(1)]
    );
    assert_eq!(e.commands("-l"), vec![Command::NoEffect("-l")]);
    assert_eq!(e.commands("-s"), vec![Command::NoEffect("-s")]);
    assert_eq!(e.msg("-h"), "-h prints the usage and fails the line");
    assert_eq!(e.msg("--signal KILL"), "KILL is an unsupported signal");
}

#[test]
fn watches() {
    let e = Env::new();
    // #10 default perm; file vs dir by stat; trailing slash trimmed.
    let r = e.rule("-w /etc/shadow");
    assert_eq!(r.mask, Mask::all());
    assert_eq!(
        r.fields,
        vec![
            Field::str(F::PATH, Op::Equal, b"/etc/shadow".to_vec()),
            Field::num(F::PERM, Op::Equal, 15)
        ]
    );
    let r = e.rule("-w /etc/ssh/ -p wa -k wslash");
    assert_eq!(
        r.fields,
        vec![
            Field::str(F::DIR, Op::Equal, b"/etc/ssh".to_vec()),
            Field::num(F::PERM, Op::Equal, 10),
            key(b"wslash")
        ]
    );
    // #11: -k before -p: perm updated in place, key last.
    let a = e.rule("-w /etc/hosts -k kfirst -p wa");
    let b = e.rule("-w /etc/hosts -p wa -k kfirst");
    assert_eq!(a.fields, b.fields);
    // #12: -w P -p x ≡ -a always,exit -F path=P -F perm=x.
    let c = e.rule("-a always,exit -F path=/etc/hosts -F perm=wa -k kfirst");
    assert_eq!(a, c);
    assert_eq!(
        e.rule("-a always,exit -S all -F path=/etc/hosts -F perm=wa -k kfirst"),
        c
    );
    // #41: extra -F after -w.
    let r = e.rule("-w /etc/hosts -F uid=0 -p wa");
    assert_eq!(r.fields.len(), 3);
    assert_eq!(r.fields[1], Field::num(F::PERM, Op::Equal, 10));
    // #42
    assert_eq!(
        e.rule("-w / -p r").fields[0],
        Field::str(F::DIR, Op::Equal, b"/".to_vec())
    );
    assert_eq!(
        e.rule("-w // -p r").fields[0],
        Field::str(F::DIR, Op::Equal, b"//".to_vec())
    );
    assert_eq!(e.msg("-w etc/hosts"), "The path must start with '/'");
    assert_eq!(
        e.msg("-a always,exit -w /etc/hosts"),
        "watch option can't be given with a syscall"
    );
    assert_eq!(
        e.msg("-w /etc/hosts -a always,exit"),
        "Append rule - bad keyword always,exit"
    );
    assert_eq!(e.rule("-w /etc/hosts -a exit,never").action, Action::Never);
    assert_eq!(
        e.msg("-p wa"),
        "permission option needs a watch given prior to it"
    );
    assert_eq!(
        e.msg("-w /etc/hosts -p wa\r"),
        "Permission \r isn't supported"
    );
    assert_eq!(
        e.msg("-w /etc/hosts -p rwxar"),
        "permission rwxar is too long"
    );
    assert_eq!(
        e.msg("-a always,exit -p r"),
        "Permissions should be preceeded by other fields"
    );
    assert_eq!(e.msg("-W /etc/hosts -W /etc/ssh"), "Rule is not empty");
    assert!(matches!(
        e.commands("-W /etc/hosts").pop(),
        Some(Command::DeleteRule(_))
    ));
    let long = format!("-w /{}", "a".repeat(256));
    assert_eq!(e.msg(&long), "The base name of the path is too big");
    let l = e.line("-w /etc/../etc/hosts");
    assert_eq!(
        l.warnings[0].message,
        "Warning - relative path notation is not supported"
    );
    // Escaped spaces and backslashes.
    let r = e.rule(r"-w /etc/with\ space/x\\y -p r");
    assert_eq!(r.fields[0].bytes(), Some(&br"/etc/with space/x\y"[..]));
}

#[test]
fn keys() {
    let e = Env::new();
    let r = e.rule("-a always,exit -S 1 -k a -k b -F key=c");
    assert_eq!(r.fields, vec![key(b"a\x01b\x01c")]);
    assert_eq!(r.keys(), vec![&b"a"[..], b"b", b"c"]);
    let k256 = "k".repeat(256);
    e.rule(&format!("-a always,exit -S 1 -k {k256}"));
    assert_eq!(
        e.msg(&format!("-a always,exit -S 1 -k {k256}x")),
        "key option exceeds size limit"
    );
    let (a, b) = ("a".repeat(128), "b".repeat(127));
    e.rule(&format!("-a always,exit -S 1 -k {a} -k {b}"));
    assert_eq!(
        e.msg(&format!("-a always,exit -S 1 -k {a} -k {a}")),
        "key option exceeds size limit"
    );
    // Empty -F key= adds nothing.
    assert_eq!(e.rule("-a always,exit -S 1 -F key=").fields, vec![]);
    assert_eq!(
        e.msg("-a always,user -F uid=0 -k ukey"),
        "key option needs a watch or syscall given prior to it"
    );
    assert_eq!(
        e.msg("-a always,task -F uid=0 -F key=t"),
        "Key field needs a watch, syscall or exe path given prior to it"
    );
    let r = e.rule("-a never,filesystem -F fstype=debugfs -k fsk");
    assert_eq!(r.fields.last(), Some(&key(b"fsk")));
    e.rule("-a always,exit -F exe=/usr/bin/x -k e");
    assert_eq!(
        e.rule("-a always,exit -S 1 -k crlf\r").fields,
        vec![key(b"crlf\r")]
    );
    // A key with `!=` breaks libaudit's final "key=..." pair.
    assert_eq!(
        e.msg("-a always,exit -S 1 -k a!=b"),
        "-F unknown field: key=a"
    );
    let l = e.line("-a always,exit -S 1 -k a\x01b");
    assert_eq!(l.warnings[0].message, "key a\x01b has illegal character");
    // -D -k is a substring filter, not a rule key.
    assert_eq!(
        e.commands("-D -k x"),
        vec![Command::DeleteAll {
            key: Some(b"x".to_vec())
        }]
    );
}

#[test]
fn field_values_in_rules() {
    let e = Env::new();
    let a = e.rule("-a always,exit -S 1 -F auid!=-1");
    let b = e.rule("-a always,exit -S 1 -F auid!=unset");
    let c = e.rule("-a always,exit -S 1 -F auid!=4294967295");
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(e.msg("-a always,exit -F gid=-1"), "Unknown group: -1");
    assert_eq!(
        e.rule("-a always,exit -F exit=-13").fields[0].number(),
        Some(-13i32 as u32)
    );
    assert_eq!(
        e.msg("-a always,exit -F success=yes"),
        "-F value should be number for success"
    );
    assert_eq!(
        e.rule("-a always,exit -F filetype=file").fields[0].number(),
        Some(32768)
    );
    assert_eq!(
        e.rule("-a always,exit -F a1&=9 -F a2&8 -F pid<10 -F ppid>1 -F sessionid<=5")
            .fields
            .len(),
        5
    );
    let r = e.rule("-a always,exit -C euid=uid -C obj_uid!=auid -C fsgid=egid");
    assert_eq!(
        r.fields
            .iter()
            .map(|f| f.number().unwrap())
            .collect::<Vec<_>>(),
        vec![11, 5, 23]
    );
    assert_eq!(
        e.msg("-a always,exit -C uid=gid"),
        "-C incompatible comparison uid"
    );
    assert_eq!(
        e.msg("-C uid=euid"),
        "uid can only be used with exit filter list"
    );
    assert_eq!(
        e.msg("-a always,task -F exit=1"),
        "exit can only be used with exit filter list"
    );
}

#[test]
fn kernel_einval_is_an_error() {
    let e = Env::new();
    const EINVAL: &str = "Error sending add rule data request (Invalid argument)";
    for line in [
        "-a always,exit -F path=relative -F perm=r",
        "-a always,exit -F path=/etc/ssh/ -F perm=r",
        "-a always,exit -F path=/etc/.. -F perm=r",
        "-a always,exit -F dir=relative",
        "-a always,exit -F uid&=1",
        "-a always,exit -F auid&1",
        "-a always,exit -F auid>=-1",
        "-a always,exit -F uid=-1",
        "-a always,exit -F euid=unset",
        "-a always,exit -F gid=4294967295",
        "-a always,exit -F exe=/a -F exe=/b",
        "-a always,exit -F exe=rel",
        "-a always,exit -F exe=/bin/",
        "-a always,exit -F path=/a -F dir=/b",
        "-a always,exit -F inode=1 -F path=/a",
        "-a always,exit -S 1 -F key!=x -k y",
        "-a always,exit -S 1 -F key>=x",
        "-a always,exit -F subj_user<x",
        "-a always,exit -F filetype!=file -F dir=/a -F dir=/b",
        "-a never,filesystem -F fstype=debugfs -F uid=0",
        "-w /etc/hosts -a user,always",
    ] {
        assert_eq!(e.msg(line), EINVAL, "{line}");
    }
    assert_eq!(
        e.msg("-W /etc/hosts -F uid&=1"),
        "Error sending delete rule data request (Invalid argument)"
    );
    e.rule("-a always,exit -F auid=-1");
    e.rule("-a always,exit -F subj_sen<s1");
    e.rule("-a always,exit -F inode!=5 -F exit=-1");
    e.rule("-a always,exit -F dir=/etc/hosts -F perm=r");
    e.rule("-a always,task -F obj_uid=0");
    // Linux 6.18 accepts any field_compare number (tested).
    e.rule("-a always,exit -F field_compare=26");
    e.rule("-a always,exit -F pers&=1 -F a0&1 -F devminor&1");
}

#[test]
fn token_columns_for_errors() {
    let e = Env::new();
    let d = e.err("-a always,exit -S nope_syscall");
    assert_eq!(d.message, "Syscall name unknown: nope_syscall");
    assert_eq!(d.span.column, 19);
    let d = e.err("-a always,exit -S open,nope");
    assert_eq!(d.message, "Syscall name unknown: nope");
    assert_eq!(
        e.msg("-a always,exit -S 2048"),
        "Syscall name unknown: 2048"
    );
    assert_eq!(
        e.msg("-a always,exit -S pread64"),
        "Syscall name unknown: pread64"
    );
    let d = e.err("-a always,exit -F foo=1");
    assert_eq!(
        (d.span.column, d.message.as_str()),
        (19, "-F unknown field: foo")
    );
}

#[test]
fn never_panics_on_odd_bytes() {
    let e = Env::new();
    for text in [
        &b"\xff\xfe -a \xff,\xff"[..],
        b"-S\x07",
        b"-k \x07",
        b"x -D -k",
        b"-a always,exit -D",
        b"x -l",
        b"--=",
        b"-",
        b"- s",
        b"-F arch=b64 -t",
        b"-q /a,/b",
        b"-m hello",
        b"-m \xc3\xa9",
    ] {
        let _ = e.lines(text);
    }
    assert!(matches!(e.line("x -D -k").kind, LineKind::Commands(_)));
    assert!(matches!(
        e.line("-a always,exit -D").kind,
        LineKind::Error(_)
    ));
    assert_eq!(e.msg("-m \u{e9}"), "Illegal character in audit event");
}
