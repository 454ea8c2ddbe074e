#!/usr/bin/env bash
# Writes the King James Bible, as Debian's bible-kjv package ships it, in the text-u8-65 record
# format (docs/kernels.md "Records"):
#   data/kjv.txt        the normalised text (31,102 verses, one per line)
#   data/kjv-train.rec  windows of its first 90% of bytes
#   data/kjv-val.rec    windows of the last 10%
# The text is public domain. It is read with the package's own tool, `bible`, and normalised
# here: every verse of Genesis 1:1 to Revelation 22:21 in book order, its reference and the
# chapter headings dropped, one verse per line ending in "\n", nothing else changed (the text is
# ASCII). Each rule changes the dataset roots, so each is part of the format's definition.
# Works on a fresh clone: installs bible-kjv and what the build needs, and builds step-data.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tool="$("$root/scripts/build-tool.sh" step-data)"
command -v bible >/dev/null || "$root/scripts/setup.sh" bible-kjv  # the text and its reader
mkdir -p "$root/data"
# -l with a width wider than any verse: one line per verse. Verse lines are indented and start
# with the verse number; headings ("Genesis 1") and blank lines are not indented.
bible -l100000 "Gen1:1-Rev22:21" |
  LC_ALL=C sed -n -E 's/^ +[0-9]+ //p' >"$root/data/kjv.txt"
verses=$(wc -l <"$root/data/kjv.txt")
if [[ "$verses" -ne 31102 ]]; then
  echo "get-text: expected the 31,102 verses of the King James Bible, read $verses" >&2
  exit 1
fi
"$tool" import-text "$root/data/kjv.txt" "$root/data/kjv-train.rec" "$root/data/kjv-val.rec"
