#!/bin/sh
# Build the release binary as it is shipped: statically linked, so it runs on hosts without a
# Rust toolchain and starts fast.
#
# - For this machine's architecture, by default: glibc, static-pie (address randomisation
#   stays).
# - LIBC=musl (the default for another architecture), with the musl target and a C compiler
#   (rustup target add ARCH-unknown-linux-musl; apt-get install musl-tools): musl, with
#   mimalloc as the allocator (feature `mimalloc`). musl starts without glibc's cache-size
#   probing (cpuid, which traps under virtualisation: 0.28 ms against 0.74 ms for `--version`
#   in our VM), and mimalloc replaces musl's allocator, which maps and unmaps memory for every
#   size class. A typical check costs 1.0 ms of CPU instead of 1.3, but a 100,000-line root
#   30-50% more (bench/results/issue7-libc-2026-11-29.txt).
# - Otherwise: glibc, static-pie.
#
# The host's build scripts and proc macros are built normally: the static flag goes to the
# target only because the target triple is given explicitly.
#
# Another architecture (ARCH=aarch64 on x86_64): with the rustup target (ARCH-unknown-linux-musl,
# else ARCH-unknown-linux-gnu) and Debian's cross compiler (gcc-ARCH-linux-gnu,
# libc6-dev-ARCH-cross), which compiles mimalloc's C and links. mimalloc's C then sees the
# cross glibc's headers, not musl's: it calls only mmap, madvise, sysconf, getenv and pthread
# keys, whose ABI musl shares (the aarch64 build's reports were compared with x86_64's under
# qemu-aarch64: the same verdicts and reasons on the examples and profiles).
#
#   scripts/build-release.sh        -> prints the path of the binary
#   LIBC=musl scripts/build-release.sh  the musl + mimalloc build
#   ARCH=aarch64 scripts/build-release.sh   the static aarch64 build
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
host=$(rustc -vV | sed -n 's/^host: //p')
arch=${ARCH:-${host%%-*}}
gnu=$(echo "$host" | sed "s/^[^-]*-/$arch-/")
musl=$(echo "$gnu" | sed 's/-gnu$/-musl/')
c_compiler="musl-gcc"
libc=${LIBC:-gnu}
if [ "$arch" != "${host%%-*}" ]; then
    libc=${LIBC:-musl}
    c_compiler=$arch-linux-gnu-gcc
    for triple in "$musl" "$gnu"; do
        upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
        export "CC_$(echo "$triple" | tr - _)=$c_compiler" "CARGO_TARGET_${upper}_LINKER=$c_compiler"
    done
fi
if [ "$libc" = musl ] && command -v "$c_compiler" >/dev/null \
    && rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
    triple=$musl
    cargo build --release --quiet --manifest-path "$here/Cargo.toml" --target "$triple" \
        --features mimalloc >&2
else
    triple=$gnu
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
        cargo build --release --quiet --manifest-path "$here/Cargo.toml" --target "$triple" >&2
fi
echo "${CARGO_TARGET_DIR:-$here/target}/$triple/release/auditguard"
