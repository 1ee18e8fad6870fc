#!/bin/sh
# Make a fleet of offline hosts in DIR for the fleet test and bench: three roots (compliant: a
# copy of examples/compliant; failing: examples/debian12; broken: examples/compliant with a line
# that stops the load before its module rules) and an inventory mapping three hosts, reached with
# ansible_connection=local, to them. Each host gets its own binary path inside DIR, so the role's
# install step copies the binary there and nothing outside DIR is touched.
#
#   ansible/tests/make-fleet.sh DIR BINARY [HOSTS_PER_KIND]   -> writes DIR/inventory.ini
set -eu
dir=$1
binary=$2
copies=${3:-1}
repo=$(cd "$(dirname "$0")/../.." && pwd)
python=${ANSIBLE_PYTHON:-python3}
mkdir -p "$dir/roots" "$dir/bin"
{
    echo "[fleet]"
    for i in $(seq 1 "$copies"); do
        suffix=$([ "$copies" = 1 ] && echo "" || echo "-$i")
        for kind in compliant failing broken; do
            root="$dir/roots/$kind$suffix"
            case $kind in
            compliant) cp -a "$repo/examples/compliant" "$root" ;;
            failing) cp -a "$repo/examples/debian12" "$root" ;;
            broken)
                cp -a "$repo/examples/compliant" "$root"
                printf '%s\n' '-a always,exit -F arch=b64 -S not_a_syscall -k broken' \
                    >"$root/etc/audit/rules.d/10-broken.rules" ;;
            esac
            mkdir -p "$dir/bin/$kind$suffix"
            echo "$kind$suffix auditguard_root=$root"
        done
    done
    echo
    echo "[fleet:vars]"
    echo "ansible_connection=local"
    echo "ansible_python_interpreter=$python"
    echo "auditguard_binary_src=$binary"
    echo "auditguard_binary=$dir/bin/{{ inventory_hostname }}/auditguard"
    echo "auditguard_report_dir=$dir/reports"
    echo "auditguard_become=false"
} >"$dir/inventory.ini"
echo "$dir/inventory.ini"
