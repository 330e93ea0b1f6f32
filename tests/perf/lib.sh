# Shared by the measurement recipes in tests/perf (sourced, not run).
# RG: the release binary; API: where `serve --demo` answers.
RG=${RG:-$PWD/target/release/releasegate}; API=http://127.0.0.1:8080

# Starts `serve --demo` in the current directory; its pid is in PID.
start() {
  "$RG" serve --demo > serve.log 2>&1 & PID=$!
  until curl -s -o /dev/null $API/public/releases; do sleep 0.2; done
}

# Files the README's walkthrough release as the demo submitter, waits for
# its inspection and stops the server; the release id is in ID, the
# template `dev seed` copies.
file_template() {
  start
  SUB=$("$RG" token issue --username submitter)
  printf '机密★10年\n2026年第一季度困难群众补贴发放情况\n联系人：张建国，身份证号420704198503121233，手机13812345678。\n' > notice.txt
  ID=$(curl -s -H "Authorization: Bearer $SUB" \
    -F 'meta={"title":"2026年第一季度补贴发放情况","department":"FGW","data_category":"subsidy","open_mode":"unconditional"};type=application/json' \
    -F file=@notice.txt $API/api/v1/releases | jq -r .id)
  until [ "$(curl -s -H "Authorization: Bearer $SUB" $API/api/v1/releases/$ID | jq -r .state)" != scanning ]; do sleep 0.5; done
  kill $PID; wait $PID 2>/dev/null || true
}
