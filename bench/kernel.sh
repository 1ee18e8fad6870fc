#!/bin/sh
# Kernel listing benchmark (a measurement, not a timed test): load 1,000 rules, then list them
# with our netlink client (decode only, and decode + auditctl -l printer) and with the real
# `auditctl -l`; prints medians of 20 runs and the ratio. Needs root and the `auditd` package.
# Kernel safety: runs inside the tests' with_kernel (shared flock; starts from and restores no
# rules and `enabled 0`); never loads -e 2, -f 2 or --loginuid-immutable.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cargo test --release --quiet --manifest-path "$here/../Cargo.toml" --test kernel_codec -- \
    --ignored --nocapture --exact list_1000_rules_timing
