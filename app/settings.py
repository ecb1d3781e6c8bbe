"""Business knobs an administrator may change, with typed code defaults.

Values live in the ``app_setting`` table (model ``Setting``, edited under System → Settings) as
text; ``get(key)`` parses them to the type of the code default, and falls back to the default
when a row is missing or does not parse, so a typo in the settings screen never stops a job.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Setting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Knob:
    default: int | bool | str
    label: object
    minimum: int | None = 0  # whole-number knobs: the smallest value allowed
    maximum: int | None = None
    pattern: str | None = None  # text knobs: the shape the value must have
    hint: object = None  # what a valid value looks like, for the settings screen
    clean: Callable[[str], str] | None = None  # text knobs: tidy what was typed before checking


DEFAULTS: dict[str, Knob] = {
    # Progress feedback: days without contact with the applicant on an open case, per tier.
    "reminders.progress_days.city": Knob(7, _l("Days without contact (city)")),
    "reminders.progress_days.town": Knob(5, _l("Days without contact (town / street)")),
    "reminders.progress_days.village": Knob(3, _l("Days without contact (village)")),
    # Deadline approaching: this many working days before the due date (also the yellow flag).
    "reminders.due_soon_working_days": Knob(2, _l("Working days before the due date")),
    # 代办 of a major investment project: the steward's progress review every this many days.
    "reminders.project_review_days": Knob(7, _l("Days between progress reviews of major projects")),
    # Evaluation not collected this many days after the case ended.
    "reminders.evaluation_days": Knob(3, _l("Days after the end to collect the evaluation")),
    # Return visit reminder this many days before the planned date.
    "reminders.return_visit_lead_days": Knob(1, _l("Days before a planned return visit")),
    # A waiting escalation reminds the leader again every this many days.
    "reminders.escalation_repeat_days": Knob(3, _l("Days between escalation reminders")),
    # How far back a sweep looks for one-off reminders it may have missed (downtime).
    "reminders.catch_up_days": Knob(30, _l("Days a sweep catches up after downtime")),
    # Managers told: 1 = the nearest level above the case holding a manager; 0 = every level.
    "reminders.manager_levels": Knob(1, _l("Levels of managers reminded (0 = all)")),
    # “办不成事”: working days from intake to settle a complaint (a transfer sets its own).
    "complaints.working_days": Knob(
        5, _l("Working days to settle a complaint"), minimum=1, maximum=60
    ),
    # SMS quiet hours in Asia/Shanghai: no SMS from start hour to end hour.
    "sms.quiet_start_hour": Knob(21, _l("SMS quiet hours start (hour)"), maximum=23),
    "sms.quiet_end_hour": Knob(8, _l("SMS quiet hours end (hour)"), maximum=23),
    # The SMS signature (签名) registered with the carriers for the center, without its brackets
    # (【】 are added when sending). Empty: the deployment's SMS_SIGNATURE, else the product name.
    "sms.signature": Knob(
        "",
        _l("Registered SMS signature"),
        pattern=r"^[^\[\]【】〔〕［］()（）<>《》{}「」『』]{2,12}$",
        hint=_l("2 to 12 characters without brackets (the brackets 【】 are added when sending)."),
        clean=lambda text: strip_brackets(text),
    ),
    # The language of the SMS to applicants (the center's default; applicants have no language
    # of their own on record).
    "sms.language": Knob(
        "zh",
        _l("Language of SMS to applicants"),
        pattern=r"^(zh|zh_Hant|en)$",
        hint=_l("zh (Simplified Chinese), zh_Hant (Traditional Chinese) or en (English)"),
    ),
    # Delivery: attempts before a message is marked failed, and the back-off base.
    "notifications.max_attempts": Knob(6, _l("Delivery attempts before failing")),
    "notifications.retry_base_seconds": Knob(60, _l("First retry delay (seconds)")),
    "notifications.retry_max_seconds": Knob(3600, _l("Longest retry delay (seconds)")),
    # A pending message dispatched this long ago without result is dispatched again.
    "notifications.redispatch_minutes": Knob(10, _l("Minutes before a message is re-sent")),
    # From this day of the year (MM-DD) until next year's calendar is confirmed, Admins and
    # Managers see a banner and get a daily notification.
    # Appointments (预约): how many days ahead a slot can be booked, and from which hour of
    # the day before the applicant's reminder SMS goes out.
    "appointments.days_ahead": Knob(14, _l("Days ahead an appointment can be booked"), minimum=1),
    "appointments.reminder_hour": Knob(
        9, _l("Hour of the day before an appointment its SMS reminder goes out"), maximum=23
    ),
    # 归档: how many years a case file (案卷) is kept before it is flagged for disposal review
    # (never deleted by the app), and after how many days a closed case is archived by the
    # nightly job (0: only by hand).
    "archive.retention_years": Knob(
        30, _l("Years a case file is kept before disposal review"), minimum=1, maximum=100
    ),
    "archive.auto_after_days": Knob(
        0, _l("Days after closing a case is archived automatically (0 = never)"), maximum=3650
    ),
    "calendar.warn_from": Knob(
        "10-01",
        _l("Warn about next year's calendar from (MM-DD)"),
        pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        hint=_l("Month and day, e.g. 10-01"),
    ),
}


def strip_brackets(text: str) -> str:
    """A signature typed with its brackets (【台山市政务服务中心】) stored without them."""
    text = text.strip()
    for left, right in (("【", "】"), ("[", "]"), ("［", "］")):
        if len(text) > 2 and text.startswith(left) and text.endswith(right):
            return text[1:-1].strip()
    return text


class InvalidSetting(ValueError):
    """A value the knob cannot take; ``message`` says why in the user's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def check(key: str, raw) -> int | bool | str:
    """The value ``raw`` (text from a form) parsed for ``key``; InvalidSetting if it is not one
    the knob can take (a word for a number, a number out of range, a malformed date...)."""
    knob = DEFAULTS.get(key)
    if knob is None:
        raise InvalidSetting(_l("Unknown setting."))
    text = str(raw if raw is not None else "").strip()
    if knob.clean is not None:
        text = knob.clean(text)
    try:
        value = _parse(text, knob.default)
    except (TypeError, ValueError):
        if isinstance(knob.default, bool):
            raise InvalidSetting(_l("Enter yes or no (true / false).")) from None
        raise InvalidSetting(_l("Enter a whole number.")) from None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if knob.minimum is not None and value < knob.minimum:
            raise InvalidSetting(_l("Enter a number of at least %(min)s.", min=knob.minimum))
        if knob.maximum is not None and value > knob.maximum:
            raise InvalidSetting(_l("Enter a number of at most %(max)s.", max=knob.maximum))
        return value
    if knob.pattern and not re.match(knob.pattern, value):
        raise InvalidSetting(knob.hint or _l("The value does not have the expected form."))
    if len(value) > 255:
        raise InvalidSetting(_l("At most 255 characters."))
    return value


