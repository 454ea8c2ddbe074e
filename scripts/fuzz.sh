#!/usr/bin/env bash
# Runs one libFuzzer target of tests/fuzz for SECONDS (0: until it finds something or is
# stopped), building it in the sanitizer folder (scripts/sanitize.sh) first. The fuzzer starts
# from the committed corpus (tests/fuzz/corpus/TARGET, never written to) and keeps what it finds
# in $STEP_SAN_BUILD_DIR/fuzz/corpus/TARGET; a crashing input lands in .../fuzz/artifacts/TARGET.
#   scripts/fuzz.sh --list                  the target names, one a line
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]   e.g. -jobs=2 -workers=2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
san=${STEP_SAN_BUILD_DIR:-$root/build-san}

if [[ ${1:-} == --list ]]; then
    sed -n 's/^STEP_FUZZ_TARGET(\([a-z0-9_]*\)).*/\1/p' "$root"/tests/fuzz/*.cc | sort
    exit 0
fi
target=${1:?usage: scripts/fuzz.sh --list | TARGET SECONDS [libFuzzer flags]}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags]}
shift 2
if ! "$0" --list | grep -qx "$target"; then
    echo "fuzz.sh: no target '$target' (scripts/fuzz.sh --list names them)" >&2
    exit 2
fi
[[ -n ${STEP_FUZZ_NO_BUILD:-} ]] || "$root/scripts/sanitize.sh" build "fuzz-$target"

work=$san/fuzz
mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
echo "fuzz.sh: $target for ${seconds}s"
"$san/bin/fuzz-$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$target/" "$@" \
    "$work/corpus/$target" "$root/tests/fuzz/corpus/$target"
