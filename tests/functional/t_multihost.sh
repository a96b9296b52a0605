#!/usr/bin/env bash
# A small data centre: network namespaces joined by veth pairs and a
# bridge, a broker host, three node hosts and a target host, each with its
# own address. The broker and every node get their own configuration, state
# directory and keys from the provisioning scripts' configuration steps
# (packages, build and systemd replaced by direct process starts). The
# nodes enroll through the approval flow; the operator's console runs on
# the bridge's own address, like a workstation. A job scans the target
# host from the node hosts. Then node1's link is cut mid-job and brought
# back after its leases expired: the job completes with the clean run's
# findings, each once.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
NET=10.77.0
declare -A HOST_PID

ip link add swbr0 type bridge || fail "cannot create a bridge in this network namespace (kernel without bridge support?)"
ip link set swbr0 up
ip addr add "$NET.1/24" dev swbr0

ns_differs() { [ "$(readlink "/proc/$1/ns/net")" != "$2" ]; }

# host_up NAME ADDR: a host with its own network namespace, plugged into the
# bridge through a veth pair (v-NAME on the bridge, eth0 inside).
host_up() {
  local name=$1 addr=$2 here
  here=$(readlink /proc/self/ns/net)
  unshare -n sleep infinity & # holds the namespace for as long as the test runs
  local pid=$!
  PIDS+=("$pid")
  wait_until 10 ns_differs "$pid" "$here"
  ip link add "v-$name" type veth peer name eth0 netns "$pid"
  ip link set "v-$name" master swbr0 up
  nsenter -t "$pid" -n sh -c "ip link set lo up && ip addr add $addr/24 dev eth0 && ip link set eth0 up"
  HOST_PID[$name]=$pid
}

# on HOST CMD...: runs CMD inside HOST's network namespace.
on() { local host=$1; shift; nsenter -t "${HOST_PID[$host]}" -n "$@"; }
# on_bg HOST CMD...: the same in the background, with the process's own pid
# in PIDS (nsenter execs CMD), so that the test's end stops it; a function
# put in the background would leave a shell's pid there, and CMD running.
on_bg() {
  local host=$1; shift
  nsenter -t "${HOST_PID[$host]}" -n "$@" &
  PIDS+=("$!")
}

host_up broker "$NET.10"
for i in 1 2 3; do host_up "node$i" "$NET.1$i"; done
host_up target "$NET.32"
for i in $(seq 33 47); do on target ip addr add "$NET.$i/24" dev eth0; done

# Provisioning, configuration steps only.
prov() {
  "$root/scripts/$1" --no-packages --no-build --no-systemd --prefix "$(dirname "$BIN")" "${@:2}" \
    >>"$T/provision.log"
}
prov provision-broker.sh --etc "$T/broker-etc" --state "$T/broker-state" --address "$NET.10" \
  --scope "$NET.32/28"
K=$T/broker-etc/keys
for n in node1 node2 node3; do
  prov provision-node.sh --name "$n" --broker "$NET.10" --etc "$T/$n-etc" --state "$T/$n-state" \
    --workers 1 --broker-cert "$K/broker/broker.crt" --content-key "$K/content/bundle.pub"
done
! find "$T/broker-etc" -name 'node*_secret' | grep -q . || fail "a node secret reached the broker"
for n in node1 node2 node3; do
  [ "$(find "$T"/node*-etc -name "*_secret" | grep -c "/$n.crt_secret")" -eq 1 ] \
    || fail "$n's secret is not on its own host only"
done

on_bg broker "$BIN/sweep-broker" --config "$T/broker-etc/broker.conf" --heartbeat-ms "$HB" \
  >>"$T/broker.log" 2>&1
wait_until 20 test -s "$T/broker-state/endpoints"
ADMIN=$(awk '$1=="admin"{print $2}' "$T/broker-state/endpoints")
[ "$ADMIN" = "tcp://$NET.10:5700" ] || fail "broker admin endpoint is $ADMIN"
for n in node1 node2 node3; do
  on_bg "$n" "$BIN/sweep-node" --config "$T/$n-etc/node.conf" --heartbeat-ms "$HB" \
    --max-inflight 1 >>"$T/$n.log" 2>&1
done

