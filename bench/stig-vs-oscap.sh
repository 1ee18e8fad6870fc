#!/bin/sh
# check --profile stig-rhel9 side by side with OpenSCAP on the same root: time, and agreement
# item by item. A benchmark, not a test.
#
#   bench/stig-vs-oscap.sh [BINARY]     (default: builds target/release/auditguard)
#   NOISE=0 bench/stig-vs-oscap.sh ...   the same without the example's 30-noise.rules (its
#                                        `-a never,exit -F arch=b32 -F uid=0` drops root's
#                                        32-bit syscalls, which text matching cannot see)
#
# The root: examples/debian12 (the seed lines, a never rule, -f 1, -e 2) plus every file the
# STIG for RHEL 9 names, plus the STIG's published lines (tests/data/stig-rhel9-v2r9.rules),
# with RHEL 9's os-release and redhat-release. OpenSCAP: `oscap xccdf eval --profile stig`
# with `--rule` for each ComplianceAsCode rule of the 54 items (the `cac` refs of
# control/catalogue/profiles/stig-rhel9.toml), OSCAP_PROBE_ROOT=ROOT, on the SCAP Security
# Guide XCCDF of Debian's ssg-nondebian package with its CPE platform checks removed (they
# need an RPM database: without it every rule is "notapplicable"). Needs openscap-scanner and
# ssg-nondebian (apt-get install openscap-scanner ssg-nondebian).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$here/..
if [ $# -ge 1 ]; then ag=$1; else
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
    ag="$repo/target/release/auditguard"
fi
command -v oscap >/dev/null || { echo "needs oscap (apt-get install openscap-scanner ssg-nondebian)"; exit 2; }
ssg=/usr/share/xml/scap/ssg/content
[ -f "$ssg/ssg-rhel9-xccdf.xml" ] || { echo "needs $ssg/ssg-rhel9-xccdf.xml (ssg-nondebian)"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
cp -a "$repo/examples/debian12" "$root"
for p in usr/bin/umount usr/bin/chacl usr/bin/setfacl usr/bin/chcon usr/sbin/semanage \
    usr/sbin/setfiles usr/sbin/setsebool usr/bin/chage usr/bin/chsh usr/bin/crontab \
    usr/bin/gpasswd usr/bin/kmod usr/bin/newgrp usr/sbin/pam_timestamp_check usr/bin/passwd \
    usr/sbin/postdrop usr/sbin/postqueue usr/bin/ssh-agent usr/libexec/openssh/ssh-keysign \
    usr/bin/su usr/bin/sudo usr/bin/sudoedit usr/sbin/unix_chkpwd usr/sbin/unix_update \
    usr/sbin/userhelper usr/sbin/usermod usr/bin/mount usr/sbin/init usr/sbin/poweroff \
    usr/sbin/reboot usr/sbin/shutdown; do
    mkdir -p "$root/$(dirname $p)"
    [ -e "$root/$p" ] || printf 'stand-in\n' > "$root/$p"
    chmod 755 "$root/$p"
done
mkdir -p "$root/etc/sudoers.d" "$root/var/log/faillock" "$root/etc/security"
printf '#!/bin/sh\n' > "$root/usr/sbin/augenrules"; printf 'stand-in\n' > "$root/usr/sbin/auditctl"
chmod 755 "$root/usr/sbin/augenrules" "$root/usr/sbin/auditctl"
for f in etc/sudoers etc/group etc/gshadow etc/shadow etc/security/opasswd var/log/lastlog; do
    touch "$root/$f"
done
cp "$repo/tests/data/stig-rhel9-v2r9.rules" "$root/etc/audit/rules.d/50-stig.rules"
[ "${NOISE:-1}" = 0 ] && rm "$root/etc/audit/rules.d/30-noise.rules"
echo "Red Hat Enterprise Linux release 9.4 (Plow)" > "$root/etc/redhat-release"
printf 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n' > "$root/etc/os-release"
sed -E 's#<xccdf-1.2:platform idref="[^"]*"/>##g' "$ssg/ssg-rhel9-xccdf.xml" > "$work/xccdf.xml"
cp "$ssg/ssg-rhel9-oval.xml" "$ssg/ssg-rhel9-ocil.xml" "$work/" 2>/dev/null || true
"$ag" check --root "$root" --profile stig-rhel9 --format json > "$work/ag.json" || true
[ -n "${KEEP:-}" ] && cp -a "$root" "$KEEP"
rules=$(python3 - "$work/ag.json" "$work/xccdf.xml" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
xccdf = open(sys.argv[2]).read()
ids = sorted({c for i in report["controls"] for c in i["item"]["refs"].get("cac", [])})
print(" ".join("--rule xccdf_org.ssgproject.content_rule_" + r for r in ids
               if 'content_rule_%s"' % r in xccdf))
PY
)
time_ms() { # median wall time of N runs of "$@", in ms
    n=$1; shift
    for _ in $(seq "$n"); do
        s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
        echo $(( (e - s) / 1000 ))
    done | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}
oscap_eval() {
    env OSCAP_PROBE_ROOT="$root" oscap xccdf eval --profile xccdf_org.ssgproject.content_profile_stig \
        $rules --results "$work/res.xml" "$work/xccdf.xml"
}
ag_ms=$(time_ms 30 "$ag" check --root "$root" --profile stig-rhel9)
os_ms=$(time_ms 5 oscap_eval)
oscap_eval > /dev/null 2>&1 || true
echo "auditguard $("$ag" --version | cut -d' ' -f2), $(oscap --version | head -1), ssg-nondebian $(dpkg-query -W -f '${Version}' ssg-nondebian 2>/dev/null || echo '?'), $(uname -r)"
echo "check --profile stig-rhel9: ${ag_ms} ms (median of 30); oscap xccdf eval of the same $(echo "$rules" | wc -w | awk '{print $1/2}') rules: ${os_ms} ms (median of 5); ratio $(awk -v a="$ag_ms" -v o="$os_ms" 'BEGIN{printf "%.0f", o/a}')x"
python3 - "$work/ag.json" "$work/res.xml" <<'PY'
import json, sys, re
report = json.load(open(sys.argv[1]))
res = open(sys.argv[2]).read()
results = dict(re.findall(r'idref="xccdf_org\.ssgproject\.content_rule_([a-z0-9_]+)"[^>]*>\s*<result>([a-z]+)</result>', res))
agree = differ = unknown = 0
rows = []
for item in report["controls"]:
    cac = item["item"]["refs"].get("cac", [])
    got = [results.get(r) for r in cac]
    if not cac or any(g is None for g in got):
        unknown += 1
        rows.append((item["id"], item["verdict"], "n/a (no such rule in this SSG)"))
        continue
    oscap = "pass" if all(g == "pass" for g in got) else "fail"
    ours = "pass" if item["verdict"] in ("pass", "notapplicable") else "fail"
    if oscap == ours:
        agree += 1
    else:
        differ += 1
        rows.append((item["id"], item["verdict"], "oscap " + ",".join(f"{r}={g}" for r, g in zip(cac, got))))
print(f"items: {agree} agree, {differ} differ, {unknown} not comparable")
for r in rows:
    print("  %s: auditguard %s; %s" % r)
PY
