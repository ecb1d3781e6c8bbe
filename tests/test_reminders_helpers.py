"""Shared helpers of the reminder tests (no tests here): people, cases at a moment, queries."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.extensions import db
from tests import factories

MONDAY = dt.datetime(2026, 6, 8, 9, 0, tzinfo=clock.TZ)  # weekends only: no holidays loaded


def at(days: float = 0, hour: int | None = None, minute: int = 0) -> dt.datetime:
    """MONDAY plus ``days`` (calendar days), optionally at a given local hour."""
    moment = MONDAY + dt.timedelta(days=days)
    if hour is not None:
        moment = moment.replace(hour=hour, minute=minute)
    return moment


def make_people(tree) -> SimpleNamespace:
    """A specialist in village A1, managers in town A, the city and town B, a leader."""
    return SimpleNamespace(
        spec=factories.staff("spec_a1", "Specialist", tree.village_a1),
        mgr_a=factories.staff("mgr_a", "Manager", tree.town_a),
        mgr_city=factories.staff("mgr_city", "Manager", tree.city),
        mgr_b=factories.staff("mgr_b", "Manager", tree.town_b),
        leader=factories.staff("leader", "Leader", tree.city),
    )


def running_case(unit, specialist, *, when=None, promised_days=3, item=None, submit=True):
    """A case applied and confirmed at ``when`` (default MONDAY), submitted to the window."""
    clock.set_fixed(when or MONDAY)
    item = item or factories.service_item(promised_days=promised_days)
    case = factories.case(unit, specialist, item=item)
    lifecycle.confirm(
        db.session,
        case,
        specialist.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[mat.id for mat in item.materials],
    )
    if submit:
        lifecycle.submit(db.session, case, specialist.user)
    db.session.commit()
    return case


def notifications(**where) -> list[m.Notification]:
    db.session.expire_all()
    query = sa.select(m.Notification).order_by(m.Notification.id)
    for name, value in where.items():
        query = query.where(getattr(m.Notification, name) == value)
    return list(db.session.execute(query).scalars())


def recipients(kind: str) -> list[str]:
    """User names that received an in-app notification of ``kind``, sorted."""
    from app.reminders.recipients import current_app

    user = current_app.appbuilder.sm.user_model
    return sorted(
        db.session.execute(
            sa.select(user.username)
            .join(m.Notification, m.Notification.recipient_id == user.id)
            .where(m.Notification.kind == kind, m.Notification.channel == "app")
        ).scalars()
    )
