#!/usr/bin/env bash
# make demo: a broker and two nodes on loopback audit a few listeners that
# the demo opens itself, a small built-in estate (AWS snapshot,
# Kubernetes, CloudFormation, Terraform) against the rule packs, and a
# source tree with leaked credentials, with a
# progress bar, a summary and a JSON report in demo-out/report.json. Runs inside a private network namespace when it
# can (so the scan sees nothing but the demo's own listeners); otherwise it
# scans only the ports it opened and ports it checked are free.
# Usage: scripts/demo.sh BIN_DIR
set -euo pipefail

bin=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/demo-out
keys=$top/keys

if [ -z "${SW_IN_NETNS:-}" ] && unshare -rn true 2>/dev/null; then
  exec env SW_IN_NETNS=1 unshare -rn "$0" "$@"
fi
if [ -n "${SW_IN_NETNS:-}" ]; then
  ip link set lo up
fi

mkdir -p "$out"
rm -rf "$out/state" "$out"/*.log
if [ ! -f "$keys/broker/broker.crt" ]; then
  "$bin/sweepctl" keys init "$keys" --nodes 2
fi
# Key folders from before rule bundles existed get their content key.
"$bin/sweepctl" keys content --keys "$keys" >/dev/null

pids=()
stop() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
  done
}
trap stop EXIT
trap 'exit 130' INT TERM

"$bin/sweep-broker" --keys "$keys" --state "$out/state/broker" \
  --admin-bind 'tcp://127.0.0.1:*' --node-bind 'tcp://127.0.0.1:*' \
  --heartbeat-ms 500 >"$out/broker.log" 2>&1 &
pids+=("$!")
for _ in $(seq 200); do [ -s "$out/state/broker/endpoints" ] && break; sleep 0.05; done
[ -s "$out/state/broker/endpoints" ] || { echo "demo: the broker did not start:" >&2; cat "$out/broker.log" >&2; exit 1; }
admin=$(awk '$1=="admin"{print $2}' "$out/state/broker/endpoints")
node=$(awk '$1=="node"{print $2}' "$out/state/broker/endpoints")

for n in node1 node2; do
  "$bin/sweep-node" --broker "$node" --broker-key "$keys/broker/broker.crt" \
    --cert "$keys/id/$n.crt" --state "$out/state/$n" --labels "zone=demo,host=$n" \
    >"$out/$n.log" 2>&1 &
  pids+=("$!")
done

if [ -n "${SW_IN_NETNS:-}" ]; then
  # The demo's own "deployment": ssh, http, https, postgres, redis, docker API.
  target=127.0.0.2
  want=(22 80 443 5432 6379 2375)
else
  # No namespace: only ports we open now are scanned (plus free ones).
  target=127.0.0.1
  want=(0 0 0 0)
fi
fifo=$(mktemp -u)
mkfifo "$fifo"
"$bin/sw-listen" "$target" "${want[@]}" >"$fifo" 2>"$out/listen.log" &
pids+=("$!")
read -r line <"$fifo"
rm -f "$fifo"
ports=${line#ready }
if [ -n "${SW_IN_NETNS:-}" ]; then
  portspec="1-10000"
  echo "demo: private network namespace; scanning $target ports $portspec (listeners on: $ports)"
else
  portspec=$(echo "$ports" | tr ' ' ',')
  echo "demo: no private network namespace available; scanning only the demo's own ports $portspec"
fi

cat >"$out/job.yaml" <<JOB
# Written by make demo. See README.md for the job file format.
name: demo
scope: [127.0.0.0/8]
targets:
  - scanner: tcp
    hosts: [$target]
    ports: "$portspec"
    shard_ports: 250
  - scanner: posture
    paths: [inputs]
  - scanner: secrets
    paths: [src]
JOB
# ... and a source tree with credentials left in it: made-up values in
# the providers' documented formats, new each run. Findings show them
# masked, with a fingerprint keyed by keys/content/fingerprint.key.
rm -rf "$out/src"
mkdir -p "$out/src/app"
python3 - "$out/src/app" <<'PY'
import random, string, sys
r = random.SystemRandom()
b32 = string.ascii_uppercase + "234567"
an = string.ascii_letters + string.digits
with open(sys.argv[1] + "/settings.py", "w") as f:
    f.write('AWS_ACCESS_KEY_ID = "AKIA%s"\n' % "".join(r.choice(b32) for _ in range(16)))
    f.write('DATABASE_URL = "postgres://app:%s@db:5432/app"\n' % "".join(r.choice(an) for _ in range(20)))
with open(sys.argv[1] + "/.env", "w") as f:
    f.write("GITHUB_TOKEN=ghp_%s\n" % "".join(r.choice(an) for _ in range(36)))
PY
# The demo's own "estate": an AWS snapshot, Kubernetes manifests, a
# CloudFormation template and a Terraform plan, with some things wrong.
rm -rf "$out/inputs"
cp -r "$top/tests/functional/fixtures/posture" "$out/inputs"
rm -f "$out/inputs/expected.txt"

ctl() { "$bin/sweepctl" --broker "$admin" --keys "$keys" "$@"; }
for _ in $(seq 200); do
  [ "$(ctl status --json 2>/dev/null | sed -nE 's/.*"nodes": ([0-9]+).*/\1/p')" = 2 ] && break
  sleep 0.05
done
ctl nodes
echo
ctl rules push "$top/rules"
ctl submit "$out/job.yaml" --wait -o "$out/report.json"
ctl findings job-000001
echo
echo "demo: report in demo-out/report.json; logs in demo-out/*.log"
