//! The fuzz target `pipeline` (fuzz/fuzz_targets/pipeline.rs) as a plain test: the same
//! harness over seeds and generated trees, each with a deadline, so `cargo test` runs the
//! whole-pipeline property (no panic, no hang, valid JSON, exit code 0..=2) without nightly.

#[path = "../fuzz/pipeline_harness.rs"]
mod harness;

use std::time::{Duration, Instant};

/// Hand-written seeds: each shape the pipeline meets.
fn seeds() -> Vec<Vec<u8>> {
    let unit = b"\x04[Service]\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n";
    let rules = b"\x00-a always,exit -F arch=b64 -S init_module -k m\n-w /etc/passwd -p wa\n-e 2\n";
    let mut out = vec![
        Vec::new(),
        [&unit[..], b"\0", &rules[..]].concat(),
        [&unit[..], b"\0\x08", b"\0\x01-D -k m\n-a never,exit -S all\n"].concat(),
        [&unit[..], b"\0\x05[Service]\nExecStartPost=\nExecStartPost=/sbin/auditctl -R /etc/audit/audit.rules\n\0\x03-i\n-w /x/../../y -k q\n"].concat(),
        [&unit[..], b"\0\x10/etc/passwd\0\x07root:x:0:0::/:/bin/sh\n\0\x00-a always,exit -F uid=root -S openat\n"].concat(),
        [&unit[..], b"\0\x0e\0\x0f\0\x00-a always,exit -F uid=nobody -S all\n"].concat(),
        b"\x14/dev/null\0\x0c".to_vec(),
    ];
    out.push(rules.to_vec());
    out
}

/// A small deterministic generator (xorshift) of trees from pieces of rule text.
fn generated(n: usize) -> Vec<Vec<u8>> {
    const PIECES: &[&[u8]] = &[
        b"-a always,exit -F arch=b64 -S ",
        b"-a never,exit ",
        b"-A exit,always ",
        b"-w /etc/",
        b"-d always,exit -S openat\n",
        b"-D\n",
        b"-D -k ",
        b"-e 1\n",
        b"-e 2\n",
        b"-c\n",
        b"-i\n",
        b"init_module",
        b"openat,execve",
        b" -F key=",
        b" -F auid>=1000",
        b" -p wa",
        b"\n",
        b"\xff\xfe",
        b"../",
        b"# c\n",
        b"\\\n",
        b"[Service]\nExecStartPost=-/sbin/augenrules --load\n",
        b"ExecStartPost=/sbin/auditctl -R /etc/audit/audit.rules\n",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let mut data = Vec::new();
            for _ in 0..(next() % 6) {
                data.push((next() % 32) as u8 | 1);
                for _ in 0..(next() % 12) {
                    data.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
                }
                data.push(0);
            }
            data
        })
        .collect()
}

#[test]
fn pipeline_on_seeds_and_generated_trees() {
    let inputs: Vec<Vec<u8>> = seeds().into_iter().chain(generated(200)).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let count = inputs.len();
    std::thread::spawn(move || {
        let mut codes = [0usize; 3];
        for data in inputs {
            let start = Instant::now();
            let code = harness::run(&data);
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "slow input: {data:?}"
            );
            codes[code as usize] += 1;
        }
        let _ = tx.send(codes);
    });
    let codes = rx
        .recv_timeout(Duration::from_secs(300))
        .expect("the pipeline hung or panicked on an input");
    eprintln!("{count} trees: exit codes 0/1/2 = {codes:?}");
}
