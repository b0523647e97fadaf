#!/usr/bin/env bash
# Runs the service on http://localhost:5080 with Swagger UI. Where no ConnectionStrings__Postgres is set, starts a
# local PostgreSQL under .data/ first; also starts the demo SCIM bridge on loopback and registers it as a demo
# connection, so the first sync shows real rows. Ctrl+C stops everything it started. If the service or the bridge
# stops on its own, prints its last log lines and exits non-zero.
#
# Settings (environment variables; docs/configuration.md lists them too):
#   ConnectionStrings__Postgres  use this database instead of starting a local PostgreSQL
#   CONNECTOR_DEV_PG_PORT        port of the local PostgreSQL (55432)
#   CONNECTOR_PORT               port of the service on localhost (5080); ASPNETCORE_URLS, when set, wins
#   CONNECTOR_DEMO_BRIDGE_PORT   port of the demo bridge on 127.0.0.1 (5090)
#   CONNECTOR_DATA_DIR           where the API key, the bridge token, the local PostgreSQL and the logs live (.data)
#   CONNECTOR_CONFIGURATION      the build configuration to build and run (Release)
#   CONNECTOR_NO_BUILD           1: run what was built last instead of building first
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

data_dir=${CONNECTOR_DATA_DIR:-.data}
mkdir -p "$data_dir/logs"
data_dir=$(cd "$data_dir" && pwd)
configuration=${CONNECTOR_CONFIGURATION:-Release}
urls=${ASPNETCORE_URLS:-http://localhost:${CONNECTOR_PORT:-5080}}
base_url=${urls%%;*}
base_url=${base_url/\/\/+:/\/\/localhost:}
base_url=${base_url/\/\/\*:/\/\/localhost:}
service_log=$data_dir/logs/service.log
bridge_log=$data_dir/logs/demo-bridge.log
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${pg_data:-} ]] && pg_stop "$pg_data"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stopped NAME PID LOG: says that a process ended on its own, with its exit status and last log lines, on stderr.
stopped() {
  local name=$1 pid=$2 log=$3 status=0
  wait "$pid" 2>/dev/null || status=$?
  {
    echo "error: the $name stopped (exit status $status). Its last log lines ($log):"
    tail -n 40 "$log" | sed 's/^/  | /'
  } >&2
}

# await_ready NAME PID LOG URL: polls URL until it answers, for up to 90 s; fails at once if the process ends.
await_ready() {
  local name=$1 pid=$2 log=$3 url=$4 deadline=$((SECONDS + 90))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      stopped "$name" "$pid" "$log"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "error: the $name did not answer $url within 90 s. Its last log lines ($log):" >&2
      tail -n 40 "$log" | sed 's/^/  | /' >&2
      exit 1
    fi
    sleep 0.5
  done
}

if [[ -z ${ConnectionStrings__Postgres:-} ]]; then
  pg_ensure_installed
  pg_data="$data_dir/postgres"
  pg_port=${CONNECTOR_DEV_PG_PORT:-55432}
  if [[ $(id -u) -eq 0 ]]; then chmod 755 "$data_dir"; fi
  pg_start "$pg_data" "$pg_port"
  pg_as_owner "$(pg_bin_dir)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'connector'" | grep -q 1 ||
    pg_as_owner "$(pg_bin_dir)/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres connector
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=connector"
  echo "Local PostgreSQL on 127.0.0.1:$pg_port (data in $pg_data)"
fi

# A development API key, made once and kept in the data folder (never committed). Only its SHA-256 reaches the service.
[[ -f $data_dir/dev-api-key ]] || head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$data_dir/dev-api-key"
api_key=$(cat "$data_dir/dev-api-key")
export ApiKeys__0__Name=development ApiKeys__0__Tenant='*'
export ApiKeys__0__Sha256=$(printf '%s' "$api_key" | sha256sum | cut -d' ' -f1)
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
# The demo bridge is plain http on loopback; a real bridge is https on a public address.
export BridgeUrlPolicy__AllowHttp=${BridgeUrlPolicy__AllowHttp:-true}
export BridgeUrlPolicy__AllowPrivateAddresses=${BridgeUrlPolicy__AllowPrivateAddresses:-true}

