#!/usr/bin/env bash
# Makes a throwaway PostgreSQL available on loopback for the store's tests.
#
#   bash scripts/postgres.sh      # ensure it runs, print the URL
#   source scripts/postgres.sh    # same, and export PROXICLOUD_TEST_POSTGRES_URL
#
# Idempotent: installs Debian's `postgresql` package only when initdb/pg_ctl are missing,
# creates the cluster only once, reuses a server that is already running. The cluster
# lives in ${PROXICLOUD_PG_DIR:-/tmp/proxicloud-pg}, listens on 127.0.0.1 only, on port
# ${PROXICLOUD_PG_PORT:-55432}, and trusts every loopback connection: it is for tests only.

proxicloud_pg_main() (
  set -euo pipefail
  local dir=${PROXICLOUD_PG_DIR:-/tmp/proxicloud-pg}
  local port=${PROXICLOUD_PG_PORT:-55432}
  local data="$dir/data" run="$dir/run" log="$dir/server.log"

  find_bin() {
    local name=$1 found
    if found=$(command -v "$name" 2>/dev/null); then echo "$found"; return 0; fi
    # Debian keeps the server binaries out of PATH, one directory per major version.
    found=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && echo "$found"
  }

  if ! find_bin initdb >/dev/null || ! find_bin pg_ctl >/dev/null; then
    echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
  local initdb pg_ctl bindir
  initdb=$(find_bin initdb)
  pg_ctl=$(find_bin pg_ctl)
  bindir=$(dirname "$(readlink -f "$initdb")")

  # PostgreSQL refuses to run as root: as root, run it as the `postgres` user.
  as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
  }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir "$dir" --shell /usr/sbin/nologin postgres
  fi

  mkdir -p "$dir" "$run"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir" "$run"; fi

  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$initdb" --pgdata="$data" --username=postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    cat >>"$data/postgresql.conf" <<CONF
# proxicloud test cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
    # Only loopback TCP and the private socket, without passwords.
    cat >"$data/pg_hba.conf" <<HBA
local all all               trust
host  all all 127.0.0.1/32  trust
HBA
  fi

  if ! as_owner "$pg_ctl" --pgdata="$data" status >/dev/null 2>&1; then
    as_owner "$pg_ctl" --pgdata="$data" --log="$log" --wait --timeout=60 start >/dev/null \
      || { tail -n 30 "$log" >&2; exit 1; }
  fi

  psql_admin() { as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
  if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'proxicloud'")" ]; then
    psql_admin -d postgres -c "CREATE ROLE proxicloud LOGIN CREATEDB"
  fi
  if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'proxicloud'")" ]; then
    psql_admin -d postgres -c "CREATE DATABASE proxicloud OWNER proxicloud"
  fi
  echo "postgres://proxicloud@127.0.0.1:$port/proxicloud"
)

if proxicloud_pg_url=$(proxicloud_pg_main); then
  unset -f proxicloud_pg_main
  export PROXICLOUD_TEST_POSTGRES_URL=$proxicloud_pg_url
  echo "PROXICLOUD_TEST_POSTGRES_URL=$PROXICLOUD_TEST_POSTGRES_URL"
  unset proxicloud_pg_url
else
  unset -f proxicloud_pg_main
  unset proxicloud_pg_url
  echo "postgres.sh: PostgreSQL is not available" >&2
  # `return` when sourced (keeps the caller's shell), `exit` when run.
  return 1 2>/dev/null || exit 1
fi
