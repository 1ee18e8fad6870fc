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
//! Scripts: the installed `/usr/sbin/augenrules` (3.0.9 on Debian 12), and the 3.1.1 and 4.2
//! scripts read from a git clone of linux-audit/audit-userspace named by the environment
//! variable `AUDIT_USERSPACE_GIT` (tags `v3.1.1`, `v4.2`).
//!
//! Trees: every Debian example rules file alone, in combinations, all together; hand-written
//! edge cases; and pseudo-random trees (fixed seed).
//!
//! What the three scripts wrote for every tree (and the installed one's stderr), with the
//! example files, the awk and the scripts' fingerprints, is recorded in
//! `tests/golden/augenrules_conformance.json` with its provenance. Our merge is always compared
//! with that record, so all three releases are checked without augenrules or the clone; each
//! script that is there is run again and must still agree (`AUDITGUARD_REGENERATE_GOLDEN=1`
//! rewrites the record, and then needs all three).

mod common;

use auditguard::host::RootHost;
use auditguard::load::augenrules::{merge_with, Awk, Flavor, Release, RULES_D};
use common::golden::{self, Golden, Provenance};
use serde_json::{json, Map, Value};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The environment variable naming a git clone of linux-audit/audit-userspace.
const SOURCE_GIT_VAR: &str = "AUDIT_USERSPACE_GIT";

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
    /// Where the script came from, and a fingerprint of its text.
    source: String,
    fingerprint: String,
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
    fn write(release: Release, source: &str, text: &str, dir: &Path) -> Option<Script> {
        let fingerprint = golden::fingerprint(&[text.as_bytes()]);
        let text = substitute(text, "\"$AUGENRULES_ROOT\"")?;
        let path = dir.join(format!("augenrules-{release:?}"));
        std::fs::write(&path, text).unwrap();
        Some(Script {
            release,
            path,
            source: source.into(),
            fingerprint,
        })
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

/// The scripts that can run here; prints a line for each one that cannot.
fn scripts(dir: &Path) -> Vec<Script> {
    let mut v = Vec::new();
    match std::fs::read_to_string("/usr/sbin/augenrules") {
        Ok(text) => match Script::write(Release::V3_0_9, "/usr/sbin/augenrules", &text, dir) {
            Some(s) => v.push(s),
            None => golden::skip_live(
                "the installed augenrules",
                "its paths could not be substituted",
            ),
        },
        Err(e) => golden::skip_live(
            "the installed augenrules",
            &format!("/usr/sbin/augenrules: {e}"),
        ),
    }
    let Some(git) = std::env::var_os(SOURCE_GIT_VAR) else {
        golden::skip_live(
            "augenrules v3.1.1 and v4.2",
            &format!("{SOURCE_GIT_VAR} is not set: point it at a git clone of linux-audit/audit-userspace"),
        );
        return v;
    };
    for (release, tag, path) in [
        (Release::V3_1_1, "v3.1.1", "init.d/augenrules"),
        (Release::V4_2, "v4.2", "init.d/augenrules.in"),
    ] {
        let source = format!("{tag}:{path}");
        let out = Command::new("git")
            .arg("-C")
            .arg(&git)
            .args(["show", &source])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                match Script::write(release, &format!("audit-userspace {source}"), &text, dir) {
                    Some(s) => v.push(s),
                    None => golden::skip_live(
                        &format!("augenrules {tag}"),
                        "its paths could not be substituted",
                    ),
                }
            }
            _ => golden::skip_live(
                &format!("augenrules {tag}"),
                &format!(
                    "no {source} in {SOURCE_GIT_VAR}={}",
                    Path::new(&git).display()
                ),
            ),
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

/// Debian's example files on this machine (the live part; offline they come from the record).
fn system_examples() -> Vec<(String, Vec<u8>)> {
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

fn example_cases(ex: &[(String, Vec<u8>)]) -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, text) in ex {
        cases.push(case(format!("example {name}"), vec![file(name, text)]));
    }
    if ex.is_empty() {
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
            "controls, comments, CR, ignored names",
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

const GOLDEN: &str = "augenrules_conformance";
const RELEASES: [Release; 3] = [Release::V3_0_9, Release::V3_1_1, Release::V4_2];

fn release_key(r: Release) -> String {
    format!("{r:?}")
}

/// Every case, from the example files (file name, bytes).
fn all_cases(examples: &[(String, Vec<u8>)]) -> Vec<Case> {
    let mut cases = example_cases(examples);
    cases.extend(edge_cases());
    cases.extend(random_cases(150));
    cases
}

/// A fingerprint of a case's tree, so an answer is only used for the tree it was recorded for.
fn case_fingerprint(case: &Case) -> String {
    let Some(entries) = &case.entries else {
        return golden::fingerprint(&[b"no rules directory"]);
    };
    let mut parts: Vec<&[u8]> = Vec::new();
    for e in entries {
        match e {
            Entry::File(n, t) => parts.extend([b"file".as_slice(), n, t]),
            Entry::Dir(n) => parts.extend([b"dir".as_slice(), n]),
            Entry::Link(n, t) => parts.extend([b"link".as_slice(), n, t]),
        }
    }
    golden::fingerprint(&parts)
}

/// Build the case's tree under a fresh root.
fn root_of(case: &Case) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    if let Some(entries) = &case.entries {
        build(root.path(), entries);
    } else {
        std::fs::create_dir_all(root.path().join("etc/audit")).unwrap();
    }
    root
}

/// Our merge of the tree under `root` (the library call is kept in this one place).
fn ours(root: &Path, flavor: Flavor) -> Option<Vec<u8>> {
    merge_with(&RootHost::new(root), Path::new(RULES_D), flavor)
        .ok()
        .map(|m| m.into_text())
}

/// What one script wrote for one case, and its stderr with the root spelled `$ROOT`.
fn real(script: &Script, case: &Case) -> (Option<Vec<u8>>, String) {
    let root = root_of(case);
    let (written, stderr) = script.run(root.path());
    let root_text = root.path().to_string_lossy().into_owned();
    (written, stderr.replace(&root_text, "$ROOT"))
}

fn awk_name(awk: Awk) -> String {
    format!("{awk:?}")
}

fn awk_of(name: &str) -> Awk {
    match name {
        "Mawk" => Awk::Mawk,
        "Gawk" => Awk::Gawk,
        other => panic!("unknown awk {other:?} in {}", golden::shown(GOLDEN)),
    }
}

/// One recorded case: input fingerprint, output per release (`None`: nothing written), and
/// the installed script's stderr.
struct Recorded {
    input: String,
    outputs: Vec<(Release, Option<Vec<u8>>)>,
    stderr: String,
}

fn recorded(golden: &Golden) -> std::collections::BTreeMap<String, Recorded> {
    let mut map = std::collections::BTreeMap::new();
    for c in golden.section("cases").as_array().expect("cases") {
        let outputs_json = c["outputs"].as_object().expect("outputs");
        let decode = |v: &Value| (!v.is_null()).then(|| golden::to_bytes(v));
        let mut outputs = Vec::new();
        for r in RELEASES {
            let Some(v) = outputs_json.get(&release_key(r)) else {
                continue;
            };
            let bytes = match v.get("same_as").and_then(Value::as_str) {
                Some(other) => decode(&outputs_json[other]),
                None => decode(v),
            };
            outputs.push((r, bytes));
        }
        map.insert(
            c["name"].as_str().expect("name").to_string(),
            Recorded {
                input: c["input"].as_str().expect("input").to_string(),
                outputs,
                stderr: c["stderr"].as_str().unwrap_or_default().to_string(),
            },
        );
    }
    map
}

/// The golden file, after the live part (run once per test process): run every script that is
/// here on every tree again; rewrite the golden file or check it still holds.
fn golden_file() -> &'static Golden {
    static GOLDEN_FILE: OnceLock<Golden> = OnceLock::new();
    GOLDEN_FILE.get_or_init(|| {
        let golden = Golden::load(GOLDEN);
        let work = tempfile::tempdir().unwrap();
        let scripts = scripts(work.path());
        let awk = system_awk();
        if scripts.is_empty() || awk.is_none() {
            if awk.is_none() {
                golden::skip_live("awk", "cannot tell which awk this system runs");
            }
            return golden.unwrap_or_else(|| Golden::require(GOLDEN));
        }
        let awk = awk.expect("awk");
        let examples = system_examples();
        let cases = all_cases(&examples);
        // case → release → (written, stderr)
        let answers: Vec<Vec<(Option<Vec<u8>>, String)>> = cases
            .iter()
            .map(|case| scripts.iter().map(|s| real(s, case)).collect())
            .collect();
        let now = Provenance::here(
            "per tree: sh augenrules (paths substituted into a temporary root, auditctl and \
             restorecon replaced, never --load) with LC_ALL=C; the bytes it wrote to \
             etc/audit/audit.rules, and its stderr",
        );
        if golden::regenerate() {
            assert_eq!(
                scripts.len(),
                RELEASES.len(),
                "{}=1 needs all three augenrules scripts (set {SOURCE_GIT_VAR})",
                golden::REGENERATE_VAR
            );
            let mut g = Golden::new(GOLDEN, now);
            g.sections
                .insert("awk".into(), Value::String(awk_name(awk)));
            g.sections.insert(
                "scripts".into(),
                Value::Object(
                    scripts
                        .iter()
                        .map(|s| {
                            let v = json!({"source": s.source, "fingerprint": s.fingerprint});
                            (release_key(s.release), v)
                        })
                        .collect(),
                ),
            );
            g.sections.insert(
                "examples".into(),
                Value::Object(
                    examples
                        .iter()
                        .map(|(n, t)| (n.clone(), golden::bytes(t)))
                        .collect(),
                ),
            );
            let rows = cases
                .iter()
                .zip(&answers)
                .map(|(case, per_script)| {
                    let mut outputs = Map::new();
                    let first = &per_script[0].0;
                    for (i, (s, (written, _))) in scripts.iter().zip(per_script).enumerate() {
                        let v = if i > 0 && written == first {
                            json!({"same_as": release_key(scripts[0].release)})
                        } else {
                            written.as_deref().map_or(Value::Null, golden::bytes)
                        };
                        outputs.insert(release_key(s.release), v);
                    }
                    let mut row = json!({"name": case.name, "input": case_fingerprint(case),
                                         "outputs": outputs});
                    if !per_script[0].1.is_empty() {
                        row["stderr"] = Value::String(per_script[0].1.clone());
                    }
                    row
                })
                .collect();
            g.sections.insert("cases".into(), Value::Array(rows));
            g.save();
            return g;
        }
        let golden = golden.unwrap_or_else(|| Golden::require(GOLDEN));
        let mut differences = Vec::new();
        if golden.section("awk").as_str() != Some(awk_name(awk).as_str()) {
            differences.push(format!(
                "recorded with awk {}, now {awk:?}",
                golden.section("awk")
            ));
        }
        for s in &scripts {
            let rec = &golden.section("scripts")[release_key(s.release)];
            if rec["fingerprint"].as_str() != Some(s.fingerprint.as_str()) {
                differences.push(format!(
                    "recorded {:?} from {}, now {} (another text)",
                    s.release, rec["source"], s.source
                ));
            }
        }
        let recorded = recorded(&golden);
        let mut mismatches = Vec::new();
        let mut compared = 0;
        for (case, per_script) in cases.iter().zip(&answers) {
            let Some(rec) = recorded.get(&case.name) else {
                mismatches.push(format!("{}: not in the golden file", case.name));
                continue;
            };
            if rec.input != case_fingerprint(case) {
                mismatches.push(format!(
                    "{}: the tree differs from the recorded one",
                    case.name
                ));
                continue;
            }
            for (s, (written, stderr)) in scripts.iter().zip(per_script) {
                compared += 1;
                let want = rec.outputs.iter().find(|(r, _)| *r == s.release);
                if want.map(|(_, w)| w) != Some(written) {
                    mismatches.push(format!(
                        "{:?} {}: now {}",
                        s.release,
                        case.name,
                        show(written)
                    ));
                }
                if s.release == Release::V3_0_9 && *stderr != rec.stderr {
                    mismatches.push(format!(
                        "{:?} {}: stderr now {stderr:?}, recorded {:?}",
                        s.release, case.name, rec.stderr
                    ));
                }
            }
        }
        golden::judge_live_with(&golden, &now, false, &differences, compared, &mismatches);
        golden
    })
}

#[test]
fn merge_matches_real_augenrules_byte_for_byte() {
    let golden = golden_file();
    // Offline part: our merge against the recorded outputs of every recorded release.
    let awk = awk_of(golden.section("awk").as_str().expect("awk"));
    let examples: Vec<(String, Vec<u8>)> = golden
        .section("examples")
        .as_object()
        .expect("examples")
        .iter()
        .map(|(n, t)| (n.clone(), golden::to_bytes(t)))
        .collect();
    let cases = all_cases(&examples);
    let recorded = recorded(golden);
    let mut compared = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let rec = match recorded.get(&case.name) {
            Some(rec) if rec.input == case_fingerprint(case) => rec,
            found => {
                failures.push(format!(
                    "{}: {}; regenerate {} with {}=1 and {SOURCE_GIT_VAR} set",
                    case.name,
                    if found.is_some() {
                        "the recorded tree differs"
                    } else {
                        "not recorded"
                    },
                    golden::shown(GOLDEN),
                    golden::REGENERATE_VAR
                ));
                continue;
            }
        };
        let root = root_of(case);
        for (release, real) in &rec.outputs {
            let flavor = Flavor {
                awk,
                release: *release,
            };
            let ours = ours(root.path(), flavor);
            compared += 1;
            if *real != ours {
                failures.push(format!(
                    "{flavor:?} {}:\n  real: {}\n  ours: {}\n  stderr: {}",
                    case.name,
                    show(real),
                    show(&ours),
                    rec.stderr
                ));
            }
        }
    }
    let releases: Vec<String> = RELEASES
        .iter()
        .filter(|r| golden.section("scripts").get(release_key(**r)).is_some())
        .map(|r| release_key(*r))
        .collect();
    println!(
        "compared {compared} trees byte for byte ({} cases x releases {} as recorded in {}, \
         {}, awk {awk:?}), {} differ",
        cases.len(),
        releases.join(", "),
        golden::shown(GOLDEN),
        golden.provenance.auditd,
        failures.len()
    );
    assert!(
        releases.len() == RELEASES.len(),
        "{} lacks a release",
        golden::shown(GOLDEN)
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diagnostics_name_what_cat_complains_about() {
    let golden = golden_file();
    // What the installed augenrules' `cat` said on the symlinks tree, as recorded.
    let stderr = &recorded(golden)
        .remove("symlinks")
        .expect("symlinks case recorded")
        .stderr;
    let symlinks = edge_cases()
        .into_iter()
        .find(|c| c.name == "symlinks")
        .unwrap();
    let root = root_of(&symlinks);
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
