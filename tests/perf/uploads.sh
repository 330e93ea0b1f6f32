#!/bin/bash
# Not part of the test suite: a measurement recipe (docs/performance.md).
# Needs a release build, curl, jq and bc; run from the repository root.
# 10 concurrent 20 MB roster uploads to `serve --demo`, with a cheap read
# (`GET /api/v1/me`) every 50 ms meanwhile; prints the upload answers, the
# read latencies, the server's peak RSS and how long the inspections took.
# EXT=xlsx uploads the same rosters as workbooks.
set -eu
RG=${RG:-$PWD/target/release/releasegate}; GEN=${GEN:-$RG}; API=http://127.0.0.1:8080
N=${N:-10}; ROWS=${ROWS:-200000}; EXT=${EXT:-csv}
DIR=$(mktemp -d); cd "$DIR"
for i in $(seq 1 "$N"); do "$GEN" dev roster --rows $((ROWS + i)) --out roster$i.$EXT; done
ls -l roster1.$EXT | awk '{print "file bytes:", $5}'
"$RG" serve --demo > serve.log 2>&1 & PID=$!
trap 'kill $PID 2>/dev/null' EXIT
until curl -s -o /dev/null $API/public/releases; do sleep 0.2; done
SUB=$("$RG" token issue --username submitter)
META='meta={"title":"补贴名单","department":"FGW","data_category":"subsidy","open_mode":"unconditional"};type=application/json'
( while kill -0 $PID 2>/dev/null; do grep VmRSS /proc/$PID/status | awk '{print $2}'; sleep 0.2; done > rss.txt ) &
( for i in $(seq 1 600); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $SUB" $API/api/v1/me; sleep 0.05; done > me.txt ) & READS=$!
START=$(date +%s.%N)
for i in $(seq 1 "$N"); do
  curl -s -o up$i.json -w "%{http_code} %{time_total}\n" -H "Authorization: Bearer $SUB" -F "$META" -F file=@roster$i.$EXT $API/api/v1/releases > code$i.txt &
done
wait $(jobs -p | tail -n "$N")
echo "uploads (status, seconds):"; cat code*.txt | sort | uniq -c | awk '{print $2}' | sort | uniq -c; cat code*.txt | awk '{print $2}' | sort -n | tail -1 | sed 's/^/slowest upload s: /'
for i in $(seq 1 "$N"); do
  ID=$(jq -r .id up$i.json)
  until [ "$(curl -s -H "Authorization: Bearer $SUB" $API/api/v1/releases/$ID | jq -r .state)" != scanning ]; do sleep 1; done
done
END=$(date +%s.%N)
echo "all inspected after s: $(echo "$END - $START" | bc)"
kill $READS 2>/dev/null || true; wait $READS 2>/dev/null || true
sort -n me.txt | awk '{a[NR]=$1} END {printf "GET /api/v1/me: n=%d p50=%.3f p99=%.3f max=%.3f s\n", NR, a[int(NR*0.5)], a[int(NR*0.99)], a[NR]}'
grep VmHWM /proc/$PID/status
sort -n rss.txt | tail -1 | awk '{printf "peak sampled RSS: %.0f MB\n", $1/1024}'
