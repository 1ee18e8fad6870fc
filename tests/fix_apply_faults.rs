//! `fix::apply` under faults: a full disk, I/O errors on rename and fsync, a read-only file
//! system, refused permissions, directories and symlinks where files should be, metadata that
//! must survive, and two `fix` runs at once.
//!
//! Injected faults run in a child process — this test binary itself, re-run with
//! `AUDITGUARD_APPLY_CHILD` set so that only the `child_role` test does anything — under
//! `strace -f -e inject=…`, so the fault strikes only the child. The child reports through a
//! file written with `write`; apply writes file data with `pwrite64`, which is what the full-disk
//! injection targets (injecting `write` would first break the test harness's own output).
//!
//! Needs: root for mounts, `chattr` and the unprivileged child (else those tests say why and
//! pass as skipped); `strace` (installed with apt-get if missing and possible, else skipped).

use auditguard::fix::apply::{apply, lock, ApplyError, ApplyOptions, FileWrite, Target, TEMP_MARK};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const CHILD_ENV: &str = "AUDITGUARD_APPLY_CHILD";
const RULES: &str = "/etc/audit/rules.d/modules.rules";
const OLD: &[u8] = b"## the original\n-w /usr/sbin/insmod -p x -k modules\n";
const NEW: &[u8] =
    b"-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -F key=modules\n";

// ---------------------------------------------------------------------------------------------
// The child role and how to run it.

/// Runs one `apply` described by the spec directory in `AUDITGUARD_APPLY_CHILD`, writes the
/// outcome to `SPEC/report` and exits. Without the variable (a normal test run) it does nothing.
///
/// Spec directory: `root` (a file holding the root path), `N.path`, `N.new`, optional
/// `N.expected` (absent: the file must not exist), optional `backup`, optional `locked` with a
/// count: take the lock, use the file's current bytes as `expected`, repeat that many times.
#[test]
fn child_role() {
    let Some(spec) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let spec = PathBuf::from(spec);
    let root = String::from_utf8(std::fs::read(spec.join("root")).unwrap()).unwrap();
    let target = Target::root(&root);
    let opts = ApplyOptions {
        backup: spec.join("backup").exists(),
    };
    let mut writes = Vec::new();
    for n in 0.. {
        let Ok(path) = std::fs::read(spec.join(format!("{n}.path"))) else {
            break;
        };
        writes.push(FileWrite {
            path: PathBuf::from(String::from_utf8(path).unwrap()),
            contents: std::fs::read(spec.join(format!("{n}.new"))).unwrap(),
            expected: std::fs::read(spec.join(format!("{n}.expected"))).ok(),
            mode: None,
        });
    }
    let report = match std::fs::read_to_string(spec.join("locked")) {
        Ok(rounds) => {
            let rounds: usize = rounds.trim().parse().unwrap();
            let mut out = format!("ok\nrounds={rounds}");
            for _ in 0..rounds {
                let held = lock(&target);
                let Ok(_held) = held else {
                    out = format!("err\n{}", held.unwrap_err());
                    break;
                };
                for w in &mut writes {
                    w.expected = std::fs::read(real(Path::new(&root), &w.path)).ok();
                }
                if let Err(e) = apply(&target, &writes, &opts) {
                    out = format!("err\n{e}");
                    break;
                }
            }
            out
        }
        Err(_) => match apply(&target, &writes, &opts) {
            Ok(done) => format!("ok\n{done:?}"),
            Err(e) => format!("err\n{e}"),
        },
    };
    std::fs::write(spec.join("report"), report).unwrap();
    // Leave before libtest prints anything more (its writes may be the ones failing).
    std::process::exit(0);
}

/// One child job.
struct Job {
    spec: tempfile::TempDir,
    writes: usize,
}

impl Job {
    fn new(root: &Path) -> Job {
        let spec = tempfile::tempdir().unwrap();
        std::fs::write(
            spec.path().join("root"),
            root.as_os_str().as_encoded_bytes(),
        )
        .unwrap();
        Job { spec, writes: 0 }
    }

