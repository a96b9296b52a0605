#!/usr/bin/env bash
# Runs every functional test (tests/functional/t_*.sh) inside a private
# network namespace, so scans see only the listeners the tests start.
# Usage: tests/functional/run.sh BIN_DIR [TEST...]
set -euo pipefail

bin=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${SW_IN_NETNS:-}" ]; then
  if ! unshare -rn true 2>/dev/null; then
    echo "functional tests need a private network namespace (unshare -rn), which is not" \
         "available here: enable unprivileged user namespaces or run as root" >&2
    exit 1
  fi
  exec env SW_IN_NETNS=1 unshare -rn "$0" "$bin" "$@"
fi
ip link set lo up
# Ephemeral ports stay above 40000 in this namespace, so a test can bind
# fixed ports below it (a restarted broker) without racing a connect.
echo "40000 60999" >/proc/sys/net/ipv4/ip_local_port_range

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  mapfile -t tests < <(cd "$here" && ls t_*.sh)
fi

passed=0
failed=0
failures=()
for t in "${tests[@]}"; do
  start=$(date +%s%N)
  log=$(mktemp)
  if timeout --kill-after=10 240 bash "$here/$t" "$bin" >"$log" 2>&1; then
    passed=$((passed + 1))
    printf 'PASS %-28s %6d ms\n' "$t" $((($(date +%s%N) - start) / 1000000))
  else
    failed=$((failed + 1))
    failures+=("$t")
    printf 'FAIL %-28s %6d ms\n' "$t" $((($(date +%s%N) - start) / 1000000))
    sed 's/^/    | /' "$log" | tail -60
  fi
  rm -f "$log"
done
echo "functional: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
