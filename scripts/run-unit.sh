#!/usr/bin/env bash
# Runs Criterion unit-test binaries and sums their results.
# Usage: scripts/run-unit.sh TEST_BINARY...
set -euo pipefail

passed=0
failed=0
bad=()
for t in "$@"; do
  out=$("$t" --jobs 2 2>&1) && rc=0 || rc=$?
  line=$(echo "$out" | grep -E 'Synthesis: Tested:' | tail -1)
  tested=$(echo "$line" | sed -nE 's/.*Tested: ([0-9]+).*/\1/p')
  passing=$(echo "$line" | sed -nE 's/.*Passing: ([0-9]+).*/\1/p')
  printf '%-28s %s\n' "$(basename "$t")" "${line:-no synthesis line (rc $rc)}"
  if [ "$rc" -ne 0 ] || [ -z "$tested" ] || [ "$tested" != "$passing" ]; then
    bad+=("$t")
    echo "$out" | grep -vE '^\[----\]|Synthesis' | tail -40
    failed=$((failed + ${tested:-1} - ${passing:-0}))
  fi
  passed=$((passed + ${passing:-0}))
done
echo "unit: $passed passed, $failed failed"
[ ${#bad[@]} -eq 0 ]
