#!/bin/sh
# Build the benchmark roots of bench/shapes.sh under $1 (default /tmp/auditguard-shapes): one
# root per shape and size, each a minimal Debian-like image (auditd.service running
# `augenrules --load`, /bin/sh, /etc/passwd) plus the generated rules (or unit drop-ins).
#
#   bench/make-shapes.sh [OUT [SHAPE:SIZE...]]
#
# Without SHAPE:SIZE arguments it builds the default set below. For every root it writes
#   OUT/SHAPE/SIZE/root/   the root (auditguard check|rules --root OUT/SHAPE/SIZE/root)
#   OUT/SHAPE/SIZE/files   the generated input files, one per line (what `cat` reads)
# and appends "SHAPE SIZE" to OUT/cases in build order.
#
# Shapes (SIZE is the number named here):
#   watch1000  SIZE rules.d files x 100 lines: 50 watches `-w /var/lib/app/f<i>_<j> -p wa -k app<i>`
#              (one existing directory) and 50 syscall rules `-a always,exit -F arch=b64
#              -S openat,unlink -F uid=<n> -F auid>=1000 -F auid!=unset -k u<i>` per file
#   spread     as watch1000, the watches spread over 1,000 existing directories /var/lib/s/d<k>
#   symlinked  as watch1000, the watches under /var/lib/app<k> (k < 100), each a symlink to
#              /srv/data/app<k>, where /srv/data is itself a symlink to /mnt/store/data
#   deep       as watch1000, the watches in 100 directories 20..40 levels deep (default sizes
#              20 and 100 files: the old build needs > 120 s for 1,000)
#   narrow     SIZE rules `-a always,exit -F arch=b64 -S init_module -F uid=<n> -k m<n>`
#   deepwatch  one watch on a file whose parent is SIZE directories deep (/d/d/.../d/f)
#   prepend    SIZE `-A exit,always -F arch=b64 -S openat -F uid=<n> -k a<n>` lines
#   delete     SIZE distinct `-a` rules, then SIZE `-d` lines deleting them, newest first
#   dupes      `-i`, SIZE distinct rules, then the same SIZE rules again (SIZE duplicates)
#   delkey     SIZE rules with keys k<n>, then SIZE `-D -k k<n>` lines
#   users      SIZE rules `-F uid=u<n>` (user names), /etc/passwd with SIZE users u0..u<SIZE-1>
#   dropins    SIZE drop-ins /etc/systemd/system/auditd.service.d/<n>.conf (plus a 100-line
#              rules.d file), each `[Service]` with one harmless setting
#   hostpaths  as watch1000, the watched directory /tmp/agbench/var/lib/app, which this script
#              also creates ON THIS HOST so that the real auditctl can load the watches
#              (bench/shapes.sh's kernel comparison)
set -eu
out=${1:-/tmp/auditguard-shapes}
[ $# -ge 1 ] && shift
here=$(cd "$(dirname "$0")" && pwd)
ex=$here/../examples/debian12
if [ $# -eq 0 ]; then
    set -- watch1000:100 watch1000:1000 spread:1000 symlinked:1000 deep:20 deep:100 \
        narrow:7500 narrow:15000 narrow:30000 \
        deepwatch:200 deepwatch:400 deepwatch:800 \
        prepend:32000 prepend:64000 prepend:128000 \
        delete:16000 delete:32000 delete:64000 \
        dupes:8000 dupes:16000 dupes:32000 \
        delkey:16000 delkey:32000 delkey:64000 \
        users:4000 users:8000 users:16000 \
        dropins:16000 dropins:32000 dropins:64000 \
        hostpaths:10 hostpaths:30
fi
rm -rf "$out"; mkdir -p "$out"
: > "$out/cases"

skeleton() {
    r=$1
    mkdir -p "$r/etc/audit/rules.d" "$r/usr/lib/systemd/system" "$r/usr/bin" "$r/usr/sbin"
    cp -a "$ex/usr/lib/systemd/system/auditd.service" "$r/usr/lib/systemd/system/"
    cp -a "$ex/usr/bin/." "$r/usr/bin/"
    cp -a "$ex/usr/sbin/." "$r/usr/sbin/"
    ln -s usr/bin "$r/bin"; ln -s usr/sbin "$r/sbin"
    cp "$ex/etc/login.defs" "$ex/etc/passwd" "$r/etc/"
}

for case in "$@"; do
    shape=${case%%:*}; size=${case#*:}
    dir=$out/$shape/$size
    skeleton "$dir/root"
    python3 - "$shape" "$size" "$dir" <<'PY'
import os, sys
shape, size, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
root = os.path.join(d, "root")
rd = os.path.join(root, "etc/audit/rules.d")
files = []

def write(path, text):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    files.append(p)

def mkdir(path):
    os.makedirs(os.path.join(root, path.lstrip("/")), exist_ok=True)

def symlink(target, path):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.symlink(target, p)

def sysrule(i, j):
    return (f"-a always,exit -F arch=b64 -S openat,unlink -F uid={i * 100 + j} "
            f"-F auid>=1000 -F auid!=unset -k u{i}\n")

def mixed(watch_dir):
    """SIZE files x 100 lines, half watches (parent from watch_dir(i, j)), half syscall rules."""
    for i in range(size):
        lines = []
        for j in range(50):
            lines.append(f"-w {watch_dir(i, j)}/f{i}_{j} -p wa -k app{i}\n")
            lines.append(sysrule(i, j))
        write(f"/etc/audit/rules.d/{i:05d}-gen.rules", "".join(lines))

def rules_file(lines):
    write("/etc/audit/rules.d/50-gen.rules", "".join(lines))

if shape == "watch1000":
    mkdir("/var/lib/app")
    mixed(lambda i, j: "/var/lib/app")
elif shape == "hostpaths":
    host_dir = "/tmp/agbench/var/lib/app"
    os.makedirs(host_dir, exist_ok=True)      # on THIS host, for the real auditctl
    mkdir(host_dir)                           # and inside the root, for auditguard
    mixed(lambda i, j: host_dir)
elif shape == "spread":
    for k in range(1000):
        mkdir(f"/var/lib/s/d{k}")
    mixed(lambda i, j: f"/var/lib/s/d{(i * 50 + j) % 1000}")
elif shape == "symlinked":
    mkdir("/mnt/store/data")
    symlink("/mnt/store/data", "/srv/data")
    for k in range(100):
        mkdir(f"/mnt/store/data/app{k}")
        symlink(f"/srv/data/app{k}", f"/var/lib/app{k}")
    mixed(lambda i, j: f"/var/lib/app{(i * 50 + j) % 100}")
elif shape == "deep":
    parents = []
    for k in range(100):
        depth = 20 + k % 21
        p = "/deep/t" + str(k) + "".join(f"/l{n:02d}" for n in range(depth - 2))
        mkdir(p)
        parents.append(p)
    mixed(lambda i, j: parents[(i * 50 + j) % 100])
elif shape == "narrow":
    rules_file(f"-a always,exit -F arch=b64 -S init_module -F uid={n} -k m{n}\n"
               for n in range(size))
elif shape == "deepwatch":
    p = "/d" * size
    mkdir(p)
    rules_file([f"-w {p}/f -p wa -k deep\n"])
elif shape == "prepend":
    rules_file(f"-A exit,always -F arch=b64 -S openat -F uid={n} -k a{n}\n" for n in range(size))
elif shape == "delete":
    add = [f"-a always,exit -F arch=b64 -S openat -F uid={n} -k d{n}\n" for n in range(size)]
    rules_file(add + ["-d" + l[2:] for l in reversed(add)])
elif shape == "dupes":
    add = [f"-a always,exit -F arch=b64 -S openat -F uid={n} -k p{n}\n" for n in range(size)]
    rules_file(["-i\n"] + add + add)
elif shape == "delkey":
    add = [f"-a always,exit -F arch=b64 -S openat -F uid={n} -k k{n}\n" for n in range(size)]
    rules_file(add + [f"-D -k k{n}\n" for n in range(size)])
elif shape == "users":
    base = open(os.path.join(root, "etc/passwd")).read()
    write("/etc/passwd", base + "".join(
        f"u{n}:x:{10000 + n}:{10000 + n}::/home/u{n}:/bin/sh\n" for n in range(size)))
    rules_file(f"-a always,exit -F arch=b64 -S openat -F uid=u{n} -k n{n}\n" for n in range(size))
elif shape == "dropins":
    rules_file(sysrule(0, j) for j in range(100))
    for n in range(size):
        write(f"/etc/systemd/system/auditd.service.d/{n:06d}.conf",
              f"[Service]\nEnvironment=AGBENCH{n}=1\n")
else:
    sys.exit(f"unknown shape {shape}")

with open(os.path.join(d, "files"), "w") as f:
    f.write("".join(p + "\n" for p in sorted(files)))
PY
    echo "$shape $size" >> "$out/cases"
done
echo "$(wc -l < "$out/cases") roots in $out ($(du -sh "$out" | cut -f1))"
