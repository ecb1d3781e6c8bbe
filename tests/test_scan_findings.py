"""Findings of the outside scanners (wapiti, sqlmap, schemathesis; docs/security-scan.md), each
kept fixed by a test."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from app import models as m
from app.extensions import db
from app.spreadsheet import safe
from tests import factories
from tests.apiclient import api_login

CONTROL = "部门\x01\x08\x1f名"


def test_control_characters_are_refused_like_nul(app, login):
    """Schemathesis created a department whose name held control characters over the API; every
    export of the catalogue then answered 500 (openpyxl cannot write them)."""
    factories.staff("admin", "Admin", None)
    api = api_login(app, "admin")
    before = db.session.execute(sa.select(sa.func.count(m.Department.id))).scalar_one()
    response = api.client.post(
        "/api/v1/department/",
        json={"code": "D99", "name": CONTROL},
        headers=api.headers,
    )
    assert response.status_code == 400
    assert db.session.execute(sa.select(sa.func.count(m.Department.id))).scalar_one() == before
    client = login(app.test_client(), "admin")
    assert client.get("/guide/?q=%01").status_code == 400
    # Tabs and line breaks in notes stay allowed.
    assert client.get("/guide/?q=a%09b").status_code == 200


def test_exports_hold_data_stored_with_control_characters(app, login):
    """Rows stored before the guard refused such characters still export (without them)."""
    factories.staff("admin", "Admin", None)
    db.session.add(m.Department(code="D98", name=CONTROL))
    db.session.commit()
    client = login(app.test_client(), "admin")
    exported = client.get("/imports/export/departments")
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.data))
    names = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert "部门名" in names
    assert safe("=1+1\x02") == "'=1+1" and safe("\x0b=x") == "'=x"
