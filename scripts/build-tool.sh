#!/usr/bin/env bash
# Prints the path of the build's tool TARGET (e.g. step-data), building it first when it is not
# there: on a fresh clone it installs the build's packages (scripts/setup.sh), configures
# BUILD_DIR (default build) and builds that target alone. Used by the data scripts.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: scripts/build-tool.sh TARGET" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
tool="$build/bin/$1"
if [[ ! -x "$tool" ]]; then
  "$root/scripts/setup.sh" >&2
  [[ -f "$build/CMakeCache.txt" ]] ||
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target "$1" -j"$(nproc)" >&2
fi
echo "$tool"
