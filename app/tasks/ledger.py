"""Ledger tasks: large exports as background jobs, and the periodic summaries on beat."""

from __future__ import annotations

import logging

from celery import shared_task

from app.domain import clock
from app.extensions import db
from app.ledger.jobs import purge_old_exports, run_export_job
from app.ledger.rollup import check
from app.ledger.summaries import queue_due_summaries, run_summary_job

log = logging.getLogger(__name__)


@shared_task(name="ledger.export", time_limit=3600, soft_time_limit=3500, acks_late=True)
def export(job_id: int) -> str | None:
    """Write one export job's file (a no-op if the job is not pending any more)."""
    return run_export_job(db.session, job_id)


@shared_task(name="ledger.summaries_due", time_limit=300)
def summaries_due() -> int:
    """Queue a summary job for every unit and closed period still without a report.

    Run several times a day by beat: a missed run (beat down on the 1st) is caught up later,
    and reports already made are skipped, so running it again is harmless. Each summary is a
    background job (heartbeat, reaper, retry: app/jobs.py), handed over after the commit. Also
    deletes export files older than a week (the ledger's other periodic chore).
    """
    purged = purge_old_exports(db.session)
    db.session.commit()
    if purged:
        log.info("purged %s old ledger export files", purged)
    queued = queue_due_summaries(db.session, clock.today())
    db.session.commit()  # the jobs are handed to the broker after this commit
    return len(queued)


@shared_task(name="ledger.summary", time_limit=1800, soft_time_limit=1700, acks_late=True)
def summary(job_id: int, *legacy) -> int | None:
    """Run one summary job; returns the report id (None if not needed or already taken).

    A message of an earlier version (unit, period, start, end) is made into a job first."""
    if legacy:
        queued = queue_due_summaries(db.session, clock.today())
        db.session.commit()
        log.info(
            "summary message of an earlier version (%s, %s): queued %s", job_id, legacy, queued
        )
        return None
    return run_summary_job(db.session, int(job_id))


@shared_task(name="ledger.check_rollups", time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def check_rollups() -> dict:
    """Nightly: the statistics rollups against a full recount; differences repaired and logged."""
    report = check(db.session, repair=True)
    db.session.commit()
    log.info("statistics rollups checked: %s", report)
    return report
