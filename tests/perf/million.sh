#!/bin/bash
# Not part of the test suite: a measurement recipe (docs/performance.md).
# Needs a release build, curl, jq and wrk; run from the repository root.
# A million releases (`dev seed`), then wrk at 32 connections against the
# reviewer's queue, a release, its findings, the public catalogue and the
# audit search. DATABASE_URL picks the backend (default: SQLite in a temp dir).
set -eu
RG=${RG:-$PWD/target/release/releasegate}; API=http://127.0.0.1:8080
N=${N:-1000000}; SECS=${SECS:-15}
DIR=$(mktemp -d); cd "$DIR"
export RELEASEGATE_PUBLIC_RATE_LIMIT=100000000 RELEASEGATE_LOG=warn
start() { "$RG" serve --demo > serve.log 2>&1 & PID=$!; until curl -s -o /dev/null $API/public/releases; do sleep 0.2; done; }
start
SUB=$("$RG" token issue --username submitter)
printf '机密★10年\n2026年第一季度困难群众补贴发放情况\n联系人：张建国，身份证号420704198503121233，手机13812345678。\n' > notice.txt
ID=$(curl -s -H "Authorization: Bearer $SUB" \
  -F 'meta={"title":"2026年第一季度补贴发放情况","department":"FGW","data_category":"subsidy","open_mode":"unconditional"};type=application/json' \
  -F file=@notice.txt $API/api/v1/releases | jq -r .id)
until [ "$(curl -s -H "Authorization: Bearer $SUB" $API/api/v1/releases/$ID | jq -r .state)" != scanning ]; do sleep 0.5; done
kill $PID; wait $PID 2>/dev/null || true
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
