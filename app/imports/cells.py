"""Cell values: reading what people type into a spreadsheet, writing what they can read back.

Fixed values (tiers, kinds, yes/no) are written as labels in the user's language and read back in
any of the app's languages, or as their stored code, so a file exported in Chinese imports under
an English session and the reverse. Problems are kept as (msgid, params) so the report renders in
the language of whoever downloads it, not of the worker that found them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.spreadsheet import unsafe_prefix_removed

YES = _l("Yes")
NO = _l("No")
LIST_SEPARATORS = re.compile(r"[,，;；、\n]+")
_SPACES = re.compile(r"\s+")


def fold(text: Any) -> str:
    """The form labels and headers are compared in: NFKC, no spaces or asterisks, casefolded."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    return _SPACES.sub("", value).replace("*", "").casefold()


def locales() -> list[str]:
    return list(current_app.config.get("LANGUAGES", {"en": {}}).keys())


def all_renderings(label) -> set[str]:
    """The folded text of a lazy label in every language of the app, and its msgid."""
    out = {fold(label)}
    if isinstance(label, LazyString):
        out.add(fold(label._args[0]))
    for code in locales():
        with force_locale(code):
            out.add(fold(str(label)))
    return out


def choice_map(choices: list[tuple[str, Any]]) -> dict[str, str]:
    """Folded label (any language) or code → the stored code."""
    found: dict[str, str] = {}
    for value, label in choices:
        found[fold(value)] = value
        for text in all_renderings(label):
            found.setdefault(text, value)
    return found


def bool_map() -> dict[str, bool]:
    # Besides the labels in every language (是/否 in Chinese), what people commonly type.
    found = {fold(v): True for v in ("1", "true", "y", "yes", "√")}
    found.update({fold(v): False for v in ("0", "false", "n", "no", "×")})
    for text in all_renderings(YES):
        found[text] = True
    for text in all_renderings(NO):
        found[text] = False
    return found


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: Any) -> str:
    """A cell as text: whole numbers lose their ``.0``, dates are ISO, spaces are trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(YES if value else NO)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return unsafe_prefix_removed(str(value).strip())


def as_int(value: Any) -> int | None:
    """A whole number from a numeric or text cell; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        return int(float(text))
    return None


def as_date(value: Any) -> dt.date | None:
    """A date from a date cell or text with the year first (``YYYY-MM-DD`` and the like)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    # Any separators: 2027-01-01, 2027/1/1, 2027.1.1 and the Chinese year-month-day form.
    match = re.fullmatch(r"(\d{4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})\D{0,2}", text)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def as_list(value: Any) -> list[str]:
    return [p.strip() for p in LIST_SEPARATORS.split(as_text(value)) if p.strip()]


# ---------------------------------------------------------------- problems


def problem(column: str, message: Any) -> dict:
    """A problem with one cell (``column`` is a column key, or "" for the whole row).

    A lazy message keeps its msgid and parameters, to be rendered later in the reader's
    language; anything else (already translated text) is kept as it is.
    """
    if isinstance(message, LazyString) and message._args:
        return {"column": column, "msg": str(message._args[0]), "params": dict(message._kwargs)}
    return {"column": column, "text": str(message)}


def render_problem(item: dict) -> str:
    if "text" in item:
        return item["text"]
    params = item.get("params") or {}
    return _(item["msg"], **params) if params else _(item["msg"])
