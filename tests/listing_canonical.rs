//! The canonical printer round-trips through the real parser: for every rule our parser builds
//! from Debian's example files and from a set of corner cases, `canonical_rule` gives one line
//! that parses back to the identical rule (kernel identity and prepend flag), on every machine.

mod common;

use auditguard::host::LiveHost;
use auditguard::model::{listing, Machine, Rule};
use auditguard::syntax::{Command, LineKind, ParseContext};

const CORNERS: &str = r"-a always,exit -F arch=b32 -S open -k carry1
-a always,exit -S 5 -k carry2
-a always,exit -F perm=wa -F path=/etc/hostname -k permfirst
-a always,exit -F arch=b64 -S execve -F exe!=/usr/bin/true -k exe
-a always,exit -F arch=b64 -F arch!=b32 -S openat -k twoarch
-a always,exit -F uid=0 -F arch=b32 -S open,init_module -k archlate
-a always,exit -F arch=aarch64 -S openat -k foreign
-a always,exit -F arch=b64 -S 999,17,18,0x3b -k nums
-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mnt
-a always,exit -F arch=b64 -S kill -F a1&=9 -F a2&8 -F pid<10 -F ppid>1 -F sessionid<=5 -k ops
-a always,exit -F a0=2 -F a1=0x10 -F a2=-1
-a always,exit -S all -F exit=-EPERM -F exit!=-13 -F exit>EPERM -k e1
-a always,exit -S all -F uid=-5 -F gid=4294967295 -F filetype=dir -k ids
-a always,exit -F key=early -F arch=b64 -S execve
-w /etc/hosts -F uid=0 -p wa
-w /etc/ssh/ -p wa -k with\ space\ and\\backslash
-a always,exit -F dir=/etc/ssh/ -F perm=wa -k a -k b -F key=c
-a always,exit -F arch=b64 -S execve -C euid=uid -C obj_uid!=auid -C fsgid=egid
-a always,exit -F arch=b64 -S openat -F inode=4294967295 -F devmajor=8 -F devminor&2 -k dev
-a always,task -F uid=0
-a always,user -F uid=0 -F msgtype=USER_LOGIN
-a exclude,never -F msgtype=EOE
-a never,exclude -F msgtype=999
-a never,filesystem -F fstype=debugfs -k fsk
-A always,exit -F arch=b64 -S delete_module -k prepended
";

/// Every rule the parser builds from `text`.
fn rules_of(text: &[u8], ctx: &ParseContext) -> Vec<Rule> {
    auditguard::load::resolve::checked_lines(text, ctx, &LiveHost)
        .into_iter()
        .filter_map(|l| match l.kind {
            LineKind::Commands(cmds) => Some(cmds),
            _ => None,
        })
        .flatten()
        .filter_map(|c| match c {
            Command::AddRule(r) | Command::DeleteRule(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn canonical_text_round_trips_through_the_parser() {
    let accounts = auditguard::load::configuration::accounts(&LiveHost);
    let mut sources = vec![("corner cases".to_string(), CORNERS.as_bytes().to_vec())];
    for path in common::debian_examples() {
        let text = std::fs::read(&path).expect("read example");
        sources.push((path.display().to_string(), text));
    }
    let mut checked = 0;
    let mut problems = Vec::new();
    for machine in Machine::ALL {
        let ctx = ParseContext {
            machine,
            accounts: &accounts,
        };
        for (name, text) in &sources {
            for rule in rules_of(text, &ctx) {
                let line = listing::canonical_rule(&rule, machine);
                let back = rules_of(&line, &ctx);
                checked += 1;
                let same = back.len() == 1 && back[0] == rule && back[0].prepend == rule.prepend;
                if !same {
                    problems.push(format!(
                        "{name} ({machine:?}): {}\n  rule: {rule:?}\n  back: {back:?}",
                        String::from_utf8_lossy(&line)
                    ));
                }
            }
        }
    }
    eprintln!("{checked} rules round-tripped through canonical text");
    assert!(checked > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
