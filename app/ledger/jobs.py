"""Large ledger exports as background jobs: a BackgroundJob row, a worker writes the file.

The web request stores the filter, the user and the language in the job and returns at once
(the job is handed to the broker after the commit: app/jobs.py); the worker claims the job with
a conditional UPDATE (so a redelivered message cannot run it twice), beats while it runs, reads
the rows in the *job owner's* scope (``scope_for_user``: no request, no ``g``), writes the file to
a temp file of its own host, then keeps it in the shared file store (app/filestore.py) in the
same commit that marks the job done. Progress goes on a separate connection so the page's
progress bar moves while the export's cursor stays open.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import filestore
from app import jobs as lifecycle
from app import models as m
from app.domain import clock
from app.extensions import db
from app.ledger.export import describe, write_csv, write_xlsx
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.replica import read_session
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
PREFIX = "exports/"
MIMES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


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
    lifecycle.dispatch_after_commit(session, job.id)
    return job


def _set(job_id: int, **values) -> None:
    """Update the job on its own connection and commit at once (visible to the web page)."""

    with db.engine.begin() as conn:
        conn.execute(
            sa.update(m.BackgroundJob).where(m.BackgroundJob.id == job_id).values(**values)
        )


def run_export_job(session: Session, job_id: int) -> str | None:
    """Claim and run one export job; returns the file name, None if it was not pending."""
    if not lifecycle.claim(
        session, job_id, kind_filter=m.BackgroundJob.kind == JOB_KIND, running_status="running"
    ):
        return None
    job = session.get(m.BackgroundJob, job_id)
    try:
        with lifecycle.heartbeat(job_id):
            file_name = _write(session, job)
    except Exception as exc:
        session.rollback()
        _set(job_id, status="failed", error=str(exc)[:2000], finished_at=clock.now())
        raise
    finally:
        for path in lifecycle.temp_files(job_id):
            path.unlink(missing_ok=True)
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
    query = LedgerQuery(read_session(), scope, flt, today=today)  # a replica, if any
    total = query.count()
    _set(job.id, total=total)
    # SQLite cannot take a write while the export's read is open: report progress only at the end.
    live = session.get_bind().dialect.name != "sqlite"

    def progress(n: int) -> None:
        if live:
            _set(job.id, processed=n)

    file_name = f"{PREFIX}ledger-{job.id}-{secrets.token_hex(8)}.{fmt}"
    path = lifecycle.temp_dir() / f"job-{job.id}-{secrets.token_hex(4)}.part"
    locale = params.get("locale") or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    with force_locale(locale):
        title, subtitle = describe(session, scope, flt)
        writer = write_xlsx if fmt == "xlsx" else write_csv
        count = writer(query.stream(), path, title=title, subtitle=subtitle, progress=progress)
    query.session.rollback()
    session.rollback()  # end the read transaction before the final write
    filestore.put(file_name, path.read_bytes(), MIMES[fmt], session=session)
    path.unlink(missing_ok=True)
    done = session.execute(
        sa.update(m.BackgroundJob)
        .where(m.BackgroundJob.id == job.id, m.BackgroundJob.status == "running")
        .values(
            status="done",
            total=count,
            processed=count,
            file_name=file_name,
            result={"rows": count},
            finished_at=clock.now(),
        )
    )
    if done.rowcount != 1:  # the reaper gave the job up meanwhile: keep nothing
        session.rollback()
        return None
    session.commit()
    return file_name


def job_file(job: m.BackgroundJob) -> bytes | None:
    """The finished file of a job, if it is still there."""
    if job.status != "done" or not job.file_name or not job.file_name.startswith(PREFIX):
        return None
    return filestore.get(job.file_name)


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
        if job.file_name and job.file_name.startswith(PREFIX):
            filestore.delete(job.file_name, session=session)
        job.status = "expired"
        job.file_name = None
        purged += 1
    return purged
