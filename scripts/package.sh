#!/bin/sh
# Build the packages users install: a .deb (cargo-deb) and an .rpm (cargo-generate-rpm) holding
# the static binary of scripts/build-release.sh, its man pages and its bash, zsh and fish
# completions. The man pages and completions are generated here, at package time, by the binary
# itself (`auditguard man [COMMAND]`, `auditguard completions SHELL`), so they always describe
# the options of the binary in the package. What goes where is in Cargo.toml
# ([package.metadata.deb], [package.metadata.generate-rpm]): both tools read the generated files
# from target/release/package/, which they map to the build's real target directory.
#
#   scripts/package.sh            -> prints the paths of the .deb and the .rpm
#   PACKAGES="deb" scripts/package.sh   only the .deb (needs cargo-deb)
#   ARCH=aarch64 scripts/package.sh     the packages of build-release.sh's aarch64 build (the
#                                       man pages and completions come from this host's build
#                                       of the same source: the foreign binary cannot run here)
#
# Needs cargo-deb and cargo-generate-rpm (cargo install cargo-deb cargo-generate-rpm).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$here/scripts/build-release.sh")
run=$bin
if [ "${ARCH:-$(uname -m)}" != "$(uname -m)" ]; then
    run=$(ARCH="" "$here/scripts/build-release.sh")
fi
release=$(dirname "$bin")
triple=$(basename "$(dirname "$release")")
gen="$release/package"
rm -rf "$gen"
mkdir -p "$gen/man" "$gen/completions"

# Man pages: auditguard(1) and one auditguard-COMMAND(1) per command `--help` lists.
"$run" man | gzip -9n >"$gen/man/auditguard.1.gz"
for command in $("$run" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'); do
    [ "$command" = help ] && continue
    "$run" man "$command" | gzip -9n >"$gen/man/auditguard-$command.1.gz"
done
"$run" completions bash >"$gen/completions/auditguard.bash"
"$run" completions zsh >"$gen/completions/_auditguard"
"$run" completions fish >"$gen/completions/auditguard.fish"

out="${CARGO_TARGET_DIR:-$here/target}/packages"
mkdir -p "$out"
stamp="$gen/stamp"
touch "$stamp"
sleep 1   # the packages written below are newer than the stamp
for kind in ${PACKAGES:-deb rpm}; do
    case $kind in
    deb)
        # --no-build: the binary is build-release.sh's (static glibc, or musl + mimalloc).
        cargo deb --quiet --no-build --manifest-path "$here/Cargo.toml" --target "$triple" \
            --output "$out" >/dev/null ;;
    rpm)
        # (no --manifest-path: it reads the Cargo.toml of the current directory)
        (cd "$here" && cargo generate-rpm --target "$triple" --output "$out" >/dev/null) ;;
    esac
done
find "$out" -type f -newer "$stamp" | sort
