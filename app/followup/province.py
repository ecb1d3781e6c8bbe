"""The 好差评 records for the provincial evaluation system: one row per evaluation (一次一评: at
acceptance and at completion), with what the province takes — item code, case number, stage,
rating, channel, time, comments — inside the caller's tier scope, as .xlsx or CSV.

The same rows are served by the evaluation API (``GET /api/v1/evaluation/``, app/api/resources.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.scope import Scope
from app.spreadsheet import safe_row

COLUMNS = (
    ("item_code", _l("Item code")),
    ("case_number", _l("Case number")),
    ("stage", _l("Evaluation stage")),
    ("rating", _l("Rating")),
    ("rating_label", _l("Rating (in words)")),
    ("channel", _l("Channel")),
    ("at", _l("Time")),
    ("comments", _l("Comments")),
    ("item", _l("Service item")),
    ("unit", _l("Handling unit")),
)


def select_evaluations(
    scope: Scope,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    stage=None,
) -> sa.Select:
    """The evaluations in ``scope`` given between the two dates (inclusive, Asia/Shanghai)."""
    query = (
        sa.select(m.Evaluation, m.ServiceItem.name, m.OrgUnit.name)
        .join(m.Case, m.Case.id == m.Evaluation.case_id)
        .join(m.ServiceItem, m.ServiceItem.id == m.Case.item_id)
        .join(m.OrgUnit, m.OrgUnit.id == m.Case.handling_unit_id)
        .where(scope.clause_for(m.Evaluation))
        .order_by(m.Evaluation.at, m.Evaluation.id)
    )
    if date_from is not None:
        query = query.where(m.Evaluation.at >= dt.datetime.combine(date_from, dt.time(), clock.TZ))
    if date_to is not None:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), clock.TZ)
        query = query.where(m.Evaluation.at < end)
    if stage is not None:
        query = query.where(m.Evaluation.stage == stage)
    return query


def rows(session: Session, query: sa.Select):
    """Each evaluation as the province reads it (codes as stored, the time in ISO 8601)."""
    for evaluation, item_name, unit_name in session.execute(query):
        yield [
            evaluation.item_code,
            evaluation.case_number,
            evaluation.stage.value,
            int(evaluation.rating.value),
            str(evaluation.rating.label),
            evaluation.channel.value,
            evaluation.at.astimezone(clock.TZ).isoformat(timespec="seconds"),
            evaluation.comments,
            item_name,
            unit_name,
        ]


def headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


def to_xlsx(data) -> bytes:
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet(_("Evaluations"))
    sheet.append(headers())
    for row in data:
        sheet.append(safe_row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(data) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    for row in data:
        writer.writerow(safe_row(row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
