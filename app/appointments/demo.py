"""Appointments of the demo data: slot patterns of the city center, 台城街道 and its first station,
and bookings for today and the next days with openings, some already served, one not come.

Made through app/appointments/service.py like any booking; nothing when appointments exist
(running the seed again changes nothing).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app import models as m
from app.appointments import service
from app.domain import clock
from app.domain.errors import DomainError
from app.enums import AppointmentChannel, HelpType, ServiceKind, SlotPeriod, WalkInKind

P = SlotPeriod
# (demo account whose unit gets the pattern, places per weekday period, appointments to book)
PATTERNS = (
    (
        "city_specialist",
        {P.MORNING: 6, P.AFTERNOON: 6, P.NOON: 2, P.EVENING: 2},
        {5: {P.NOON: 3}},  # Saturday's after-hours service (延时服务)
        9,
    ),
    ("town00_specialist", {P.MORNING: 4, P.AFTERNOON: 4, P.EVENING: 1}, {}, 6),
    ("village00_specialist", {P.MORNING: 2, P.AFTERNOON: 2}, {}, 3),
)
# The demo's Chinese words (notes, names of bookers without a record) are data.
TEXT = json.loads((Path(__file__).with_name("demo.json")).read_text(encoding="utf-8"))
NOTES = TEXT["notes"]


def _specialist(session: Session, username: str) -> m.Specialist | None:
    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None:
        return None
    return session.execute(
        sa.select(m.Specialist).where(m.Specialist.user_id == user.id)
    ).scalar_one_or_none()


def seed_appointments(session: Session) -> int:
    """Patterns and bookings for the demo; the number of appointments made."""
    if session.execute(sa.select(sa.func.count(m.Appointment.id))).scalar_one():
        return 0
    rng = random.Random(2028)
    items = list(
        session.execute(
            sa.select(m.ServiceItem)
            .where(m.ServiceItem.active.is_(True))
            .order_by(m.ServiceItem.code)
        ).scalars()
    )
    today = clock.today()
    made = 0
    for username, weekdays, weekend, count in PATTERNS:
        specialist = _specialist(session, username)
        if specialist is None:
            continue
        unit = specialist.unit
        pattern = {(d, p): n for d in range(5) for p, n in weekdays.items()}
        for weekday, periods in weekend.items():
            pattern.update({(weekday, p): n for p, n in periods.items()})
        service.save_pattern(session, unit, pattern)
        applicants = list(
            session.execute(
                sa.select(m.Applicant)
                .where(m.Applicant.unit_id == unit.id)
                .order_by(m.Applicant.id)
                .limit(count)
            ).scalars()
        )
        openings = [o for o in service.openings(session, unit, today, 8) if o.free]
        days = sorted({o.day for o in openings})[:2]
        chosen = [o for o in openings if o.day in days]
        for n in range(count):
            if not chosen:
                break
            opening = chosen[n % len(chosen)]
            applicant = applicants[n] if n < len(applicants) else None
            channel = (
                AppointmentChannel.PUBLIC
                if opening.day > today and n % 3 == 1
                else AppointmentChannel.STAFF
            )
            try:
                with session.begin_nested():
                    appointment = service.book(
                        session,
                        unit=unit,
                        day=opening.day,
                        period=opening.period,
                        name=applicant.name if applicant else TEXT["name"].format(n=n + 1),
                        mobile=applicant.mobile if applicant else f"1391234{n:04d}",
                        channel=channel,
                        actor=specialist.user if channel == AppointmentChannel.STAFF else None,
                        applicant=applicant if channel == AppointmentChannel.STAFF else None,
                        item=rng.choice(items) if items and n % 4 != 3 else None,
                        note=NOTES[n % len(NOTES)],
                    )
                    made += 1
                    if opening.day == today:
                        _serve(session, appointment, specialist, n)
            except DomainError:
                continue  # a full slot or a mobile booked twice: the demo books the next
    session.flush()
    return made


def _serve(session: Session, appointment: m.Appointment, specialist: m.Specialist, n: int):
    """Today's first bookings as the desk would have served them: a case, a walk-in record,
    one that did not come; the rest wait."""
    actor = specialist.user
    if n == 0 and appointment.applicant is not None and appointment.item is not None:
        service.serve_with_case(
            session,
            appointment,
            actor,
            kind=ServiceKind.HELP,
            help_types=[HelpType.FORM_FILLING.value],
            needs=appointment.note or TEXT["needs"],
            specialist=specialist,
            ack_voluntary=True,
            ack_free=True,
            ack_truthful=True,
        )
    elif n == 1:
        service.serve_with_walk_in(
            session, appointment, actor, specialist=specialist, kind=WalkInKind.FORM_FILLING
        )
    elif n == 2:
        service.no_show(session, appointment, actor)
