#!/usr/bin/env bash
# Keys decide who may do what: a node with an unknown key and a node with a
# revoked key get no shards, a revoked node is dropped within one heartbeat
# expiry, a node key cannot issue admin commands, an admin key cannot claim
# shards, and a group-readable secret key is refused.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

keys_init 3
"$BIN/sweepctl" keys init "$T/rogue" --nodes 1 >/dev/null
start_broker
start_node node1 --workers 2
start_node node3 --workers 2
wait_until 30 nodes_ready 2

# An admin command signed with a node key is refused, in words.
set +e
out=$("$BIN/sweepctl" --broker "$ADMIN" --keys "$K" --cert "$K/id/node1.crt" status 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "status with a node key exited $rc, expected 2"
[[ $out == *"not an admin key"* ]] || fail "unclear refusal: $out"

# A broker that does not answer (unknown admin key: CURVE is silent) is
# reported with what to check, and a non-zero exit.
set +e
out=$("$BIN/sweepctl" --broker "$ADMIN" --keys "$K" --cert "$T/rogue/id/admin.crt" \
  --timeout-ms 300 --retries 2 status 2>&1)
rc=$?
set -e
[ $rc -eq 3 ] || fail "status with an unknown admin key exited $rc, expected 3"
[[ $out == *"no reply from the broker"*"allow/admins"* ]] || fail "unhelpful message: $out"

# Revoke node3 while it runs: dropped within one heartbeat expiry
# (HB x liveness 3 = 600 ms, checked on the next tick).
t0=$(date +%s%N)
"$BIN/sweepctl" keys revoke node3 --keys "$K" >/dev/null
one_node() { [ "$(node_count)" -eq 1 ]; }
wait_until 10 one_node
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
note "revoked node3 dropped after ${dt} ms"
[ "$dt" -le 1500 ] || fail "revocation took ${dt} ms, more than one heartbeat expiry plus a tick"
grep -q "node3 .*removed: key revoked" "$T/broker.log" || fail "broker did not log the revocation"

# Restart node3 (revoked), a rogue node (unknown key), and a node that uses
# the admin key; none of them may join or take shards.
kill -9 "${NODE_PID[node3]}"
start_node node3 --workers 2
"$BIN/sweep-node" --broker "$NODE_EP" --broker-key "$K/broker/broker.crt" \
  --cert "$T/rogue/id/node1.crt" --state "$T/rogue-state" --heartbeat-ms "$HB" \
  >>"$T/rogue.log" 2>&1 &
PIDS+=("$!")
"$BIN/sweep-node" --broker "$NODE_EP" --broker-key "$K/broker/broker.crt" \
  --cert "$K/id/admin.crt" --name impostor --state "$T/admin-node" --heartbeat-ms "$HB" \
  >>"$T/impostor.log" 2>&1 &
PIDS+=("$!")
wait_until 20 grep -q "is not a node key" "$T/broker.log"

listen 127.0.0.2 22 80
job_file "$T/job.yaml" auth 127.0.0.2 "1-2048" 64
ctl submit "$T/job.yaml" --wait -o "$T/report.json" >/dev/null
[ "$(open_ports "$T/report.json" | paste -sd' ')" = "127.0.0.2:22 127.0.0.2:80" ] \
  || fail "unexpected findings: $(open_ports "$T/report.json")"
ctl nodes --json | python3 -c '
import json, sys
nodes = json.load(sys.stdin)["nodes"]
names = sorted(n["name"] for n in nodes)
assert names == ["node1"], names
assert nodes[0]["shards_done"] == 32, nodes'
grep -q "shard" "$T/node3.log" && fail "revoked node3 logged shard work"
grep -q "shard" "$T/rogue.log" && fail "rogue node logged shard work"

# The rogue asked to join under the name node1 (enrolment is open): it is
# pending, the revoked node3 is not (its handshake is refused). Approving
# it under a name already taken is refused; rejecting it puts its key in
# the revocation log, after which it is refused at the handshake.
wait_until 20 is_pending node1
pending_names | grep -qx node3 && fail "the revoked node3 is pending"
set +e
out=$(ctl nodes approve node1 2>&1)
rc=$?
set -e
{ [ $rc -eq 2 ] && [[ $out == *"already taken"* ]]; } || fail "approving a taken name: $rc $out"
rogue_key=$(grep -o 'public-key = "[^"]*"' "$T/rogue/id/node1.crt" | cut -d'"' -f2)
ctl nodes reject node1 --key "${rogue_key:0:8}" >/dev/null
grep -F "$rogue_key" "$K/allow/revoked.log" | grep -q '"rejected ' || fail "rejected key not in revoked.log"
[ -z "$(pending_names)" ] || fail "still pending after the reject: $(pending_names)"
# It keeps trying and gets no further: the handshake gets no reply, and it
# never shows up as pending again.
wait_until 20 grep -q "broker silent" "$T/rogue.log"
[ -z "$(pending_names)" ] || fail "the rejected key is pending again"

# A secret key file that others can read is refused, saying so.
chmod 0640 "$K/id/node2.crt_secret"
set +e
out=$("$BIN/sweep-node" --broker "$NODE_EP" --broker-key "$K/broker/broker.crt" \
  --cert "$K/id/node2.crt" --state "$T/node2" 2>&1)
rc=$?
set -e
[ $rc -ne 0 ] || fail "sweep-node started with a 0640 secret key"
[[ $out == *"0640"* ]] || fail "the refusal does not name the mode: $out"
note "all refusals held"
