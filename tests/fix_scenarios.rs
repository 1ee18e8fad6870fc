//! `auditguard fix` on every broken root: each `tests/scenarios/*.scenario` whose verdict is
//! `fail` or `error`, and every `tests/fix/*.scenario` (broken roots written for `fix`), run
//! twice — plain and with `--repair` — on fresh copies, checking `fix`'s invariants:
//!
//! - (a) `fix` exits 0 and then `check` passes, or exits 1 naming a blocker (and then the tree is
//!   byte-identical: blocked plans write nothing); exit 2 only for `verdict: error` roots, which
//!   it must not touch either;
//! - (b) a second `fix` changes no byte and no mode anywhere in the tree;
//! - (c) every file no step names is byte-identical (mode too), and the JSON `diff` applied to
//!   the old bytes of each named file gives exactly its new bytes, so no line outside the diff
//!   moved or changed;
//! - (d) new files are mode 0600;
//! - (e) the real augenrules (a copy of `/usr/sbin/augenrules` with its two paths pointed at a
//!   scratch directory by substitution; never `--load`) merges the fixed `rules.d`, and the real
//!   `auditctl -R` loads the result — or `audit.rules` in auditctl mode — into this machine's
//!   kernel inside `common::with_kernel`, status lines dropped, with `-c` so every line is tried.
//!   An error counts when the same line text did not already fail in the original
//!   configuration and it is not ENOENT (watches of paths missing on this machine, since the
//!   root is not `/`); ENOENT ones are reported as skipped.
//!
//! `rules.d` symlinks are resolved inside the root before augenrules sees the files (the real
//! script would follow them on this machine's `/`).
//!
//! # Expectations
//!
//! A `tests/fix/*.scenario` header (besides the `check` keys of `tests/scenarios.rs`, of which
//! only `verdict:` is checked here, against `check` before the fix) may say:
//!
//! ```text
//! fix: fixed|blocked|error|any        outcome of plain `fix` (default: fixed)
//! fix.blocker: TEXT                   one blocker contains TEXT
//! fix.diff: TEXT                      the diff contains TEXT
//! fix.not-diff: TEXT                  the diff does not contain TEXT
//! fix.file PATH: TEXT                 after the fix, the file PATH (in the root) contains TEXT
//! fix.line PATH: TEXT                 ... one of its lines is exactly TEXT (CR included)
//! fix.first-line PATH: TEXT           ... its first line is TEXT
//! fix.last-line PATH: TEXT            ... its last line is TEXT
//! repair: ..., repair.blocker: ...    the same for `fix --repair` (default: as plain `fix`)
//! known-bug: ONE LINE                 the expectation is right, the code is not: reported only
//! ```
//!
//! The expectations for the `tests/scenarios` roots are in [`EXISTING`], same syntax.
//! `FIX_SCENARIO=substring` runs only matching scenarios; `FIX_SHOW=1` prints every fix report.
//! `FIX_EXPORT=DIR` (with `-- --ignored export_broken_roots`) writes every broken root to
//! `DIR/NAME/` for `bench/fix-vs-cac.sh`.

#[path = "common/scenario.rs"]
mod scenario;

mod common;

