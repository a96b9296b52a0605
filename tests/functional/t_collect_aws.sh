#!/usr/bin/env bash
# scripts/collect-aws.sh, run against a stand-in AWS CLI (tests/tools/
# fake-aws) that answers from the fixture snapshot, writes exactly the
# fixture's layout (files 0644, folders 0755, snapshot.json with the
# collection time), makes read-only calls only, and what it writes gives
# the same findings as the fixture.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
snap=$root/tests/functional/fixtures/posture/aws/111122223333
mkdir -p "$T/fakebin"
ln -s "$root/tests/tools/fake-aws" "$T/fakebin/aws"
FAKE_AWS_SNAPSHOT=$snap FAKE_AWS_LOG=$T/calls.log PATH=$T/fakebin:$PATH \
  bash "$root/scripts/collect-aws.sh" -r us-east-1 -o "$T/out" 2>"$T/collect.log" ||
  fail "collect-aws.sh failed: $(tail -3 "$T/collect.log")"

diff -u <(cd "$snap" && find . -type f | sort) <(cd "$T/out" && find . -type f | sort) ||
  fail "the collected layout differs from the fixture snapshot"
[ -z "$(find "$T/out" -type f ! -perm 0644)" ] || fail "a collected file is not 0644"
[ -z "$(find "$T/out" -type d ! -perm 0755)" ] || fail "a collected folder is not 0755"
grep -qE '^\{"collected_at": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"\}$' "$T/out/snapshot.json" ||
  fail "snapshot.json: $(cat "$T/out/snapshot.json")"

# Read-only: every operation describes, gets or lists, except the one call
# that asks IAM to build the credential report.
ops=$(awk '{for (i = 1; i <= NF; i++) if ($i !~ /^--/ && $(i-1) !~ /^--/) {print $(i+1); break}}' \
  "$T/calls.log" | sort -u)
[ "$(wc -l <<<"$ops")" -gt 20 ] || fail "too few operations seen in the call log: $ops"
bad=$(grep -vE '^(describe|get|list)-|^generate-credential-report$' <<<"$ops" || true)
[ -z "$bad" ] || fail "collect-aws.sh made calls that are not read-only: $bad"

# What it wrote reads like the fixture (same time of collection).
cp "$snap/snapshot.json" "$T/out/snapshot.json"
findings() {
  "$BIN/sweepctl" check "$1" --rules "$root/rules" --format json -o "$T/f.json" 2>/dev/null
  finding_pairs "$T/f.json"
}
diff -u <(findings "$snap") <(findings "$T/out") || fail "collected snapshot gives other findings"
note "collect-aws: layout, modes, read-only calls, same findings ($(wc -l <"$T/calls.log") calls)"
