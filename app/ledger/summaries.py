"""Periodic summaries (定期总结): each unit's month and quarter, as an .xlsx kept on file.

For every active unit and every closed period without a report, a worker computes the
dashboard's statistics over the unit's subtree for that period, lists the overdue and the poorly
rated cases and the top problems, keeps them in the shared file store (app/filestore.py),
records a SummaryReport and tells the unit's managers (one notification each, by dedup key).
A unit's summary is read in the unit's own scope (``Scope`` of its subtree, the scope module's
rule), never a hand-made filter.
The unique (unit, period, start) constraint makes a second run a no-op.

Each summary is a background job (kind ``ledger_summary``) with the lifecycle of app/jobs.py:
beat's ``ledger.summaries_due`` creates one job per unit and period still without a report and
hands it over after the commit; the worker claims it, beats while it writes, and records the
report and the job's end in one commit. A worker killed meanwhile leaves the job running until
the reaper fails it; the Periodic summaries screen (and the API) shows it with a retry.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from app import filestore, notify
from app import jobs as lifecycle
from app import models as m
from app.domain import clock
from app.enums import NotificationChannel
from app.extensions import db
from app.ledger import appointments
from app.ledger.export import COLUMNS, DATE_FORMAT, Formatter
from app.ledger.figures import period_figures
from app.ledger.filters import LedgerFilter, month_bounds, quarter_bounds
from app.ledger.queries import LedgerQuery
from app.replica import read_session
from app.roles import holds_role
from app.scope import Scope
from app.spreadsheet import safe, safe_row

log = logging.getLogger(__name__)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PERIOD_LABELS = {"month": _l("Monthly"), "quarter": _l("Quarterly")}
MANAGER_ROLE = "Manager"


def last_closed(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The most recent month or quarter that has ended before ``today``."""
    if period == "month":
        return month_bounds(today.replace(day=1) - dt.timedelta(days=1))
    if period == "quarter":
        return quarter_bounds(quarter_bounds(today)[0] - dt.timedelta(days=1))
    raise ValueError(period)


def due_reports(session: Session, today: dt.date) -> list[tuple[int, str, dt.date, dt.date]]:
    """(unit id, period, start, end) of every active unit's last closed periods not yet made."""
    due = []
    for period in PERIOD_LABELS:
        start, end = last_closed(period, today)
        done = sa.select(m.SummaryReport.unit_id).where(
            m.SummaryReport.period == period, m.SummaryReport.period_start == start
        )
        for unit_id in session.execute(
            sa.select(m.OrgUnit.id)
            .where(m.OrgUnit.active.is_(True), m.OrgUnit.id.not_in(done))
            .order_by(m.OrgUnit.path)
        ).scalars():
            due.append((unit_id, period, start, end))
    return due


PREFIX = "summaries/"
JOB_KIND = "ledger_summary"
AUTO_RETRIES = 3  # beat runs a failed summary again by itself this many times at most


def job_key(unit_id: int, period: str, start: dt.date) -> str:
    return f"{unit_id}:{period}:{start.isoformat()}"


def queue_due_summaries(session: Session, today: dt.date) -> list[int]:
    """A pending job for every due report that has none yet (and a retry for a failed one,
    ``AUTO_RETRIES`` times at most); handed to the broker after the caller commits."""
    known: dict[str, m.BackgroundJob] = {}
    for job in session.execute(
        sa.select(m.BackgroundJob)
        .where(m.BackgroundJob.kind == JOB_KIND, m.BackgroundJob.status != "done")
        .order_by(m.BackgroundJob.id)
    ).scalars():
        known[(job.params or {}).get("key", "")] = job
    queued = []
    for unit_id, period, start, end in due_reports(session, today):
        key = job_key(unit_id, period, start)
        job = known.get(key)
        if job is None:
            job = m.BackgroundJob(
                kind=JOB_KIND,
                user_id=None,
                status="pending",
                params={
                    "key": key,
                    "unit_id": unit_id,
                    "period": period,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                },
                created_at=clock.now(),
            )
            session.add(job)
            session.flush()
            lifecycle.dispatch_after_commit(session, job.id)
        elif job.status == lifecycle.FAILED and job.attempts < AUTO_RETRIES:
            if not lifecycle.retry(session, job):
                continue
        else:
            continue
        queued.append(job.id)
    return queued


