#!/usr/bin/env bash
# Installs what the dashboard's browser tests (CTest label ui, tests/ui/) need: Debian's chromium
# and chromium-driver. Only scripts/test.sh calls it: building and running stepd need neither
# (scripts/setup.sh). Idempotent, never prompts, quiet when both are there. Without them the ui
# tests report SKIP. STEP_NO_UI_DEPS=1 skips the install.
set -euo pipefail
[[ ${STEP_NO_UI_DEPS:-0} == 1 ]] && exit 0
packages=(chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
((${#missing[@]})) || exit 0
echo "ui-deps: installing ${missing[*]}"
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "ui-deps: could not install ${missing[*]}; the ui tests will report SKIP" >&2
fi
