#!/usr/bin/env bash
# make bench: runs every benchmark inside a private network namespace and
# writes the figures to bench/out/results.md (and stdout).
# Usage: bench/run.sh BIN_DIR [broker|portscan|net|posture|packages|secrets]...
set -euo pipefail

bin=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
which=("$@")
[ ${#which[@]} -gt 0 ] || which=(portscan net broker posture packages secrets)

if [ -z "${SW_IN_NETNS:-}" ]; then
  "$here/../scripts/deps.sh" --bench
  exec env SW_IN_NETNS=1 unshare -rn "$0" "$bin" "${which[@]}"
fi
ip link set lo up
mkdir -p "$here/out"
out=$here/out/results.md
{
  echo "# cloudsweep benchmarks"
  echo
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(uname -r); inside a private network namespace."
  echo
} >"$out"
for b in "${which[@]}"; do
  bash "$here/bench_$b.sh" "$bin" | tee -a "$out"
done
echo
echo "results written to bench/out/results.md"