use scenario::{build, load, Scenario};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Expected outcomes of the `tests/scenarios` roots that `check` fails. Unlisted: `fix: fixed`.
/// A load stopped by someone else's line blocks; `--repair` fixes it.
const EXISTING: &[(&str, &str)] = &[
    (
        "auditctl-world-writable-rules-file",
        "fix: blocked\nfix.blocker: world writable",
    ),
    ("crlf-perm-last-fails", STOPPED),
    ("duplicate-k-vs-key-augenrules", STOPPED_DUPLICATE),
    ("duplicate-rule-auditctl", STOPPED_DUPLICATE),
    ("exclude-syscall-records", "fix: blocked\nfix.blocker: exclude rule at /etc/audit/rules.d/70-exclude.rules:1"),
    (
        "join-no-trailing-newline",
        // The join swallowed the module rule: plain fix adds the newline (no --repair needed).
        "fix.line /etc/audit/rules.d/10-identity.rules: -w /etc/passwd -p wa -k identity\n\
         fix.not-diff: +-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules",
    ),
    ("load-stop-tab-before", STOPPED),
    ("load-stop-trailing-comment-before", STOPPED),
    ("load-stop-unknown-syscall-before", STOPPED),
    ("mode-unknown-loader", "fix: error"),
    ("order-prepend-never", "fix: blocked\nfix.blocker: 99-zz.rules:1: -A never"),
    ("ssg-template-wrong-syscall", STOPPED),
    ("task-never-root-only", "fix: blocked\nfix.blocker: task-list never rule"),
    ("task-never", "fix: blocked\nfix.blocker: task-list never rule"),
    (
        "join-swallows-a-rule",
        "fix.diff: +# end of identity rules\nfix.not-diff: +-a always,exit -F arch=b64\n\
         fix.last-line /etc/audit/rules.d/10-identity.rules: # end of identity rules",
    ),
    ("loader-auditctl-R-with-other-options", "fix: blocked\nfix.blocker: nested rule files"),
    ("loader-augenrules-bad-option", "fix: blocked\nfix.blocker: augenrules stops at"),
    ("loader-augenrules-check-stale", "fix: blocked\nfix.blocker: augenrules --check"),
    ("auditd-masked", "fix: blocked\nfix.blocker: auditd.service is masked"),
    ("nochange-grouped-flags", "fix: blocked\nfix.blocker: nothing enables auditing"),
    ("auditd-not-enabled", "fix: blocked\nfix.blocker: auditd.service is not enabled"),
    ("e0-last-auditctl", "fix: blocked\nfix.blocker: disabled by -e 0 at /etc/audit/audit.rules:7"),
    (
        "e0-last-augenrules",
        "fix: blocked\nfix.blocker: disabled by -e 0 at /etc/audit/rules.d/99-off.rules:1",
    ),
    ("nochange-nobody-enables", "fix: blocked\nfix.blocker: nothing enables auditing"),
    ("loader-auditctl-without-R", "fix: blocked\nfix.blocker: auditd.service:2"),
    ("loader-augenrules-without-load", "fix: blocked\nfix.blocker: auditd.service:3"),
    ("loader-program-missing-on-image", "fix: blocked\nfix.blocker: does not exist"),
    (
        "watch-symlinked-tools-advice",
        "fix.diff: +-w /usr/bin/kmod -p x -k modules\nfix.not-diff: +-w /usr/sbin/insmod",
    ),
    // A tree on a symlink to a directory (the kernel puts it on the link): fix watches the
    // file really executed, with the control's key, and leaves the other purpose's tree alone.
    (
        "watch-directory-symlink-bin-kmod",
        "fix.diff: +-w /usr/bin/kmod -p x -k modules\nfix.not-diff: +-w /usr/sbin/insmod\n\
         fix.not-diff: +-w /bin\nfix.line /etc/audit/rules.d/60-tools.rules: -w /bin -p x -k bin-exec",
    ),
    (
        "watch-directory-symlink-dir-field",
        "fix.diff: +-w /usr/bin/kmod -p x -k modules\nfix.not-diff: dir=/usr/bin",
    ),
    (
        "watch-directory-symlink-sbin",
        "fix.diff: +-w /usr/sbin/insmod -p x -k modules\nfix.not-diff: +-w /sbin",
    ),
    (
        "task-always-before-never",
        "fix: blocked\nfix.blocker: task-list always rule at /etc/audit/rules.d/10-task.rules:1",
    ),
    ("watch-missing-parent-stops-load", STOPPED),
];

/// Someone else's line stops the load before ours: blocked; `--repair` repairs it.
const STOPPED: &str = "fix: blocked\nfix.blocker: the load stops at\nrepair: fixed";

/// ... and the line is a duplicate: `--repair` comments it out with a note.
const STOPPED_DUPLICATE: &str =
    "fix: blocked\nfix.blocker: Rule exists\nrepair: fixed\nrepair.diff: +# auditguard: duplicate";

/// At least this many own broken roots in `tests/fix`.
const MIN_OWN: usize = 12;

// ---------------------------------------------------------------------------------------------
// Trees: every entry's bytes and mode, before and after.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File(Vec<u8>, u32),
    Link(PathBuf),
    Dir(u32),
}

type Tree = BTreeMap<PathBuf, Node>;

fn snapshot(root: &Path) -> Tree {
    let mut tree = Tree::new();
    fn walk(root: &Path, rel: &Path, tree: &mut Tree) {
        let dir = root.join(rel);
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").file_name())
            .collect();
        entries.sort();
        for name in entries {
            let r = rel.join(&name);
            let p = root.join(&r);
            let m = fs::symlink_metadata(&p).expect("lstat");
            let mode = m.mode() & 0o7777;
            if m.file_type().is_symlink() {
                tree.insert(r, Node::Link(fs::read_link(&p).expect("readlink")));
            } else if m.is_dir() {
                tree.insert(r.clone(), Node::Dir(mode));
                walk(root, &r, tree);
            } else {
                tree.insert(r, Node::File(fs::read(&p).expect("read"), mode));
            }
        }
    }
    walk(root, Path::new(""), &mut tree);
    tree
}

/// The paths whose entry differs between two trees.
fn changed(a: &Tree, b: &Tree) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = a
        .iter()
        .filter(|(p, n)| b.get(*p) != Some(n))
        .map(|(p, _)| p.clone())
        .collect();
    out.extend(b.keys().filter(|p| !a.contains_key(*p)).cloned());
    out.sort();
    out.dedup();
    out
}

