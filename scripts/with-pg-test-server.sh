#!/usr/bin/env bash
# Runs a command (the tests) with a PostgreSQL server: scripts/with-pg-test-server.sh BUILD_DIR CMD...
#
# With DUROXIDE_TEST_PG_URL set, the command runs against that server and nothing is started.
# Otherwise a throwaway server is started under BUILD_DIR/pg-test (scripts/pg-test-server.sh), its URL
# is exported as DUROXIDE_TEST_PG_URL, and the server is stopped afterwards, also when the command
# fails or is interrupted, unless it was already running before (then it is left as found).
# Exits with the command's status.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 BUILD_DIR COMMAND [ARGS...]" >&2
  exit 2
fi
build_dir=$1
shift

if [[ -n ${DUROXIDE_TEST_PG_URL:-} ]]; then
  exec "$@"
fi

server="$(cd "$(dirname "$0")" && pwd)/pg-test-server.sh"
pg_dir="$build_dir/pg-test"

# shellcheck disable=SC2317 # called by the EXIT trap
stop_server() {
  "$server" stop "$pg_dir" || echo "with-pg-test-server: warning: could not stop the server in $pg_dir" >&2
}

started=false
if ! "$server" url "$pg_dir" >/dev/null 2>&1; then
  trap stop_server EXIT
  # An interrupt ends the script through exit, so the EXIT trap stops the server.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  started=true
  if ! "$server" start "$pg_dir"; then
    echo "with-pg-test-server: error: could not start the PostgreSQL test server; not running: $*" >&2
    exit 1
  fi
fi
DUROXIDE_TEST_PG_URL=$("$server" url "$pg_dir")
export DUROXIDE_TEST_PG_URL
$started || echo "with-pg-test-server: using the server already running in $pg_dir: $DUROXIDE_TEST_PG_URL" >&2

status=0
"$@" || status=$?
exit "$status"
