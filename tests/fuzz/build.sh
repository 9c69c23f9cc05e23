#!/bin/sh
# build.sh: builds the libFuzzer targets of tests/fuzz/ (clang only, outside
# the main CMake build) and, with REPLAY=1 (default compiler cc), the replay
# programs that run each target over its committed corpus without libFuzzer.
#   tests/fuzz/build.sh [OUTDIR]          -> OUTDIR/fuzz_<name>   (clang, ASan+UBSan+fuzzer)
#   REPLAY=1 tests/fuzz/build.sh [OUTDIR] -> OUTDIR/replay_<name> (ASan+UBSan, any cc)
# Needs the generated schema table: SCHEMA_DATA (default: the first of
# build/schemas/schema_data.c, build-fuzzgen/schemas/schema_data.c).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/build-fuzz}
mkdir -p "$OUT/obj"

SCHEMA_DATA=${SCHEMA_DATA:-}
for f in "$ROOT/build/schemas/schema_data.c" "$ROOT/build-fuzzgen/schemas/schema_data.c"; do
	[ -z "$SCHEMA_DATA" ] && [ -f "$f" ] && SCHEMA_DATA=$f
done
if [ -z "$SCHEMA_DATA" ]; then
	echo "build.sh: no schema_data.c; run: cmake -S $ROOT -B $ROOT/build-fuzzgen && cmake --build $ROOT/build-fuzzgen --target csms_schema" >&2
	exit 1
fi

if [ "${REPLAY:-0}" = 1 ]; then
	CC=${CC:-cc}
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
	LINKSAN="$SAN"
	PREFIX=replay_
else
	CC=${CC:-clang}
	SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
	LINKSAN="-fsanitize=fuzzer,address,undefined"
	PREFIX=fuzz_
fi
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -w $SAN $(pkg-config --cflags libwebsockets libcjson sqlite3 libmodbus)"
INC="-I$ROOT/csms -I$ROOT/dlm -I$ROOT/dlm/sensor -I$ROOT/station -I$ROOT/station/source -I$ROOT/modbus"
LIBS="$(pkg-config --libs libwebsockets libcjson sqlite3 libmodbus) -lcrypto -lm -lpthread"
# server.c stays in (the real http_respond/http_query); its two lws calls
# that need a live context are redirected to stubs in fuzz_common.c.
WRAP="-Wl,--wrap=lws_callback_on_writable -Wl,--wrap=lws_cancel_service -Wl,--wrap=server_call_deadline -Wl,--wrap=server_flush"

SRCS="$(ls "$ROOT"/csms/*.c "$ROOT"/csms/handlers/*.c | grep -v '/main\.c$')
$ROOT/dlm/dlm.c $ROOT/dlm/dlm_config.c $ROOT/dlm/dlm_draw.c $ROOT/dlm/dlm_sim.c
$ROOT/dlm/sensor/dlm_sensor.c $ROOT/dlm/sensor/dlm_meter.c
$ROOT/station/station.c $ROOT/station/station_config.c $ROOT/station/station_ev.c
$ROOT/station/station_loads.c $ROOT/station/station_plan.c $ROOT/station/station_json.c
$ROOT/station/source/station_source.c $ROOT/station/source/station_source_map.c
$ROOT/station/source/station_house.c
$ROOT/modbus/modbus_reg.c $ROOT/modbus/modbus_poller.c
$SCHEMA_DATA
$HERE/fuzz_common.c"

OBJS=""
for s in $SRCS; do
	o="$OUT/obj/$(echo "$s" | sed "s|^$ROOT/||; s|/|_|g; s|\.c$|.$PREFIX.o|")"
	if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ "$HERE/fuzz_common.h" -nt "$o" ]; then
		$CC $CFLAGS $INC -c "$s" -o "$o"
	fi
	OBJS="$OBJS $o"
done

TARGETS=${TARGETS:-"ocppj schema time meter_map admin"}
for t in $TARGETS; do
	extra=""
	[ "$PREFIX" = replay_ ] && extra="$HERE/replay.c"
	$CC $CFLAGS $INC "$HERE/fuzz_$t.c" $extra $OBJS $LINKSAN $WRAP $LIBS -o "$OUT/$PREFIX$t"
	echo "built $OUT/$PREFIX$t"
done
