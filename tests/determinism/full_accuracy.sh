#!/usr/bin/env bash
# The example task on real MNIST (scripts/get-mnist.sh) must reach >= 95.5% test accuracy.
# Skipped (exit 77) when data/mnist-*.rec are absent (tests need no network). With the vector
# GEMM the 5,000 steps take seconds.
# Usage: full_accuracy.sh STEP_TRAIN
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
tool="$1"
if [[ ! -f "$src/data/mnist-train.rec" || ! -f "$src/data/mnist-test.rec" ]]; then
  echo "SKIP: data/mnist-*.rec missing (run scripts/get-mnist.sh)"
  exit 77
fi
summary=$("$tool" "$src/examples/mnist-mlp.toml" --output json --threads "${STEP_THREADS:-2}" | tail -1)
echo "$summary"
acc=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["test_accuracy"])' "$summary")
python3 -c 'import sys; a=float(sys.argv[1]); print(f"test accuracy {100*a:.2f}%"); sys.exit(0 if a >= 0.955 else 1)' "$acc"
