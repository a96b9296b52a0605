#!/usr/bin/env bash
# Secrets detector: a generated 1 GB tree of source, configuration and log
# files with 200 planted secrets (bench/gen_secrets.py), in memory (/dev/shm
# when it has room), scanned with every rule by `sweepctl secrets` on one
# and on two threads (median of RUNS), and by ripgrep running the same
# patterns (-P: PCRE2, since its own engine has no look-arounds) on two
# threads, once, and by secretlint (npm, recommended preset), once, under a
# time limit; then secretlint and ours again on a slice of the same tree
# (SLICE folders of 500 files), which secretlint finishes. Reports scan
# time, throughput, the ratios, and recall on the planted secrets for each
# (a planted secret counts when its file and line are reported, by the
# right rule for ours).
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RUNS=${RUNS:-3}
MB=${SECRETS_MB:-1024}
base=/dev/shm
[ "$(df --output=avail -k "$base" 2>/dev/null | tail -1)" -gt $((MB * 3 * 1024)) ] 2>/dev/null || base=$here/out
corpus=$base/cloudsweep-secrets-$MB
if [ ! -f "$corpus/.complete" ]; then
  rm -rf "$corpus"
  python3 "$here/gen_secrets.py" "$corpus" "$MB" >/dev/null
  touch "$corpus/.complete"
fi
cd "$corpus"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A times
for j in 1 2; do
  for _ in $(seq "$RUNS"); do
    "$bin/sweepctl" secrets tree --rules "$root/rules/secrets" --jobs "$j" --format json -o "ours$j.json" 2>/dev/null || true
    times[$j]+="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["scan_seconds"])' "ours$j.json") "
  done
done
load=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("%.2f" % (s["seconds"]-s["scan_seconds"]))' ours2.json)
ours1=$(tr ' ' '\n' <<<"${times[1]}" | grep . | median)
ours2=$(tr ' ' '\n' <<<"${times[2]}" | grep . | median)
python3 - "$root/rules/secrets" >patterns.txt <<'PY'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    for line in open(f):
        if line.startswith("pattern: "):
            print(json.loads(line[len("pattern: "):]))
PY
rg_s=none
if command -v rg >/dev/null; then
  t0=$(date +%s.%N)
  rg -P -n --no-heading -j 2 -f patterns.txt tree >rg.out 2>/dev/null || true
  rg_s=$(echo "scale=1; ($(date +%s.%N) - $t0) / 1" | bc)
fi
# secretlint (npm, its recommended preset), when npm is there: installed
# into bench/out, run once on the same tree.
sl_s=none
if command -v npm >/dev/null; then
  sl=$here/out/secretlint
  if [ ! -x "$sl/node_modules/.bin/secretlint" ]; then
    mkdir -p "$sl"
    (cd "$sl" && timeout 300 npm install --silent --no-audit --no-fund secretlint \
      @secretlint/secretlint-rule-preset-recommend >/dev/null 2>&1) || true
  fi
  if [ -x "$sl/node_modules/.bin/secretlint" ]; then
    echo '{"rules": [{"id": "@secretlint/secretlint-rule-preset-recommend"}]}' >.secretlintrc.json
    t0=$(date +%s.%N)
    sl_rc=0
    NODE_PATH=$sl/node_modules timeout "${SECRETLINT_TIMEOUT:-900}" \
      "$sl/node_modules/.bin/secretlint" "tree/**/*" --format compact \
      --secretlintrc .secretlintrc.json --output sl.txt >/dev/null 2>&1 || sl_rc=$?
    sl_s=$(echo "scale=1; ($(date +%s.%N) - $t0) / 1" | bc)
    [ "$sl_rc" -ne 124 ] || sl_s=timeout
    # The same on a slice of the same tree (its first SLICE folders of 500
    # files), which secretlint finishes: time, ratio and recall there.
    slice=$(seq -f 'tree/d%03g' 0 $((${SLICE:-2} - 1)))
    globs=()
    for d in $slice; do globs+=("$d/**/*"); done # secretlint expands them
    t0=$(date +%s.%N)
    NODE_PATH=$sl/node_modules timeout "${SECRETLINT_TIMEOUT:-900}" \
      "$sl/node_modules/.bin/secretlint" "${globs[@]}" --format compact \
      --secretlintrc .secretlintrc.json --output sl-slice.txt >/dev/null 2>&1 || true
    slice_sl=$(echo "scale=2; ($(date +%s.%N) - $t0) / 1" | bc)
    slice_times=""
    for _ in $(seq "$RUNS"); do
      # shellcheck disable=SC2086
      "$bin/sweepctl" secrets $slice --rules "$root/rules/secrets" --jobs 2 --format json \
        -o ours-slice.json 2>/dev/null || true
      slice_times+="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["scan_seconds"])' ours-slice.json) "
    done
    slice_ours=$(tr ' ' '\n' <<<"$slice_times" | grep . | median)
    # shellcheck disable=SC2086
    slice_mb=$(du -sm --apparent-size $slice | awk '{t += $1} END {print t}')
  fi
