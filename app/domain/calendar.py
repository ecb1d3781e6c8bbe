"""The working-day calendar as the database holds it (Holiday and HolidayYear tables).

The center owns its calendar: the years chinesecalendar knows are seeded from it, an Admin
enters a new year (holidays, 调休 make-up working days, the official notice's reference) on the
calendar screen or imports it, and corrects any year. Every due-date computation reads
``load_calendar``; only *confirmed* years count as known, dates in other years are provisional.

A change to a year is marked with ``mark_changed`` in the caller's transaction: the year's
``changed_at`` is stamped and a recompute job of the open cases it touches is created in the
same transaction; once it commits the job is handed to a worker (app/jobs.py,
app/tasks/calendar.py). The stamp is the truth, the job and its broker message follow it: a job
whose worker died is failed by the reaper and can be run again, and the periodic coverage check
recomputes any year changed after its last recompute, so nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import jobs, settings
from app.domain import clock
from app.domain.errors import ValidationFailed
from app.domain.workdays import WorkCalendar, calendar_from_rows, official_schedule
from app.enums import HolidayKind
from app.models import BackgroundJob, Holiday, HolidayYear

log = logging.getLogger(__name__)
RECOMPUTE_JOB = "calendar_recompute"  # a BackgroundJob kind, run by the task calendar.recompute
_CHANGED_KEY = "calendar.recompute_job"


def load_calendar(session: Session) -> WorkCalendar:
    """Build the calendar from the tables; years not confirmed count weekends only (provisional).

    Days entered for a year not confirmed yet are used (they are the best knowledge), but the
    year stays unknown, so dates in it remain provisional until an Admin confirms it.
    """
    rows = session.execute(sa.select(Holiday.day, Holiday.kind, Holiday.name)).all()
    years = (
        session.execute(sa.select(HolidayYear.year).where(HolidayYear.confirmed.is_(True)))
        .scalars()
        .all()
    )
    return calendar_from_rows(
        [(r.day, r.kind.value if hasattr(r.kind, "value") else r.kind, r.name) for r in rows],
        years,
    )


def confirmed_years(session: Session) -> set[int]:
    """Years whose schedule is confirmed."""
    return set(
        session.execute(
            sa.select(HolidayYear.year).where(HolidayYear.confirmed.is_(True))
        ).scalars()
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
        session.add(HolidayYear(year=year, source="chinesecalendar", confirmed=True))
    return added


# ---------------------------------------------------------------- entering a year

_LINE = re.compile(
    # a day, optionally ".." (or ~, a full-width tilde, a dash, the word for "to") and a last day
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*"
    r"(?:(?:\.\.|~|\uff5e|\u2014|\u81f3)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s*(.*?)\s*$"
)
MAX_DAYS_PER_LINE = 31


def parse_days(text: str, year: int, field: str) -> dict[dt.date, str]:
    """Days of ``year`` from lines ``2027-01-01 元旦`` or ``2027-02-06..2027-02-14 春节``.

    Blank lines are skipped; any other line that does not parse, a day outside ``year`` or a
    range longer than a month raises ValidationFailed naming ``field`` and the line.
    """
    days: dict[dt.date, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        try:
            if match is None:
                raise ValueError(line)
            first = dt.date.fromisoformat(_pad(match.group(1)))
            last = dt.date.fromisoformat(_pad(match.group(2))) if match.group(2) else first
        except ValueError:
            raise ValidationFailed(
                {
                    field: _l(
                        "Line %(line)s: write a date as 2027-01-01, optionally a range "
                        "2027-02-06..2027-02-14, then the holiday's name.",
                        line=number,
                    )
                }
            ) from None
        if first.year != year or last.year != year or last < first:
            raise ValidationFailed(
                {field: _l("Line %(line)s: the days must lie in %(year)s.", line=number, year=year)}
            )
        if (last - first).days >= MAX_DAYS_PER_LINE:
            raise ValidationFailed(
                {
                    field: _l(
                        "Line %(line)s: a range may span at most %(days)s days.",
                        line=number,
                        days=MAX_DAYS_PER_LINE,
                    )
                }
            )
        name = match.group(3)[:50]
        day = first
        while day <= last:
            days[day] = name
            day += dt.timedelta(days=1)
    return days


def _pad(text: str) -> str:
    y, mo, d = text.split("-")
    return f"{y}-{int(mo):02d}-{int(d):02d}"


def format_days(rows: Iterable[Holiday]) -> str:
    """The lines ``parse_days`` reads back: consecutive days of one name as a range."""
    lines: list[str] = []
    run: list[Holiday] = []

    def flush():
        if not run:
            return
        first, last = run[0].day, run[-1].day
        span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
        lines.append(f"{span} {run[0].name}".rstrip())

    for row in sorted(rows, key=lambda r: r.day):
        if run and (row.day - run[-1].day).days == 1 and row.name == run[-1].name:
            run.append(row)
            continue
        flush()
        run = [row]
    flush()
    return "\n".join(lines)


def save_year(
    session: Session,
    year: int,
    *,
    off_days: dict[dt.date, str],
    workdays: dict[dt.date, str],
    reference: str,
    confirmed: bool,
    actor=None,
    source: str = "",
) -> HolidayYear:
    """Replace ``year``'s days with those given and stamp the change (the caller commits).

    A make-up working day must be a Saturday or Sunday; a day cannot be both off and working;
    a confirmed year needs the notice's reference. Raises ValidationFailed, changing nothing.
    """
    errors: dict[str, object] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = _l("Give a year between 2000 and 2100.")
    both = sorted(set(off_days) & set(workdays))
    if both:
        errors["workdays"] = _l(
            "%(day)s is listed both as a holiday and as a working day.", day=both[0].isoformat()
        )
    weekdays = sorted(d for d in workdays if d.weekday() < 5)
    if weekdays and "workdays" not in errors:
        errors["workdays"] = _l(
            "%(day)s is a weekday: only a Saturday or Sunday can be a make-up working day.",
            day=weekdays[0].isoformat(),
        )
    reference = (reference or "").strip()
    if confirmed and not reference:
        errors["reference"] = _l("Give the reference of the official notice to confirm the year.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    existing = {
        h.day: h
        for h in session.execute(
            sa.select(Holiday).where(Holiday.day >= first, Holiday.day <= last)
        ).scalars()
    }
    wanted = {d: (HolidayKind.OFF, n) for d, n in off_days.items()}
    wanted.update({d: (HolidayKind.WORKDAY, n) for d, n in workdays.items()})
    for day, row in existing.items():
        if day not in wanted:
            session.delete(row)
    for day, (kind, name) in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            session.add(Holiday(day=day, kind=kind, name=name or ""))
        else:
            row.kind, row.name = kind, name or ""
    record = session.get(HolidayYear, year)
    if record is None:
        record = HolidayYear(year=year)
        session.add(record)
    record.source = (source or "manual")[:100]
    record.reference = reference[:200]
    record.confirmed = bool(confirmed)
    record.changed_by_id = getattr(actor, "id", None)
    record.changed_at = clock.real_now()
    mark_changed(session, [year])
    return record


# ---------------------------------------------------------------- after a change


def mark_changed(session: Session, years: Iterable[int]) -> None:
    """Stamp ``years`` as changed and queue the recompute of their open cases: a background
    job (kind ``calendar_recompute``, app/jobs.py: heartbeat, reaper, retry) created in the
    caller's transaction and handed to a worker after its commit. Several changes in one
    transaction make one job."""
    years = sorted(set(years))
    if not years:
        return
    now = clock.real_now()
    for year in years:
        record = session.get(HolidayYear, year)
        if record is not None:
            record.changed_at = now
    job = session.info.get(_CHANGED_KEY)
    if job is not None and job in session:
        merged = sorted(set(job.params.get("years", [])) | set(years))
        job.params = {**job.params, "years": merged}
        return
    session.info[_CHANGED_KEY] = new_recompute_job(session, years)


def new_recompute_job(session: Session, years: Iterable[int], *, dispatch: bool = True):
    """A pending recompute job for ``years`` (flushed; handed over after the commit)."""
    job = BackgroundJob(
        kind=RECOMPUTE_JOB,
        user_id=None,
        status="pending",
        params={"years": sorted(set(years))},
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    if dispatch:
        jobs.dispatch_after_commit(session, job.id)
    return job


def _forget(session: Session, *_args) -> None:
    session.info.pop(_CHANGED_KEY, None)


def install_session_hooks() -> None:
    """Forget the transaction's recompute job once it commits or rolls back (idempotent)."""
    if not event.contains(Session, "after_commit", _forget):
        event.listen(Session, "after_commit", _forget)
        event.listen(Session, "after_rollback", _forget)


# ---------------------------------------------------------------- coverage


def next_year_state(session: Session, today: dt.date | None = None) -> int | None:
    """The year whose missing confirmation should be shown now, else None.

    From the warning date (setting ``calendar.warn_from``, MM-DD, default 10-01) until the end
    of the year, next year must be confirmed; the current year always must be.
    """
    today = today or clock.today()
    known = confirmed_years(session)
    if today.year not in known:
        return today.year
    if today >= warn_from(today.year, settings.get("calendar.warn_from", session)):
        if today.year + 1 not in known:
            return today.year + 1
    return None


def warn_from(year: int, raw: str) -> dt.date:
    """The warning date of ``year`` from the setting's MM-DD text (10-01 if it does not parse)."""
    try:
        month, day = (int(part) for part in str(raw).strip().split("-"))
        return dt.date(year, month, day)
    except (TypeError, ValueError):
        return dt.date(year, 10, 1)
