#!/bin/sh
# check --profile P side by side with OpenSCAP on the same root, for each profile P that has
# matching SCAP Security Guide content: time, and agreement item by item. A benchmark, not a
# test.
#
#   bench/profiles-vs-oscap.sh [BINARY]   (default: builds target/release/auditguard)
#   PROFILES="stig-rhel9 cis-rhel9" ...     the profiles (default: stig-rhel9 cis-rhel9
#                                           cis-ubuntu2204 cis-debian12)
#   NOISE="1 0" ...                         with (1) and/or without (0) the example's
#                                           30-noise.rules, whose `-a never,exit -F arch=b32
#                                           -F uid=0` drops root's 32-bit syscalls, which text
#                                           matching cannot see (default: both)
#   KEEP=DIR ...                            keeps each root as DIR-PROFILE-NOISE and oscap's
#                                           results as DIR-PROFILE-NOISE.res.xml
#
# The root, per profile: examples/debian12 (the seed lines, a never rule, -f 1, -e 2) plus every
# file the profiles name (the STIG's programs and account files, CIS's network, MAC and session
# files, the audit logs, tools and configuration with the modes the benchmarks set), the
# benchmark's published lines in rules.d, its auditd.conf values, `audit=1
# audit_backlog_limit=8192` in /etc/default/grub, a BLS entry and grub.cfg, and the product's
# os-release. OpenSCAP:
# `oscap xccdf eval --profile SSG-PROFILE` with `--rule` for each ComplianceAsCode rule of the
# profile's items (their `refs.cac`), OSCAP_PROBE_ROOT=ROOT, on the product's SSG XCCDF with its
# CPE platform checks removed (they need the product's package database: without it every
# rule is "notapplicable"). An item agrees when oscap's combined result (fail if any of its
# rules fails, pass if all pass) is auditguard's verdict (notapplicable counts as pass); manual
# items, items without CaC rules and items with a rule this SSG lacks or does not select in the
# profile are not comparable. Needs openscap-scanner and the SSG packages (apt-get install
# openscap-scanner ssg-nondebian ssg-debderived).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$here/..
if [ $# -ge 1 ]; then ag=$1; else
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
    ag="${CARGO_TARGET_DIR:-$repo/target}/release/auditguard"
fi
command -v oscap >/dev/null || { echo "needs oscap (apt-get install openscap-scanner ssg-nondebian)"; exit 2; }
ssg=/usr/share/xml/scap/ssg/content
data=$repo/tests/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# profile -> SSG product, SSG profile, os-release, published lines, auditd.conf values
settings() {
    case $1 in
    stig-rhel9) echo rhel9 stig rhel stig-rhel9-v2r9.rules stig-rhel9-v2r9-auditd.conf ;;
    # the 21-item generation's lines as lockdown's roles render them (tests/data/README.md)
    cis-rhel9) echo rhel9 cis rhel cis-rhel9-v2.0.0.rules cis-auditd.conf ;;
    cis-ubuntu2204) echo ubuntu2204 cis_level2_server ubuntu ansible-lockdown-UBUNTU22-CIS-99_auditd.rendered.rules cis-auditd.conf ;;
    cis-debian12) echo debian12 cis_level2_server debian cis-debian12-v1.1.0.rules cis-auditd.conf ;;
    *) return 1 ;;
    esac
}

make_root() { # ROOT OS LINES CONF NOISE
    root=$1
    cp -a "$repo/examples/debian12" "$root"
    for p in usr/bin/umount usr/bin/chacl usr/bin/setfacl usr/bin/chcon usr/sbin/semanage \
        usr/sbin/setfiles usr/sbin/setsebool usr/bin/chage usr/bin/chsh usr/bin/crontab \
        usr/bin/gpasswd usr/bin/kmod usr/bin/newgrp usr/sbin/pam_timestamp_check usr/bin/passwd \
        usr/sbin/postdrop usr/sbin/postqueue usr/bin/ssh-agent usr/libexec/openssh/ssh-keysign \
        usr/bin/su usr/bin/sudo usr/bin/sudoedit usr/sbin/unix_chkpwd usr/sbin/unix_update \
        usr/sbin/userhelper usr/sbin/usermod usr/bin/mount usr/sbin/init usr/sbin/poweroff \
        usr/sbin/reboot usr/sbin/shutdown usr/bin/chfn usr/sbin/modprobe usr/sbin/insmod \
        usr/sbin/rmmod usr/sbin/fdisk; do
        mkdir -p "$root/$(dirname $p)"
        [ -e "$root/$p" ] || printf 'stand-in\n' > "$root/$p"
        chmod 755 "$root/$p"
    done
    for d in etc/sudoers.d var/log/faillock var/run/faillock etc/security etc/pam.d etc/network \
        etc/netplan etc/sysconfig/network-scripts etc/NetworkManager/system-connections \
        etc/selinux usr/share/selinux etc/apparmor etc/apparmor.d var/log/audit; do
        mkdir -p "$root/$d"
    done
    for f in etc/sudoers etc/group etc/gshadow etc/shadow etc/security/opasswd var/log/lastlog \
        var/log/sudo.log etc/localtime etc/issue etc/issue.net etc/hosts etc/hostname etc/networks \
        etc/sysconfig/network etc/nsswitch.conf etc/pam.conf var/run/utmp var/log/wtmp var/log/btmp; do
        touch "$root/$f"
    done
    # audit logs, tools and configuration with the modes the benchmarks' fix texts set
    chmod 700 "$root/var/log/audit"
    echo 'type=DAEMON_START msg=audit(1.0:1): op=start' > "$root/var/log/audit/audit.log"
    chmod 600 "$root/var/log/audit/audit.log"
    for t in auditctl aureport ausearch autrace auditd augenrules; do
        [ "$t" = augenrules ] && printf '#!/bin/sh\n' > "$root/usr/sbin/$t" || printf 'stand-in\n' > "$root/usr/sbin/$t"
        chmod 755 "$root/usr/sbin/$t"
    done
    cp "$data/$3" "$root/etc/audit/rules.d/50-published.rules"
    cp "$data/$4" "$root/etc/audit/auditd.conf"
    find "$root/etc/audit" -type f -exec chmod 640 {} +
    mkdir -p "$root/etc/default"
    args='audit=1 audit_backlog_limit=8192'
    echo "GRUB_CMDLINE_LINUX=\"quiet $args\"" > "$root/etc/default/grub"
    # what the boot loader reads: a BLS entry (RHEL 9) and grub.cfg (Debian, Ubuntu)
    mkdir -p "$root/boot/loader/entries" "$root/boot/grub"
    printf 'title Linux\nversion 6.1.0\nlinux /vmlinuz-6.1.0\noptions root=/dev/sda1 ro quiet %s\n' "$args" \
        > "$root/boot/loader/entries/0-6.1.0.conf"
    printf "menuentry 'Linux' {\n\tlinux /boot/vmlinuz-6.1.0 root=/dev/sda1 ro quiet %s\n}\n" "$args" \
        > "$root/boot/grub/grub.cfg"
    [ "$5" = 0 ] && rm "$root/etc/audit/rules.d/30-noise.rules"
    case $2 in
    rhel)
        echo "Red Hat Enterprise Linux release 9.4 (Plow)" > "$root/etc/redhat-release"
        printf 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n' > "$root/etc/os-release" ;;
    ubuntu) printf 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n' > "$root/etc/os-release" ;;
    debian) printf 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n' > "$root/etc/os-release" ;;
    esac
}

