#!/bin/bash
# Benchmark (not a test) of the cost targets on generated root shapes (bench/make-shapes.sh):
# for each shape and size, `auditguard check --root R` and `auditguard rules --root R` against
# `cat` of the same generated input files: hyperfine mean times, ratios, stat-family syscall
# counts (strace -c -f), peak RSS (GNU time), output size; then the growth ratios between the
# sizes of a shape, the targets, and `rules --root` against the real `auditctl -R` +
# `auditctl -l` on the merged file (loads rules into THIS machine's kernel; see below).
#
# Usage:  nice -n 10 bench/shapes.sh            (the script renices itself to 10 anyway)
# Env:    AG=/path/to/auditguard   binary to measure (default: cargo build --release here)
#         SHAPES_DIR=DIR           where the roots live (default /tmp/auditguard-shapes; built
#                                  by make-shapes.sh when missing or when that script changed)
#         ONLY=REGEX               only the cases whose "shape:size" matches (grep -E)
#         TIMEOUT=SECONDS          per run (default 120); a run that hits it prints TIMEOUT
#         KERNEL=0                 skip the auditctl comparison (default: on when root and
#                                  auditctl is installed)
#
# How each command is timed: one probe run under `timeout` and GNU time (elapsed, max RSS,
# output bytes). Probe < 1.5 s: hyperfine --warmup 1, 5..30 runs; < 3 s: hyperfine --runs 3;
# otherwise the probe is the only run (the "runs" column says which). strace costs ~20 us per
# traced syscall (57 s instead of 2.8 s for 3.2 million statx), so it runs only when the probe
# took < STRACE_MAX seconds (default 3; "skipped" otherwise), under the same timeout.
# "stat-family" = statx newfstatat lstat stat fstat readlink readlinkat open openat openat2
# (printed as stat+readlink+open=sum).
#
# Kernel safety (the machine is shared): the comparison holds flock
# /run/lock/auditguard-kernel.lock, starts with `auditctl -D`, loads the merged file with every
# -e, -f and --loginuid-immutable line removed, and always ends (trap EXIT) with
# `auditctl -D; auditctl -e 0`. It never starts auditd.
set -euo pipefail
if [ "$(nice)" -lt 10 ]; then exec nice -n $((10 - $(nice))) "$0" "$@"; fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${SHAPES_DIR:-/tmp/auditguard-shapes}
tmo=${TIMEOUT:-120}
strace_max=${STRACE_MAX:-3}
only=${ONLY:-.}
lock=/run/lock/auditguard-kernel.lock

if [ -z "${AG:-}" ]; then
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
    AG=${CARGO_TARGET_DIR:-$repo/target}/release/auditguard
fi
[ -x "$AG" ] || { echo "AG=$AG is not an executable" >&2; exit 2; }
for tool in hyperfine strace; do
    command -v "$tool" >/dev/null || apt-get install -y -qq "$tool" >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

