#!/bin/sh
# check --profile stig-rhel9 side by side with OpenSCAP on the same root: time, and agreement
# item by item. bench/profiles-vs-oscap.sh for the one profile (the root and the comparison are
# described there).
#
#   bench/stig-vs-oscap.sh [BINARY]     (default: builds target/release/auditguard)
#   NOISE=0 bench/stig-vs-oscap.sh ...   the same without the example's 30-noise.rules
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PROFILES=stig-rhel9 NOISE=${NOISE:-1} exec "$here/profiles-vs-oscap.sh" "$@"
