#!/bin/bash
# Benchmark (not a test): `auditguard fix --root` against the ComplianceAsCode bash remediation
# of xccdf_org.ssgproject.content_rule_audit_rules_kernel_module_loading, on the same broken
# roots — every `verdict: fail`/`error` scenario of tests/scenarios plus tests/fix (exported by
# `tests/fix_scenarios.rs`'s ignored `export_broken_roots`).
#
# For each root and tool, on a fresh copy: time per run (hyperfine with a copying --prepare;
# a plain loop when hyperfine is missing), then whether the root is compliant afterwards by
# `auditguard check` (whole control, and its module-syscalls requirement alone, which is all
# the CaC rule covers), by CaC's own OVAL definition (`oscap oval eval` with
# OSCAP_PROBE_ROOT, i.e. the rule's check without the RHEL platform applicability), how many
# load errors `check` reports, and whether a second run changes any byte.
#
# How the CaC fix is made to run on a root, and only there:
#   1. `oscap xccdf generate fix --fix-type bash --profile e8 --rule RULE ssg-rhel9-ds.xml`.
#      oscap 1.3.7 ignores --rule here and prints the whole e8 profile (98 fixes, including
#      `dnf reinstall`), so only the block between "BEGIN fix (n / 98) for 'RULE'" and
#      "END fix for 'RULE'" is kept (awk), and the script refuses to go on if that block
#      mentions anything but the audit rules files (auditctl, augenrules, systemctl, service,
#      dnf, rpm -V...).
#   2. Its applicability guard `if rpm --quiet -q audit && [ ! -f /.dockerenv ] && ...; then`
#      is false on Debian (no rpm database): sed replaces exactly that line by `if true; then`.
#   3. It writes to absolute /etc/audit paths, so it runs as
#      `unshare -m sh -c 'mount --bind ROOT/etc/audit /etc/audit && exec bash fix.sh'`: a private
#      mount namespace (util-linux unshare makes propagation private) where the root's
#      /etc/audit hides the real one. The real /etc/audit is checksummed before and after,
#      and the script fails loudly if it changed. Nothing here loads rules: neither tool is
#      asked to, and the extracted CaC block has no auditctl call.
#
# Usage: bench/fix-vs-cac.sh [RUNS]   (default 10 timed runs per tool and root; needs root)
# Env: AG=path/to/auditguard (default: a release build), KEEP=1 keeps the work directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=${1:-10}
rule=xccdf_org.ssgproject.content_rule_audit_rules_kernel_module_loading
ds=/usr/share/xml/scap/ssg/content/ssg-rhel9-ds.xml
oval=/usr/share/xml/scap/ssg/content/ssg-rhel9-oval.xml
ovalid=oval:ssg-audit_rules_kernel_module_loading:def:1

[ "$(id -u)" = 0 ] || { echo "needs root (unshare -m, mount --bind)" >&2; exit 2; }
[ -d /etc/audit ] || { echo "needs /etc/audit to bind over (install auditd)" >&2; exit 2; }
if ! command -v oscap >/dev/null || [ ! -f "$ds" ]; then
    apt-get install -y -qq openscap-scanner ssg-nondebian >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null && apt-get install -y -qq openscap-scanner ssg-nondebian >/dev/null; }
fi

