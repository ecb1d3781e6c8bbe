"""The complaints' ledger: filters read from the query string, the scoped query, the statistics
block and the export (.xlsx / CSV). Every query starts from app/scope.py's clause."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook

from app import models as m
from app.domain import clock
from app.domain.errors import ValidationFailed
from app.domain.status import OPEN_COMPLAINT_STATUSES, ComplaintStatus
from app.enums import ComplaintChannel
from app.extensions import db
from app.masking import mask_unless_revealer
from app.scope import Scope
from app.spreadsheet import safe

PAGE_SIZE = 50
EXPORT_LIMIT = 50000
OPEN_VALUES = [s.value for s in OPEN_COMPLAINT_STATUSES]


@dataclass(frozen=True)
class ComplaintFilter:
    status: ComplaintStatus | None = None
    channel: ComplaintChannel | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    q: str = ""
    page: int = 0
    unit_id: int | None = None  # this unit and the units below it (inside the scope)

    @classmethod
    def from_args(cls, args) -> ComplaintFilter:
        """The filter of a query string; ValidationFailed (400) naming each bad parameter."""
        errors = {}

        def enum(name, enum_cls):
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            try:
                return enum_cls(raw)
            except ValueError:
                errors[name] = _("Not one of the choices.")
                return None

        def day(name):
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                errors[name] = _("Not a date (YYYY-MM-DD).")
                return None

        raw_unit = (args.get("unit") or "").strip()
        unit_id = int(raw_unit) if raw_unit.isdigit() and len(raw_unit) < 10 else None
        if raw_unit and unit_id is None:
            errors["unit"] = _("Not one of the choices.")
        raw_page = (args.get("page") or "0").strip()
        page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 6 else None
        if page is None:
            errors["page"] = _("Not a page number.")
        flt = cls(
            status=enum("status", ComplaintStatus),
            channel=enum("channel", ComplaintChannel),
            date_from=day("date_from"),
            date_to=day("date_to"),
            overdue=(args.get("overdue") or "") in ("1", "y", "on", "true"),
            q=(args.get("q") or "").strip()[:50],
            page=page or 0,
            unit_id=unit_id,
        )
        if "\x00" in flt.q:
            errors["q"] = _("Not a valid search.")
        if errors:
            raise ValidationFailed(errors, next(iter(errors.values())))
        return flt

    def args(self) -> dict:
        out = {
            "status": self.status.value if self.status else "",
            "channel": self.channel.value if self.channel else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "overdue": "1" if self.overdue else "",
            "q": self.q,
            "unit": str(self.unit_id) if self.unit_id is not None else "",
        }
        return {k: v for k, v in out.items() if v}


def _where(scope: Scope, flt: ComplaintFilter, *, status: bool = True) -> list:
    c = m.Complaint
    where = [scope.clause_for(c)]
    if flt.unit_id is not None:
        unit = db.session.get(m.OrgUnit, flt.unit_id)
        if unit is None or not scope.contains_unit(unit):
            where.append(sa.false())
        else:  # the chosen unit's subtree, by the scope module's own rule
            where.append(Scope(path=unit.path, unit_id=unit.id).clause_for(c))
    if status and flt.status is not None:
        where.append(c.status == flt.status)
    if flt.channel is not None:
        where.append(c.channel == flt.channel)
    if flt.date_from is not None:
        where.append(c.received_at >= dt.datetime.combine(flt.date_from, dt.time(), clock.TZ))
    if flt.date_to is not None:
        end = flt.date_to + dt.timedelta(days=1)
        where.append(c.received_at < dt.datetime.combine(end, dt.time(), clock.TZ))
    if flt.overdue:
        where += [c.status.in_(OPEN_VALUES), c.due_date < clock.today()]
    if flt.q:
        where.append(
            sa.or_(
                c.number.contains(flt.q, autoescape=True),
                c.complainant.contains(flt.q, autoescape=True),
                c.hotline_ticket.contains(flt.q.upper(), autoescape=True),
                c.matter.contains(flt.q, autoescape=True),
            )
        )
    return where


def units(scope: Scope) -> list[m.OrgUnit]:
    """The units the ledger's unit filter offers: those in scope, in tree order."""
    return list(
        db.session.execute(
            sa.select(m.OrgUnit).where(scope.clause_for(m.OrgUnit)).order_by(m.OrgUnit.path)
        ).scalars()
    )


def select(scope: Scope, flt: ComplaintFilter) -> sa.Select:
    return (
        sa.select(m.Complaint)
        .where(*_where(scope, flt))
        .order_by(m.Complaint.received_at.desc(), m.Complaint.id.desc())
    )


def page(scope: Scope, flt: ComplaintFilter) -> tuple[list[m.Complaint], int]:
    total = db.session.execute(
        sa.select(sa.func.count(m.Complaint.id)).where(*_where(scope, flt))
    ).scalar_one()
    rows = db.session.execute(
        select(scope, flt).limit(PAGE_SIZE).offset(flt.page * PAGE_SIZE)
    ).scalars()
    return list(rows), total


