#!/bin/sh
# build.sh: builds the libFuzzer programs of tests/fuzz/ with clang in their
# own CMake tree (every library instrumented for coverage, ASan and UBSan):
#   tests/fuzz/build.sh [OUTDIR]   -> OUTDIR/tests/fuzz_<target> (default OUTDIR: build-fuzz)
# The replay programs (each target over its committed corpus, without
# libFuzzer) are part of the normal build: build/tests/replay_<target>,
# run by ctest as fuzz_replay_<target>.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/build-fuzz}
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CC=${CC:-clang} cmake -S "$ROOT" -B "$OUT" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSMS_FUZZ=ON \
	-DCMAKE_C_FLAGS="$SAN" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
TARGETS=${TARGETS:-"ocppj schema time meter_map admin"}
for t in $TARGETS; do
	cmake --build "$OUT" -j"$(nproc)" --target "fuzz_$t"
	echo "built $(find "$OUT" -name "fuzz_$t" -type f -perm -u+x | head -1)"
done
