"""The nightly case-file job (``archive.sweep``): flag the case files past their retention for a
disposal review, and, when the setting ``archive.auto_after_days`` is above 0, archive the cases
closed longer ago than that, each through the same domain step as the case page
(``archiving.archive``) with the system as the actor.

Idempotent by construction: a case is taken under its row lock and skipped if it was archived
meanwhile (the unique case file per case stands behind that); each case commits on its own, and
one that fails is logged, rolled back and left for the next night.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from celery import shared_task

from app import models as m
from app import settings
from app.archive import bundle
from app.audit import write_entry
from app.cases import access
from app.domain import archiving, clock
from app.domain.status import TERMINAL_STATUSES
from app.extensions import db
from app.scope import Scope

log = logging.getLogger(__name__)
BATCH = 200  # cases archived per run at most (the rest follow the next night)
SYSTEM = Scope(everything=True)  # the job's scope: every unit (no person behind it)


def due_cases(session, now: dt.datetime, days: int, limit: int = BATCH) -> list[int]:
    """Ids of closed cases ended more than ``days`` before ``now`` without a case file."""
    return list(
        session.execute(
            sa.select(m.Case.id)
            .where(
                m.Case.status.in_(TERMINAL_STATUSES),
                m.Case.ended_at < now - dt.timedelta(days=days),
                ~sa.exists().where(m.CaseArchive.case_id == m.Case.id),
                SYSTEM.clause_for(m.Case),
            )
            .order_by(m.Case.ended_at, m.Case.id)
            .limit(limit)
        ).scalars()
    )


def archive_one(session, case_id: int) -> m.CaseArchive | None:
    """Archive case ``case_id`` if it is still closed and not archived; commits. None: skipped."""
    case = access.case_in_scope(case_id, SYSTEM, lock=True)
    if case is None or case.status not in TERMINAL_STATUSES or archiving.is_archived(case):
        session.rollback()
        return None
    before = {"status": case.status.value, "version": case.version_id}
    record = archiving.archive(session, case, None, bundle=bundle.maker(session, case))
    session.flush()
    write_entry(
        session,
        action="step",
        table_name="service_case",
        row_id=str(case.id),
        before=before,
        after={**before, "step": "archive", "case_file": record.number},
    )
    session.commit()
    return record


def sweep(session, now: dt.datetime | None = None) -> dict:
    """One run: disposal flags, then the automatic archiving (if switched on)."""
    now = now or clock.now()
    flagged = archiving.flag_due_for_disposal(session, clock.local_date(now))
    session.commit()
    days = int(settings.get("archive.auto_after_days", session))
    archived, failed = 0, 0
    if days > 0:
        for case_id in due_cases(session, now, days):
            try:
                archived += archive_one(session, case_id) is not None
            except Exception:  # one case's failure must not stop the others
                session.rollback()
                failed += 1
                log.exception("archive.sweep: case %s not archived", case_id)
    return {"flagged": flagged, "archived": archived, "failed": failed}


@shared_task(name="archive.sweep", time_limit=1800, soft_time_limit=1700)
def sweep_task() -> dict:
    return sweep(db.session)
