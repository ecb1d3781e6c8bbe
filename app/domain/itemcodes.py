"""Official codes of a service item (GB/T 39554.1-2020, 政务服务事项基本目录及实施清单 编码要求).

- 事项编码 (the basic catalogue code, ``basic_code``): 12 digits, the item type code (2 digits,
  e.g. 00 administrative licensing, 10 public service) followed by the main item (7 digits) and
  the sub-item (3 digits, 000 when the item has none).
- 实施清单编码 (the implementation code, ``implementation_code``): 31 characters, the unified
  social credit code of the implementing body (18, with its GB 32100 check character), the level
  that exercises it (1 digit: 1 national … 4 county, 5 town or street, 6 village or community)
  and the basic code of the item it implements (12).

Both are stored normalized (full-width folded, no spaces, upper case); empty means "not given".
The checks here are the one rule for the screens, the API and the catalogue import.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from app.domain.errors import ValidationFailed
from app.validators import normalize_uscc, uscc_error

BASIC_LENGTH = 12
IMPLEMENTATION_LENGTH = 31
# 事项类型代码 of the national basic catalogue.
ITEM_TYPES = frozenset(f"{n:02d}" for n in range(11))
LEVELS = frozenset("123456")
_BASIC = re.compile(r"^\d{12}$")


def normalize(value) -> str | None:
    """The stored spelling of a code (None for an empty one)."""
    if value is None:
        return None
    text = normalize_uscc(str(value))
    return text or None


def basic_code_error(value):
    """Why ``value`` is not a 事项编码, or None (an empty value is not an error)."""
    code = normalize(value)
    if code is None:
        return None
    if not _BASIC.match(code):
        return _l("An official item code has 12 digits.")
    if code[:2] not in ITEM_TYPES:
        return _l("The first two digits of an item code are its type code (00–10).")
    return None


def implementation_code_error(value, basic_code=None):
    """Why ``value`` is not a 实施清单编码 (of an item whose basic code is ``basic_code``)."""
    code = normalize(value)
    if code is None:
        return None
    if len(code) != IMPLEMENTATION_LENGTH:
        return _l(
            "An implementation code has 31 characters: the implementing body's "
            "credit code, the level and the item code."
        )
    if uscc_error(code[:18]) is not None:
        return _l(
            "The first 18 characters of an implementation code must be the implementing body's "
            "unified social credit code."
        )
    if code[18] not in LEVELS:
        return _l("The 19th character of an implementation code is the level (1–6).")
    tail = code[19:]
    if basic_code_error(tail) is not None:
        return _l("An implementation code ends with the item code (12 digits).")
    basic = normalize(basic_code)
    if basic is not None and tail != basic:
        return _l("The implementation code does not end with this item's official code.")
    return None


def codes_error(basic_code, implementation_code) -> dict:
    """The one check of an item's two codes together, field by field (empty when both hold):
    each code's format, and the 实施清单编码 ending with this item's 事项编码. The screens'
    validators (app/validators.py) and the API (app/api/resources.py) both ask it."""
    errors = {}
    basic = basic_code_error(basic_code)
    if basic is not None:
        errors["basic_code"] = basic
    implementation = implementation_code_error(
        implementation_code, None if basic is not None else basic_code
    )
    if implementation is not None:
        errors["implementation_code"] = implementation
    return errors


def check_item(item) -> None:
    """Refuse a service item whose codes do not hold (``ValidationFailed`` naming the field)."""
    errors = codes_error(item.basic_code, item.implementation_code)
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


def implementing_body(value) -> str:
    """The unified social credit code of the body that implements the item."""
    code = normalize(value)
    return code[:18] if code and len(code) == IMPLEMENTATION_LENGTH else ""
