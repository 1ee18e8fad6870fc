#!/bin/sh
# Build the release binary as it is shipped: statically linked, so it runs on hosts without a
# Rust toolchain and starts fast.
#
# - With the musl target of this architecture and musl-gcc (rustup target add
#   ARCH-unknown-linux-musl; apt-get install musl-tools): musl, with mimalloc as the allocator
#   (feature `mimalloc`). musl starts without glibc's cache-size probing (cpuid, which traps
#   under virtualisation: 0.28 ms against 0.74 ms for `--version` in our VM), and mimalloc
#   replaces musl's allocator, which maps and unmaps memory for every size class.
# - Otherwise: glibc, static-pie (address randomisation stays).
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
#   LIBC=gnu scripts/build-release.sh   the glibc build even when musl is available
#   ARCH=aarch64 scripts/build-release.sh   the static aarch64 build
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
host=$(rustc -vV | sed -n 's/^host: //p')
arch=${ARCH:-${host%%-*}}
gnu=$(echo "$host" | sed "s/^[^-]*-/$arch-/")
musl=$(echo "$gnu" | sed 's/-gnu$/-musl/')
c_compiler="musl-gcc"
if [ "$arch" != "${host%%-*}" ]; then
    c_compiler=$arch-linux-gnu-gcc
    for triple in "$musl" "$gnu"; do
        upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
        export "CC_$(echo "$triple" | tr - _)=$c_compiler" "CARGO_TARGET_${upper}_LINKER=$c_compiler"
    done
fi
if [ "${LIBC:-musl}" = musl ] && command -v "$c_compiler" >/dev/null \
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