    fn write(mut self, path: &str, new: &[u8], expected: Option<&[u8]>) -> Job {
        let n = self.writes;
        let dir = self.spec.path();
        std::fs::write(dir.join(format!("{n}.path")), path).unwrap();
        std::fs::write(dir.join(format!("{n}.new")), new).unwrap();
        if let Some(expected) = expected {
            std::fs::write(dir.join(format!("{n}.expected")), expected).unwrap();
        }
        self.writes += 1;
        self
    }

    fn locked(self, rounds: usize) -> Job {
        std::fs::write(self.spec.path().join("locked"), rounds.to_string()).unwrap();
        self
    }

    /// The command that runs this job: `wrapper…  this-test-binary --exact child_role`.
    fn command(&self, wrapper: &[&str]) -> Command {
        let exe = std::env::current_exe().unwrap();
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        cmd.args(["--exact", "child_role", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, self.spec.path());
        cmd
    }

    /// Run and return the report: `Ok(debug of the Applied list)` or `Err(error message)`.
    fn run(&self, wrapper: &[&str]) -> Result<String, String> {
        let out = self.command(wrapper).output().unwrap();
        self.report(out)
    }

    fn report(&self, out: std::process::Output) -> Result<String, String> {
        let report =
            std::fs::read_to_string(self.spec.path().join("report")).unwrap_or_else(|_| {
                panic!(
                    "child wrote no report; status {:?}\nstdout: {}\nstderr: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        match report.split_once('\n') {
            Some(("ok", rest)) => Ok(rest.to_string()),
            Some(("err", rest)) => Err(rest.to_string()),
            _ => panic!("bad report {report:?}"),
        }
    }
}

/// `strace` that can trace here, installed from Debian's package if missing; `None` (with the
/// reason printed) when impossible.
fn strace() -> Option<&'static str> {
    static FOUND: OnceLock<Option<&'static str>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let works = || {
            Command::new("strace")
                .args(["-qq", "-o", "/dev/null", "true"])
                .status()
                .is_ok_and(|s| s.success())
        };
        if !works() && is_root() {
            let install = "apt-get install -y -qq strace >/dev/null 2>&1 || \
                 (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq strace >/dev/null 2>&1)";
            let _ = Command::new("sh").args(["-c", install]).status();
        }
        if works() {
            Some("strace")
        } else {
            eprintln!("SKIP: strace is missing (and could not be installed) or cannot trace here");
            None
        }
    })
}

/// `strace -f -qq -o /dev/null -e inject=SPEC`.
fn injecting(spec: &str) -> Vec<String> {
    ["-f", "-qq", "-o", "/dev/null", "-e"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("inject={spec}")])
        .collect()
}

fn run_injected(job: &Job, spec: &str) -> Option<Result<String, String>> {
    let strace = strace()?;
    let args = injecting(spec);
    let mut wrapper = vec![strace];
    wrapper.extend(args.iter().map(String::as_str));
    Some(job.run(&wrapper))
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// The real path of a target path under `root`.
fn real(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// A target image with `/etc/audit/rules.d/modules.rules` holding [`OLD`], mode 0640.
struct Image {
    dir: tempfile::TempDir,
}

impl Image {
    fn new() -> Image {
        let dir = tempfile::tempdir().unwrap();
        let image = Image { dir };
        std::fs::create_dir_all(image.rules_dir()).unwrap();
        std::fs::write(image.file(), OLD).unwrap();
        std::fs::set_permissions(image.file(), std::fs::Permissions::from_mode(0o640)).unwrap();
        image
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn target(&self) -> Target {
        Target::root(self.root())
    }

    fn rules_dir(&self) -> PathBuf {
        self.root().join("etc/audit/rules.d")
    }

    fn file(&self) -> PathBuf {
        self.rules_dir().join("modules.rules")
    }

    fn job(&self) -> Job {
        Job::new(&self.root())
    }

    /// The original is still there, byte for byte, with its mode.
    fn assert_intact(&self) {
        assert_eq!(std::fs::read(self.file()).unwrap(), OLD, "original changed");
        let mode = std::fs::metadata(self.file()).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o640, "original mode changed");
    }

    fn assert_no_temps(&self) {
        assert_no_temps(&self.rules_dir());
    }
}

fn assert_no_temps(dir: &Path) {
    let temps: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(TEMP_MARK))
        .collect();
    assert!(
        temps.is_empty(),
        "temporary files left in {}: {temps:?}",
        dir.display()
    );
}

fn assert_names(err: &str, errno_text: &str) {
    assert!(err.contains(RULES), "error does not name the file: {err}");
    assert!(
        err.contains(errno_text),
        "error does not say {errno_text:?}: {err}"
    );
}

/// A tmpfs mounted for one test, unmounted when dropped (also when the test fails).
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    /// Mount a tmpfs at `at` (created), or say why not and return `None`.
    fn mount(at: &Path, options: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = is_root()
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", options, "tmpfs"])
                .arg(at)
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIP: cannot mount a tmpfs (needs root and CAP_SYS_ADMIN)");
            return None;
        }
        Some(Tmpfs {
            at: at.to_path_buf(),
        })
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.at)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options} failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        }
    }
}