def run_summary_job(session: Session, job_id: int) -> int | None:
    """Claim and run one summary job; returns the report id (None if there was nothing to do).

    The report, its file and the job's end are committed together; a failure marks the job
    failed with its error (and re-raises, so the worker logs it)."""
    if not lifecycle.claim(
        session, job_id, kind_filter=m.BackgroundJob.kind == JOB_KIND, running_status="running"
    ):
        return None
    job = session.get(m.BackgroundJob, job_id)
    params = dict(job.params or {})
    try:
        with lifecycle.heartbeat(job_id):
            report = make_summary(
                session,
                int(params["unit_id"]),
                params["period"],
                dt.date.fromisoformat(params["start"]),
                dt.date.fromisoformat(params["end"]),
            )
            report_id = report.id if report is not None else None
            done = session.execute(
                sa.update(m.BackgroundJob)
                .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status == "running")
                .values(
                    status="done",
                    total=1,
                    processed=1,
                    result={"report_id": report_id},
                    finished_at=clock.now(),
                )
            )
            if done.rowcount != 1:  # the reaper gave the job up meanwhile: keep nothing
                session.rollback()
                return None
            session.commit()
    except sa.exc.IntegrityError:
        # Another run made the same report first: the unique constraint kept one.
        session.rollback()
        _finish(job_id, status="done", result={"report_id": None}, finished_at=clock.now())
        return None
    except Exception as exc:
        session.rollback()
        _finish(job_id, status="failed", error=str(exc)[:2000], finished_at=clock.now())
        raise
    return report_id


def _finish(job_id: int, **values) -> None:

    with db.engine.begin() as conn:
        conn.execute(
            sa.update(m.BackgroundJob)
            .where(m.BackgroundJob.id == job_id, m.BackgroundJob.status == "running")
            .values(**values)
        )


def report_file(report: m.SummaryReport) -> bytes | None:
    """The report's .xlsx from the shared file store (None if it is gone)."""
    if not report.file_name or "/" in report.file_name or report.file_name.startswith("."):
        return None
    data = filestore.get(f"{PREFIX}{report.file_name}")
    if data is None:  # made by an earlier version, in the instance folder
        legacy = Path(current_app.config["INSTANCE_DIR"]) / "reports" / report.file_name
        data = legacy.read_bytes() if legacy.is_file() else None
    return data


def make_summary(
    session: Session, unit_id: int, period: str, start: dt.date, end: dt.date
) -> m.SummaryReport | None:
    """Make one unit's summary for one period (the caller commits); None if not needed."""
    unit = session.get(m.OrgUnit, unit_id)
    if unit is None or not unit.active or period not in PERIOD_LABELS:
        return None
    exists = session.execute(
        sa.select(m.SummaryReport.id).where(
            m.SummaryReport.unit_id == unit_id,
            m.SummaryReport.period == period,
            m.SummaryReport.period_start == start,
        )
    ).first()
    if exists:
        return None
    scope = Scope(path=unit.path, unit_id=unit.id)
    flt = LedgerFilter(date_from=start, date_to=end)
    today = clock.today()
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        data = period_figures(read_session(), scope, start, end, today)
        file_name = f"summary-{unit.code}-{period}-{start:%Y%m%d}.xlsx"
        buffer = io.BytesIO()
        _write_workbook(session, buffer, unit, period, scope, flt, today, data)
    filestore.put(f"{PREFIX}{file_name}", buffer.getvalue(), XLSX_MIME, session=session)
    report = m.SummaryReport(
        unit_id=unit.id,
        period=period,
        period_start=start,
        period_end=end,
        created_at=clock.now(),
        stats=data,
        file_name=file_name,
    )
    session.add(report)
    session.flush()
    notify_managers(session, report, unit)
    return report


def _sections(data: dict) -> list[tuple[str, list[tuple[str, object]]]]:
    """The statistics as titled (label, value) lists for the summary's first sheet."""
    t, h, s, n, e = (
        data[k] for k in ("totals", "handling", "satisfaction", "notices", "extensions")
    )

    def pct(rate):
        return None if rate is None else round(rate * 100, 2)

    def counts(key):
        return [(r["label"], r["count"]) for r in data[key]]

    return [
        (
            _("Overview"),
            [
                (_("Cases"), t["cases"]),
                (_("Open"), t["open"]),
                (_("Completed"), t["completed"]),
                (_("Terminated"), t["terminated"]),
                (_("Overdue"), t["overdue"]),
                (_("On-time rate (%)"), pct(t["on_time_rate"])),
                (_("Average handling time (working days)"), h["avg_days"]),
                (_("Satisfaction rate (%)"), pct(s["rate"])),
                (_("Extensions"), e["extensions"]),
                (_("One-time notices"), n["notices"]),
                (_("Repeat one-time notices"), n["repeats"]),
            ],
        ),
        (_("By kind"), counts("by_kind")),
        (_("By service channel"), counts("by_channel")),
        (_("By status"), counts("by_status")),
        (_("By tier"), counts("by_tier")),
        (_("By unit"), counts("by_unit")),
        (_("By service item"), counts("by_item")),
        (_("By month"), counts("by_month")),
        (_("Satisfaction"), [(r["label"], r["count"]) for r in s["levels"]]),
        (_("Terminations by reason"), counts("terminations")),
        (_("Extension reasons"), [(r["label"], r["count"]) for r in e["reasons"]]),
        (_("Walk-in help by kind"), counts("walkins")),
        (_("Appointments"), appointments.summary_rows(data["appointments"])),
        (
            _("Specialists' workload (cases)"),
            [(r["label"] or _("Unassigned"), r["cases"]) for r in data["specialists"]],
        ),
    ]


