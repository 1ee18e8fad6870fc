#!/bin/sh
# Peak memory (max RSS, KiB, from GNU time) of check, rules and merge on both benchmark roots.
# A benchmark, not a test: the target is under 50 MB for the big root (100,000 lines).
# Usage: bench/memory.sh [BINARY]   (default: builds target/release/auditguard)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
roots=${BENCH_ROOTS:-/tmp/auditguard-bench}
[ -d "$roots/big" ] || "$here/make-roots.sh" "$roots" >/dev/null
if [ $# -ge 1 ]; then
    ag=$1
else
    cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
    ag="$here/../target/release/auditguard"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for root in typical big; do
    for cmd in check rules merge; do
        # check exits 1 when a control fails; only the measurement matters here.
        /usr/bin/time -f "%M" "$ag" "$cmd" --root "$roots/$root" >/dev/null 2>"$log" || true
        printf '%8s KiB  auditguard %s --root %s\n' "$(tail -n 1 "$log")" "$cmd" "$root"
    done
done
