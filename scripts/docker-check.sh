#!/bin/sh
# docker-check.sh: builds the image and runs it as a user would (issue 13):
# healthy with the generated token, csmsctl in the container without a
# token by hand, a token from a mounted config file, '-' arguments, a
# root-owned bind mount refused (non-root) or taken over (--user 0),
# read-only with every capability dropped, SIGHUP survived, the version
# label. Where no Docker engine answers it says so and exits 77 (skipped):
# .ci/run treats that as a skip, not a failure.
#   sh scripts/docker-check.sh            (from anywhere; DOCKER=podman works too)
# ok and fail always succeed, so "test && ok || fail" is an if-then-else.
# shellcheck disable=SC2015
set -eu
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-docker}
img=csms-check:$$
tag=csmscheck$$
fails=0

if ! command -v "$DOCKER" >/dev/null 2>&1; then
  echo "docker-check: skipped: no '$DOCKER' command here; the image was not built or run" >&2
  exit 77
fi
if ! why=$("$DOCKER" info 2>&1 >/dev/null); then
  echo "docker-check: skipped: no Docker engine answers ('$DOCKER info': $(echo "$why" | head -n 1)); the image was not built or run" >&2
  exit 77
fi

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
cleanup() {
  for c in $("$DOCKER" ps -aq --filter "name=$tag"); do "$DOCKER" rm -f "$c" >/dev/null 2>&1 || true; done
  "$DOCKER" volume rm -f "${tag}-vol" >/dev/null 2>&1 || true
  [ -n "${bind:-}" ] && "$DOCKER" run --rm --user 0 --entrypoint sh -v "$bind:/d" "$img" -c 'rm -rf /d/*' >/dev/null 2>&1 || true
  [ -n "${bind:-}" ] && rm -rf "$bind" || true
  "$DOCKER" rmi -f "$img" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

# Waits until container $1 is healthy (the check every 2 s here).
healthy() {
  i=0
  while [ $i -lt 60 ]; do
    s=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null || echo gone)
    [ "$s" = healthy ] && return 0
    [ "$s" = gone ] && return 1
    [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$1")" = true ] || return 1
    sleep 1; i=$((i + 1))
  done
  return 1
}
run() { name=$1; shift; "$DOCKER" run -d --name "$tag-$name" --health-interval 2s "$@" >/dev/null; }

describe=$(git describe --always --dirty --tags 2>/dev/null || echo "")
"$DOCKER" build -q -f docker/Dockerfile -t "$img" --build-arg CSMS_GIT_DESCRIBE="$describe" . >/dev/null
ok "image built"

base=$(sed -n 's/^project(csms VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
label=$("$DOCKER" inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$img")
[ "$label" = "$base" ] && ok "version label $label" || fail "version label '$label', project version $base"
v=$("$DOCKER" run --rm "$img" --version)
want="csmsd $base${describe:++}$describe"
[ "$v" = "$want" ] && ok "$v" || fail "docker run IMAGE --version: '$v', expected '$want'"
"$DOCKER" run --rm --entrypoint sh "$img" -c '! command -v curl && ! ls /usr/lib/*/libglpk* 2>/dev/null' >/dev/null &&
  ok "no curl, no GLPK" || fail "curl or GLPK in the runtime image"

# A named volume, the generated token, csmsctl by docker exec, SIGHUP.
run main -v "${tag}-vol:/var/lib/csms" "$img" --log_level debug
if healthy "$tag-main"; then ok "healthy (--log_level debug passed to csmsd)"; else fail "not healthy: $("$DOCKER" logs "$tag-main" 2>&1 | tail -n 5)"; fi
"$DOCKER" logs "$tag-main" 2>&1 | grep -q "generated admin token" && ok "token generated" || fail "no token generated"
"$DOCKER" exec "$tag-main" csmsctl chargers >/dev/null && ok "docker exec csmsctl chargers" || fail "docker exec csmsctl chargers"
"$DOCKER" kill -s HUP "$tag-main" >/dev/null
sleep 2
if [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$tag-main")" = true ] &&
   "$DOCKER" exec "$tag-main" csmsctl health >/dev/null; then ok "SIGHUP survived"; else fail "SIGHUP ended csmsd"; fi
"$DOCKER" rm -f "$tag-main" >/dev/null

# A token in a mounted config file is the one in effect.
conf=$(mktemp)
printf 'ws_port = 8180\nadmin_port = 8282\nadmin_token = fromconf\n' > "$conf"
chmod 644 "$conf"
run conf -v "${tag}-vol:/var/lib/csms" -v "$conf:/etc/csms/csms.conf:ro" "$img"
if healthy "$tag-conf"; then ok "healthy on admin_port 8282 from the config file"; else fail "config file: not healthy"; fi
"$DOCKER" exec "$tag-conf" csmsctl --token fromconf chargers >/dev/null && ok "the config file's token works" ||
  fail "the config file's token is refused"
"$DOCKER" exec "$tag-conf" csmsctl chargers >/dev/null && ok "csmsctl finds the config file's token" ||
  fail "csmsctl does not find the config file's token"
"$DOCKER" rm -f "$tag-conf" >/dev/null
rm -f "$conf"

# Read-only, every capability dropped.
run ro --read-only --cap-drop ALL -v "${tag}-vol:/var/lib/csms" "$img"
if healthy "$tag-ro"; then ok "read-only, no capabilities"; else fail "read-only, no capabilities: $("$DOCKER" logs "$tag-ro" 2>&1 | tail -n 3)"; fi
"$DOCKER" rm -f "$tag-ro" >/dev/null

# A bind mount the service uid cannot write: refused clearly, or taken over as root.
bind=$(mktemp -d)
chmod 755 "$bind"
"$DOCKER" run --rm --user 0 --entrypoint chown -v "$bind:/d" "$img" 0:0 /d
out=$(timeout 60 "$DOCKER" run --rm --name "$tag-refused" -v "$bind:/var/lib/csms" "$img" 2>&1) && fail "a root-owned bind mount was accepted" ||
  { echo "$out" | grep -q "not writable by uid 10001" && ok "root-owned bind mount: $(echo "$out" | head -n 1)" ||
    fail "root-owned bind mount, unclear message: $out"; }
run root --user 0 -v "$bind:/var/lib/csms" "$img"
if healthy "$tag-root"; then ok "--user 0: healthy"; else fail "--user 0: not healthy"; fi
u=$("$DOCKER" exec "$tag-root" stat -c %u /proc/1)
[ "$u" = 10001 ] && ok "--user 0: csmsd runs as 10001" || fail "--user 0: csmsd runs as '$u'"
o=$("$DOCKER" exec "$tag-root" stat -c %u /var/lib/csms)
[ "$o" = 10001 ] && ok "--user 0: the bind mount now belongs to 10001" || fail "--user 0: owner $o"

if [ "$fails" -gt 0 ]; then
  echo "docker-check: $fails failure(s)" >&2
  exit 1
fi
echo "docker-check: all passed"
