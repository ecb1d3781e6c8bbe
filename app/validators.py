"""Validators for Chinese identifiers used by the 帮办代办 back-office.

The check characters and the birth date come from python-stdnum (``stdnum.cn.ric``,
``stdnum.cn.uscc``); this module keeps what the library does not cover: the order of the checks
and their messages in the user's language, masking, and the folding of full-width input.
The libraries' own ``validate()`` are not used: ``ric.validate`` also looks the place code up in
its own list and ``uscc.validate`` wants digits in the first 8 positions, each of which would
refuse identifiers this back-office accepts today.

Pure Python: nothing here needs a Flask application at import time.  Messages are
``flask_babel.lazy_gettext`` strings with English msgids; they are rendered (and
translated, once catalogues exist) only when converted to ``str``.  Outside an
application context they render as the English msgid.

Contents
--------
* Resident ID number (居民身份证号码, GB 11643-1999).
* Unified social credit code (统一社会信用代码, GB 32100-2015).
* Mainland China mobile number.
* WTForms validators for Flask-AppBuilder ``validators_columns``:
  :class:`ResidentIdValidator`, :class:`USCCValidator`, :class:`MobileValidator`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError
from wtforms.validators import ValidationError

__all__ = [
    "MobileValidator",
    "ResidentIdValidator",
    "USCCValidator",
    "age_on",
    "birth_date_from_resident_id",
    "gender_from_resident_id",
    "is_valid_mobile",
    "is_valid_resident_id",
    "is_valid_uscc",
    "mask_mobile",
    "mask_resident_id",
    "mobile_error",
    "normalize_mobile",
    "normalize_resident_id",
    "normalize_uscc",
    "resident_id_error",
    "uscc_error",
]

_WHITESPACE_RE = re.compile(r"\s+")


def _clean(value: object) -> str:
    """NFKC-fold (full-width -> ASCII), drop all whitespace and upper-case."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _WHITESPACE_RE.sub("", text).upper()


# ---------------------------------------------------------------------------
# Resident ID number (居民身份证号码), GB 11643-1999
# ---------------------------------------------------------------------------

RESIDENT_ID_LENGTH = 18
_RESIDENT_ID_FORMAT_RE = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_ID_MIN_YEAR = 1900


def normalize_resident_id(s: str | None) -> str:
    """Return ``s`` stripped, without inner whitespace, with ``x`` upper-cased.

    Full-width digits/letters (as typed with a Chinese IME in full-width mode) are
    folded to ASCII by NFKC.  No validation is done; use :func:`resident_id_error` for that.
    """
    return _clean(s)


