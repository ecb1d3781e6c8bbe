"""Demo complaints (“办不成事”) in every state and one chase-up (催办) on a running case, made
through the lifecycle itself, as the desk would. Called once from the demo seed; running it
again changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app import models as m
from app.domain import chaseups, clock
from app.domain import complaints as lifecycle
from app.domain.calendar import load_calendar
from app.domain.status import OPEN_STATUSES
from app.enums import ComplaintChannel

DATA = Path(__file__).with_name("demo.json")  # the demo's words, as data


def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _user(username: str):
    return current_app.appbuilder.sm.find_user(username=username)


def _specialist(session: Session, user) -> m.Specialist | None:
    return session.execute(
        sa.select(m.Specialist).where(m.Specialist.user_id == user.id)
    ).scalar_one_or_none()


def _at(day: dt.date, hour: int = 10) -> None:
    clock.set_fixed(dt.datetime.combine(day, dt.time(hour), clock.TZ))


def seed(session: Session) -> int:
    """Add the demo complaints and the chase-up once; returns how many complaints were added."""
    if session.execute(sa.select(sa.func.count(m.Complaint.id))).scalar_one():
        return 0
    clerk, manager = _user("city_specialist"), _user("city_manager")
    if clerk is None or manager is None:
        return 0
    handler = _specialist(session, clerk)
    unit = handler.unit
    departments = session.execute(sa.select(m.Department).order_by(m.Department.code)).scalars()
    departments = list(departments)
    calendar = load_calendar(session)
    today = clock.today()
    previous = clock.pinned()
    try:
        data = _data()
        words = data["texts"]
        for n, row in enumerate(data["complaints"]):
            channel, end = row["channel"], row["reached"]
            day = today - dt.timedelta(days=row["days_ago"])
            while not calendar.is_working_day(day):
                day -= dt.timedelta(days=1)
            _at(day, 9)
            c = lifecycle.intake(
                session,
                None if channel == "public" else clerk,
                unit=unit,
                channel=ComplaintChannel(channel),
                complainant=row["complainant"],
                mobile=row["mobile"],
                matter=row["matter"],
                hotline_ticket=row["hotline_ticket"],
                handler=handler,
            )
            if end == "intake":
                continue
            _at(day, 11)
            lifecycle.coordinate(session, c, clerk, note=words["coordinate"])
            if end == "coordinating":
                continue
            department = departments[n % len(departments)] if departments else None
            if department is None:
                continue
            if end != "called_back":
                _at(day, 15)
                lifecycle.transfer(
                    session,
                    c,
                    manager,
                    department=department,
                    working_days=3,
                    note=words["transfer"],
                )
                if end in ("transferred", "transferred_late"):
                    continue
                _at(calendar.add_working_days(day, 2).day, 10)
                lifecycle.reply(session, c, clerk, text=words["reply"])
            _at(calendar.add_working_days(day, 3).day, 16)
            lifecycle.call_back(
                session, c, clerk, result=words["call_back"], satisfied=end != "called_back"
            )
            if end == "archived":
                lifecycle.archive(session, c, manager, note=words["archive"])
        _chase_up(session, manager, today, data["chase_up"])
    finally:
        clock.set_fixed(previous[0], as_of=previous[1])
    session.flush()
    return len(data["complaints"])


def _chase_up(session: Session, manager, today: dt.date, row: dict) -> None:
    """One chase-up, unanswered past its deadline, on a running case of the city center."""
    city = session.execute(
        sa.select(m.Specialist.unit_id).where(m.Specialist.user_id == manager.id)
    ).scalar_one()
    case = session.execute(
        sa.select(m.Case)
        .where(
            m.Case.handling_unit_id == city,
            m.Case.status.in_([s.value for s in OPEN_STATUSES if s.value != "applied"]),
            m.Case.specialist_id.is_not(None),
        )
        .order_by(m.Case.id)
        .limit(1)
    ).scalar_one_or_none()
    if case is None:
        return
    asked = today - dt.timedelta(days=row["days_ago"])
    _at(asked, 10)
    chaseups.chase_up(
        session,
        case,
        manager,
        request=row["request"],
        respond_by=asked + dt.timedelta(days=row["respond_within_days"]),
        hotline_ticket=row["hotline_ticket"],
    )
