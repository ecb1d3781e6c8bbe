#!/usr/bin/env bash
# Extract every user-visible string (ours and Flask-AppBuilder's own, which our catalogs must
# carry for Traditional Chinese and to fill the gaps of FAB's zh catalog) and update the catalogs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
FAB_DIR=$("$BIN/python" -c 'import flask_appbuilder, os; print(os.path.dirname(flask_appbuilder.__file__))')
"$BIN/pybabel" extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output \
  --project bangban --copyright-holder "" -o translations/messages.pot app "$FAB_DIR" >/tmp/i18n-extract.log 2>&1 || { cat /tmp/i18n-extract.log; exit 1; }
for lang in zh zh_Hant en; do
  if [ -f "translations/$lang/LC_MESSAGES/messages.po" ]; then
    "$BIN/pybabel" update -i translations/messages.pot -d translations -l "$lang" --no-fuzzy-matching --ignore-obsolete >/dev/null 2>&1
  else
    "$BIN/pybabel" init -i translations/messages.pot -d translations -l "$lang" >/dev/null 2>&1
  fi
done
echo "catalogs updated: $(grep -c '^msgid' translations/messages.pot) strings"
