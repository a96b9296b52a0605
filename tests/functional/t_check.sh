#!/usr/bin/env bash
# `sweepctl check` over an AWS snapshot, a Kubernetes folder, a
# CloudFormation template and a Terraform plan (fixtures/posture) with the
# shipped rules gives exactly the expected (rule, resource) set; --fail-on
# gates; no secret value from the inputs reaches any output; a broken file
# is reported with its position while the other files are still scanned.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fx=tests/functional/fixtures/posture

"$BIN/sweepctl" check "$fx" --rules rules --format json -o "$T/check.json" 2>"$T/check.err" ||
  fail "check exited $? ($(cat "$T/check.err"))"
finding_pairs "$T/check.json" >"$T/pairs.txt"
diff -u "$fx/expected.txt" "$T/pairs.txt" || fail "findings differ from $fx/expected.txt"
note "$(wc -l <"$T/pairs.txt") findings, as expected"

# Findings carry what a report needs.
python3 - "$T/check.json" <<'PY' || fail "a finding lacks a field"
import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    for k in ("fingerprint", "rule", "severity", "resource", "location", "title", "remediation"):
        assert f.get(k), (k, f)
    assert f["scanner"] == "posture"
PY

# The gate: high findings exist, so --fail-on high exits 1.
set +e
"$BIN/sweepctl" check "$fx" --rules rules --fail-on high >"$T/table.txt" 2>/dev/null
rc=$?
set -e
[ $rc -eq 1 ] || fail "--fail-on high exited $rc, expected 1"
grep -q '^critical\|^high' "$T/table.txt" || fail "table output lacks severities"

# The k8s fixture holds a password in an environment variable: no output
# may carry it.
! grep -rq hunter2 "$T/check.json" "$T/table.txt" || fail "a secret value reached the output"

# A broken file is one input-error finding with its position; the rest
# is still scanned.
cp -r "$fx" "$T/fx"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: [oops\n' >"$T/fx/k8s/broken.yaml"
"$BIN/sweepctl" check "$T/fx" --rules rules --format json -o "$T/broken.json" 2>/dev/null ||
  fail "check with a broken file exited $?"
errors=$(python3 -c 'import json,sys
print("\n".join(f["location"] for f in json.load(open(sys.argv[1]))["findings"] if f["rule"] == "posture.input-error"))' "$T/broken.json")
[[ $errors == "$T/fx/k8s/broken.yaml:"[0-9]*:[0-9]* ]] || fail "input error not reported with a position: '$errors'"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$T/broken.json")
[ "$n" -eq $(($(wc -l <"$fx/expected.txt") + 1)) ] || fail "broken file changed the other findings ($n)"

# Rules that do not load stop the check with the file and position.
mkdir -p "$T/badrules"
printf 'id: x.y\ntitle: t\nseverity: high\ndescription: d\nremediation: r\nresource_types: [t]\nfail_if: {path: a, eqq: 1}\n' >"$T/badrules/r.yaml"
set +e
out=$("$BIN/sweepctl" check "$fx" --rules "$T/badrules" 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "bad rules exited $rc, expected 2"
[[ $out == *"r.yaml:7:"*"unknown operator or key 'eqq'"* ]] || fail "unclear rule error: $out"
note "check: exact findings, gate, no secret leak, input errors located"
