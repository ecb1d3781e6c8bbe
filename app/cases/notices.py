"""Notifications a step sends to colleagues (in the step's own transaction, so a refused step
sends nothing): a transfer tells the receiving unit's managers and specialists.

Subscribed to the domain's ``step_taken`` event (app/domain/events.py) by ``install``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import models as m
from app import notify
from app.domain import events
from app.enums import EventKind, NotificationChannel
from app.roles import held_role_names

RECEIVING_ROLES = {"Manager", "Specialist"}


def transfer_received(session: Session, case: m.Case, from_unit: m.OrgUnit | None, actor) -> int:
    """One in-app notification per manager and specialist of the receiving unit; returns how
    many. The key counts the case's transfers, so a later transfer back and forth notifies again
    and a retried save never twice."""
    session.flush()
    unit = case.handling_unit
    transfers = session.execute(
        sa.select(sa.func.count(m.CaseEvent.id)).where(
            m.CaseEvent.case_id == case.id, m.CaseEvent.kind == EventKind.TRANSFER
        )
    ).scalar_one()
    people = session.execute(
        sa.select(m.Specialist).where(
            m.Specialist.unit_id == unit.id,
            m.Specialist.active.is_(True),
            m.Specialist.user_id.is_not(None),
        )
    ).scalars()
    sent = 0
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    for person in people:
        user = person.user
        if user is None or not user.active or getattr(actor, "id", None) == user.id:
            continue
        if not held_role_names(user) & RECEIVING_ROLES:
            continue
        with force_locale(locale):
            subject = _(
                "Case %(number)s (%(item)s) was transferred to %(unit)s from %(from)s.",
                number=case.number,
                item=case.item.name,
                unit=unit.name,
                **{"from": from_unit.name if from_unit is not None else "—"},
            )
        sent += notify.queue(
            session,
            dedup_key=f"case_transferred:{case.id}:{transfers}:{user.id}",
            channel=NotificationChannel.APP,
            kind="case_transferred",
            subject=subject[:200],
            recipient_id=user.id,
            case_id=case.id,
        )
    return sent


def install() -> None:
    """Subscribe to the domain's steps (called once by the application factory)."""
    events.step_taken.connect(_step_taken)


def _step_taken(case: m.Case, *, session: Session, step: str, actor, before: dict, **_) -> None:
    if step == "transfer":
        from_unit = session.get(m.OrgUnit, before["handling_unit_id"])
        transfer_received(session, case, from_unit, actor)
