#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server.
#
#   bash .ci/with-postgres.sh <command…>
#
# Creates a new cluster in a temporary directory, starts it on 127.0.0.1 on a free port (unix
# socket in the same directory, fsync off: the data is thrown away), exports
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres
# runs the command, then stops the server and deletes the directory, whatever happens. The
# script exits with the command's exit code.
#
# Trust authentication is used for loopback connections: acceptable only because the cluster
# lives for one run, listens on 127.0.0.1 only and holds test data.
#
# PG_BINDIR overrides where initdb/pg_ctl are found (default: PostgreSQL 15 from Debian's
# `postgresql` package). As root, the server runs as the `postgres` user (PostgreSQL refuses to
# run as root); otherwise as the current user.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash .ci/with-postgres.sh <command…>" >&2
  exit 64
fi

PG_BINDIR="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
for tool in initdb pg_ctl; do
  if [ ! -x "$PG_BINDIR/$tool" ]; then
    echo "with-postgres: $PG_BINDIR/$tool not found; install PostgreSQL 15 (apt-get install postgresql) or set PG_BINDIR" >&2
    exit 69
  fi
done

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id -u postgres >/dev/null 2>&1; then
    echo "with-postgres: running as root but there is no 'postgres' user to run the server as" >&2
    exit 69
  fi
  as_owner=(runuser -u postgres --)
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tillpoint-pg.XXXXXX")"
data="$tmp/data"
log="$tmp/server.log"
[ "${#as_owner[@]}" -gt 0 ] && chown postgres: "$tmp"

started=0
cleanup() {
  local status=$?
  if [ "$started" -eq 1 ]; then
    # Immediate mode: the cluster is discarded, no need for a clean checkpoint.
    (cd "$tmp" && "${as_owner[@]}" "$PG_BINDIR/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1) || true
  fi
  rm -rf "$tmp"
  return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Commands run as `postgres` from inside the temp dir: that user may not be able to read the
# caller's working directory.
in_tmp() { (cd "$tmp" && "${as_owner[@]}" "$@"); }

in_tmp "$PG_BINDIR/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync --no-instructions >"$tmp/initdb.log" 2>&1 || {
  cat "$tmp/initdb.log" >&2
  exit 1
}

free_port() {
  node -e "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Another process may take the port between choosing and binding it: try a few times.
port=""
for attempt in 1 2 3 4 5; do
  candidate="$(free_port)"
  if in_tmp "$PG_BINDIR/pg_ctl" -D "$data" -l "$log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $candidate -c unix_socket_directories=$tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null 2>&1; then
    port="$candidate"
    started=1
    break
  fi
  echo "with-postgres: could not start PostgreSQL on port $candidate (attempt $attempt)" >&2
done
if [ -z "$port" ]; then
  cat "$log" >&2 2>/dev/null || true
  exit 1
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}') at $TEST_DATABASE_URL (data in $tmp)" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
