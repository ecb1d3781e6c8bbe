"""What people see of an unconfirmed calendar: the banner and the provisional mark (暂定).

- ``calendar_banner()`` (every page, for Admins and Managers): from the warning date (setting
  ``calendar.warn_from``, default 1 October) until next year's calendar is confirmed, and
  whenever this year's is not. From memory (app/reference.py), only for those two roles.
- ``provisional_day(day)``: a date in a year whose calendar is not confirmed; lists, the ledger,
  its exports and printed notices show such a date with the mark. The confirmed years are kept
  in memory while the calendar is unchanged (app/reference.py).
"""

from __future__ import annotations

import datetime as dt

from flask import has_request_context
from flask_login import current_user

from app import reference
from app.domain import clock
from app.domain.calendar import warn_from
from app.roles import held_role_names

BANNER_ROLES = frozenset({"Admin", "Manager"})


def _confirmed_years() -> frozenset[int]:
    return reference.confirmed_years()


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
    if not held_role_names(user) & set(BANNER_ROLES):
        return None

    today = clock.today()
    confirmed = reference.confirmed_years()  # in memory while the calendar is unchanged
    this_year, next_year = today.year in confirmed, today.year + 1 in confirmed
    raw = reference.setting("calendar.warn_from")
    known = {y for y, ok in ((today.year, this_year), (today.year + 1, next_year)) if ok}
    if today.year not in known:
        return today.year
    if today >= warn_from(today.year, raw) and today.year + 1 not in known:
        return today.year + 1
    return None


def register(app) -> None:
    app.jinja_env.globals["calendar_banner"] = calendar_banner
    app.jinja_env.globals["provisional_day"] = provisional_day
    app.jinja_env.globals["held_role_names"] = held_role_names  # groups' roles count too
