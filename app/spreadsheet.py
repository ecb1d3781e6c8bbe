"""Cells of exported spreadsheets and CSV files are data, never formulas.

A value typed by a user (an applicant's name, a note) that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return would be run as a formula by Excel or LibreOffice when the export is
opened (``=HYPERLINK(...)`` and worse). Every export passes its text cells through ``safe``,
which prefixes such text with an apostrophe, as OWASP recommends; the import strips it again
(``unsafe_prefix_removed``) so an exported file can be edited and imported back.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters a worksheet (XML) cannot hold: openpyxl refuses the whole file. Data stored before
# the input guard refused them is exported without them.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe(value: Any) -> Any:
    """``value``, with text that a spreadsheet would run as a formula turned into plain text, and
    without characters a spreadsheet cannot hold."""
    if isinstance(value, str):
        value = ILLEGAL.sub("", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def safe_row(values) -> list:
    return [safe(v) for v in values]


def unsafe_prefix_removed(text: str) -> str:
    """Text read from an imported cell, without the apostrophe ``safe`` put in front."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
