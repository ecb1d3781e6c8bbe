"""The working-day calendar as the database holds it (Holiday and HolidayYear tables)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.domain.workdays import WorkCalendar, calendar_from_rows, official_schedule
from app.models import Holiday, HolidayYear


def load_calendar(session: Session) -> WorkCalendar:
    """Build the calendar from the tables; years not loaded count weekends only (provisional)."""
    rows = session.execute(sa.select(Holiday.day, Holiday.kind, Holiday.name)).all()
    years = session.execute(sa.select(HolidayYear.year)).scalars().all()
    return calendar_from_rows(
        [(r.day, r.kind.value if hasattr(r.kind, "value") else r.kind, r.name) for r in rows],
        years,
    )


def seed_official_calendar(session: Session, years) -> int:
    """Load the official schedule (chinesecalendar) for years not loaded yet; returns rows added."""
    loaded = set(session.execute(sa.select(HolidayYear.year)).scalars())
    existing = set(session.execute(sa.select(Holiday.day)).scalars())
    added = 0
    wanted = [y for y in years if y not in loaded]
    rows = official_schedule(wanted)
    covered = {day.year for day, _, _ in rows}
    for day, kind, name in rows:
        if day in existing:
            continue
        session.add(Holiday(day=day, kind=kind, name=name))
        added += 1
    for year in sorted(covered):
        session.add(HolidayYear(year=year, source="chinesecalendar"))
    return added
