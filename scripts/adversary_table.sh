#!/usr/bin/env bash
# The adversary suite's payoff table (docs/market.md "Deviations never pay"): runs the tests of
# label `adversary` (one seeded devnet of real processes per deviation) with STEP_ADVERSARY_TABLE
# set, so each case appends its row, then prints them as a Markdown table in STEP.
# Usage: scripts/adversary_table.sh [BUILD_DIR]   (the build must hold step-deviant and the tests)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
rows="$(mktemp)"
trap 'rm -f "$rows"' EXIT
status=0
STEP_ADVERSARY_TABLE="$rows" ctest --test-dir "$build" -L adversary -j2 --output-on-failure >&2 ||
  status=$?
python3 - "$rows" <<'PY'
import json, re, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
rows.sort(key=lambda r: (int(re.match(r"\d+", r["case"]).group()), r["case"]))
step = lambda units: f"{units / 1e9:+.6f}"
print("| case | party | deviation | payoff honest | payoff deviating | difference | caught with | expected payoff |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    print(f"| {r['case']} | {r['party']} | {r['deviation']} | {step(r['honest'])} | "
          f"{step(r['deviating'])} | {step(r['difference'])} | {r['caught']:.4f} | "
          f"{step(r['expected'])} |")
print()
for r in rows:
    print(f"- case {r['case']}: {r['note']}")
PY
exit "$status"
