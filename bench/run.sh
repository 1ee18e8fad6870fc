#!/bin/sh
# Benchmarks (not timed tests): auditguard against the tools people use instead, on the same
# roots. Needs hyperfine (Debian package `hyperfine`); uses augenrules (package `auditd`) and
# oscap + the ComplianceAsCode datastream (packages `openscap-scanner`, `ssg-nondebian`) when
# installed. Prints hyperfine tables and peak memory; ratios go into the closing notes.
# The cost targets of the issues (watch-heavy, symlinked, deep, narrowed and growth shapes,
# stat-family syscall counts, and rules vs the real auditctl) are measured by bench/shapes.sh
# on the roots of bench/make-shapes.sh: `AG=/path/to/auditguard nice -n 10 bench/shapes.sh`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
roots=${BENCH_ROOTS:-/tmp/auditguard-bench}
"$here/make-roots.sh" "$roots" >/dev/null
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
ag="$here/../target/release/auditguard"
runs="--warmup 3 --min-runs 20 -N"

echo "== check on a typical root ($(cat "$roots"/typical/etc/audit/rules.d/* | wc -l) lines)"
hyperfine $runs "$ag check --root $roots/typical" -i

echo "== parse + simulate 100,000 lines in 1,000 files, vs cat of the same files"
echo "   (targets: under 150 ms, within 10x of cat; hyperfine's summary gives the ratio)"
# `cat` of a glob needs a shell (hyperfine -N runs without one): the shell's startup is in
# that number, which only flatters the ratio toward cat.
hyperfine $runs -i "$ag rules --root $roots/big"
hyperfine --warmup 3 --min-runs 20 -i "cat $roots/big/etc/audit/rules.d/*.rules"
echo "== check (parse + simulate + evaluate) on the same 100,000 lines"
hyperfine $runs -i "$ag check --root $roots/big"

echo "== merge: auditguard vs the real augenrules (a copy with its paths pointed at the root)"
if command -v augenrules >/dev/null 2>&1; then
    aug=$(mktemp)
    sed -e "s#/etc/audit/rules.d#$roots/big/etc/audit/rules.d#g" \
        -e "s#/etc/audit/audit.rules#$roots/big-audit.rules#g" "$(command -v augenrules)" > "$aug"
    chmod +x "$aug"
    hyperfine $runs -i "$ag merge --root $roots/big" "$aug --check"
    rm -f "$aug"
fi

echo "== peak memory (max RSS, KiB; target under 50 MB on big)"
BENCH_ROOTS=$roots "$here/memory.sh" "$ag"

echo "== check vs OpenSCAP (ComplianceAsCode's OVAL definition for audit_rules_kernel_module_loading)"
# `oscap xccdf eval` reports notapplicable on a Debian root (CPE platform) after ~1.7 s of
# datastream loading; `oscap oval eval` of the rule's own definition is the check itself.
oval=/usr/share/xml/scap/ssg/content/ssg-rhel9-oval.xml
ovalid=oval:ssg-audit_rules_kernel_module_loading:def:1
if command -v oscap >/dev/null 2>&1 && [ -f "$oval" ]; then
    hyperfine --warmup 1 --min-runs 5 -i \
        "$ag check --root $roots/typical" \
        "env OSCAP_PROBE_ROOT=$roots/typical oscap oval eval --id $ovalid $oval"
else
    echo "oscap or $oval not installed (packages openscap-scanner, ssg-nondebian); skipped"
fi
