#!/bin/sh
# Installs what building, running and testing csmsd needs on Debian 12.
# Used by the README's commands, .ci/run and docker/Dockerfile.
#   install-deps.sh build   compilers and -dev packages only
#   install-deps.sh runtime the shared libraries csmsd needs at run time
#   install-deps.sh test    build + test peers (pymodbus, node, ocpp-rpc)
set -eu
what=${1:-test}
here=$(cd "$(dirname "$0")/.." && pwd)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

# What `ldd csmsd csmsctl` lists (GLPK is linked only by station-sim, a
# build-tree tool; libglpk-dev comes with the build packages), and lws's
# libev event-loop plugin, which lws loads at run time (dlopen: not in ldd).
runtime_pkgs="libwebsockets17 libwebsockets-evlib-ev libev4 libcjson1 libsqlite3-0 libpq5 libssl3
  libmodbus5 libsystemd0 libmosquitto1 libcurl4 ca-certificates"
build_pkgs="build-essential cmake pkg-config libwebsockets-dev libwebsockets-evlib-ev libev-dev
  libcjson-dev libsqlite3-dev libpq-dev libssl-dev libmodbus-dev libsystemd-dev libglpk-dev
  libmosquitto-dev libcurl4-openssl-dev"
# python3-pymodbus imports serial and serial_asyncio, which it only
# recommends: --no-install-recommends would leave them out.
# chromium: the dashboard's browser test (tests/integration/test_web_ui.py).
# postgresql-15: the store tests' second backend and test_pg_store.py
# (tests/tools/pg_server.sh runs it as the csms-pg user made below).
# mosquitto, mosquitto-clients: the broker and clients of test_mqtt.py.
test_pkgs="python3 python3-pymodbus python3-serial python3-serial-asyncio nodejs npm sqlite3 curl
  openssl clang-format chromium postgresql-15 mosquitto mosquitto-clients"

case "$what" in
  runtime) pkgs=$runtime_pkgs ;;
  build)   pkgs=$build_pkgs ;;
  test)    pkgs="$build_pkgs $test_pkgs" ;;
  *) echo "usage: $0 build|runtime|test" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node and npm may come from elsewhere than Debian (a preinstalled Node.js).
if [ "$what" = test ] && command -v node >/dev/null && command -v npm >/dev/null; then
  missing=$(echo "$missing" | tr ' ' '\n' | grep -vxE 'nodejs|npm' | tr '\n' ' ')
fi
if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# initdb refuses root: the tests' PostgreSQL runs as this user.
if [ "$what" = test ] && ! id csms-pg >/dev/null 2>&1; then
  $SUDO useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin csms-pg
fi

if [ "$what" = test ] && [ -f "$here/tests/integration/package.json" ]; then
  if [ ! -d "$here/tests/integration/node_modules/ocpp-rpc" ] ||
     [ ! -d "$here/tests/integration/node_modules/@apidevtools/swagger-parser" ] ||
     [ ! -d "$here/tests/integration/node_modules/playwright-core" ]; then
    (cd "$here/tests/integration" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # the dashboard's bundler (scripts/build-web.sh --check, a ctest)
  if [ ! -d "$here/web/node_modules/esbuild" ]; then
    (cd "$here/web" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
