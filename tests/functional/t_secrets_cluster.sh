#!/usr/bin/env bash
# Secrets jobs through a cluster, and the security test of issue 6: known
# secrets are planted in a file tree (a source file, a .env file, a tgz, a
# zip inside a tar, a binary file) and in a git repository (a token
# committed and then removed, another on a branch). One job scans the tree
# and the history (in three parts) on two nodes. Every planted secret is
# reported at its place, with the same keyed fingerprint `sweepctl secrets`
# gives with the deployment's key. Then every byte the system wrote is
# searched for the clear values: both LevelDB stores (raw files and their
# decoded records), the node blob caches, every log, every report and
# listing. None may hold one.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
W=$T/work
mkdir -p "$W/tree/src" "$W/tree/pkg" "$T/stage/deep"
# Made-up values in the documented formats, written for this test.
rnd() { python3 -c "import random,string; r=random.Random($1); print(''.join(r.choice('$2') for _ in range($3)))"; }
aws=AKIA$(rnd 11 ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 16)
ghp=ghp_$(rnd 12 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 36)
pgpw=$(rnd 13 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 20)
slack=xoxb-223456789012-2234567890123-$(rnd 14 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 24)
ghp2=ghp_$(rnd 15 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 36)
slack2=xoxb-323456789012-3234567890123-$(rnd 16 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 24)
values=("$aws" "$ghp" "$pgpw" "$slack" "$ghp2" "$slack2")

printf 'import os\n\nKEY = "%s"\nDB = "postgres://app:%s@db:5432/app"\n' "$aws" "$pgpw" >"$W/tree/src/app.py"
printf 'GITHUB_TOKEN=%s\n' "$ghp" >"$W/tree/src/.env"
printf '# settings\nslack_token: %s\n' "$slack" >"$T/stage/settings.yaml"
tar czf "$W/tree/pkg/bundle.tgz" -C "$T/stage" settings.yaml
printf 'again = "%s"\n' "$aws" >"$T/stage/deep/copy.py"
(cd "$T/stage" && python3 -c "
import zipfile; z = zipfile.ZipFile('inner.zip', 'w', zipfile.ZIP_DEFLATED); z.write('deep/copy.py'); z.close()")
tar cf "$W/tree/pkg/nested.tar" -C "$T/stage" inner.zip
printf 'bin\0ary %s\n' "$ghp" >"$W/tree/src/blob.bin"
for i in $(seq 1 40); do printf 'line %s of nothing\n' "$i" >"$W/tree/src/plain$i.txt"; done

repo=$W/repo
mkdir -p "$repo"
(
  cd "$repo"
  export GIT_CONFIG_NOSYSTEM=1 HOME=$T GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
    GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
  git init -q -b main .
  for i in $(seq 1 12); do echo "print($i)" >"m$i.py"; done
  git add . && git commit -qm start
  printf 'GITHUB_TOKEN=%s\n' "$ghp2" >.env && git add .env && git commit -qm oops
  git rev-parse HEAD >"$T/oops.commit"
  git rm -q .env && git commit -qm "remove the token"
  git checkout -qb feature && printf 'slack = "%s"\n' "$slack2" >chat.py && git add chat.py
  git commit -qm chat && git rev-parse HEAD >"$T/chat.commit" && git checkout -q main
  git gc -q # objects in a pack, as in most real repositories
) >/dev/null
git -C "$repo" log --all -p >"$T/stage/history.txt"
for v in "${values[@]}"; do grep -rqF -- "$v" "$W/tree" "$T/stage" || fail "the fixture lacks a planted value"; done

keys_init 2
[ "$(stat -c %a "$K/content/fingerprint.key")" = 600 ] || fail "fingerprint.key is not 0600"
start_broker
start_node node1 --workers 2
start_node node2 --workers 2
wait_until 30 nodes_ready 2
ctl rules push "$root/rules" >/dev/null || fail "rules push failed"

cat >"$W/job.yaml" <<'JOB'
name: secrets-planted
lease_ms: 10000
targets:
  - scanner: secrets
    paths: [tree]
  - scanner: secrets
    history: true
    paths: [repo]
    shards: 3
JOB
ctl submit "$W/job.yaml" --wait -o "$T/report.json" >"$T/submit.out" ||
  fail "secrets job did not complete: $(cat "$T/submit.out")"
job=$(ctl jobs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][-1]["id"])')
ctl findings "$job" --limit 1000 >"$T/findings.txt"
ctl jobs --json >"$T/jobs.json"
ctl status --json >"$T/status.json"
ctl watch "$job" >"$T/watch.txt" 2>&1

