//! `load::version_sort::ls_version_cmp` against the real `ls -1v` (coreutils), on names made
//! of the bytes that matter to `filevercmp`: digits, letters, `.`, `~`, `-`, `_`, high bytes.

use auditguard::load::version_sort::ls_version_cmp;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

#[test]
fn order_matches_ls_minus_1v() {
    if Command::new("ls").arg("--version").output().is_err() {
        println!("SKIP: no ls");
        return;
    }
    const PARTS: &[&[u8]] = &[
        b"0",
        b"1",
        b"2",
        b"9",
        b"10",
        b"010",
        b"99",
        b"100",
        b"-",
        b"_",
        b".",
        b"~",
        b"a",
        b"b",
        b"Z",
        b"z",
        b"rules",
        b".rules",
        b".1",
        b".a~",
        b"~1",
        b"\xc3\xa9",
        b"\xff",
        b" ",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut compared = 0;
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let mut names: Vec<Vec<u8>> = Vec::new();
        while names.len() < 60 {
            let mut name = Vec::new();
            for _ in 0..1 + next(5) {
                name.extend_from_slice(PARTS[next(PARTS.len())]);
            }
            if name.first() == Some(&b'.') || names.contains(&name) {
                continue;
            }
            std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(&name)), b"").unwrap();
            names.push(name);
        }
        let out = Command::new("ls")
            .arg("-1v")
            .arg(dir.path())
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        let real: Vec<Vec<u8>> = out
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        names.sort_by(|a, b| ls_version_cmp(a, b));
        assert_eq!(
            names
                .iter()
                .map(|n| String::from_utf8_lossy(n))
                .collect::<Vec<_>>(),
            real.iter()
                .map(|n| String::from_utf8_lossy(n))
                .collect::<Vec<_>>()
        );
        compared += names.len();
    }
    println!("{compared} names ordered as ls -1v orders them");
}
