"""The working-day calendar and the settings, kept in memory between requests (issue 22).

Every list with due dates, every case page and every manager's banner read the holidays, the
confirmed years and a setting: three to five statements a page. Each process keeps them tagged
with the *reference stamp* (row 2 of ``security_stamp``): a trigger on ``holiday``,
``holiday_year`` and ``app_setting`` gives it a new value at every write (migration 0030),
whoever writes. The stamp is read with the user (app/sessions.py); outside a request (jobs,
the domain) nothing is kept and the tables are read as before.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import settings
from app.domain.calendar import confirmed_years as read_confirmed_years
from app.domain.calendar import load_calendar
from app.extensions import db
from app.models import Setting
from app.permission_cache import REFERENCE, current_stamp, database_key


class StampedValue:
    """A value made from the reference tables, kept while the reference stamp holds."""

    def __init__(self, load) -> None:
        self._load = load
        # per database (app/permission_cache.py database_key): (stamp, value)
        self._states: dict[str, tuple[str | None, object]] = {}

    def get(self, session=None):
        session = session or db.session
        stamp = current_stamp(session, REFERENCE)
        if stamp is None:
            return self._load(session)
        key = database_key(session)
        state = self._states.get(key, (None, None))
        if state[0] != stamp:
            state = (stamp, self._load(session))  # read after the stamp: never older than it
            self._states = {**self._states, key: state}
        return state[1]

    def clear(self) -> None:
        self._states = {}


def _stored_settings(session) -> dict[str, str]:
    rows = session.execute(
        sa.select(Setting.key, Setting.value).where(Setting.key.in_(list(settings.DEFAULTS)))
    )
    return dict(rows.all())


CALENDAR = StampedValue(load_calendar)  # a frozen WorkCalendar
CONFIRMED_YEARS = StampedValue(lambda session: frozenset(read_confirmed_years(session)))
SETTINGS = StampedValue(_stored_settings)


def calendar():
    """The working-day calendar (app/domain/calendar.py ``load_calendar``)."""
    return CALENDAR.get()


def confirmed_years() -> frozenset[int]:
    """The years whose calendar is confirmed."""
    return CONFIRMED_YEARS.get()


def setting(key: str):
    """``settings.get(key)``, from memory."""
    return settings.from_stored(key, SETTINGS.get().get(key))
