#!/bin/bash
# Not part of the test suite: a measurement recipe (docs/performance.md).
# Needs a release build, curl and jq; run from the repository root.
# N seeded releases (four in ten in review), then the reminder sweep as if
# 40 weeks had passed: a dry run, the first sweep, and a second one.
set -eu
source "$(dirname "$0")/lib.sh"
N=${N:-20000}
DIR=$(mktemp -d); cd "$DIR"
export RELEASEGATE_LOG=warn
file_template
"$RG" dev seed --releases "$N" --template "$ID" > /dev/null
AT=$(date -u -d '+40 weeks' +%Y-%m-%dT%H:%M:%SZ)
/usr/bin/time -f "dry run: %e s, %M KB" "$RG" reminders --at "$AT" --dry-run | wc -l
/usr/bin/time -f "sweep 1: %e s, %M KB" "$RG" reminders --at "$AT" | wc -l
/usr/bin/time -f "sweep 2: %e s, %M KB" "$RG" reminders --at "$AT" | wc -l
