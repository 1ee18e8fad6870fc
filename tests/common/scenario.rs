//! The scenario builder shared by `tests/scenarios.rs` (which runs `check`) and
//! `tests/fix_scenarios.rs` (which runs `fix`): parse a `.scenario` file (the format is
//! documented at the top of `tests/scenarios.rs`) and build its temporary root.
//!
//! Include with `#[path = "common/scenario.rs"] mod scenario;`.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub expects: Vec<(String, String)>,
    pub sections: Vec<Section>,
    pub args: Vec<String>,
    pub known_bug: Option<String>,
}

#[derive(Debug)]
pub enum Section {
    File {
        path: String,
        bytes: Vec<u8>,
        mode: Option<u32>,
    },
    Symlink {
        path: String,
        target: String,
    },
    Dir(String),
    Remove(String),
    /// `chmod MODE PATH` after the sections before it; `DIR/*`: every entry of DIR; a missing
    /// path is skipped.
    Chmod {
        path: String,
        mode: u32,
    },
}

/// `\r`, `\t`, `\0`, `\\`, `\xNN`; any other backslash is kept.
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'0' => out.push(0),
                b'\\' => out.push(b'\\'),
                b'x' if i + 3 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("ascii hex");
                    out.push(u8::from_str_radix(hex, 16).expect("\\xNN escape"));
                    i += 4;
                    continue;
                }
                _ => {
                    out.push(b'\\');
                    i += 1;
                    continue;
                }
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

const AUGENRULES_UNIT: &str = "[Unit]
Description=Security Auditing Service
DefaultDependencies=no
ConditionKernelCommandLine=!audit=0
ConditionKernelCommandLine=!audit=off

[Service]
Type=forking
PIDFile=/run/auditd.pid
ExecStart=/sbin/auditd
ExecStartPost=-/sbin/augenrules --load
#ExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules
#ExecStopPost=/sbin/auditctl -R /etc/audit/audit-stop.rules
Restart=on-failure
RestartPreventExitStatus=2 4 6

[Install]
WantedBy=multi-user.target
";

const AUDITCTL_DROPIN: &str = "[Service]
ExecStartPost=
ExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules
";

const AUDIT4_AUDITD_UNIT: &str = "[Unit]
Description=Security Audit Logging Service
DefaultDependencies=no
ConditionKernelCommandLine=!audit=0
ConditionKernelCommandLine=!audit=off
Wants=audit-rules.service
Before=audit-rules.service

[Service]
Type=forking
PIDFile=/run/auditd.pid
ExecStart=/usr/sbin/auditd
Restart=on-failure
RestartPreventExitStatus=2 4 6
RefuseManualStop=yes

[Install]
WantedBy=multi-user.target
";

const AUDIT4_RULES_UNIT: &str = "[Unit]
Description=Security Audit Rules Loading Service
DefaultDependencies=no
After=auditd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/augenrules --load
#ExecStopPost=/usr/sbin/auditctl -R /etc/audit/audit-stop.rules

[Install]
WantedBy=multi-user.target
";

const VENDOR_UNIT: &str = "/usr/lib/systemd/system/auditd.service";

pub fn file(path: &str, text: &str) -> Section {
    Section::File {
        path: path.to_string(),
        bytes: text.as_bytes().to_vec(),
        mode: None,
    }
}

/// A 64-byte ELF header of the given machine.
pub fn elf(machine: &str) -> Vec<u8> {
    let (class, em) = match machine {
        "x86_64" => (2, 62u16),
        "i386" => (1, 3),
        "aarch64" => (2, 183),
        other => panic!("elf: unknown machine {other}"),
    };
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = class;
    h[5] = 1;
    h[6] = 1;
    h[16] = 3;
    h[18..20].copy_from_slice(&em.to_le_bytes());
    h
}

/// The programs the STIG for RHEL 9 audits executions of.
pub const STIG_PROGRAMS: &[&str] = &[
    "/usr/bin/umount",
    "/usr/bin/chacl",
    "/usr/bin/setfacl",
    "/usr/bin/chcon",
    "/usr/sbin/semanage",
    "/usr/sbin/setfiles",
    "/usr/sbin/setsebool",
    "/usr/bin/chage",
    "/usr/bin/chsh",
    "/usr/bin/crontab",
    "/usr/bin/gpasswd",
    "/usr/bin/kmod",
    "/usr/bin/newgrp",
    "/usr/sbin/pam_timestamp_check",
    "/usr/bin/passwd",
    "/usr/sbin/postdrop",
    "/usr/sbin/postqueue",
    "/usr/bin/ssh-agent",
    "/usr/libexec/openssh/ssh-keysign",
    "/usr/bin/su",
    "/usr/bin/sudo",
    "/usr/bin/sudoedit",
    "/usr/sbin/unix_chkpwd",
    "/usr/sbin/unix_update",
    "/usr/sbin/userhelper",
    "/usr/sbin/usermod",
    "/usr/bin/mount",
    "/usr/sbin/init",
    "/usr/sbin/poweroff",
    "/usr/sbin/reboot",
    "/usr/sbin/shutdown",
];

