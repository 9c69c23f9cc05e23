#!/bin/sh
# The admin API listens on all interfaces inside the container, so it needs
# a token: CSMS_ADMIN_TOKEN if given, else one generated once and kept on
# the data volume (printed at first start).
set -eu
tokfile=/var/lib/csms/admin_token
if [ -z "${CSMS_ADMIN_TOKEN:-}" ]; then
  if [ ! -s "$tokfile" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tokfile"
    chmod 600 "$tokfile"
    echo "csms: generated admin token (kept in $tokfile): $(cat "$tokfile")" >&2
  fi
  CSMS_ADMIN_TOKEN=$(cat "$tokfile")
  export CSMS_ADMIN_TOKEN
else
  printf '%s' "$CSMS_ADMIN_TOKEN" > "$tokfile"
  chmod 600 "$tokfile"
fi
exec "$@"