/// `chattr -i` when dropped, so the temporary directory can be removed.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

// ---------------------------------------------------------------------------------------------
// Injected faults.

#[test]
fn full_disk_on_the_data_write_changes_nothing() {
    let image = Image::new();
    let job = image.job().write(RULES, NEW, Some(OLD));
    let Some(outcome) = run_injected(&job, "pwrite64:error=ENOSPC") else {
        return;
    };
    let err = outcome.unwrap_err();
    assert_names(&err, "No space left on device");
    assert!(err.contains("cannot write"), "{err}");
    image.assert_intact();
    image.assert_no_temps();
}

#[test]
fn io_error_on_rename_changes_nothing() {
    let image = Image::new();
    let job = image.job().write(RULES, NEW, Some(OLD));
    let Some(outcome) = run_injected(&job, "/^rename(at2?)?$:error=EIO") else {
        return;
    };
    let err = outcome.unwrap_err();
    assert_names(&err, "Input/output error");
    assert!(err.contains("cannot rename"), "{err}");
    image.assert_intact();
    image.assert_no_temps();
}

#[test]
fn io_error_on_fsync_of_the_file_changes_nothing() {
    let image = Image::new();
    let job = image.job().write(RULES, NEW, Some(OLD));
    let Some(outcome) = run_injected(&job, "fsync:error=EIO:when=1") else {
        return;
    };
    let err = outcome.unwrap_err();
    assert_names(&err, "Input/output error");
    assert!(err.contains("cannot fsync"), "{err}");
    image.assert_intact();
    image.assert_no_temps();
}

/// The directory fsync comes after the rename: apply puts the old bytes back (same mode).
#[test]
fn io_error_on_fsync_of_the_directory_restores_the_original() {
    let image = Image::new();
    let job = image.job().write(RULES, NEW, Some(OLD));
    let Some(outcome) = run_injected(&job, "fsync:error=EIO:when=2") else {
        return;
    };
    let err = outcome.unwrap_err();
    assert_names(&err, "Input/output error");
    assert!(
        err.contains("cannot fsync directory /etc/audit/rules.d"),
        "{err}"
    );
    assert!(err.contains("restored"), "{err}");
    image.assert_intact();
    image.assert_no_temps();
}

/// Two files: the second rename fails after the first file was replaced; the first is put back.
#[test]
fn failing_second_rename_rolls_back_the_first_file() {
    let image = Image::new();
    let other = image.rules_dir().join("other.rules");
    std::fs::write(&other, b"-w /etc/other -p wa\n").unwrap();
    let job = image
        .job()
        .write(
            "/etc/audit/rules.d/other.rules",
            b"# new other\n",
            Some(b"-w /etc/other -p wa\n"),
        )
        .write(RULES, NEW, Some(OLD));
    let Some(outcome) = run_injected(&job, "/^rename(at2?)?$:error=EIO:when=2") else {
        return;
    };
    let err = outcome.unwrap_err();
    assert_names(&err, "Input/output error");
    assert!(
        err.contains("restored the files already replaced: /etc/audit/rules.d/other.rules"),
        "{err}"
    );
    assert_eq!(std::fs::read(&other).unwrap(), b"-w /etc/other -p wa\n");
    image.assert_intact();
    image.assert_no_temps();
}

