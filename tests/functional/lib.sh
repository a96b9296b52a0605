# Shared helpers for the functional tests: a real cluster of separate
# processes with real keys, in a temporary directory that is removed, with
# every process it started, when the test exits (pass or fail).
# shellcheck shell=bash
set -euo pipefail

BIN=$1
T=$(mktemp -d /tmp/sweep-test.XXXXXX)
K=$T/keys
PIDS=()
declare -A NODE_PID   # node name -> pid, set by start_node
HB=200                # heartbeat interval used by the tests (ms)

# Stops what the test started: SIGTERM first (nodes drain, the broker
# closes its store, sanitizers get to report), SIGKILL after 15 s.
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  local limit=$(( $(date +%s) + 15 ))
  for p in "${PIDS[@]}"; do
    while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$limit" ]; do sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  PIDS=()
}

cleanup() {
  local rc=$?
  stop_all
  # A sanitizer report in any process's log fails the test.
  if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/*.log 2>/dev/null; then
    echo "FAIL: sanitizer report in the logs above" >&2
    grep -hE -A30 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/*.log | head -80
    rc=1
  fi
  if [ $rc -ne 0 ]; then
    for f in "$T"/*.log; do
      [ -f "$f" ] || continue
      echo "---- $(basename "$f") (last 25 lines)"
      tail -25 "$f"
    done
  fi
  [ -n "${SW_KEEP:-}" ] || rm -rf "$T"
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

# wait_until TIMEOUT_S CMD...: polls a condition (not a fixed sleep) every
# 50 ms until it holds, or fails after TIMEOUT_S seconds.
wait_until() {
  local limit=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$limit" ] || fail "timed out waiting for: $*"
    sleep 0.05
  done
}

keys_init() {
  "$BIN/sweepctl" keys init "$K" --nodes "${1:-3}" >/dev/null
}

# start_broker [ADMIN_EP NODE_EP] [extra flags]: starts the broker on
# ephemeral loopback ports (or the given ones) and sets ADMIN and NODE_EP.
start_broker() {
  local admin="tcp://127.0.0.1:*" node="tcp://127.0.0.1:*"
  if [ $# -ge 2 ] && [[ $1 == tcp://* ]]; then admin=$1; node=$2; shift 2; fi
  rm -f "$T/broker/endpoints"
  "$BIN/sweep-broker" --keys "$K" --state "$T/broker" --admin-bind "$admin" \
    --node-bind "$node" --heartbeat-ms "$HB" "$@" >>"$T/broker.log" 2>&1 &
  BROKER_PID=$!
  PIDS+=("$BROKER_PID")
  wait_until 20 test -s "$T/broker/endpoints"
  ADMIN=$(awk '$1=="admin"{print $2}' "$T/broker/endpoints")
  NODE_EP=$(awk '$1=="node"{print $2}' "$T/broker/endpoints")
}

# start_node NAME [extra flags]: starts a node with keys/id/NAME.crt.
start_node() {
  local name=$1; shift
  "$BIN/sweep-node" --broker "$NODE_EP" --broker-key "$K/broker/broker.crt" \
    --cert "$K/id/$name.crt" --state "$T/$name" --heartbeat-ms "$HB" "$@" \
    >>"$T/$name.log" 2>&1 &
  PIDS+=("$!")
  # shellcheck disable=SC2034  # read by the scripts that source this file
  NODE_PID[$name]=$!
}

ctl() {
  "$BIN/sweepctl" --broker "$ADMIN" --keys "$K" --timeout-ms 5000 "$@"
}

node_count() { ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"])'; }
nodes_ready() { [ "$(node_count)" -ge "$1" ]; }
# node_busy NAME: NAME holds leases and has finished shards.
node_busy() {
  ctl nodes --json | python3 -c '
import json, sys
n = [n for n in json.load(sys.stdin)["nodes"] if n["name"] == sys.argv[1]]
sys.exit(0 if n and n[0]["leases"] > 0 and n[0]["shards_done"] > 0 else 1)' "$1"
}
# pending_names: the names of the nodes waiting for approval, one per line.
pending_names() {
  ctl nodes pending --json | python3 -c '
import json, sys
for n in json.load(sys.stdin)["pending"]: print(n["name"])'
}
# is_pending NAME...: every NAME is waiting for approval.
is_pending() {
  local names n
  names=$(pending_names)
  for n in "$@"; do grep -qx "$n" <<<"$names" || return 1; done
}

# listen ADDR PORT...: starts listeners; sets LISTEN_PORTS to the bound ports.
listen() { listen_via "" "$@"; }

# listen_via PID ADDR PORT...: the same inside the network namespace of
# process PID (a namespace "host" of the test; empty: this namespace).
listen_via() {
  local via=$1; shift
  local run=("$BIN/sw-listen")
  [ -z "$via" ] || run=(nsenter -t "$via" -n "$BIN/sw-listen")
  local fifo=$T/listen.$RANDOM
  mkfifo "$fifo"
  "${run[@]}" "$@" >"$fifo" 2>>"$T/listen.log" &
  PIDS+=("$!")
  local line
  read -r line <"$fifo" || fail "sw-listen did not start"
  rm -f "$fifo"
  [[ $line == ready* ]] || fail "sw-listen: $line"
  # shellcheck disable=SC2034  # read by the scripts that source this file
  LISTEN_PORTS=${line#ready }
}

# job_file PATH NAME HOSTS PORTS [SHARD_PORTS] [LEASE_MS]
job_file() {
  cat >"$1" <<JOB
name: $2
scope: [127.0.0.0/8]
lease_ms: ${6:-3000}
max_attempts: 5
targets:
  - scanner: tcp
    hosts: [$3]
    ports: "$4"
    shard_ports: ${5:-256}
JOB
}

job_state() { ctl jobs --json | python3 -c "import json,sys; print([j['state'] for j in json.load(sys.stdin)['jobs'] if j['id']=='$1'][0])"; }
job_done_count() { ctl jobs --json | python3 -c "import json,sys; j=[j for j in json.load(sys.stdin)['jobs'] if j['id']=='$1'][0]; print(j['done']+j['failed'])"; }
job_finished() { [ "$(job_state "$1")" != running ]; }

# open_ports REPORT: prints "host:port" of every tcp finding, sorted.
open_ports() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for f in sorted(r["findings"], key=lambda f: (f["resource"], int(f["location"].split("/")[1]))):
    print(f"{f['resource']}:{f['location'].split('/')[1]}")
PY
}

# finding_pairs REPORT: "rule resource" of every finding, sorted.
finding_pairs() {
  python3 -c 'import json,sys
for f in json.load(open(sys.argv[1]))["findings"]: print(f["rule"], f["resource"])' "$1" | sort
}

# findings_signature REPORT: the findings without times, for comparing runs.
findings_signature() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for f in sorted(r["findings"], key=lambda f: f["fingerprint"]):
    print(f["fingerprint"], f["rule"], f["severity"], f["resource"], f["location"])
PY
}

# assert_complete REPORT TOTAL: all TOTAL shards done, none failed.
assert_complete() {
  python3 - "$1" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["coverage"]
n = int(sys.argv[2])
assert c["complete"] and c["shards_failed"] == 0 and c["shards_done"] == c["shards_total"] == n, c
PY
}
