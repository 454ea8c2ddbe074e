#!/usr/bin/env bash
# The sanitizer build: one clang folder with AddressSanitizer + UndefinedBehaviorSanitizer (and
# libFuzzer's coverage instrumentation, so the same objects serve the fuzzers), no CUDA, -O1.
#   scripts/sanitize.sh build [TARGET...]   configure and build (the unit tests and fuzzers, or the
#                                           targets named)
#   scripts/sanitize.sh test [ctest args]   build, then run the unit tests under the sanitizers
#   scripts/sanitize.sh fuzz SECONDS        every fuzzer: replay its corpus, then fuzz SECONDS
#   scripts/sanitize.sh ci                  test, then fuzz 10: what .ci/run adds after test.sh
# Folder: STEP_SAN_BUILD_DIR (default build-san).
# Any sanitizer report fails the run (halt_on_error, no recovery from UB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
san=${STEP_SAN_BUILD_DIR:-$root/build-san}
jobs=${STEP_JOBS:-$(nproc)}

# The unit-test labels (functional tests start many stepd processes and stay in the normal suite),
# less the kernels' script tests: they compare digests between compilers, with PyTorch and
# against full MNIST (determinism, not memory safety; the normal suite runs them).
unit_labels='^(common|kernels|verifier|consensus|market|node|net|p2p|wallet|fuzz)$'
not_unit='compilers agree|PyTorch peer check|full MNIST accuracy'

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

configure() {  # configure DIR FLAGS EXTRA_CMAKE_ARGS...
    "$root/scripts/setup.sh" --tests  # clang and its sanitizer runtimes
    local dir=$1 flags=$2
    shift 2
    cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" \
        -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_EXE_LINKER_FLAGS="$flags" -DSTEP_ENABLE_CUDA=OFF "$@" >/dev/null
}

build_san() {
    configure "$san" "-fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize=fuzzer-no-link" \
        -DSTEP_FUZZERS=ON
    if (($#)); then
        cmake --build "$san" -j "$jobs" --target "$@"
    else
        cmake --build "$san" -j "$jobs" --target step_unit_tests step_fuzzers
    fi
}

case ${1:-} in
build)
    shift
    build_san "$@"
    ;;
test)
    shift
    build_san
    ctest --test-dir "$san" --output-on-failure -j "$jobs" -L "$unit_labels" -E "$not_unit" "$@"
    ;;
fuzz)
    seconds=${2:?usage: scripts/sanitize.sh fuzz SECONDS}
    build_san
    failed=()
    for t in $("$root/scripts/fuzz.sh" --list); do
        STEP_FUZZ_NO_BUILD=1 "$root/scripts/fuzz.sh" "$t" "$seconds" -close_fd_mask=1 || failed+=("$t")
    done
    if ((${#failed[@]})); then
        echo "sanitize.sh: fuzzers with findings: ${failed[*]} (inputs in $san/fuzz/artifacts/)" >&2
        exit 1
    fi
    ;;
ci)
    "$0" test
    "$0" fuzz "${STEP_FUZZ_SECONDS:-10}"
    ;;
*)
    sed -n '2,9p' "$0" >&2
    exit 2
    ;;
esac
