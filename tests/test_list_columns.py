"""Columns a person chooses on a list are kept for that account only (table user_preference)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app import models as m
from app.extensions import db
from tests import factories


def headers(html: str) -> list[str]:
    """The columns of the list's first row, as the list widget labels its cells."""
    row = html.split("fab-list", 1)[1].split("</thead>", 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="col-([a-z_]+)"', row)


def test_a_person_chooses_the_columns_of_the_case_list(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("other", "Specialist", tree.town_a)
    factories.case(tree.town_a, spec)
    db.session.commit()
    client = login(app.test_client(), "spec")
    every = headers(client.get("/caseview/list/").text)
    assert every[:2] == ["number", "applicant"] and "due_date" in every

    saved = client.post("/caseview/columns", data={"columns": ["status", "due_date"]})
    assert saved.status_code == 302
    # The first column (the case number) always stays; the rest in the list's order.
    assert headers(client.get("/caseview/list/").text) == ["number", "status", "due_date"]
    stored = db.session.execute(
        sa.select(m.UserPreference).where(m.UserPreference.key == "columns.CaseView")
    ).scalar_one()
    assert stored.user_id == spec.user_id and stored.value == ["number", "status", "due_date"]

    # Unknown column: refused, the choice is unchanged.
    refused = client.post("/caseview/columns", data={"columns": ["status", "password"]})
    assert refused.status_code == 302
    assert "没有这一列" in client.get("/caseview/list/").text
    assert headers(client.get("/caseview/list/").text) == ["number", "status", "due_date"]

    # Someone else's list is untouched; reset brings back every column.
    other = login(app.test_client(), "other")
    assert headers(other.get("/caseview/list/").text) == every
    client.post("/caseview/columns", data={"reset": "1"})
    assert headers(client.get("/caseview/list/").text) == every


def test_the_ledger_refuses_an_unknown_column(app, tree, login):
    factories.staff("boss", "Manager", tree.town_a)
    client = login(app.test_client(), "boss")
    answer = client.post(
        "/ledger/columns",
        data={"columns": ["status", "nope"]},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 422 and answer.get_json()["error"] == "没有这一列。"
    answer = client.post(
        "/ledger/columns", data={"columns": ["due_date"]}, headers={"Accept": "application/json"}
    )
    assert answer.get_json() == {"columns": ["number", "due_date"]}
    page = client.get("/ledger/list/").text
    assert 'data-col="due_date"' in page and 'data-col="status"' not in page
