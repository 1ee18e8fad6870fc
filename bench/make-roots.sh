#!/bin/sh
# Build the benchmark roots under $1 (default /tmp/auditguard-bench):
#   typical/  a Debian-like root with a few hundred rule lines (Debian's shipped examples)
#   big/      1,000 rules.d files of 100 lines each (100,000 lines)
set -eu
out=${1:-/tmp/auditguard-bench}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"; mkdir -p "$out"

skeleton() {
    r=$1
    mkdir -p "$r/etc/audit/rules.d" "$r/usr/lib/systemd/system" "$r/usr/bin" "$r/usr/sbin"
    cp -a "$here/../examples/debian12/usr/lib/systemd/system/auditd.service" "$r/usr/lib/systemd/system/"
    cp -a "$here/../examples/debian12/usr/bin/." "$r/usr/bin/"
    cp -a "$here/../examples/debian12/usr/sbin/." "$r/usr/sbin/"
    ln -s usr/bin "$r/bin"; ln -s usr/sbin "$r/sbin"
    cp "$here/../examples/debian12/etc/login.defs" "$here/../examples/debian12/etc/passwd" "$r/etc/"
}

# typical: the base config plus STIG, PCI and module rules as a distribution would ship them.
skeleton "$out/typical"
ex=/usr/share/doc/auditd/examples/rules
if [ -d "$ex" ]; then
    for f in 10-base-config 30-stig 30-pci-dss-v31 31-privileged 43-module-load 99-finalize; do
        [ -f "$ex/$f.rules" ] && cp "$ex/$f.rules" "$out/typical/etc/audit/rules.d/"
    done
else
    cp "$here/../examples/debian12/etc/audit/rules.d/"* "$out/typical/etc/audit/rules.d/"
fi
# The watched directories must exist on the root for the watches to load.
mkdir -p "$out/typical/etc/sudoers.d" "$out/typical/var/log" "$out/typical/var/run" \
         "$out/typical/etc/security" "$out/typical/etc/ssh" "$out/typical/var/spool/cron"

# big: 1,000 files x 100 distinct syscall rules.
skeleton "$out/big"
python3 - "$out/big/etc/audit/rules.d" <<'PY'
import sys, os
d = sys.argv[1]
sys64 = ["open","openat","read","write","chmod","fchmod","chown","unlink","rename","mkdir",
         "rmdir","init_module","delete_module","finit_module","mount","umount2","execve","kill"]
for f in range(1000):
    with open(os.path.join(d, f"{f:04d}-gen.rules"), "w") as out:
        out.write(f"## generated file {f}\n")
        for i in range(99):
            s = sys64[(f + i) % len(sys64)]
            arch = "b64" if i % 2 else "b32"
            s = "umount" if arch == "b32" and s == "umount2" else s
            out.write(f"-a always,exit -F arch={arch} -S {s} -F auid>=1000 -F auid!=unset -F key=k{f}_{i}\n")
PY
echo "roots in $out: typical ($(cat "$out"/typical/etc/audit/rules.d/* | wc -l) lines), big ($(cat "$out"/big/etc/audit/rules.d/* | wc -l) lines)"
