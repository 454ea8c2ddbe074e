#!/usr/bin/env python3
"""Peer check of the deterministic kernels against PyTorch (CPU, float32).

From the same initial weights and the same batches (exported by `step-train --export-peer`):
  - the first step's loss and every gradient match within 1e-5 (relative to the gradient's scale),
  - the first 100 steps' losses match within 1e-3 (relative),
  - after the full fixture run, test accuracy of both models is within half a point.
Exit 77 (skipped) when PyTorch is not importable.
"""
import argparse
import os
import struct
import subprocess
import sys
import tomllib

try:
    import numpy as np
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no peer here"
    print(f"SKIP: PyTorch not available ({e})")
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "tests", "golden", "mnist-mlp-sgd.toml")


def read_state(path):
    b = open(path, "rb").read()
    assert b[:8] == b"STEPSTAT", "not a state file"
    (n_model,) = struct.unpack_from("<I", b, 24)
    model = b[28:28 + n_model].decode()
    at = 28 + n_model
    params, count = struct.unpack_from("<QQ", b, at)
    values = np.frombuffer(b, dtype="<f4", count=count, offset=at + 16)
    return model, values[:params].copy()


def build(dims, flat):
    layers, at = [], 0
    for i in range(len(dims) - 1):
        lin = torch.nn.Linear(dims[i], dims[i + 1])
        w = dims[i] * dims[i + 1]
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(flat[at:at + w].reshape(dims[i + 1], dims[i])))
            lin.bias.copy_(torch.from_numpy(flat[at + w:at + w + dims[i + 1]]))
        at += w + dims[i + 1]
        layers.append(lin)
        if i + 2 < len(dims):
            layers.append(torch.nn.ReLU())
    assert at == flat.size
    return torch.nn.Sequential(*layers)


def flat_grads(model):
    parts = []
    for m in model:
        if isinstance(m, torch.nn.Linear):
            parts += [m.weight.grad.reshape(-1), m.bias.grad.reshape(-1)]
    return torch.cat(parts).numpy()


def records(path):
    r = np.fromfile(path, dtype=np.uint8).reshape(-1, 785)
    x = torch.from_numpy(r[:, :784].astype(np.float32)) / 255.0
    return x, torch.from_numpy(r[:, 784].astype(np.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step-train", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    torch.set_num_threads(1)
    spec = tomllib.load(open(SPEC, "rb"))
    steps = spec["steps"]
    subprocess.run([a.step_train, SPEC, "--export-peer", a.work, "--steps", str(steps)], check=True)
    subprocess.run([a.step_train, SPEC, "--quiet", "--checkpoint", os.path.join(a.work, "final.state")],
                   check=True, stdout=subprocess.DEVNULL)

    arch, init = read_state(os.path.join(a.work, "init.state"))
    dims = [int(d) for d in arch[arch.index("{") + 1:arch.index("}")].split(",")]
    model = build(dims, init)
    opt = spec["optimizer"]
    sgd = torch.optim.SGD(model.parameters(), lr=opt["lr"], momentum=opt.get("momentum", 0.0),
                          weight_decay=opt.get("weight_decay", 0.0))
    base = os.path.dirname(SPEC)
    xtr, ytr = records(os.path.join(base, spec["data"]["train"]))
    xte, yte = records(os.path.join(base, spec["data"]["test"]))
    batches = [[int(v) for v in l.split()] for l in open(os.path.join(a.work, "batches.txt"))]
    ours = [float(l) for l in open(os.path.join(a.work, "losses.txt"))]
    g0 = np.fromfile(os.path.join(a.work, "grads0.bin"), dtype="<f4")
    failures = []
    worst_loss = 0.0

    for t, idx in enumerate(batches):
        idx = torch.tensor(idx)
        loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
        sgd.zero_grad()
        loss.backward()
        if t == 0:
            g = flat_grads(model)
            scale = float(np.max(np.abs(g)))
            gerr = float(np.max(np.abs(g - g0))) / scale
            lerr = abs(loss.item() - ours[0]) / abs(loss.item())
            print(f"step 1: loss torch {loss.item():.8f} ours {ours[0]:.8f} (rel {lerr:.2e}); "
                  f"max gradient difference {gerr:.2e} of the largest gradient")
            if lerr > 1e-5:
                failures.append(f"first loss differs by {lerr:.2e} relative")
            if gerr > 1e-5:
                failures.append(f"first gradients differ by {gerr:.2e} relative")
        if t < 100:
            rel = abs(loss.item() - ours[t]) / max(abs(loss.item()), 1e-3)
            worst_loss = max(worst_loss, rel)
            if rel > 1e-3:
                failures.append(f"loss of step {t + 1} differs by {rel:.2e} relative")
        sgd.step()

    print(f"steps 1..{min(100, len(batches))}: largest relative loss difference {worst_loss:.2e}")
    with torch.no_grad():
        acc_torch = (model(xte).argmax(1) == yte).float().mean().item()
        _, final = read_state(os.path.join(a.work, "final.state"))
        acc_ours = (build(dims, final)(xte).argmax(1) == yte).float().mean().item()
    print(f"after {steps} steps: test accuracy torch {100 * acc_torch:.2f}% ours {100 * acc_ours:.2f}% "
          f"({len(yte)} fixture test digits)")
    if abs(acc_torch - acc_ours) > 0.005 + 1e-9:
        failures.append("final accuracies differ by more than half a point")
    for f in failures[:10]:
        print("FAIL:", f)
    print("PASS" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
