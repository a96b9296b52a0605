#!/usr/bin/env bash
# sweepctl secrets over a planted tree: a source file, a .env file, a
# gzip'd tarball and a zip inside a tar, a binary file. Every planted secret
# is reported at its place, by its rule; no clear value appears in any
# output, table or JSON, or in the log; fingerprints are keyed (stable
# across runs and places with one key, different with another); a
# world-readable key file is refused; --fail-on sets the exit code. Then a
# git history with a token committed and removed, and one on a branch.
# shellcheck source=tests/functional/lib.sh
. "$(dirname "$0")/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
tree=$T/tree
mkdir -p "$tree/src" "$tree/pkg" "$T/stage/deep"
# Made-up values in the documented formats, written for this test.
aws=AKIA$(python3 -c 'import random; r=random.Random(1); print("".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)))')
ghp=ghp_$(python3 -c 'import random,string; r=random.Random(2); print("".join(r.choice(string.ascii_letters+string.digits) for _ in range(36)))')
pgpw=$(python3 -c 'import random,string; r=random.Random(3); print("".join(r.choice(string.ascii_letters+string.digits) for _ in range(20)))')
slack=xoxb-123456789012-1234567890123-$(python3 -c 'import random,string; r=random.Random(4); print("".join(r.choice(string.ascii_letters+string.digits) for _ in range(24)))')
printf 'import os\n\nKEY = "%s"\nDB = "postgres://app:%s@db:5432/app"\n' "$aws" "$pgpw" >"$tree/src/app.py"
printf 'GITHUB_TOKEN=%s\n' "$ghp" >"$tree/src/.env"
printf '# settings\nslack_token: %s\n' "$slack" >"$T/stage/settings.yaml"
tar czf "$tree/pkg/bundle.tgz" -C "$T/stage" settings.yaml
printf 'again = "%s"\n' "$aws" >"$T/stage/deep/copy.py"
(cd "$T/stage" && python3 -c "
import zipfile; z = zipfile.ZipFile('inner.zip', 'w', zipfile.ZIP_DEFLATED); z.write('deep/copy.py'); z.close()")
tar cf "$tree/pkg/nested.tar" -C "$T/stage" inner.zip
printf 'bin\0ary %s\n' "$ghp" >"$tree/src/blob.bin"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/fp.key"
chmod 600 "$T/fp.key"
run() { "$BIN/sweepctl" secrets "$tree" --rules "$root/rules/secrets" --fingerprint-key "$T/fp.key" "$@"; }
{
  run --format json -o "$T/a.json"
  run >"$T/table.txt"
  run --format json -o "$T/b.json"
} 2>>"$T/secrets.log"

python3 - "$T/a.json" "$tree" <<'PY' || fail "the report is not the expected set"
import json, sys
r = json.load(open(sys.argv[1]))
t = sys.argv[2]
got = sorted((f["rule"], f["file"].replace(t, "TREE"), f["line"]) for f in r["findings"])
want = sorted([
    ("aws-access-key-id", "TREE/src/app.py", 3),
    ("database-url-password", "TREE/src/app.py", 4),
    ("github-pat", "TREE/src/.env", 1),
    ("slack-bot-token", "TREE/pkg/bundle.tgz!/settings.yaml", 2),
    ("aws-access-key-id", "TREE/pkg/nested.tar!/inner.zip!/deep/copy.py", 1),
])
assert got == want, got
s = r["summary"]
assert s["skipped_binary"] == 1 and s["archives"] == 2 and s["fingerprint_key"] == "given", s
fp = {f["file"].replace(t, "TREE"): f["fingerprint"] for f in r["findings"] if f["rule"] == "aws-access-key-id"}
assert fp["TREE/src/app.py"] == fp["TREE/pkg/nested.tar!/inner.zip!/deep/copy.py"], fp
PY
# One key, two runs: the same fingerprints.
[ "$(python3 -c 'import json,sys; print(sorted(f["fingerprint"] for f in json.load(open(sys.argv[1]))["findings"]))' "$T/a.json")" = \
  "$(python3 -c 'import json,sys; print(sorted(f["fingerprint"] for f in json.load(open(sys.argv[1]))["findings"]))' "$T/b.json")" ] \
  || fail "fingerprints changed between runs with one key"
# Another key: other fingerprints.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/other.key"
chmod 600 "$T/other.key"
"$BIN/sweepctl" secrets "$tree" --rules "$root/rules/secrets" --fingerprint-key "$T/other.key" \
  --format json -o "$T/c.json" 2>>"$T/secrets.log"
a_fp=$(python3 -c 'import json,sys; print(sorted(f["fingerprint"] for f in json.load(open(sys.argv[1]))["findings"])[0])' "$T/a.json")
! grep -q "$a_fp" "$T/c.json" || fail "a fingerprint did not depend on the key"

# No clear value anywhere we wrote.
for v in "$aws" "$ghp" "$pgpw" "$slack"; do
  for f in "$T/a.json" "$T/b.json" "$T/c.json" "$T/table.txt" "$T/secrets.log"; do
    ! grep -qF "$v" "$f" || fail "a clear secret is in $(basename "$f")"
  done
done
grep -q "AKIA\*\*\*\*" "$T/table.txt" || fail "the table shows no masked preview"

# A key file others can read is refused; --fail-on decides the exit code.
chmod 644 "$T/other.key"
set +e
out=$("$BIN/sweepctl" secrets "$tree" --rules "$root/rules/secrets" --fingerprint-key "$T/other.key" 2>&1)
rc=$?
run --fail-on critical >/dev/null 2>&1
rc_crit=$?
"$BIN/sweepctl" secrets "$T/stage/deep/.." --rules "$root/rules/secrets" --fail-on critical -o /dev/null 2>/dev/null
rc_none=$?
set -e
{ [ $rc -eq 2 ] && [[ $out == *"mode 0644"* ]]; } || fail "a 0644 key file was not refused: $rc $out"
[ $rc_crit -eq 1 ] || fail "--fail-on critical with a GitHub token exited $rc_crit"
[ $rc_none -eq 0 ] || fail "--fail-on critical without a critical finding exited $rc_none"
note "5 planted secrets found in place (2 inside archives), none in clear in any output"

# Git history: a token committed, then removed, on one branch; another on a
# second branch. Both are found at the commit that brought them in.
repo=$T/repo
mkdir -p "$repo"
(
  cd "$repo"
  export GIT_CONFIG_NOSYSTEM=1 HOME=$T GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
    GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
  git init -q -b main .
  echo 'print(1)' >app.py && git add app.py && git commit -qm start
  printf 'GITHUB_TOKEN=%s\n' "$ghp" >.env && git add .env && git commit -qm oops
  git rev-parse HEAD >"$T/oops.commit"
  git rm -q .env && git commit -qm "remove the token"
  git checkout -qb feature && printf 'slack = "%s"\n' "$slack" >chat.py && git add chat.py
  git commit -qm chat && git rev-parse HEAD >"$T/chat.commit" && git checkout -q main
) >/dev/null
"$BIN/sweepctl" secrets --history "$repo" --rules "$root/rules/secrets" --fingerprint-key "$T/fp.key" \
  --format json -o "$T/history.json" 2>>"$T/secrets.log"
python3 - "$T/history.json" "$(cat "$T/oops.commit")" "$(cat "$T/chat.commit")" <<'PY' || fail "history findings are wrong"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted((f["rule"], f["file"].split(":")[-1], f["commit"]) for f in r["findings"])
want = sorted([("github-pat", ".env", sys.argv[2]), ("slack-bot-token", "chat.py", sys.argv[3])])
assert got == want, got
assert r["summary"]["commits"] == 4, r["summary"]
PY
for v in "$ghp" "$slack"; do ! grep -qF "$v" "$T/history.json" "$T/secrets.log" || fail "a clear secret in the history output"; done
note "git history: both tokens found at the commits that brought them in"
