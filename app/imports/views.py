"""Screens of the bulk import: upload, templates, exports, the job page with its progress bar.

Administrators import every kind; managers import (and export) the staff of their own subtree.
The upload request checks the file's structure (without unpacking it), stores it and hands the
job to a worker after the commit; it returns at once to the job page, whose script polls a small
JSON status. A failed job can be run again from its page.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import filestore
from app import jobs as lifecycle
from app import models as m
from app.domain import clock
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.imports import cells, export, files, jobs, report, template
from app.imports.specs import KINDS
from app.scope import current_scope

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
STATUS_LABELS = {
    jobs.PENDING: _l("Waiting for a worker"),
    jobs.VALIDATING: _l("Checking every row"),
    jobs.WRITING: _l("Writing"),
    jobs.DONE: _l("Finished"),
    jobs.REFUSED: _l("Refused: nothing was written"),
    jobs.FAILED: _l("Failed: nothing was written"),
}
PREVIEW_ROWS = 100


def allowed_kinds() -> list[str]:
    """Every kind for an administrator; the kinds managers may import for anyone else."""
    scope = current_scope()
    if scope.everything:
        return list(KINDS)
    if scope.nothing:
        return []
    return [k for k, kind in KINDS.items() if kind.managers_may_import]


def _kind_or_404(kind: str):
    if kind not in allowed_kinds():
        abort(404)
    return KINDS[kind]


def _xlsx(data: bytes, name: str):
    return send_file(
        io.BytesIO(data), mimetype=files.XLSX_MIME, as_attachment=True, download_name=name
    )


class ImportView(BaseView):
    """批量导入: units, departments, staff, service items with materials, the holiday calendar."""

    route_base = "/imports"
    default_view = "index"

    def _job_or_404(self, job_id: int) -> m.BackgroundJob:
        job = db.session.get(m.BackgroundJob, job_id)
        if job is None or not job.kind.startswith(jobs.JOB_PREFIX):
            abort(404)
        if job.user_id != g.user.id and not current_scope().everything:
            abort(404)
        return job

    @expose("/")
    @has_access
    def index(self):
        query = sa.select(m.BackgroundJob).where(m.BackgroundJob.kind.startswith(jobs.JOB_PREFIX))
        if not current_scope().everything:
            query = query.where(m.BackgroundJob.user_id == g.user.id)
        recent = db.session.execute(
            query.order_by(m.BackgroundJob.created_at.desc()).limit(20)
        ).scalars()
        return self.render_template(
            "imports/index.html",
            kinds=[KINDS[k] for k in allowed_kinds()],
            recent=list(recent),
            kind_titles={k: spec.title for k, spec in KINDS.items()},
            local_time=_local_time,
            status_labels=STATUS_LABELS,
            title=_("Bulk import"),
            is_admin=current_scope().everything,
        )

    @expose("/template/<kind>")
    @has_access
    @permission_name("index")
    def template_file(self, kind):
        spec = _kind_or_404(kind)
        return _xlsx(template.template_bytes(spec), f"{kind}-template.xlsx")

    @expose("/export/<kind>")
    @has_access
    @permission_name("export")
    def export_file(self, kind):
        _kind_or_404(kind)
        data = export.export_bytes(db.session, kind, current_scope())
        return _xlsx(data, f"{kind}-{clock.today():%Y%m%d}.xlsx")

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        kind = request.form.get("kind", "")
        if kind not in allowed_kinds():
            abort(403)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a file to import."), "danger")
            return redirect(url_for("ImportView.index"))
        limit = current_app.config.get("IMPORT_MAX_BYTES", files.DEFAULT_MAX_BYTES)
        data = upload.stream.read(limit + 1)
        try:
            files.check_xlsx(data)
        except ValidationFailed as exc:
            flash(str(exc.errors.get("file", exc)), "danger")
            return redirect(url_for("ImportView.index"))
        stored = files.store(data, session=db.session)
        job = jobs.create_job(
            db.session,
            user=g.user,
            kind=kind,
            stored=stored,
            original=Path(upload.filename).name,
            valid_only=request.form.get("valid_only") in ("1", "on", "y", "true"),
            update_accounts=current_scope().everything
            and request.form.get("update_accounts") in ("1", "on", "y", "true"),
            locale=str(get_locale() or "zh"),
            ip=request.remote_addr or "",
        )
        db.session.commit()  # the worker gets the job after this commit (app/jobs.py)
        db.session.refresh(job)
        if job.dispatched_at is None:
            flash(str(lifecycle.WAITING_FOR_BROKER), "warning")
        return redirect(url_for("ImportView.job", job_id=job.id))

    @expose("/job/<int:job_id>/retry", methods=["POST"])
    @has_access
    @permission_name("upload")
    def retry(self, job_id):
        """Run a failed import again from its stored upload (all or nothing, as before)."""
        job = self._job_or_404(job_id)
        if not _can_retry(job) or not lifecycle.retry(db.session, job):
            flash(_("Only a failed job can be run again."), "warning")
            return redirect(url_for("ImportView.job", job_id=job.id))
        db.session.commit()
        db.session.refresh(job)
        if job.dispatched_at is None:
            flash(str(lifecycle.WAITING_FOR_BROKER), "warning")
        else:
            flash(_("The job runs again."), "info")
        return redirect(url_for("ImportView.job", job_id=job.id))

    @expose("/job/<int:job_id>")
    @has_access
    @permission_name("index")
    def job(self, job_id):
        job = self._job_or_404(job_id)
        finished = job.status in jobs.FINISHED
        results = None
        problems: list[dict] = []
        if finished and job.status != jobs.FAILED and files.is_ours(job.file_name):
            data = filestore.get(files.report_name(job.file_name))
            if data is not None:
                results = report.load_results(data)
                kind = KINDS[job.params["kind"]]
                labels = {c.key: str(c.label) for s in kind.sheets for c in s.columns}
                titles = {s.key: template.sheet_title(s) for s in kind.sheets}
                for row in results["rows"]:
                    if row["problems"] and len(problems) < PREVIEW_ROWS:
                        problems.append(
                            {
                                "sheet": titles.get(row["sheet"], row["sheet"]),
                                "number": row["number"],
                                "key": row["key"],
                                "text": report.describe(row["problems"], labels),
                            }
                        )
        file_problems = [
            cells.render_problem(p) for p in (job.result or {}).get("file_problems", [])
        ]
        return self.render_template(
            "imports/job.html",
            job=job,
            kind=KINDS.get(job.params.get("kind", "")),
            finished=finished,
            status_label=STATUS_LABELS.get(job.status, job.status),
            percent=_percent(job),
            problems=problems,
            file_problems=file_problems,
            has_report=results is not None,
            files_removed=(job.result or {}).get("files_removed_on"),
            keep_days=jobs.KEEP_DAYS,
            reason=lifecycle.reason_text(job) if job.status == jobs.FAILED else "",
            can_retry=_can_retry(job),
            title=_("Import"),
        )

    @expose("/job/<int:job_id>/status")
    @has_access
    @permission_name("index")
    def status(self, job_id):
        job = self._job_or_404(job_id)
        finished = job.status in jobs.FINISHED
        result = job.result or {}
        return jsonify(
            {
                "id": job.id,
                "status": job.status,
                "status_label": str(STATUS_LABELS.get(job.status, job.status)),
                "processed": job.processed,
                "total": job.total,
                "percent": _percent(job),
                "finished": finished,
                "counts": {
                    k: result.get(k, 0)
                    for k in ("created", "updated", "unchanged", "refused", "skipped")
                },
                "report_url": url_for("ImportView.report_file", job_id=job.id)
                if finished and job.status != jobs.FAILED and job.file_name
                else None,
            }
        )

    @expose("/job/<int:job_id>/report")
    @has_access
    @permission_name("index")
    def report_file(self, job_id):
        job = self._job_or_404(job_id)
        if job.status not in (jobs.DONE, jobs.REFUSED) or not files.is_ours(job.file_name):
            abort(404)
        stored = filestore.get(files.report_name(job.file_name))
        if stored is None:
            abort(404)
        data = report.report_bytes(KINDS[job.params["kind"]], report.load_results(stored))
        return _xlsx(data, f"import-{job.id}-report.xlsx")

    @expose("/progress.js")
    def progress_js(self):
        """The job page's polling script, served by the app itself (no outside host)."""
        return send_from_directory(STATIC, "import-progress.js", mimetype="text/javascript")


def _local_time(moment) -> str:
    """A stored (UTC) timestamp as Asia/Shanghai wall-clock time."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M")


def _can_retry(job: m.BackgroundJob) -> bool:
    """A failed import can run again while its upload is still kept (app/jobs.py)."""
    return lifecycle.can_retry(job)


def _percent(job: m.BackgroundJob) -> int:
    if job.status in (jobs.DONE, jobs.REFUSED):
        return 100
    if not job.total:
        return 0
    return min(100, int(job.processed * 100 / job.total))
