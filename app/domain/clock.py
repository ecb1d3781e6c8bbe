"""The one clock of the domain, in Asia/Shanghai: tests and the reminder sweep move it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, timezone-aware (Asia/Shanghai)."""
    if _fixed is not None:
        return _fixed
    return dt.datetime.now(TZ)


def real_now() -> dt.datetime:
    """The wall-clock time, whatever the pinned clock says (delivery bookkeeping, change stamps)."""
    return dt.datetime.now(TZ)


def stamp_now() -> dt.datetime:
    """The moment to record as having happened: the domain clock, but never in the future.

    A sweep run as of a future moment (``reminders run-due --at``) computes what is due then,
    but what it hands to the broker is handed over now; a future stamp would hide the row
    from the normal sweeps until that date.
    """
    return min(now(), real_now())


def today() -> dt.date:
    """Today's date in Asia/Shanghai (a case's dates are local dates)."""
    return now().date()


def set_fixed(moment: dt.datetime | None) -> None:
    """Pin the clock to ``moment`` (aware or naive local), or release it with None."""
    global _fixed
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    _fixed = moment.astimezone(TZ) if moment is not None else None


def local_date(moment: dt.datetime | None) -> dt.date | None:
    """The Asia/Shanghai calendar date of a stored (UTC) timestamp."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TZ).date()
