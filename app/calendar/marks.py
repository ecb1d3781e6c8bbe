"""What people see of an unconfirmed calendar: the banner and the provisional mark (暂定).

- ``calendar_banner()`` (every page, for Admins and Managers): from the warning date (setting
  ``calendar.warn_from``, default 1 October) until next year's calendar is confirmed, and
  whenever this year's is not. One small query per page, only for those two roles.
- ``provisional_day(day)``: a date in a year whose calendar is not confirmed; lists, the ledger,
  its exports and printed notices show such a date with the mark. The confirmed years are read
  once per request.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from app import settings
from app.domain import clock
from app.domain.calendar import confirmed_years, warn_from
from app.extensions import db
from app.models import HolidayYear, Setting

BANNER_ROLES = frozenset({"Admin", "Manager"})
_CACHE_KEY = "bangban.confirmed_years"


def _confirmed_years() -> frozenset[int]:
    # Kept on the request itself (an app context, and so ``g``, may outlive one request).
    environ = request.environ if has_request_context() else {}
    cached = environ.get(_CACHE_KEY)
    if cached is None:
        cached = frozenset(confirmed_years(db.session))
        if has_request_context():
            environ[_CACHE_KEY] = cached
    return cached


def provisional_day(day) -> bool:
    """True for a date in a year whose calendar is not confirmed (so it may still move)."""
    if day is None:
        return False
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        try:
            day = dt.date.fromisoformat(str(day))
        except ValueError:
            return False
    return day.year not in _confirmed_years()


def calendar_banner() -> int | None:
    """The year to show the banner about, for an Admin or Manager; None for anyone else."""
    user = current_user if has_request_context() else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not any(role.name in BANNER_ROLES for role in getattr(user, "roles", [])):
        return None

    today = clock.today()

    def confirmed(year: int):
        return (
            sa.select(HolidayYear.year)
            .where(HolidayYear.year == year, HolidayYear.confirmed.is_(True))
            .exists()
        )

    # One small query: this year and next confirmed?, and the warning date's setting.
    this_year, next_year, raw = db.session.execute(
        sa.select(
            confirmed(today.year),
            confirmed(today.year + 1),
            sa.select(Setting.value).where(Setting.key == "calendar.warn_from").scalar_subquery(),
        )
    ).one()
    raw = raw if raw is not None else settings.DEFAULTS["calendar.warn_from"].default
    known = {y for y, ok in ((today.year, this_year), (today.year + 1, next_year)) if ok}
    if today.year not in known:
        return today.year
    if today >= warn_from(today.year, raw) and today.year + 1 not in known:
        return today.year + 1
    return None


def register(app) -> None:
    app.jinja_env.globals["calendar_banner"] = calendar_banner
    app.jinja_env.globals["provisional_day"] = provisional_day
