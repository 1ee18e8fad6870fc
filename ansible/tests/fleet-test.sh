#!/bin/sh
# The Ansible collection end to end: a real ansible-playbook run of the fleet playbook over three
# hosts (ansible_connection=local, each mapped to its own offline root in a temporary directory:
# one compliant, one failing, one whose load stops at a bad line). Checks that
#   - the summary names the right items, requirements and load errors per host, and agrees with
#     auditguard run directly on each root (with the default control and with a profile);
#   - check mode (--check --diff with the fix on) changes no byte, mode, owner or time in the
#     roots and shows the planned edits;
#   - a fix makes every host pass, and a second fix reports changed: false on every host;
#   - ansible-doc renders the module, role and filters and ansible-test sanity passes.
# Never --load: these are offline roots, the kernel is not touched.
#
# Installs ansible-core from PyPI into a virtual environment ($ANSIBLE_VENV, default
# TARGET/ansible-venv). Uses the static binary of scripts/build-release.sh.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
venv=${ANSIBLE_VENV:-$target/ansible-venv}
collection="$repo/ansible/ansible_collections/auditguard/audit"

if ! [ -x "$venv/bin/ansible-playbook" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet ansible-core
fi
py="$venv/bin/python"
export ANSIBLE_COLLECTIONS_PATH="$repo/ansible" ANSIBLE_PYTHON="$py"
export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False
bin=$("$repo/scripts/build-release.sh")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inventory=$("$repo/ansible/tests/make-fleet.sh" "$work" "$bin")
play() { "$venv/bin/ansible-playbook" -i "$inventory" auditguard.audit.fleet "$@" >"$work/play.log" 2>&1 \
    || { cat "$work/play.log"; echo "FAIL: ansible-playbook $*"; exit 1; }; }
snapshot() { (cd "$work/roots" && find . -printf '%p %y %m %U %G %s %T@ %l\n' | sort \
    && find . -type f -exec sha256sum {} + | sort); }
assert() { "$py" "$repo/ansible/tests/fleet_assert.py" "$work" "$bin" "$@"; }

echo "fleet: check (kernel-module-loading)"
start=$(date +%s.%N)
play
end=$(date +%s.%N)
assert check
echo "  fleet run of 3 hosts: $(echo "$end - $start" | bc) s"

echo "fleet: check --profile cis-debian12"
play -e auditguard_profile=cis-debian12
assert profile cis-debian12

echo "fleet: --check --diff with the fix on changes nothing"
snapshot >"$work/before"
play --check --diff -e auditguard_fix=true -e auditguard_repair=true
snapshot >"$work/after"
cmp -s "$work/before" "$work/after" || { diff "$work/before" "$work/after"; echo "FAIL: check mode wrote"; exit 1; }
assert planned

echo "fleet: fix, then fix again"
play -e auditguard_fix=true -e auditguard_repair=true
assert fixed
snapshot >"$work/fixed"
play -e auditguard_fix=true -e auditguard_repair=true
assert refixed
snapshot >"$work/refixed"
cmp -s "$work/fixed" "$work/refixed" || { diff "$work/fixed" "$work/refixed"; echo "FAIL: second fix wrote"; exit 1; }

echo "fleet: hosts without auditguard in check mode: a summary, each host with the reason"
sed -e "s#^auditguard_binary=.*#auditguard_binary=$work/nobin/{{ inventory_hostname }}/auditguard#" \
    -e "s#^auditguard_report_dir=.*#auditguard_report_dir=$work/nobin-reports#" "$inventory" >"$work/nobin.ini"
if "$venv/bin/ansible-playbook" -i "$work/nobin.ini" auditguard.audit.fleet --check >"$work/play.log" 2>&1; then
    cat "$work/play.log"; echo "FAIL: hosts without auditguard did not fail"; exit 1
fi
"$py" - "$work/nobin-reports/summary.json" <<'PY' || { cat "$work/play.log"; echo "FAIL: no-report summary"; exit 1; }
import json, sys
s = json.load(open(sys.argv[1]))
assert s["counts"]["no_report"] == 3, s["counts"]
for host, e in s["hosts"].items():
    assert e["verdict"] is None and "no auditguard executable at" in e["error"], (host, e)
PY

echo "fleet: a fix that only repairs permissions: check mode says changed, diff names the chmod"
cp -a "$repo/examples/compliant" "$work/perms"
module() { "$venv/bin/ansible" localhost -c local -e ansible_python_interpreter="$py" -m auditguard.audit.auditguard \
    -a "root=$work/perms binary=$bin profile=stig-rhel9 fix=true" "$@" 2>&1; }
module >/dev/null
chmod 0666 "$work/perms/etc/audit/rules.d/modules.rules"
out=$(module --check --diff)
echo "$out" | grep -q "^localhost | CHANGED" || { echo "$out"; echo "FAIL: check mode missed a chmod"; exit 1; }
echo "$out" | grep -q "^# chmod 0600 /etc/audit/rules.d/modules.rules" || { echo "$out"; echo "FAIL: diff lacks the chmod"; exit 1; }
[ "$(stat -c %a "$work/perms/etc/audit/rules.d/modules.rules")" = 666 ] || { echo "FAIL: check mode changed a mode"; exit 1; }
module | grep -q "^localhost | CHANGED" || { echo "FAIL: the chmod fix reported no change"; exit 1; }
module --check | grep -q "^localhost | SUCCESS" || { echo "FAIL: check mode after the fix still plans a change"; exit 1; }

echo "fleet: ansible-doc"
for doc in "auditguard.audit.auditguard" "-t role auditguard.audit.fleet" \
    "-t filter auditguard.audit.fleet_summary" "-t filter auditguard.audit.fleet_table"; do
    # shellcheck disable=SC2086
    "$venv/bin/ansible-doc" $doc >"$work/doc.txt" 2>&1 || { cat "$work/doc.txt"; echo "FAIL: ansible-doc $doc"; exit 1; }
    if grep -q "^\[WARNING\]\|^\[ERROR\]\|^ERROR" "$work/doc.txt"; then cat "$work/doc.txt"; echo "FAIL: ansible-doc $doc"; exit 1; fi
done

echo "fleet: ansible-test sanity"
# ansible-test bootstraps pip in each test's environment with a script from
# ci-files.testing.ansible.com; where that host is unreachable, a stand-in that uses the
# interpreter's bundled pip and the ordinary package index (get_pip_offline.py).
at=$("$py" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" "$at/_internal/python_requirements.py" | tr . _)
cache="$HOME/.ansible/test/cache/get_pip_$pip_version.py"
if [ -n "$pip_version" ] && ! [ -f "$cache" ] \
    && ! "$py" -c 'import urllib.request; urllib.request.urlopen("https://ci-files.testing.ansible.com/", timeout=10)' 2>/dev/null; then
    mkdir -p "$(dirname "$cache")"
    cp "$repo/ansible/tests/get_pip_offline.py" "$cache"
fi
version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
(cd "$collection" && "$venv/bin/ansible-test" sanity --python "$version" --requirements >"$work/sanity.log" 2>&1) \
    || { grep -v "^Requirement already\|^Collecting\|^Downloading\|^  \|^Using cached" "$work/sanity.log"; echo "FAIL: ansible-test sanity"; exit 1; }
echo "  sanity tests passed: $(grep -c "^Running sanity test" "$work/sanity.log")"
echo "fleet: ok"