def _resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of 17 digits (stdnum wants a placeholder 18th)."""
    return ric.calc_check_digit(first17 + "0")


def _parse_birth_date(rid: str) -> date | None:
    """Birth date encoded in positions 7-14 of a normalized ID, or None if not a date."""
    try:
        return ric.get_birth_date(rid)
    except (StdnumError, ValueError):
        return None


def resident_id_error(s: str | None, *, today: date | None = None) -> LazyString | None:
    """Return a lazy message describing the first problem with ``s``, or None if valid.

    Checks, in order: length (18), characters (17 digits then a digit or ``X``),
    birth date (a real calendar date, year >= 1900, not after ``today`` - defaults to
    ``date.today()``), and the ISO 7064 MOD 11-2 check character.

    The administrative-division code (first 6 digits) and the sequence code are not
    checked against any list.  Legacy 15-digit numbers are rejected.
    """
    rid = normalize_resident_id(s)
    if len(rid) != RESIDENT_ID_LENGTH:
        return _l("The ID number must be 18 characters.")
    if not _RESIDENT_ID_FORMAT_RE.match(rid):
        return _l("The ID number may contain only digits, with an X allowed as the last character.")
    birth = _parse_birth_date(rid)
    if birth is None:
        return _l("The birth date in the ID number is not a valid date.")
    if birth.year < _RESIDENT_ID_MIN_YEAR:
        return _l("The birth year in the ID number must be 1900 or later.")
    if birth > (today or date.today()):
        return _l("The birth date in the ID number is in the future.")
    if rid[17] != _resident_id_check_char(rid[:17]):
        return _l("The ID number check digit is incorrect.")
    return None


def is_valid_resident_id(s: str | None, *, today: date | None = None) -> bool:
    """True if ``s`` (after normalization) is a valid 18-character resident ID number."""
    return resident_id_error(s, today=today) is None


def _require_valid_resident_id(s: str | None) -> str:
    rid = normalize_resident_id(s)
    error = resident_id_error(rid)
    if error is not None:
        raise ValueError(str(error))
    return rid


def birth_date_from_resident_id(s: str | None) -> date:
    """Birth date encoded in a resident ID number.

    :raises ValueError: if ``s`` is not a valid resident ID number.
    """
    rid = _require_valid_resident_id(s)
    birth = _parse_birth_date(rid)
    assert birth is not None  # guaranteed by validation
    return birth


def age_on(resident_id: str | None, on: date) -> int:
    """Age in full years on date ``on`` (the birthday itself counts as the new year).

    Someone born on 29 February becomes a year older on 1 March in non-leap years.

    :raises ValueError: if the ID is invalid or ``on`` is before the birth date.
    """
    birth = birth_date_from_resident_id(resident_id)
    if on < birth:
        raise ValueError("The date is before the birth date.")
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def gender_from_resident_id(s: str | None) -> str:
    """``'M'`` if the 17th digit is odd, ``'F'`` if it is even.

    :raises ValueError: if ``s`` is not a valid resident ID number.
    """
    rid = _require_valid_resident_id(s)
    return "M" if int(rid[16]) % 2 == 1 else "F"


def mask_resident_id(s: str | None) -> str:
    """Mask an ID number for display, keeping the first 6 and last 4 characters.

    ``"440781199001011234"`` -> ``"440781********1234"``.  The value is normalized but
    NOT validated, so dirty/legacy data can still be displayed safely; values of 10
    characters or fewer are masked completely.
    """
    rid = normalize_resident_id(s)
    if len(rid) <= 10:
        return "*" * len(rid)
    return rid[:6] + "*" * (len(rid) - 10) + rid[-4:]


# ---------------------------------------------------------------------------
# Unified social credit code (统一社会信用代码), GB 32100-2015
# ---------------------------------------------------------------------------

USCC_LENGTH = 18
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_VALUES = frozenset(USCC_ALPHABET)


def normalize_uscc(s: str | None) -> str:
    """Return ``s`` stripped, without inner whitespace, upper-cased (full-width folded)."""
    return _clean(s)


def _uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character (weighted MOD 31) of the first 17 characters."""
    return uscc.calc_check_digit(first17)


def uscc_error(s: str | None) -> LazyString | None:
    """Return a lazy message describing the first problem with ``s``, or None if valid.

    Only the length (18), the alphabet (digits and upper-case letters except I, O, S,
    V, Z) and the GB 32100-2015 check character (18th position, weighted MOD 31) are
    validated.

    Not validated: the registration-authority code (position 1), the organization
    type (position 2), the administrative-division code (positions 3-8), and the
    GB 11714 organization code embedded at positions 9-17, whose own check digit sits
    at position 17 (weights 3 7 9 10 5 8 4 2, MOD 11).  That inner check is deliberately
    skipped: the 18th-character checksum covers all 17 preceding characters, so it
    already catches single-character typos anywhere in the code.
    """
    code = normalize_uscc(s)
    if len(code) != USCC_LENGTH:
        return _l("The unified social credit code must be 18 characters.")
    if any(c not in _USCC_VALUES for c in code):
        return _l(
            "The unified social credit code may contain only digits and upper-case letters "
            "other than I, O, S, V and Z."
        )
    if code[17] != _uscc_check_char(code[:17]):
        return _l("The unified social credit code check character is incorrect.")
    return None


def is_valid_uscc(s: str | None) -> bool:
    """True if ``s`` (after normalization) is a valid unified social credit code."""
    return uscc_error(s) is None


# ---------------------------------------------------------------------------
# Mainland China mobile number
# ---------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_MOBILE_SEPARATORS_RE = re.compile(r"[\s\-]+")


