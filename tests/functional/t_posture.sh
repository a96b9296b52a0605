#!/usr/bin/env bash
# Posture jobs through a cluster: sweepctl signs and pushes the rule packs,
# uploads an AWS snapshot, a Kubernetes folder, a CloudFormation template
# and a Terraform plan as blobs, and two nodes fetch them, verify the
# bundle and evaluate their groups. The report holds exactly the expected
# (rule, resource) set, and `sweepctl check` gives the same for the same paths. A node
# that trusts another content key refuses the bundle, says so in its log,
# and the shard fails with that reason instead of running unverified rules.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
cp -r "$root/tests/functional/fixtures/posture" "$T/inputs"
keys_init 3
start_broker
start_node node1 --workers 2
start_node node2 --workers 2
wait_until 30 nodes_ready 2

out=$(ctl rules push "$root/rules") || fail "rules push: $out"
[[ $out == "rule bundle "*" pushed"* ]] || fail "unexpected push output: $out"
version=$(ctl rules push "$root/rules" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')

cat >"$T/inputs/job.yaml" <<'JOB'
name: posture-fixtures
lease_ms: 10000
targets:
  - scanner: posture
    paths: [aws, k8s, cfn, tf]
JOB
ctl submit "$T/inputs/job.yaml" --wait -o "$T/report.json" >"$T/submit.out" ||
  fail "posture job did not complete: $(cat "$T/submit.out")"

finding_pairs "$T/report.json" >"$T/cluster.txt"
# The exact expected set (t_check's, whose ids name the fixture folder).
sed 's|tests/functional/fixtures/posture/||' "$root/tests/functional/fixtures/posture/expected.txt" |
  sort >"$T/expected.txt"
diff -u "$T/expected.txt" "$T/cluster.txt" || fail "cluster findings differ from the expected set"
(cd "$T/inputs" && "$BIN/sweepctl" check aws k8s cfn tf --rules "$root/rules" --format json \
  -o "$T/check.json" 2>/dev/null)
finding_pairs "$T/check.json" >"$T/local.txt"
[ -s "$T/cluster.txt" ] || fail "the cluster report has no findings"
diff -u "$T/local.txt" "$T/cluster.txt" || fail "cluster and sweepctl check findings differ"
note "cluster and check agree on $(wc -l <"$T/cluster.txt") findings"

# Every posture finding records the bundle version that produced it.
python3 - "$T/report.json" "$version" <<'PY' || fail "findings lack the bundle version"
import json, sys
fs = [f for f in json.load(open(sys.argv[1]))["findings"] if f["scanner"] == "posture"]
assert fs and all(f.get("bundle") == sys.argv[2] for f in fs), fs[:1]
PY
! grep -q hunter2 "$T/report.json" "$T"/broker.log "$T"/node*.log || fail "a secret value leaked"

# A node whose content key is another one refuses the bundle.
stop_all
"$BIN/sweepctl" keys init "$T/other" --nodes 1 >/dev/null
start_broker
start_node node3 --workers 1 --content-key "$T/other/content/bundle.pub"
wait_until 30 nodes_ready 1
cat >"$T/inputs/one.yaml" <<'JOB'
name: forged-bundle
lease_ms: 10000
max_attempts: 2
targets:
  - scanner: posture
    paths: [k8s]
JOB
set +e
ctl submit "$T/inputs/one.yaml" --wait -o "$T/forged.json" >"$T/forged.out" 2>&1
rc=$?
set -e
[ $rc -eq 4 ] || fail "a job with a refused bundle exited $rc, expected 4 (incomplete)"
grep -q "rule bundle .* refused: rule bundle signature does not verify" "$T/node3.log" ||
  fail "node3 did not log the refusal"
python3 - "$T/forged.json" <<'PY' || fail "the failed shard does not say why"
import json, sys
r = json.load(open(sys.argv[1]))
assert not r["findings"], "findings from unverified rules"
reasons = [s["reason"] for s in r["coverage"]["failed_shards"]]
assert reasons and all("signature does not verify" in x for x in reasons), reasons
PY
note "posture: cluster == check, bundle version recorded, forged bundle refused"
