#!/usr/bin/env bash
# Refresh the README's screenshots: run the browser journeys that visit the main screens, then copy
# the steps shown in the README from test-artifacts/screenshots/ to docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
"$BIN/pytest" -q -p no:cacheprovider -m browser tests/browser/test_journeys.py \
  -k "village_to_town or manager_sees"

src=test-artifacts/screenshots
dst=docs/screenshots
mkdir -p "$dst"
pick() { # journey, step label, README name
  local found
  found=$(ls "$src/$1/"*"-$2.png" 2>/dev/null | head -n 1)
  if [ -z "$found" ]; then echo "missing screenshot: $1/$2" >&2; exit 1; fi
  cp "$found" "$dst/$3.png"
  echo "$dst/$3.png  <-  $found"
}
pick specialist-town evaluated case-page
pick specialist-village one-time-notice-printed one-time-notice
pick manager dashboard dashboard
pick manager ledger-filtered ledger
