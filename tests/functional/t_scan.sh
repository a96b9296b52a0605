#!/usr/bin/env bash
# A broker and three nodes scan a port range where the test opened known
# listeners: the report holds exactly those open ports, once each, and
# says the coverage is complete.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

keys_init 3
start_broker
for n in node1 node2 node3; do start_node "$n" --workers 2; done
wait_until 30 nodes_ready 3

listen 127.0.0.2 22 80 443 5432 6379 0
extra=$(echo "$LISTEN_PORTS" | tr ' ' '\n' | awk '$1 > 4096' | paste -sd, -)
job_file "$T/job.yaml" scan-test 127.0.0.2 "1-4096,$extra" 128

set +e
ctl submit "$T/job.yaml" --wait -o "$T/report.json" --fail-on high >"$T/submit.out" 2>&1
rc=$?
set -e
cat "$T/submit.out"
# 5432 and 6379 are rated high, so the gate must trip with exit code 1.
[ $rc -eq 1 ] || fail "submit --wait --fail-on high exited $rc, expected 1"

got=$(open_ports "$T/report.json")
want=$(for p in $LISTEN_PORTS; do echo "127.0.0.2:$p"; done | sort -t: -k2n)
[ "$got" = "$want" ] || fail "open ports differ: got [$got] want [$want]"
python3 - "$T/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["coverage"]
assert c["complete"] and c["shards_failed"] == 0, c
assert c["shards_done"] == c["shards_total"] == 33, c
fps = [f["fingerprint"] for f in r["findings"]]
assert len(fps) == len(set(fps)) == 6, fps
sev = {f["location"]: f["severity"] for f in r["findings"]}
assert sev["tcp/6379"] == "high" and sev["tcp/80"] == "info", sev
assert r["summary"]["by_severity"]["high"] == 2, r["summary"]
PY

# All three nodes took part, and the console's other views answer.
ctl nodes --json | python3 -c '
import json, sys
nodes = json.load(sys.stdin)["nodes"]
assert len(nodes) == 3, nodes
assert all(n["shards_done"] > 0 for n in nodes), nodes'
jobs=$(ctl jobs)
[[ $jobs == *scan-test*done* ]] || fail "jobs does not list the finished job: $jobs"
out=$(ctl report job-000001 --format sarif 2>&1) && fail "unsupported format accepted"
[[ $out == *"not supported"* ]] || fail "unclear error for an unsupported format: $out"
note "report holds exactly the $(echo "$want" | wc -l) open ports"