# Enrollment: each node asks from its own address with the key it made; the
# operator compares and approves.
wait_until 30 is_pending node1 node2 node3
[ "$(node_count)" -eq 0 ] || fail "a node got in before approval"
ctl nodes pending --json >"$T/pending.json"
for i in 1 2 3; do
  python3 - "$T/pending.json" "node$i" "$NET.1$i" "$T/node$i-etc/keys/id/node$i.crt" <<'PY' ||
import json, sys
pending, name, addr, crt = sys.argv[1:]
entry = [p for p in json.load(open(pending))["pending"] if p["name"] == name]
assert len(entry) == 1, entry
key = [l.split('"')[1] for l in open(crt) if "public-key" in l][0]
assert entry[0]["key"] == key, (entry, key)
assert entry[0]["address"] == addr, entry
PY
    fail "node$i is not pending with its own key and address"
  ctl nodes approve "node$i" >/dev/null
done
wait_until 30 nodes_ready 3
note "three node hosts enrolled by approval"

# Targets on their own host: sixteen addresses, five open ports.
listen_via "${HOST_PID[target]}" "$NET.32" 22 443
listen_via "${HOST_PID[target]}" "$NET.39" 5432
listen_via "${HOST_PID[target]}" "$NET.46" 6379 8080
cat >"$T/job.yaml" <<JOB
name: multihost
scope: [$NET.32/28]
lease_ms: 1500
max_attempts: 5
targets:
  - scanner: tcp
    hosts: [$NET.32/28]
    ports: "1-65535"
    shard_ports: 1024
JOB
total=1024

t0=$(date +%s%N)
ctl submit "$T/job.yaml" --wait -o "$T/clean.json" >/dev/null || fail "clean run failed"
note "clean run: $(( ($(date +%s%N) - t0) / 1000000 )) ms for $total shards"
open_ports "$T/clean.json" >"$T/clean.ports"
[ "$(paste -sd' ' "$T/clean.ports")" = \
  "$NET.32:22 $NET.32:443 $NET.39:5432 $NET.46:6379 $NET.46:8080" ] \
  || fail "clean run found: $(paste -sd' ' "$T/clean.ports")"
assert_complete "$T/clean.json" "$total"
findings_signature "$T/clean.json" >"$T/clean.sig"

# The same job; node1's link goes down while it holds leases.
id=$(ctl submit "$T/job.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
wait_until 60 node_busy node1
ip link set v-node1 down
[ "$(job_state "$id")" = running ] || fail "the job ended before the cut: the test proved nothing"
note "node1's link cut; $(job_done_count "$id") of $total shards finished"

# The broker drops node1 for silence; its leases run out, and only then
# does the link come back.
wait_until 30 grep -q "node node1 .*removed: heartbeat expired" "$T/broker.log"
held=$(grep "node node1 .*removed: heartbeat expired" "$T/broker.log" | tail -1 |
  sed -n 's/.*its \([0-9]*\) leases run out.*/\1/p')
[ -n "$held" ] || fail "broker did not say how many leases node1 held"
expired() { [ "$(grep -c "lease expired on node node1/" "$T/broker.log")" -ge "$held" ]; }
wait_until 60 expired
running_at_return=$(job_state "$id")
ip link set v-node1 up
note "node1's $held leases expired; link back up (job $running_at_return)"

wait_until 30 nodes_ready 3
wait_until 120 job_finished "$id"
ctl report "$id" -o "$T/cut.json" >/dev/null
assert_complete "$T/cut.json" "$total"
findings_signature "$T/cut.json" >"$T/cut.sig"
diff "$T/clean.sig" "$T/cut.sig" || fail "findings after the cut differ from the clean run"
python3 - "$T/cut.json" <<'PY' || fail "a finding is reported twice"
import json, sys
seen = [(f["resource"], f["location"]) for f in json.load(open(sys.argv[1]))["findings"]]
assert len(seen) == len(set(seen)) == 5, seen
PY
grep -q "reconnecting" "$T/node1.log" || fail "node1 never reconnected"
# What node1 scanned while cut off was not reported as a result.
grep -q "result discarded" "$T/node1.log" || fail "node1 reported scans it ran while cut off"
after=$(ctl nodes --json | python3 -c '
import json, sys
print(sum(n["shards_done"] for n in json.load(sys.stdin)["nodes"] if n["name"] == "node1"))')
note "job complete after the cut: the clean run's 5 findings, each once; node1 back in, $after shards done since"
