"""The job keeper's rules on both backends: which jobs the reaper fails, what a retry resets,
which pending jobs the sweep hands over again, and where a finished export's file lives."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import filestore, jobs
from app import models as m
from app.domain import clock
from app.extensions import db


def running(heartbeat_minutes_ago: float, kind: str = "ledger_export") -> m.BackgroundJob:
    at = clock.now() - dt.timedelta(minutes=heartbeat_minutes_ago)
    job = m.BackgroundJob(
        kind=kind, status="running", params={}, started_at=at, heartbeat_at=at, attempts=1
    )
    db.session.add(job)
    return job


def test_the_reaper_fails_silent_jobs_only_and_a_retry_queues_them_again(any_app):
    silent, alive = running(24 * 60), running(0.1)
    pending_import = m.BackgroundJob(kind="import_units", status="pending", params={})
    db.session.add(pending_import)
    db.session.commit()
    temp = jobs.temp_dir() / f"job-{silent.id}-half.part"
    temp.write_bytes(b"half a file")

    assert jobs.reap(db.session) == [silent.id]
    db.session.expire_all()
    assert silent.status == "failed" and silent.result["reason"] == jobs.WORKER_LOST
    assert "后台进程已停止" in jobs.reason_text(silent)  # the reason the job page shows
    assert alive.status == "running" and not temp.exists()
    assert jobs.stuck(db.session) == {"pending": 1, "running": 1, "stuck": 0}

    assert jobs.can_retry(silent) and not jobs.can_retry(alive)
    assert jobs.retry(db.session, silent)
    db.session.commit()  # handed to the broker after the commit
    db.session.expire_all()
    assert silent.status == "pending" and silent.error == "" and silent.heartbeat_at is None
    assert silent.dispatched_at is not None
    assert not jobs.retry(db.session, alive)  # only a failed job

    # The sweep hands over what was never handed over, not what was handed over just now.
    assert jobs.redispatch_pending(db.session) == [pending_import.id]
    old = clock.now() - dt.timedelta(hours=1)
    db.session.execute(sa.update(m.BackgroundJob).values(dispatched_at=old))
    db.session.commit()
    assert jobs.redispatch_pending(db.session) == [silent.id, pending_import.id]


def test_a_finished_export_is_kept_in_the_file_store_and_nowhere_on_disk(any_app):
    from app.ledger.jobs import job_file, run_export_job
    from tests import factories

    tree = factories.unit_tree()
    manager = factories.staff("boss", "Manager", tree.city)
    job = m.BackgroundJob(
        kind="ledger_export",
        user_id=manager.user.id,
        status="pending",
        params={"format": "csv", "filters": {}, "locale": "zh"},
    )
    db.session.add(job)
    db.session.commit()
    name = run_export_job(db.session, job.id)
    db.session.expire_all()
    assert job.status == "done" and job.attempts == 1 and name.startswith("exports/")
    assert filestore.exists(name) and job_file(job).startswith(b"\xef\xbb\xbf")
    assert not [p for p in jobs.temp_dir().rglob("*") if p.is_file()]
