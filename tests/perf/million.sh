#!/bin/bash
# Not part of the test suite: a measurement recipe (docs/performance.md).
# Needs a release build, curl, jq and wrk; run from the repository root.
# A million releases (`dev seed`), then wrk at 32 connections against the
# reviewer's queue, a release, its findings, the public catalogue and the
# audit search. DATABASE_URL picks the backend (default: SQLite in a temp dir).
set -eu
source "$(dirname "$0")/lib.sh"
N=${N:-1000000}; SECS=${SECS:-15}
DIR=$(mktemp -d); cd "$DIR"
export RELEASEGATE_PUBLIC_RATE_LIMIT=100000000 RELEASEGATE_LOG=warn
file_template
/usr/bin/time -f "seed: %e s, %M KB peak" "$RG" dev seed --releases "$N" --template "$ID"
start
SEC=$("$RG" token issue --username secrecy); SUP=$("$RG" token issue --username supervisor)
run() { echo "== $1"; wrk -t2 -c32 -d${SECS}s --latency -H "Authorization: Bearer $2" "$API$1" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"; }
run /api/v1/queue "$SEC"
run /api/v1/releases/$ID "$SEC"
run "/api/v1/releases/$ID/findings" "$SEC"
run /public/releases ""
run "/api/v1/audit?release=$ID" "$SUP"
kill $PID
