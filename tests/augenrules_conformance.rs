//! Conformance: `load::augenrules::merge_with` against the real augenrules script, byte for byte.
//!
//! How the real script runs: a copy of it with its hard-coded paths replaced by `sed`-like
//! substitution (`SourceRulesDir`, `DestinationFile` point into a temporary root; the header
//! keeps the literal `/etc/audit/rules.d`; `auditctl` and `restorecon` point to nothing). This
//! was chosen over a private mount namespace because it needs no privileges and is
//! deterministic. `--load` is never passed. It runs under `/bin/sh` with `LC_ALL=C` (see
//! `DiagnosticKind::NonUtf8Name` for what a UTF-8 locale changes) and with the system's `awk`
//! (mawk on Debian), so the expected flavor is `Awk::Mawk` — checked, not assumed.
//!
//! Scripts: the installed `/usr/sbin/augenrules` (3.0.9 on Debian 12) always; the 3.1.1 and
//! 4.2 scripts from the audit-userspace mirror when it is present (else skipped with a reason).
//!
//! Trees: every Debian example rules file alone, in combinations, all together; hand-written
//! edge cases; and pseudo-random trees (fixed seed).

use auditguard::host::RootHost;
use auditguard::load::augenrules::{merge_with, Awk, Flavor, Release, RULES_D};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

const MIRROR: &str = "/work/.mirror/linux-audit+audit-userspace/repo";

/// One entry of a rules.d tree.
#[derive(Clone, Debug)]
enum Entry {
    File(Vec<u8>, Vec<u8>),
    Dir(Vec<u8>),
    Link(Vec<u8>, Vec<u8>),
}

fn file(name: impl AsRef<[u8]>, text: impl AsRef<[u8]>) -> Entry {
    Entry::File(name.as_ref().to_vec(), text.as_ref().to_vec())
}

struct Case {
    name: String,
    /// `None`: no rules.d at all.
    entries: Option<Vec<Entry>>,
}

fn case(name: impl Into<String>, entries: Vec<Entry>) -> Case {
    Case {
        name: name.into(),
        entries: Some(entries),
    }
}

fn os(b: &[u8]) -> &std::ffi::OsStr {
    std::os::unix::ffi::OsStrExt::from_bytes(b)
}

fn build(root: &Path, entries: &[Entry]) {
    let dir = root.join("etc/audit/rules.d");
    std::fs::create_dir_all(&dir).unwrap();
    for e in entries {
        match e {
            Entry::File(n, t) => std::fs::write(dir.join(os(n)), t).unwrap(),
            Entry::Dir(n) => std::fs::create_dir_all(dir.join(os(n))).unwrap(),
            Entry::Link(n, t) => symlink(os(t), dir.join(os(n))).unwrap(),
        }
    }
}

/// A runnable copy of one augenrules release, confined to a root given at run time.
struct Script {
    release: Release,
    path: PathBuf,
}

fn substitute(text: &str, placeholder_root: &str) -> Option<String> {
    let mut s = text.to_string();
    let replace = |s: &mut String, from: &str, to: &str| -> Option<()> {
        s.contains(from).then(|| *s = s.replace(from, to))
    };
    replace(
        &mut s,
        "DestinationFile=/etc/audit/audit.rules",
        &format!("DestinationFile={placeholder_root}/etc/audit/audit.rules"),
    )?;
    replace(
        &mut s,
        "SourceRulesDir=/etc/audit/rules.d",
        &format!("SourceRulesDir={placeholder_root}/etc/audit/rules.d"),
    )?;
    replace(
        &mut s,
        "generated from $SourceRulesDir",
        "generated from /etc/audit/rules.d",
    )?;
    s = s
        .replace("@sbindir@/auditctl", "/bin/false")
        .replace("/sbin/auditctl", "/bin/false")
        .replace("/sbin/restorecon", "/nonexistent/restorecon");
    (!s.contains('@')).then_some(s)
}

impl Script {
    fn write(release: Release, text: &str, dir: &Path) -> Option<Script> {
        let text = substitute(text, "\"$AUGENRULES_ROOT\"")?;
        let path = dir.join(format!("augenrules-{release:?}"));
        std::fs::write(&path, text).unwrap();
        Some(Script { release, path })
    }

