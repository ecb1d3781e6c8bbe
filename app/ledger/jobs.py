"""Large ledger exports as background jobs: a BackgroundJob row, a worker writes the file.

The web request stores the filter, the user and the language in the job and returns at once;
the worker claims the job with a conditional UPDATE (so a redelivered message cannot run it
twice), reads the rows in the *job owner's* scope (``scope_for_user``: no request, no ``g``),
writes the file under instance/jobs/ and reports progress on a separate connection so the
page's progress bar moves while the export's cursor stays open.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.ledger.export import describe, write_csv, write_xlsx
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.scope import scope_for_user

JOB_KIND = "ledger_export"
FORMATS = ("xlsx", "csv")
KEEP_DAYS = 7  # finished export files are deleted after a week
STATUS_LABELS = {
    "pending": _l("Waiting for a worker"),
    "running": _l("Running"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
    "expired": _l("Expired"),
}


def jobs_dir() -> Path:
    path = Path(current_app.config["INSTANCE_DIR"]) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_export_job(
    session: Session, user, flt: LedgerFilter, fmt: str, locale: str
) -> m.BackgroundJob:
    """A pending export job for ``user`` (the caller commits, then calls ``enqueue``)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    job = m.BackgroundJob(
        kind=JOB_KIND,
        user_id=user.id,
        status="pending",
        params={
            "filters": flt.to_args(),
            "format": fmt,
            "locale": locale,
            "today": clock.today().isoformat(),
        },
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    return job


def enqueue(job_id: int) -> None:
    """Send the job to a worker (after the job row is committed)."""
    current_app.extensions["celery"].send_task("ledger.export", args=[job_id])


def _set(job_id: int, **values) -> None:
    """Update the job on its own connection and commit at once (visible to the web page)."""
    from app.extensions import db

    with db.engine.begin() as conn:
        conn.execute(
            sa.update(m.BackgroundJob).where(m.BackgroundJob.id == job_id).values(**values)
        )


def run_export_job(session: Session, job_id: int) -> str | None:
    """Claim and run one export job; returns the file name, None if it was not pending."""
    claimed = session.execute(
        sa.update(m.BackgroundJob)
        .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status == "pending")
        .values(status="running", started_at=clock.now())
    )
    session.commit()
    if claimed.rowcount != 1:
        return None
    job = session.get(m.BackgroundJob, job_id)
    try:
        file_name = _write(session, job)
    except Exception as exc:
        session.rollback()
        _set(job_id, status="failed", error=str(exc)[:2000], finished_at=clock.now())
        raise
    return file_name


def _write(session: Session, job: m.BackgroundJob) -> str:
    user = session.get(current_app.appbuilder.sm.user_model, job.user_id)
    scope = scope_for_user(user)
    params = job.params or {}
    flt = LedgerFilter.from_args(params.get("filters") or {})
    fmt = params.get("format", "xlsx")
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    today = dt.date.fromisoformat(params.get("today") or clock.today().isoformat())
    query = LedgerQuery(session, scope, flt, today=today)
    total = query.count()
    _set(job.id, total=total)
    # SQLite cannot take a write while the export's read is open: report progress only at the end.
    live = session.get_bind().dialect.name != "sqlite"

    def progress(n: int) -> None:
        if live:
            _set(job.id, processed=n)

    file_name = f"ledger-{job.id}-{secrets.token_hex(8)}.{fmt}"
    path = jobs_dir() / file_name
    locale = params.get("locale") or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    with force_locale(locale):
        title, subtitle = describe(session, scope, flt)
        writer = write_xlsx if fmt == "xlsx" else write_csv
        count = writer(query.stream(), path, title=title, subtitle=subtitle, progress=progress)
    session.rollback()  # end the read transaction before the final write
    _set(
        job.id,
        status="done",
        total=count,
        processed=count,
        file_name=file_name,
        result={"rows": count},
        finished_at=clock.now(),
    )
    return file_name


def job_path(job: m.BackgroundJob) -> Path | None:
    """The finished file of a job, if it is still there."""
    if job.status != "done" or not job.file_name:
        return None
    path = jobs_dir() / Path(job.file_name).name
    return path if path.is_file() else None


def purge_old_exports(session: Session, days: int = KEEP_DAYS) -> int:
    """Delete the files of export jobs finished more than ``days`` ago; returns how many."""
    cutoff = clock.now() - dt.timedelta(days=days)
    old = session.execute(
        sa.select(m.BackgroundJob).where(
            m.BackgroundJob.kind == JOB_KIND,
            m.BackgroundJob.status == "done",
            m.BackgroundJob.finished_at < cutoff,
        )
    ).scalars()
    purged = 0
    for job in old:
        if job.file_name:
            (jobs_dir() / Path(job.file_name).name).unlink(missing_ok=True)
        job.status = "expired"
        job.file_name = None
        purged += 1
    return purged
