#!/usr/bin/env bash
# The test command: set up, configure, build, run every test. Usage: scripts/test.sh [ctest args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${STEP_BUILD_DIR:-$root/build}
jobs=${STEP_JOBS:-$(nproc)}

"$root/scripts/setup.sh" --tests
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" "$@"
