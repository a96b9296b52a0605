#!/usr/bin/env bash
# A node is killed with SIGKILL while it holds leased shards: the job still
# completes, every shard once, and the report equals a clean run's.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

keys_init 3
start_broker
# One slow worker per node (one connect in flight), so the job lasts long
# enough for the kill to land mid-job.
for n in node1 node2 node3; do start_node "$n" --workers 1 --max-inflight 1; done
wait_until 30 nodes_ready 3
listen 127.0.0.2 22 3306 8080
listen 127.0.0.4 25 2375
job_file "$T/job.yaml" node-kill "127.0.0.2, 127.0.0.3, 127.0.0.4, 127.0.0.5" "1-65535" 1024 1500

# Clean run first: the reference report.
ctl submit "$T/job.yaml" --wait -o "$T/clean.json" >/dev/null
findings_signature "$T/clean.json" >"$T/clean.sig"
[ "$(wc -l <"$T/clean.sig")" -eq 5 ] || fail "clean run found $(wc -l <"$T/clean.sig") ports, expected 5"

id=$(ctl submit "$T/job.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
wait_until 60 node_busy node1
kill -9 "${NODE_PID[node1]}"
[ "$(job_state "$id")" = running ] || fail "the job ended before node1 was killed: the test proved nothing"
note "node1 killed with leases held; $(job_done_count "$id") of 256 shards finished"

wait_until 120 job_finished "$id"
ctl report "$id" -o "$T/killed.json"
findings_signature "$T/killed.json" >"$T/killed.sig"
diff "$T/clean.sig" "$T/killed.sig" || fail "report after the kill differs from the clean run"
assert_complete "$T/killed.json" 256
grep -q "node node1 .*removed: " "$T/broker.log" || fail "broker did not notice node1's death"
grep -q "requeued" "$T/broker.log" || fail "no shard was requeued"
note "job complete; findings equal the clean run's"