pub fn unit_sections(kind: &str) -> Vec<Section> {
    match kind {
        "augenrules" => vec![file(VENDOR_UNIT, AUGENRULES_UNIT)],
        "auditctl" => vec![file(
            VENDOR_UNIT,
            &AUGENRULES_UNIT
                .replace(
                    "ExecStartPost=-/sbin/augenrules --load\n",
                    "#ExecStartPost=-/sbin/augenrules --load\n",
                )
                .replace(
                    "#ExecStartPost=-/sbin/auditctl -R",
                    "ExecStartPost=-/sbin/auditctl -R",
                ),
        )],
        "auditctl-dropin" => vec![
            file(VENDOR_UNIT, AUGENRULES_UNIT),
            file(
                "/etc/systemd/system/auditd.service.d/auditctl.conf",
                AUDITCTL_DROPIN,
            ),
        ],
        "audit4" => vec![
            file(VENDOR_UNIT, AUDIT4_AUDITD_UNIT),
            file(
                "/usr/lib/systemd/system/audit-rules.service",
                AUDIT4_RULES_UNIT,
            ),
        ],
        "none" => vec![],
        other => panic!("unknown unit kind {other}"),
    }
}

pub fn expand(directive: &str, rest: &str, body: Vec<u8>) -> Vec<Section> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    match directive {
        "file" => {
            let path = String::from_utf8(unescape(words[0])).expect("utf-8 path");
            let mut mode = None;
            let mut bytes = body;
            for w in &words[1..] {
                if let Some(m) = w.strip_prefix("mode=") {
                    mode = Some(u32::from_str_radix(m, 8).expect("octal mode"));
                } else if *w == "noeol" {
                    if bytes.last() == Some(&b'\n') {
                        bytes.pop();
                    }
                } else {
                    panic!("file: unknown option {w}");
                }
            }
            vec![Section::File { path, bytes, mode }]
        }
        "symlink" => {
            let (path, target) = rest.split_once(" -> ").expect("symlink PATH -> TARGET");
            vec![Section::Symlink {
                path: path.trim().to_string(),
                target: target.trim().to_string(),
            }]
        }
        "dir" => vec![Section::Dir(rest.trim().to_string())],
        "chmod" => vec![Section::Chmod {
            path: words[1].to_string(),
            mode: u32::from_str_radix(words[0], 8).expect("chmod MODE PATH"),
        }],
        // The audit files a benchmark sets modes for, as its own fix text leaves them: the log
        // directory 0700 with audit.log 0600 and a rotated copy 0400, the audit tools 0755 in
        // /usr/sbin, and (put this section after the rules and auditd.conf) auditd.conf,
        // audit.rules and every rules.d file at MODE.
        "audit-files" => {
            let mode = u32::from_str_radix(words[0], 8).expect("audit-files MODE");
            let mut v = vec![
                Section::Dir("/var/log/audit".into()),
                Section::Chmod {
                    path: "/var/log/audit".into(),
                    mode: 0o700,
                },
                Section::File {
                    path: "/var/log/audit/audit.log".into(),
                    bytes: b"type=DAEMON_START msg=audit(1.0:1): op=start\n".to_vec(),
                    mode: Some(0o600),
                },
                Section::File {
                    path: "/var/log/audit/audit.log.1".into(),
                    bytes: Vec::new(),
                    mode: Some(0o400),
                },
            ];
            for t in [
                "auditctl",
                "aureport",
                "ausearch",
                "autrace",
                "auditd",
                "rsyslogd",
                "augenrules",
                "audispd-zos-remote",
            ] {
                v.push(Section::File {
                    path: format!("/usr/sbin/{t}"),
                    bytes: b"\x7fELF tool stand-in\n".to_vec(),
                    mode: Some(0o755),
                });
            }
            for p in ["/etc/audit/auditd.conf", "/etc/audit/audit.rules", "/etc/audit/rules.d/*"] {
                v.push(Section::Chmod {
                    path: p.into(),
                    mode,
                });
            }
            v
        }
        "remove" => vec![Section::Remove(rest.trim().to_string())],
        "unit" => unit_sections(rest.trim()),
        "elf" => {
            let path = words.get(1).copied().unwrap_or("/usr/bin/sh");
            vec![Section::File {
                path: path.to_string(),
                bytes: elf(words[0]),
                mode: Some(0o755),
            }]
        }
        "login.defs" => vec![file(
            "/etc/login.defs",
            &format!(
                "# login.defs\nMAIL_DIR        /var/mail\nUID_MIN                  {}\nUID_MAX                 60000\n",
                words[0]
            ),
        )],
        "passwd" => vec![file(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\n\
             daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
             _chrony:x:105:112:Chrony daemon,,,:/var/lib/chrony:/usr/sbin/nologin\n\
             alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n",
        )],
        "kmod" => {
            let mut v = vec![file("/usr/bin/kmod", "kmod stand-in\n")];
            for t in ["insmod", "rmmod", "modprobe"] {
                v.push(Section::Symlink {
                    path: format!("/usr/sbin/{t}"),
                    target: "../bin/kmod".to_string(),
                });
            }
            v
        }
        "tool-watches" => vec![file(
            words[0],
            "-w /usr/sbin/insmod -p x -k modules\n\
             -w /usr/sbin/rmmod -p x -k modules\n\
             -w /usr/sbin/modprobe -p x -k modules\n",
        )],
        "module-rules" => vec![file(
            words[0],
            "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules\n\
             -a always,exit -F arch=b32 -S init_module,finit_module,delete_module -F key=modules\n",
        )],
        "host" => {
            let mut v = vec![
                Section::Dir("/usr/bin".into()),
                Section::Dir("/usr/sbin".into()),
                Section::Dir("/usr/lib/systemd/system".into()),
                Section::Symlink {
                    path: "/bin".into(),
                    target: "usr/bin".into(),
                },
                Section::Symlink {
                    path: "/sbin".into(),
                    target: "usr/sbin".into(),
                },
                Section::Dir("/etc/audit/rules.d".into()),
            ];
            v.extend(expand("elf", "x86_64", Vec::new()));
            v.extend(expand("login.defs", "1000", Vec::new()));
            v.extend(expand("passwd", "", Vec::new()));
            for t in ["insmod", "rmmod", "modprobe"] {
                v.push(Section::File {
                    path: format!("/usr/sbin/{t}"),
                    bytes: b"\x7fELF tool stand-in\n".to_vec(),
                    mode: Some(0o755),
                });
            }
            v.extend(unit_sections(rest.trim()));
            v
        }
        // An OS image with every file the STIG for RHEL 9 names: its commands as regular
        // files, the account files, /etc/sudoers.d and /var/log/faillock as directories.
        "stig-image" => {
            let mut v = Vec::new();
            for p in STIG_PROGRAMS {
                v.push(Section::File {
                    path: p.to_string(),
                    bytes: b"\x7fELF stand-in\n".to_vec(),
                    mode: Some(0o755),
                });
            }
            for p in [
                "/etc/sudoers",
                "/etc/group",
                "/etc/gshadow",
                "/etc/shadow",
                "/etc/security/opasswd",
                "/var/log/lastlog",
            ] {
                v.push(file(p, ""));
            }
            v.push(Section::Dir("/etc/sudoers.d".into()));
            v.push(Section::Dir("/var/log/faillock".into()));
            v
        }
        // A file of tests/data/ (real-world rule sets, published lines) as DEST.
        "data" => vec![file(
            words[1],
            &std::fs::read_to_string(format!(
                "{}/tests/data/{}",
                env!("CARGO_MANIFEST_DIR"),
                words[0]
            ))
            .expect("tests/data file"),
        )],
        // The STIG's published lines (tests/data/stig-rhel9-v2r9.rules) as FILE.
        "stig-rules" => vec![file(
            words[0],
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/stig-rhel9-v2r9.rules"
            ))
            .expect("tests/data/stig-rhel9-v2r9.rules"),
        )],
        other => panic!("unknown section --- {other}"),
    }
}

