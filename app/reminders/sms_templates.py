"""SMS templates: the wording of each kind of SMS to applicants, per language, with placeholders.

Each kind is declared once (``KINDS``): its label, its default wording and the placeholders it
may use. The default is today's wording, the translation catalog's text of the message in each
language with ``%(name)s`` written ``{name}``, so a kind nobody edited reads exactly as before
and follows the catalog. An Admin's wording is stored per kind and language (``SmsTemplate``,
only when edited) and checked before it is stored: only the kind's placeholders, balanced
braces, not empty.

``compose`` is what the outbox stores for an applicant: the registered signature in 【】 and the
template filled with the case's values, in the SMS language (setting ``sms.language``).
Length: a Chinese SMS is sent as UCS-2, 70 characters in one message; a longer text is split
into parts of 67 (each part carries a header), see ``segments``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import settings
from app.domain import clock
from app.domain.status import CaseStatus
from app.reminders.channels import conf
from app.reminders.models import SmsTemplate
from config import DEFAULT_APP_NAME

LANGUAGES = ("zh", "zh_Hant", "en")
LANGUAGE_LABELS = {
    "zh": _l("Simplified Chinese"),
    "zh_Hant": _l("Traditional Chinese"),
    "en": _l("English"),
}
MAX_LENGTH = 500  # characters of a template (eight parts of a long SMS)
SINGLE = 70  # UCS-2 characters in one SMS
PART = 67  # UCS-2 characters in each part of a long SMS

PLACEHOLDERS = {
    "number": _l("Case or appointment number"),
    "item": _l("Service item"),
    "days": _l("Promised time limit in working days"),
    "due": _l("New due date"),
    "status": _l("New status"),
    "day": _l("Appointment date"),
    "period": _l("Half-day or after-hours service"),
    "hours": _l("Hours of the period"),
    "unit": _l("Service center"),
}


@dataclass(frozen=True)
class SmsKind:
    """One kind of SMS: a label, today's wording (a catalog message) and its placeholders."""

    code: str
    label: object
    default: object  # lazy_gettext of the message, with %(name)s placeholders
    placeholders: tuple[str, ...]


_CASE = ("number", "item")
KINDS: dict[str, SmsKind] = {
    kind.code: kind
    for kind in (
        SmsKind(
            "accepted",
            _l("Application accepted"),
            _l(
                "Your application %(number)s (%(item)s) has been accepted; the promised time "
                "limit is %(days)s working days."
            ),
            (*_CASE, "days"),
        ),
        SmsKind(
            "materials_received",
            _l("Missing materials received"),
            _l(
                "We have received the materials for your case %(number)s (%(item)s); it will now "
                "be handed to the window."
            ),
            _CASE,
        ),
        SmsKind(
            "in_progress",
            _l("Handled at the window"),
            _l("Your case %(number)s (%(item)s) is being handled at the window."),
            _CASE,
        ),
        SmsKind(
            "awaiting_materials",
            _l("Materials missing"),
            _l(
                "Your case %(number)s (%(item)s) needs more materials: your specialist has listed "
                "them all for you. Please supply them before the deadline."
            ),
            _CASE,
        ),
        SmsKind(
            "suspended",
            _l("Handling suspended"),
            _l(
                "The handling of your case %(number)s (%(item)s) is suspended; the time limit "
                "stands still until it resumes. Please contact your specialist."
            ),
            _CASE,
        ),
        SmsKind(
            "resumed",
            _l("Handling resumed"),
            _l(
                "The handling of your case %(number)s (%(item)s) has resumed; the new due date "
                "is %(due)s."
            ),
            (*_CASE, "due"),
        ),
        SmsKind(
            "completed",
            _l("Case completed"),
            _l(
                "Your case %(number)s (%(item)s) is completed. Please tell us how satisfied you "
                "are with the service."
            ),
            _CASE,
        ),
        SmsKind(
            "terminated",
            _l("Entrustment ended"),
            _l("The entrustment of your case %(number)s (%(item)s) has ended."),
            _CASE,
        ),
        SmsKind(
            "status",
            _l("Any other status change"),
            _l("Your case %(number)s (%(item)s) is now: %(status)s."),
            (*_CASE, "status"),
        ),
        SmsKind(
            "appointment",
            _l("Appointment tomorrow"),
            _l(
                "Your appointment %(number)s: %(day)s %(period)s (%(hours)s) at %(unit)s for "
                "%(item)s. Please bring your ID card."
            ),
            ("number", "day", "period", "hours", "unit", "item"),
        ),
    )
}

