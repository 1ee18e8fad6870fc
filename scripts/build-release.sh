#!/bin/sh
# Build the release binary as it is shipped: statically linked, so it runs on hosts without a
# Rust toolchain and starts fast.
#
# - By default: glibc, static-pie (address randomisation stays).
# - LIBC=musl, with the musl target of this architecture and musl-gcc (rustup target add
#   ARCH-unknown-linux-musl; apt-get install musl-tools): musl, with mimalloc as the allocator
#   (feature `mimalloc`). musl starts without glibc's cache-size probing (cpuid, which traps
#   under virtualisation: 0.28 ms against 0.74 ms for `--version` in our VM), and mimalloc
#   replaces musl's allocator, which maps and unmaps memory for every size class. A typical
#   check costs 1.0 ms of CPU instead of 1.3, but a 100,000-line root 30-50% more
#   (bench/results/issue7-libc-2026-11-29.txt): not the default.
#
# The host's build scripts and proc macros are built normally: the static flag goes to the
# target only because the target triple is given explicitly.
#
#   scripts/build-release.sh        -> prints the path of the binary
#   LIBC=musl scripts/build-release.sh  the musl + mimalloc build
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
host=$(rustc -vV | sed -n 's/^host: //p')
musl=$(echo "$host" | sed 's/-gnu$/-musl/')
if [ "${LIBC:-gnu}" = musl ] && command -v musl-gcc >/dev/null \
    && rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
    triple=$musl
    cargo build --release --quiet --manifest-path "$here/Cargo.toml" --target "$triple" \
        --features mimalloc >&2
else
    triple=$host
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
        cargo build --release --quiet --manifest-path "$here/Cargo.toml" --target "$triple" >&2
fi
echo "${CARGO_TARGET_DIR:-$here/target}/$triple/release/auditguard"
