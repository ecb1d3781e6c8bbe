"""The lifecycle every background job shares: handed over after commit, a heartbeat while it
runs, a reaper for jobs whose worker vanished, a retry, and a sweep that hands over again what
the broker lost or never got.

The ``background_job`` row is the truth; a broker message is only a nudge (as in the reminders'
outbox). A job is sent to the broker only after the transaction that created it commits; if the
broker is down the send fails fast (short connect timeout, no retries, no result backend on the
way) and the job stays pending with ``dispatched_at`` empty until the sweep (beat, every minute)
hands it over. Workers claim a job with a conditional UPDATE, so a second message is a no-op.
While a job runs, a thread in the worker writes ``heartbeat_at``; a running job without a beat
for ``JOB_STALE_SECONDS`` is marked failed with a reason the user reads, and the user can retry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.extensions import db

log = logging.getLogger(__name__)
_PENDING_KEY = "jobs.dispatch"
PENDING, FAILED = "pending", "failed"
RUNNING = ("running", "validating", "writing")  # a worker holds the job
DEFAULT_STALE_SECONDS = 180  # no heartbeat for this long: the worker is gone
DEFAULT_BEAT_SECONDS = 15
DEFAULT_REDISPATCH_SECONDS = 600  # a pending job handed over this long ago is handed over again
WORKER_LOST = "worker_lost"
REASONS = {
    WORKER_LOST: _l(
        "The worker running this job stopped (restarted or lost). Nothing of it was kept; "
        "you can run it again."
    ),
}
WAITING_FOR_BROKER = _l(
    "The background service is not reachable right now. The job is kept and starts by itself "
    "when the service is back."
)


# Every kind of background job and the Celery task that runs it (the task takes the job's id).
TASKS = {
    "ledger_export": "ledger.export",
    "ledger_summary": "ledger.summary",
    "calendar_recompute": "calendar.recompute",
}


def task_name(kind: str) -> str | None:
    """The Celery task that runs a job of ``kind``."""
    if kind.startswith("import_"):
        return "imports.run"
    return TASKS.get(kind)


def reason_text(job: m.BackgroundJob) -> str:
    """Why a job failed, in the reader's language (the stored error for anything unforeseen)."""
    return reason_for(job.result, job.error)


def reason_for(result: dict | None, error: str | None) -> str:
    reason = (result or {}).get("reason")
    if reason in REASONS:
        return str(REASONS[reason])
    return error or ""


# ---------------------------------------------------------------- handing over to the broker


def send(task: str, args: list, timeout: float | None = None) -> bool:
    """Send one message without blocking on an unreachable broker; False if it could not."""
    celery = current_app.extensions.get("celery")
    if celery is None:
        return False
    timeout = timeout or current_app.config.get("BROKER_SEND_TIMEOUT", 2)
    try:
        with celery.connection_for_write(connect_timeout=timeout) as conn:
            conn.ensure_connection(
                max_retries=0, interval_start=0, interval_step=0, interval_max=0, timeout=timeout
            )
            celery.send_task(task, args=args, connection=conn, retry=False, ignore_result=True)
        return True
    except Exception as exc:  # the broker is down: the sweep sends it again
        log.warning("broker unavailable, %s%s left for the sweep: %s", task, args, exc)
        return False


def dispatch(job_ids: Iterable[int]) -> int:
    """Hand each job to the broker and record when; returns how many were handed over."""

    sent = 0
    for job_id in job_ids:
        with db.engine.begin() as conn:
            kind = conn.execute(
                sa.select(m.BackgroundJob.kind).where(
                    m.BackgroundJob.id == job_id, m.BackgroundJob.status == PENDING
                )
            ).scalar_one_or_none()
        task = task_name(kind or "")
        if task is None:
            continue
        if not send(task, [job_id]):
            break  # the broker is down: the others wait for the sweep too
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(m.BackgroundJob)
                .where(m.BackgroundJob.id == job_id)
                .values(dispatched_at=clock.now())
            )
        sent += 1
    return sent


