#!/bin/sh
# pg_run.sh STATE PROGRAM [ARGS]: runs a test against the PostgreSQL that
# pg_server.sh started with STATE (CSMS_TEST_PG is its URL); exit 77 (skip)
# when none started.
state=$1
shift
[ -s "$state/url" ] || { echo "pg_run.sh: no PostgreSQL for this test" >&2; exit 77; }
CSMS_TEST_PG=$(cat "$state/url")
export CSMS_TEST_PG
exec "$@"
