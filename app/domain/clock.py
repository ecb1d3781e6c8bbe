"""The one clock of the domain, in Asia/Shanghai: tests and the reminder sweep move it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
_fixed: dt.datetime | None = None
_as_of = False  # the pinned moment is a sweep's "as of", not the time it runs at


def now() -> dt.datetime:
    """The current time, timezone-aware (Asia/Shanghai)."""
    if _fixed is not None:
        return _fixed
    return dt.datetime.now(TZ)


def real_now() -> dt.datetime:
    """The wall-clock time, whatever the pinned clock says (delivery bookkeeping, change stamps)."""
    return dt.datetime.now(TZ)


def stamp_now() -> dt.datetime:
    """The moment to record in delivery bookkeeping: the domain clock, except that a sweep run
    *as of* a moment (``reminders run-due --at``) never records a time after the real one.

    Such a sweep computes what is due at its moment, but what it hands to the broker is handed
    over now; a future stamp would hide the row from the normal sweeps until that moment. A
    clock pinned to simulate time (tests, the demo) is the time for everything.
    """
    current = now()
    if _fixed is not None and _as_of:
        return min(current, real_now())
    return current


def today() -> dt.date:
    """Today's date in Asia/Shanghai (a case's dates are local dates)."""
    return now().date()


def set_fixed(moment: dt.datetime | None, *, as_of: bool = False) -> None:
    """Pin the clock to ``moment`` (aware or naive local), or release it with None.

    ``as_of``: the moment is only what a computation runs as of (see ``stamp_now``).
    """
    global _fixed, _as_of
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    _fixed = moment.astimezone(TZ) if moment is not None else None
    _as_of = bool(as_of) and moment is not None


def pinned() -> tuple[dt.datetime | None, bool]:
    """The pinned moment and its kind, to restore with ``set_fixed(*pinned)``."""
    return _fixed, _as_of


def local_date(moment: dt.datetime | None) -> dt.date | None:
    """The Asia/Shanghai calendar date of a stored (UTC) timestamp."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TZ).date()


def local_time(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) timestamp as Asia/Shanghai wall-clock time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(TZ)
