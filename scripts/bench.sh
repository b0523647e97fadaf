#!/usr/bin/env bash
# The performance benchmark (not part of the test suite): starts a throwaway PostgreSQL tuned like the test one,
# builds in Release, runs sizes S and L (or those given: scripts/bench.sh --sizes S), then full syncs from a bridge
# answering in 100 ms at concurrency 1 and 4 (--latency-ms N to change it, 0 to skip), prints the tables and the
# ratio line. --sizes S,L,XL adds the opt-in million-user size and the scale line (fitted exponents, peak at XL);
# --chart docs/performance-scale.svg draws the sizes run. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

pg_ensure_installed
data=$(mktemp -d /tmp/opc-bench-pg.XXXXXX)
chmod 755 "$data"
port=$(pg_free_port)
trap 'pg_stop "$data/cluster"; rm -rf "$data"' EXIT
pg_start "$data/cluster" "$port" -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=8GB -c checkpoint_timeout=30min
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- src tests || commit="$commit+changes"
export ONEPASSWORDCONNECTOR_BENCH_COMMIT=$commit
export ONEPASSWORDCONNECTOR_BENCH_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"

dotnet build tests/OnePasswordConnector.Benchmarks -c Release -v quiet -nologo >/dev/null
dotnet tests/OnePasswordConnector.Benchmarks/bin/Release/net10.0/OnePasswordConnector.Benchmarks.dll "$@"
