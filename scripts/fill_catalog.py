"""Fill empty msgstr entries of the catalogs from JSON files {msgid: {lang: text}}.

Used by maintainers after `make i18n`: translations are written by people, this only puts them
in place without disturbing the rest of the catalog.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(*paths: str) -> None:
    table: dict = {}
    for path in paths:
        table.update(json.loads(Path(path).read_text(encoding="utf-8")))
    for lang in ("zh", "zh_Hant", "en"):
        po_path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
        with open(po_path, "rb") as fh:
            catalog = read_po(fh)
        filled = 0
        for msgid, texts in table.items():
            message = catalog.get(msgid)
            if message is not None and not message.string and lang in texts:
                message.string = texts[lang]
                filled += 1
        with open(po_path, "wb") as fh:
            write_po(fh, catalog, width=76)
        print(f"{lang}: {filled} filled")


if __name__ == "__main__":
    main(*sys.argv[1:])
