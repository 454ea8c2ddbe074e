#!/usr/bin/env bash
# Side-by-side figures against the peers, in one run:
#   - MNIST MLP training steps/s (mlp{784,256,256,10}, ReLU, batch 64, SGD momentum): ours
#     (step-bench train-mlp) vs PyTorch CPU (/usr/bin/python3 + python3-torch) at 1 and 2 threads.
#     PyTorch is limited with torch.set_num_threads AND OPENBLAS_NUM_THREADS/OMP_NUM_THREADS, and
#     measured with the environment's OPENBLAS_CORETYPE and with it unset; its best is reported.
#   - byte-level GPT training steps/s (the gpt-tiny example's gpt{256,64,2,64,4}, batch 16, AdamW,
#     clip_grad_norm 1): ours (step-bench train-gpt) vs the same model in PyTorch
#     (tests/peer/torch_gpt_check.py's Gpt), measured the same way.
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

export root
torch_sps() {  # model (mlp|gpt) threads -> steps/s
  OPENBLAS_NUM_THREADS="$2" OMP_NUM_THREADS="$2" MKL_NUM_THREADS="$2" /usr/bin/python3 - "$1" "$2" <<'PY'
import os, sys, time, torch
model, t = sys.argv[1], int(sys.argv[2]); torch.set_num_threads(t); torch.manual_seed(0)
if model == "mlp":
    m = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                            torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x = torch.rand(2048, 784); y = torch.randint(0, 10, (2048,))
    def step(i):
        j = (i * 64) % 2048
        loss = torch.nn.functional.cross_entropy(m(x[j:j + 64]), y[j:j + 64])
        opt.zero_grad(); loss.backward(); opt.step()
    n = 300
else:
    sys.path.insert(0, os.path.join(os.environ["root"], "tests", "peer"))
    from torch_gpt_check import Gpt
    m = Gpt(256, 64, 2, 64, 4)
    opt = torch.optim.AdamW(m.parameters(), lr=0.003, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)
    x = torch.randint(0, 256, (2048, 65))
    def step(i):
        r = x[(i * 16) % 2048:][:16]
        logits = m(r[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), r[:, 1:].reshape(-1))
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    n = 100
for i in range(20): step(i)
t0 = time.perf_counter()
for i in range(n): step(i)
print(n / (time.perf_counter() - t0))
PY
}

have_torch=1
/usr/bin/python3 -c "import torch" 2>/dev/null || have_torch=0
peer_table() {  # title step-bench-name model
  local -a ours
  mapfile -t ours < <("$bench" "$2" | python3 -c 'import sys,json; [print("%.1f" % json.loads(l)["value"]) for l in sys.stdin]')
  printf '%-36s %12s %12s %7s\n' "$1 (steps/s)" "stepchain" "PyTorch CPU" "ratio"
  for i in 0 1; do
    local threads=$((i + 1)) peer="n/a" ratio="" note=""
    if [[ $have_torch == 1 ]]; then
      local with without
      with=$(torch_sps "$3" "$threads")
      without=$(env -u OPENBLAS_CORETYPE bash -c "$(declare -f torch_sps); torch_sps $3 $threads")
      peer=$(python3 -c "print('%.1f' % max($with, $without))")
      ratio=$(python3 -c "print('%.2fx' % (${ours[$i]} / $peer))")
      note="(CORETYPE=${OPENBLAS_CORETYPE:-unset}: $(printf %.1f "$with"), unset: $(printf %.1f "$without"))"
    fi
    printf '%-36s %12s %12s %7s  %s\n' "  $threads thread(s)" "${ours[$i]}" "$peer" "$ratio" "$note"
  done
}
peer_table "MNIST MLP training" train-mlp mlp
echo
peer_table "Byte-level GPT training" train-gpt gpt
echo
if "$bench" list | grep -q '^  gemm '; then
  echo "GEMM (step-bench gemm):"; "$bench" gemm
else
  echo "GEMM: step-bench gemm not in this build (added by the fast-kernels work)"
fi
echo
echo "State hashing (step-bench digest):"; "$bench" digest
