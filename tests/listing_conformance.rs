//! `model::listing::list_rules` against the real `auditctl -l` (auditd 3.0.9, live kernel).
//!
//! Story: for each of Debian's example rule files (and a few combinations of them, plus a file
//! of the tricky cases of reference §2.2), every line is given to the real `auditctl -R` one at
//! a time (which is what `-R` does: each line is a separate invocation) and to our parser. Lines
//! the kernel accepts are applied to a plain in-test kernel list (append, prepend, delete,
//! delete-all); lines it refuses (a watch whose parent is missing, a duplicate) are skipped on
//! our side too. Then `auditctl -l` must equal our listing byte for byte, and our parser must
//! not have refused a line auditctl accepted.
//!
//! Kernel safety: all of it runs inside `common::with_kernel`; text goes through
//! `common::safe_rules`, and status lines (`-b`, `-f`, `-r`, `--backlog_wait_time`, ...) are
//! dropped as well so the shared kernel's settings are left alone.

mod common;

use auditguard::host::LiveHost;
use auditguard::model::{listing, Machine};
use auditguard::syntax::{LineKind, ParseContext};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Tokens that change kernel settings rather than rules; lines holding one are not loaded.
const STATUS_OPTIONS: &[&str] = &[
    "-b",
    "-f",
    "-r",
    "-e",
    "-s",
    "--backlog_wait_time",
    "--reset-lost",
    "--reset_backlog_wait_time_actual",
    "--signal",
];