/// Resolve a target path inside the root as the loader sees it: absolute symlinks restart at
/// the root, `..` clamps at it. Returns the path relative to the root.
fn resolve_in_root(root: &Path, path: &Path) -> PathBuf {
    let mut todo: Vec<std::ffi::OsString> = Vec::new();
    let push_front = |todo: &mut Vec<std::ffi::OsString>, p: &Path| {
        let mut comps: Vec<std::ffi::OsString> = p
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.to_os_string()),
                Component::ParentDir => Some("..".into()),
                _ => None,
            })
            .collect();
        comps.reverse();
        todo.extend(comps);
    };
    push_front(&mut todo, path);
    let mut cur = PathBuf::new();
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            cur.pop();
            continue;
        }
        let next = cur.join(&c);
        match fs::read_link(root.join(&next)) {
            Ok(target) if hops < 40 => {
                hops += 1;
                if target.is_absolute() {
                    cur = PathBuf::new();
                }
                push_front(&mut todo, &target);
            }
            _ => cur = next,
        }
    }
    cur
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

struct Run {
    code: Option<i32>,
    json: Option<Value>,
    stdout: String,
    stderr: String,
}

fn auditguard(args: &[&str], root: &Path) -> Run {
    let out = assert_cmd::Command::cargo_bin("auditguard")
        .expect("the auditguard binary is built")
        .args(args)
        .arg("--root")
        .arg(root)
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run auditguard");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json: Option<Value> = serde_json::from_str(&stdout).ok();
    if json.is_some() {
        common::validate::later(stdout.as_bytes());
    }
    Run {
        code: out.status.code(),
        json,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// The fix/1 schema: every documented key with its type.
fn schema_problems(j: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if j["schema"] != "auditguard/fix/1" {
        p.push(format!("schema: {}", j["schema"]));
    }
    if !j["changed"].is_boolean() {
        p.push("changed: not a boolean".into());
    }
    if !["pass", "fail", "error", "notapplicable"].contains(&j["verdict"].as_str().unwrap_or("")) {
        p.push(format!("verdict: {}", j["verdict"]));
    }
    if !j["blockers"].is_array() || !j["diff"].is_string() || !j["steps"].is_array() {
        p.push("blockers/diff/steps: wrong types".into());
    }
    for s in j["steps"].as_array().into_iter().flatten() {
        if !s["why"].is_string() || !s["files"].is_array() {
            p.push(format!("step without why/files: {s}"));
        }
    }
    p
}

// ---------------------------------------------------------------------------------------------
// The diff, applied.

/// One file's part of the unified diff: its target path and hunks.
struct FileDiff {
    path: String,
    hunks: Vec<(usize, Vec<(char, String)>)>,
}

fn parse_diff(diff: &str) -> Result<Vec<FileDiff>, String> {
    let mut files: Vec<FileDiff> = Vec::new();
    let mut lines = diff.split_inclusive('\n').peekable();
    while let Some(l) = lines.next() {
        if l.starts_with("--- ") {
            let plus = lines.next().ok_or("--- without +++")?;
            let path = plus
                .strip_prefix("+++ b")
                .ok_or_else(|| format!("bad +++ line {plus:?}"))?
                .trim_end_matches('\n')
                .to_string();
            files.push(FileDiff {
                path,
                hunks: Vec::new(),
            });
        } else if let Some(h) = l.strip_prefix("@@ -") {
            let old = h.split(' ').next().unwrap_or("");
            let start: usize = old
                .split(',')
                .next()
                .unwrap_or("0")
                .parse()
                .map_err(|_| format!("bad hunk header {l:?}"))?;
            let f = files.last_mut().ok_or("hunk before a file header")?;
            f.hunks.push((start, Vec::new()));
        } else if l.starts_with('\\') {
            // "\ No newline at end of file": the previous line had no terminator.
            let hunk = files
                .last_mut()
                .and_then(|f| f.hunks.last_mut())
                .ok_or("stray \\ line")?;
            if let Some((_, text)) = hunk.1.last_mut() {
                if text.ends_with('\n') {
                    text.pop();
                }
            }
        } else {
            let mut chars = l.chars();
            let sign = chars.next().ok_or("empty diff line")?;
            if !matches!(sign, ' ' | '-' | '+') {
                return Err(format!("unexpected diff line {l:?}"));
            }
            let hunk = files
                .last_mut()
                .and_then(|f| f.hunks.last_mut())
                .ok_or("line outside a hunk")?;
            hunk.1.push((sign, chars.as_str().to_string()));
        }
    }
    Ok(files)
}

/// Apply one file's hunks to `old`; `Err` when a context or removed line does not match.
fn patch(old: &str, fd: &FileDiff) -> Result<String, String> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut i = 0;
    for (start, lines) in &fd.hunks {
        let first = start.saturating_sub(1);
        // A hunk of a pure insertion names the line before it: `-N,0` inserts after line N.
        let first = if lines.iter().all(|(s, _)| *s == '+') {
            *start
        } else {
            first
        };
        while i < first.min(old_lines.len()) {
            out.push_str(old_lines[i]);
            i += 1;
        }
        for (sign, text) in lines {
            match sign {
                '+' => out.push_str(text),
                _ => {
                    let have = old_lines.get(i).copied().unwrap_or("<end of file>");
                    if have != text {
                        return Err(format!(
                            "{}: diff line {sign}{text:?} but the old file has {have:?} at line {}",
                            fd.path,
                            i + 1
                        ));
                    }
                    if *sign == ' ' {
                        out.push_str(text);
                    }
                    i += 1;
                }
            }
        }
    }
    for l in &old_lines[i.min(old_lines.len())..] {
        out.push_str(l);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The real augenrules and the real auditctl.

/// The real augenrules merge of the root's rules.d (symlinks resolved inside the root):
/// the bytes it writes as audit.rules.
fn augenrules_merge(root: &Path, scratch: &Path) -> Result<String, String> {
    let script = fs::read_to_string("/usr/sbin/augenrules")
        .map_err(|e| format!("/usr/sbin/augenrules: {e}"))?;
    let src = scratch.join("rules.d");
    let dest = scratch.join("audit.rules");
    let _ = fs::remove_dir_all(&src);
    let _ = fs::remove_file(&dest);
    fs::create_dir_all(&src).expect("mkdir scratch rules.d");
    let rules_d = resolve_in_root(root, Path::new("/etc/audit/rules.d"));
    if let Ok(rd) = fs::read_dir(root.join(&rules_d)) {
        for e in rd {
            let e = e.expect("dir entry");
            let name = e.file_name();
            let real = resolve_in_root(root, &Path::new("/").join(&rules_d).join(&name));
            let p = root.join(real);
            if p.is_dir() {
                fs::create_dir_all(src.join(&name)).expect("mkdir");
            } else if let Ok(bytes) = fs::read(&p) {
                fs::write(src.join(&name), bytes).expect("copy rules.d file");
            }
        }
    }
    let mut text = script.clone();
    for (from, to) in [
        (
            "DestinationFile=/etc/audit/audit.rules",
            format!("DestinationFile={}", dest.display()),
        ),
        (
            "SourceRulesDir=/etc/audit/rules.d",
            format!("SourceRulesDir={}", src.display()),
        ),
    ] {
        if !text.contains(from) {
            return Err(format!(
                "augenrules: cannot point {from:?} at the scratch dir"
            ));
        }
        text = text.replace(from, &to);
    }
    text = text
        .replace("/sbin/auditctl", "/bin/false")
        .replace("/sbin/restorecon", "/nonexistent/restorecon");
    let copy = scratch.join("augenrules");
    fs::write(&copy, text).expect("write augenrules copy");
    let out = Command::new("/bin/sh")
        .arg(&copy)
        .env("LC_ALL", "C")
        .output()
        .expect("run augenrules copy");
    match fs::read(&dest) {
        Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        // "No rules": an empty rules.d writes nothing.
        Err(_) if String::from_utf8_lossy(&out.stdout).contains("No rules") => Ok(String::new()),
        Err(e) => Err(format!(
            "augenrules wrote no audit.rules ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// What the loader would hand to `auditctl -R`, per the detected mode.
fn loaded_text(root: &Path, mode: &str, scratch: &Path) -> Result<String, String> {
    match mode {
        "augenrules" => augenrules_merge(root, scratch),
        "auditctl" => {
            let p = root.join(resolve_in_root(root, Path::new("/etc/audit/audit.rules")));
            Ok(String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned())
        }
        other => Err(format!("unknown loader mode {other:?}")),
    }
}

/// One line `auditctl -c -R` refused: its text and the message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LoadError {
    text: String,
    message: String,
}

/// Load `text` (status lines dropped) into the kernel with `-c`; every refused line.
fn kernel_load(text: &str, scratch: &Path) -> Vec<LoadError> {
    let body = common::rules_only(text);
    let file = scratch.join("load.rules");
    fs::write(&file, format!("-c\n{body}")).expect("write load file");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).expect("chmod");
    let lines: Vec<&str> = body.lines().collect();
    let f = file.to_str().expect("utf-8 temp path");
    let (_, _, stderr) = common::with_kernel(|| common::auditctl(&["-R", f]));
    let mut out = Vec::new();
    let mut message = String::new();
    for l in stderr.lines() {
        if let Some(rest) = l.strip_prefix("There was an error in line ") {
            let n: usize = rest.split(' ').next().unwrap_or("0").parse().unwrap_or(0);
            // Line 1 is our `-c`.
            let text = n
                .checked_sub(2)
                .and_then(|i| lines.get(i))
                .map(|s| s.to_string())
                .unwrap_or_default();
            out.push(LoadError {
                text,
                message: std::mem::take(&mut message),
            });
        } else if !l.trim().is_empty() {
            if !message.is_empty() {
                message.push_str("; ");
            }
            message.push_str(l.trim());
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Expectations.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Plain,
    Repair,
}

impl Flavor {
    fn prefix(self) -> &'static str {
        match self {
            Flavor::Plain => "fix",
            Flavor::Repair => "repair",
        }
    }
}

/// The expectations of one flavor: `(key without prefix, value)`; outcome first.
fn expectations(s: &Scenario, extra: &str, flavor: Flavor) -> (String, Vec<(String, String)>) {
    let mut all: Vec<(String, String)> = s.expects.clone();
    for l in extra.lines().filter(|l| !l.trim().is_empty()) {
        let (k, v) = l.split_once(": ").unwrap_or((l.trim_end_matches(':'), ""));
        all.push((k.to_string(), v.to_string()));
    }
    let pick = |prefix: &str| -> (Option<String>, Vec<(String, String)>) {
        let mut outcome = None;
        let mut rest = Vec::new();
        for (k, v) in &all {
            if k == prefix {
                outcome = Some(v.clone());
            } else if let Some(sub) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
                rest.push((sub.to_string(), v.clone()));
            }
        }
        (outcome, rest)
    };
    let (plain_outcome, plain_rest) = pick("fix");
    let plain_outcome = plain_outcome.unwrap_or_else(|| "fixed".into());
    match flavor {
        Flavor::Plain => (plain_outcome, plain_rest),
        Flavor::Repair => {
            let (o, rest) = pick("repair");
            match o {
                Some(o) => (o, rest),
                None if rest.is_empty() => (plain_outcome, plain_rest),
                None => (plain_outcome, rest),
            }
        }
    }
}

/// What one fix run did, for the summary.
#[derive(Debug, Default)]
struct Outcome {
    label: String,
    blockers: Vec<String>,
    enoent_skipped: usize,
    kernel_checked: bool,
}

fn file_lines(root: &Path, path: &str) -> Option<Vec<String>> {
    let p = root.join(resolve_in_root(root, Path::new(path)));
    let b = fs::read(p).ok()?;
    // Split on LF only: a CR stays part of its line, as auditctl sees it.
    let text = String::from_utf8_lossy(&b).into_owned();
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    Some(lines)
}

/// Run one flavor on a fresh root; every broken invariant or expectation as a line.
fn run_one(s: &Scenario, extra: &str, flavor: Flavor, show: bool) -> (Outcome, Vec<String>) {
    let mut problems = Vec::new();
    let mut outcome = Outcome::default();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    fs::create_dir(&root).expect("mkdir root");
    build(&root, &s.sections);
    let scratch = dir.path().join("scratch");
    fs::create_dir(&scratch).expect("mkdir scratch");
    let (want, exps) = expectations(s, extra, flavor);

    // Before: check's verdict as the scenario says, and the loader mode.
    let before_check = auditguard(&["check", "--format", "json"], &root);
    let mode = before_check
        .json
        .as_ref()
        .and_then(|j| j["loader"]["mode"].as_str().map(str::to_string))
        .unwrap_or_default();
    if let Some((_, v)) = s.expects.iter().find(|(k, _)| k == "verdict") {
        let got = before_check
            .json
            .as_ref()
            .map(|j| j["verdict"].as_str().unwrap_or("").to_string());
        if got.as_deref() != Some(v.as_str()) {
            problems.push(format!("check before the fix: want {v}, got {got:?}"));
        }
    }
    let original_load = if matches!(mode.as_str(), "augenrules" | "auditctl") {
        loaded_text(&root, &mode, &scratch).ok()
    } else {
        None
    };

    let t0 = snapshot(&root);
    let mut args = vec!["fix", "--format", "json"];
    if flavor == Flavor::Repair {
        args.push("--repair");
    }
    let first = auditguard(&args, &root);
    let t1 = snapshot(&root);
    if show {
        eprintln!(
            "=== {} ({})\nexit {:?}\n{}{}",
            s.name,
            flavor.prefix(),
            first.code,
            first.stdout,
            first.stderr
        );
    }
    if first.stderr.contains("panicked") {
        problems.push(format!("panic:\n{}", first.stderr));
    }
    if first.json.is_none() && first.code == Some(2) {
        // An error stops `fix` before any report: it must say why and touch nothing.
        outcome.label = "error".into();
        if want != "error" && want != "any" {
            problems.push(format!("outcome: want {want}, got error: {}", first.stderr));
        }
        if !first.stderr.contains("error") || !changed(&t0, &t1).is_empty() {
            problems.push(format!(
                "(a) error without a message, or the tree changed: {}",
                first.stderr
            ));
        }
        return (outcome, problems);
    }
    let Some(j) = first.json.clone() else {
        problems.push(format!(
            "no JSON report; exit {:?}\nstdout:\n{}\nstderr:\n{}",
            first.code, first.stdout, first.stderr
        ));
        outcome.label = format!("exit {:?}, no report", first.code);
        return (outcome, problems);
    };
    problems.extend(schema_problems(&j));
    let blockers = strings(&j["blockers"]);
    let diff = j["diff"].as_str().unwrap_or("").to_string();
    outcome.blockers = blockers.clone();
    let touched = changed(&t0, &t1);

    // (a) outcome.
    let got = match first.code {
        Some(0) => "fixed",
        Some(1) if !blockers.is_empty() => "blocked",
        Some(1) => "still failing",
        Some(2) => "error",
        _ => "crashed",
    };
    outcome.label = got.to_string();
    if want != "any" && got != want {
        problems.push(format!(
            "outcome: want {want}, got {got} (exit {:?}); blockers: {blockers:?}",
            first.code
        ));
    }
    match got {
        "fixed" => {
            let after = auditguard(&["check", "--format", "json"], &root);
            let v = after.json.as_ref().map(|j| j["verdict"].clone());
            if after.code != Some(0) {
                problems.push(format!(
                    "(a) fix exited 0 but check then exits {:?} with verdict {v:?}",
                    after.code
                ));
            }
            if j["verdict"] != "pass" {
                problems.push(format!("(a) fix exited 0 with verdict {}", j["verdict"]));
            }
        }
        "blocked" | "error" => {
            if !touched.is_empty() {
                problems.push(format!(
                    "(a) {got}, but the tree changed: {touched:?} (blocked plans write nothing)"
                ));
            }
        }
        "still failing" => problems.push(format!(
            "(a) fix exited 1 without naming a blocker; changed {touched:?}"
        )),
        _ => problems.push(format!("(a) fix exit {:?}\n{}", first.code, first.stderr)),
    }
    if j["changed"].as_bool() != Some(!touched.is_empty()) {
        problems.push(format!(
            "report says changed={}, but the tree changed in {touched:?}",
            j["changed"]
        ));
    }

    // (c) only named files change; their change is exactly the diff. (d) new files 0600.
    let named: Vec<String> = j["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| strings(&s["files"]))
        .collect();
    let named_real: Vec<PathBuf> = named
        .iter()
        .map(|p| resolve_in_root(&root, Path::new(p)))
        .collect();
    for p in &touched {
        if !named_real.contains(p) {
            problems.push(format!("(c) /{} changed but no step names it", p.display()));
        }
    }
    match parse_diff(&diff) {
        Err(e) => problems.push(format!("diff does not parse: {e}")),
        Ok(fds) => {
            let in_diff: Vec<PathBuf> = fds
                .iter()
                .map(|f| resolve_in_root(&root, Path::new(&f.path)))
                .collect();
            for p in &touched {
                if !in_diff.contains(p) {
                    problems.push(format!(
                        "(c) /{} changed but is not in the diff",
                        p.display()
                    ));
                }
            }
            for fd in fds.iter().filter(|_| !touched.is_empty()) {
                let real = resolve_in_root(&root, Path::new(&fd.path));
                let old = match t0.get(&real) {
                    Some(Node::File(b, _)) => String::from_utf8_lossy(b).into_owned(),
                    _ => String::new(),
                };
                let new = match t1.get(&real) {
                    Some(Node::File(b, _)) => String::from_utf8_lossy(b).into_owned(),
                    other => {
                        problems.push(format!("(c) {} after the fix: {other:?}", fd.path));
                        continue;
                    }
                };
                match patch(&old, fd) {
                    Ok(patched) if patched == new => {}
                    Ok(patched) => problems.push(format!(
                        "(c) {}: old + diff != new\n--- old+diff\n{patched}--- new\n{new}",
                        fd.path
                    )),
                    Err(e) => problems.push(format!("(c) {e}")),
                }
            }
        }
    }
    for p in &touched {
        match (t0.get(p), t1.get(p)) {
            (None, Some(Node::File(_, mode))) if *mode != 0o600 => {
                problems.push(format!("(d) new file /{} has mode {mode:o}", p.display()))
            }
            (Some(Node::File(_, a)), Some(Node::File(_, b))) if a != b => problems.push(format!(
                "mode of /{} changed from {a:o} to {b:o}",
                p.display()
            )),
            (_, Some(Node::File(..))) => {}
            (a, b) => problems.push(format!("/{}: {a:?} became {b:?}", p.display())),
        }
    }

    // (b) a second run changes nothing.
    let second = auditguard(&args, &root);
    let t2 = snapshot(&root);
    let again = changed(&t1, &t2);
    if !again.is_empty() {
        problems.push(format!(
            "(b) a second fix changed {again:?}\n{}",
            second.stdout
        ));
    }
    if got == "fixed" && second.code != Some(0) {
        problems.push(format!("(b) second fix exits {:?}", second.code));
    }

    // Scenario expectations.
    for (k, v) in &exps {
        let r = check_expectation(&root, k, v, &blockers, &diff);
        if let Err(e) = r {
            problems.push(e);
        }
    }

    // (e) the real merge and load.
    if got == "fixed" && !touched.is_empty() {
        if !common::kernel_available() {
            println!(
                "{}: kernel load skipped: auditctl or the audit socket is unavailable",
                s.name
            );
        } else {
            match loaded_text(&root, &mode, &scratch) {
                Err(e) => problems.push(format!("(e) {e}")),
                Ok(text) => {
                    let before: Vec<LoadError> = original_load
                        .as_deref()
                        .map(|t| kernel_load(t, &scratch))
                        .unwrap_or_default();
                    let after = kernel_load(&text, &scratch);
                    outcome.kernel_checked = true;
                    for e in &after {
                        let known = before.iter().any(|b| b.text == e.text);
                        if e.message.contains("No such file or directory") {
                            outcome.enoent_skipped += 1;
                            println!(
                                "{} ({}): ENOENT skipped (path missing on this machine): {}",
                                s.name,
                                flavor.prefix(),
                                e.text
                            );
                        } else if !known {
                            problems.push(format!(
                                "(e) the real auditctl -R refuses {:?}: {}\n--- loaded\n{}",
                                e.text,
                                e.message,
                                common::rules_only(&text)
                            ));
                        }
                    }
                }
            }
        }
    }
    (outcome, problems)
}

fn check_expectation(
    root: &Path,
    key: &str,
    want: &str,
    blockers: &[String],
    diff: &str,
) -> Result<(), String> {
    let line_of = |path: &str, last: bool| -> Option<String> {
        let lines = file_lines(root, path)?;
        if last {
            lines.last().cloned()
        } else {
            lines.first().cloned()
        }
    };
    match key.split_once(' ').unwrap_or((key, "")) {
        ("blocker", "") => blockers
            .iter()
            .any(|b| b.contains(want))
            .then_some(())
            .ok_or_else(|| format!("no blocker contains {want:?}: {blockers:?}")),
        ("diff", "") => diff
            .contains(want)
            .then_some(())
            .ok_or_else(|| format!("the diff lacks {want:?}:\n{diff}")),
        ("not-diff", "") => (!diff.contains(want))
            .then_some(())
            .ok_or_else(|| format!("the diff has {want:?}:\n{diff}")),
        ("file", path) => {
            let lines = file_lines(root, path).unwrap_or_default();
            lines
                .iter()
                .any(|l| l.contains(want))
                .then_some(())
                .ok_or_else(|| format!("{path} lacks {want:?}:\n{}", lines.join("\n")))
        }
        ("line", path) => {
            let lines = file_lines(root, path).unwrap_or_default();
            lines
                .iter()
                .any(|l| l == want)
                .then_some(())
                .ok_or_else(|| format!("{path} has no line {want:?}:\n{}", lines.join("\n")))
        }
        ("first-line", path) | ("last-line", path) => {
            let got = line_of(path, key.starts_with("last"));
            (got.as_deref() == Some(want))
                .then_some(())
                .ok_or_else(|| format!("{key}: want {want:?}, got {got:?}"))
        }
        _ => Err(format!("unknown fix expectation {key:?}")),
    }
}

// ---------------------------------------------------------------------------------------------
// The suite.

/// Every broken root: (scenario, extra expectation lines, source).
fn broken_roots() -> Vec<(Scenario, String)> {
    let mut out = Vec::new();
    for path in scenario::scenario_files("tests/scenarios") {
        let s = load(&path);
        let verdict = s
            .expects
            .iter()
            .find(|(k, _)| k == "verdict")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if verdict == "pass" {
            continue;
        }
        let mut extra = EXISTING
            .iter()
            .find(|(n, _)| *n == s.name)
            .map(|(_, e)| e.to_string())
            .unwrap_or_default();
        if verdict == "error" && !extra.contains("fix:") {
            extra.push_str("\nfix: error\n");
        }
        // tests/scenarios known bugs are about `check`, not `fix`; ours come from EXISTING.
        let known_bug = extra
            .lines()
            .find_map(|l| l.strip_prefix("known-bug: "))
            .map(str::to_string);
        let s = Scenario { known_bug, ..s };
        out.push((s, extra));
    }
    for path in scenario::scenario_files("tests/fix") {
        out.push((load(&path), String::new()));
    }
    out
}

#[test]
fn fix_keeps_its_invariants_on_every_broken_root() {
    let filter = std::env::var("FIX_SCENARIO").unwrap_or_default();
    let show = std::env::var_os("FIX_SHOW").is_some();
    if !common::kernel_available() {
        println!("kernel load checks skipped: auditctl or the kernel audit socket is unavailable");
    }
    let mut failed = Vec::new();
    let mut summary = String::new();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let (mut known, mut now_passing, mut enoent, mut kernel_runs) = (0, 0, 0, 0);
    for (s, extra) in broken_roots() {
        if !s.name.contains(&filter) {
            continue;
        }
        let mut problems = Vec::new();
        let mut labels = Vec::new();
        for flavor in [Flavor::Plain, Flavor::Repair] {
            let (o, p) = run_one(&s, &extra, flavor, show);
            enoent += o.enoent_skipped;
            kernel_runs += usize::from(o.kernel_checked);
            *tally
                .entry(format!("{} {}", flavor.prefix(), o.label))
                .or_default() += 1;
            let mut label = format!("{}={}", flavor.prefix(), o.label);
            if !o.blockers.is_empty() {
                let _ = write!(label, " [{}]", o.blockers.join(" | "));
            }
            labels.push(label);
            problems.extend(p.into_iter().map(|p| format!("[{}] {p}", flavor.prefix())));
        }
        let _ = writeln!(summary, "{}: {}", s.name, labels.join("; "));
        match (&s.known_bug, problems.is_empty()) {
            (None, true) => {}
            (None, false) => failed.push(format!("=== {}\n{}", s.name, problems.join("\n"))),
            (Some(bug), false) => {
                known += 1;
                let _ = writeln!(
                    summary,
                    "  KNOWN BUG {}: {bug}\n    {}",
                    s.name,
                    problems[0].lines().next().unwrap_or("")
                );
            }
            (Some(bug), true) => {
                now_passing += 1;
                let _ = writeln!(
                    summary,
                    "  FIXED? {} meets its expectations; remove `known-bug: {bug}`",
                    s.name
                );
            }
        }
    }
    let _ = writeln!(
        summary,
        "tally: {tally:?}; {} with broken invariants, {known} known bugs, {now_passing} known bugs now passing; {kernel_runs} fixed roots merged by the real augenrules and loaded by the real auditctl, {enoent} ENOENT load errors skipped",
        failed.len()
    );
    println!("{summary}");
    let valid = common::validate::flush();
    println!("{valid} JSON reports valid against their schemas");
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn own_broken_roots_are_enough_and_broken() {
    let own = scenario::scenario_files("tests/fix");
    assert!(
        own.len() >= MIN_OWN,
        "{} roots in tests/fix, want {MIN_OWN}",
        own.len()
    );
    for p in own {
        let s = load(&p);
        assert!(!s.description.is_empty(), "{}: no description", s.name);
        assert!(
            s.expects.iter().any(|(k, v)| k == "verdict" && v == "fail"),
            "{}: a broken root says `verdict: fail`",
            s.name
        );
    }
    for (name, _) in EXISTING {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/scenarios/{name}.scenario"))
                .exists(),
            "EXISTING names a missing scenario {name}"
        );
    }
}

#[test]
fn the_diff_applier_is_exact() {
    let fd = &parse_diff(
        "--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n a\n+b\n c\n\\ No newline at end of file\n",
    )
    .unwrap()[0];
    assert_eq!(patch("a\nc", fd).unwrap(), "a\nb\nc");
    assert!(patch("a\nd", fd).is_err());
    let fd = &parse_diff("--- /dev/null\n+++ b/y\n@@ -0,0 +1 @@\n+n\n").unwrap()[0];
    assert_eq!(patch("", fd).unwrap(), "n\n");
}

/// Writes every broken root to `$FIX_EXPORT/NAME/` for the benchmark (bench/fix-vs-cac.sh).
#[test]
#[ignore = "a tool for bench/fix-vs-cac.sh, not a test"]
fn export_broken_roots() {
    let Some(out) = std::env::var_os("FIX_EXPORT") else {
        println!("set FIX_EXPORT=DIR");
        return;
    };
    let out = PathBuf::from(out);
    for (s, _) in broken_roots() {
        let root = out.join(&s.name);
        if root.exists() {
            fs::remove_dir_all(&root).expect("clear old root");
        }
        fs::create_dir_all(&root).expect("mkdir");
        build(&root, &s.sections);
    }
}
