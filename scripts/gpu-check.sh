#!/usr/bin/env bash
# The CUDA checks, run on a machine with a GPU from a tree carrying .gpu/ (scripts/gpu-bundle.sh
# made it here): every [cuda] kernel test (each op and GEMM layout bitwise equal to the CPU, a training
# run's leaves CPU == CUDA), step-train --check on each backend (the golden digests), step-bench
# cuda-step (exact CUDA step vs cuBLAS and the CPU), and two agent functional tests, whose agents
# train and replay on CUDA under --backend auto. Logs and JSON figures go to $OUT (or ./gpu-out).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/gpu-out}
mkdir -p "$out"
[ -f "$root/.gpu/bundle.tar.xz" ] || { echo "gpu-check: no .gpu/bundle.tar.xz (run scripts/gpu-bundle.sh)" >&2; exit 1; }
gpu=$(mktemp -d)
tar -C "$gpu" -xJf "$root/.gpu/bundle.tar.xz"

# The tests read fixtures and binaries at the paths they were built with: point those here.
source_dir=$(cat "$gpu/source_dir")
binary_dir=$(cat "$gpu/binary_dir")
if [ "$source_dir" != "$root" ] && [ ! -e "$source_dir" ]; then
    mkdir -p "$(dirname "$source_dir")" && ln -s "$root" "$source_dir"
fi
mkdir -p "$binary_dir"
[ -e "$binary_dir/bin" ] || ln -s "$gpu/bin" "$binary_dir/bin"
export STEP_BIN_DIR=$gpu/bin
cublas=$(ldconfig -p | awk '/libcublas\.so\./ {print $NF; exit}')
[ -n "$cublas" ] || cublas=$(find /usr/local /usr/lib /opt -name 'libcublas.so.1*' -print -quit 2>/dev/null)
export LD_LIBRARY_PATH=$gpu/lib${cublas:+:$(dirname "$cublas")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
bin=$gpu/bin
status=0
step() {  # step NAME COMMAND...: runs it, logs to $out/NAME.log, remembers a failure
    local name=$1
    shift
    echo "== $name: $*"
    "$@" >"$out/$name.log" 2>&1
    local rc=$?
    tail -n 15 "$out/$name.log"
    echo "== $name: exit $rc"
    [ $rc -eq 0 ] || status=1
}
nvidia-smi -L | tee "$out/device.txt"
step kernels "$bin/test-kernels" "[cuda]" --warn NoTests
# A test that skips (no device seen) passes; with a GPU here that is a failure of this check.
if grep -q 'skipped' "$out/kernels.log"; then echo "gpu-check: the CUDA tests skipped"; status=1; fi
step check "$bin/step-train" --check
step bench "$bin/step-bench" cuda-step
step agents "$bin/test-functional" --warn NoTests \
    'the solver and verifier agents run a task to the end with no person in the loop,the verifier agent proves a forged trace it disagreed with\, and the unit is redone'
exit $status