def dispatch_after_commit(session: Session, job_id: int) -> None:
    """Hand ``job_id`` over once ``session`` commits (never before; forgotten on rollback)."""
    session.info.setdefault(_PENDING_KEY, []).append(job_id)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids and has_app_context():
        dispatch(ids)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def install_session_hooks() -> None:
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def redispatch_pending(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Pending jobs never handed over, or handed over long ago and still not taken (the broker
    lost the message): hand them over again. Returns their ids."""
    now = now or clock.now()
    lease = dt.timedelta(
        seconds=current_app.config.get("JOB_REDISPATCH_SECONDS", DEFAULT_REDISPATCH_SECONDS)
    )
    ids = list(
        session.execute(
            sa.select(m.BackgroundJob.id)
            .where(
                m.BackgroundJob.status == PENDING,
                sa.or_(
                    m.BackgroundJob.dispatched_at.is_(None),
                    m.BackgroundJob.dispatched_at <= now - lease,
                ),
            )
            .order_by(m.BackgroundJob.id)
            .limit(500)
        ).scalars()
    )
    session.rollback()
    if ids:
        dispatch(ids)
    return ids


# ---------------------------------------------------------------- running: claim and heartbeat


def claim(session: Session, job_id: int, *, kind_filter, running_status: str) -> bool:
    """Move a pending job to ``running_status`` (one attempt more, first heartbeat); False if
    another run took it or it is not of the expected kind. Commits."""
    now = clock.now()
    result = session.execute(
        sa.update(m.BackgroundJob)
        .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status == PENDING, kind_filter)
        .values(
            status=running_status,
            started_at=now,
            heartbeat_at=now,
            attempts=m.BackgroundJob.attempts + 1,
        )
    )
    session.commit()
    return result.rowcount == 1


def beat(job_id: int) -> None:
    """Write the job's heartbeat on a connection of its own (visible at once)."""

    with db.engine.begin() as conn:
        conn.execute(
            sa.update(m.BackgroundJob)
            .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status.in_(RUNNING))
            .values(heartbeat_at=clock.now())
        )


@contextlib.contextmanager
def heartbeat(job_id: int, interval: float | None = None) -> Iterator[None]:
    """Beat for ``job_id`` from a thread while the block runs (it dies with the process)."""
    app = current_app._get_current_object()
    interval = interval or app.config.get("JOB_BEAT_SECONDS", DEFAULT_BEAT_SECONDS)
    stop = threading.Event()
    # SQLite takes no write while the job's own read is open: there the claim's beat must do.
    live = app.extensions["sqlalchemy"].engines[None].dialect.name != "sqlite"

    def run() -> None:
        with app.app_context():
            while not stop.wait(interval):
                try:
                    beat(job_id)
                except Exception as exc:  # a missed beat is not the job's failure
                    log.warning("heartbeat of job %s failed: %s", job_id, exc)

    thread = threading.Thread(target=run, name=f"job-{job_id}-heartbeat", daemon=True)
    if live:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if live:
            thread.join(timeout=5)


# ---------------------------------------------------------------- the reaper and the retry


def temp_dir() -> Path:
    """This host's folder for a job's file while it is being written (never shared)."""
    path = Path(current_app.config["INSTANCE_DIR"]) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def temp_files(job_id: int) -> list[Path]:
    return sorted(temp_dir().glob(f"job-{job_id}-*"))


def use_process_temp_dir() -> Path:
    """Point this process's temporary files (openpyxl writes each sheet to one) at a folder of
    its own under the instance folder, so what a killed worker leaves can be found and removed
    (``clean_temp_dir``: folders of processes no longer alive)."""
    path = temp_dir() / f"pid-{os.getpid()}"
    if tempfile.tempdir != str(path):
        path.mkdir(parents=True, exist_ok=True)
        tempfile.tempdir = str(path)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_seconds(session: Session) -> int:
    seconds = int(current_app.config.get("JOB_STALE_SECONDS", DEFAULT_STALE_SECONDS))
    if session.get_bind().dialect.name == "sqlite":
        seconds = max(seconds, 3900)  # no beats while a job runs there: wait out the time limit
    return seconds


