#!/usr/bin/env bash
# Side-by-side figures against the peers, in one run:
#   - MNIST MLP training steps/s (mlp{784,256,256,10}, ReLU, batch 64, SGD momentum): ours
#     (step-bench train-mlp) vs PyTorch CPU (/usr/bin/python3 + python3-torch) at 1 and 2 threads.
#     PyTorch is limited with torch.set_num_threads AND OPENBLAS_NUM_THREADS/OMP_NUM_THREADS, and
#     measured with the environment's OPENBLAS_CORETYPE and with it unset; its best is reported.
#   - step-bench gemm (our GEMM beside OpenBLAS's), when that benchmark exists in this build.
#   - step-bench digest: state hashing time and its share of training time.
# Usage: scripts/bench-peers.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
bench="$build/bin/step-bench"
"$root/scripts/setup.sh" --tests  # PyTorch and OpenBLAS, the peers
# Configure again so a build made before OpenBLAS was installed links it (step-bench gemm's peer).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target step-bench -j2

torch_sps() {  # threads -> steps/s
  OPENBLAS_NUM_THREADS="$1" OMP_NUM_THREADS="$1" MKL_NUM_THREADS="$1" /usr/bin/python3 - "$1" <<'PY'
import sys, time, torch
t = int(sys.argv[1]); torch.set_num_threads(t); torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                        torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
x = torch.rand(2048, 784); y = torch.randint(0, 10, (2048,))
def step(i):
    j = (i * 64) % 2048
    loss = torch.nn.functional.cross_entropy(m(x[j:j + 64]), y[j:j + 64])
    opt.zero_grad(); loss.backward(); opt.step()
for i in range(20): step(i)
n = 300; t0 = time.perf_counter()
for i in range(n): step(i)
print(n / (time.perf_counter() - t0))
PY
}

have_torch=1
/usr/bin/python3 -c "import torch" 2>/dev/null || have_torch=0
mapfile -t ours < <("$bench" train-mlp | python3 -c 'import sys,json; [print("%.1f" % json.loads(l)["value"]) for l in sys.stdin]')
printf '%-36s %12s %12s\n' "MNIST MLP training (steps/s)" "stepchain" "PyTorch CPU"
for i in 0 1; do
  threads=$((i + 1)); peer="n/a"
  if [[ $have_torch == 1 ]]; then
    with=$(torch_sps "$threads")
    without=$(env -u OPENBLAS_CORETYPE bash -c "$(declare -f torch_sps); torch_sps $threads")
    peer=$(python3 -c "print('%.1f' % max($with, $without))")
    note="(CORETYPE=${OPENBLAS_CORETYPE:-unset}: $(printf %.1f "$with"), unset: $(printf %.1f "$without"))"
  fi
  printf '%-36s %12s %12s  %s\n' "  $threads thread(s)" "${ours[$i]}" "$peer" "${note:-}"
done
echo
if "$bench" list | grep -q '^  gemm '; then
  echo "GEMM (step-bench gemm):"; "$bench" gemm
else
  echo "GEMM: step-bench gemm not in this build (added by the fast-kernels work)"
fi
echo
echo "State hashing (step-bench digest):"; "$bench" digest
