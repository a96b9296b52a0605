#!/usr/bin/env bash
# A firewall that rejects instead of dropping: 10.98.0.0/24 lies behind a
# router (a network namespace of the test) whose route to it is
# "prohibit", so each SYN is answered by an ICMP "administratively
# filtered". Both scan methods call those ports filtered at once, not after
# the scan timeout (20 s here): the SYN scan by reading the ICMP errors that
# quote its segments, the connect scan through the kernel.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

here=$(readlink /proc/self/ns/net)
unshare -n sleep infinity & # the router's namespace, held for the test
router=$!
PIDS+=("$router")
ns_differs() { [ "$(readlink "/proc/$router/ns/net")" != "$here" ]; }
wait_until 10 ns_differs
ip link add sw-r0 type veth peer name sw-r1 netns "$router"
ip addr add 10.98.1.1/24 dev sw-r0
ip link set sw-r0 up
nsenter -t "$router" -n sh -c 'ip link set lo up && ip addr add 10.98.1.2/24 dev sw-r1 &&
  ip link set sw-r1 up && echo 1 >/proc/sys/net/ipv4/ip_forward &&
  echo 0 >/proc/sys/net/ipv4/icmp_ratelimit && ip route add prohibit 10.98.0.0/24'
ip route add 10.98.0.0/24 via 10.98.1.2
# (The router sends such errors in bursts of 5, then one a second; the
# two jobs below ask for 2 each.)

keys_init 1
start_broker --scope 10.98.0.0/24 --scan-timeout-ms 20000
cat >"$T/job.yaml" <<'JOB'
name: rejected
scope: [10.98.0.0/24]
targets:
  - scanner: tcp
    hosts: [10.98.0.2]
    ports: "1-2"
JOB
nodes_gone() { [ "$(node_count)" -eq 0 ]; }
for method in syn connect; do
  start_node node1 --scan-method "$method"
  wait_until 30 nodes_ready 1
  ctl submit "$T/job.yaml" --wait -o "$T/$method.json" >/dev/null
  python3 - "$T/$method.json" "$(ctl jobs --json)" "$method" <<'PY' || fail "$method scan of rejected ports"
import json, sys
report, jobs, method = json.load(open(sys.argv[1])), json.loads(sys.argv[2]), sys.argv[3]
took = jobs["jobs"][-1]["finished"] - jobs["jobs"][-1]["created"]
ports = report["coverage"]["ports"]
print("-- %s: %s in %d ms" % (method, ports, took))
assert ports == {"open": 0, "closed": 0, "filtered": 2}, ports
assert took < 5000, "waited for the timeout: %d ms" % took
PY
  kill -TERM "${NODE_PID[node1]}"
  wait "${NODE_PID[node1]}" || fail "node1 ($method) did not stop cleanly"
  wait_until 30 nodes_gone
done
note "rejected ports are filtered at once by both scan methods"
