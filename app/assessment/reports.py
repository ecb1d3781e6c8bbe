"""月报 / 季报: a unit's written report of one month or quarter.

A draft is generated from ``app/ledger/figures.period_figures`` (the ledger's selection for the
period and the unit's scope) plus the unit's assessment indicators; the figures are stored with
the time they were counted and are never edited by hand (``refresh`` counts them again while the
report is a draft). The manager writes the text sections (common problems and how they were
solved, good practice, remarks), then finalises: a final report is archived read-only, one per
unit and period. Every change is one unit of work committed by the caller.

When a month or quarter ends, beat drafts the report of every city and town center that has none
yet (``due_drafts``, run by the task ``reports.draft_due``: app/tasks/reports.py); a manager
still edits and finalises it. One report per unit and period (a unique key), so a second run,
or a manager who made the draft first, leaves it as it is. Every create, edit, refresh and
finalisation is in the audit trail (app/audit.py), and so is every export (``audit_export``).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.assessment import indicators
from app.audit import write_entry
from app.domain import clock
from app.enums import ReportState, Tier
from app.ledger.figures import period_figures
from app.scope import Scope

PERIOD_LABELS = {"month": _l("Monthly report"), "quarter": _l("Quarterly report")}
TEXT_FIELDS = ("problems_text", "practice_text", "remarks_text")
TEXT_LIMIT = 20000
# The centers whose managers write a report: the city's and the towns' (a village station's
# work is in its town's report).
DRAFT_TIERS = (Tier.CITY, Tier.TOWN)


class ReportError(Exception):
    """A request the report cannot take, with its HTTP status and a translated message."""

    def __init__(self, status: int, message):
        super().__init__(str(message))
        self.status = status
        self.message = message


def unit_scope(unit: m.OrgUnit) -> Scope:
    """The scope a unit's report counts: the unit and every unit below (the scope module's rule)."""
    return Scope(path=unit.path, unit_id=unit.id)


def compute_figures(session: Session, unit: m.OrgUnit, start: dt.date, end: dt.date) -> dict:
    """The report's figures: the ledger's statistics and the unit's indicators, JSON-ready."""
    today = clock.today()
    scope = unit_scope(unit)
    figures = period_figures(session, scope, start, end, today)
    assessment = indicators.assess(session, scope, start, end, today)
    figures["assessment"] = {"unit": assessment["unit"], "score": assessment["score"]}
    return figures


def _draft_problems(figures: dict) -> str:
    """A first line per common problem category (the manager adds how each was solved)."""
    lines = []
    for p in figures.get("problems", [])[:5]:
        lines.append(
            _(
                "%(problem)s: met %(count)s times on %(cases)s cases. How it was solved: ",
                problem=p["label"],
                count=p["count"],
                cases=p["cases"],
            )
        )
    return "\n".join(lines)


def create_draft(
    session: Session, unit: m.OrgUnit, period: str, start: dt.date, end: dt.date, actor
) -> m.PeriodicReport:
    """A new draft for ``unit`` and the period; 409 if the period already has a report."""
    exists = session.execute(
        sa.select(m.PeriodicReport.id).where(
            m.PeriodicReport.unit_id == unit.id,
            m.PeriodicReport.period == period,
            m.PeriodicReport.period_start == start,
        )
    ).first()
    if exists:
        raise ReportError(409, _("This unit already has a report for this period."))
    if start > clock.today():
        raise ReportError(400, _("The period has not started yet."))
    figures = compute_figures(session, unit, start, end)
    report = m.PeriodicReport(
        unit_id=unit.id,
        period=period,
        period_start=start,
        period_end=end,
        state=ReportState.DRAFT,
        figures=figures,
        figures_at=clock.now(),
        problems_text=_draft_problems(figures),
        practice_text="",
        remarks_text="",
        created_at=clock.now(),
        created_by_id=getattr(actor, "id", None),
    )
    session.add(report)
    session.flush()
    return report


def _draft_only(report: m.PeriodicReport) -> None:
    if report.state != ReportState.DRAFT:
        raise ReportError(409, _("A final report is archived and cannot be changed."))


def refresh(session: Session, report: m.PeriodicReport) -> None:
    """Count the draft's figures again (the text sections stay as written)."""
    _draft_only(report)
    report.figures = compute_figures(session, report.unit, report.period_start, report.period_end)
    report.figures_at = clock.now()


def update_text(report: m.PeriodicReport, data: dict) -> None:
    """Save the text sections the manager wrote (only those given; each at most TEXT_LIMIT)."""
    _draft_only(report)
    for name in TEXT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, str):
            raise ReportError(400, _("A text section must be text."))
        if len(value) > TEXT_LIMIT:
            raise ReportError(400, _("A text section is at most %(n)s characters.", n=TEXT_LIMIT))
        setattr(report, name, value.replace("\r\n", "\n"))


def finalise(report: m.PeriodicReport, actor) -> None:
    """Archive the report: read-only from now on, its figures as counted at ``figures_at``."""
    _draft_only(report)
    report.state = ReportState.FINAL
    report.finalised_at = clock.now()
    report.finalised_by_id = getattr(actor, "id", None)


def title(report: m.PeriodicReport, unit_name: str) -> str:
    """ "台城街道便民服务中心2026年5月帮办代办工作月报" in the user's language."""
    when = indicators.period_value(report.period, report.period_start)
    return _(
        "%(unit)s %(period)s of assisted and proxy handling: %(when)s",
        unit=unit_name,
        period=str(PERIOD_LABELS[report.period]),
        when=when,
    )


def due_drafts(session: Session, today: dt.date) -> list[tuple[int, str, dt.date, dt.date]]:
    """(unit id, period, start, end) of every active city or town center's last closed month
    and quarter that has no report yet, in tree order."""
    due = []
    for period in PERIOD_LABELS:
        _kind, start, end = indicators.parse_period(period, None, today)
        made = sa.select(m.PeriodicReport.unit_id).where(
            m.PeriodicReport.period == period, m.PeriodicReport.period_start == start
        )
        for unit_id in session.execute(
            sa.select(m.OrgUnit.id)
            .where(
                m.OrgUnit.active.is_(True),
                m.OrgUnit.tier.in_(DRAFT_TIERS),
                m.OrgUnit.id.not_in(made),
            )
            .order_by(m.OrgUnit.path)
        ).scalars():
            due.append((unit_id, period, start, end))
    return due


def draft_due(session: Session, unit_id: int, period: str, start: dt.date, end: dt.date):
    """The draft of one due report, made by the system (no author); None when the unit has one
    already (made meanwhile by a manager or another run: nothing is changed)."""
    unit = session.get(m.OrgUnit, unit_id)
    if unit is None or not unit.active:
        return None
    try:
        with session.begin_nested():
            return create_draft(session, unit, period, start, end, None)
    except ReportError:
        return None
    except sa.exc.IntegrityError:  # the same report made at the same moment
        return None


def audit_export(session: Session, report: m.PeriodicReport, fmt: str = "docx") -> None:
    """An export of the report in the audit trail (the read the session hook cannot see)."""
    write_entry(
        session,
        action="export",
        table_name="periodic_report",
        row_id=str(report.id),
        after={"format": fmt, "state": report.state.value, "figures_at": str(report.figures_at)},
    )
