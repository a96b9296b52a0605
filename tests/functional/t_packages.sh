#!/usr/bin/env bash
# Vulnerable packages through a cluster: sweepctl imports a small OSV
# advisory set written for the test (one withdrawn, one invalid, one
# vulnerability under two ids), signs it and makes it the broker's
# database; a job over a dpkg status file, a CycloneDX SBOM and an npm
# lock file runs on two nodes and reports exactly the expected
# (advisory, package) set; `sweepctl check --advisories` gives the same set;
# an update adds, withdraws and changes advisories; a `host: true` target
# makes the node inventory its own host.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
fx=$root/tests/functional/fixtures/packages
cp -r "$fx/inputs" "$T/inputs"
# The hosts the nodes run on, for `host: true` targets: a Debian 12 root.
mkdir -p "$T/root/var/lib/dpkg" "$T/root/etc"
cp "$fx/inputs/host/status" "$T/root/var/lib/dpkg/status"
cp "$fx/inputs/host/os-release" "$T/root/etc/os-release"
keys_init 2
start_broker
start_node node1 --workers 2 --host-root "$T/root"
start_node node2 --workers 2 --host-root "$T/root"
wait_until 30 nodes_ready 2

ctl advisories import "$fx/osv" --version osv-fixture >"$T/import.out" 2>"$T/import.err" ||
  fail "advisories import: $(cat "$T/import.err")"
grep -q "INVALID-0001.json: .affected\[0\].ranges\[0\].events\[0\]. has no" "$T/import.err" || fail "the invalid advisory was not reported: $(cat "$T/import.err")"
grep -q "advisory database osv-fixture pushed" "$T/import.out" || fail "$(cat "$T/import.out")"

cat >"$T/inputs/job.yaml" <<'JOB'
name: packages-fixtures
targets:
  - scanner: packages
    paths: [host, app, sbom]
JOB
ctl submit "$T/inputs/job.yaml" --wait -o "$T/report.json" >"$T/submit.out" ||
  fail "packages job did not complete: $(cat "$T/submit.out")"

finding_pairs "$T/report.json" >"$T/cluster.txt"
diff -u "$fx/expected.txt" "$T/cluster.txt" || fail "cluster findings differ from the expected set"
(cd "$T/inputs" && "$BIN/sweepctl" check host app sbom --advisories "$fx/osv" --format json \
  -o "$T/check.json" 2>/dev/null)
finding_pairs "$T/check.json" >"$T/local.txt"
diff -u "$T/cluster.txt" "$T/local.txt" || fail "sweepctl check and the cluster differ"

# What a finding must say: the package and version, the aliases, the fixed
# versions, the file, and the database version.
python3 - "$T/report.json" <<'PY' || fail "a finding lacks what it must say"
import json, sys
fs = {f["rule"] + " " + f["resource"]: f for f in json.load(open(sys.argv[1]))["findings"]}
f = fs["GHSA-35jh-r3h4-6jhm pkg:npm/lodash@4.17.20"]
assert f["severity"] == "high" and "CVE-2021-23337" in f["evidence"], f
assert "4.17.21" in f["evidence"] and "4.17.21" in f["remediation"], f
assert f["location"] == "app/package-lock.json", f
assert f["bundle"] == "osv-fixture", f
assert not any(k.startswith("GHSA-wwww") for k in fs), "a withdrawn advisory matched"
assert not any(k.startswith("CVE-2023-0001 ") for k in fs), "an alias was reported twice"
d = [v for k, v in fs.items() if k.startswith("PYSEC-2023-0001 ")]
assert len(d) == 1 and "CVE-2023-0001" in d[0]["evidence"], d
PY
note "packages: cluster and check agree on $(wc -l <"$T/cluster.txt") findings"

# An update adds to the current database instead of replacing it: a new
# advisory (minimist), a withdrawal (lodash) and a changed range (Django
# 3.2.0 no longer affected, and its CVE twin in the first part with it).
ctl advisories import "$fx/osv-update" --update --version osv-update-1 >"$T/update.out" \
  2>"$T/update.err" || fail "advisories import --update: $(cat "$T/update.err")"
grep -q "advisory update osv-update-1 pushed" "$T/update.out" || fail "$(cat "$T/update.out")"
ctl submit "$T/inputs/job.yaml" --wait -o "$T/updated.json" >"$T/submit2.out" ||
  fail "packages job after the update did not complete: $(cat "$T/submit2.out")"
finding_pairs "$T/updated.json" >"$T/updated.txt"
{
  grep -vE '^(GHSA-35jh-r3h4-6jhm|PYSEC-2023-0001) ' "$fx/expected.txt"
  echo "GHSA-vh95-rmgr-6w4m pkg:npm/minimist@1.2.6"
} | sort >"$T/expected-updated.txt"
diff -u "$T/expected-updated.txt" "$T/updated.txt" || fail "the update did not apply as expected"
python3 - "$T/updated.json" <<'PY' || fail "findings after the update do not name its version"
import json, sys
fs = json.load(open(sys.argv[1]))["findings"]
assert fs and all(f["bundle"] == "osv-update-1" for f in fs if f["scanner"] == "packages"), fs[:1]
PY

# A node inventories its own host: the same Debian findings, located on it.
cat >"$T/inputs/host.yaml" <<'JOB'
name: host-inventory
targets:
  - scanner: packages
    host: true
JOB
ctl submit "$T/inputs/host.yaml" --wait -o "$T/host.json" >"$T/host.out" ||
  fail "host job did not complete: $(cat "$T/host.out")"
python3 - "$T/host.json" <<'PY' || fail "the host inventory is not what the node's host holds"
import json, re, sys
fs = json.load(open(sys.argv[1]))["findings"]
got = sorted((f["rule"], f["resource"]) for f in fs)
assert got == [("CVE-2024-0001", "pkg:Debian:12/openssl@3.0.11-1~deb12u1"),
               ("DEBIAN-CVE-2024-0003", "pkg:Debian:12/bash@5.2.15-2+b2")], got
assert all(re.match(r"node[12]:/var/lib/dpkg/status:[0-9]+$", f["location"]) for f in fs), fs
PY

# osv.dev's dumps are zip files: the same advisories from one give the same
# findings.
python3 - "$fx/osv" "$T/all.zip" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for name in sorted(os.listdir(sys.argv[1])):
        z.write(os.path.join(sys.argv[1], name), name)
PY
(cd "$T/inputs" && "$BIN/sweepctl" check host app sbom --advisories "$T/all.zip" --format json \
  -o "$T/zip.json" 2>/dev/null)
finding_pairs "$T/zip.json" | diff -u "$T/cluster.txt" - || fail "advisories from a zip dump give other findings"

# A node that trusts another content key refuses the database, says so,
# and the shard fails with that reason.
stop_all
"$BIN/sweepctl" keys init "$T/other" --nodes 1 >/dev/null
start_broker
start_node node1 --workers 1 --content-key "$T/other/content/bundle.pub"
wait_until 30 nodes_ready 1
cat >"$T/inputs/one.yaml" <<'JOB'
name: forged-database
max_attempts: 2
targets:
  - scanner: packages
    paths: [app]
JOB
set +e
ctl submit "$T/inputs/one.yaml" --wait -o "$T/forged.json" >"$T/forged.out" 2>&1
rc=$?
set -e
[ $rc -eq 4 ] || fail "a job with a refused database exited $rc, expected 4 (incomplete)"
grep -q "advisory database .* refused: advisory bundle signature does not verify" "$T/node1.log" ||
  fail "node1 did not log the refusal"
note "packages: zip dumps read, forged database refused"
