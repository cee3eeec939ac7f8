#!/usr/bin/env bash
# API conformance: schemathesis (installed by scripts/install-test-deps.sh) over the
# served OpenAPI document of a real `proxicloud serve --demo`, as an admin and as an
# operator at once, each through an API token (a session's logout would end the run).
# Passes with 0 server errors and 0 responses that break the document: undocumented
# status codes, wrong content types, bodies or headers that do not match their schema.
#
# Usage: bash scripts/api-conformance.sh [PROXICLOUD-BINARY]
#   PROXICLOUD_CONFORMANCE_EXAMPLES  examples per operation and phase (default 8; raise for a longer run)
#   PROXICLOUD_CONFORMANCE_SEED      the generator's seed (default 18: the same cases every run)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/proxicloud/target}/debug/proxicloud}
venv=${PROXICLOUD_SCHEMATHESIS_VENV:-$HOME/.cache/proxicloud/schemathesis-venv}
examples=${PROXICLOUD_CONFORMANCE_EXAMPLES:-8}
seed=${PROXICLOUD_CONFORMANCE_SEED:-18}
schema=${PROXICLOUD_PVE_SCHEMA:-$root/../shared/pve-api/pve-api-schema.json}

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

admin_password="conformance-admin-password"
PROXICLOUD_ADMIN_PASSWORD=$admin_password PROXICLOUD_PVE_SCHEMA=$schema PROXICLOUD_LOG=warn \
  "$binary" serve --demo --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/^ProxiCloud listening on \(http:[^ ]*\)$/\1/p' "$work/serve.out")
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; echo "serve exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "serve did not start" >&2; exit 1; }

json() { python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }
post() { curl -fsS -X POST "$url$1" -H 'content-type: application/json' ${3:+-H "authorization: Bearer $3"} -d "$2"; }
login() { post /api/v1/auth/login "{\"username\":\"$1\",\"password\":\"$2\"}" | json '["access_token"]'; }
admin_session=$(login admin "$admin_password")
admin_token=$(post /api/v1/tokens '{"name":"conformance"}' "$admin_session" | json '["secret"]')
post /api/v1/users '{"username":"conformance-operator","role":"operator","password":"conformance-operator-password"}' "$admin_session" >/dev/null
operator_session=$(login conformance-operator conformance-operator-password)
operator_token=$(post /api/v1/tokens '{"name":"conformance"}' "$operator_session" | json '["secret"]')

# The issue's promise: no 5xx, and every response as the document describes it.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
run_as() {
  local who=$1 token=$2
  # From the scratch directory: schemathesis leaves a .schemathesis/ cache where it runs.
  cd "$work"
  "$venv/bin/python" "$root/scripts/schemathesis-st.py" run "$url/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$checks" \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" --seed "$seed" --no-shrink \
    --generation-database none --workers 2 --no-color \
    --request-timeout 10 \
    >"$work/$who.log" 2>&1
}
started=$(date +%s)
run_as admin "$admin_token" & admin_pid=$!
run_as operator "$operator_token" & operator_pid=$!
admin_status=0; operator_status=0
wait "$admin_pid" || admin_status=1
wait "$operator_pid" || operator_status=1
for who in admin operator; do
  echo "--- schemathesis as $who"
  failed=${who}_status
  if [ "${!failed}" = 0 ]; then
    grep -E 'generated|\(in [0-9.]+s\)|=====.*(passed|failure|error)' "$work/$who.log" || tail -n 5 "$work/$who.log"
  else
    cat "$work/$who.log"
  fi
done
status=$(( admin_status + operator_status ))
echo "API conformance: $(( $(date +%s) - started )) s"
if [ "$status" != 0 ]; then
  echo "--- server log (warnings and errors)"; tail -n 50 "$work/serve.err"
  exit 1
fi