pub fn parse_scenario(name: &str, text: &str) -> Scenario {
    let mut s = Scenario {
        name: name.to_string(),
        description: String::new(),
        expects: Vec::new(),
        sections: Vec::new(),
        args: Vec::new(),
        known_bug: None,
    };
    let mut lines = text.split('\n').peekable();
    // Header.
    while let Some(line) = lines.peek() {
        if line.starts_with("--- ") {
            break;
        }
        let line = lines.next().expect("peeked");
        let t = line.trim();
        if let Some(d) = t.strip_prefix('#') {
            s.description.push_str(d.trim());
            s.description.push(' ');
        } else if !t.is_empty() {
            let (k, v) = t
                .split_once(": ")
                .or_else(|| t.strip_suffix(':').map(|k| (k, "")))
                .unwrap_or_else(|| panic!("{name}: header line without `key: value`: {t}"));
            match k {
                "args" => s.args = v.split_whitespace().map(str::to_string).collect(),
                "known-bug" => s.known_bug = Some(v.to_string()),
                _ => s.expects.push((
                    k.to_string(),
                    String::from_utf8(unescape(v)).expect("utf-8 expectation"),
                )),
            }
        }
    }
    // Sections.
    while let Some(head) = lines.next() {
        let head = head.strip_prefix("--- ").expect("section header");
        let (directive, rest) = head.split_once(' ').unwrap_or((head, ""));
        let mut body_lines = Vec::new();
        while let Some(l) = lines.peek() {
            if l.starts_with("--- ") {
                break;
            }
            body_lines.push(lines.next().expect("peeked"));
        }
        while body_lines.last().is_some_and(|l| l.is_empty()) {
            body_lines.pop();
        }
        let mut body = Vec::new();
        for l in body_lines {
            body.extend(unescape(l));
            body.push(b'\n');
        }
        s.sections.extend(expand(directive, rest, body));
    }
    s
}

