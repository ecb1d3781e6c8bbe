"""Working-day arithmetic for promised time limits (承诺时限).

Pure Python: no Flask, no database.  Days are counted under China's official
calendar: weekends are off, statutory holidays are off, and adjusted working
days (调休, a Saturday or Sunday declared a working day) are on.

Counting convention: the day a matter starts (e.g. the entrustment is
confirmed) does not count; the first counted day is the first working day
after it, and the n-th counted day is the due date.  Days inside a pause
(awaiting materials, 待补正) are never counted, even if they are working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chinese_calendar import constants
from chinese_calendar.constants import Holiday

__all__ = [
    "KIND_OFF",
    "KIND_WORKDAY",
    "DueDate",
    "Pause",
    "WorkCalendar",
    "calendar_from_rows",
    "official_calendar",
    "official_schedule",
    "supported_years",
]

KIND_OFF = "off"
KIND_WORKDAY = "workday"

#: A closed interval [first, last] of paused days; ``last`` None = still paused.
Pause = tuple[date, date | None]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DueDate:
    """Result of :meth:`WorkCalendar.add_working_days`.

    ``day`` is None only when an open pause (still paused) is reached before the
    due date, in which case ``paused`` is True.  ``provisional`` is True when any
    day counted or reached lies in a year whose official schedule is not loaded,
    i.e. the date may move once that year's holidays are published.
    """

    day: date | None
    provisional: bool = False
    paused: bool = False


def _normalize_pauses(paused: Iterable[Pause]) -> list[tuple[date, date]]:
    """Validate pauses and return them as sorted, merged closed intervals.

    An open pause (end None) extends to ``date.max``.
    """
    spans: list[tuple[date, date]] = []
    for item in paused:
        first, last = item
        if first is None:
            raise ValueError("pause start must be a date")
        end = date.max if last is None else last
        if end < first:
            raise ValueError(f"pause ends before it starts: {first} .. {last}")
        spans.append((first, end))
    spans.sort()
    merged: list[tuple[date, date]] = []
    for first, end in spans:
        if merged and (merged[-1][1] == date.max or first <= merged[-1][1] + _ONE_DAY):
            prev_first, prev_end = merged[-1]
            merged[-1] = (prev_first, max(prev_end, end))
        else:
            merged.append((first, end))
    return merged


def _pause_end_containing(spans: list[tuple[date, date]], d: date) -> date | None:
    """Return the end of the pause containing ``d`` (date.max if open), else None."""
    for first, end in spans:
        if first <= d <= end:
            return end
        if first > d:
            break
    return None


@dataclass(frozen=True)
class WorkCalendar:
    """Official working-day calendar.

    ``off_days``: holidays (on any weekday, weekends included is fine).
    ``extra_workdays``: 调休 weekend days that are working days.
    ``known_years``: years whose official schedule is loaded.

    Explicit entries always win; otherwise Monday–Friday are working days and
    weekends are off (which is also the whole rule for years not loaded).
    """

    off_days: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    known_years: frozenset[int] = field(default_factory=frozenset)

    # -- single days -----------------------------------------------------

    def is_known(self, d: date) -> bool:
        """True if ``d``'s year has its official schedule loaded."""
        return d.year in self.known_years

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_workdays:
            return True
        if d in self.off_days:
            return False
        return d.weekday() < 5

    def next_working_day(self, d: date) -> date:
        """First working day strictly after ``d`` (pauses are not considered)."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    # -- counting ----------------------------------------------------------

    def add_working_days(
        self,
        start: date,
        n: int,
        paused: Sequence[Pause] = (),
    ) -> DueDate:
        """Due date = the n-th counted working day after ``start``.

        ``start`` itself never counts; ``n == 0`` returns ``start``.  Days inside
        any pause (closed interval; end None = still paused) are skipped.  If an
        open pause is reached before the n-th day, the due date cannot be
        known: ``DueDate(day=None, paused=True)``.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return DueDate(day=start, provisional=not self.is_known(start))
        spans = _normalize_pauses(paused)
        provisional = False
        counted = 0
        d = start
        while counted < n:
            d += _ONE_DAY
            pause_end = _pause_end_containing(spans, d)
            if pause_end is not None:
                if pause_end == date.max:
                    return DueDate(day=None, provisional=provisional, paused=True)
                d = pause_end  # jump to the last paused day; the loop steps past it
                continue
            if not self.is_known(d):
                provisional = True
            if self.is_working_day(d):
                counted += 1
        return DueDate(day=d, provisional=provisional)

    def working_days_between(
        self,
        a: date,
        b: date,
        paused: Sequence[Pause] = (),
    ) -> int:
        """Number of working days d with a < d <= b that are not inside a pause.

        Antisymmetric: ``working_days_between(b, a) == -working_days_between(a, b)``.
        Consistent with :meth:`add_working_days`:
        ``working_days_between(s, add_working_days(s, n, p).day, p) == n``.
        """
        if b < a:
            return -self.working_days_between(b, a, paused)
        if a == b:
            return 0
        spans = _normalize_pauses(paused)
        count = 0
        d = a + _ONE_DAY
        while d <= b:
            pause_end = _pause_end_containing(spans, d)
            if pause_end is not None:
                if pause_end >= b:
                    break
                d = pause_end + _ONE_DAY
                continue
            if self.is_working_day(d):
                count += 1
            d += _ONE_DAY
        return count