time_ms() { # median wall time of N runs of "$@", in ms
    n=$1; shift
    for _ in $(seq "$n"); do
        s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
        echo $(( (e - s) / 1000 ))
    done | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}
oscap_eval() { # ROOT PRODUCT SSG-PROFILE RULE-ARGS (split into words on purpose)
    # shellcheck disable=SC2086
    env OSCAP_PROBE_ROOT="$1" oscap xccdf eval --profile "xccdf_org.ssgproject.content_profile_$3" \
        $4 --results "$work/res.xml" "$work/$2-xccdf.xml"
}

echo "auditguard $("$ag" --version | cut -d' ' -f2), $(oscap --version | head -1), ssg $(dpkg-query -W -f '${Version}' ssg-base 2>/dev/null || echo '?'), $(uname -r)"
for profile in ${PROFILES:-stig-rhel9 cis-rhel9 cis-ubuntu2204 cis-debian12}; do
    # shellcheck disable=SC2046
    set -- $(settings "$profile") || { echo "$profile: unknown profile"; exit 2; }
    product=$1 sprofile=$2 os=$3 lines=$4 conf=$5
    if [ ! -f "$ssg/ssg-$product-xccdf.xml" ]; then
        echo; echo "== $profile: not compared: this SSG has no ssg-$product content"; continue
    fi
    if ! grep -q "content_profile_$sprofile\"" "$ssg/ssg-$product-xccdf.xml"; then
        echo; echo "== $profile: not compared: ssg-$product has no profile $sprofile"; continue
    fi
    [ -f "$work/$product-xccdf.xml" ] || {
        sed -E 's#<xccdf-1.2:platform idref="[^"]*"/>##g' "$ssg/ssg-$product-xccdf.xml" > "$work/$product-xccdf.xml"
        cp "$ssg/ssg-$product-oval.xml" "$work/"
        cp "$ssg/ssg-$product-ocil.xml" "$work/" 2>/dev/null || true
    }
    for noise in ${NOISE:-1 0}; do
        root=$work/root-$profile-$noise
        make_root "$root" "$os" "$lines" "$conf" "$noise"
        [ -n "${KEEP:-}" ] && cp -a "$root" "$KEEP-$profile-$noise"
        "$ag" check --root "$root" --profile "$profile" --format json > "$work/ag.json" || true
        rules=$(python3 "$here/oscap_compare.py" rules "$work/ag.json" "$work/$product-xccdf.xml")
        ag_ms=$(time_ms 30 "$ag" check --root "$root" --profile "$profile")
        os_ms=$(time_ms 5 oscap_eval "$root" "$product" "$sprofile" "$rules")
        oscap_eval "$root" "$product" "$sprofile" "$rules" > /dev/null 2>&1 || true
        [ -n "${KEEP:-}" ] && cp "$work/res.xml" "$KEEP-$profile-$noise.res.xml"
        echo
        if [ "$noise" = 1 ]; then how="with 30-noise.rules (drops root's b32 syscalls)"; else how="without 30-noise.rules"; fi
        echo "== $profile vs ssg-$product $sprofile: examples/debian12 + tests/data/$lines + tests/data/$conf, $how"
        echo "check --profile $profile: ${ag_ms} ms (median of 30); oscap xccdf eval of the same $(echo "$rules" | wc -w | awk '{print $1/2}') rules: ${os_ms} ms (median of 5); ratio $(awk -v a="$ag_ms" -v o="$os_ms" 'BEGIN{printf "%.0f", o/a}')x"
        python3 "$here/oscap_compare.py" compare "$work/ag.json" "$work/res.xml"
    done
done
