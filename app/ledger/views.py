"""The ledger's screens: the work ledger with filters and exports, the walk-in help ledger, the
statistics dashboard with its period picker, the periodic summaries, and export jobs.

Every number and row comes from app/ledger/queries.py and stats.py under ``current_scope()``.
The charts are drawn by Apache ECharts, installed from npm by the Makefile and served by this
app (``/ledger/static/echarts.min.js``): no page loads anything from another host.
"""

from __future__ import annotations

import io
import json
import math
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    send_from_directory,
    stream_with_context,
    url_for,
)
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import jobs as lifecycle
from app import models as m
from app import preferences
from app.assessment.indicators import against_targets
from app.complaints import queries as complaint_queries
from app.counting import CappedCount
from app.domain import clock
from app.domain.status import CaseStatus
from app.enums import CaseChannel, Rating, ServiceKind
from app.extensions import db
from app.ledger import jobs, stats
from app.ledger.appointments import appointment_figures
from app.ledger.export import describe, iter_csv, write_xlsx
from app.ledger.filters import PERIODS, LedgerFilter, period_range
from app.ledger.queries import (
    PAGE_SIZE,
    LedgerQuery,
    item_choices,
    specialist_choices,
    unit_choices,
    walkin_by_day,
)
from app.ledger.summaries import JOB_KIND as SUMMARY_JOB
from app.ledger.summaries import PERIOD_LABELS, report_file
from app.replica import read_session
from app.scope import current_scope

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_SYNC_EXPORT_ROWS = 10000  # more rows: a background job (a request must stay short)
ECHARTS_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "echarts"

assets = Blueprint("ledger_assets", __name__)


@assets.route("/ledger/static/echarts.min.js")
def echarts():
    """ECharts from node_modules (installed by ``make``); cached a year, the URL has the version."""
    return send_from_directory(ECHARTS_DIR / "dist", "echarts.min.js", max_age=365 * 24 * 3600)