# -- official data (chinesecalendar) -------------------------------------------


def _package_data() -> tuple[dict[date, Any], dict[date, Any]]:
    return constants.holidays, constants.workdays


def supported_years() -> range:
    """Years covered by the installed chinesecalendar package's data."""
    holidays, workdays = _package_data()
    days = list(holidays) + list(workdays)
    return range(min(days).year, max(days).year + 1)


def _holiday_name(value: Any) -> str:
    """Chinese name of a chinesecalendar holiday value (enum, English name or tuple)."""
    chinese = getattr(value, "chinese", None)
    if isinstance(chinese, str):
        return chinese
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[1])
    try:
        return Holiday(value).chinese
    except ValueError:
        return str(value)


def official_schedule(years: Iterable[int]) -> list[tuple[date, str, str]]:
    """Rows ``(day, kind, name)`` from chinesecalendar, sorted by day.

    ``kind`` is ``'off'`` (a statutory holiday listed by the package, weekends
    inside a holiday period included) or ``'workday'`` (调休 weekend working
    day); ``name`` is the holiday's Chinese name, e.g. '国庆节'.  Years the
    package does not cover are skipped silently.
    """
    supported = supported_years()
    wanted = {y for y in years if y in supported}
    holidays, workdays = _package_data()
    rows: list[tuple[date, str, str]] = []
    for kind, table in ((KIND_OFF, holidays), (KIND_WORKDAY, workdays)):
        for day, value in table.items():
            if day.year in wanted:
                rows.append((day, kind, _holiday_name(value)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def calendar_from_rows(
    rows: Iterable[Sequence[Any]],
    known_years: Iterable[int],
) -> WorkCalendar:
    """Build a :class:`WorkCalendar` from ``(day, kind, name)`` rows.

    Extra trailing fields are ignored.  Raises ValueError for an unknown kind
    or a day listed both as off and as a working day.
    """
    off: set[date] = set()
    extra: set[date] = set()
    for row in rows:
        day, kind = row[0], row[1]
        if isinstance(day, datetime):
            day = day.date()
        if kind == KIND_OFF:
            off.add(day)
        elif kind == KIND_WORKDAY:
            extra.add(day)
        else:
            raise ValueError(f"unknown calendar row kind {kind!r} for {day}")
    both = off & extra
    if both:
        raise ValueError(f"days listed both off and workday: {sorted(both)}")
    return WorkCalendar(
        off_days=frozenset(off),
        extra_workdays=frozenset(extra),
        known_years=frozenset(known_years),
    )


def official_calendar(years: Iterable[int] | None = None) -> WorkCalendar:
    """Calendar straight from chinesecalendar (all supported years by default)."""
    supported = supported_years()
    wanted = list(supported) if years is None else [y for y in years if y in supported]
    return calendar_from_rows(official_schedule(wanted), wanted)
