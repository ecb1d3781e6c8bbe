"""The 12345 hotline ticket number (12345 工单号) carried by a case, a complaint or a chase-up.

Hotline systems number their tickets differently from city to city (``2026120500123``,
``JM-12345-20261205-0001``), so the rule is a shape rather than one format: letters and digits,
optionally grouped by hyphens, 6 to 32 characters once full-width characters are folded
(NFKC), spaces dropped and letters upper-cased.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from app.domain.errors import ValidationFailed

TICKET_RE = re.compile(r"^[0-9A-Z](?:[0-9A-Z]|-(?=[0-9A-Z])){5,31}$")
MAX_LENGTH = 32


def normalize_ticket(value) -> str:
    """The stored spelling of a ticket number ("" for none)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).upper()


def ticket_error(value):
    """Why ``value`` is not a ticket number (a lazy message), or None (empty is allowed)."""
    text = normalize_ticket(value)
    if not text:
        return None
    if len(text) < 6 or len(text) > MAX_LENGTH:
        return _l("A 12345 ticket number has 6 to 32 characters.")
    if not TICKET_RE.match(text):
        return _l("A 12345 ticket number has only letters and digits (hyphens between them).")
    return None


def clean_ticket(value, field: str = "hotline_ticket") -> str | None:
    """The normalized ticket number, None for none; ValidationFailed naming ``field``."""
    error = ticket_error(value)
    if error is not None:
        raise ValidationFailed({field: error}, error)
    return normalize_ticket(value) or None