def normalize_mobile(s: str | None) -> str:
    """Strip spaces and dashes and an optional ``+86`` / ``0086`` / ``86`` prefix.

    ``"+86 138-0013-8000"`` -> ``"13800138000"``.  A bare ``86`` prefix is removed only
    when 11 digits remain (a mainland mobile number never starts with ``86``).
    """
    if s is None:
        return ""
    text = unicodedata.normalize("NFKC", str(s))
    text = _MOBILE_SEPARATORS_RE.sub("", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


def mobile_error(s: str | None) -> LazyString | None:
    """Return a lazy message describing the first problem with ``s``, or None if valid."""
    number = normalize_mobile(s)
    if not number.isascii() or not number.isdigit():
        return _l("The mobile number may contain only digits.")
    if len(number) != 11:
        return _l("The mobile number must be 11 digits.")
    if not _MOBILE_RE.match(number):
        return _l("The mobile number is not a valid mainland China mobile number.")
    return None


def is_valid_mobile(s: str | None) -> bool:
    """True if ``s`` (after normalization) matches ``^1[3-9]\\d{9}$``."""
    return mobile_error(s) is None


def mask_mobile(s: str | None) -> str:
    """Mask a mobile number for display: ``"13812341234"`` -> ``"138****1234"``.

    The value is normalized but not validated; values of 7 characters or fewer are
    masked completely.
    """
    number = normalize_mobile(s)
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


# ---------------------------------------------------------------------------
# WTForms validators (for Flask-AppBuilder ``validators_columns``)
# ---------------------------------------------------------------------------


class _NormalizingValidator:
    """Skip empty data, raise ValidationError on error, normalize ``field.data`` if valid."""

    def __init__(self, message=None):
        self.message = message

    @staticmethod
    def _error(value):  # pragma: no cover - overridden
        raise NotImplementedError

    @staticmethod
    def _normalize(value) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, form, field):
        data = field.data
        if data is None or (isinstance(data, str) and not data.strip()):
            return  # leave "required" to DataRequired / Optional
        error = self._error(data)
        if error is not None:
            raise ValidationError(self.message if self.message is not None else error)
        field.data = self._normalize(data)


class ResidentIdValidator(_NormalizingValidator):
    """WTForms validator for a resident ID number (居民身份证号码)."""

    _error = staticmethod(resident_id_error)
    _normalize = staticmethod(normalize_resident_id)


class USCCValidator(_NormalizingValidator):
    """WTForms validator for a unified social credit code (统一社会信用代码)."""

    _error = staticmethod(uscc_error)
    _normalize = staticmethod(normalize_uscc)


class MobileValidator(_NormalizingValidator):
    """WTForms validator for a mainland China mobile number."""

    _error = staticmethod(mobile_error)
    _normalize = staticmethod(normalize_mobile)


def complete_resident_id(first17: str) -> str:
    """The full ID number for 17 digits: appends the check character (for test and demo data)."""
    return first17 + _resident_id_check_char(first17)


def complete_uscc(first17: str) -> str:
    """The full credit code for its first 17 characters: appends the check character."""
    return first17 + _uscc_check_char(first17)


class ItemCodeValidator:
    """WTForms validator for a service item's 事项编码 (normalizes ``field.data`` if valid)."""

    def __call__(self, form, field):
        # cycle: app.domain.itemcodes imports this module's USCC check
        from app.domain.itemcodes import (
            basic_code_error,
            normalize,
        )

        error = basic_code_error(field.data)
        if error is not None:
            raise ValidationError(error)
        field.data = normalize(field.data)


class ImplementationCodeValidator:
    """WTForms validator for a 实施清单编码, checked against the form's 事项编码 when given."""

    def __call__(self, form, field):
        # cycle: app.domain.itemcodes imports this module's USCC check
        from app.domain.itemcodes import codes_error, normalize

        basic = getattr(form, "basic_code", None)
        error = codes_error(basic.data if basic is not None else None, field.data).get(
            "implementation_code"
        )
        if error is not None:
            raise ValidationError(error)
        field.data = normalize(field.data)