/// The text we load: `safe_rules`, then status lines turned into comments (keeping line
/// numbers aligned between both sides).
fn loadable(text: &str) -> String {
    common::safe_rules(text)
        .lines()
        .map(|l| {
            let status = l
                .split(' ')
                .any(|t| STATUS_OPTIONS.contains(&t) || t.starts_with("--loginuid"));
            if status {
                "# (status line dropped by the test)\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// `auditctl -R` on a one-line file (root-owned, 0600); true when the line was accepted.
fn kernel_accepts(line: &[u8], file: &Path) -> bool {
    let mut f = std::fs::File::create(file).expect("create rules file");
    f.write_all(line)
        .and_then(|_| f.write_all(b"\n"))
        .expect("write");
    drop(f);
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (rc, _, _) = common::auditctl(&["-R", file.to_str().expect("utf-8 path")]);
    rc == 0
}

fn auditctl_list() -> Vec<u8> {
    std::process::Command::new("auditctl")
        .arg("-l")
        .output()
        .expect("auditctl -l")
        .stdout
}

/// What one file gave: rules listed, and every difference found.
struct Outcome {
    rules: usize,
    problems: Vec<String>,
}

/// Load `text` into the real kernel and into our model, line by line, and compare listings.
fn compare(name: &str, text: &str) -> Outcome {
    let text = loadable(text);
    let host = LiveHost;
    let accounts = auditguard::load::configuration::accounts(&host);
    let ctx = ParseContext {
        machine: Machine::X86_64,
        accounts: &accounts,
    };
    let parsed = auditguard::load::resolve::checked_lines(text.as_bytes(), &ctx, &host);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("line.rules");
    let mut problems = Vec::new();
    let (real, ours) = common::with_kernel(|| {
        let mut model = common::KernelModel::default();
        for line in &parsed {
            let bytes = &text.as_bytes()[line.range.clone()];
            let at = format!("{name}:{}", line.span.line);
            match &line.kind {
                LineKind::Blank | LineKind::Comment => continue,
                LineKind::Commands(cmds) => {
                    if kernel_accepts(bytes, &file) {
                        cmds.iter().for_each(|c| model.apply(c));
                    }
                }
                LineKind::Error(d) => {
                    if kernel_accepts(bytes, &file) {
                        problems.push(format!(
                            "{at}: auditctl accepted a line our parser refused ({d}): {}",
                            String::from_utf8_lossy(bytes)
                        ));
                    }
                }
            }
        }
        (auditctl_list(), model.rules())
    });
    let listed = listing::list_rules(&ours, Machine::X86_64);
    if std::env::var_os("AUDITGUARD_SHOW_LISTING").is_some() {
        eprintln!("== {name}\n{}", String::from_utf8_lossy(&real));
    }
    if listed != real {
        let real = String::from_utf8_lossy(&real);
        let listed = String::from_utf8_lossy(&listed);
        let mut diff = String::new();
        for (i, (a, b)) in real.lines().zip(listed.lines()).enumerate() {
            if a != b {
                diff.push_str(&format!(
                    "  line {}:\n    auditctl: {a}\n    ours:     {b}\n",
                    i + 1
                ));
            }
        }
        problems.push(format!(
            "{name}: listing differs ({} lines from auditctl, {} from us)\n{diff}",
            real.lines().count(),
            listed.lines().count()
        ));
    }
    Outcome {
        rules: ours.len(),
        problems,
    }
}

fn skip() -> bool {
    if !common::kernel_available() {
        eprintln!("skipped: needs root, auditctl 3.0.9 and kernel audit support");
        return true;
    }
    if common::debian_examples().is_empty() {
        eprintln!("skipped: /usr/share/doc/auditd/examples/rules not installed");
        return true;
    }
    false
}

fn read(name: &str) -> String {
    let path = Path::new("/usr/share/doc/auditd/examples/rules").join(name);
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Rules that exercise the printer's corner cases (reference §2.2) on a live kernel.
const TRICKY: &str = r"-a always,exit -F arch=b32 -S open -k carry1
-a always,exit -S 5 -k carry2
-a always,exit -F perm=wa -F path=/etc/hostname -k permfirst
-a always,exit -F perm=r -k permonly
-a always,exit -F arch=b64 -S execve -F exe!=/usr/bin/true -k exe
-a always,exit -F arch=b64 -F arch!=b32 -S openat -k twoarch
-a always,exit -F arch=aarch64 -S openat -k foreign
-a always,exit -S 999 -k afterforeign
-a always,exit -F arch=b64 -S 999,17,18,0x3b -k nums
-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mnt
-a always,exit -F arch=b64 -S kill -F a1&=9 -F a2&8 -F pid<10 -F ppid>1 -F sessionid<=5 -k ops
-a always,exit -F a0=2 -F a1=0x10 -F a2=-1
-a always,exit -S all -F exit=-EPERM -k e1
-a always,exit -S all -F exit=-13 -k e2
-a always,exit -S all -F exit=EPERM -k e3
-a always,exit -S all -F uid=root -F gid=root -k ids
-a always,exit -S all -F filetype=file -k ft
-a always,exit -F path=/etc/issue -k pathnoperm
-w /etc/hosts -F uid=0 -p wa
-w / -p r -k root
-w /etc/shadow
-w /etc/ssh/ -p wa -k wslash
-a always,exit -F path=/etc/ssh -F perm=wa -k wslash
-a always,exit -F dir=/etc/ssh/ -F perm=wa -k dirslash
-a always,exit -F arch=b64 -S execve -k a -k b -F key=c
-a always,exit -F arch=b64 -S execve -k with\ space
-a always,exit -F arch=b64 -S execve -C euid=uid -C obj_uid!=auid -C fsgid=egid
-a always,exit -F arch=b64 -S openat -F inode=4294967295 -F devmajor=8 -F devminor&2 -k dev
-a always,exit -F arch=b64 -S connect -F saddr_fam=2 -F success=0 -F pers=1 -k fam
-a always,task -F uid=0
-a always,user -F uid=0
-a always,exclude -F msgtype=CWD
-a never,exclude -F msgtype=1302
-a exclude,never -F msgtype=EOE
-a never,filesystem -F fstype=debugfs -k fsk
-A always,exit -F arch=b64 -S delete_module -k prepended
-d always,exit -F arch=b64 -S execve -k with\ space
";

#[test]
fn debian_example_files_list_like_auditctl() {
    if skip() {
        return;
    }
    let mut cases: Vec<(String, String)> = common::debian_examples()
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name.clone(), read(&name))
        })
        .collect();
    // Combinations, as augenrules would concatenate them.
    let combos: [&[&str]; 3] = [
        &[
            "10-base-config.rules",
            "30-stig.rules",
            "43-module-load.rules",
            "99-finalize.rules",
        ],
        &[
            "30-ospp-v42.rules",
            "30-ospp-v42-1-create-failed.rules",
            "30-ospp-v42-2-modify-failed.rules",
            "30-ospp-v42-3-access-failed.rules",
            "30-ospp-v42-4-delete-failed.rules",
            "30-ospp-v42-5-perm-change-failed.rules",
            "30-ospp-v42-6-owner-change-failed.rules",
        ],
        &[
            "30-pci-dss-v31.rules",
            "32-power-abuse.rules",
            "41-containers.rules",
            "42-injection.rules",
            "44-installers.rules",
            "71-networking.rules",
        ],
    ];
    for combo in combos {
        cases.push((combo.join("+"), combo.iter().map(|n| read(n)).collect()));
    }
    cases.push(("tricky (reference §2.2)".into(), TRICKY.into()));

    let (mut rules, mut problems) = (0, Vec::new());
    for (name, text) in &cases {
        let outcome = compare(name, text);
        eprintln!("{name}: {} rules compared", outcome.rules);
        rules += outcome.rules;
        problems.extend(outcome.problems);
    }
    eprintln!(
        "compared {rules} rules from {} files/combinations byte for byte",
        cases.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
