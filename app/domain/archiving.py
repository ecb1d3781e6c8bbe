"""归档: a closed case becomes one case file (案卷) with its own number, and read-only.

The step ``archive`` is allowed once the case has ended (completed or terminated) and only once.
It claims the next 案卷号 of the year (``AJ<year>-<sequence>``), asks the caller's ``bundle``
maker for the PDF (the domain never renders or stores files: app/archive/bundle.py makes the
PDF with the number on it and keeps it in the file store) and records who archived it when, the
stored name, the SHA-256 checksum, the size, the page count and the retention period (the
setting ``archive.retention_years``). From then on the lifecycle refuses every step but the
return visit (``lifecycle.AFTER_ARCHIVE``). Past its retention the case file is flagged for a
disposal review (``flag_due_for_disposal``); nothing here deletes a case file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import models as m
from app import settings
from app.domain import clock
from app.domain.lifecycle import _event, _require_step, publishes
from app.enums import EventKind


@dataclass(frozen=True)
class Bundle:
    """What the bundle maker kept in the file store."""

    file_name: str
    checksum: str  # SHA-256, hex
    size: int
    pages: int


def is_archived(case: m.Case) -> bool:
    return getattr(case, "archive", None) is not None


def next_archive_number(session: Session, year: int) -> str:
    """Claim the next 案卷号 of ``year`` (a row per year, claimed by one UPDATE … RETURNING)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(m.ArchiveCounter)
        .values(year=year, value=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    value = session.execute(
        sa.update(m.ArchiveCounter)
        .where(m.ArchiveCounter.year == year)
        .values(value=m.ArchiveCounter.value + 1)
        .returning(m.ArchiveCounter.value)
    ).scalar_one()
    return f"AJ{year}-{value:05d}"


def retain_until(archived_on: dt.date, years: int) -> dt.date:
    """The last day of the retention: ``years`` after ``archived_on`` (29 Feb → 28 Feb)."""
    try:
        return archived_on.replace(year=archived_on.year + years)
    except ValueError:
        return archived_on.replace(year=archived_on.year + years, day=28)


@publishes("archive")
def archive(
    session: Session,
    case: m.Case,
    actor,
    *,
    bundle: Callable[[str], Bundle],
    note: str = "",
) -> m.CaseArchive:
    """归档: number the case file, have ``bundle(number)`` make and keep its PDF, record it."""
    _require_step(case, "archive")  # ended, and not yet archived (else: read-only)
    now = clock.now()
    number = next_archive_number(session, clock.local_date(now).year)
    made = bundle(number)
    years = int(settings.get("archive.retention_years", session))
    record = m.CaseArchive(
        case=case,
        number=number,
        archived_at=now,
        archived_by_id=getattr(actor, "id", None),
        file_name=made.file_name,
        checksum=made.checksum,
        size=made.size,
        pages=made.pages,
        retention_years=years,
        retain_until=retain_until(clock.local_date(now), years),
        note=(note or "").strip(),
    )
    session.add(record)
    _event(
        session,
        case,
        EventKind.ARCHIVED,
        actor,
        note=(note or "").strip(),
        data={"number": number, "checksum": made.checksum, "pages": made.pages},
    )
    return record


def flag_due_for_disposal(session: Session, today: dt.date | None = None) -> int:
    """Flag the case files whose retention has run out for a disposal review; returns how many
    were newly flagged. Idempotent (a flagged file keeps its first flag); deletes nothing."""
    today = today or clock.today()
    result = session.execute(
        sa.update(m.CaseArchive)
        .where(m.CaseArchive.retain_until < today, m.CaseArchive.disposal_due_at.is_(None))
        .values(disposal_due_at=clock.now())
    )
    return int(result.rowcount or 0)
