#!/bin/bash
# Not part of the test suite: a measurement recipe (docs/performance.md).
# Needs a release build, curl, jq and python3; run from the repository root.
# Files a dense roster (name, ID number, mobile, address per row) to
# `serve --demo` on SQLite, masks every column whole (one disposition per
# column summary), approves every stage and prints how long the final
# sign-off (which renders and publishes the redacted rendition) took and
# the server's peak RSS before and after it.
set -eu
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-517858}
DIR=$(mktemp -d); cd "$DIR"
"$RG" dev roster --rows "$ROWS" --out roster.csv
ls -l roster.csv | awk '{print "file bytes:", $5}'
export DATABASE_URL=sqlite://$DIR/perf.db RELEASEGATE_DATA_DIR=$DIR/data
start
trap 'kill $PID 2>/dev/null' EXIT
token() { "$RG" token issue --username "$1"; }
SUB=$(token submitter)
ID=$(curl -s -H "Authorization: Bearer $SUB" \
  -F 'meta={"title":"补贴名单","department":"FGW","data_category":"subsidy","open_mode":"unconditional"};type=application/json' \
  -F file=@roster.csv $API/api/v1/releases | jq -r .id)
until [ "$(curl -s -H "Authorization: Bearer $SUB" $API/api/v1/releases/$ID | jq -r .state)" != scanning ]; do sleep 1; done
echo "inspected: $(curl -s -H "Authorization: Bearer $SUB" $API/api/v1/releases/$ID | jq -c .findings)"
# The release page while every finding still wants a disposition.
for i in $(seq 1 20); do
  curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $SUB" $API/api/v1/releases/$ID
done | sort -n | awk '{a[NR]=$1} END {printf "GET the release, unreviewed: p50=%.3f max=%.3f s\n", a[int(NR/2)], a[NR]}'
PRIVACY=$(token privacy)
# The column summaries (segment -1) of the file: one disposition each masks the column.
for F in $(python3 -c "import sqlite3,sys; print(' '.join(r[0] for r in sqlite3.connect('$DIR/perf.db').execute('select id from findings where release_id=? and segment=-1', (sys.argv[1],))))" "$ID"); do
  curl -s -o /dev/null -w "summary $F: %{http_code}\n" -H "Authorization: Bearer $PRIVACY" -H 'Content-Type: application/json' \
    -d '{"disposition":"redact"}' $API/api/v1/releases/$ID/findings/$F/disposition
done
decide() {
  curl -s -o /dev/null -w "$2: %{http_code} %{time_total} s\n" -H "Authorization: Bearer $(token "$1")" -H 'Content-Type: application/json' \
    -d "{\"stage\":\"$2\",\"decision\":\"approve\",\"comment\":\"同意\"}" $API/api/v1/releases/$ID/decisions
}
decide approver department_review
decide secrecy secrecy_review
decide privacy privacy_review
grep VmHWM /proc/$PID/status | sed 's/^/before the final sign-off: /'
decide leader final_signoff
grep VmHWM /proc/$PID/status | sed 's/^/after it: /'
echo "state: $(curl -s -H "Authorization: Bearer $SUB" $API/api/v1/releases/$ID | jq -r .state)"
URL=$(curl -s $API/public/releases/$ID | jq -r '.files[0].url')
curl -s -o published.csv "$API$URL"
head -c 300 published.csv; echo
