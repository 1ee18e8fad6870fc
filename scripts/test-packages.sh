#!/bin/sh
# The packages as a user gets them: build the .deb and the .rpm (scripts/package.sh), install the
# .deb with dpkg -i, run `auditguard --version`, read `man auditguard`, load the bash completion
# script and complete a command, check the zsh and fish scripts are where those shells look,
# then remove the package (dpkg -r) so the host is left as it was. The .rpm's contents are listed
# with rpm -qlp. Needs root and dpkg; installs cargo-deb, cargo-generate-rpm (cargo install),
# man-db and rpm (apt-get) when missing.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null; then
    echo "packages: skipped (needs root and dpkg to install the .deb)"
    exit 0
fi
if dpkg -s auditguard >/dev/null 2>&1; then
    echo "packages: FAIL: a package auditguard is already installed; not touching it"
    exit 1
fi
command -v cargo-deb >/dev/null || cargo install --quiet --locked cargo-deb
command -v cargo-generate-rpm >/dev/null || cargo install --quiet --locked cargo-generate-rpm
need=""
command -v man >/dev/null || need="$need man-db"
command -v rpm >/dev/null || need="$need rpm"
if [ -n "$need" ]; then
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $need >/dev/null 2>&1 \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends $need >/dev/null; }
fi

packages=$("$repo/scripts/package.sh")
deb=$(echo "$packages" | grep '\.deb$')
rpm=$(echo "$packages" | grep '\.rpm$')
echo "packages: $(basename "$deb") ($(stat -c %s "$deb") bytes), $(basename "$rpm") ($(stat -c %s "$rpm") bytes)"

