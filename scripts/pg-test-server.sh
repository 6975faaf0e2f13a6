#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests (docs/testing.md, "The PostgreSQL test server").
#
#   scripts/pg-test-server.sh start [DIR]  create a fresh cluster under DIR and start it (idempotent)
#   scripts/pg-test-server.sh stop  [DIR]  stop it (succeeds when it is not running)
#   scripts/pg-test-server.sh url   [DIR]  print its URL (fails when it is not running)
#
# DIR defaults to $BUILD_DIR/pg-test (BUILD_DIR defaults to build). The server listens on a Unix
# socket in its data directory and on 127.0.0.1 at a port the kernel reports free, trusts every
# local connection, and has a database `duroxide_test`. Durability settings stay at PostgreSQL's
# defaults: the benchmarks compare against duroxide-pg on a default server.
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (created by
# Debian's postgresql packages); when that user cannot reach DIR, the cluster goes under /tmp and
# DIR keeps a pointer to it. Files in DIR: url, cluster-dir (where the cluster is), and, in the
# cluster dir, data/ and server.log.
set -euo pipefail

PG_BIN_DIR=${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}
SERVER_USER=postgres
DB_NAME=duroxide_test
# Client tools must not pick up a developer's own server settings from the environment.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGOPTIONS PGDATA

me=pg-test-server
die() {
  echo "$me: error: $*" >&2
  exit 1
}
note() { echo "$me: $*" >&2; }

usage() {
  echo "usage: $0 start|stop|url [DIR]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
cmd=$1
dir=${2:-${BUILD_DIR:-build}/pg-test}
# Absolute, so the paths stay right from / (see run_pg) and in the recorded cluster dir.
dir=$(realpath -m -- "$dir")

as_root=false
[[ $(id -u) -eq 0 ]] && as_root=true

# Runs a server program as the user the server runs as. From / so that a working directory the
# postgres user cannot read (e.g. /root) does not get in the way. Without the lock's descriptor:
# the postmaster would inherit it and hold the lock for its whole life.
run_pg() {
  if $as_root; then
    (cd / && runuser -u "$SERVER_USER" -- "$@") 9>&-
  else
    "$@" 9>&-
  fi
}

check_binaries() {
  local tool
  for tool in initdb pg_ctl pg_isready psql; do
    [[ -x $PG_BIN_DIR/$tool ]] ||
      die "$PG_BIN_DIR/$tool not found: install PostgreSQL 15 (scripts/install-deps.sh installs postgresql-15)"
  done
  if $as_root; then
    id -u "$SERVER_USER" >/dev/null 2>&1 ||
      die "running as root, but there is no '$SERVER_USER' user to run the server as (PostgreSQL refuses root); install postgresql-15"
    command -v runuser >/dev/null 2>&1 || die "running as root, but runuser (util-linux) is missing"
  fi
}

# The cluster dir recorded by the last start, or nothing.
cluster_dir() {
  if [[ -f $dir/cluster-dir ]]; then cat "$dir/cluster-dir"; fi
}

is_running() {
  local cluster=$1
  [[ -n $cluster && -f $cluster/data/PG_VERSION ]] || return 1
  run_pg "$PG_BIN_DIR/pg_ctl" status -D "$cluster/data" >/dev/null 2>&1
}

# The port of the running server, from the pid file (its fourth line).
running_port() {
  sed -n 4p "$1/data/postmaster.pid"
}

url_for_port() {
  echo "postgres://postgres@127.0.0.1:$1/$DB_NAME"
}

# A TCP port on 127.0.0.1 nothing listens on: the kernel's pick when python3 is there, else a random
# port no one answers on. Either can race with another process; start retries on a bind failure.
free_port() {
  if command -v python3 >/dev/null 2>&1 &&
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null; then
    return
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "found no free TCP port on 127.0.0.1"
}

show_log() {
  local log=$1
  if [[ -s $log ]]; then
    echo "$me: last lines of $log:" >&2
    tail -n 30 "$log" >&2
  else
    echo "$me: (no server log at $log)" >&2
  fi
}

# Where the cluster goes: DIR itself when the server user can reach it (root creates what that user
# owns there), else a fresh directory under /tmp. A Unix socket path is limited to 107 bytes, so a
# deep DIR moves too.
choose_cluster_dir() {
  local reachable=true
  if $as_root && ! run_pg test -x "$dir" 2>/dev/null; then reachable=false; fi
  if ! $as_root && ! [[ -w $dir && -x $dir ]]; then reachable=false; fi
  local socket="$dir/data/.s.PGSQL.65535"
  if $reachable && [[ ${#socket} -le 100 ]]; then
    echo "$dir"
    return
  fi
  local tmp
  tmp=$(mktemp -d /tmp/duroxide-pg-test.XXXXXX)
  chmod 755 "$tmp"
  if $reachable; then
    note "the socket path under $dir would be too long; putting the cluster in $tmp instead"
  else
    note "user '$SERVER_USER' cannot reach $dir (a parent directory is not searchable); putting the cluster in $tmp instead"
  fi
  echo "$tmp"
}

# Creates the data directory and server log owned by the user the server runs as.
make_owned() {
  local cluster=$1
  if $as_root; then
    install -d -o "$SERVER_USER" -g "$SERVER_USER" -m 700 "$cluster/data"
    install -o "$SERVER_USER" -g "$SERVER_USER" -m 644 /dev/null "$cluster/server.log"
  else
    install -d -m 700 "$cluster/data"
    : >"$cluster/server.log"
  fi
}

init_cluster() {
  local cluster=$1
  # Byte-order collation (no locale) with UTF-8 text: ordering then matches SQLite's BINARY
  # collation, and it works on machines without generated locales.
  if ! run_pg "$PG_BIN_DIR/initdb" -D "$cluster/data" -U postgres --auth=trust -E UTF8 --no-locale \
    >"$cluster/initdb.log" 2>&1; then
    echo "$me: error: initdb failed; its output ($cluster/initdb.log):" >&2
    tail -n 30 "$cluster/initdb.log" >&2
    exit 1
  fi
  # Many test processes connect at once (ctest -j, one pool per test); the rest stays default.
  cat >>"$cluster/data/postgresql.conf" <<CONF

# scripts/pg-test-server.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$cluster/data'
max_connections = 300
CONF
}

start_server() {
  local cluster=$1 port
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    : >"$cluster/server.log"
    if run_pg "$PG_BIN_DIR/pg_ctl" start -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
      -o "-p $port" >/dev/null 2>&1; then
      echo "$port"
      return
    fi
    # Another process took the port between the check and the bind: try another one.
    if grep -q 'could not bind\|Address already in use' "$cluster/server.log" 2>/dev/null &&
      ! is_running "$cluster"; then
      note "port $port was taken; trying another"
      continue
    fi
    break
  done
  echo "$me: error: the server in $cluster/data did not start" >&2
  show_log "$cluster/server.log"
  exit 1
}

create_database() {
  local cluster=$1 port=$2 exists
  exists=$("$PG_BIN_DIR/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtq \
    -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" 2>&1) || {
    echo "$me: error: cannot query the server on port $port: $exists" >&2
    show_log "$cluster/server.log"
    exit 1
  }
  if [[ $exists != 1 ]]; then
    "$PG_BIN_DIR/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 \
      -c "CREATE DATABASE $DB_NAME" >/dev/null || die "could not create database $DB_NAME"
  fi
}

do_start() {
  check_binaries
  mkdir -p "$dir" || die "cannot create $dir"
  local cluster port
  cluster=$(cluster_dir)
  if is_running "$cluster"; then
    port=$(running_port "$cluster")
  else
    # Throwaway: a stopped cluster from an earlier run is replaced, so every run starts clean.
    if [[ -n $cluster && $cluster != "$dir" && $cluster == /tmp/duroxide-pg-test.* ]]; then
      rm -rf "$cluster"
    fi
    rm -rf "$dir/data" "$dir/server.log" "$dir/initdb.log" "$dir/url" "$dir/cluster-dir"
    cluster=$(choose_cluster_dir)
    echo "$cluster" >"$dir/cluster-dir"
    make_owned "$cluster"
    init_cluster "$cluster"
    port=$(start_server "$cluster")
    "$PG_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || {
      echo "$me: error: the server on port $port does not accept connections" >&2
      show_log "$cluster/server.log"
      exit 1
    }
  fi
  create_database "$cluster" "$port"
  url_for_port "$port" >"$dir/url"
  note "PostgreSQL running: $(cat "$dir/url") (data and server.log in $cluster)"
}

do_stop() {
  local cluster
  cluster=$(cluster_dir)
  rm -f "$dir/url"
  if ! is_running "$cluster"; then
    return 0
  fi
  check_binaries
  if ! run_pg "$PG_BIN_DIR/pg_ctl" stop -D "$cluster/data" -m fast -w -t 60 >/dev/null; then
    echo "$me: error: could not stop the server in $cluster/data" >&2
    show_log "$cluster/server.log"
    exit 1
  fi
}

do_url() {
  local cluster
  cluster=$(cluster_dir)
  is_running "$cluster" || die "no PostgreSQL test server is running in $dir (start it: $0 start $dir)"
  [[ -s $dir/url ]] || die "the server in $cluster is running but $dir/url is missing (run: $0 start $dir)"
  cat "$dir/url"
}

# start and stop of one DIR never interleave (two `make test` on one build tree).
lock() {
  mkdir -p "$dir" || die "cannot create $dir"
  exec 9>"$dir/.lock"
  flock 9
}

case "$cmd" in
  start) lock && do_start ;;
  stop)
    [[ -d $dir ]] || exit 0
    lock && do_stop
    ;;
  url) do_url ;;
  *) usage ;;
esac
