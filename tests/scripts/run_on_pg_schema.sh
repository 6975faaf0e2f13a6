#!/usr/bin/env bash
# run_on_pg_schema.sh [--keep] SCHEMA PROGRAM [ARGS...]: runs PROGRAM with the URL of a PostgreSQL
# schema as its first argument, on the server DUROXIDE_TEST_PG_URL names (`make test` starts one;
# docs/testing.md). The schema is dropped first, so a rerun starts clean, unless --keep (to read
# what an earlier program wrote); it is kept afterwards. Fails, never skips, when the variable is
# unset.
set -euo pipefail
keep=false
if [[ ${1:-} == --keep ]]; then
  keep=true
  shift
fi
if [[ $# -lt 2 ]]; then
  echo "usage: $0 [--keep] SCHEMA PROGRAM [ARGS...]" >&2
  exit 2
fi
schema=$1
shift
if [[ -z ${DUROXIDE_TEST_PG_URL:-} ]]; then
  echo "run_on_pg_schema: DUROXIDE_TEST_PG_URL is not set: run the tests with make test, or set it to a server" >&2
  exit 1
fi
if ! $keep; then
  # Quietly: a NOTICE ("does not exist, skipping") would land before the program's output, which
  # the tests match from its first line.
  PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 "$DUROXIDE_TEST_PG_URL" \
    -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" >/dev/null
fi
case $DUROXIDE_TEST_PG_URL in
  *\?*) url="$DUROXIDE_TEST_PG_URL&schema=$schema" ;;
  *) url="$DUROXIDE_TEST_PG_URL?schema=$schema" ;;
esac
program=$1
shift
exec "$program" "$url" "$@"
