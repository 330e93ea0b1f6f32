#!/usr/bin/env bash
# Contract test: schemathesis (from PyPI) against `releasegate serve --demo`
# on the embedded SQLite default, once per role with that role's token, all
# checks, a fixed seed and a bounded number of examples; stateful links
# follow the releases that POST /api/v1/releases files. Any failure fails.
#
#   bash tests/contract/schemathesis.sh            (after `cargo build`)
#
# Environment: RELEASEGATE_BIN (default target/debug/releasegate),
# ST_MAX_EXAMPLES (default 30), ST_SEED (default 20261202).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${RELEASEGATE_BIN:-target/debug/releasegate}
EXAMPLES=${ST_MAX_EXAMPLES:-30}
SEED=${ST_SEED:-20261202}
[ -x "$BIN" ] || { echo "no $BIN: run cargo build first" >&2; exit 2; }
command -v st >/dev/null || { echo "schemathesis is not installed (pip install schemathesis)" >&2; exit 2; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
root=$PWD
(cd "$work" && RELEASEGATE_POLICY_DIR="$root/policies" exec "$root/$BIN" serve --demo --bind "127.0.0.1:$port") \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "$base/healthz" >/dev/null || { cat "$work/serve.err" >&2; exit 1; }

token() {
  local password
  password=$(awk -v u="$1" '$1 == u {print $2}' "$work/serve.out")
  curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

# Sign every role in before the runs: fuzzing the login route throttles the address.
roles=(submitter approver secrecy privacy crossborder leader supervisor admin)
declare -A tokens
for role in "${roles[@]}" ; do tokens[$role]=$(token "$role"); done
logout_token=$(token supervisor)

run() {
  local who=$1; shift
  echo "== schemathesis as $who ==" >&2
  st --config-file tests/contract/schemathesis.toml run "$base/api/openapi.json" --checks all --seed "$SEED" --max-examples "$EXAMPLES" \
    --exclude-tag dashboard --generation-allow-x00 false --generation-database none --no-color --workers 1 \
    --warnings off "$@" | tee "$work/st-$who.log" | sed -n '/^=* \(FAILURES\|ERRORS\|SUMMARY\) =*$/,$p'
  return "${PIPESTATUS[0]}"
}

status=0
for role in "${roles[@]}"; do
  # Signing out would end the token the rest of the run uses: its own run, last.
  run "$role" -H "Authorization: Bearer ${tokens[$role]}" --exclude-operation-id logout || status=1
done
# (Requests without a token are made by every run: the ignored_auth check.)
run "logout" -H "Authorization: Bearer $logout_token" --include-operation-id logout \
  --phases coverage,fuzzing || status=1
exit $status