pub fn real(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

pub fn remove_any(p: &Path) {
    if let Ok(m) = fs::symlink_metadata(p) {
        if m.is_dir() {
            fs::remove_dir_all(p).expect("remove dir");
        } else {
            fs::remove_file(p).expect("remove file");
        }
    }
}

pub fn build(root: &Path, sections: &[Section]) {
    for s in sections {
        match s {
            Section::File { path, bytes, mode } => {
                let p = real(root, path);
                fs::create_dir_all(p.parent().expect("parent")).expect("mkdir -p");
                if fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                    fs::remove_file(&p).expect("replace symlink");
                }
                fs::write(&p, bytes).expect("write file");
                fs::set_permissions(&p, fs::Permissions::from_mode(mode.unwrap_or(0o640)))
                    .expect("chmod");
            }
            Section::Symlink { path, target } => {
                let p = real(root, path);
                fs::create_dir_all(p.parent().expect("parent")).expect("mkdir -p");
                remove_any(&p);
                symlink(target, &p).expect("symlink");
            }
            Section::Dir(path) => fs::create_dir_all(real(root, path)).expect("mkdir -p"),
            Section::Remove(path) => remove_any(&real(root, path)),
            Section::Chmod { path, mode } => {
                let paths: Vec<PathBuf> = match path.strip_suffix("/*") {
                    Some(dir) => fs::read_dir(real(root, dir))
                        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
                        .unwrap_or_default(),
                    None => vec![real(root, path)],
                };
                for p in paths.iter().filter(|p| p.exists()) {
                    fs::set_permissions(p, fs::Permissions::from_mode(*mode)).expect("chmod");
                }
            }
        }
    }
}

/// The `*.scenario` files of `dir` (relative to the crate), sorted by name.
pub fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scenario"))
        .collect();
    files.sort();
    files
}

/// Parse one scenario file; its name is the file stem.
pub fn load(path: &Path) -> Scenario {
    let name = path
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned();
    let text = fs::read_to_string(path).expect("read scenario");
    parse_scenario(&name, &text)
}

/// Every entry under `root`: bytes (or link target) and mode.
pub fn snapshot(root: &Path) -> std::collections::BTreeMap<PathBuf, (Vec<u8>, u32)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            let m = fs::symlink_metadata(&p).expect("lstat");
            let bytes = if m.file_type().is_symlink() {
                fs::read_link(&p)
                    .expect("readlink")
                    .into_os_string()
                    .into_encoded_bytes()
            } else if m.is_dir() {
                todo.push(p.clone());
                Vec::new()
            } else {
                fs::read(&p).expect("read")
            };
            out.insert(
                p.strip_prefix(root).expect("under root").to_path_buf(),
                (bytes, m.mode()),
            );
        }
    }
    out
}

/// A command's exit status and output, for assertion messages.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