    /// Run on `root`: the bytes written to audit.rules, or `None` if it wrote none.
    fn run(&self, root: &Path) -> (Option<Vec<u8>>, String) {
        let out = Command::new("/bin/sh")
            .arg(&self.path)
            .env("AUGENRULES_ROOT", root)
            .env("LC_ALL", "C")
            .current_dir(root)
            .output()
            .expect("run augenrules copy");
        let written = std::fs::read(root.join("etc/audit/audit.rules")).ok();
        (written, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn scripts(dir: &Path) -> Vec<Script> {
    let mut v = Vec::new();
    match std::fs::read_to_string("/usr/sbin/augenrules") {
        Ok(text) => match Script::write(Release::V3_0_9, &text, dir) {
            Some(s) => v.push(s),
            None => println!("SKIP installed augenrules: its paths could not be substituted"),
        },
        Err(e) => println!("SKIP installed augenrules: /usr/sbin/augenrules: {e}"),
    }
    for (release, tag, path) in [
        (Release::V3_1_1, "v3.1.1", "init.d/augenrules"),
        (Release::V4_2, "v4.2", "init.d/augenrules.in"),
    ] {
        let out = Command::new("git")
            .args(["-C", MIRROR, "show", &format!("{tag}:{path}")])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                match Script::write(release, &text, dir) {
                    Some(s) => v.push(s),
                    None => println!("SKIP augenrules {tag}: paths could not be substituted"),
                }
            }
            _ => println!("SKIP augenrules {tag}: no audit-userspace mirror at {MIRROR}"),
        }
    }
    v
}

fn system_awk() -> Option<Awk> {
    let out = Command::new("sh")
        .args([
            "-c",
            r#"printf ' s\n' | awk '{ print match($0, "^\\s*s") }'"#,
        ])
        .output()
        .ok()?;
    // gawk: `\s*` eats the space, then `s` matches at 1. mawk: `s*` matches empty, `s` does
    // not match the space: 0.
    match String::from_utf8_lossy(&out.stdout).trim() {
        "1" => Some(Awk::Gawk),
        "0" => Some(Awk::Mawk),
        _ => None,
    }
}

fn debian_examples() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new("/usr/share/doc/auditd/examples/rules");
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".rules"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn example_cases() -> Vec<Case> {
    let ex = debian_examples();
    let mut cases = Vec::new();
    for (name, text) in &ex {
        cases.push(case(format!("example {name}"), vec![file(name, text)]));
    }
    if ex.is_empty() {
        println!("NOTE no Debian example rules in /usr/share/doc/auditd/examples/rules");
        return cases;
    }
    cases.push(case(
        "all examples",
        ex.iter().map(|(n, t)| file(n, t)).collect(),
    ));
    let n = ex.len();
    for i in 0..n {
        let picks = [i, (i + 7) % n, (i + 13) % n];
        cases.push(case(
            format!("examples {i}+{}+{}", picks[1], picks[2]),
            picks.iter().map(|&k| file(&ex[k].0, &ex[k].1)).collect(),
        ));
        // Renamed so the version sort, not the example's own number, decides the order.
        cases.push(case(
            format!("examples {i} renumbered"),
            picks
                .iter()
                .enumerate()
                .map(|(j, &k)| file(format!("{}-{}", [100, 9, 10][j], ex[k].0), &ex[k].1))
                .collect(),
        ));
    }
    cases
}

fn edge_cases() -> Vec<Case> {
    let one = |n: &str| file(n, format!("-a always,exit -S {n}\n"));
    vec![
        Case {
            name: "no rules directory".into(),
            entries: None,
        },
        case("empty directory", vec![]),
        case(
            "empty files",
            vec![file("a.rules", ""), file("b.rules", "")],
        ),
        case(
            "version sort",
            [
                "2-x.rules",
                "10-x.rules",
                "99-x.rules",
                "100-x.rules",
                "a.rules",
                "a1.rules",
                "a01.rules",
                "a.b.rules",
                "1.2.rules",
                "1.10.rules",
                "x~1.rules",
                "a~.rules",
                "-dash.rules",
                "_u.rules",
                "Z.rules",
                "z.rules",
                "1.rules",
                "01.rules",
                "001.rules",
                "1a.rules",
                "1-a.rules",
                "1_a.rules",
                "v1.0~rc1.rules",
                "v1.0.rules",
                "\u{e9}t\u{e9}.rules",
            ]
            .iter()
            .map(|n| one(n))
            .collect(),
        ),
        case(
            "ignored names",
            vec![
                one("keep.rules"),
                one(".hidden.rules"),
                one(".rules"),
                one("x.rules.bak"),
                one("x.rules~"),
                one("x.rule"),
                one("x.RULES"),
                one("rules"),
                Entry::Dir(b"sub".to_vec()),
                file("sub/inner.rules", "-a inner\n"),
                Entry::Dir(b"d.rules".to_vec()),
            ],
        ),
        case(
            "reference 3.2 example",
            vec![
                file(
                    "2-early.rules",
                    "-a always,exit -F arch=b64 -S execve -k two\n-e 1\n",
                ),
                file(
                    "10-base-config.rules",
                    "-D\n-b 8192\n--backlog_wait_time 60000\n-f 1\n",
                ),
                file(
                    "30-main.rules",
                    "-w /etc/passwd -p wa -k identity\n  # indented comment\n  -e 1\n\
                     -D -k foo\n-D  \n\t-b 5\n-a always,exit -F arch=b64 -S chdir -k thirty\n",
                ),
                file("50-crlf.rules", "-w /etc/hosts -p wa -k crlf\r\n"),
                file("99-finalize.rules", "-e 2\n"),
                file("100-late.rules", "-f 2\n"),
                file("40-x.rules.bak", "-a never,exit\n"),
                file(".hidden.rules", "-a never,exit\n"),
            ],
        ),
        case(
            "several controls",
            vec![
                file("a.rules", "-e 1\n-D\n-D -k x\n-b 1\n-f 1\n-a one\n-e 0\n"),
                file("b.rules", "-D\n-b 2\n-a two\n-f 2\n-e 2\n-D -k y\n"),
            ],
        ),
        case(
            "control spellings",
            vec![file(
                "a.rules",
                "-e2\n-exit\n--e 1\n-D\t\n-Dx\n-D -k\n -D\n-b\n-f\n-bb\n\t# tab comment\n\
                 #\n# x\nss# mawk comment\ns-e 1\n-Dss\nsss-f 1\n-E\n-d\n-F\n-B\n",
            )],
        ),
        case(
            "carriage returns",
            vec![
                file("a.rules", "-w /a -p wa\r\n-D\r\n\r\n-e 1\r\n# c\r\n\r"),
                file("b.rules", "-w /b\r-w /c\r"),
            ],
        ),
        case(
            "missing final newlines",
            vec![
                file("1.rules", "-a one\n-a two"),
                file("2.rules", ""),
                file("3.rules", " -k joined\n-a three"),
                file("4.rules", "-e 1"),
                file("5.rules", "-D"),
            ],
        ),
        case(
            "comment joins rule",
            vec![
                file("1.rules", "# no newline"),
                file("2.rules", "-a hidden\n-a kept\n"),
            ],
        ),
        case(
            "whitespace lines",
            vec![file("a.rules", " \n\t\n  \n\x0b\n\x0c\n-a x\n")],
        ),
        case(
            "names with whitespace",
            vec![
                file("my rules.rules", "-a mine\n"),
                file("rules.rules", "-a word\n"),
                file("tab\tname.rules", "-a tab\n"),
                file("name.rules", "-a name\n"),
                file("a b c.rules", "-a abc\n"),
                file("c.rules", "-a c\n"),
                file("n\nl.rules", "-a newline\n"),
                file("l.rules", "-a l\n"),
                file("x.rules\ny", "-a x-y\n"),
                file("x.rules", "-a x\n"),
            ],
        ),
        case(
            "symlinks",
            vec![
                file("real.txt", "-a via link\n"),
                Entry::Link(b"10-link.rules".to_vec(), b"real.txt".to_vec()),
                Entry::Link(b"20-dangling.rules".to_vec(), b"nowhere".to_vec()),
                Entry::Link(b"30-loop.rules".to_vec(), b"30-loop.rules".to_vec()),
                Entry::Dir(b"dir".to_vec()),
                Entry::Link(b"40-dir.rules".to_vec(), b"dir".to_vec()),
                Entry::Link(b"50-self.rules".to_vec(), b"10-link.rules".to_vec()),
            ],
        ),
        case(
            "binary and long lines",
            vec![
                file("a.rules", b"-a \0nul\n\xff\xfe\n-w /\x80 -k k\n"),
                file("b.rules", format!("-a {}\n", "x".repeat(100_000))),
            ],
        ),
    ]
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick(&mut self, v: &[&'static str]) -> &'static str {
        v[self.below(v.len())]
    }
}

fn random_cases(count: usize) -> Vec<Case> {
    const LINES: &[&str] = &[
        "-a always,exit -F arch=b64 -S init_module -k modules",
        "-w /etc/passwd -p wa -k identity",
        "-D",
        "-D ",
        " -D",
        "-D -k x",
        "-b 8192",
        "\t-b 5",
        "-f 1",
        "-f 2",
        " -f 0",
        "-e 1",
        "-e 2",
        "  -e 0",
        "# comment",
        "  # indented",
        "#",
        "",
        " ",
        "\t",
        "ss# s",
        "s-e 1",
        "--backlog_wait_time 60000",
        "-r 100",
        "--loginuid-immutable",
        "-c",
        "-i",
        "-w /etc/hosts -p wa -k crlf\r",
        "-D\r",
        "\r",
        "-a never,exit -S all",
    ];
    const NAME_PARTS: &[&str] = &[
        "0", "1", "2", "9", "10", "99", "100", "007", "-", "_", ".", "~", "a", "b", "Z", "x1",
        "rules", "v1.2", "base", "~rc",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|i| {
            let mut entries = Vec::new();
            for _ in 0..rng.below(7) {
                let mut name = String::new();
                for _ in 0..1 + rng.below(4) {
                    name.push_str(rng.pick(NAME_PARTS));
                }
                name.push_str(rng.pick(&[".rules", ".rules", ".rules", ".conf", ".rules~"]));
                let mut text = String::new();
                for _ in 0..rng.below(9) {
                    text.push_str(rng.pick(LINES));
                    text.push('\n');
                }
                if rng.below(4) == 0 {
                    text.pop();
                }
                entries.push(file(name, text));
            }
            case(format!("random {i}"), entries)
        })
        .collect()
}

fn show(bytes: &Option<Vec<u8>>) -> String {
    match bytes {
        Some(b) => String::from_utf8_lossy(b).escape_debug().to_string(),
        None => "<nothing written>".into(),
    }
}

#[test]
fn merge_matches_real_augenrules_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    let scripts = scripts(work.path());
    if scripts.is_empty() {
        println!("SKIP: augenrules is not installed");
        return;
    }
    let Some(awk) = system_awk() else {
        println!("SKIP: cannot tell which awk this system runs");
        return;
    };
    let mut cases = example_cases();
    cases.extend(edge_cases());
    cases.extend(random_cases(150));

    let mut compared = 0;
    let mut failures = Vec::new();
    for script in &scripts {
        let flavor = Flavor {
            awk,
            release: script.release,
        };
        for case in &cases {
            let root = tempfile::tempdir().unwrap();
            if let Some(entries) = &case.entries {
                build(root.path(), entries);
            } else {
                std::fs::create_dir_all(root.path().join("etc/audit")).unwrap();
            }
            let (real, stderr) = script.run(root.path());
            let ours = merge_with(&RootHost::new(root.path()), Path::new(RULES_D), flavor)
                .ok()
                .map(|m| m.into_text());
            compared += 1;
            if real != ours {
                failures.push(format!(
                    "{flavor:?} {}:\n  real: {}\n  ours: {}\n  stderr: {stderr}",
                    case.name,
                    show(&real),
                    show(&ours)
                ));
            }
        }
    }
    println!(
        "compared {compared} trees byte for byte ({} cases x {} scripts, awk {awk:?}), {} differ",
        cases.len(),
        scripts.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diagnostics_name_what_cat_complains_about() {
    let Ok(text) = std::fs::read_to_string("/usr/sbin/augenrules") else {
        println!("SKIP: augenrules is not installed");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let script = Script::write(Release::V3_0_9, &text, work.path()).unwrap();
    let root = tempfile::tempdir().unwrap();
    let symlinks = edge_cases()
        .into_iter()
        .find(|c| c.name == "symlinks")
        .unwrap();
    build(root.path(), symlinks.entries.as_ref().unwrap());
    let (_, stderr) = script.run(root.path());
    let merged = merge_with(
        &RootHost::new(root.path()),
        Path::new(RULES_D),
        Flavor::DEBIAN_12,
    )
    .unwrap();
    // Every file cat complained about is named by a diagnostic, and the other way round.
    let complained: Vec<&str> = ["20-dangling.rules", "30-loop.rules", "40-dir.rules"].to_vec();
    for name in &complained {
        assert!(stderr.contains(name), "stderr lacks {name}: {stderr}");
        assert!(
            merged.diagnostics().iter().any(|d| d.path.ends_with(name)),
            "no diagnostic for {name}: {:?}",
            merged.diagnostics()
        );
    }
    assert_eq!(merged.diagnostics().len(), complained.len());
}
