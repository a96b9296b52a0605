#!/usr/bin/env bash
# A raw ZeroMQ client with a valid node key sends malformed frames
# (truncated MessagePack, a huge declared array, wrong types, an unknown
# command, wrong frame counts, deep nesting, an oversized message) while a
# job runs: the broker logs and drops each one and keeps serving the job.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

keys_init 3
start_broker
for n in node1 node2; do start_node "$n" --workers 1 --max-inflight 1; done
wait_until 30 nodes_ready 2
listen 127.0.0.2 22 6379
# Long enough (one slow worker per node) for the garbage to land mid-job.
job_file "$T/job.yaml" malformed "127.0.0.2, 127.0.0.3, 127.0.0.4, 127.0.0.5, 127.0.0.6" \
  "1-65535" 2048

id=$(ctl submit "$T/job.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$BIN/sw-rawclient" "$NODE_EP" "$K/broker/broker.crt" "$K/id/node3.crt" | tee "$T/raw.out"
grep -q "sent 10 malformed" "$T/raw.out" || fail "raw client did not send its messages"

dropped() { ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["malformed_dropped"])'; }
enough_dropped() { [ "$(dropped)" -ge 8 ]; }
wait_until 30 enough_dropped
[ "$(job_state "$id")" = running ] || fail "the job ended before the malformed messages landed"
wait_until 120 job_finished "$id"
[ "$(job_state "$id")" = "done" ] || fail "job ended $(job_state "$id")"
ctl report "$id" -o "$T/report.json"
[ "$(open_ports "$T/report.json" | paste -sd' ')" = "127.0.0.2:22 127.0.0.2:6379" ] \
  || fail "unexpected findings: $(open_ports "$T/report.json")"
for what in "truncated" "declares 4294967295 items" "'credit' has the wrong type" \
  "unknown command" "expected 3 frames" "bad signature" "nesting deeper" "'fp' must be"; do
  grep -q "malformed message dropped: .*$what" "$T/broker.log" || fail "no log line for: $what"
done
kill -0 "$BROKER_PID" || fail "broker died"
note "broker dropped $(dropped) malformed messages and finished the job"