def reap(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Fail every running job whose heartbeat stopped; remove its temp files. Commits."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(seconds=stale_seconds(session))
    stale = list(
        session.execute(
            sa.select(m.BackgroundJob)
            .where(
                m.BackgroundJob.status.in_(RUNNING),
                sa.func.coalesce(m.BackgroundJob.heartbeat_at, m.BackgroundJob.started_at) < cutoff,
            )
            .order_by(m.BackgroundJob.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    for job in stale:
        last = job.heartbeat_at or job.started_at
        job.status = FAILED
        job.error = f"worker lost: no heartbeat since {last.isoformat() if last else '?'}"
        job.result = {**(job.result or {}), "reason": WORKER_LOST, "written": False}
        job.finished_at = now
        log.warning("job %s (%s): worker lost, marked failed", job.id, job.kind)
    session.commit()
    for job in stale:
        for path in temp_files(job.id):
            path.unlink(missing_ok=True)
    clean_temp_dir(session)
    return [job.id for job in stale]


def can_retry(job: m.BackgroundJob) -> bool:
    """A failed job of a known kind can run again; an import only while its upload is kept."""
    if job.status != FAILED or task_name(job.kind) is None:
        return False
    if job.kind.startswith("import_"):
        # layer: the job table sits below the domain (which loads it); the import files are above
        from app import filestore
        from app.imports import files

        return files.is_ours(job.file_name) and filestore.exists(job.file_name)
    return True


def retry(session: Session, job: m.BackgroundJob) -> bool:
    """Put a failed job back in the queue (handed over after the caller commits)."""
    changed = session.execute(
        sa.update(m.BackgroundJob)
        .where(m.BackgroundJob.id == job.id, m.BackgroundJob.status == FAILED)
        .values(
            status=PENDING,
            error="",
            processed=0,
            result={},
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
            dispatched_at=None,
        )
    )
    if changed.rowcount != 1:
        return False
    dispatch_after_commit(session, job.id)
    return True


def retry_now(session: Session, job: m.BackgroundJob) -> str | None:
    """Retry ``job`` and commit, for the screens and the API alike: None if it cannot run
    again, "queued" when the broker has it, "waiting" when the broker is down (the sweep hands
    it over when it is back; never an error for the user)."""
    if not can_retry(job) or not retry(session, job):
        session.rollback()
        return None
    session.commit()
    session.refresh(job)
    return "waiting" if job.dispatched_at is None else "queued"


def stuck(session: Session) -> dict[str, int]:
    """Counts the status screen shows: waiting for a worker, running, running without a beat."""
    now = clock.now()
    cutoff = now - dt.timedelta(seconds=stale_seconds(session))
    pending = session.execute(
        sa.select(sa.func.count()).where(m.BackgroundJob.status == PENDING)
    ).scalar_one()
    running = session.execute(
        sa.select(sa.func.count()).where(m.BackgroundJob.status.in_(RUNNING))
    ).scalar_one()
    silent = session.execute(
        sa.select(sa.func.count()).where(
            m.BackgroundJob.status.in_(RUNNING),
            sa.func.coalesce(m.BackgroundJob.heartbeat_at, m.BackgroundJob.started_at) < cutoff,
        )
    ).scalar_one()
    return {"pending": pending, "running": running, "stuck": silent}


def record_beat(name: str, detail: str = "") -> None:
    """Note that ``name`` (worker, beat) showed a sign of life now (own connection)."""

    now = clock.now()
    with db.engine.begin() as conn:
        updated = conn.execute(
            sa.update(m.ServiceBeat)
            .where(m.ServiceBeat.name == name)
            .values(at=now, detail=detail[:200])
        )
        if updated.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(
                        sa.insert(m.ServiceBeat).values(name=name, at=now, detail=detail[:200])
                    )
            except sa.exc.IntegrityError:
                pass


def clean_temp_dir(session: Session) -> int:
    """Remove this host's temp files of jobs no worker runs any more (a worker killed while
    writing leaves one; its host's next worker start, or the reaper there, removes it)."""
    removed = 0
    running = set(
        session.execute(
            sa.select(m.BackgroundJob.id).where(m.BackgroundJob.status.in_(RUNNING))
        ).scalars()
    )
    session.rollback()
    for folder in temp_dir().glob("pid-*"):
        try:
            pid = int(folder.name[4:])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    for path in temp_dir().glob("job-*"):
        try:
            job_id = int(path.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if job_id not in running:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
