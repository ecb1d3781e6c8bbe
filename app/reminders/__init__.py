"""Reminders and notifications: derived from the database, written once, delivered once.

- ``sweep.run`` finds what is due (``kinds``: one function per kind of reminder), resolves the
  recipients through the scope rules (``recipients``) and writes one notification per
  recipient and channel under a unique key (``outbox``);
- ``channels.deliver`` sends a pending email or SMS and marks it sent in one transaction;
- ``on_status_change`` receives the domain's ``status_changed`` event (app/domain/events.py;
  ``install`` subscribes it) at every status change and queues an SMS to the applicant in the
  same transaction (sent by a worker after the commit).

The Celery tasks are in app/tasks/reminders.py, the screens in app/reminders/views.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import models as m
from app.domain import events
from app.domain.status import CaseStatus
from app.enums import EventKind, NotificationChannel
from app.reminders import channels, outbox, sms_templates, sweep

S = CaseStatus


def status_message(case: m.Case, new: CaseStatus, old: CaseStatus | None = None):
    """Which SMS kind (app/reminders/sms_templates.py KINDS) tells the applicant about this
    change, and the values of its placeholders."""
    values = {
        "number": case.number,
        "item": case.item.name if case.item else "",
        "status": new.label,
    }
    if new == S.SUSPENDED:
        return "suspended", values
    if old == S.SUSPENDED:
        values["due"] = case.due_date.isoformat() if case.due_date else "—"
        return "resumed", values
    if new == S.ACCEPTED and old == S.AWAITING_MATERIALS:
        return "materials_received", values
    if new == S.ACCEPTED:
        days = case.promised_days if case.promised_days is not None else case.item.promised_days
        values["days"] = days
        return "accepted", values
    if new == S.IN_PROGRESS:
        return "in_progress", values
    if new == S.AWAITING_MATERIALS:
        return "awaiting_materials", values
    if new == S.COMPLETED:
        return "completed", values
    if new == S.TERMINATED:
        return "terminated", values
    return "status", values


def on_status_change(session: Session, case: m.Case, old: CaseStatus, new: CaseStatus) -> None:
    """Queue the applicant's SMS about a status change, in the caller's transaction.

    The key is (case, new status, how many times the case has entered that status), so each
    change sends one SMS and nothing can send it twice. Quiet hours defer it; a rollback of
    the step removes it with everything else.
    """
    if new == S.VOIDED:
        return  # a case entered by mistake: nothing to tell the applicant
    applicant = case.applicant
    if applicant is None or not applicant.mobile or channels.sms_gateway_name() == "off":
        return
    if case.id is None:
        session.flush()

    with session.no_autoflush:
        stored = session.execute(
            sa.select(sa.func.count(m.CaseEvent.id)).where(
                m.CaseEvent.case_id == case.id,
                m.CaseEvent.kind == EventKind.STATUS,
                m.CaseEvent.to_status == new,
            )
        ).scalar_one()
    unsaved = sum(
        1
        for obj in session.new
        if isinstance(obj, m.CaseEvent)
        and obj.case is case
        and obj.kind == EventKind.STATUS
        and obj.to_status == new
    )
    code, values = status_message(case, new, old)
    with session.no_autoflush:  # reads of settings and templates, in the middle of a step
        text = sms_templates.compose(session, code, values)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        subject = _("Case %(number)s: status changed", number=case.number)
    outbox.queue(
        session,
        dedup_key=f"status_sms:{case.id}:{new.value}:{stored + unsaved}",
        channel=NotificationChannel.SMS,
        kind="status_sms",
        subject=subject,
        body=text,
        recipient_address=applicant.mobile,
        case_id=case.id,
    )


def install() -> None:
    """Subscribe to the domain's events (called once by the application factory)."""
    events.status_changed.connect(_status_changed)


def _status_changed(case: m.Case, *, session: Session, old: CaseStatus, new: CaseStatus) -> None:
    on_status_change(session, case, old, new)


def run_due(session: Session, at=None, **kwargs):
    """One sweep (see app/reminders/sweep.py)."""
    return sweep.run(session, at, **kwargs)
