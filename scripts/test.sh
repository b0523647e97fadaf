#!/usr/bin/env bash
# The whole test suite against a throwaway PostgreSQL: starts it on a free port, runs `dotnet test` on the
# solution, stops it, and exits with the suite's status.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
ensure_chromium() {
  [[ -x ${CHROMIUM_PATH:-/usr/bin/chromium} ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: /usr/bin/chromium is missing and this is not root: install Debian's chromium package and retry." >&2
    exit 1
  fi
  echo "Chromium not found; installing it with apt-get..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
}

pg_ensure_installed
ensure_chromium
data=$(mktemp -d /tmp/opc-test-pg.XXXXXX)
chmod 755 "$data"
port=$(pg_free_port)
cleanup() { pg_stop "$data/cluster"; rm -rf "$data"; }
trap cleanup EXIT

# A test cluster: durability off for speed, room for many parallel test databases and their pools.
pg_start "$data/cluster" "$port" -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c max_connections=500 -c shared_buffers=256MB
export ONEPASSWORDCONNECTOR_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
export ONEPASSWORDCONNECTOR_TEST_POSTGRES_DATA="$data/cluster"
echo "Test PostgreSQL on 127.0.0.1:$port"

results=$(mktemp -d /tmp/opc-test-results.XXXXXX)
status=0
dotnet test OnePasswordConnector.sln --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@" || status=$?

# One plain closing line with the counts, whatever the runner printed above it.
read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' |
    sed -E 's/.* passed="([0-9]+)" failed="([0-9]+)".* notExecuted="([0-9]+)".*/\1 \2 \3/' |
    awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}'
)
# CI keeps the TRX files as an artifact: TEST_RESULTS_DIR names a folder to copy them into.
if [[ -n ${TEST_RESULTS_DIR:-} ]]; then
  mkdir -p "$TEST_RESULTS_DIR" && cp "$results"/*.trx "$TEST_RESULTS_DIR"/ 2>/dev/null || true
fi
rm -rf "$results"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [[ $status -eq 0 && $passed -eq 0 ]]; then
  echo "error: no test ran" >&2
  status=1
fi
exit "$status"
