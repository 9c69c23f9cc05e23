#!/bin/sh
# Installs csmsd on this Debian 12 host as a systemd service (README:
# "Running on a host"): packages, build, `cmake --install` under PREFIX,
# the service user `csms`, /etc/csms/csms.conf (only when absent), then
# enables and starts csmsd.service when systemd runs this machine.
#   scripts/install-host.sh            as root
# For tests and packaging: DESTDIR=DIR installs into a staging root (no
# packages, no user, no systemctl); BUILD=DIR uses an existing build.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}
build=${BUILD:-$here/build}
say() { echo "install-host: $*" >&2; }

if [ -z "$dest" ]; then
  [ "$(id -u)" = 0 ] || { say "run as root (it creates a user and a service)"; exit 1; }
  sh "$here/scripts/install-deps.sh" build
  sh "$here/scripts/install-deps.sh" runtime
fi
if [ -z "${BUILD:-}" ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"
fi
DESTDIR="$dest" cmake --install "$build" --prefix "$prefix" >/dev/null

# The service user owns /var/lib/csms (systemd's StateDirectory creates it).
if [ -z "$dest" ] && ! getent passwd csms >/dev/null; then
  useradd --system --home-dir /var/lib/csms --no-create-home --shell /usr/sbin/nologin \
    --user-group csms
  say "created the system user csms"
fi

conf=$dest/etc/csms/csms.conf
mkdir -p "$dest/etc/csms"
if [ -e "$conf" ]; then
  say "kept $conf (not overwritten)"
else
  install -m 0640 "$here/systemd/csms.conf" "$conf"
  [ -n "$dest" ] || chgrp csms "$conf"
  say "wrote $conf"
fi

unit=$prefix/lib/systemd/system/csmsd.service
if [ -z "$dest" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now csmsd.service
  say "csmsd.service enabled and started: systemctl status csmsd; journalctl -u csmsd -f"
else
  say "installed $prefix/bin/csmsd, $prefix/bin/csmsctl and $unit"
  [ -n "$dest" ] || say "systemd is not running here: start csmsd with: $prefix/bin/csmsd -c /etc/csms/csms.conf"
fi
