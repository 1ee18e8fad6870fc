#!/bin/sh
# Growth benchmarks (issue 9 item 9): for each input shape that once took super-linear time,
# build a root at n, 2n and 4n and time `auditguard check --root` on it (best of 3, wall
# seconds, and peak RSS). A linear stage doubles its time with n (ratio ~2); a quadratic one
# quadruples it. Usage: bench/growth.sh [n-scale] (default 1; 2 doubles every n).
#
# Shapes:
#   deep      one watch on a path D directories deep (D = 200 * scale, 400, 800)
#   delkey    n keyed watches, then n `-D -k KEY` lines (each deleting one rule)
#   prepend   n `-A` rules
#   delete    n rules, then `-d` of each
#   dupes     `-i`, then n rules each twice (the second is "Rule exists", ignored)
#   dropins   n systemd drop-ins for auditd.service
#   uidname   n users in /etc/passwd, n rules with `-F uid=NAME`
set -eu
here=$(cd "$(dirname "$0")" && pwd)
scale=${1:-1}
work=${BENCH_GROWTH_DIR:-/tmp/auditguard-growth}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/../target}
cargo build --release --quiet --manifest-path "$here/../Cargo.toml"
ag="$CARGO_TARGET_DIR/release/auditguard"
rm -rf "$work"
mkdir -p "$work"

# A minimal OS-image root: unit, /bin/sh ELF header, os-release.
base() {
    r=$1
    mkdir -p "$r/etc/audit/rules.d" "$r/usr/lib/systemd/system" "$r/bin" "$r/etc"
    printf '[Service]\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n' \
        >"$r/usr/lib/systemd/system/auditd.service"
    printf '\177ELF\002\001' >"$r/bin/sh"
    head -c 58 /dev/zero >>"$r/bin/sh"
    printf 'ID=bench\n' >"$r/etc/os-release"
    printf 'root:x:0:0::/root:/bin/sh\n' >"$r/etc/passwd"
}

make_deep() {
    r=$1 k=$2
    base "$r"
    p=$(awk -v n="$k" 'BEGIN { s = "/d"; for (i = 0; i < n; i++) s = s "/a"; print s }')
    mkdir -p "$r$p"
    : >"$r$p/f"
    printf -- '-w %s/f -p wa -k deep\n' "$p" >"$r/etc/audit/rules.d/10-deep.rules"
}

make_delkey() {
    r=$1 k=$2
    base "$r"
    awk -v n="$k" 'BEGIN {
        for (i = 0; i < n; i++) printf "-w /etc/f%07d -p wa -k key-%07dx\n", i, i
        for (i = 0; i < n; i++) printf "-D -k key-%07dx\n", i
    }' >"$r/etc/audit/rules.d/10-delkey.rules"
}

make_prepend() {
    r=$1 k=$2
    base "$r"
    awk -v n="$k" 'BEGIN {
        for (i = 0; i < n; i++) printf "-A always,exit -F arch=b64 -S openat -F uid=%d -k p\n", i
    }' >"$r/etc/audit/rules.d/10-prepend.rules"
}

make_delete() {
    r=$1 k=$2
    base "$r"
    awk -v n="$k" 'BEGIN {
        for (i = 0; i < n; i++) printf "-a always,exit -F arch=b64 -S openat -F uid=%d -k d\n", i
        for (i = 0; i < n; i++) printf "-d always,exit -F arch=b64 -S openat -F uid=%d -k d\n", i
    }' >"$r/etc/audit/rules.d/10-delete.rules"
}

make_dupes() {
    r=$1 k=$2
    base "$r"
    awk -v n="$k" 'BEGIN {
        print "-i"
        for (i = 0; i < n; i++) {
            printf "-a always,exit -F arch=b64 -S openat -F uid=%d -k u\n", i
            printf "-a always,exit -F arch=b64 -S openat -F uid=%d -k u\n", i
        }
    }' >"$r/etc/audit/rules.d/10-dupes.rules"
}

make_dropins() {
    r=$1 k=$2
    base "$r"
    d="$r/etc/systemd/system/auditd.service.d"
    mkdir -p "$d"
    (cd "$d" && awk -v n="$k" 'BEGIN {
        for (i = 0; i < n; i++) {
            f = sprintf("%07d.conf", i)
            printf "[Service]\nEnvironment=X%d=1\n", i > f
            close(f)
        }
    }')
}

make_uidname() {
    r=$1 k=$2
    base "$r"
    awk -v n="$k" 'BEGIN {
        for (i = 0; i < n; i++) printf "user%d:x:%d:%d::/home/u:/bin/sh\n", i, 10000 + i, 10000 + i
    }' >>"$r/etc/passwd"
    awk -v n="$k" 'BEGIN {
        for (i = 0; i < n; i++) printf "-a always,exit -F arch=b64 -S openat -F uid=user%d -k u\n", i
    }' >"$r/etc/audit/rules.d/10-uid.rules"
}

# Best of three: "seconds peak-KiB".
measure() {
    best=""
    for _ in 1 2 3; do
        /usr/bin/time -f '%e %M' -o "$work/time" "$ag" check --root "$1" >/dev/null 2>&1 || true
        out=$(tail -1 "$work/time")
        t=${out% *}
        if [ -z "$best" ] || awk -v a="$t" -v b="${best% *}" 'BEGIN { exit !(a < b) }'; then
            best=$out
        fi
    done
    echo "$best"
}

printf '%-8s %9s %9s %10s %7s\n' shape n seconds peak-MiB ratio
for shape in deep delkey prepend delete dupes dropins uidname; do
    case $shape in
        deep) n=$((200 * scale)) ;;
        dropins) n=$((16000 * scale)) ;;
        uidname) n=$((16000 * scale)) ;;
        *) n=$((32000 * scale)) ;;
    esac
    prev=""
    for m in 1 2 4; do
        size=$((n * m))
        root="$work/$shape-$size"
        "make_$shape" "$root" "$size"
        res=$(measure "$root")
        t=${res% *}
        kib=${res#* }
        ratio=-
        if [ -n "$prev" ]; then
            ratio=$(awk -v a="$t" -v b="$prev" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        fi
        printf '%-8s %9d %9s %10d %7s\n' "$shape" "$size" "$t" $((kib / 1024)) "$ratio"
        prev=$t
        rm -rf "$root"
    done
done
