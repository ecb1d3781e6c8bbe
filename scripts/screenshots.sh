#!/usr/bin/env bash
# Refresh the README's screenshots: run the browser journey that tours the main screens over the
# demo data (tests/browser/test_screens.py), then copy its steps to docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
"$BIN/pytest" -q -p no:cacheprovider -m browser tests/browser/test_screens.py

src=test-artifacts/screenshots/screens
dst=docs/screenshots
mkdir -p "$dst"
for name in case-page one-time-notice dashboard ledger; do
  found=$(ls "$src/"*"-$name.png" 2>/dev/null | head -n 1)
  if [ -z "$found" ]; then echo "missing screenshot: $src/*-$name.png" >&2; exit 1; fi
  cp "$found" "$dst/$name.png"
  echo "$dst/$name.png  <-  $found"
done
