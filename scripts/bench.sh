#!/bin/sh
# bench.sh [BUILD] [bench.py options]: the project's benchmark (issue 14).
# Prints, in one run, chargers held, KiB per idle charger (ws and TLS),
# durable MeterValues/s, CPU per message of csmsd and of a Node ocpp-rpc
# strict-mode server under the same load (and their ratio), p50/p99 and the
# TLS reconnect times. A few minutes with the defaults; --tiny for a smoke
# run. Needs a built tree (loadgen, csmsd) and tests/integration/node_modules.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
exec /usr/bin/python3 "$here/tests/tools/bench.py" "$build" "$@"