@cache
def echarts_version() -> str:
    try:
        return json.loads((ECHARTS_DIR / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "0"


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def filter_choices(scope) -> dict:
    """What the filter form offers: only units and staff inside the user's scope."""
    return {
        "units": unit_choices(db.session, scope),
        "service_items": item_choices(db.session),
        "specialists": specialist_choices(db.session, scope),
        "kinds": list(ServiceKind),
        "channels": list(CaseChannel),
        "statuses": list(CaseStatus),
        "ratings": [(r.value, r.label) for r in Rating]
        + [("poor", _l("Dissatisfied or worse")), ("none", _l("Not evaluated"))],
    }


# The ledger's columns in display order. Status, due date and the overdue flag come early so they
# stay on screen whatever else a person adds; the default set fits a 1280 px screen.
LEDGER_COLUMNS = preferences.ColumnChoice(
    key="columns.ledger",
    columns=(
        ("number", _l("Case number")),
        ("applied_on", _l("Application date")),
        ("accepted_on", _l("Accepted date")),
        ("applicant", _l("Applicant")),
        ("item", _l("Service item")),
        ("kind", _l("Assisted or proxy")),
        ("channel", _l("Service channel")),
        ("status", _l("Status")),
        ("due_date", _l("Due date")),
        ("overdue", _l("Overdue")),
        ("specialist", _l("Specialist")),
        ("unit", _l("Handling unit")),
        ("promised_days", _l("Promised working days")),
        ("handling_days", _l("Actual working days")),
        ("ended_on", _l("Completed or ended on")),
        ("extra_days", _l("Extension (working days)")),
        ("termination_reason", _l("Termination reason")),
        ("rating", _l("Evaluation")),
    ),
    default=(
        "number",
        "applied_on",
        "applicant",
        "item",
        "kind",
        "status",
        "due_date",
        "overdue",
        "specialist",
        "unit",
    ),
    required=("number",),
)


class LedgerView(BaseView):
    """工作台账: one row per case, filtered, paged, exported; and the walk-in help ledger."""

    route_base = "/ledger"
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self):
        scope = current_scope()
        flt = LedgerFilter.from_args(request.args)
        query = LedgerQuery(read_session(), scope, flt)
        # The pager's count stops at the cap; the exact total is a click away (?exact=1).
        exact = request.args.get("exact") == "1"
        total = CappedCount(query.count(), cap=1 << 62) if exact else query.capped_count()
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = max(1, request.args.get("page", 1, type=int))
        # Past the cap the last page is unknown: a next page is always offered.
        pages = max(pages, page + 1) if total.capped else pages
        page = min(page, pages)
        return self.render_template(
            "ledger/list.html",
            title=_("Work ledger"),
            rows=query.page(page),
            total=total,
            exact=exact,
            page=page,
            pages=pages,
            flt=flt,
            args=flt.to_args(),
            choices=filter_choices(scope),
            columns=LEDGER_COLUMNS,
            shown=preferences.shown_columns(db.session, g.user.id, LEDGER_COLUMNS),
        )

    @expose("/columns", methods=["POST"])
    @has_access
    @permission_name("list")
    def choose_columns(self):
        """Remember which columns this person sees on the ledger ("reset" restores the defaults)."""
        back = url_for("LedgerView.list", **LedgerFilter.from_args(request.args).to_args())
        if request.form.get("reset"):
            preferences.clear(db.session, g.user.id, LEDGER_COLUMNS.key)
            db.session.commit()
            return redirect(back)
        chosen = LEDGER_COLUMNS.clean(request.form.getlist("columns"))
        if chosen is None:
            message = _("Unknown column.")
            if request.accept_mimetypes.best == "application/json":
                return jsonify(error=message), 422
            flash(message, "danger")
            return redirect(back)
        preferences.put(db.session, g.user.id, LEDGER_COLUMNS.key, chosen)
        db.session.commit()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(columns=chosen)
        return redirect(back)

    @expose("/walkin/")
    @has_access
    @permission_name("list")
    def walkin(self):
        scope = current_scope()
        flt = LedgerFilter.from_args(request.args)
        if flt.date_from is None and flt.date_to is None:
            start, end = period_range("this_month", clock.today())
            flt = flt.with_(date_from=start, date_to=end)
        return self.render_template(
            "ledger/walkin.html",
            title=_("Walk-in help ledger"),
            ledger=walkin_by_day(read_session(), scope, flt),
            flt=flt,
            args=flt.to_args(),
            choices=filter_choices(scope),
        )

    @expose("/export/<fmt>")
    @has_access
    @permission_name("download")
    def export(self, fmt):
        if fmt not in jobs.FORMATS:
            abort(404)
        scope = current_scope()
        flt = LedgerFilter.from_args(request.args)
        query = LedgerQuery(read_session(), scope, flt)
        limit = current_app.config.get("LEDGER_SYNC_EXPORT_ROWS", DEFAULT_SYNC_EXPORT_ROWS)
        if request.args.get("background") or query.capped_count(limit) > limit:
            job = jobs.create_export_job(db.session, g.user, flt, fmt, str(get_locale() or ""))
            db.session.commit()  # handed to the broker after this commit (app/jobs.py)
            db.session.refresh(job)
            if job.dispatched_at is None:
                flash(str(lifecycle.WAITING_FOR_BROKER), "warning")
            else:
                flash(
                    _("The export runs in the background; download it here when it is ready."),
                    "info",
                )
            return redirect(url_for("LedgerView.job", job_id=job.id))
        title, subtitle = describe(db.session, scope, flt)
        name = f"{_('Work ledger')}-{clock.today().isoformat()}.{fmt}"
        if fmt == "csv":
            chunks = iter_csv(query.stream(), title=title, subtitle=subtitle)
            response = Response(stream_with_context(chunks), mimetype="text/csv")
            response.headers["Content-Disposition"] = _attachment(name)
            return response
        spool = tempfile.TemporaryFile()  # on disk, deleted when the response closes it
        write_xlsx(query.stream(), spool, title=title, subtitle=subtitle)
        spool.seek(0)
        return send_file(spool, mimetype=XLSX_MIME, as_attachment=True, download_name=name)

    def _own_job(self, job_id: int) -> m.BackgroundJob:
        # An account that lost its unit sees no case data, its own old exports included.
        if current_scope().nothing:
            abort(404)
        job = db.session.execute(
            sa.select(m.BackgroundJob).where(
                m.BackgroundJob.id == job_id,
                m.BackgroundJob.kind == jobs.JOB_KIND,
                m.BackgroundJob.user_id == g.user.id,
            )
        ).scalar_one_or_none()
        if job is None:
            abort(404)
        return job

    @expose("/jobs/<int:job_id>")
    @has_access
    @permission_name("download")
    def job(self, job_id):
        return self.render_template(
            "ledger/job.html",
            title=_("Ledger export"),
            job=self._own_job(job_id),
            labels={k: str(v) for k, v in jobs.STATUS_LABELS.items()},
            reason=lifecycle.reason_text,
            can_retry=lifecycle.can_retry,
        )

    @expose("/jobs/<int:job_id>/retry", methods=["POST"])
    @has_access
    @permission_name("download")
    def job_retry(self, job_id):
        """Run a failed export again (its filter, its owner's scope as it is now)."""
        job = self._own_job(job_id)
        outcome = lifecycle.retry_now(db.session, job)
        if outcome is None:
            flash(_("Only a failed job can be run again."), "warning")
        elif outcome == "waiting":
            flash(str(lifecycle.WAITING_FOR_BROKER), "warning")
        else:
            flash(_("The job runs again."), "info")
        return redirect(url_for("LedgerView.job", job_id=job.id))

    @expose("/jobs/<int:job_id>/status")
    @has_access
    @permission_name("download")
    def job_status(self, job_id):
        job = self._own_job(job_id)
        return jsonify(
            status=job.status,
            label=str(jobs.STATUS_LABELS.get(job.status, job.status)),
            total=job.total,
            processed=job.processed,
            error=lifecycle.reason_text(job) if job.status == "failed" else "",
            download=url_for("LedgerView.job_file", job_id=job.id)
            if job.status == "done"
            else None,
        )

    @expose("/jobs/<int:job_id>/file")
    @has_access
    @permission_name("download")
    def job_file(self, job_id):
        job = self._own_job(job_id)
        data = jobs.job_file(job)
        if data is None:
            abort(404)
        fmt = (job.params or {}).get("format", "xlsx")
        created = clock.local_date(job.created_at)
        return send_file(
            io.BytesIO(data),
            mimetype=XLSX_MIME if fmt == "xlsx" else "text/csv",
            as_attachment=True,
            download_name=f"{_('Work ledger')}-{created.isoformat()}.{fmt}",
        )


def chart_data(data: dict) -> dict:
    """What the charts draw: label/value pairs per chart, taken from the statistics."""

    def pairs(rows, key="count"):
        return [[r["label"] or "—", r[key]] for r in rows]

    return {
        "month": pairs(data["by_month"]),
        "status": pairs(data["by_status"]),
        "kind": pairs(data["by_kind"]),
        "tier": pairs(data["by_tier"]),
        "unit": pairs(data["by_unit"][:20]),
        "item": pairs(data["by_item"][:15]),
        "rating": pairs(data["satisfaction"]["levels"]),
        "termination": pairs(data["terminations"]),
        "walkin": pairs(data["walkins"]),
        "problem": pairs(data["problems"][:10]),
        "specialist": pairs(data["specialists"][:15], "cases"),
    }


class DashboardView(BaseView):
    """统计分析: the dashboard of the user's scope for a chosen period (and unit, kind)."""

    route_base = "/dashboard"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        scope = current_scope()
        period = request.args.get("period") or "this_month"
        if period not in PERIODS:
            period = "this_month"
        start, end = period_range(
            period, clock.today(), request.args.get("date_from"), request.args.get("date_to")
        )
        flt = LedgerFilter.from_args(request.args).with_(date_from=start, date_to=end)
        query = LedgerQuery(read_session(), scope, flt)
        data = stats.dashboard(query)
        data["appointments"] = appointment_figures(query.session, scope, flt)
        complaints = None  # the “办不成事” window's figures, for those who may open its ledger
        if self.appbuilder.sm.has_access("can_list", "ComplaintView"):
            complaints = complaint_queries.dashboard_figures(
                scope, flt.date_from, flt.date_to, flt.unit_id
            )
        return self.render_template(
            "ledger/dashboard.html",
            complaints=complaints,
            title=_("Statistics"),
            data=data,
            targets=against_targets(query, data),
            charts=chart_data(data),
            period=period,
            periods=PERIODS,
            flt=flt,
            args=flt.to_args(),
            choices=filter_choices(scope),
            echarts_url=url_for("ledger_assets.echarts", v=echarts_version()),
            echarts_locale="ZH" if str(get_locale() or "zh").startswith("zh") else "EN",
        )


class SummaryView(BaseView):
    """定期总结: the monthly and quarterly summaries of the units in scope, to download."""

    route_base = "/summaries"
    default_view = "list"

    def _visible(self):
        return (
            sa.select(m.SummaryReport, m.OrgUnit)
            .join(m.OrgUnit, m.OrgUnit.id == m.SummaryReport.unit_id)
            .where(current_scope().clause_for(m.OrgUnit))
        )

    @expose("/list/")
    @has_access
    def list(self):
        stmt = self._visible()
        period = request.args.get("period")
        if period in PERIOD_LABELS:
            stmt = stmt.where(m.SummaryReport.period == period)
        unit_id = request.args.get("unit", type=int)
        if unit_id:
            stmt = stmt.where(m.SummaryReport.unit_id == unit_id)
        total = db.session.execute(
            sa.select(sa.func.count()).select_from(stmt.subquery())
        ).scalar_one()
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(max(1, request.args.get("page", 1, type=int)), pages)
        rows = db.session.execute(
            stmt.order_by(m.SummaryReport.period_start.desc(), m.OrgUnit.path)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        return self.render_template(
            "ledger/summaries.html",
            title=_("Periodic summaries"),
            jobs=self._unfinished_jobs(),
            reason=lifecycle.reason_text,
            can_retry=lifecycle.can_retry,
            job_labels={k: str(v) for k, v in jobs.STATUS_LABELS.items()},
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            period=period,
            unit_id=unit_id,
            period_labels=PERIOD_LABELS,
            units=unit_choices(db.session, current_scope()),
        )

    def _jobs(self):
        """Summary jobs of the units in scope (a job carries its unit in its parameters)."""
        return (
            sa.select(m.BackgroundJob, m.OrgUnit)
            .join(m.OrgUnit, m.OrgUnit.id == m.BackgroundJob.params["unit_id"].as_integer())
            .where(m.BackgroundJob.kind == SUMMARY_JOB, current_scope().clause_for(m.OrgUnit))
        )

    def _unfinished_jobs(self):
        return db.session.execute(
            self._jobs()
            .where(m.BackgroundJob.status.in_(("pending", *lifecycle.RUNNING, lifecycle.FAILED)))
            .order_by(m.BackgroundJob.id.desc())
            .limit(50)
        ).all()

    @expose("/jobs/<int:job_id>/retry", methods=["POST"])
    @has_access
    @permission_name("download")
    def job_retry(self, job_id):
        """Make a summary whose job failed again (its worker stopped, or an error)."""
        row = db.session.execute(self._jobs().where(m.BackgroundJob.id == job_id)).first()
        if row is None:
            abort(404)
        outcome = lifecycle.retry_now(db.session, row[0])
        if outcome is None:
            flash(_("Only a failed job can be run again."), "warning")
        elif outcome == "waiting":
            flash(str(lifecycle.WAITING_FOR_BROKER), "warning")
        else:
            flash(_("The job runs again."), "info")
        return redirect(url_for("SummaryView.list"))

    @expose("/download/<int:report_id>")
    @has_access
    @permission_name("download")
    def download(self, report_id):
        row = db.session.execute(self._visible().where(m.SummaryReport.id == report_id)).first()
        if row is None or not row[0].file_name:
            abort(404)
        report, unit = row
        data = report_file(report)
        if data is None:
            abort(404)
        name = f"{unit.name}-{PERIOD_LABELS[report.period]}-{report.period_start.isoformat()}.xlsx"
        return send_file(
            io.BytesIO(data), mimetype=XLSX_MIME, as_attachment=True, download_name=name
        )


def install(appbuilder) -> None:
    """The ECharts route (no log-in: it is a public library); the screens are in app/views.py."""
    if "ledger_assets" not in current_app.blueprints:
        current_app.register_blueprint(assets)
