#!/bin/sh
# csmsd's container entrypoint (after mosquitto's): arguments starting with
# '-' are csmsd settings; started as root it gives the data directory to the
# service user and drops to it; the admin token is generated only when none
# is configured anywhere. Paths and the user come from the environment so
# that tests/integration/test_entrypoint.py can run it in a temporary root.
set -eu

data=${CSMS_DATA_DIR:-/var/lib/csms}
conf_default=${CSMS_CONF_DEFAULT:-/etc/csms/csms.conf}
svc_uid=${CSMS_UID:-10001}
svc_gid=${CSMS_GID:-10001}
tokfile=$data/admin_token
urlfile=$data/admin_url

say() { echo "csms: $*" >&2; }

# `docker run IMAGE --log_level debug`: settings for the default command.
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- csmsd -c "$conf_default" "$@"
fi

# Anything else (a shell, csmsctl) runs as it is.
case "$1" in
  csmsd|*/csmsd) ;;
  *) exec "$@" ;;
esac

# Questions that need no data directory and no token.
for a in "$@"; do
  case "$a" in --version|--help|-h) exec "$@" ;; esac
done

# Started as root: hand the data directory to the service user, then run
# this script again as that user (setpriv is in util-linux, which every
# Debian has).
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$data"
  if ! find "$data" \( ! -user "$svc_uid" -o ! -group "$svc_gid" \) -exec chown "$svc_uid:$svc_gid" {} + ; then
    say "cannot give $data to uid $svc_uid (was CAP_CHOWN dropped?): chown -R $svc_uid:$svc_gid the volume on the host"
    exit 1
  fi
  exec setpriv --reuid="$svc_uid" --regid="$svc_gid" --clear-groups -- "$0" "$@"
fi

if ! [ -d "$data" ] || ! [ -w "$data" ] || ! [ -x "$data" ]; then
  owner=$(stat -c %u:%g "$data" 2>/dev/null || echo missing)
  say "the data directory $data (owner $owner) is not writable by uid $(id -u)."
  say "Give it to uid $(id -u) on the host (chown -R $(id -u):$(id -g) DIR), or start the"
  say "container as root (--user 0) and the entrypoint will chown it to $svc_uid and drop to that uid."
  exit 1
fi

# The value csmsd will use for KEY, as far as a shell can tell: the command
# line wins over the environment, which wins over the config file (the last
# -c given). Empty when unset.
conf=""
setting() {
  key=$1 from_args="" found=0
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      -c|--config) [ $# -ge 2 ] && conf=$2 && shift ;;
      --"$key"=*) from_args=${1#--"$key"=} found=1 ;;
      --"$key") [ $# -ge 2 ] && from_args=$2 found=1 && shift ;;
    esac
    shift
  done
  if [ "$found" = 1 ]; then printf '%s' "$from_args"; return; fi
  envname=CSMS_$(printf '%s' "$key" | tr '[:lower:]' '[:upper:]')
  if eval "[ -n \"\${$envname+set}\" ]"; then eval "printf '%s' \"\$$envname\""; return; fi
  if [ -n "$conf" ] && [ -r "$conf" ]; then
    sed -n "s/#.*//; s/^[[:space:]]*${key}[[:space:]]*=[[:space:]]*//p" "$conf" | tail -n 1 |
      sed 's/[[:space:]]*$//; s/^"\(.*\)"$/\1/'
  fi
}

# An empty CSMS_ADMIN_TOKEN (compose's ${CSMS_ADMIN_TOKEN:-}) means "not
# given": left set, it would hide a token in the config file.
if [ -n "${CSMS_ADMIN_TOKEN+set}" ] && [ -z "$CSMS_ADMIN_TOKEN" ]; then
  unset CSMS_ADMIN_TOKEN
fi

token=$(setting admin_token "$@")
if [ -z "$token" ]; then
  if [ ! -s "$tokfile" ]; then
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tokfile")
    say "generated admin token (kept in $tokfile): $(cat "$tokfile")"
  fi
  CSMS_ADMIN_TOKEN=$(cat "$tokfile")
  export CSMS_ADMIN_TOKEN
elif [ "$(cat "$tokfile" 2>/dev/null || true)" != "$token" ]; then
  # The token in effect, for csmsctl in the container (CSMS_ADMIN_TOKEN_FILE).
  (umask 077 && printf '%s' "$token" > "$tokfile")
fi

# Where csmsctl (and so the HEALTHCHECK) finds the API (CSMS_URL_FILE).
port=$(setting admin_port "$@")
bind=$(setting admin_bind "$@")
case "$bind" in ""|0.0.0.0|::|"[::]") bind=127.0.0.1 ;; esac
case "$bind" in *:*) bind="[$bind]" ;; esac
printf 'http://%s:%s\n' "$bind" "${port:-8181}" > "$urlfile"

exec "$@"
