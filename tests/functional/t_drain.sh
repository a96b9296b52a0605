#!/usr/bin/env bash
# SIGTERM drains a node: it finishes the shards it holds, claims no more,
# waits for the broker's acks and exits 0; nothing it held is requeued, and
# the job completes on the other node.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

keys_init 2
start_broker
for n in node1 node2; do start_node "$n" --workers 2 --max-inflight 1; done
wait_until 30 nodes_ready 2
listen 127.0.0.2 22 443
job_file "$T/job.yaml" drain "127.0.0.2, 127.0.0.3, 127.0.0.4, 127.0.0.5, 127.0.0.6, 127.0.0.7" "1-65535" 2048 30000

id=$(ctl submit "$T/job.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
node1_busy() {
  ctl nodes --json | python3 -c '
import json, sys
n = [n for n in json.load(sys.stdin)["nodes"] if n["name"] == "node1"]
sys.exit(0 if n and n[0]["leases"] > 0 else 1)'
}
wait_until 60 node1_busy
kill -TERM "${NODE_PID[node1]}"
set +e
wait "${NODE_PID[node1]}"
rc=$?
set -e
[ $rc -eq 0 ] || fail "drained node exited $rc, expected 0"
[ "$(job_state "$id")" = running ] || fail "the job ended before the drain: the test proved nothing"
grep -q "draining: finishing" "$T/node1.log" || fail "node1 did not log its drain"

wait_until 120 job_finished "$id"
ctl report "$id" -o "$T/report.json"
assert_complete "$T/report.json" 192
[ "$(open_ports "$T/report.json" | paste -sd' ')" = "127.0.0.2:22 127.0.0.2:443" ] \
  || fail "unexpected findings: $(open_ports "$T/report.json")"
# The drain handed everything back as done: no lease of node1's lapsed.
if grep "requeued" "$T/broker.log" | grep -q "node1"; then
  fail "a shard of node1 was requeued: $(grep requeued "$T/broker.log")"
fi
grep -q "node node1 .*removed: drained" "$T/broker.log" || fail "broker did not see node1 leave"
note "node1 drained and exited 0; job complete without requeues"
