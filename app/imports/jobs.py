"""Running one import job: read, validate every row, write (all or the valid rows), record.

Every import runs in a Celery worker (the upload request only checks and stores the file), which
beats while it runs (app/jobs.py). The writes, the row report, the job's final state, the audit
entry and the notification are committed together, once. Progress is written on a separate
connection so the page sees it while the import's own transaction is still open (PostgreSQL;
SQLite allows one writer, so there it stops at validation).
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections import Counter
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import filestore, notify
from app import jobs as lifecycle
from app import models as m
from app.domain import clock
from app.enums import NotificationChannel
from app.imports import files
from app.imports.apply import Context, apply
from app.imports.report import results_json
from app.imports.specs import KINDS
from app.imports.validate import DEFAULT_MAX_ROWS, read_workbook, validate
from app.roles import rank_of
from app.scope import scope_for_user

JOB_PREFIX = "import_"
PENDING, VALIDATING, WRITING = "pending", "validating", "writing"
DONE, REFUSED, FAILED = "done", "refused", "failed"
FINISHED = (DONE, REFUSED, FAILED)
KEEP_DAYS = 7  # uploads and their row reports are deleted after a week


class Progress:
    """Writes ``processed``/``total`` of a job on its own short transactions, throttled."""

    def __init__(self, engine: sa.Engine, job_id: int, interval: float = 0.5):
        self.engine = engine
        self.job_id = job_id
        self.interval = interval
        self.during_writes = engine.dialect.name == "postgresql"
        self._last = 0.0

    def __call__(self, status: str, processed: int, total: int | None = None, force=False):
        if status == WRITING and not self.during_writes and processed:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        values: dict[str, Any] = {"status": status, "processed": processed}
        if total is not None:
            values["total"] = total
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(m.BackgroundJob).where(m.BackgroundJob.id == self.job_id).values(**values)
            )


def create_job(
    session: Session,
    *,
    user,
    kind: str,
    stored: str,
    original: str,
    valid_only: bool,
    locale: str,
    ip: str,
    update_accounts: bool = False,
) -> m.BackgroundJob:
    """A pending job for an upload already stored; the caller commits."""
    job = m.BackgroundJob(
        kind=f"{JOB_PREFIX}{kind}",
        user_id=user.id,
        status=PENDING,
        params={
            "kind": kind,
            "original_name": original[:200],
            "valid_only": bool(valid_only),
            "update_accounts": bool(update_accounts),
            "locale": locale,
            "ip": ip[:64],
        },
        file_name=stored,
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    lifecycle.dispatch_after_commit(session, job.id)
    return job


def claim(session: Session, job_id: int) -> bool:
    """Move a pending import job to validating; False if another run already took it (or the
    id is not an import's: a stray message never runs someone else's job)."""
    return lifecycle.claim(
        session,
        job_id,
        kind_filter=m.BackgroundJob.kind.startswith(JOB_PREFIX),
        running_status=VALIDATING,
    )


def process(session: Session, job: m.BackgroundJob, progress: Progress | None = None) -> None:
    """Run ``job`` to the end and commit its writes with its result, audit entry, notification."""
    params = job.params
    kind = KINDS[params["kind"]]
    user = session.get(current_app.appbuilder.sm.user_model, job.user_id)
    scope = scope_for_user(user)
    report = progress or (lambda *a, **k: None)
    with force_locale(params.get("locale") or "zh"):
        max_rows = current_app.config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)
        data = files.read(job.file_name, session=session) if job.file_name else None
        if data is None:
            raise FileNotFoundError(f"upload {job.file_name} is gone")
        parsed = read_workbook(io.BytesIO(data), kind, max_rows)
        del data
        parsed.actor_rank = rank_of(user)
        parsed.update_accounts = bool(params.get("update_accounts")) and scope.everything
        rows = parsed.all_rows()
        total = len(rows)
        report(VALIDATING, 0, total, force=True)
        validate(session, parsed, scope, tick=lambda n: report(VALIDATING, n))
        refused = [r for r in rows if not r.ok]
        accepted = total - len(refused)
        write = (
            not parsed.file_problems
            and accepted > 0
            and (not refused or params.get("valid_only", False))
        )
        if write:
            report(WRITING, 0, force=True)
            context = Context(
                session,
                scope,
                params.get("original_name", ""),
                tick=lambda n: report(WRITING, n),
                update_accounts=parsed.update_accounts,
            )
            apply(context, parsed)
        else:
            for row in rows:
                row.outcome = "refused" if not row.ok else "skipped"
        filestore.put(
            files.report_name(job.file_name),
            results_json(parsed),
            "application/json",
            session=session,
        )
        counts = Counter(row.outcome for row in rows)
        per_sheet = {
            sheet.key: dict(Counter(row.outcome for row in parsed.rows.get(sheet.key, [])))
            for sheet in kind.sheets
        }
        result = {
            "written": write,
            "total": total,
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
            "refused": counts["refused"],
            "skipped": counts["skipped"],
            "sheets": per_sheet,
            "file_problems": parsed.file_problems,
        }
        job.status = DONE if write else REFUSED
        job.total = total
        job.processed = total
        job.result = result
        job.finished_at = clock.now()
        record_audit(session, job, user, kind.table, result)
        if progress is not None:
            _notify(session, job, result)
    session.commit()


def fail(session: Session, job_id: int, error: BaseException) -> None:
    """Record a crashed import (nothing of it was written) in the job and the audit trail."""
    session.rollback()
    job = session.get(m.BackgroundJob, job_id)
    if job is None:
        return
    job.status = FAILED
    job.error = f"{type(error).__name__}: {error}"[:2000]
    job.finished_at = clock.now()
    result = {"written": False, "total": job.total, "created": 0, "updated": 0}
    result.update({"unchanged": 0, "refused": 0, "skipped": 0, "file_problems": []})
    job.result = result
    user = session.get(current_app.appbuilder.sm.user_model, job.user_id)
    kind = KINDS.get(job.params.get("kind", ""))
    record_audit(session, job, user, kind.table if kind else "", result)
    session.commit()


def purge_old_files(session: Session, days: int = KEEP_DAYS) -> int:
    """Delete the uploads and row reports (which hold any generated passwords) of imports more
    than ``days`` old, and uploads no job refers to; returns the number of files removed.

    The job row, its counts and its audit entry stay. A job a worker never took (the broker was
    down for the whole time) is closed as failed. The caller commits.
    """
    cutoff = clock.now() - dt.timedelta(days=days)
    old = session.execute(
        sa.select(m.BackgroundJob).where(
            m.BackgroundJob.kind.startswith(JOB_PREFIX),
            m.BackgroundJob.file_name.is_not(None),
            m.BackgroundJob.status.not_in((VALIDATING, WRITING)),
            sa.func.coalesce(m.BackgroundJob.finished_at, m.BackgroundJob.created_at) < cutoff,
        )
    ).scalars()
    removed = 0
    for job in old:
        if job.file_name and job.file_name.startswith(files.PREFIX):
            for name in (job.file_name, files.report_name(job.file_name)):
                removed += filestore.delete(name, session=session)
        if job.status == PENDING:
            job.status = FAILED
            job.error = "expired: no worker took the job"
            job.finished_at = clock.now()
        job.file_name = None
        job.result = {**(job.result or {}), "files_removed_on": clock.today().isoformat()}
    session.flush()
    referenced = set(
        session.execute(
            sa.select(m.BackgroundJob.file_name).where(
                m.BackgroundJob.kind.startswith(JOB_PREFIX),
                m.BackgroundJob.file_name.is_not(None),
            )
        ).scalars()
    )
    for name in filestore.names(files.PREFIX, older_than=cutoff, session=session):
        upload = name.split(".", 1)[0] + ".xlsx"
        if upload not in referenced:
            removed += filestore.delete(name, session=session)
    return removed


def record_audit(session: Session, job: m.BackgroundJob, user, table: str, result: dict) -> None:
    """One audit entry per import: who, when, which file, how many created/updated/refused."""
    params = job.params
    session.add(
        m.AuditLog(
            at=clock.now(),
            user_id=job.user_id,
            username=getattr(user, "username", "") or "",
            ip=params.get("ip", ""),
            action="import",
            table_name=table,
            row_id=str(job.id),
            before=None,
            after={
                "job": job.id,
                "kind": params.get("kind"),
                "file": params.get("original_name"),
                "stored_as": job.file_name,
                "valid_only": params.get("valid_only", False),
                "status": job.status,
                **{k: result.get(k, 0) for k in ("total", "created", "updated", "unchanged")},
                "refused": result.get("refused", 0),
                "written": result.get("written", False),
                "sheets": result.get("sheets", {}),
            },
        )
    )


def _notify(session: Session, job: m.BackgroundJob, result: dict) -> None:
    if job.user_id is None:
        return
    if result["written"]:
        subject = _(
            "Import of %(file)s finished: %(created)s created, %(updated)s updated, "
            "%(refused)s refused.",
            file=job.params.get("original_name", ""),
            created=result["created"],
            updated=result["updated"],
            refused=result["refused"],
        )
    else:
        subject = _(
            "Import of %(file)s refused: nothing was written; see the report.",
            file=job.params.get("original_name", ""),
        )
    notify.queue(
        session,
        dedup_key=f"import:{job.id}",
        channel=NotificationChannel.APP,
        kind="import_done",
        subject=subject[:200],
        recipient_id=job.user_id,
    )
