#!/usr/bin/env bash
# The two port scan methods give the same verdicts: a node scanning with
# SYN segments from a raw socket and one scanning with connect() find the
# same open ports, the same number of closed ones, and the same silent
# (filtered) ones on a host that drops everything. The SYN scan never
# completes a connection: the listeners accept nothing from it. It obeys
# the node's --max-rate. A node
# told to use a method it cannot, or an unknown one, refuses to start.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

# A silent host: 10.99.0.2 is reached through a veth whose other end has
# no address, so every frame sent to it is dropped without an answer.
ip link add sw-f0 type veth peer name sw-f1
ip addr add 10.99.0.1/24 dev sw-f0
ip link set sw-f0 up
ip link set sw-f1 up
ip neigh replace 10.99.0.2 lladdr 02:00:00:00:00:02 dev sw-f0 nud permanent

# Listeners that count the connections they accept
python3 - "$T/accepted" 127.0.1.1 22 80 8080 >"$T/acceptor.log" 2>&1 <<'PY' &
import selectors, socket, sys
count_file, addr, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
sel = selectors.DefaultSelector()
for p in ports:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, p))
    s.listen(128)
    sel.register(s, selectors.EVENT_READ)
accepted = 0
open(count_file, "w").write("0\n")
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept()
        conn.close()
        accepted += 1
        open(count_file, "w").write("%d\n" % accepted)
PY
PIDS+=("$!")
wait_until 20 test -s "$T/accepted"

keys_init 2
start_broker --scope 127.0.0.0/8,10.99.0.0/24
cat >"$T/job.yaml" <<'JOB'
name: methods
scope: [127.0.0.0/8, 10.99.0.0/24]
targets:
  - scanner: tcp
    hosts: [127.0.1.1]
    ports: "1-3000,8080"
    shard_ports: 1024
  - scanner: tcp
    hosts: [10.99.0.2]
    ports: "1-40"
JOB

# ports REPORT: "open-list closed filtered", from the findings and coverage
ports() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["coverage"]
assert c["complete"], c
opened = sorted(f["resource"] + ":" + f["location"].split("/")[1] for f in r["findings"])
print(",".join(opened), c["ports"]["closed"], c["ports"]["filtered"], c["ports"]["open"])
PY
}

nodes_gone() { [ "$(node_count)" -eq 0 ]; }
declare -A seen
for method in syn connect; do
  before=$(cat "$T/accepted")
  start_node node1 --scan-method "$method"
  wait_until 30 nodes_ready 1
  ctl submit "$T/job.yaml" --wait -o "$T/$method.json" >/dev/null
  seen[$method]=$(ports "$T/$method.json")
  accepted=$(( $(cat "$T/accepted") - before ))
  note "$method: open,closed,filtered = ${seen[$method]}; connections accepted: $accepted"
  kill -TERM "${NODE_PID[node1]}"
  wait "${NODE_PID[node1]}" || fail "node1 ($method) did not stop cleanly"
  wait_until 30 nodes_gone
  # The evidence says what was seen
  evidence=$([ "$method" = syn ] && echo "answered a SYN with SYN+ACK" || echo "TCP connect to")
  python3 -c 'import json,sys; ev=[f["evidence"] for f in json.load(open(sys.argv[1]))["findings"]]; assert ev and all(sys.argv[2] in e for e in ev), ev' \
    "$T/$method.json" "$evidence" || fail "$method scan: evidence does not say '$evidence'"
  if [ "$method" = syn ]; then
    grep -q "port scans use SYN segments" "$T/node1.log" || fail "the node did not use the SYN scan"
    [ "$accepted" -eq 0 ] || fail "the SYN scan completed $accepted connections"
  else
    [ "$accepted" -eq 3 ] || fail "the connect scan completed $accepted connections, expected 3"
  fi
done
# The SYN scan obeys the node's rate limit: 3,001 SYNs at 2,000 a second
# (a 50 ms burst allowed) cannot take less than about 1.45 s
cat >"$T/rate.yaml" <<'JOB'
name: rate
scope: [127.0.0.0/8]
targets:
  - scanner: tcp
    hosts: [127.0.1.1]
    ports: "1-3000,8080"
    shard_ports: 4096
JOB
start_node node1 --scan-method syn --max-rate 2000
wait_until 30 nodes_ready 1
ctl submit "$T/rate.yaml" --wait -o "$T/rate.json" >/dev/null
took=$(ctl jobs --json | python3 -c 'import json,sys; j=[j for j in json.load(sys.stdin)["jobs"] if j["name"]=="rate"][0]; print(j["finished"]-j["created"])')
note "3,001 ports at --max-rate 2000: $took ms"
[ "$took" -ge 1400 ] || fail "the SYN scan ignored --max-rate: 3,001 ports in $took ms"
[ "$(ports "$T/rate.json")" = "127.0.1.1:22,127.0.1.1:80,127.0.1.1:8080 2998 0 3" ] ||
  fail "rate-limited SYN scan: $(ports "$T/rate.json")"

want="127.0.1.1:22,127.0.1.1:80,127.0.1.1:8080 2998 40 3"
[ "${seen[syn]}" = "$want" ] || fail "SYN scan: got [${seen[syn]}], want [$want]"
[ "${seen[connect]}" = "${seen[syn]}" ] || fail "connect scan differs: [${seen[connect]}]"

# sweepctl net picks its method the same way, and both find the same ports
root=$(cd "$(dirname "$0")/../.." && pwd)
for method in syn connect; do
  "$BIN/sweepctl" net 127.0.1.1 --ports "1-3000,8080" --rules "$root/rules" --scan-method "$method" \
    --format json -o "$T/net-$method.json" 2>"$T/net-$method.log" || [ $? -eq 1 ] ||
    fail "sweepctl net --scan-method $method: $(cat "$T/net-$method.log")"
done
python3 - "$T/net-syn.json" "$T/net-connect.json" <<'PY' || fail "sweepctl net: the methods disagree"
import json, sys
ports = [sorted(s["port"] for s in json.load(open(f))["services"]) for f in sys.argv[1:]]
assert ports[0] == ports[1] == [22, 80, 8080], ports
PY
set +e
out=$("$BIN/sweepctl" net 127.0.1.1 --ports 22 --rules "$root/rules" --scan-method fast 2>&1)
rc=$?
set -e
{ [ $rc -eq 2 ] && [[ $out == *"expected auto, syn or connect"* ]]; } ||
  fail "sweepctl net took an unknown method: $rc $out"

# A method the node cannot use, or does not know, stops it at once
out=$("$BIN/sweep-node" --broker "$NODE_EP" --broker-key "$K/broker/broker.crt" \
  --cert "$K/id/node2.crt" --state "$T/node2" --scan-method fast 2>&1) && fail "unknown method accepted"
[[ $out == *"expected auto, syn or connect"* ]] || fail "unclear error: $out"
out=$(unshare -U "$BIN/sweep-node" --broker "$NODE_EP" --broker-key "$K/broker/broker.crt" \
  --cert "$K/id/node2.crt" --state "$T/node2" --scan-method syn 2>&1) && fail "syn without CAP_NET_RAW accepted"
[[ $out == *"needs CAP_NET_RAW"* ]] || fail "unclear error: $out"
note "SYN and connect scans agree; the SYN scan opened no connection"
