#!/usr/bin/env bash
# The provisioning scripts' configuration steps (no packages, build or
# systemd: processes are started directly) make a working cluster: a broker
# and two nodes, each with its own configuration and keys; each node makes
# its own key pair and only public keys move (the node asks to join, the
# operator approves it with sweepctl nodes approve). A node held back
# before approval is taken once approved, and a job completes.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
prov() { "$root/scripts/$1" --no-packages --no-build --no-systemd --prefix "$(dirname "$BIN")" "${@:2}" >/dev/null; }
prov provision-broker.sh --etc "$T/broker-etc" --state "$T/broker-state" --address 127.0.0.1
for n in node1 node2; do
  prov provision-node.sh --name "$n" --broker 127.0.0.1 --etc "$T/$n-etc" --state "$T/$n-state" --workers 2
done
# Secrets stay where they were made.
[ "$(find "$T/node1-etc" -name '*_secret' | wc -l)" -eq 1 ] || fail "node1 holds secrets not its own"
! find "$T/broker-etc" -name 'node*_secret' | grep -q . || fail "a node secret reached the broker"
[ "$(stat -c %a "$T/node1-etc/keys/id/node1.crt_secret")" = 600 ] || fail "node secret is not 0600"

# The broker on ephemeral ports (its config names fixed ones).
"$BIN/sweep-broker" --config "$T/broker-etc/broker.conf" --admin-bind 'tcp://127.0.0.1:*' \
  --node-bind 'tcp://127.0.0.1:*' --heartbeat-ms "$HB" >>"$T/broker.log" 2>&1 &
BROKER_PID=$!
PIDS+=("$BROKER_PID")
wait_until 20 test -s "$T/broker-state/endpoints"
ADMIN=$(awk '$1=="admin"{print $2}' "$T/broker-state/endpoints")
NODE_EP=$(awk '$1=="node"{print $2}' "$T/broker-state/endpoints")
K=$T/broker-etc/keys

# Nodes get the broker's public keys (public only) and start; unapproved,
# they get nothing.
for n in node1 node2; do
  install -d -m 0700 "$T/$n-etc/keys/broker" "$T/$n-etc/keys/content"
  cp "$K/broker/broker.crt" "$T/$n-etc/keys/broker/"
  cp "$K/content/bundle.pub" "$T/$n-etc/keys/content/"
  "$BIN/sweep-node" --config "$T/$n-etc/node.conf" --broker "$NODE_EP" --heartbeat-ms "$HB" \
    >>"$T/$n.log" 2>&1 &
  PIDS+=("$!")
done
# A node the broker does not know waits for approval, with no work: it is
# listed as pending with the key it made for itself.
wait_until 20 is_pending node1 node2
[ "$(node_count)" -eq 0 ] || fail "an unapproved node was let in"
grep -q "awaiting approval" "$T/node1.log" || fail "node1 was not told it awaits approval"
pending_key() {
  ctl nodes pending --json | python3 -c '
import json, sys
print([n["key"] for n in json.load(sys.stdin)["pending"] if n["name"] == sys.argv[1]][0])' "$1"
}
for n in node1 node2; do
  grep -qF "public-key = \"$(pending_key "$n")\"" "$T/$n-etc/keys/id/$n.crt" \
    || fail "the pending key of $n is not the one it made"
done

# Approval through the broker; the nodes are in at their next attempt.
ctl nodes approve node1 >/dev/null
ctl nodes approve node2 >/dev/null
[ -f "$K/allow/nodes/node1.crt" ] || fail "approval wrote no certificate"
! grep -q secret-key "$K/allow/nodes/node1.crt" || fail "the approved certificate holds a secret"
wait_until 30 nodes_ready 2
[ -z "$(pending_names)" ] || fail "approved nodes are still pending"
listen 127.0.0.2 0
job_file "$T/job.yaml" provisioned 127.0.0.2 "$LISTEN_PORTS"
ctl submit "$T/job.yaml" --wait -o "$T/report.json" >/dev/null || fail "job failed"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["coverage"]["complete"] and len(r["findings"]) == 1, r' \
  "$T/report.json" || fail "the provisioned cluster's report is wrong"
note "provision: configuration steps, own keys, approval by public certificate, job done"
