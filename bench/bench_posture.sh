#!/usr/bin/env bash
# Posture engine: a synthetic estate of 100,000+ AWS resources (20 accounts
# x 4 regions, plus each account's IAM users and S3 buckets) and 50,000
# Kubernetes objects (bench/gen_posture.py), evaluated by `sweepctl check`
# with every rule in rules/ pinned to one core. Reports documents
# (resources) per second, rule evaluations per second and peak RSS, the
# median of RUNS runs.
set -euo pipefail
bin=$1
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
