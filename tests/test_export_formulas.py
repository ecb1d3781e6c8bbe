"""Exports neutralise formulas (issue 18): text a spreadsheet would run is written as text."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.extensions import db
from app.imports.cells import as_text
from app.imports.export import export_bytes
from app.scope import scope_for_user
from app.spreadsheet import safe
from tests import ledger_world

PAYLOADS = [
    '=HYPERLINK("http://evil.example/","点击查看")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
]


@pytest.fixture
def world(app):
    world = ledger_world.build()
    yield world
    clock.set_fixed(None)


def _rename_applicants(payload: str) -> None:
    db.session.execute(sa.update(m.Applicant).values(name=payload))
    db.session.commit()


def test_ledger_xlsx_and_csv_write_formula_text_as_text(world, login, app):
    client = login(app.test_client(), "city_manager")
    payload = PAYLOADS[0]
    _rename_applicants(payload)
    xlsx = client.get("/ledger/export/xlsx")
    assert xlsx.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    cells = [c for row in ws.iter_rows(min_row=4) for c in row]
    assert cells and not [c for c in cells if c.data_type == "f"]
    names = {c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value}
    assert names == {"'" + payload}

    text = client.get("/ledger/export/csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    values = {v for r in rows[3:] for v in r if "HYPERLINK" in v}
    assert values == {"'" + payload}


def test_reference_export_escapes_and_the_import_reads_back_the_same_text(world, app):
    for payload in PAYLOADS[:-1]:  # XML reads a carriage return back as a line feed
        unit = world.tree.town_a
        unit.address = payload
        db.session.commit()
        data = export_bytes(db.session, "units", scope_for_user(world.city_manager.user))
        book = openpyxl.load_workbook(io.BytesIO(data))
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
        assert not [c for c in cells if c.data_type == "f"], payload
        found = [c.value for c in cells if c.value == safe(payload)]
        assert found, payload
        assert as_text(found[0]) == payload.strip() or as_text(found[0]) == payload
