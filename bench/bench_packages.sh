#!/usr/bin/env bash
# Packages scanner: a generated set of 100,000 OSV advisories (npm, PyPI,
# Debian, Go; bench/gen_osv.py) is imported and indexed, and a 5,000-package
# CycloneDX inventory is matched against the warm index, RUNS times
# (tests/tools/sw_osvbench.c). Reports import time, index size, the time to
# load the index (what a node does once per database), and the median time
# to match the whole inventory.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
set_dir=$here/out/osv-set
if [ ! -f "$set_dir/.complete" ]; then
  rm -rf "$set_dir"
  python3 "$here/gen_osv.py" "$set_dir"
  touch "$set_dir/.complete"
fi
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
imports=() loads=() matches=()
for _ in $(seq "$RUNS"); do
  line=$("$bin/sw-osvbench" "$set_dir/osv" "$set_dir/bom.cdx.json" 50)
  imports+=("$(sed -E 's/.*import\+index ([0-9.]+) s.*/\1/' <<<"$line")")
  loads+=("$(sed -E 's/.*index load ([0-9.]+) ms.*/\1/' <<<"$line")")
  matches+=("$(sed -E 's/.*match median ([0-9.]+) ms.*/\1/' <<<"$line")")
done
echo "## Packages scanner: 100,000 advisories, 5,000-package inventory"
echo
echo "- Last run: $line"
echo "- Import and index (median of $RUNS): $(printf '%s\n' "${imports[@]}" | median) s."
echo "- Index load on a node (median): $(printf '%s\n' "${loads[@]}" | median) ms."
m=$(printf '%s\n' "${matches[@]}" | median)
echo "- Matching the whole inventory, warm index (median of medians): $m ms (goal: under 50 ms)."
echo
