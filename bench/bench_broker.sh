#!/usr/bin/env bash
# Broker throughput: one job of 131,072 one-port tcp shards (127.0.0.0/15,
# port 9; every connect is refused at once inside the namespace) through a
# broker with CURVE, over 1, 2 and 4 nodes. Reports shards per second (the
# broker's own job timer, created -> finished) and the broker's peak RSS;
# then one job of 1,048,576 shards to show the broker's memory stays flat.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/../tests/functional/lib.sh"
RUNS=${RUNS:-3}

keys_init 4
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# run_job NODES HOSTS: fresh broker and nodes; prints "elapsed_ms peak_rss_kb total".
run_job() {
  local nodes=$1 hosts=$2
  rm -rf "$T/broker" "$T"/node*
  start_broker
  for i in $(seq "$nodes"); do start_node "node$i" --workers 16; done
  wait_until 30 nodes_ready "$nodes"
  cat >"$T/job.yaml" <<JOB
name: broker-bench
lease_ms: 60000
targets:
  - scanner: tcp
    hosts: [$hosts]
    ports: "9"
JOB
  local id
  id=$(ctl submit "$T/job.yaml" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  # Sample the broker's resident memory as the job progresses.
  : >"$T/rss.samples"
  while [ "$(job_state "$id")" = running ]; do
    echo "$(job_done_count "$id") $(awk '/VmRSS/ {print $2}' "/proc/$BROKER_PID/status")" >>"$T/rss.samples"
    sleep 1
  done
  local elapsed total rss
  read -r elapsed total < <(ctl watch "$id" --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["state"] == "done" and j["done"] == j["total"], j
print(j["elapsed_ms"], j["total"])')
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$BROKER_PID/status")
  stop_all
  echo "$elapsed $rss $total"
}

echo "## Broker throughput: 131,072 one-port shards, CURVE, median of $RUNS runs"
echo
echo "| nodes (16 workers each) | shards/s (median) | runs (shards/s) | broker peak RSS |"
echo "|---|---|---|---|"
for nodes in 1 2 4; do
  rates=() rss=0
  for _ in $(seq "$RUNS"); do
    read -r elapsed peak total < <(run_job "$nodes" 127.0.0.0/15)
    rates+=($(( total * 1000 / elapsed )))
    [ "$peak" -gt "$rss" ] && rss=$peak
  done
  echo "| $nodes | $(printf '%s\n' "${rates[@]}" | median) | ${rates[*]} | $((rss / 1024)) MiB |"
done
echo
read -r elapsed peak total < <(run_job 4 127.0.0.0/12)
echo "One job of $total shards over 4 nodes: $(( total * 1000 / elapsed )) shards/s, broker peak RSS $((peak / 1024)) MiB."
echo
echo "Broker resident memory while that job ran (sampled once a second):"
echo
echo "| shards finished | broker RSS |"
echo "|---|---|"
awk 'BEGIN {split("100000 250000 500000 750000 1000000", marks)}
     { for (m = 1; m <= 5; m++) if (!seen[m] && $1 >= marks[m]) { seen[m] = 1; printf "| %d | %d MiB |\n", $1, $2 / 1024 } }' \
  "$T/rss.samples"
echo
