"""The appointments (预约) of one period and scope: the one function the statistics read.

An appointment is counted on its **day** (the half-day it was booked for), inside the scope
(app/scope.py) and, when the dashboard narrows to a unit, that unit's subtree. The ledger's case
filters (kind, status, channel, item, specialist, overdue, rating) are about cases and do not
narrow appointments. ``appointment_figures`` gives every number: the dashboard
(app/ledger/views.py), ``period_figures`` (app/ledger/figures.py) and through it the periodic
summaries and the written reports.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.enums import AppointmentChannel, AppointmentStatus, SlotPeriod
from app.ledger.filters import LedgerFilter
from app.scope import Scope

A = m.Appointment

# The outcomes, in the order a screen lists them.
OUTCOMES = ("booked", "case", "walk_in", "no_show", "cancelled", "pending")
# What a summary or a report states, with its label (the dashboard's panel says the same).
ROWS = (
    ("booked", _l("Appointments booked")),
    ("case", _l("Turned into a case")),
    ("walk_in", _l("Recorded as walk-in help")),
    ("no_show", _l("Did not come")),
    ("cancelled", _l("Cancelled")),
    ("pending", _l("Still booked")),
    ("after_hours", _l("In after-hours slots")),
)
ATTENDANCE = _l("Attendance rate (served of those due to come)")


def appointment_conditions(
    session: Session, scope: Scope, flt: LedgerFilter
) -> list[sa.ColumnElement[bool]]:
    """The appointments ``flt`` selects: scope, unit subtree and the days from/to."""
    conds: list[sa.ColumnElement[bool]] = [scope.clause_for(A)]
    if flt.unit_id is not None:
        unit = session.get(m.OrgUnit, flt.unit_id)
        if unit is None or not scope.contains_unit(unit):
            conds.append(sa.false())
        else:
            conds.append(Scope(path=unit.path, unit_id=unit.id).clause_for(A))
    if flt.date_from is not None:
        conds.append(A.day >= flt.date_from)
    if flt.date_to is not None:
        conds.append(A.day <= flt.date_to)
    return conds


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def appointment_figures(session: Session, scope: Scope, flt: LedgerFilter) -> dict:
    """Every appointment number of the period, from one GROUP BY.

    - ``booked``: every appointment for a day of the period (whatever became of it);
    - ``case`` / ``walk_in``: served at the desk by turning it into a case / a walk-in record;
    - ``no_show``: nobody came; ``cancelled``: by staff or the applicant; ``pending``: still
      booked (a day still to come, or not yet marked);
    - ``attendance_rate``: served / (served + no-show), the days already settled;
    - ``by_channel`` (staff, public page, API) and ``by_period`` (with the after-hours slots).
    """
    rows = session.execute(
        sa.select(
            A.status,
            A.channel,
            A.period,
            sa.func.count(A.id),
            sa.func.count(A.case_id),
            sa.func.count(A.walk_in_id),
        )
        .where(*appointment_conditions(session, scope, flt))
        .group_by(A.status, A.channel, A.period)
    ).all()
    totals = dict.fromkeys(OUTCOMES, 0)
    channels: dict[AppointmentChannel, int] = {}
    periods: dict[SlotPeriod, int] = {}
    for status, channel, period, n, with_case, with_walk_in in rows:
        status = AppointmentStatus(status)
        channel, period = AppointmentChannel(channel), SlotPeriod(period)
        totals["booked"] += n
        if status == AppointmentStatus.SERVED:
            totals["case"] += with_case
            totals["walk_in"] += with_walk_in
        elif status == AppointmentStatus.NO_SHOW:
            totals["no_show"] += n
        elif status == AppointmentStatus.CANCELLED:
            totals["cancelled"] += n
        else:
            totals["pending"] += n
        channels[channel] = channels.get(channel, 0) + n
        periods[period] = periods.get(period, 0) + n
    came = totals["case"] + totals["walk_in"]
    return {
        **totals,
        "served": came,
        "after_hours": sum(n for p, n in periods.items() if p.after_hours),
        "attendance_rate": _rate(came, came + totals["no_show"]),
        "by_channel": [
            {"key": c.value, "label": str(c.label), "count": channels.get(c, 0)}
            for c in AppointmentChannel
        ],
        "by_period": [
            {"key": p.value, "label": str(p.label), "count": periods.get(p, 0)} for p in SlotPeriod
        ],
    }


def for_period(session: Session, scope: Scope, start: dt.date, end: dt.date) -> dict:
    """``appointment_figures`` of the days from ``start`` to ``end`` (inclusive) in ``scope``."""
    return appointment_figures(session, scope, LedgerFilter(date_from=start, date_to=end))


def summary_rows(figures: dict) -> list[tuple[str, object]]:
    """(label, value) rows of ``appointment_figures`` for a summary sheet; the rate in %."""
    rate = figures.get("attendance_rate")
    rows: list[tuple[str, object]] = [(str(label), figures.get(key, 0)) for key, label in ROWS]
    rows.append((f"{ATTENDANCE} (%)", None if rate is None else round(rate * 100, 2)))
    rows += [(r["label"], r["count"]) for r in figures.get("by_channel", [])]
    return rows
