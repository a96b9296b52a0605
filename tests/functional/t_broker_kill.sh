#!/usr/bin/env bash
# The broker is killed with SIGKILL mid-job and restarted on the same
# endpoints: the nodes reconnect on their own, replay what was not
# acknowledged, and the job completes with the clean run's report.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

keys_init 2
# Fixed ports below the namespace's ephemeral range (see run.sh): the
# restarted broker must bind them again while the nodes keep reconnecting.
start_broker tcp://127.0.0.1:31001 tcp://127.0.0.1:31002
for n in node1 node2; do start_node "$n" --workers 1 --max-inflight 1; done
wait_until 30 nodes_ready 2
listen 127.0.0.2 22 5432 9200
listen 127.0.0.3 11211
job_file "$T/job.yaml" broker-kill "127.0.0.2, 127.0.0.3, 127.0.0.4" "1-65535" 1024 2000

ctl submit "$T/job.yaml" --wait -o "$T/clean.json" >/dev/null
findings_signature "$T/clean.json" >"$T/clean.sig"
[ "$(wc -l <"$T/clean.sig")" -eq 4 ] || fail "clean run found $(wc -l <"$T/clean.sig") ports, expected 4"

id=$(ctl submit "$T/job.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
some_done() { [ "$(job_done_count "$id")" -ge 20 ]; }
wait_until 60 some_done
kill -9 "$BROKER_PID"
wait "$BROKER_PID" 2>/dev/null || true
before=$(grep -c "requeued" "$T/broker.log" || true)
note "broker killed mid-job; restarting on $ADMIN / $NODE_EP"

start_broker "$ADMIN" "$NODE_EP"
grep -q "job $id resumed" "$T/broker.log" || fail "the restarted broker did not resume $id"
[ "$(job_state "$id")" = running ] || fail "the job finished before the kill: the test proved nothing"
wait_until 30 nodes_ready 2
wait_until 120 job_finished "$id"
[ "$(job_state "$id")" = "done" ] || fail "job ended $(job_state "$id")"
ctl report "$id" -o "$T/restarted.json"
findings_signature "$T/restarted.json" >"$T/restarted.sig"
diff "$T/clean.sig" "$T/restarted.sig" || fail "report after the broker restart differs"
assert_complete "$T/restarted.json" 192
note "requeue lines before restart: $before; job complete with the clean findings"
