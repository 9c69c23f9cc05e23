#!/bin/sh
# pg_server.sh: a throwaway PostgreSQL (Debian's postgresql-15) for tests,
# in a temporary directory on a free port, run by an unprivileged user
# (initdb refuses root: as root it runs as csms-pg, which
# scripts/install-deps.sh test creates).
#   pg_server.sh start STATE [--require] [--fsync]
#       initdb and start; STATE/url gets the URL (postgresql://csms@...),
#       STATE/dir the data's directory. Exit 77 when there is no
#       PostgreSQL or no csms-pg user here (1 with --require, 0 with
#       --missing-ok: the tests that need it then skip). fsync is off
#       unless --fsync (tests that do not pull the plug do not need it).
#   pg_server.sh stop STATE      stop it, remove its directory
#   pg_server.sh down STATE      stop the server, keep its data
#   pg_server.sh crash STATE     stop it as a power cut would (immediate:
#                                no checkpoint; the WAL is replayed at up)
#   pg_server.sh up STATE        start it again on the same port
set -eu
cmd=$1
state=$2
shift 2
require=0
missing_ok=0
fsync=off
for a in "$@"; do
  case $a in
    --require) require=1 ;;
    --missing-ok) missing_ok=1 ;;
    --fsync) fsync=on ;;
  esac
done

bindir=""
for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bindir=$d; break; fi
done

missing() {
  echo "pg_server.sh: $1" >&2
  if [ $require = 1 ]; then exit 1; fi
  if [ $missing_ok = 1 ]; then exit 0; fi
  exit 77
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u csms-pg -- "$@"; else "$@"; fi
}

server_start() {
  dir=$1 port=$2
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_connections=50" start >/dev/null
}

case $cmd in
  start)
    [ -n "$bindir" ] || missing "no PostgreSQL server (Debian package postgresql-15)"
    if [ "$(id -u)" = 0 ] && ! id csms-pg >/dev/null 2>&1; then
      missing "no csms-pg user to run PostgreSQL (scripts/install-deps.sh test creates it)"
    fi
    mkdir -p "$state"
    rm -f "$state/url" "$state/dir" "$state/port"
    dir=$(mktemp -d /tmp/csms-pg-XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown csms-pg "$dir"
    echo "$dir" > "$state/dir"
    as_pg "$bindir/initdb" -D "$dir/data" -U csms --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free port: try a few random ones (another test may take one first)
    # above the kernel's ephemeral range, out of the way of the ports the
    # integration harness reserves below it (harness.free_port).
    hi=$(cut -f2 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 60999)
    [ "$hi" -lt 64000 ] 2>/dev/null || hi=60999
    tries=0
    while :; do
      port=$(( hi + 1 + $(od -An -N2 -tu2 /dev/urandom) % (65535 - hi) ))
      if server_start "$dir" "$port"; then break; fi
      tries=$((tries + 1))
      if [ $tries -ge 5 ]; then cat "$dir/log" >&2; exit 1; fi
    done
    echo "$port" > "$state/port"
    echo "$fsync" > "$state/fsync"
    echo "postgresql://csms@127.0.0.1:$port/postgres" > "$state/url"
    cat "$state/url"
    ;;
  down)
    as_pg "$bindir/pg_ctl" -D "$(cat "$state/dir")/data" -m fast -w stop >/dev/null
    ;;
  crash)
    # as a power cut: no checkpoint, the WAL is replayed at the next start
    as_pg "$bindir/pg_ctl" -D "$(cat "$state/dir")/data" -m immediate -w stop >/dev/null
    ;;
  up)
    fsync=$(cat "$state/fsync")
    server_start "$(cat "$state/dir")" "$(cat "$state/port")"
    ;;
  stop)
    [ -f "$state/dir" ] || exit 0
    dir=$(cat "$state/dir")
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    case $dir in /tmp/csms-pg-*) rm -rf "$dir" ;; esac
    rm -f "$state/url" "$state/dir" "$state/port" "$state/fsync"
    ;;
  *) echo "usage: $0 start|stop|down|crash|up STATE [--require] [--fsync]" >&2; exit 2 ;;
esac
