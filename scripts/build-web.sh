#!/bin/sh
# Builds the web dashboard (web/src -> web/dist) with the bundler pinned by
# web/package-lock.json. web/dist is kept in git so that building csmsd
# needs no node; run this after changing web/src and commit both.
#   build-web.sh           rebuild web/dist
#   build-web.sh --check   rebuild into a temporary directory and fail if
#                          web/dist differs (the ctest web_dist_current)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here/web"
if [ ! -d node_modules/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = --check ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  node build.mjs "$tmp/dist"
  if ! diff -r "$tmp/dist" dist >/dev/null; then
    echo "web/dist is not what web/src builds to: run scripts/build-web.sh and commit web/dist" >&2
    diff -rq "$tmp/dist" dist >&2 || true
    exit 1
  fi
  echo "web/dist matches web/src"
else
  node build.mjs
  ls -l dist
fi