stamp=$(sha256sum "$here/make-shapes.sh" | cut -c1-16)
if [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "building the roots in $out ..." >&2
    "$here/make-shapes.sh" "$out" >&2
    echo "$stamp" > "$out/stamp"
fi

work=$(mktemp -d /tmp/agshapes.XXXXXX)
trap 'rm -rf "$work"' EXIT
rows=$work/rows
: > "$rows"

stat_re='^(statx|newfstatat|lstat|stat|fstat|readlink|readlinkat|open|openat|openat2)$'
# syscalls CMD... -> "stat+readlink+open=sum" (or TIMEOUT)
syscalls() {
    local rc=0
    # check exits 1 for a failing control; strace passes the exit status on.
    timeout -k 5 "$tmo" strace -f -c --seccomp-bpf -o "$work/strace" \
        -e trace=statx,newfstatat,lstat,stat,fstat,readlink,readlinkat,open,openat,openat2 \
        "$@" >/dev/null 2>&1 || rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo TIMEOUT; return; fi
    awk -v re="$stat_re" '
        $NF ~ re && $4 ~ /^[0-9]+$/ {
            if ($NF ~ /stat/) s += $4; else if ($NF ~ /readlink/) r += $4; else o += $4 }
        END { printf "%d+%d+%d=%d", s, r, o, s + r + o }' "$work/strace"
}

# measure LABEL CMD... -> prints "mean_ms runs rss_kib out_bytes syscalls" (fields may be
# TIMEOUT / -); one probe under timeout + GNU time, then hyperfine as described above.
measure() {
    local label=$1; shift
    local rc=0
    timeout -k 5 "$tmo" /usr/bin/time -o "$work/time" -f '%e %M' "$@" \
        >"$work/stdout" 2>/dev/null || rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "TIMEOUT 1 - - TIMEOUT"; return
    fi
    local el rss bytes mean runs sc
    read -r el rss < <(tail -n 1 "$work/time")
    bytes=$(wc -c < "$work/stdout")
    if awk -v e="$el" 'BEGIN { exit !(e < 1.5) }'; then
        hyperfine -N -i --warmup 1 --min-runs 5 --max-runs 30 --style none \
            --export-json "$work/h.json" "$*" >/dev/null 2>&1
    elif awk -v e="$el" 'BEGIN { exit !(e < 3) }'; then
        hyperfine -N -i --runs 3 --style none --export-json "$work/h.json" "$*" >/dev/null 2>&1
    else
        echo "{\"results\":[{\"mean\":$el,\"times\":[$el]}]}" > "$work/h.json"
    fi
    read -r mean runs < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.2f %d" % (r["mean"] * 1000, len(r["times"])))' "$work/h.json")
    if awk -v e="$el" -v m="$strace_max" 'BEGIN { exit !(e < m) }'; then
        sc=$(syscalls "$@")
    else
        sc=skipped
    fi
    echo "$mean $runs $rss $bytes $sc"
    echo "  $label: ${mean} ms ($runs runs), ${rss} KiB, $bytes B out, syscalls $sc" >&2
}

# cat_cmd SHAPE SIZE -> the cat command line for hyperfine -N (no shell: no globs there).
cat_cmd() {
    local list=$out/$1/$2/files
    if [ "$(wc -l < "$list")" -le 5000 ]; then
        echo "cat $(tr '\n' ' ' < "$list")"
    else
        echo "xargs -a $list cat"     # argv would pass ARG_MAX; one more exec (~1 ms)
    fi
}

echo "auditguard shapes benchmark, $(date -Iseconds)"
echo "auditguard $(basename "$AG") (sha256 $(sha256sum "$AG" | cut -c1-12), built $(date -r "$AG" -Iseconds))"
echo "repo $(git -C "$repo" describe --always --dirty 2>/dev/null) on $(git -C "$repo" branch --show-current 2>/dev/null)," \
    "host $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), nice $(nice), timeout ${tmo}s"
echo
start=$SECONDS

while read -r shape size; do
    echo "$shape:$size" | grep -qE "$only" || continue
    root=$out/$shape/$size/root
    echo "$shape $size ($((SECONDS - start)) s so far)" >&2
    # shellcheck disable=SC2046 # the cat command line is split on purpose
    c=$(measure cat $(cat_cmd "$shape" "$size"))
    k=$(measure check "$AG" check --root "$root")
    r=$(measure rules "$AG" rules --root "$root")
    echo "$shape $size $c $k $r" >> "$rows"
done < "$out/cases"

python3 - "$rows" "$tmo" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
tmo = float(sys.argv[2]) * 1000
def num(x):
    try: return float(x)
    except ValueError: return None
def ms(x):
    v = num(x)
    return "TIMEOUT" if x == "TIMEOUT" else ("%.1f" % v if v < 100 else "%.0f" % v)
def ratio(a, b):
    a, b = num(a), num(b)
    return "-" if a is None or b is None or b == 0 else "%.2f" % (a / b)
def kib(x):
    v = num(x)
    return "-" if v is None else "%.0f" % (v / 1024)

R = {}
print("Times are hyperfine means (ms); runs = check/rules runs; RSS in MiB; out = check output")
print("bytes; syscalls = stat+readlink+open=total under strace -c -f.")
print()
hdr = ("shape", "size", "cat", "check", "rules", "chk/cat", "rul/cat", "chk/rul", "runs",
       "RSS chk", "RSS rul", "out chk", "syscalls check", "syscalls rules")
fmt = "%-10s %6s %8s %8s %8s %7s %7s %7s %5s %7s %7s %8s %-24s %-24s"
print(fmt % hdr)
for r in rows:
    shape, size = r[0], r[1]
    c, k, u = r[2:7], r[7:12], r[12:17]
    R[(shape, int(size))] = (c, k, u)
    print(fmt % (shape, size, ms(c[0]), ms(k[0]), ms(u[0]), ratio(k[0], c[0]), ratio(u[0], c[0]),
                 ratio(k[0], u[0]), f"{k[1]}/{u[1]}", kib(k[2]), kib(u[2]), k[3], k[4], u[4]))

print()
print("Growth (time at size / time at the smallest size; TIMEOUT counts as the timeout, so '>=').")
print("Allowed = 1.2 x the size ratio (the issue's '10x the lines -> at most 12x the time',")
print("applied to 2x and 4x as well).")
fmt = "%-10s %8s %6s %10s %10s %8s  %-7s %s"
print(fmt % ("shape", "size", "x", "check", "rules", "allowed", "verdict", "(cat)"))
shapes = []
for (s, n) in R:
    if s not in shapes: shapes.append(s)
for s in shapes:
    sizes = sorted(n for (t, n) in R if t == s)
    if len(sizes) < 2: continue
    base = sizes[0]
    for n in sizes[1:]:
        out = []
        ok = True
        for i in (1, 2, 0):
            t0, t1 = R[(s, base)][i][0], R[(s, n)][i][0]
            lo = t1 == "TIMEOUT"
            a, b = num(t0) if t0 != "TIMEOUT" else tmo, num(t1) if not lo else tmo
            g = a and b / a
            out.append(("%s%.2f" % (">=" if lo else "", g)) if t0 != "TIMEOUT" else "-")
            if i and (t0 == "TIMEOUT" or g > 1.2 * n / base): ok = False
        print(fmt % (s, n, "%gx" % (n / base), out[0], out[1], "%.1f" % (1.2 * n / base),
                     "ok" if ok else "OVER", out[2]))

print()
print("Targets (watch1000 at 1000 files x 100 lines):")
if ("watch1000", 1000) in R:
    c, k, u = R[("watch1000", 1000)]
    def chk(name, v, limit, le=True):
        val = num(v)
        good = val is not None and (val <= limit if le else val < limit)
        print("  %-38s %10s  target %s %g  %s" % (name, v, "<=" if le else "<", limit,
                                                 "ok" if good else "MISSED"))
    chk("check / cat", ratio(k[0], c[0]), 10)
    chk("rules / cat", ratio(u[0], c[0]), 25)
    chk("check / rules", ratio(k[0], u[0]), 1.3)
    for name, x in (("check", k), ("rules", u)):
        total = x[4].split("=")[-1]
        chk(f"stat-family syscalls, {name}", total, 5000, le=False)
PY

# --- rules --root against the real auditctl -R + auditctl -l -------------------------------
kernel=${KERNEL:-auto}
if [ "$kernel" = auto ]; then
    if [ "$(id -u)" = 0 ] && command -v auditctl >/dev/null; then kernel=1; else kernel=0; fi
fi
echo
if [ "$kernel" != 1 ]; then
    echo "auditctl comparison skipped (needs root and auditctl; KERNEL=$kernel)"
    echo "wall time of the measurements: $((SECONDS - start)) s"
    exit 0
fi
echo "rules --root vs the real auditctl -R MERGED + auditctl -l (target rules/auditctl <= 0.5)"
echo "MERGED = auditguard merge --root R without -e/-f/--loginuid-immutable lines; the watched"
echo "directory /tmp/agbench/var/lib/app exists on this host and in R. auditctl is timed as"
echo "'sh load.sh' (auditctl -R; auditctl -l), each run after auditctl -D (untimed): the mean of 3"
echo "runs, or 1 when that auditctl -D took over 15 s (the kernel deletes watches slowly here)."
cat > "$work/load.sh" <<'SH'
#!/bin/sh
auditctl -R "$1" >/dev/null 2>&1
auditctl -l > "${2:-/dev/null}"
SH
# Runs under the kernel lock: $1 = work directory. Always leaves no rules and enabled 0.
# Runs under the kernel lock: $1 = work directory. Always leaves no rules and enabled 0.
# Writes "mean_us runs delete_us" to $1/kernel.times.
cat > "$work/kernel.sh" <<'SH'
#!/bin/sh
set -u
trap 'auditctl -D >/dev/null 2>&1; auditctl -e 0 >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM HUP
w=$1
auditctl -D >/dev/null
now() { date +%s%N; }
s=$(now); sh "$w/load.sh" "$w/safe.rules" "$w/kernel.list"; e=$(now)
total=$(( (e - s) / 1000 ))
s=$(now); auditctl -D >/dev/null; e=$(now)
del=$(( (e - s) / 1000 ))
runs=1
if [ "$del" -lt 15000000 ]; then
    for i in 2 3; do
        s=$(now); sh "$w/load.sh" "$w/safe.rules"; e=$(now)
        total=$(( total + (e - s) / 1000 )); runs=$i
        auditctl -D >/dev/null
    done
fi
echo "$(( total / runs )) $runs $del" > "$w/kernel.times"
SH
grep -E '^hostpaths ' "$out/cases" | while read -r shape size; do
    echo "$shape:$size" | grep -qE "$only" || continue
    root=$out/$shape/$size/root
    mkdir -p /tmp/agbench/var/lib/app
    "$AG" merge --root "$root" > "$work/merged.rules"
    grep -vE '^[[:space:]]*(-e|-f|--loginuid-immutable)([[:space:]]|$)' "$work/merged.rules" \
        > "$work/safe.rules" || true
    lines=$(grep -c '^-' "$work/safe.rules" || true)
    ag=$(measure rules "$AG" rules --root "$root")
    "$AG" rules --root "$root" > "$work/ag.list" 2>/dev/null || true
    rm -f "$work/kernel.times" "$work/kernel.list"
    flock "$lock" sh "$work/kernel.sh" "$work"
    read -r kus kruns del_us < "$work/kernel.times"
    kmean=$(awk -v u="$kus" 'BEGIN { printf "%.2f", u / 1000 }')
    if cmp -s "$work/ag.list" "$work/kernel.list"; then same=identical; else
        same="DIFFERENT ($(diff "$work/ag.list" "$work/kernel.list" | grep -c '^[<>]') lines differ)"; fi
    agms=${ag%% *}
    printf '  %s %s: %s lines; rules %s ms, auditctl %s ms (%s runs; auditctl -D took %s ms), rules/auditctl %s (target <= 0.5); listings %s\n' \
        "$shape" "$size" "$lines" "$agms" "$kmean" "$kruns" "$((del_us / 1000))" \
        "$(awk -v a="$agms" -v b="$kmean" 'BEGIN { if (a + 0 > 0 && b > 0) printf "%.3f", a / b; else print "-" }')" "$same"
done
echo "wall time of the measurements: $((SECONDS - start)) s"
# Under the lock: other users of the shared kernel load rules while they hold it.
echo "kernel after the comparison (read under the lock): $(flock "$lock" sh -c \
    'auditctl -l 2>&1 | head -n 1; auditctl -s | grep "^enabled"' | paste -sd ';')"
