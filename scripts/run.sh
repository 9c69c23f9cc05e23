#!/bin/sh
# The README's run command: installs what is missing, builds, and runs csmsd
# on its embedded defaults (SQLite file csms.db, simulated house). Extra
# arguments go to csmsd, e.g. scripts/run.sh --ws_port 9000.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
sh scripts/install-deps.sh build
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"
exec ./build/csmsd "$@"