def stats(scope: Scope, flt: ComplaintFilter) -> dict:
    """The statistics block: counts by status, transfers on time, call-backs satisfied.

    The status filter is left out so the counts by status add up to the filtered whole.
    """
    c = m.Complaint
    where = _where(scope, flt, status=False)
    by_status = dict(
        db.session.execute(
            sa.select(c.status, sa.func.count(c.id)).where(*where).group_by(c.status)
        )
        .tuples()
        .all()
    )
    counts = {s: by_status.get(s, 0) for s in ComplaintStatus}
    today = clock.today()
    rows = db.session.execute(
        sa.select(c.transfer_due, c.replied_at, c.satisfied, c.status, c.due_date).where(*where)
    ).all()
    on_time = late = satisfied = called_back = overdue = 0
    for due, replied, happy, status, due_date in rows:
        if due is not None:
            if replied is not None:
                if clock.local_date(replied) <= due:
                    on_time += 1
                else:
                    late += 1
            elif due < today:
                late += 1
        if happy is not None:
            called_back += 1
            satisfied += 1 if happy else 0
        if status in OPEN_COMPLAINT_STATUSES and due_date is not None and due_date < today:
            overdue += 1
    judged = on_time + late
    return {
        "total": sum(counts.values()),
        "by_status": counts,
        "overdue": overdue,
        "transfers_judged": judged,
        "transfers_on_time": on_time,
        "on_time_rate": round(100 * on_time / judged, 1) if judged else None,
        "called_back": called_back,
        "satisfied": satisfied,
        "satisfaction_rate": round(100 * satisfied / called_back, 1) if called_back else None,
    }


DASHBOARD_FIGURES = (
    # (key, label, the complaints ledger's filter that lists them)
    ("received", _l("Complaints received"), {}),
    *(
        (s.value, s.label, {"status": s.value})
        for s in (ComplaintStatus.COORDINATING, ComplaintStatus.TRANSFERRED)
    ),
    ("overdue", _l("Overdue"), {"overdue": "1"}),
    (ComplaintStatus.ARCHIVED.value, ComplaintStatus.ARCHIVED.label, {"status": "archived"}),
)


def dashboard_figures(
    scope: Scope, date_from: dt.date | None, date_to: dt.date | None, unit_id: int | None = None
) -> list[dict]:
    """The “办不成事” window's figures on the main dashboard: of the complaints received in the
    period (in ``scope``, under ``unit_id`` when the dashboard is narrowed to a unit), how many
    there are, how many are being coordinated, transferred, overdue and archived now; each with
    the complaints ledger's arguments listing exactly them (the same ``stats`` the ledger shows)."""
    flt = ComplaintFilter(date_from=date_from, date_to=date_to, unit_id=unit_id)
    figures = stats(scope, flt)
    values = {
        "received": figures["total"],
        "coordinating": figures["by_status"][ComplaintStatus.COORDINATING],
        "transferred": figures["by_status"][ComplaintStatus.TRANSFERRED],
        "overdue": figures["overdue"],
        "archived": figures["by_status"][ComplaintStatus.ARCHIVED],
    }
    return [
        {"key": key, "label": label, "value": values[key], "args": {**flt.args(), **extra}}
        for key, label, extra in DASHBOARD_FIGURES
    ]


# ---------------------------------------------------------------- export

COLUMNS = [
    ("number", _l("Complaint number")),
    ("received", _l("Received")),
    ("unit", _l("Service center")),
    ("channel", _l("Channel")),
    ("hotline_ticket", _l("12345 ticket number")),
    ("complainant", _l("Complainant")),
    ("mobile", _l("Mobile")),
    ("matter", _l("What could not be done")),
    ("status", _l("Status")),
    ("due_date", _l("Due date")),
    ("department", _l("Department")),
    ("transfer_due", _l("Department's deadline")),
    ("replied", _l("Department replied")),
    ("on_time", _l("Transfer on time")),
    ("called_back", _l("Called back")),
    ("satisfied", _l("Satisfied")),
]


def _yes_no(value):
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def export_rows(scope: Scope, flt: ComplaintFilter):
    """The filtered complaints as rows of cells (dates as dates), the header first."""
    yield [str(label) for _key, label in COLUMNS]
    query = select(scope, flt).limit(EXPORT_LIMIT)
    for c in db.session.execute(query).scalars():
        yield [
            safe(c.number),
            clock.local_date(c.received_at),
            safe(c.unit.name),
            str(c.channel.label),
            safe(c.hotline_ticket or ""),
            safe(c.complainant),
            safe(mask_unless_revealer(m.Complaint, "mobile", c.mobile)),
            safe(c.matter),
            str(c.status.label),
            c.due_date,
            safe(c.department.name) if c.department else "",
            c.transfer_due,
            clock.local_date(c.replied_at) if c.replied_at else None,
            _yes_no(c.transfer_on_time),
            clock.local_date(c.called_back_at) if c.called_back_at else None,
            _yes_no(c.satisfied),
        ]


def export(scope: Scope, flt: ComplaintFilter, fmt: str) -> tuple[bytes, str]:
    """The export file's bytes and content type (``fmt``: csv or xlsx)."""
    rows = export_rows(scope, flt)
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        for row in rows:
            writer.writerow(
                ["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row]
            )
        return ("\ufeff" + text.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Complaints"))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
