#!/usr/bin/env bash
# Packs what the GPU checks need into .gpu/bundle.tar.xz (ignored by git; xz keeps it inside the
# 64 MiB a device call carries) so a machine with a GPU but none of
# the project's Debian libraries can run them: the CUDA-enabled binaries of a Release build made
# here, the shared libraries they load (less glibc, the CUDA driver and cuBLAS, which that machine
# has), and the paths the tests were built with. Then, on the GPU machine, from a copy of this
# tree with .gpu/ beside it: scripts/gpu-check.sh. Usage: scripts/gpu-bundle.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
bundle=$(mktemp -d)
trap 'rm -rf "$bundle"' EXIT
binaries=(test-kernels test-functional step-train step-bench stepd step-wallet)

grep -q '^STEP_NVCC:FILEPATH=/' "$build/CMakeCache.txt" 2>/dev/null ||
    { echo "gpu-bundle: $build is not a CUDA build (nvcc not found at configure time)" >&2; exit 1; }
cmake --build "$build" --target "${binaries[@]}" -j "${STEP_JOBS:-$(nproc)}"

mkdir -p "$bundle/bin" "$bundle/lib"
for b in "${binaries[@]}"; do cp "$build/bin/$b" "$bundle/bin/"; done
# Every library the binaries load, except the C library's own (that machine's glibc is as new or
# newer) and the CUDA libraries its toolkit provides at the matching version.
for b in "${binaries[@]}"; do ldd "$build/bin/$b"; done |
    awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so|libcuda\.so|libcublas' |
    while read -r lib; do cp -L "$lib" "$bundle/lib/"; done
printf '%s\n' "$root" >"$bundle/source_dir"
printf '%s\n' "$build" >"$bundle/binary_dir"
strip "$bundle"/bin/* "$bundle"/lib/*
mkdir -p "$root/.gpu"
tar -C "$bundle" -cJf "$root/.gpu/bundle.tar.xz" .
du -h "$root/.gpu/bundle.tar.xz"
