#!/bin/sh
# Fleet timing: the fleet playbook (auditguard.audit.fleet) over an inventory of offline hosts
# against the same hosts checked one by one: each with its own ansible-playbook --limit HOST
# run, and each with auditguard check run directly (no Ansible). Hosts are those of
# ansible/tests/make-fleet.sh (compliant, failing, broken; ansible_connection=local), COPIES
# of each. Wall times, median of RUNS. Needs an ansible-core venv (ANSIBLE_VENV, as the fleet
# test makes it).
#
#   ANSIBLE_VENV=DIR nice -n 10 bench/fleet.sh [COPIES] [RUNS]
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
copies=${1:-1}
runs=${2:-3}
venv=${ANSIBLE_VENV:-${CARGO_TARGET_DIR:-$repo/target}/ansible-venv}
export ANSIBLE_COLLECTIONS_PATH="$repo/ansible" ANSIBLE_PYTHON="$venv/bin/python" ANSIBLE_NOCOLOR=1
bin=$("$repo/scripts/build-release.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inventory=$("$repo/ansible/tests/make-fleet.sh" "$work" "$bin" "$copies")
hosts=$(sed -n '/^\[fleet\]$/,/^$/s/^\([a-z0-9-]*\) auditguard_root=.*/\1/p' "$inventory")
count=$(echo "$hosts" | wc -l)
playbook() { "$venv/bin/ansible-playbook" -i "$inventory" auditguard.audit.fleet "$@" >/dev/null; }
# The seconds a command takes, median of $runs.
median() {
    for _ in $(seq 1 "$runs"); do
        start=$(date +%s.%N); "$@"; end=$(date +%s.%N)
        echo "$end - $start" | bc
    done | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
one_by_one_ansible() { for h in $hosts; do playbook --limit "$h"; done; }
one_by_one_direct() {
    for h in $hosts; do
        "$bin" check --root "$work/roots/$h" --format json >/dev/null || [ $? = 1 ]
    done
}
playbook   # warm: the binary copied, Python's caches filled
fleet=$(median playbook)
ansible=$(median one_by_one_ansible)
direct=$(median one_by_one_direct)

echo "auditguard fleet timing, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "repo $(git -C "$repo" describe --always --dirty) on $(git -C "$repo" rev-parse --abbrev-ref HEAD)," \
    "ansible-core $("$venv/bin/python" -c 'import ansible.release as r; print(r.__version__)'), $(nproc) cpus," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), forks 5 (default), ansible_connection=local, median of $runs"
printf '%s hosts (%s compliant, failing, broken each), kernel-module-loading:\n' "$count" "$copies"
printf '  fleet run (one ansible-playbook over the inventory): %.2f s\n' "$fleet"
printf '  one by one, ansible-playbook --limit HOST each:      %.2f s (%.1fx the fleet run)\n' "$ansible" "$(echo "$ansible / $fleet" | bc -l)"
printf '  one by one, auditguard check --root each (no Ansible): %.3f s\n' "$direct"
