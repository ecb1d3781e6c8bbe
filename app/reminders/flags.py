"""Due-date flags on case lists: red when overdue, yellow within X working days, and the
provisional mark (暂定) on a date whose year's calendar is not confirmed; status and kind as
badges that never wrap.

FAB hands a list formatter only the cell's value, so the status formatter notes the row's status
for the due-date formatter that follows it in the same row (status comes before the due date in
the case lists). Without a noted status the flag goes by the date alone. X is the setting
``reminders.due_soon_working_days``, the same as the deadline reminder's.
"""

from __future__ import annotations

import datetime as dt

from flask import g, has_request_context
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app import reference
from app.calendar.marks import provisional_day
from app.domain import clock
from app.domain.status import OPEN_STATUSES, CaseStatus
from app.enums import ServiceKind
from app.i18n import local_date

# A suspended case's clock stands still: its due date is neither overdue nor due soon.
_OPEN_VALUES = {s.value for s in OPEN_STATUSES} - {CaseStatus.SUSPENDED.value}


def due_state(due: dt.date | None, status: str | None = None, today: dt.date | None = None) -> str:
    """'overdue', 'due_soon' or '' for an open case's due date."""
    if due is None or (status is not None and status not in _OPEN_VALUES):
        return ""
    today = today or clock.today()
    if due < today:
        return "overdue"
    if due <= _soon_until(today):
        return "due_soon"
    return ""


def _soon_until(today: dt.date) -> dt.date:
    cached = getattr(g, "_due_soon_until", None) if has_request_context() else None
    if cached is not None and cached[0] == today:
        return cached[1]

    days = max(reference.setting("reminders.due_soon_working_days"), 0)
    until = reference.calendar().add_working_days(today, days).day
    if has_request_context():
        g._due_soon_until = (today, until)
    return until


STATUS_COLOURS = {
    "applied": "default",
    "accepted": "primary",
    "in_progress": "info",
    "awaiting_materials": "warning",
    "suspended": "warning",
    "completed": "success",
    "terminated": "default",
    "voided": "default",
}


def format_status(value):
    """The status as a badge that never wraps; remember the row's status for the due-date cell."""
    if has_request_context():
        g._due_row_status = value
    try:
        status = CaseStatus(value)
    except ValueError:
        return value
    colour = STATUS_COLOURS.get(status.value, "default")
    return Markup('<span class="label label-%s status-badge status-%s">%s</span>') % (
        colour,
        status.value,
        status.label,
    )


def format_kind(value):
    """帮办 or 代办 on one line (a narrow column must not break it into single characters)."""
    try:
        label = ServiceKind(value).label
    except ValueError:
        label = value
    return Markup('<span class="nowrap case-kind">%s</span>') % ("" if label is None else label)


def format_due(value):
    """The due date, flagged red (overdue) or yellow (due soon) for an open case."""
    if value is None:
        return ""
    status = g.pop("_due_row_status", None) if has_request_context() else None
    state = due_state(value, status)

    return Markup('<span class="due-cell">%s%s%s</span>') % (
        escape(local_date(value)),
        flag(state),
        provisional_mark(value),
    )


def flag(state: str) -> Markup:
    """The red 已超期 or yellow 即将到期 badge after a date (nothing for '')."""

    if state == "overdue":
        return Markup(' <span class="label label-danger due-flag due-overdue">%s</span>') % _(
            "Overdue"
        )
    if state == "due_soon":
        return Markup(' <span class="label label-warning due-flag due-soon">%s</span>') % _(
            "Due soon"
        )
    return Markup("")


def provisional_mark(value) -> Markup:
    """The 暂定 mark after a date in a year whose calendar is not confirmed (else nothing)."""

    if not provisional_day(value):
        return Markup("")
    return Markup(' <span class="label label-default due-provisional">%s</span>') % _("Provisional")


FORMATTERS = {"status": format_status, "due_date": format_due, "kind": format_kind}
