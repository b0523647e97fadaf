#!/usr/bin/env bash
# Runs the service on http://localhost:5080 with Swagger UI. Where no ConnectionStrings__Postgres is set, starts a
# local PostgreSQL under .data/ first; also starts the demo SCIM bridge on loopback and registers it as a demo
# connection, so the first sync shows real rows. Ctrl+C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

mkdir -p .data
urls=${ASPNETCORE_URLS:-http://localhost:5080}
base_url=${urls%%;*}
base_url=${base_url/\/\/+:/\/\/localhost:}
base_url=${base_url/\/\/\*:/\/\/localhost:}
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${pg_data:-} ]] && pg_stop "$pg_data"
}
trap cleanup EXIT INT TERM

if [[ -z ${ConnectionStrings__Postgres:-} ]]; then
  pg_ensure_installed
  pg_data="$PWD/.data/postgres"
  pg_port=${CONNECTOR_DEV_PG_PORT:-55432}
  if [[ $(id -u) -eq 0 ]]; then chmod 755 "$PWD/.data"; fi
  pg_start "$pg_data" "$pg_port"
  pg_as_owner "$(pg_bin_dir)/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'connector'" | grep -q 1 ||
    pg_as_owner "$(pg_bin_dir)/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres connector
  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=connector"
  echo "Local PostgreSQL on 127.0.0.1:$pg_port (data in .data/postgres)"
fi

# A development API key, made once and kept in .data/ (never committed). Only its SHA-256 reaches the service.
[[ -f .data/dev-api-key ]] || head -c 24 /dev/urandom | base64 | tr -d '/+=' >.data/dev-api-key
api_key=$(cat .data/dev-api-key)
export ApiKeys__0__Name=development ApiKeys__0__Tenant='*'
export ApiKeys__0__Sha256=$(printf '%s' "$api_key" | sha256sum | cut -d' ' -f1)
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
# The demo bridge is plain http on loopback; a real bridge is https on a public address.
export BridgeUrlPolicy__AllowHttp=${BridgeUrlPolicy__AllowHttp:-true}
export BridgeUrlPolicy__AllowPrivateAddresses=${BridgeUrlPolicy__AllowPrivateAddresses:-true}

dotnet build OnePasswordConnector.sln -c Release -v quiet -nologo >/dev/null

demo_url=http://127.0.0.1:${CONNECTOR_DEMO_BRIDGE_PORT:-5090}
[[ -f .data/demo-bridge-token ]] || head -c 32 /dev/urandom | base64 | tr -d '/+=' >.data/demo-bridge-token
demo_token=$(cat .data/demo-bridge-token)
DemoBridge__BearerToken=$demo_token dotnet run --no-build --no-launch-profile -c Release --project src/OnePasswordConnector.DemoBridge -- --urls "$demo_url" &
pids+=($!)

dotnet run --no-build --no-launch-profile -c Release --project src/OnePasswordConnector -- --urls "$urls" &
pids+=($!)

for _ in $(seq 1 120); do
  curl -fsS "$base_url/health/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$base_url/health/ready" >/dev/null || { echo "error: the service did not become ready" >&2; exit 1; }

existing=$(curl -fsS -H "X-Api-Key: $api_key" "$base_url/api/v1/tenants/demo/connections")
if [[ $existing == "[]" ]]; then
  curl -fsS -o /dev/null -H "X-Api-Key: $api_key" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Demo bridge\",\"scimBridgeUrl\":\"$demo_url\",\"bearerToken\":\"$demo_token\",\"syncIntervalMinutes\":60}" \
    "$base_url/api/v1/tenants/demo/connections" && echo "Registered the demo bridge as a connection of tenant 'demo'."
fi

cat <<TXT

OnePasswordConnector is running.
  Swagger UI:  $base_url/swagger
  API key:     $api_key   (click Authorize in Swagger UI, or send it as X-Api-Key)
  Try:         curl -H 'X-Api-Key: $api_key' $base_url/api/v1/tenants/demo/connections
Press Ctrl+C to stop.
TXT
wait -n "${pids[@]}"
