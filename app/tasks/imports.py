"""Background imports: a large upload is imported by a worker while the page shows progress."""

from __future__ import annotations

import logging

from celery import shared_task

from app import jobs as lifecycle
from app import models as m
from app.extensions import db
from app.imports import jobs

log = logging.getLogger(__name__)


@shared_task(name="imports.run", time_limit=3600, soft_time_limit=3500, acks_late=True)
def run(job_id: int) -> str | None:
    """Import the upload of job ``job_id``; returns its final status, None if already taken.

    The job is claimed with a conditional update, so a redelivered message does not import the
    file twice. A crash rolls back every write, marks the job failed (with an audit entry) and
    re-raises, so the failure is visible in the worker too.
    """
    session = db.session
    if not jobs.claim(session, job_id):
        return None
    job = session.get(m.BackgroundJob, job_id)
    try:
        with lifecycle.heartbeat(job_id):
            jobs.process(session, job, progress=jobs.Progress(db.engine, job_id))
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        jobs.fail(session, job_id, exc)
        raise
    return job.status


@shared_task(name="imports.purge_old_files", time_limit=600)
def purge_old_files() -> int:
    """Beat's chore: delete import uploads and row reports older than a week."""
    removed = jobs.purge_old_files(db.session)
    db.session.commit()
    if removed:
        log.info("removed %s old import files", removed)
    return removed
