"""Open cases follow the calendar: recompute their dates after a year of the calendar changed.

When a year is entered, imported or corrected (app/domain/calendar.py ``mark_changed``), every
open case whose counting window reaches into that year is recomputed: its due date (through
``lifecycle.due_date_for``, the one computation), the dates of its extensions, and the
provisional flag. The pause for missing materials is kept as the lifecycle counts it: a case
still awaiting materials keeps the due date it had when the pause began, recomputed without
the open pause. Each moved date is written on the case's timeline with its old and new value.

Reminders need no bookkeeping here: they are derived from the case rows with keys that include
the due date (app/reminders/kinds.py), so the next sweep reminds once at the new date, and the
old date's slot simply stops being due.

Each case is its own unit of work: a step saved on the case meanwhile (version counter) makes
that case be read again and recomputed, never overwritten.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app import jobs
from app import models as m
from app.domain import clock
from app.domain.calendar import RECOMPUTE_JOB, load_calendar
from app.domain.lifecycle import due_date_for, pause_spans
from app.domain.status import OPEN_STATUSES
from app.domain.workdays import WorkCalendar
from app.enums import EventKind
from app.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Move:
    """One date that moved: ``what`` is 'due_date' or 'extension' (with its id)."""

    case_id: int
    what: str
    old: dt.date | None
    new: dt.date | None
    extension_id: int | None = None


@dataclass
class Result:
    years: list[int]
    cases: int = 0
    moves: list[Move] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def cases_touching(session: Session, years: Iterable[int]) -> list[int]:
    """Ids of open, accepted cases whose counting window reaches into any of ``years``.

    The window runs from acceptance to the due date (no due date yet: open-ended); days before
    a year cannot move a date that lies before that year.
    """
    years = sorted(set(years))
    if not years:
        return []
    last = dt.datetime.combine(dt.date(years[-1] + 1, 1, 1), dt.time(), clock.TZ)
    first = dt.date(years[0], 1, 1)
    return list(
        session.execute(
            sa.select(m.Case.id)
            .where(
                m.Case.status.in_(list(OPEN_STATUSES)),
                m.Case.accepted_at.is_not(None),
                m.Case.accepted_at < last,
                sa.or_(
                    m.Case.due_date.is_(None),
                    m.Case.due_date >= first,
                    m.Case.due_provisional.is_(True),
                ),
            )
            .order_by(m.Case.id)
        ).scalars()
    )


def _pauses_as_of(spans, moment: dt.datetime | None):
    """The pauses as ``lifecycle.due_date_for`` counts them (``spans``: ``pause_spans``, the
    materials pauses and the suspensions).

    With ``moment`` (an extension's time): pauses begun before it, a pause still open then
    closed at that day (``resumed_on``, as the extension step counts it). Without: every
    pause, one still open left out (the due date in force when it began).
    """
    pauses = []
    for started, resolved in spans:
        if moment is not None and started > moment:
            continue
        if moment is not None and (resolved is None or resolved > moment):
            end = clock.local_date(moment)
        elif resolved is None:
            continue
        else:
            end = clock.local_date(resolved)
        start = clock.local_date(started)
        if end > start:
            pauses.append((start, end - dt.timedelta(days=1)))
    return pauses


def _count(calendar: WorkCalendar, case: m.Case, days: int, pauses):
    return calendar.add_working_days(clock.local_date(case.accepted_at), days, paused=pauses)


def recompute_case(
    session: Session, case: m.Case, calendar: WorkCalendar | None = None, years=()
) -> list[Move]:
    """Recompute one case's dates under the calendar as stored; returns what moved.

    Writes a timeline entry per moved date (old → new) and refreshes ``due_provisional``;
    never commits.
    """
    if case.accepted_at is None or case.promised_days is None:
        return []
    calendar = calendar or load_calendar(session)
    spans = pause_spans(session, case)
    extensions = list(
        session.execute(
            sa.select(m.Extension)
            .where(m.Extension.case_id == case.id)
            .order_by(m.Extension.at, m.Extension.id)
        ).scalars()
    )
    moves: list[Move] = []
    extra = 0
    for extension in extensions:
        pauses = _pauses_as_of(spans, extension.at)
        old_due = _count(calendar, case, case.promised_days + extra, pauses).day
        extra += extension.extra_days
        new_due = _count(calendar, case, case.promised_days + extra, pauses).day
        if extension.old_due is not None and old_due != extension.old_due:
            extension.old_due = old_due
        if new_due is not None and new_due != extension.new_due:
            moves.append(Move(case.id, "extension", extension.new_due, new_due, extension.id))
            extension.new_due = new_due
    due = due_date_for(session, case)
    if due is not None and due.paused:
        # Awaiting materials or suspended: the lifecycle keeps the due date it had when the
        # pause began.
        due = _count(calendar, case, case.promised_days + extra, _pauses_as_of(spans, None))
    if due is not None and due.day is not None:
        if due.day != case.due_date:
            moves.append(Move(case.id, "due_date", case.due_date, due.day))
            case.due_date = due.day
        case.due_provisional = due.provisional
    for move in moves:
        _timeline(session, case, move, years)
    return moves


def _timeline(session: Session, case: m.Case, move: Move, years) -> None:
    params = {
        "old": move.old.isoformat() if move.old else "—",
        "new": move.new.isoformat() if move.new else "—",
        "years": "、".join(str(y) for y in sorted(years)) or "—",
    }
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        if move.what == "due_date":
            note = _(
                "Due date moved from %(old)s to %(new)s: the holiday calendar of %(years)s "
                "changed.",
                **params,
            )
        else:
            note = _(
                "Extension's new due date moved from %(old)s to %(new)s: the holiday calendar "
                "of %(years)s changed.",
                **params,
            )
    session.add(
        m.CaseEvent(
            case=case,
            kind=EventKind.DUE_DATE_MOVED,
            at=clock.stamp_now(),
            actor_id=None,
            unit=case.handling_unit,
            note=note,
            data={
                "field": move.what,
                "old": move.old.isoformat() if move.old else None,
                "new": move.new.isoformat() if move.new else None,
                "extension_id": move.extension_id,
                "years": sorted(years),
            },
        )
    )


def recompute_years(
    session: Session, years: Iterable[int], *, commit: bool = True, progress=None
) -> Result:
    """Recompute every open case touching ``years``; one unit of work per case.

    With ``commit`` False (a caller's own transaction) nothing is committed and a conflict is
    raised. Stamps the years' ``recomputed_at`` at the end. ``progress(done, total)`` is told
    how far it got every 100 cases.
    """
    years = sorted(set(years))
    result = Result(years=years)
    started = clock.real_now()
    calendar = load_calendar(session)
    case_ids = cases_touching(session, years)
    for index, case_id in enumerate(case_ids):
        if progress is not None and index % 100 == 0:
            progress(index, len(case_ids))
        for attempt in (1, 2):
            try:
                case = session.get(m.Case, case_id)
                if case is None or case.status not in OPEN_STATUSES:
                    break
                result.moves += recompute_case(session, case, calendar, years)
                if commit:
                    session.commit()
                result.cases += 1
                break
            except StaleDataError:
                if not commit:
                    raise
                session.rollback()
                if attempt == 2:
                    log.warning("case %s changed twice during the recompute; left", case_id)
                    result.errors.append(f"case {case_id}: changed meanwhile")
    session.execute(
        sa.update(m.HolidayYear).where(m.HolidayYear.year.in_(years)).values(recomputed_at=started)
    )
    if commit:
        session.commit()
    return result


def run_recompute_job(session: Session, job_id: int) -> Result | None:
    """Claim and run one recompute job (app/jobs.py: heartbeat while it runs, reaped and
    retryable if its worker dies); None if it was not pending. Every case is its own unit of
    work, so a run cut short keeps what it did and a second run finds the rest."""
    if not jobs.claim(
        session, job_id, kind_filter=m.BackgroundJob.kind == RECOMPUTE_JOB, running_status="running"
    ):
        return None
    job = session.get(m.BackgroundJob, job_id)
    years = [int(y) for y in (job.params or {}).get("years", [])]
    session.commit()

    def progress(done: int, total: int) -> None:
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(m.BackgroundJob)
                .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status == "running")
                .values(processed=done, total=total)
            )

    try:
        with jobs.heartbeat(job_id):
            result = recompute_years(session, years, progress=progress)
    except Exception as exc:
        session.rollback()
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(m.BackgroundJob)
                .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status == "running")
                .values(status="failed", error=str(exc)[:2000], finished_at=clock.now())
            )
        raise
    session.execute(
        sa.update(m.BackgroundJob)
        .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status == "running")
        .values(
            status="done",
            total=result.cases,
            processed=result.cases,
            result={"cases": result.cases, "moves": len(result.moves), "errors": result.errors},
            finished_at=clock.now(),
        )
    )
    session.commit()
    return result


def stale_years(session: Session) -> list[int]:
    """Years changed after their last recompute (a lost broker message, a killed worker)."""
    return list(
        session.execute(
            sa.select(m.HolidayYear.year).where(
                m.HolidayYear.changed_at.is_not(None),
                sa.or_(
                    m.HolidayYear.recomputed_at.is_(None),
                    m.HolidayYear.recomputed_at < m.HolidayYear.changed_at,
                ),
            )
        ).scalars()
    )