def _write_workbook(session, path, unit, period, scope, flt, today, data) -> None:
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def cell(ws, value, **style):
        c = WriteOnlyCell(ws, value=safe(value))  # names typed by people: data, never formulas
        for name, attr in style.items():
            setattr(c, name, attr)
        return c

    title = _(
        "%(period)s summary of %(unit)s: %(start)s – %(end)s",
        period=str(PERIOD_LABELS[period]),
        unit=unit.name,
        start=flt.date_from.isoformat(),
        end=flt.date_to.isoformat(),
    )
    ws = wb.create_sheet(_("Statistics")[:31])
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 14
    ws.append([cell(ws, safe(title), font=Font(bold=True, size=14))])
    for heading, rows in _sections(data):
        ws.append([])
        ws.append([cell(ws, heading, font=bold)])
        for label, value in rows:
            ws.append(safe_row([label, value]))

    fmt = Formatter()
    for sheet_title, narrowed in (
        (_("Overdue cases"), flt.with_(overdue=True)),
        (_("Poorly rated cases"), flt.with_(rating="poor")),
    ):
        sheet = wb.create_sheet(sheet_title[:31])
        for index, column in enumerate(COLUMNS):
            sheet.column_dimensions[get_column_letter(index + 1)].width = column.width
        sheet.append([cell(sheet, str(c.header), font=bold) for c in COLUMNS])
        for row in LedgerQuery(session, scope, narrowed, today=today).stream():
            values = fmt.values(row)
            sheet.append(
                [
                    cell(sheet, v, number_format=DATE_FORMAT) if isinstance(v, dt.date) else v
                    for v in values
                ]
            )

    sheet = wb.create_sheet(_("Common problems")[:31])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["D"].width = 60
    sheet.append(
        [
            cell(sheet, str(h), font=bold)
            for h in (_("Problem category"), _("Times met"), _("Cases"), _("Units where it occurs"))
        ]
    )
    for problem in data["problems"]:
        where = "、".join(f"{u['label']} ({u['count']})" for u in problem["units"])
        sheet.append(safe_row([problem["label"], problem["count"], problem["cases"], where]))
    wb.save(path)


def unit_managers(session: Session, unit: m.OrgUnit) -> list:
    """The active log-in accounts with the Manager role whose staff record is at ``unit``."""
    sm = current_app.appbuilder.sm
    role = sm.find_role(MANAGER_ROLE)
    if role is None:
        return []
    user = sm.user_model
    return list(
        session.execute(
            sa.select(user)
            .join(m.Specialist, m.Specialist.user_id == user.id)
            .where(
                m.Specialist.unit_id == unit.id,
                m.Specialist.active.is_(True),
                user.active.is_(True),
                holds_role(user, role),
            )
            .order_by(user.id)
        ).scalars()
    )


def notify_managers(session: Session, report: m.SummaryReport, unit: m.OrgUnit) -> int:
    """Tell the unit's managers the summary is ready; once per manager and report."""
    new = 0
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    for manager in unit_managers(session, unit):
        with force_locale(locale):
            subject = _(
                "%(period)s summary of %(unit)s for %(start)s – %(end)s is ready.",
                period=str(PERIOD_LABELS[report.period]),
                unit=unit.name,
                start=report.period_start.isoformat(),
                end=report.period_end.isoformat(),
            )
        new += notify.queue(
            session,
            dedup_key=f"summary:{unit.id}:{report.period}:{report.period_start}:{manager.id}",
            channel=NotificationChannel.APP,
            kind="summary_ready",
            subject=subject[:200],
            body=f"/summaries/download/{report.id}",
            recipient_id=manager.id,
        )
    return new
