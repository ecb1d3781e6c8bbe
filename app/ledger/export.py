"""Export of the ledger: .xlsx (openpyxl write-only) and CSV, streamed row by row.

Both read ``LedgerQuery.stream()`` (a server-side cursor), so neither the rows nor the file are
ever held in memory: openpyxl's write-only worksheet writes each row to a temporary file at once,
and CSV leaves as text chunks. The headers are gettext strings (Chinese for a Chinese user), dates
are real date cells, and a title row names the unit and the period. Exactly the filtered rows are
written: the export runs the ledger's own query.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app import models as m
from app.domain import clock
from app.domain.status import CaseStatus
from app.enums import CaseChannel, Rating, ServiceKind, TerminationReason
from app.ledger.filters import LedgerFilter
from app.scope import Scope
from app.spreadsheet import safe

DATE_FORMAT = "yyyy-mm-dd"
PROGRESS_EVERY = 2000


@dataclass(frozen=True)
class Column:
    key: str  # attribute of a ledger row
    header: object  # lazy gettext
    width: float
    kind: str = "text"  # text | date | int | bool | enum | mark (a word when true, else empty)


COLUMNS = [
    Column("number", _l("Case number"), 24),
    Column("applied_on", _l("Application date"), 12, "date"),
    Column("accepted_on", _l("Accepted date"), 12, "date"),
    Column("applicant", _l("Applicant"), 22),
    Column("item", _l("Service item"), 36),
    Column("item_code", _l("Official item code"), 14),  # 事项编码 (app/domain/itemcodes.py)
    Column("kind", _l("Assisted or proxy"), 10, "enum"),
    Column("channel", _l("Service channel"), 10, "enum"),
    Column("unit", _l("Handling unit"), 26),
    Column("specialist", _l("Specialist"), 12),
    Column("status", _l("Status"), 10, "enum"),
    Column("promised_days", _l("Promised working days"), 10, "int"),
    Column("handling_days", _l("Actual working days"), 10, "int"),
    Column("due_date", _l("Due date"), 12, "date"),
    Column("due_provisional", _l("Due date provisional"), 8, "mark"),  # 暂定: may still move
    Column("ended_on", _l("Completed or ended on"), 12, "date"),
    Column("overdue", _l("Overdue"), 8, "bool"),
    Column("extra_days", _l("Extension (working days)"), 10, "int"),
    Column("termination_reason", _l("Termination reason"), 16, "enum"),
    Column("rating", _l("Evaluation"), 12, "enum"),
]


class Formatter:
    """Turns ledger rows into cell values; labels translated once per export, not per row."""

    def __init__(self):
        self.labels = {
            member: str(member.label)
            for enum_cls in (ServiceKind, CaseChannel, CaseStatus, TerminationReason, Rating)
            for member in enum_cls
        }
        self.yes, self.no = _("Yes"), _("No")
        self.provisional = _("Provisional")

    def value(self, column: Column, raw):
        if raw is None:
            return None
        if column.kind == "enum":
            return self.labels.get(raw, str(raw))
        if column.kind == "bool":
            return self.yes if raw else self.no
        if column.kind == "mark":
            return self.provisional if raw else None
        if column.kind == "date" and not isinstance(raw, dt.date):
            return dt.date.fromisoformat(str(raw))
        return raw

    def values(self, row) -> list:
        return [safe(self.value(c, getattr(row, c.key))) for c in COLUMNS]


def describe(session, scope: Scope, flt: LedgerFilter) -> tuple[str, str]:
    """The title (unit) and the subtitle (period, generated at) of an export.

    Only a unit inside ``scope`` is ever named: a filter on any other unit selects no row and
    its title names none (the scope is passed in: a background job has no request).
    """
    unit_id = flt.unit_id or scope.unit_id
    unit = None
    if unit_id is not None:
        unit = session.execute(
            sa.select(m.OrgUnit).where(m.OrgUnit.id == unit_id, scope.clause_for(m.OrgUnit))
        ).scalar_one_or_none()
    if unit is None and flt.unit_id is not None:
        unit_name = _("No unit in your scope")
    else:
        unit_name = unit.name if unit is not None else _("All units")
    if flt.date_from or flt.date_to:
        first = flt.date_from.isoformat() if flt.date_from else "…"
        last = flt.date_to.isoformat() if flt.date_to else "…"
        period = f"{first} – {last}"
    else:
        period = _("All time")
    title = _("Work ledger of assisted and proxy handling: %(unit)s", unit=unit_name)
    subtitle = _(
        "Period: %(period)s · Generated: %(at)s",
        period=period,
        at=clock.now().strftime("%Y-%m-%d %H:%M"),
    )
    return title, subtitle


def write_xlsx(
    rows: Iterable,
    target,
    *,
    title: str,
    subtitle: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the ledger rows to ``target`` (a path or binary file); returns the row count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("Work ledger")[:31])
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    last = get_column_letter(len(COLUMNS))
    ws.merged_cells.add(f"A1:{last}1")
    ws.merged_cells.add(f"A2:{last}2")
    ws.freeze_panes = "A4"

    def cell(value, **style):
        c = WriteOnlyCell(ws, value=value)
        for name, attr in style.items():
            setattr(c, name, attr)
        return c

    ws.append([cell(safe(title), font=Font(bold=True, size=14))])
    ws.append([cell(safe(subtitle), font=Font(color="555555"))])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="center")
    ws.append(
        [
            cell(str(c.header), font=Font(bold=True), fill=header_fill, alignment=wrap)
            for c in COLUMNS
        ]
    )
    ws.auto_filter.ref = f"A3:{last}3"
    fmt = Formatter()
    date_columns = [i for i, c in enumerate(COLUMNS) if c.kind == "date"]
    count = 0
    for row in rows:
        values = fmt.values(row)
        for i in date_columns:
            if values[i] is not None:
                values[i] = cell(values[i], number_format=DATE_FORMAT)
        ws.append(values)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    wb.save(target)
    if progress is not None:
        progress(count)
    return count


def _csv_value(value):
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else value


def iter_csv(
    rows: Iterable, *, title: str, subtitle: str, progress: Callable[[int], None] | None = None
) -> Iterator[str]:
    """The ledger as CSV text chunks (UTF-8 with BOM so Excel reads the Chinese), row by row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow([safe(title)])
    writer.writerow([safe(subtitle)])
    writer.writerow([str(c.header) for c in COLUMNS])
    yield "\ufeff" + flush()
    fmt = Formatter()
    count = 0
    for row in rows:
        writer.writerow([_csv_value(v) for v in fmt.values(row)])
        count += 1
        if count % 500 == 0:
            yield flush()
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    yield flush()
    if progress is not None:
        progress(count)


def write_csv(rows: Iterable, path, *, title: str, subtitle: str, progress=None) -> int:
    """Write the CSV to a file (the background job's way); returns the row count."""
    count = 0

    def counting(n: int) -> None:
        nonlocal count
        count = n
        if progress is not None:
            progress(n)

    with open(path, "w", encoding="utf-8", newline="") as fh:
        for chunk in iter_csv(rows, title=title, subtitle=subtitle, progress=counting):
            fh.write(chunk)
    return count
