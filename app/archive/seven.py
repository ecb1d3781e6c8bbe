"""The seven-step practice of several counties (委托、受理、办理、送达、归档、上报、回访), read
from the record: no status field of its own, each step is what the case's rows say.

- 委托 (entrustment): the application with its entrustment, signed by the applicant when the
  specialist confirmed it (``applicant_signed``); the signed paper filed, if it was.
- 受理 (acceptance): the case accepted (``accepted_at``, the clock starts).
- 办理 (handling): submitted to the window (``submitted_at``) until the case ended.
- 送达 (delivery): the results handed over and signed for (the handover); for a terminated case
  the materials handed back with the termination confirmation.
- 归档 (archiving): the case file (案卷) made (app/domain/archiving.py).
- 上报 (reporting): the case counted in a finalised written report (月报 / 季报,
  app/assessment) of its handling unit or a unit above it whose period holds the day the case
  ended: the report the center sends up.
- 回访 (return visit): a return visit recorded as done, or the call-back on a poor rating.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import models as m
from app.domain import clock
from app.domain.status import TERMINAL_STATUSES
from app.enums import AttachmentKind, ReportState
from app.extensions import db

DONE, CURRENT, PENDING = "done", "current", "pending"

LABELS = {
    "entrust": _l("Entrustment"),
    "accept": _l("Acceptance"),
    "handle": _l("Handling"),
    "deliver": _l("Delivery"),
    "archive": _l("Archiving"),
    "report": _l("Reporting"),
    "revisit": _l("Return visit"),
}
STATE_LABELS = {DONE: _l("Done"), CURRENT: _l("Under way"), PENDING: _l("Not yet")}


@dataclass
class Stage:
    key: str
    state: str  # done, current, pending
    at: dt.datetime | dt.date | None = None  # a return visit is recorded by its day
    detail: str = ""

    @property
    def label(self):
        return LABELS[self.key]

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    def as_json(self) -> dict:
        return {
            "step": self.key,
            "label": str(self.label),
            "state": self.state,
            "at": self.at.isoformat() if self.at else None,
            "detail": self.detail,
        }


def _first(query):
    return db.session.execute(query.limit(1)).scalars().first()


def _report(case: m.Case) -> m.PeriodicReport | None:
    """The first finalised written report of the case's unit (or a unit above it) whose period
    holds the day the case ended."""
    if case.ended_at is None:
        return None
    day = clock.local_date(case.ended_at)
    path = case.handling_unit.path or ""
    return _first(
        sa.select(m.PeriodicReport)
        .join(m.OrgUnit, m.OrgUnit.id == m.PeriodicReport.unit_id)
        .where(
            m.PeriodicReport.state == ReportState.FINAL,
            m.PeriodicReport.period_start <= day,
            m.PeriodicReport.period_end >= day,
            sa.literal(path).startswith(m.OrgUnit.path),
            m.OrgUnit.path != "",
        )
        .order_by(m.PeriodicReport.finalised_at, m.PeriodicReport.id)
        .options(sa.orm.contains_eager(m.PeriodicReport.unit))  # its name, shown
    )


def seven_steps(case: m.Case, records: dict | None = None) -> list[Stage]:
    """Where ``case`` stands on each of the seven steps. ``records``: the case's rows by kind
    when the case page read them already (app/cases/views.py), so nothing is read twice."""

    def rows(name: str, model, order):
        if records is not None and name in records:
            return list(records[name])
        return list(
            db.session.execute(
                sa.select(model).where(model.case_id == case.id).order_by(order, model.id)
            ).scalars()
        )

    ended = case.status in TERMINAL_STATUSES
    signed_papers = [
        a
        for a in rows("attachments", m.Attachment, m.Attachment.uploaded_at)
        if a.kind == AttachmentKind.APPLICATION and a.voided_at is None
    ]
    entrust = Stage(
        "entrust",
        DONE if case.applicant_signed else CURRENT,
        case.accepted_at if case.applicant_signed else case.applied_at,
        str(case.kind.label) + (" · " + str(_l("Signed paper filed")) if signed_papers else ""),
    )
    accept = Stage("accept", DONE if case.accepted_at else PENDING, case.accepted_at)
    if case.submitted_at is None:
        handle = Stage("handle", PENDING)
    else:
        handle = Stage("handle", DONE if ended else CURRENT, case.submitted_at)
    handovers = rows("handover", m.Handover, m.Handover.at)
    terminations = rows("termination", m.Termination, m.Termination.at)
    if handovers:
        deliver = Stage("deliver", DONE, handovers[0].at, handovers[0].signed_by)
    elif terminations:
        deliver = Stage(
            "deliver", DONE, terminations[0].at, str(_l("Materials handed back on termination"))
        )
    else:
        deliver = Stage("deliver", PENDING)
    record = getattr(case, "archive", None)
    archive = (
        Stage("archive", DONE, record.archived_at, record.number)
        if record is not None
        else Stage("archive", CURRENT if ended else PENDING)
    )
    report_row = _report(case)
    report = (
        Stage(
            "report",
            DONE,
            report_row.finalised_at,
            f"{report_row.unit.name} {report_row.period_start}～{report_row.period_end}",
        )
        if report_row is not None
        else Stage("report", PENDING)
    )
    visits = rows("visits", m.ReturnVisit, m.ReturnVisit.planned_on)
    done_visits = sorted((v for v in visits if v.done_on is not None), key=lambda v: v.done_on)
    poor = [e.id for e in rows("evaluation", m.Evaluation, m.Evaluation.at) if e.rating.is_poor]
    callback = (
        _first(
            sa.select(m.Rectification)
            .where(
                m.Rectification.evaluation_id.in_(poor), m.Rectification.callback_at.is_not(None)
            )
            .order_by(m.Rectification.callback_at)
        )
        if poor
        else None
    )
    if done_visits:
        revisit = Stage("revisit", DONE, done_visits[0].done_on, done_visits[0].notes)
    elif callback is not None:
        revisit = Stage("revisit", DONE, callback.callback_at, callback.callback_note)
    elif visits:
        revisit = Stage("revisit", CURRENT, None, str(visits[0].planned_on))
    else:
        revisit = Stage("revisit", PENDING)
    return [entrust, accept, handle, deliver, archive, report, revisit]