// ---------------------------------------------------------------------------------------------
// Real faults.

#[test]
fn full_tmpfs_changes_nothing() {
    let image = Image::new();
    let Some(_fs) = Tmpfs::mount(&image.rules_dir(), "size=64k,mode=0755") else {
        return;
    };
    std::fs::write(image.file(), OLD).unwrap();
    std::fs::set_permissions(image.file(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let big = b"-w /usr/sbin/insmod -p x -k modules\n".repeat(10_000);
    let write = FileWrite {
        path: RULES.into(),
        contents: big,
        expected: Some(OLD.to_vec()),
        mode: None,
    };
    let err = apply(&image.target(), &[write], &ApplyOptions::default()).unwrap_err();
    assert_names(&err.to_string(), "No space left on device");
    image.assert_intact();
    image.assert_no_temps();
}

#[test]
fn read_only_file_system_changes_nothing() {
    let image = Image::new();
    let Some(fs) = Tmpfs::mount(&image.rules_dir(), "size=1m,mode=0755") else {
        return;
    };
    std::fs::write(image.file(), OLD).unwrap();
    std::fs::set_permissions(image.file(), std::fs::Permissions::from_mode(0o640)).unwrap();
    fs.remount("ro");
    let write = FileWrite {
        path: RULES.into(),
        contents: NEW.to_vec(),
        expected: Some(OLD.to_vec()),
        mode: None,
    };
    let err = apply(&image.target(), &[write], &ApplyOptions::default()).unwrap_err();
    assert_names(&err.to_string(), "Read-only file system");
    assert!(err
        .to_string()
        .contains("cannot create a temporary file in /etc/audit/rules.d"));
    image.assert_intact();
    image.assert_no_temps();
}

/// EACCES for real: the child runs as `nobody` on a root-owned directory.
#[test]
fn permission_denied_changes_nothing() {
    if !is_root() {
        eprintln!("SKIP: needs root to start an unprivileged child");
        return;
    }
    let image = Image::new();
    std::fs::set_permissions(image.file(), std::fs::Permissions::from_mode(0o644)).unwrap();
    for dir in [image.dir.path().to_path_buf(), image.root()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let job = image.job().write(RULES, NEW, Some(OLD));
    std::fs::set_permissions(job.spec.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    for entry in std::fs::read_dir(job.spec.path()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    if !exe
        .ancestors()
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.mode() & 0o001 != 0))
    {
        eprintln!(
            "SKIP: nobody cannot reach the test binary {}",
            exe.display()
        );
        return;
    }
    use std::os::unix::process::CommandExt;
    let out = job.command(&[]).uid(65534).gid(65534).output().unwrap();
    let err = job.report(out).unwrap_err();
    assert_names(&err, "Permission denied");
    assert_eq!(std::fs::read(image.file()).unwrap(), OLD);
    image.assert_no_temps();
}

/// EPERM for real: an immutable file cannot be replaced, even by root.
#[test]
fn immutable_file_changes_nothing() {
    let image = Image::new();
    let ok = Command::new("chattr")
        .arg("+i")
        .arg(image.file())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIP: chattr +i is not possible here (needs root, e2fsprogs and ext4/tmpfs)");
        return;
    }
    let _guard = Immutable(image.file());
    let write = FileWrite {
        path: RULES.into(),
        contents: NEW.to_vec(),
        expected: Some(OLD.to_vec()),
        mode: None,
    };
    let err = apply(&image.target(), &[write], &ApplyOptions::default()).unwrap_err();
    assert_names(&err.to_string(), "Operation not permitted");
    image.assert_intact();
    image.assert_no_temps();
}

// ---------------------------------------------------------------------------------------------
// Wrong things where the file should be.

#[test]
fn directory_where_the_file_should_be() {
    let image = Image::new();
    std::fs::create_dir(image.rules_dir().join("dir.rules")).unwrap();
    let write = FileWrite {
        path: "/etc/audit/rules.d/dir.rules".into(),
        contents: NEW.to_vec(),
        expected: None,
        mode: None,
    };
    let err = apply(&image.target(), &[write], &ApplyOptions::default()).unwrap_err();
    assert!(matches!(err, ApplyError::IsADirectory { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "/etc/audit/rules.d/dir.rules: is a directory, not a file"
    );
    image.assert_no_temps();
}

/// Symlinks pointing out of the root are resolved inside it, as `RootHost` reads them: the
/// file outside is never written.
#[test]
fn symlinks_never_lead_out_of_the_root() {
    let image = Image::new();
    let outside = image.dir.path().join("outside.rules");
    std::fs::write(&outside, OLD).unwrap();
    let abs = image.rules_dir().join("abs.rules");
    std::os::unix::fs::symlink(&outside, &abs).unwrap();
    let rel = image.rules_dir().join("rel.rules");
    std::os::unix::fs::symlink("../../../../../../../../../../outside.rules", &rel).unwrap();
    let write = |path: &str| FileWrite {
        path: path.into(),
        contents: NEW.to_vec(),
        expected: Some(OLD.to_vec()),
        mode: None,
    };
    let target = image.target();
    let opts = ApplyOptions::default();

    // The absolute link names a directory that does not exist inside the root.
    let err = apply(&target, &[write("/etc/audit/rules.d/abs.rules")], &opts).unwrap_err();
    assert!(matches!(err, ApplyError::MissingDirectory { .. }), "{err}");
    // Once the image has that path, the write lands there.
    let inside = real(&image.root(), &outside);
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::write(&inside, OLD).unwrap();
    let done = apply(&target, &[write("/etc/audit/rules.d/abs.rules")], &opts).unwrap();
    assert_eq!(done[0].written, outside);
    assert_eq!(std::fs::read(&inside).unwrap(), NEW);

    // `..` clamps at the root: /outside.rules of the image.
    let err = apply(&target, &[write("/etc/audit/rules.d/rel.rules")], &opts).unwrap_err();
    assert!(matches!(err, ApplyError::DanglingSymlink { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("dangling symlink to /outside.rules"),
        "{err}"
    );
    std::fs::write(image.root().join("outside.rules"), OLD).unwrap();
    apply(&target, &[write("/etc/audit/rules.d/rel.rules")], &opts).unwrap();
    assert_eq!(
        std::fs::read(image.root().join("outside.rules")).unwrap(),
        NEW
    );

    assert_eq!(
        std::fs::read(&outside).unwrap(),
        OLD,
        "the file outside the root changed"
    );
    assert!(abs.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(rel.symlink_metadata().unwrap().file_type().is_symlink());
    image.assert_no_temps();
}

#[test]
fn symlink_loop_is_refused() {
    let image = Image::new();
    std::os::unix::fs::symlink("b.rules", image.rules_dir().join("a.rules")).unwrap();
    std::os::unix::fs::symlink("a.rules", image.rules_dir().join("b.rules")).unwrap();
    let write = FileWrite {
        path: "/etc/audit/rules.d/a.rules".into(),
        contents: NEW.to_vec(),
        expected: None,
        mode: None,
    };
    let err = apply(&image.target(), &[write], &ApplyOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/audit/rules.d/a.rules: too many levels of symbolic links"
    );
}

// ---------------------------------------------------------------------------------------------
// What must survive, what must not happen.

fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    let n = rustix::fs::getxattr(path, name, &mut buf[..]).ok()?;
    buf.truncate(n);
    Some(buf)
}

#[test]
fn owner_mode_and_extended_attributes_survive() {
    let image = Image::new();
    let file = image.file();
    let label = b"system_u:object_r:auditd_etc_t:s0\0";
    rustix::fs::setxattr(
        &file,
        "user.origin",
        b"ansible",
        rustix::fs::XattrFlags::empty(),
    )
    .unwrap();
    let selinux = rustix::fs::setxattr(
        &file,
        "security.selinux",
        label,
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok();
    if !selinux {
        eprintln!("NOTE: cannot set security.selinux here; checking user.* only");
    }
    let owner = if is_root() {
        std::os::unix::fs::chown(&file, Some(1234), Some(4321)).unwrap();
        (1234, 4321)
    } else {
        let m = std::fs::metadata(&file).unwrap();
        (m.uid(), m.gid())
    };
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();

    let write = FileWrite {
        path: RULES.into(),
        contents: NEW.to_vec(),
        expected: Some(OLD.to_vec()),
        mode: None,
    };
    let done = apply(&image.target(), &[write], &ApplyOptions { backup: true }).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), NEW);
    let bak = image.rules_dir().join("modules.rules.bak");
    assert_eq!(
        done[0].backup.as_deref(),
        Some(Path::new("/etc/audit/rules.d/modules.rules.bak"))
    );
    assert_eq!(std::fs::read(&bak).unwrap(), OLD);
    for path in [&file, &bak] {
        let m = std::fs::metadata(path).unwrap();
        assert_eq!((m.uid(), m.gid()), owner, "{}", path.display());
        assert_eq!(m.mode() & 0o7777, 0o640, "{}", path.display());
        assert_eq!(xattr(path, "user.origin").as_deref(), Some(&b"ansible"[..]));
        if selinux {
            assert_eq!(xattr(path, "security.selinux").as_deref(), Some(&label[..]));
        }
    }
    image.assert_no_temps();
}

#[test]
fn new_file_is_0600_and_owned_by_root() {
    let image = Image::new();
    let write = FileWrite {
        path: "/etc/audit/rules.d/new.rules".into(),
        contents: NEW.to_vec(),
        expected: None,
        mode: None,
    };
    let done = apply(&image.target(), &[write], &ApplyOptions { backup: true }).unwrap();
    assert!(done[0].created);
    assert_eq!(done[0].backup, None);
    let m = std::fs::metadata(image.rules_dir().join("new.rules")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o600);
    if is_root() {
        assert_eq!((m.uid(), m.gid()), (0, 0));
    }
    image.assert_no_temps();
}

/// Every expectation is checked before anything is written.
#[test]
fn a_changed_file_stops_the_whole_plan_before_any_write() {
    let image = Image::new();
    std::fs::write(
        image.rules_dir().join("other.rules"),
        b"-w /etc/other -p wa\n",
    )
    .unwrap();
    let writes = [
        FileWrite {
            path: "/etc/audit/rules.d/new.rules".into(),
            contents: NEW.to_vec(),
            expected: None,
            mode: None,
        },
        FileWrite {
            path: "/etc/audit/rules.d/other.rules".into(),
            contents: NEW.to_vec(),
            expected: Some(b"what the plan saw\n".to_vec()),
            mode: None,
        },
    ];
    let err = apply(&image.target(), &writes, &ApplyOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/audit/rules.d/other.rules: changed since the plan was made (its contents differ); run fix again"
    );
    assert!(!image.rules_dir().join("new.rules").exists());
    image.assert_no_temps();
}

/// Two `fix` processes on one root, each locking, reading, writing 1 MiB twenty times: both
/// succeed every round, and the file is always one of the two complete versions.
#[test]
fn concurrent_fix_runs_never_interleave() {
    let image = Image::new();
    let a = b"-w /a -p x -k modules\n".repeat(50_000);
    let b = b"-w /bb -p x -k modules\n".repeat(45_000);
    let jobs = [
        image.job().write(RULES, &a, None).locked(20),
        image.job().write(RULES, &b, None).locked(20),
    ];
    let mut children: Vec<_> = jobs
        .iter()
        .map(|j| {
            j.command(&[])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Watch the file while they run: never a mixture, never a torn write.
    let mut reads = 0;
    while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
        let now = std::fs::read(image.file()).unwrap();
        assert!(
            now == OLD || now == a || now == b,
            "interleaved contents ({} bytes)",
            now.len()
        );
        reads += 1;
    }
    assert!(reads > 0);
    for (job, child) in jobs.iter().zip(children) {
        let out = child.wait_with_output().unwrap();
        let report = job.report(out).expect("a concurrent fix failed");
        assert_eq!(report, "rounds=20");
    }
    let last = std::fs::read(image.file()).unwrap();
    assert!(last == a || last == b);
    assert_eq!(
        std::fs::metadata(image.file()).unwrap().mode() & 0o7777,
        0o640
    );
    image.assert_no_temps();
}
