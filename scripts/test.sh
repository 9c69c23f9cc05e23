#!/bin/sh
# The README's test command: installs what is missing, builds, and runs every
# test with ctest, then again under AddressSanitizer + UBSan.
#   CSMS_SKIP_ASAN=1 skips the sanitizer pass (for a quick local run).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
sh scripts/install-deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSMS_REQUIRE_TEST_PEERS=ON -DCSMS_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600

if [ "${CSMS_SKIP_ASAN:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCSMS_SANITIZE=ON -DCSMS_REQUIRE_TEST_PEERS=ON -DCSMS_WERROR=ON >/dev/null
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900
fi
