#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (packages, build) and runs the test suite:
# unit tests, CLI tests and interop tests against python3-libtorrent and aria2c.
# Usage: tools/test.sh            (release build)
#        FLUXO_PRESET=asan-ubsan tools/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${FLUXO_PRESET:-release}"

bash tools/setup.sh
# TSan needs a oneTBB it can see into (Debian's is not instrumented).
if [ "$preset" = tsan ]; then bash tools/build-tbb-tsan.sh; fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j"$(nproc)"
