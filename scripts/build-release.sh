#!/bin/sh
# Build the release binary as it is shipped: statically linked (static-pie, so address
# randomisation stays) against glibc, for this machine's architecture. A static binary starts
# faster (no dynamic loader, no libgcc_s) and runs on hosts without a Rust toolchain.
# The host's build scripts and proc macros are built normally: the static flag goes to the
# target only because the target triple is given explicitly.
#
#   scripts/build-release.sh        -> prints the path of the binary
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
triple=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
    cargo build --release --quiet --manifest-path "$here/Cargo.toml" --target "$triple" >&2
echo "${CARGO_TARGET_DIR:-$here/target}/$triple/release/auditguard"