fi
recall() {
  python3 - "$@" <<'PY'
import json, sys
planted = [l.rstrip("\n").split("\t") for l in open("planted.tsv")]
if len(sys.argv) > 2:  # a slice: the planted secrets under its folders
    planted = [p for p in planted if any(p[0].startswith(d + "/") for d in sys.argv[2].split())]
if sys.argv[1].startswith("ours"):
    name = "ours-slice.json" if sys.argv[1] == "ours-slice" else "ours2.json"
    found = {(f["file"], str(f["line"]), f["rule"]) for f in json.load(open(name))["findings"]}
    n = sum(1 for p in planted if (p[0], p[1], p[2]) in found)
elif sys.argv[1].startswith("secretlint"):
    import re
    lines = set()
    for l in open("sl-slice.txt" if sys.argv[1] == "secretlint-slice" else "sl.txt", errors="replace"):
        m = re.match(r"^(.*?): line (\d+), col", l)
        if m:
            path = m.group(1)
            lines.add((path[path.index("tree/"):] if "tree/" in path else path, m.group(2)))
    n = sum(1 for p in planted if (p[0], p[1]) in lines)
else:
    lines = set()
    for l in open("rg.out", errors="replace"):
        parts = l.split(":", 2)
        if len(parts) >= 2:
            lines.add((parts[0], parts[1]))
    n = sum(1 for p in planted if (p[0], p[1]) in lines)
print(f"{n}/{len(planted)}")
PY
}
mbs() { python3 -c "print('%.0f' % ($MB * 1.024 / $1))"; }
echo "## Secrets: ${MB} MB tree, 200 planted secrets, $(grep -c . patterns.txt) rules"
echo
echo "| tool | scan time | throughput | recall |"
echo "|---|---|---|---|"
echo "| sweepctl secrets, 1 thread (median of $RUNS) | ${ours1} s | $(mbs "$ours1") MB/s | $(recall ours) |"
echo "| sweepctl secrets, 2 threads (median of $RUNS) | ${ours2} s | $(mbs "$ours2") MB/s | $(recall ours) |"
if [ "$rg_s" != none ]; then
  echo "| ripgrep $(rg --version 2>/dev/null | awk 'NR == 1 {print $2}') -P -j2, same patterns (1 run) | ${rg_s} s | $(mbs "$rg_s") MB/s | $(recall rg) |"
  echo
  echo "Ratio on two threads: ripgrep / sweepctl = $(python3 -c "print('%.0f' % ($rg_s / $ours2))")x on scan time," \
    "$(python3 -c "print('%.0f' % ($rg_s / ($ours2 + $load)))")x counting our rule loading."
fi
if [ "$sl_s" = timeout ]; then
  echo
  echo "secretlint (recommended preset) did not finish in ${SECRETLINT_TIMEOUT:-900} s; stopped."
elif [ "$sl_s" != none ]; then
  echo
  echo "secretlint $(NODE_PATH=$sl/node_modules "$sl/node_modules/.bin/secretlint" --version 2>/dev/null)" \
    "(recommended preset), 1 run: ${sl_s} s, $(mbs "$sl_s") MB/s, recall $(recall secretlint);" \
    "secretlint / sweepctl (2 threads) = $(python3 -c "print('%.0f' % ($sl_s / $ours2))")x."
fi
if [ -n "${slice_sl:-}" ]; then
  echo
  echo "On a slice of the same tree ($(wc -w <<<"$slice") folders, ${slice_mb} MB):" \
    "secretlint ${slice_sl} s ($(python3 -c "print('%.0f' % ($slice_mb / $slice_sl))") MB/s)," \
    "recall $(recall secretlint-slice "$slice");" \
    "sweepctl secrets, 2 threads (median of $RUNS), ${slice_ours} s, recall $(recall ours-slice "$slice");" \
    "secretlint / sweepctl = $(python3 -c "print('%.0f' % ($slice_sl / $slice_ours))")x."
fi
echo "Rule loading (Hyperscan and PCRE2 compilation) takes ${load} s more, once per run."
echo
