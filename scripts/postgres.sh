#!/usr/bin/env bash
# A local PostgreSQL for development and tests: a cluster of its own in DIR, listening only on a
# unix socket in DIR (no TCP port, so several can run side by side), trust authentication.
#
#   scripts/postgres.sh start DIR   initdb DIR (the first time), start the server, create the
#                                   database "righttouch"; prints its DATABASE_URL
#   scripts/postgres.sh url DIR     prints the DATABASE_URL of the server in DIR
#   scripts/postgres.sh stop DIR    stops it (DIR stays; `rm -rf DIR` forgets it)
#
# e.g. `export DATABASE_URL=$(scripts/postgres.sh start data/postgres)` and then `npx righttouch …`.
# The tests' global setup (test/store/postgres-setup.ts) starts one in a temporary folder when
# DATABASE_URL is unset.
#
# The server binaries (initdb, pg_ctl, postgres) are taken from PATH, else from Debian's
# /usr/lib/postgresql/<version>/bin; without them the script exits with status 3 (Debian/Ubuntu:
# `apt-get install postgresql`). PostgreSQL refuses to run as root: run as root, the script runs
# the server as the user "postgres" (which Debian's package creates), or creates a system user
# "righttouch-pg" when there is none.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|url DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
command=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
data="$dir/data"
# The socket's path (DIR/.s.PGSQL.5432) must fit in 107 bytes.
if [ ${#dir} -gt 90 ]; then
  echo "$0: $dir is too long a path for a unix socket; choose a shorter DIR" >&2
  exit 2
fi
url="postgresql://postgres@localhost/righttouch?host=$dir"

find_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
      echo "$candidate"
      return
    fi
  done
  return 1
}

bin=$(find_bin) || {
  echo "$0: PostgreSQL server binaries (initdb, pg_ctl) not found; install them (Debian/Ubuntu: apt-get install postgresql)" >&2
  exit 3
}

# As root, run PostgreSQL's programs as an unprivileged user that owns DIR.
as_owner() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  if ! id "$owner" >/dev/null 2>&1; then
    owner=righttouch-pg
    id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  fi
  chown "$owner" "$dir"
  as_owner() { runuser -u "$owner" -- "$@"; }
fi

# psql beside the server binaries (Debian's bin folder has it), else from PATH.
psql=$bin/psql
[ -x "$psql" ] || psql=$(command -v psql) || {
  echo "$0: psql not found (Debian/Ubuntu: apt-get install postgresql-client)" >&2
  exit 3
}

running() { as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$command" in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
      }
      # Durability is not the point of a local database: no fsync, a small footprint.
      cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    if ! running; then
      as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start >/dev/null || {
        tail -n 20 "$dir/postgres.log" >&2
        exit 1
      }
    fi
    exists=$(as_owner "$psql" -h "$dir" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'righttouch'")
    [ "$exists" = 1 ] || as_owner "$psql" -h "$dir" -U postgres -d postgres -qc 'CREATE DATABASE righttouch' >/dev/null
    echo "$url"
    ;;
  stop)
    if running; then as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    ;;
  url)
    running || {
      echo "$0: no server running in $dir (start it with: $0 start $dir)" >&2
      exit 1
    }
    echo "$url"
    ;;
  *) usage ;;
esac