work=$(mktemp -d /tmp/fix-vs-cac.XXXXXX)
etc_sum() { find /etc/audit -xdev -printf '%p %m %s %T@\n' 2>/dev/null | sort | sha256sum; }
real_before=$(etc_sum)
cleanup() {
    local now
    now=$(etc_sum)
    if [ "$now" != "$real_before" ]; then
        echo "FATAL: the real /etc/audit changed during the benchmark" >&2
    fi
    [ "${KEEP:-0}" = 1 ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

# The auditguard binary.
if [ -z "${AG:-}" ]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
    AG="$repo/target/release/auditguard"
fi

# The broken roots.
(cd "$repo" && FIX_EXPORT="$work/roots" cargo test --quiet --test fix_scenarios \
    export_broken_roots -- --ignored >/dev/null 2>&1)
[ -d "$work/roots" ] || { echo "exporting the roots failed" >&2; exit 2; }

# The CaC fix, extracted and unguarded.
oscap xccdf generate fix --fix-type bash --profile xccdf_org.ssgproject.content_profile_e8 \
    --rule "$rule" "$ds" 2>/dev/null > "$work/profile-fix.sh"
awk -v r="$rule" '
    index($0, "BEGIN fix (") && index($0, "for '\''" r "'\''") { on = 1 }
    on { print }
    index($0, "END fix for '\''" r "'\''") { on = 0 }' "$work/profile-fix.sh" > "$work/cac-block.sh"
guard='if rpm --quiet -q audit \&\& \[ ! -f \/.dockerenv \] \&\& \[ ! -f \/run\/.containerenv \]; then'
sed "s/^$guard\$/if true; then # guard bypassed by bench\/fix-vs-cac.sh/" "$work/cac-block.sh" > "$work/cac.sh"
grep -q '^if true; then # guard bypassed' "$work/cac.sh" || { echo "CaC guard line not found" >&2; exit 2; }
if grep -nE 'auditctl +-|augenrules +--load|systemctl|service |dnf |yum |rpm -V|rpm --(setugids|restore|import)' \
    "$work/cac.sh" | grep -v '^[0-9]*:#'; then
    echo "refusing: the extracted CaC block does more than edit rules files" >&2
    exit 2
fi
echo "CaC fix: $(wc -l < "$work/cac.sh") lines from $(basename "$ds") (benchmark $(grep -m1 -o 'Benchmark Version:.*' "$work/profile-fix.sh" || true))"

# cac-on ROOT: the CaC fix with ROOT/etc/audit over /etc/audit, in a private mount namespace.
cat > "$work/cac-on" <<EOF
#!/bin/sh
[ -d "\$1/etc/audit" ] || { echo "no \$1/etc/audit" >&2; exit 3; }
exec unshare -m sh -c 'mount --bind "\$1/etc/audit" /etc/audit && exec bash "\$2" 2>/dev/null' sh "\$1" "$work/cac.sh"
EOF
chmod +x "$work/cac-on"
ag_on() { "$AG" fix --root "$1" >/dev/null 2>&1; }
cac_on() { "$work/cac-on" "$1" >/dev/null 2>&1; }

# verdicts ROOT -> "check syscalls load_errors oval"
verdicts() {
    local json
    json=$("$AG" check --root "$1" --format json 2>/dev/null || true)
    local v
    v=$(printf '%s' "$json" | python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
except Exception:
    print("error error ?"); sys.exit()
req = {r["id"]: r["verdict"] for c in j.get("controls", []) for r in c.get("requirements", [])}
print(j.get("verdict", "?"), req.get("module-syscalls", "?"), len(j.get("load_errors", [])))')
    local o
    o=$(OSCAP_PROBE_ROOT="$1" oscap oval eval --id "$ovalid" "$oval" 2>/dev/null |
        sed -n "s/^Definition $ovalid: //p")
    echo "$v ${o:-?}"
}

# mean_ms NAME CMD... : mean wall time of CMD on a fresh copy of the root in $src, in ms.
mean_ms() {
    local tool=$1 t=$work/t
    if command -v hyperfine >/dev/null; then
        hyperfine -N --runs "$runs" --warmup 1 -i --style none \
            --prepare "sh -c 'rm -rf $t && cp -a $src $t'" \
            --export-json "$work/h.json" "$tool $t" >/dev/null 2>&1
        python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["mean"]*1000))' "$work/h.json"
    else
        local total=0 i s e
        for i in $(seq "$runs"); do
            rm -rf "$t"; cp -a "$src" "$t"
            s=$(date +%s%N); $tool "$t" >/dev/null 2>&1 || true; e=$(date +%s%N)
            total=$((total + e - s))
        done
        echo "scale=1; $total / $runs / 1000000" | bc
    fi
}
cat > "$work/ag-on" <<EOF
#!/bin/sh
exec "$AG" fix --root "\$1"
EOF
chmod +x "$work/ag-on"

# The namespace + bind mount alone (part of every CaC time above), on the first root.
cat > "$work/ns-on" <<'EOF2'
#!/bin/sh
exec unshare -m sh -c 'mount --bind "$1/etc/audit" /etc/audit && exec true' sh "$1"
EOF2
chmod +x "$work/ns-on"
src=$(ls -d "$work"/roots/*/ | head -1); src=${src%/}
echo "unshare -m + mount --bind alone: $(mean_ms "$work/ns-on") ms/run (included in CaC's times)"
echo

printf '%-48s | %-27s | %-35s | %-35s\n' root "before: check sysc lerr oval" \
    "auditguard: ms exit check sysc lerr oval idem" "CaC: ms exit check sysc lerr oval idem"
rows=$work/rows
: > "$rows"
for src in "$work"/roots/*/; do
    src=${src%/}
    name=$(basename "$src")
    before=$(verdicts "$src")
    line=$(printf '%-48s | %-27s' "$name" "$before")
    for tool in ag cac; do
        w=$work/one-$tool
        rm -rf "$w" "$w.2"; cp -a "$src" "$w"
        rc=0; "${tool}_on" "$w" || rc=$?
        v=$(verdicts "$w")
        cp -a "$w" "$w.2"; "${tool}_on" "$w.2" || true
        if diff -r --no-dereference "$w" "$w.2" >/dev/null 2>&1; then idem=yes; else idem=NO; fi
        if [ -d "$src/etc/audit" ]; then ms=$(mean_ms "$work/$tool-on"); else ms=-; fi
        line="$line | $(printf '%-35s' "$ms $rc $v $idem")"
        echo "$name $tool $ms $rc $v $idem" >> "$rows"
    done
    echo "$line"
done

echo
python3 - "$rows" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
for tool, label in (("ag", "auditguard fix"), ("cac", "ComplianceAsCode bash")):
    r = [x for x in rows if x[1] == tool]
    timed = [float(x[2]) for x in r if x[2] != "-"]
    n = len(r)
    check = sum(x[4] == "pass" for x in r)
    sysc = sum(x[5] == "pass" for x in r)
    oval = sum(x[7] == "true" for x in r)
    lerr = sum(x[6] not in ("0", "?") for x in r)
    idem = sum(x[8] == "yes" for x in r)
    print(f"{label:24} roots {n:3}  mean {sum(timed)/len(timed):7.1f} ms/run  total {sum(timed):8.1f} ms"
          f"  | check pass {check:3}/{n} ({100*check/n:3.0f}%)  module-syscalls pass {sysc:3}/{n}"
          f"  OVAL true {oval:3}/{n}  with load errors {lerr:3}  second run unchanged {idem:3}/{n}")
ag = {x[0]: float(x[2]) for x in rows if x[1] == "ag" and x[2] != "-"}
cac = {x[0]: float(x[2]) for x in rows if x[1] == "cac" and x[2] != "-"}
common = [k for k in ag if k in cac]
if common:
    print(f"time ratio CaC / auditguard (sum over {len(common)} roots): "
          f"{sum(cac[k] for k in common) / sum(ag[k] for k in common):.2f}")
PY
echo "columns: exit = the tool's exit code; check = auditguard check verdict; sysc = its"
echo "module-syscalls requirement; lerr = load errors check reports; oval = CaC's OVAL definition"
echo "(true = pass); idem = a second run changed no byte."