fail() { echo "packages: FAIL: $*"; dpkg -r auditguard >/dev/null 2>&1 || true; exit 1; }
dpkg -i "$deb" >/dev/null || fail "dpkg -i"
out=$(/usr/bin/auditguard --version) || fail "auditguard --version"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
[ "$out" = "auditguard $version" ] || fail "auditguard --version printed '$out'"
# man reads the installed page (gzip, roff) through its own formatter.
page=$(MANPAGER=cat MANWIDTH=80 man auditguard 2>&1) || fail "man auditguard: $page"
{ echo "$page" | grep -q "^NAME" && echo "$page" | grep -q "auditguard-check(1)"; } || fail "man auditguard: $page"
env MANPAGER=cat man auditguard-check >/dev/null 2>&1 || fail "man auditguard-check"
# bash: source the installed completion and ask it to complete "auditguard ch".
words=$(bash -c '. /usr/share/bash-completion/completions/auditguard
    COMP_WORDS=(auditguard ch); COMP_CWORD=1; COMP_LINE="auditguard ch"; COMP_POINT=${#COMP_LINE}
    _auditguard auditguard ch auditguard; printf "%s\n" "${COMPREPLY[@]}"') || fail "bash completion"
echo "$words" | grep -qx check || fail "bash completion of 'auditguard ch' gave: $words"
for f in /usr/share/zsh/vendor-completions/_auditguard /usr/share/fish/vendor_completions.d/auditguard.fish; do
    [ -s "$f" ] || fail "$f missing"
done
head -n 1 /usr/share/zsh/vendor-completions/_auditguard | grep -q '^#compdef auditguard' || fail "zsh completion header"
if command -v zsh >/dev/null; then zsh -n /usr/share/zsh/vendor-completions/_auditguard || fail "zsh syntax"; fi
if command -v fish >/dev/null; then fish -n /usr/share/fish/vendor_completions.d/auditguard.fish || fail "fish syntax"; fi
# The fleet role's other way in: auditguard_install=package installs the .deb on the host (here
# this machine, ansible_connection=local) and the check runs /usr/bin/auditguard.
venv=${ANSIBLE_VENV:-${CARGO_TARGET_DIR:-$repo/target}/ansible-venv}
if [ -x "$venv/bin/ansible-playbook" ]; then
    dpkg -r auditguard >/dev/null || fail "dpkg -r"
    work=$(mktemp -d)
    cp -a "$repo/examples/debian12" "$work/root"
    printf '[fleet]\nthis auditguard_root=%s\n' "$work/root" >"$work/inventory.ini"
    ANSIBLE_COLLECTIONS_PATH="$repo/ansible" ANSIBLE_NOCOLOR=1 "$venv/bin/ansible-playbook" \
        -i "$work/inventory.ini" auditguard.audit.fleet -e ansible_connection=local \
        -e ansible_python_interpreter="$venv/bin/python" -e auditguard_become=false \
        -e auditguard_install=package -e auditguard_package_src="$deb" \
        -e auditguard_report_dir="$work/reports" >"$work/play.log" 2>&1 \
        || { cat "$work/play.log"; rm -rf "$work"; fail "fleet playbook with auditguard_install=package"; }
    "$venv/bin/python" -c 'import json, sys; h = json.load(open(sys.argv[1]))["hosts"]["this"]
assert [i["id"] for i in h["failing"]] == ["kernel-module-loading"], h' "$work/reports/summary.json" \
        || { rm -rf "$work"; fail "summary of the package install run"; }
    [ -e "/tmp/$(basename "$deb")" ] && { rm -rf "$work"; fail "the role left the copied package"; }
    rm -rf "$work"
    dpkg -s auditguard >/dev/null 2>&1 || fail "the role did not install the package"
    echo "packages: the fleet role installs the .deb (auditguard_install=package) and checks with it"
fi
listed=$(dpkg -L auditguard)
dpkg -r auditguard >/dev/null || fail "dpkg -r"
for f in $listed; do
    [ -d "$f" ] || ! [ -e "$f" ] || fail "$f left after dpkg -r"
done
dpkg -s auditguard >/dev/null 2>&1 && fail "still installed after dpkg -r"
echo "packages: .deb installed, --version, man, completions ok, removed"

files=$(rpm -qlp "$rpm" 2>/dev/null) || fail "rpm -qlp"
for f in /usr/bin/auditguard /usr/share/man/man1/auditguard.1.gz /usr/share/man/man1/auditguard-check.1.gz \
    /usr/share/bash-completion/completions/auditguard /usr/share/zsh/site-functions/_auditguard \
    /usr/share/fish/vendor_completions.d/auditguard.fish; do
    echo "$files" | grep -qx "$f" || fail "$f not in the .rpm"
done
echo "packages: .rpm holds the binary, man pages and completions"

# The aarch64 packages, where this x86_64 host has the cross toolchain (rustup target
# aarch64-unknown-linux-musl, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) and qemu-aarch64
# (qemu-user) to run the result: the .deb's binary is static for aarch64 and judges the examples
# as the host's build does.
if [ "$(uname -m)" = x86_64 ] && command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null \
    && rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-'; then
    arm=$(ARCH=aarch64 "$repo/scripts/package.sh")
    arm_deb=$(echo "$arm" | grep '_arm64\.deb$') || fail "no arm64 .deb in: $arm"
    echo "$arm" | grep -q '\.aarch64\.rpm$' || fail "no aarch64 .rpm in: $arm"
    work=$(mktemp -d)
    dpkg-deb -x "$arm_deb" "$work/pkg"
    file -b "$work/pkg/usr/bin/auditguard" | grep -q "ARM aarch64.*statically linked" \
        || { rm -rf "$work"; fail "not a static aarch64 binary: $(file -b "$work/pkg/usr/bin/auditguard")"; }
    host_bin=$("$repo/scripts/build-release.sh")
    for example in compliant debian12; do
        for profile in "" cis-debian12 stig-rhel9; do
            set -- check --root "$repo/examples/$example" --arch x86_64 --format json ${profile:+--profile "$profile"}
            verdicts='import json, sys; print(json.dumps([(c["id"], c["verdict"], c["reason"]) for c in json.load(sys.stdin)["controls"]]))'
            a=$(qemu-aarch64 "$work/pkg/usr/bin/auditguard" "$@" | python3 -c "$verdicts") || true
            x=$("$host_bin" "$@" | python3 -c "$verdicts") || true
            if [ -z "$a" ] || [ "$a" != "$x" ]; then rm -rf "$work"; fail "aarch64 and x86_64 differ on $example ${profile:-}"; fi
        done
    done
    rm -rf "$work"
    echo "packages: arm64 .deb and aarch64 .rpm; the static aarch64 binary (qemu-aarch64) judges the examples as x86_64's does"
else
    echo "packages: aarch64 skipped (needs aarch64-linux-gnu-gcc, qemu-aarch64 and the rustup target)"
fi
