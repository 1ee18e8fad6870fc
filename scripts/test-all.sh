#!/bin/sh
# Run every test of auditguard, installing what the conformance tests compare against.
#
# The conformance tests compare with the real auditctl, augenrules and kernel, so this needs
# Debian's auditd package (installed here with apt-get when missing; needs root) and, for the
# kernel tests, root on a machine with audit support. Kernel tests take a shared lock, skip
# (saying why) while an audit daemon is registered or the rules are locked, and restore the
# host's rules and settings exactly; they never load -e 2 or -f 2.
# Without auditd, root or kernel audit the parity tests still compare us with the real tools'
# recorded answers in tests/golden/ and print "skipped live part: ..." for what they could not
# re-ask. AUDIT_USERSPACE_GIT (a git clone of linux-audit/audit-userspace) lets the augenrules
# test re-run the 3.1.1 and 4.2 scripts too; AUDITGUARD_REGENERATE_GOLDEN=1 rewrites the record.
set -eu
cd "$(dirname "$0")/.."
# auditctl and augenrules live in /usr/sbin, which a non-root PATH may lack.
PATH="$PATH:/usr/sbin:/sbin"
export PATH

need=""
command -v auditctl >/dev/null 2>&1 && command -v augenrules >/dev/null 2>&1 || need="$need auditd"
command -v strace >/dev/null 2>&1 || need="$need strace"      # fault injection (fix apply)
command -v chattr >/dev/null 2>&1 || need="$need e2fsprogs"   # immutable-file faults
command -v setfattr >/dev/null 2>&1 || need="$need attr"      # xattrs survive an edit
# The report formats' independent validators (tests/report_formats.rs): xmllint for JUnit,
# OpenSCAP for XCCDF, a JSON Schema validator (python3-jsonschema) for SARIF, HDF and the
# JSON reports.
command -v xmllint >/dev/null 2>&1 || need="$need libxml2-utils"
command -v oscap >/dev/null 2>&1 || need="$need openscap-scanner"
python3 -c 'import jsonschema' >/dev/null 2>&1 || need="$need python3-jsonschema"
python3 -c 'import venv, ensurepip' 2>/dev/null || need="$need python3-venv"  # ansible-core (fleet test)
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        case "$need" in *auditd*)
            # Before auditd's postinst can change it: the kernel's rules and settings, read
            # with auditguard itself (auditctl comes with the package), put back below.
            cargo build --quiet
            saved_rules=$(mktemp)
            if "${CARGO_TARGET_DIR:-target}/debug/auditguard" rules --kernel >"$saved_rules" 2>/dev/null; then
                saved_settings=$("${CARGO_TARGET_DIR:-target}/debug/auditguard" status | awk '
                    $1 == "failure" && $2 < 2 { print "-f=" $2 }
                    $1 == "rate_limit" { print "-r=" $2 }
                    $1 == "backlog_limit" { print "-b=" $2 }
                    $1 == "backlog_wait_time" { print "--backlog_wait_time=" $2 }
                    $1 == "enabled" && $2 < 2 { e = "-e=" $2 }
                    END { if (e != "") print e }')
            else
                rm -f "$saved_rules"; saved_rules=""
            fi ;;
        esac
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
# Debian's python3-jsonschema serves /usr/bin/python3; a python3 earlier on PATH (pyenv, a
# venv) without the package gets it from PyPI in a venv of its own, put first on PATH.
if ! python3 -c 'import jsonschema' >/dev/null 2>&1; then
    venv="${CARGO_TARGET_DIR:-target}/validators-venv"
    if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c 'import jsonschema' >/dev/null 2>&1; then
        python3 -m venv "$venv" >/dev/null 2>&1 \
            && "$venv/bin/pip" install --quiet jsonschema >/dev/null 2>&1 \
            || echo "warning: cannot install the jsonschema package; JSON Schema validation skips" >&2
    fi
    if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c 'import jsonschema' >/dev/null 2>&1; then
        PATH="$(cd "$venv/bin" && pwd):$PATH"
        export PATH
    fi
fi
# Once the validators are here, a test that finds one missing fails instead of skipping.
if command -v xmllint >/dev/null 2>&1 && command -v oscap >/dev/null 2>&1 \
    && python3 -c 'import jsonschema' >/dev/null 2>&1; then
    AUDITGUARD_REQUIRE_VALIDATORS=1
    export AUDITGUARD_REQUIRE_VALIDATORS
else
    echo "warning: a report validator is missing (xmllint, oscap or python3 jsonschema); the format tests say which they skip" >&2
fi
# The package's postinst may have started auditd (which loads the package's rules); tests
# must run without one we started, and the kernel must hold what it held before the install.
if [ "${installed:-0}" = 1 ]; then
    pkill -x auditd 2>/dev/null || true
    if [ -n "${saved_rules:-}" ]; then
        auditctl -D >/dev/null 2>&1 || true
        if [ -s "$saved_rules" ]; then auditctl -R "$saved_rules" >/dev/null 2>&1 || true; fi
        for setting in $saved_settings; do
            # shellcheck disable=SC2086
            auditctl $(echo "$setting" | tr = ' ') >/dev/null 2>&1 || true
        done
        rm -f "$saved_rules"
    fi
fi

cargo test --all-targets "$@"
cargo test --doc "$@"
# The Ansible collection: a real ansible-playbook run over offline roots (ansible-core from PyPI
# in a venv), ansible-doc and ansible-test sanity. Then the .deb and .rpm, installed with dpkg
# and removed again (needs root; installs cargo-deb, cargo-generate-rpm, man-db, rpm).
ansible/tests/fleet-test.sh
scripts/test-packages.sh
