#!/usr/bin/env bash
# Builds step-train with g++ and with clang++ (separate build folders, only that target) and
# checks that a 200-step MNIST run (the golden example-shaped spec on the fixture) and the golden
# GPT run (attention, clipping, AdamW on the KJV fixture) give the same digest after every step,
# and that both reproduce the committed golden leaves.
# Usage: compilers.sh WORK_DIR. Exit 77 (skip) when a compiler is missing.
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$src/build/compilers}"
spec="$src/tests/golden/mnist-mlp-sgd.toml"
gpt_spec="$src/tests/golden/kjv-gpt-adamw-clip.toml"
mkdir -p "$work"
for cxx in g++ clang++; do
  command -v "$cxx" >/dev/null || { echo "SKIP: $cxx not installed"; exit 77; }
done
for cxx in g++ clang++; do
  dir="$work/$cxx"
  cc="gcc"; [[ "$cxx" == clang++ ]] && cc="clang"
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_C_COMPILER="$cc" -DSTEP_ENABLE_CUDA=OFF >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" --target step-train -j2 >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; exit 1; }
  "$dir/bin/step-train" "$spec" --leaf-interval 1 --digests "$work/$cxx.digests" --quiet >/dev/null
  "$dir/bin/step-train" "$gpt_spec" --leaf-interval 1 --digests "$work/$cxx.gpt.digests" --quiet >/dev/null
  "$dir/bin/step-train" --check --golden "$src/tests/golden" >"$work/$cxx.check" ||
    { echo "$cxx does not reproduce the golden leaves:"; cat "$work/$cxx.check"; exit 1; }
done
n=$(wc -l <"$work/g++.digests")
if [[ "$n" -ne 201 ]]; then echo "expected 201 digests, got $n"; exit 1; fi
if ! cmp -s "$work/g++.digests" "$work/clang++.digests"; then
  first=$(diff <(cat -n "$work/g++.digests") <(cat -n "$work/clang++.digests") | awk 'NR==2{print $2; exit}')
  echo "FAIL: g++ and clang++ digests differ, first at line ${first} (digest after step $((first - 1)))"
  exit 1
fi
if ! cmp -s "$work/g++.gpt.digests" "$work/clang++.gpt.digests"; then
  echo "FAIL: g++ and clang++ digests of the golden GPT run differ"
  exit 1
fi
echo "PASS: g++ and clang++ agree on all $n MLP and $(wc -l <"$work/g++.gpt.digests") GPT per-step digests and on every golden leaf"
