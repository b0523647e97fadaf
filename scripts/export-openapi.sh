#!/usr/bin/env bash
# Writes docs/openapi.json from the running service's /swagger/v1/swagger.json: the OpenApiDocumentTests test
# starts the app in process and, with ONEPASSWORDCONNECTOR_EXPORT_OPENAPI=1, writes the file instead of comparing.
# The app needs PostgreSQL: uses ONEPASSWORDCONNECTOR_TEST_POSTGRES when set, otherwise starts a throwaway server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh

if [[ -z ${ONEPASSWORDCONNECTOR_TEST_POSTGRES:-} ]]; then
  pg_ensure_installed
  data=$(mktemp -d /tmp/opc-openapi-pg.XXXXXX)
  chmod 755 "$data"
  port=$(pg_free_port)
  cleanup() { pg_stop "$data/cluster"; rm -rf "$data"; }
  trap cleanup EXIT
  pg_start "$data/cluster" "$port" -c fsync=off
  export ONEPASSWORDCONNECTOR_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
fi

ONEPASSWORDCONNECTOR_EXPORT_OPENAPI=1 dotnet test tests/OnePasswordConnector.IntegrationTests \
  --filter "FullyQualifiedName~OpenApiDocumentTests.Docs_openapi_json_matches_the_running_service"
echo "Wrote docs/openapi.json"