if [[ ${CONNECTOR_NO_BUILD:-} != 1 ]]; then
  dotnet build OnePasswordConnector.sln -c "$configuration" -v quiet -nologo >/dev/null
fi
service_bin=src/OnePasswordConnector/bin/$configuration/net10.0
bridge_bin=src/OnePasswordConnector.DemoBridge/bin/$configuration/net10.0

demo_url=http://127.0.0.1:${CONNECTOR_DEMO_BRIDGE_PORT:-5090}
[[ -f $data_dir/demo-bridge-token ]] || head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$data_dir/demo-bridge-token"
demo_token=$(cat "$data_dir/demo-bridge-token")
# Each process runs in its output folder, its content root, so it reads the appsettings.json built with it.
# The demo bridge also fakes the 1Password Events API (its own token), so syncs show last sign-ins.
[[ -f $data_dir/demo-events-token ]] || head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$data_dir/demo-events-token"
events_token=$(cat "$data_dir/demo-events-token")
export Events__AdditionalHosts__0=${Events__AdditionalHosts__0:-127.0.0.1}
(cd "$bridge_bin" && DemoBridge__BearerToken=$demo_token DemoBridge__EventsToken=$events_token exec dotnet OnePasswordConnector.DemoBridge.dll --urls "$demo_url") >"$bridge_log" 2>&1 &
bridge_pid=$!
pids+=("$bridge_pid")
(cd "$service_bin" && exec dotnet OnePasswordConnector.dll --urls "$urls") >"$service_log" 2>&1 &
service_pid=$!
pids+=("$service_pid")

await_ready "demo bridge" "$bridge_pid" "$bridge_log" "$demo_url/ping"
await_ready service "$service_pid" "$service_log" "$base_url/health/ready"

existing=$(curl -fsS -H "X-Api-Key: $api_key" "$base_url/api/v1/tenants/demo/connections")
if [[ $existing == "[]" ]]; then
  curl -fsS -o /dev/null -H "X-Api-Key: $api_key" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Demo bridge\",\"scimBridgeUrl\":\"$demo_url\",\"bearerToken\":\"$demo_token\",\"syncIntervalMinutes\":60}" \
    "$base_url/api/v1/tenants/demo/connections" && echo "Registered the demo bridge as a connection of tenant 'demo'."
  demo_id=$(curl -fsS -H "X-Api-Key: $api_key" "$base_url/api/v1/tenants/demo/connections" | sed -E 's/^\[\{"id":"([^"]+)".*/\1/')
  curl -fsS -o /dev/null -X PUT -H "X-Api-Key: $api_key" -H 'Content-Type: application/json' \
    -d "{\"token\":\"$events_token\",\"region\":\"$demo_url\"}" \
    "$base_url/api/v1/tenants/demo/connections/$demo_id/events-token" && echo "Gave it the demo Events API token: syncs read sign-ins."
  # A sync now, which reads the sign-ins too (409 when the scheduler started one first).
  curl -sS -o /dev/null -X POST -H "X-Api-Key: $api_key" "$base_url/api/v1/tenants/demo/connections/$demo_id/syncs" || true
fi

cat <<TXT

OnePasswordConnector is running.
  Swagger UI:  $base_url/swagger
  API key:     $api_key   (click Authorize in Swagger UI, or send it as X-Api-Key)
  Demo bridge: $demo_url (its token is in $data_dir/demo-bridge-token; it fakes the Events API too)
  Logs:        $service_log, $bridge_log
  Try:         curl -H 'X-Api-Key: $api_key' $base_url/api/v1/tenants/demo/connections
Press Ctrl+C to stop.
TXT

# Until Ctrl+C, or until one of them stops on its own: then say which, show why, and fail. (A poll, not `wait -n`,
# which would miss a process that ended before it was called.)
while kill -0 "$service_pid" 2>/dev/null && kill -0 "$bridge_pid" 2>/dev/null; do
  sleep 1 &
  wait $! || true
done
if ! kill -0 "$service_pid" 2>/dev/null; then
  stopped service "$service_pid" "$service_log"
else
  stopped "demo bridge" "$bridge_pid" "$bridge_log"
fi
exit 1
