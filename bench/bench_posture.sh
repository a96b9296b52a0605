#!/usr/bin/env bash
# Posture engine: a synthetic estate of 100,000+ AWS resources (20 accounts
# x 4 regions, plus each account's IAM users and S3 buckets) and 50,000
# Kubernetes objects (bench/gen_posture.py), evaluated by `sweepctl check`
# with every rule in rules/ pinned to one core, then as a cluster job over
# 1 and 2 nodes. Reports documents (resources) per second, rule
# evaluations per second and peak RSS, the median of RUNS runs.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/../tests/functional/lib.sh"
bin=$BIN
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
est=$here/out/estate
if [ ! -f "$est/.complete" ]; then
  rm -rf "$est"
  python3 "$here/gen_posture.py" "$est"
  touch "$est/.complete"
fi
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

walls=() rss=()
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$here/out/posture.time" \
    taskset -c 0 "$bin/sweepctl" check "$est" --rules "$here/../rules" --format json \
    -o "$here/out/posture.json" 2>/dev/null || true
  read -r wall kb <"$here/out/posture.time"
  walls+=("$wall")
  rss+=("$kb")
done
wall=$(printf '%s\n' "${walls[@]}" | median)
peak=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
read -r resources evals findings rules < <(python3 - "$here/out/posture.json" "$bin" "$here/../rules" <<'PY'
import json, subprocess, sys
s = json.load(open(sys.argv[1]))["summary"]
out = subprocess.run([sys.argv[2] + "/sweepctl", "rules", "lint", sys.argv[3]],
                     capture_output=True, text=True).stdout.split()[0]
print(s["resources"], s["evaluations"], s["findings"], out)
PY
)
echo "## Posture engine (sweepctl check, one core)"
echo
echo "- Estate: $resources resources (AWS and Kubernetes), $rules rules, $findings findings."
echo "- Wall time (median of $RUNS): ${wall} s."
awk -v r="$resources" -v e="$evals" -v w="$wall" -v m="$peak" 'BEGIN {
  printf "- %.0f documents/s, %.0f rule evaluations/s.\n", r / w, e / w
  printf "- Peak RSS %.1f MiB.\n\n", m / 1024 }'

# The cluster: a fresh broker and N nodes (2 workers each) per run; the
# first submit uploads the estate as blobs (timed apart), the job's own
# time is the broker's, from acceptance to the last shard.
keys_init 2
run_cluster() {
  local nodes=$1
  rm -rf "$T/broker" "$T"/node*
  start_broker
  for i in $(seq "$nodes"); do start_node "node$i" --workers 2; done
  wait_until 30 nodes_ready "$nodes"
  ctl rules push "$here/../rules" >/dev/null
  cat >"$here/out/posture-job.yaml" <<JOB
name: posture-bench
lease_ms: 60000
targets:
  - scanner: posture
    paths: [estate/aws, estate/k8s]
JOB
  local t0 t1 id
  t0=$(date +%s%N)
  id=$(ctl --timeout-ms 60000 submit "$here/out/posture-job.yaml" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  t1=$(date +%s%N)
  wait_until 600 job_finished "$id"
  local elapsed findings
  read -r elapsed findings < <(ctl watch "$id" --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["state"] == "done" and j["done"] == j["total"], j
print(j["elapsed_ms"], j["findings"])')
  local nrss=0 r
  for i in $(seq "$nodes"); do
    r=$(awk '/VmHWM/ {print $2}' "/proc/${NODE_PID[node$i]}/status")
    [ "$r" -gt "$nrss" ] && nrss=$r
  done
  local brss
  brss=$(awk '/VmHWM/ {print $2}' "/proc/$BROKER_PID/status")
  stop_all
  echo "$elapsed $(( (t1 - t0) / 1000000 )) $nrss $brss $findings"
}

echo "## Posture engine as a cluster job (2 workers per node, CURVE)"
echo
echo "| nodes | job time (median) | documents/s | rule evaluations/s | upload at submit | node peak RSS | broker peak RSS | findings |"
echo "|---|---|---|---|---|---|---|---|"
for nodes in 1 2; do
  times=() uploads=() nr=0 br=0 nf=0
  for _ in $(seq "$RUNS"); do
    read -r elapsed upload nrss brss nf < <(run_cluster "$nodes")
    times+=("$elapsed")
    uploads+=("$upload")
    [ "$nrss" -gt "$nr" ] && nr=$nrss
    [ "$brss" -gt "$br" ] && br=$brss
  done
  ms=$(printf '%s\n' "${times[@]}" | median)
  up=$(printf '%s\n' "${uploads[@]}" | median)
  awk -v n="$nodes" -v ms="$ms" -v up="$up" -v r="$resources" -v e="$evals" -v nr="$nr" -v br="$br" -v f="$nf" 'BEGIN {
    printf "| %d | %.2f s | %.0f | %.0f | %.1f s | %.0f MiB | %.0f MiB | %d |\n", n, ms / 1000, r / (ms / 1000), e / (ms / 1000), up / 1000, nr / 1024, br / 1024, f }'
done
echo