def describe(session) -> list[dict]:
    """Every knob for the settings screen: key, label, default, current value, whether set."""
    stored = {row.key: row.value for row in session.query(Setting).all()}
    return [
        {
            "key": key,
            "label": knob.label,
            "default": knob.default,
            "value": stored.get(key),
            "current": get(key, session),
            "hint": knob.hint,
            "kind": type(knob.default).__name__,
        }
        for key, knob in DEFAULTS.items()
    ]


def _parse(raw: str, default):
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off"}:
            return False
        raise ValueError(raw)
    if isinstance(default, int):
        return int(raw.strip())
    return raw


def get(key: str, session=None):
    """The value of ``key``: the table's row parsed to the default's type, else the default."""
    DEFAULTS[key]  # unknown keys raise KeyError, with or without a row
    row = (session or db.session).get(Setting, key)
    return from_stored(key, None if row is None else row.value)


def from_stored(key: str, stored: str | None):
    """The value of ``key`` from its stored text (None: no row): parsed, else the default."""
    knob = DEFAULTS[key]
    if stored is None:
        return knob.default
    try:
        return _parse(stored, knob.default)
    except (TypeError, ValueError):
        log.warning("setting %s=%r does not parse; using %r", key, stored, knob.default)
        return knob.default


def set_value(session, key: str, value) -> None:
    """Store ``value`` for ``key`` (the caller commits); unknown keys are refused."""
    knob = DEFAULTS[key]
    parsed = check(key, value)
    text = str(parsed).lower() if isinstance(knob.default, bool) else str(parsed)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=text))
    else:
        row.value = text
