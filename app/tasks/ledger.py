"""Ledger tasks: large exports as background jobs, and the periodic summaries on beat."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from sqlalchemy.exc import IntegrityError

from app.domain import clock

log = logging.getLogger(__name__)


@shared_task(name="ledger.export", time_limit=3600, soft_time_limit=3500, acks_late=True)
def export(job_id: int) -> str | None:
    """Write one export job's file (a no-op if the job is not pending any more)."""
    from app.extensions import db
    from app.ledger.jobs import run_export_job

    return run_export_job(db.session, job_id)


@shared_task(name="ledger.summaries_due", time_limit=300)
def summaries_due() -> int:
    """Queue a summary task for every unit and closed period still without a report.

    Run several times a day by beat: a missed run (beat down on the 1st) is caught up later,
    and reports already made are skipped, so running it again is harmless. Also deletes export
    files older than a week (the ledger's other periodic chore).
    """
    from app.extensions import db
    from app.ledger.jobs import purge_old_exports
    from app.ledger.summaries import due_reports

    purged = purge_old_exports(db.session)
    db.session.commit()
    if purged:
        log.info("purged %s old ledger export files", purged)
    due = due_reports(db.session, clock.today())
    db.session.rollback()
    for unit_id, period, start, end in due:
        summary.delay(unit_id, period, start.isoformat(), end.isoformat())
    return len(due)


@shared_task(name="ledger.summary", time_limit=1800, soft_time_limit=1700)
def summary(unit_id: int, period: str, start: str, end: str) -> int | None:
    """Make one unit's summary for one period; returns the report id (None if not needed)."""
    from app.extensions import db
    from app.ledger.summaries import make_summary

    try:
        report = make_summary(
            db.session, unit_id, period, dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        )
        db.session.commit()
    except IntegrityError:
        # Another worker made the same report first: the unique constraint kept one.
        db.session.rollback()
        log.info("summary %s %s %s already made", unit_id, period, start)
        return None
    return report.id if report is not None else None


@shared_task(name="ledger.check_rollups", time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def check_rollups() -> dict:
    """Nightly: the statistics rollups against a full recount; differences repaired and logged."""
    from app.extensions import db
    from app.ledger.rollup import check

    report = check(db.session, repair=True)
    db.session.commit()
    log.info("statistics rollups checked: %s", report)
    return report
