#!/bin/sh
# Run every test of auditguard, installing what the conformance tests compare against.
#
# The conformance tests compare with the real auditctl, augenrules and kernel, so this needs
# Debian's auditd package (installed here with apt-get when missing; needs root) and, for the
# kernel tests, root on a machine with audit support. Kernel tests take a shared lock and
# always leave the kernel with no rules and `enabled 0`; they never load -e 2 or -f 2.
# Without auditd, root or kernel audit the parity tests still compare us with the real tools'
# recorded answers in tests/golden/ and print "skipped live part: ..." for what they could not
# re-ask. AUDIT_USERSPACE_GIT (a git clone of linux-audit/audit-userspace) lets the augenrules
# test re-run the 3.1.1 and 4.2 scripts too; AUDITGUARD_REGENERATE_GOLDEN=1 rewrites the record.
set -eu
cd "$(dirname "$0")/.."

need=""
command -v auditctl >/dev/null 2>&1 && command -v augenrules >/dev/null 2>&1 || need="$need auditd"
command -v strace >/dev/null 2>&1 || need="$need strace"      # fault injection (fix apply)
command -v chattr >/dev/null 2>&1 || need="$need e2fsprogs"   # immutable-file faults
command -v setfattr >/dev/null 2>&1 || need="$need attr"      # xattrs survive an edit
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian packages:$need"
        case "$need" in *auditd*) installed=1 ;; esac
        # Do not start the daemon: tests read events themselves and must leave no auditd behind.
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        apt-get install -y --no-install-recommends $need >/dev/null 2>&1 \
            || { apt-get update >/dev/null && apt-get install -y --no-install-recommends $need >/dev/null; }
    else
        echo "warning:$need not installed and cannot be installed here; the tests that need them skip" >&2
    fi
fi
# The package's postinst may have started auditd; tests must run without one we started.
if [ "${installed:-0}" = 1 ]; then
    pkill -x auditd 2>/dev/null || true
    auditctl -D >/dev/null 2>&1 || true
    auditctl -e 0 >/dev/null 2>&1 || true
fi

cargo test --all-targets "$@"
cargo test --doc "$@"
