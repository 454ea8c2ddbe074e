#!/usr/bin/env bash
# The CUDA checks, run on a machine with a GPU from a tree carrying .gpu/ (scripts/gpu-bundle.sh
# made it here): every [cuda] kernel test (each op and GEMM layout bitwise equal to the CPU, the
# GPT's ops at its shapes, training runs' leaves CPU == CUDA for the MLPs and the GPT),
# step-train --check on cuda (the golden digests, the GPT's included; cuda named, so a device it
# cannot use fails), step-bench cuda-step (the exact CUDA step of the MLP and the GPT vs cuBLAS
# and the CPU), and the agent functional tests, the MLP's two and the GPT's market test, whose agents train and
# replay on CUDA under --backend auto. Logs and JSON figures go to $OUT (or ./gpu-out).
# Usage: scripts/gpu-check.sh [--dry-run]
#   --dry-run: unpack the bundle, point the built-in paths here, check each test filter selects
#   the tests it names and print the commands, without a device (stops before nvidia-smi).
# The device tool: run(command="scripts/gpu-check.sh", carry=[".gpu"], timeout_s=540).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dry=0
[ "${1:-}" = "--dry-run" ] && dry=1
out=${OUT:-$root/gpu-out}
mkdir -p "$out"
[ -f "$root/.gpu/bundle.tar.xz" ] || { echo "gpu-check: no .gpu/bundle.tar.xz (run scripts/gpu-bundle.sh)" >&2; exit 1; }
gpu=$(mktemp -d)
trap 'rm -rf "$gpu"' EXIT
tar -C "$gpu" -xJf "$root/.gpu/bundle.tar.xz"

# The tests read fixtures and binaries at the paths they were built with: point those here.
source_dir=$(cat "$gpu/source_dir")
binary_dir=$(cat "$gpu/binary_dir")
if [ "$source_dir" != "$root" ] && [ ! -e "$source_dir" ]; then
    mkdir -p "$(dirname "$source_dir")" && ln -s "$root" "$source_dir"
fi
mkdir -p "$binary_dir"
# A link left by an earlier run (the build folder persists on a warm machine) points at its
# removed bundle: replace it. A real build folder (this tree's own) is left alone.
if [ -L "$binary_dir/bin" ] || [ ! -e "$binary_dir/bin" ]; then ln -sfn "$gpu/bin" "$binary_dir/bin"; fi
export STEP_BIN_DIR=$gpu/bin
cublas=$(ldconfig -p 2>/dev/null | awk '/libcublas\.so\./ {print $NF; exit}')
[ -n "$cublas" ] || cublas=$(find /usr/local /usr/lib /opt -name 'libcublas.so.1*' -print -quit 2>/dev/null)
export LD_LIBRARY_PATH=$gpu/lib${cublas:+:$(dirname "$cublas")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
bin=$gpu/bin
status=0

# The agent tests: the MLP's two (market_agents_test.cc) and the GPT's (market_gpt_test.cc).
agents_mlp='the solver and verifier agents run a task to the end with no person in the loop,the verifier agent proves a forged trace it disagreed with\, and the unit is redone'
agents_gpt='the solver and verifier agents train a GPT task to the end*'

step() {  # step NAME COMMAND...: runs it, logs to $out/NAME.log, remembers a failure
    local name=$1
    shift
    echo "== $name: $*"
    [ $dry -eq 1 ] && return 0
    "$@" >"$out/$name.log" 2>&1
    local rc=$?
    tail -n 15 "$out/$name.log"
    echo "== $name: exit $rc"
    [ $rc -eq 0 ] || status=1
}
selects() {  # selects BINARY FILTER COUNT: the filter names COUNT tests (a renamed test shows here)
    local n
    n=$("$1" --list-test-names-only "$2" 2>/dev/null | grep -c .)
    echo "   $(basename "$1") '$2': $n tests"
    [ "$n" -eq "$3" ] || { echo "gpu-check: the filter selects $n tests, not $3" >&2; status=1; }
}

if [ $dry -eq 1 ]; then
    for b in test-kernels test-functional step-train step-bench stepd step-wallet; do
        [ -x "$bin/$b" ] || { echo "gpu-check: $b missing from the bundle" >&2; status=1; }
    done
    # Each binary loads: nothing missing but the CUDA driver (only a GPU machine has it).
    missing=$(for b in "$bin"/*; do ldd "$b"; done | awk '/not found/ && !/libcuda\.so/ {print $1}' | sort -u)
    [ -z "$missing" ] || { echo "gpu-check: libraries not found: $missing" >&2; status=1; }
    selects "$bin/test-kernels" "[cuda]" 6
    selects "$bin/test-functional" "$agents_mlp" 2
    selects "$bin/test-functional" "$agents_gpt" 1
    [ -e "$source_dir/tests/golden/kjv-gpt-adamw-clip.leaves" ] &&
        [ -e "$source_dir/tests/fixtures/kjv-genesis-16k-train.rec" ] ||
        { echo "gpu-check: fixtures or golden runs not reachable at $source_dir" >&2; status=1; }
else
    nvidia-smi -L | tee "$out/device.txt"
fi
step kernels "$bin/test-kernels" "[cuda]" --warn NoTests
# A test that skips (no device seen) passes; with a GPU here that is a failure of this check.
if [ $dry -eq 0 ] && grep -q 'skipped' "$out/kernels.log"; then echo "gpu-check: the CUDA tests skipped"; status=1; fi
step check "$bin/step-train" --check --backend cuda  # the CPU is checked everywhere else
step bench "$bin/step-bench" cuda-step
if [ $dry -eq 0 ] && grep -q '"name":"cuda_step".*skipped' "$out/bench.log"; then echo "gpu-check: cuda-step skipped"; status=1; fi
step agents "$bin/test-functional" --warn NoTests "$agents_mlp"
step agents-gpt "$bin/test-functional" --warn NoTests "$agents_gpt"
[ $dry -eq 1 ] && echo "gpu-check: dry run, exit $status"
exit $status
