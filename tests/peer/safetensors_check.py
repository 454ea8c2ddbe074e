#!/usr/bin/env python3
"""Peer check of the safetensors export: PyTorch loads what we write.

For each golden spec, `step-train SPEC --export model.safetensors --test-logits logits.bin` trains
and writes the model and our logits on the spec's test records. This script reads the file as
the format defines it (an 8-byte little-endian header length, a JSON header, raw little-endian
data: Debian ships no safetensors module), loads the tensors into the nn.Sequential of the same
layers with load_state_dict(strict=True), and requires:
  - every tensor F32, named as PyTorch names the layers, the header's metadata present;
  - PyTorch's logits on the test records within 1e-4 of ours;
  - PyTorch's test accuracy within 0.1 points of the accuracy step-train reported.
Exit 77 (skipped) when PyTorch is not importable.
"""
import argparse
import json
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
SPECS = ["mnist-mlp-sgd.toml", "mnist-mlp-adamw-gelu.toml"]
DTYPES = {"F32": np.dtype("<f4")}


def read_safetensors(path):
    b = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", b, 0)
    header = json.loads(b[8:8 + n])
    data = b[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        dtype = DTYPES[t["dtype"]]
        values = np.frombuffer(data[begin:end], dtype=dtype).reshape(t["shape"])
        tensors[name] = torch.from_numpy(values.astype(np.float32))
    return meta, tensors


def sequential(model_text):
    """mlp{784,64,10}/relu -> nn.Sequential(Linear, ReLU, Linear)."""
    arch, activation = model_text.split("/")
    dims = [int(d) for d in arch[arch.index("{") + 1:arch.index("}")].split(",")]
    act = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU}[activation]
    layers = []
    for i in range(len(dims) - 1):
        layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
        if i + 2 < len(dims):
            layers.append(act())
    return torch.nn.Sequential(*layers)


def check(step_train, spec_name, work):
    spec_path = os.path.join(ROOT, "tests", "golden", spec_name)
    spec = tomllib.load(open(spec_path, "rb"))
    model_file = os.path.join(work, spec_name + ".safetensors")
    logits_file = os.path.join(work, spec_name + ".logits")
    run = subprocess.run([step_train, spec_path, "--quiet", "--output", "json", "--export", model_file,
                          "--test-logits", logits_file], check=True, capture_output=True, text=True)
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    meta, tensors = read_safetensors(model_file)
    failures = []
    for key in ("model", "state_root", "step"):
        if key not in meta:
            failures.append(f"metadata lacks {key}")
    model = sequential(meta["model"])
    model.load_state_dict(tensors, strict=True)  # raises on a missing, extra or misshapen tensor
    test = np.fromfile(os.path.join(os.path.dirname(spec_path), spec["data"]["test"]), dtype=np.uint8)
    test = test.reshape(-1, 785)
    x = torch.from_numpy(test[:, :784].astype(np.float32)) / 255.0
    y = torch.from_numpy(test[:, 784].astype(np.int64))
    ours = np.fromfile(logits_file, dtype="<f4").reshape(len(y), -1)
    with torch.no_grad():
        theirs = model(x).numpy()
    worst = float(np.max(np.abs(theirs - ours)))
    acc_torch = float((theirs.argmax(1) == y.numpy()).mean())
    acc_ours = summary["test_accuracy"]
    print(f"{spec_name}: {len(tensors)} tensors loaded strictly; logits differ by at most {worst:.2e}; "
          f"accuracy torch {100 * acc_torch:.2f}% ours {100 * acc_ours:.2f}% ({len(y)} test digits)")
    if worst > 1e-4:
        failures.append(f"{spec_name}: logits differ by {worst:.2e}")
    if abs(acc_torch - acc_ours) > 0.001 + 1e-12:
        failures.append(f"{spec_name}: accuracies differ by more than 0.1 points")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step-train", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    torch.set_num_threads(1)
    failures = []
    for spec_name in SPECS:
        failures += check(a.step_train, spec_name, a.work)
    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
