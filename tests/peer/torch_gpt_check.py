#!/usr/bin/env python3
"""Peer check of the byte-level GPT (docs/kernels.md "The GPT") against PyTorch (CPU, float32).

The golden GPT run's spec (tests/golden/kjv-gpt-adamw-clip.toml: AdamW, clip_grad_norm) trained
by `step-train --export-peer` for 100 steps; PyTorch builds the same architecture (pre-LN blocks,
causal multi-head attention on packed QKV, GELU with the exact erf, an untied head without bias,
the loss over all B*T positions) from the same initial weights and trains on the same batches
with torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW. It checks:
  - the first step's loss within 1e-5 relative,
  - every tensor's first-step gradient (after clipping) within 1e-5 of that tensor's norm,
  - the first 100 losses within 1e-3 relative.
Exit 77 (skipped) when PyTorch is not importable.
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_check import read_state  # noqa: E402 - exits 77 itself when PyTorch is missing

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "tests", "golden", "kjv-gpt-adamw-clip.toml")
STEPS = 100
LN_EPS = 1e-5


class Block(torch.nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.ln_1 = torch.nn.LayerNorm(C, eps=LN_EPS)
        self.c_attn = torch.nn.Linear(C, 3 * C)
        self.attn_proj = torch.nn.Linear(C, C)
        self.ln_2 = torch.nn.LayerNorm(C, eps=LN_EPS)
        self.c_fc = torch.nn.Linear(C, 4 * C)
        self.mlp_proj = torch.nn.Linear(4 * C, C)

    def attention(self, x):
        B, T, C = x.shape
        D = C // self.H
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, D).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = torch.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        return self.attn_proj((att @ v).transpose(1, 2).reshape(B, T, C))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        f = torch.nn.functional.gelu(self.c_fc(self.ln_2(x)), approximate="none")
        return x + self.mlp_proj(f)


class Gpt(torch.nn.Module):
    def __init__(self, V, T, L, C, H):
        super().__init__()
        self.wte = torch.nn.Embedding(V, C)
        self.wpe = torch.nn.Parameter(torch.zeros(T, C))
        self.blocks = torch.nn.ModuleList(Block(C, H) for _ in range(L))
        self.ln_f = torch.nn.LayerNorm(C, eps=LN_EPS)
        self.lm_head = torch.nn.Linear(C, V, bias=False)

    def tensors(self):
        """The parameters in the order of the flat state (kernels/model_gpt.cc's layout)."""
        out = [self.wte.weight, self.wpe]
        for b in self.blocks:
            out += [b.ln_1.weight, b.ln_1.bias, b.c_attn.weight, b.c_attn.bias, b.attn_proj.weight,
                    b.attn_proj.bias, b.ln_2.weight, b.ln_2.bias, b.c_fc.weight, b.c_fc.bias,
                    b.mlp_proj.weight, b.mlp_proj.bias]
        return out + [self.ln_f.weight, self.ln_f.bias, self.lm_head.weight]

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe
        for b in self.blocks:
            x = b(x)
        return self.lm_head(self.ln_f(x))


def build(arch, flat):
    dims = [int(d) for d in re.match(r"gpt\{([0-9,]+)\}", arch).group(1).split(",")]
    model = Gpt(*dims)
    at = 0
    with torch.no_grad():
        for t in model.tensors():
            t.copy_(torch.from_numpy(flat[at:at + t.numel()]).reshape(t.shape))
            at += t.numel()
    assert at == flat.size, f"{arch}: {flat.size} values in the state, {at} in the model"
    return model


def check_gradients(model, g0, failures):
    at, worst = 0, 0.0
    for i, t in enumerate(model.tensors()):
        ours = torch.from_numpy(g0[at:at + t.numel()]).reshape(t.shape)
        at += t.numel()
        scale = max(float(t.grad.norm()), 1e-30)
        rel = float((t.grad - ours).abs().max()) / scale
        worst = max(worst, rel)
        if rel > 1e-5:
            failures.append(f"gradient of tensor {i} {tuple(t.shape)} differs by {rel:.2e} of its norm")
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step-train", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    torch.set_num_threads(1)
    spec = tomllib.load(open(SPEC, "rb"))
    subprocess.run([a.step_train, SPEC, "--export-peer", a.work, "--steps", str(STEPS)], check=True)

    arch, init = read_state(os.path.join(a.work, "init.state"))
    model = build(arch, init)
    opt = spec["optimizer"]
    adamw = torch.optim.AdamW(model.parameters(), lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]),
                              eps=opt["eps"], weight_decay=opt["weight_decay"])
    windows = np.fromfile(os.path.join(os.path.dirname(SPEC), spec["data"]["train"]), dtype=np.uint8)
    windows = torch.from_numpy(windows.reshape(-1, 65).astype(np.int64))
    batches = [[int(v) for v in l.split()] for l in open(os.path.join(a.work, "batches.txt"))]
    ours = [float(l) for l in open(os.path.join(a.work, "losses.txt"))]
    g0 = np.fromfile(os.path.join(a.work, "grads0.bin"), dtype="<f4")
    failures, worst_loss, clipped = [], 0.0, 0

    for t, idx in enumerate(batches):
        rec = windows[torch.tensor(idx)]
        logits = model(rec[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 rec[:, 1:].reshape(-1))
        adamw.zero_grad()
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), opt["max_grad_norm"]))
        clipped += norm > opt["max_grad_norm"]
        if t == 0:
            lerr = abs(loss.item() - ours[0]) / abs(loss.item())
            gerr = check_gradients(model, g0, failures)
            print(f"step 1: loss torch {loss.item():.8f} ours {ours[0]:.8f} (rel {lerr:.2e}); "
                  f"gradient norm {norm:.4f}; largest gradient difference {gerr:.2e} of its tensor's norm")
            if lerr > 1e-5:
                failures.append(f"first loss differs by {lerr:.2e} relative")
        rel = abs(loss.item() - ours[t]) / max(abs(loss.item()), 1e-3)
        worst_loss = max(worst_loss, rel)
        if rel > 1e-3:
            failures.append(f"loss of step {t + 1} differs by {rel:.2e} relative")
        adamw.step()

    print(f"steps 1..{len(batches)}: largest relative loss difference {worst_loss:.2e}; "
          f"loss {ours[0]:.4f} -> {ours[-1]:.4f}; clipped on {clipped} of {len(batches)} steps")
    if len(batches) != STEPS:
        failures.append(f"{len(batches)} exported steps, expected {STEPS}")
    for f in failures[:10]:
        print("FAIL:", f)
    print("PASS" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