# Every planted secret, at its place; nothing else.
python3 - "$T/report.json" "$(cut -c1-12 "$T/oops.commit")" "$(cut -c1-12 "$T/chat.commit")" <<'PY' || fail "the report is not the expected set"
import json, sys
r = json.load(open(sys.argv[1]))
fs = [f for f in r["findings"] if f["scanner"] == "secrets"]
got = sorted((f["rule"], f["resource"], f["location"]) for f in fs)
want = sorted([
    ("aws-access-key-id", "tree/src/app.py", "line 3, column 8"),
    ("database-url-password", "tree/src/app.py", "line 4, column 22"),
    ("github-pat", "tree/src/.env", "line 1, column 14"),
    ("slack-bot-token", "tree/pkg/bundle.tgz!/settings.yaml", "line 2, column 14"),
    ("aws-access-key-id", "tree/pkg/nested.tar!/inner.zip!/deep/copy.py", "line 1, column 10"),
    ("github-pat", "repo@%s:.env" % sys.argv[2], "line 1, column 14"),
    ("slack-bot-token", "repo@%s:chat.py" % sys.argv[3], "line 1, column 10"),
])
assert got == want, "\n".join(map(str, got))
assert len(r["findings"]) == len(fs), "findings of other scanners"
PY
note "7 planted secrets reported in place (2 in archives, 2 in history only)"

# The fingerprint is keyed with the deployment's key: `sweepctl secrets`
# with that key gives the same ones, and one secret in two places has one.
(cd "$W" && "$BIN/sweepctl" secrets tree --rules "$root/rules/secrets" \
  --fingerprint-key "$K/content/fingerprint.key" --format json -o "$T/local.json" 2>>"$T/local.log")
python3 - "$T/report.json" "$T/local.json" <<'PY' || fail "cluster and local fingerprints differ"
import json, re, sys
cl = {}
for f in json.load(open(sys.argv[1]))["findings"]:
    m = re.search(r"keyed fingerprint ([0-9a-f]{64})", f["evidence"])
    assert m, f["evidence"]
    cl[(f["rule"], f["resource"])] = m.group(1)
loc = {(f["rule"], f["file"]): f["fingerprint"] for f in json.load(open(sys.argv[2]))["findings"]}
tree = {k: v for k, v in cl.items() if k[1].startswith("tree/")}
assert tree == loc, (tree, loc)
assert cl[("aws-access-key-id", "tree/src/app.py")] == \
    cl[("aws-access-key-id", "tree/pkg/nested.tar!/inner.zip!/deep/copy.py")]
PY
grep -q 'AKIA\*\*\*\*' "$T/report.json" || fail "the report shows no masked preview"

# Every byte the system wrote: stores (raw, and decoded: table files are
# compressed), blob caches, logs, reports and listings.
stop_all
for d in broker node1 node2; do
  store=$T/$d/store
  [ -d "$store" ] || store=$T/$d/journal
  "$BIN/sw-storedump" "$store" >"$T/$d.dump" 2>>"$T/dump.log" || fail "cannot read the $d store"
done
grep -q 'AKIA\*\*\*\*' "$T/broker.dump" || fail "the broker store dump holds no finding (dump broken?)"
left=$(find "$T/node1/blobs" "$T/node2/blobs" -type f | wc -l)
for v in "${values[@]}"; do
  hits=$(grep -rlF -- "$v" "$T/broker" "$T/node1" "$T/node2" "$T"/*.dump "$T"/*.log \
    "$T/report.json" "$T/findings.txt" "$T/jobs.json" "$T/status.json" "$T/watch.txt" \
    "$T/submit.out" 2>/dev/null || true)
  [ -z "$hits" ] || fail "a clear secret (${v:0:4}...) is in: $hits"
done
find "$T/node1/blobs" "$T/node2/blobs" -name 'history-*' | grep -q . && fail "an unpacked history was left behind"
note "no clear value in either store, the blob caches ($left files left: the bundle), logs or reports"