_PERCENT = re.compile(r"%\((\w+)\)s")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class TemplateError(ValueError):
    """A wording that cannot be stored; ``message`` says why in the user's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def default_text(code: str, language: str) -> str:
    """Today's wording of ``code`` in ``language`` (the catalog's), with {name} placeholders."""
    with force_locale(language):
        text = str(KINDS[code].default)  # no variables: the catalog's text as it stands
    return _PERCENT.sub(r"{\1}", text)


def check(code: str, text: str) -> str:
    """The wording cleaned (line ends, outer spaces) if it can be stored, else TemplateError."""
    kind = KINDS[code]
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise TemplateError(_l("The message cannot be empty."))
    if len(text) > MAX_LENGTH:
        raise TemplateError(
            _l("At most %(max)s characters (now %(count)s).", max=MAX_LENGTH, count=len(text))
        )
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        raise TemplateError(
            _l(
                "Unbalanced braces: every placeholder is written {name}, with one opening and "
                "one closing brace."
            )
        )
    unknown = [name for name in _PLACEHOLDER.findall(text) if name not in kind.placeholders]
    if unknown:
        raise TemplateError(
            _l(
                "Unknown placeholder %(names)s. This message may use: %(allowed)s.",
                names="、".join(f"{{{name}}}" for name in dict.fromkeys(unknown)),
                allowed="、".join(f"{{{name}}}" for name in kind.placeholders),
            )
        )
    return text


def fill(text: str, values: dict) -> str:
    """The wording with each {name} replaced by its value (values are not read again)."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), text)


def stored(session: Session, code: str, language: str) -> SmsTemplate | None:
    return (
        session.query(SmsTemplate)
        .filter(SmsTemplate.kind == code, SmsTemplate.language == language)
        .one_or_none()
    )


def text_of(session: Session, code: str, language: str) -> str:
    """The wording in use: the Admin's if stored (and still valid), else the default."""
    row = stored(session, code, language)
    if row is not None:
        try:
            return check(code, row.body)
        except TemplateError:
            pass  # a wording made invalid by a later change of the kind: the default
    return default_text(code, language)


def save(session: Session, code: str, language: str, text: str, user_id: int | None) -> None:
    """Store an Admin's wording (checked; TemplateError otherwise). The caller commits."""
    if language not in LANGUAGES:
        raise KeyError(language)
    text = check(code, text)
    row = stored(session, code, language)
    if row is None:
        row = SmsTemplate(kind=code, language=language, body=text)
        session.add(row)
    row.body = text
    row.changed_at = clock.now()
    row.changed_by_id = user_id


def reset(session: Session, code: str, language: str) -> bool:
    """Go back to the default wording (the row goes; the audit trail keeps it)."""
    row = stored(session, code, language)
    if row is None:
        return False
    session.delete(row)
    return True


# ---------------------------------------------------------------- signature, language, length


def signature_name(session: Session | None = None) -> str:
    """The registered signature without brackets: the setting, else the deployment's
    ``SMS_SIGNATURE``, else the product name (always Chinese: carriers register it so)."""
    name = settings.get("sms.signature", session)
    if name:
        return name
    configured = conf("SMS_SIGNATURE")
    if configured:
        return settings.strip_brackets(configured)
    product = current_app.config.get("APP_NAME", "")
    return product if isinstance(product, str) and product else DEFAULT_APP_NAME


def signature(session: Session | None = None) -> str:
    """The signature as sent, in front of every SMS: 【name】."""
    return f"【{signature_name(session)}】"


def signature_is_set(session: Session | None = None) -> bool:
    return bool(settings.get("sms.signature", session))


def sms_language(session: Session | None = None) -> str:
    """The language SMS to applicants are written in (the center's setting)."""
    chosen = settings.get("sms.language", session)
    return chosen if chosen in LANGUAGES else "zh"


def units(text: str) -> int:
    """Characters as an SMS counts them (UCS-2: a character beyond the BMP takes two)."""
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS a text is sent as: one up to 70 characters, else parts of 67."""
    count = units(text)
    if count == 0:
        return 0
    return 1 if count <= SINGLE else math.ceil(count / PART)


# ---------------------------------------------------------------- rendering


def samples(language: str) -> dict[str, str]:
    """Example values for the preview, in ``language``."""
    with force_locale(language):
        return {
            "number": "440781-2026-00123",
            "item": str(_l("Registration of an individual business")),
            "days": "5",
            "due": "2026-12-18",
            "status": str(CaseStatus.IN_PROGRESS.label),
            "day": "2026-12-08",
            "period": str(_l("Morning")),
            "hours": "09:00-12:00",
            "unit": str(_l("Taicheng Street convenience center")),
        }


def render(session: Session, code: str, language: str, values: dict) -> str:
    """The body of one SMS (without the signature), in ``language``: values that are labels
    (a status) are read in that language too."""
    text = text_of(session, code, language)
    with force_locale(language):
        return fill(text, values)


def compose(session: Session, code: str, values: dict, language: str | None = None) -> str:
    """The SMS as the applicant receives it: the signature, then the filled template in the
    given language (default: the center's SMS language)."""
    chosen = language or sms_language(session)
    return signature(session) + render(session, code, chosen, values)
