//! Races on the read side (issue 9 item 6): a thread swaps a directory of the root for a
//! symlink leading out of it (or a rules file for a FIFO) with `renameat2(RENAME_EXCHANGE)`
//! in a loop while the library merges and loads the root. What is read must never come from
//! outside the root, and nothing may hang: each run has a deadline.
//!
//! Both read paths are raced: `openat2(RESOLVE_IN_ROOT)` (the kernel confines the walk) and
//! the user-space walk used where `openat2` is missing (it checks what it opened).

use auditguard::host::{Host, RootHost};
use auditguard::load::augenrules;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const ROUNDS: usize = 300;
const INSIDE: &str = "-w /etc/inside -p wa -k inside\n";
const OUTSIDE: &str = "-w /etc/outside -p wa -k OUTSIDE\n";

/// Swaps done so far by the running [`swapper`]s (each round waits for a new one, so the
/// rounds spread over both states instead of running within one time slice).
static SWAPS: AtomicUsize = AtomicUsize::new(0);

/// Wait until the swapper has swapped again (at most a second).
fn next_swap() {
    let seen = SWAPS.load(Ordering::Relaxed);
    let start = std::time::Instant::now();
    while SWAPS.load(Ordering::Relaxed) == seen && start.elapsed() < Duration::from_secs(1) {
        std::thread::yield_now();
    }
}

/// Swap `a` and `b` until `stop`.
fn swapper(a: PathBuf, b: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut swaps = 0;
        while !stop.load(Ordering::Relaxed) {
            SWAPS.fetch_add(1, Ordering::Relaxed);
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                &a,
                rustix::fs::CWD,
                &b,
                rustix::fs::RenameFlags::EXCHANGE,
            )
            .expect("renameat2(RENAME_EXCHANGE)");
            swaps += 1;
        }
        swaps
    })
}

/// Run `body` ROUNDS times on another thread; fail if it takes more than `limit`.
fn bounded(limit: Duration, body: impl Fn(usize) + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for i in 0..ROUNDS {
            next_swap();
            body(i);
        }
        let _ = tx.send(());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{ROUNDS} rounds did not finish within {limit:?}: a hang"));
}

/// A root whose rules.d holds one file, a symlink beside rules.d leading outside the root
/// (absolute: the path of a real directory on this machine holding the OUTSIDE rule).
struct Raced {
    _dir: tempfile::TempDir,
    root: PathBuf,
    rules_d: PathBuf,
    link: PathBuf,
}

fn raced() -> Raced {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let rules_d = root.join("etc/audit/rules.d");
    fs::create_dir_all(&rules_d).unwrap();
    fs::write(rules_d.join("10-x.rules"), INSIDE).unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("10-x.rules"), OUTSIDE).unwrap();
    let link = root.join("etc/audit/link.d");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    Raced {
        _dir: dir,
        root,
        rules_d,
        link,
    }
}

fn race_directory_for_symlink(make_host: fn(&Path) -> RootHost) {
    let r = raced();
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = swapper(r.rules_d.clone(), r.link.clone(), Arc::clone(&stop));
    let host = make_host(&r.root);
    let seen = Arc::new(std::sync::Mutex::new((0usize, 0usize)));
    let seen2 = Arc::clone(&seen);
    bounded(Duration::from_secs(120), move |_| {
        let rules_d = Path::new(augenrules::RULES_D);
        match augenrules::merge(&host, rules_d) {
            Ok(m) => {
                let text = String::from_utf8_lossy(m.text()).into_owned();
                assert!(
                    !text.contains("OUTSIDE"),
                    "merge read outside the root:\n{text}"
                );
                seen2.lock().unwrap().0 += 1;
            }
            Err(e) => {
                if std::env::var_os("RACE_DEBUG").is_some() {
                    eprintln!("{e}");
                }
                seen2.lock().unwrap().1 += 1;
            }
        }
        if let Ok(bytes) = host.read(Path::new("/etc/audit/rules.d/10-x.rules")) {
            assert_eq!(bytes, INSIDE.as_bytes(), "read outside the root");
        }
    });
    stop.store(true, Ordering::Relaxed);
    let swaps = swaps.join().unwrap();
    let (merged, failed) = *seen.lock().unwrap();
    eprintln!("{ROUNDS} rounds, {swaps} swaps: {merged} merges, {failed} refused");
    assert!(swaps > 0);
}

#[test]
fn directory_swapped_for_symlink_never_leads_out_openat2() {
    race_directory_for_symlink(|p| RootHost::new(p));
}

#[test]
fn directory_swapped_for_symlink_never_leads_out_user_space_walk() {
    race_directory_for_symlink(|p| RootHost::without_openat2(p));
}

fn race_file_for_fifo(make_host: fn(&Path) -> RootHost) {
    let r = raced();
    let fifo = r.rules_d.join(".swap");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = swapper(r.rules_d.join("10-x.rules"), fifo, Arc::clone(&stop));
    let host = make_host(&r.root);
    bounded(Duration::from_secs(120), move |_| {
        // A FIFO caught by the read is refused (an error), never waited on.
        let _ = augenrules::merge(&host, Path::new(augenrules::RULES_D));
        let _ = host.read(Path::new("/etc/audit/rules.d/10-x.rules"));
    });
    stop.store(true, Ordering::Relaxed);
    assert!(swaps.join().unwrap() > 0);
}

#[test]
fn file_swapped_for_fifo_never_hangs_openat2() {
    race_file_for_fifo(|p| RootHost::new(p));
}

#[test]
fn file_swapped_for_fifo_never_hangs_user_space_walk() {
    race_file_for_fifo(|p| RootHost::without_openat2(p));
}

/// The user-space walk refuses what the open reached outside the root, even without a race:
/// the check is on the descriptor, so a path that resolves out (here: the root itself moved
/// under a symlink between `new` and the read) is caught.
#[test]
fn user_space_walk_reads_inside_the_root() {
    let r = raced();
    let host = RootHost::without_openat2(&r.root);
    assert_eq!(
        host.read(Path::new("/etc/audit/rules.d/10-x.rules"))
            .unwrap(),
        INSIDE.as_bytes()
    );
    // The absolute link resolves inside the root, where its target does not exist.
    assert!(host
        .read(Path::new("/etc/audit/link.d/10-x.rules"))
        .is_err());
}
