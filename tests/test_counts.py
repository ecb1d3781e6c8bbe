"""Lists count up to a cap, then say "more than": screens, the API and the ledger.

The cap is configurable (``LIST_COUNT_CAP``); these tests lower it to 3 and make 4 cases, so
each list is past its cap without loading ten thousand rows.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import models as m
from app.counting import CappedCount, capped_count
from app.extensions import db
from tests import factories
from tests.apiclient import api_login


@pytest.fixture
def four_cases(app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    factories.staff("boss_a", "Manager", tree.town_a)
    for _ in range(4):
        factories.case(tree.village_a1, spec)
    db.session.commit()
    yield
    app.config.pop("LIST_COUNT_CAP", None)


def test_capped_count_reads_at_most_cap_plus_one_rows(any_app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    for _ in range(4):
        factories.case(tree.village_a1, spec)
    stmt = sa.select(m.Case.id)
    exact = capped_count(db.session, stmt, cap=10)
    assert (int(exact), exact.capped, exact.label()) == (4, False, "4")
    capped = capped_count(db.session, stmt, cap=3)
    assert capped.capped and int(capped) == 4 and capped.shown == 3
    assert "3" in capped.label() and capped.label() != "3"
    assert capped_count(db.session, stmt, cap=4).capped is False
    assert isinstance(capped, CappedCount) and capped / 2 == 2  # pager arithmetic unchanged


def test_case_list_pager_says_more_than_the_cap(app, four_cases, login):
    client = login(app.test_client(), "boss_a")
    app.config["LIST_COUNT_CAP"] = 10
    exact = client.get("/caseview/list/?_l_=en").text
    assert "Record Count" in exact and "more than" not in exact
    app.config["LIST_COUNT_CAP"] = 3
    capped = client.get("/caseview/list/?_l_=en").text
    assert "more than 3" in capped


def test_api_list_count_is_capped_with_a_flag(app, four_cases):
    api = api_login(app, "boss_a")
    app.config["LIST_COUNT_CAP"] = 10
    answer = api.get("/api/v1/case/").json
    assert (answer["count"], answer["count_capped"]) == (4, False)
    app.config["LIST_COUNT_CAP"] = 3
    answer = api.get("/api/v1/case/").json
    assert (answer["count"], answer["count_capped"]) == (3, True)
    assert len(answer["result"]) == 4  # the page itself is whole


def test_api_list_documents_the_capped_count(app, four_cases):
    spec = api_login(app, "boss_a").get("/api/v1/_openapi").json
    answer = spec["paths"]["/api/v1/case/"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    properties = answer["schema"]["properties"]
    assert properties["count_capped"]["type"] == "boolean"
    assert "count_capped" in answer["schema"]["required"]


def test_ledger_pager_is_capped_and_the_exact_total_is_one_click(app, four_cases, login):
    client = login(app.test_client(), "boss_a")
    app.config["LIST_COUNT_CAP"] = 3
    page = client.get("/ledger/list/?_l_=en").text
    assert "more than 3" in page and 'id="ledger-exact"' in page
    exact = client.get("/ledger/list/?exact=1&_l_=en").text
    assert 'id="ledger-total">4<' in exact and "more than" not in exact
    app.config["LIST_COUNT_CAP"] = 10
    page = client.get("/ledger/list/?_l_=en").text
    assert 'id="ledger-total">4<' in page and 'id="ledger-exact"' not in page


def test_a_town_s_list_count_adds_its_two_arms_transfers_once(app, tree, login):
    """A town's case list (screen and API) counts the cases handled at its units and those
    accepted there but handled elsewhere as two disjoint arms (index-only at 10M cases): a case
    transferred out of the town, one transferred in, one moved between its own stations and
    another town's case give the same count as the rows the list shows."""
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    spec_b = factories.staff("spec_b", "Specialist", tree.town_b)
    factories.staff("boss_a", "Manager", tree.town_a)
    own = [factories.case(tree.village_a1, spec) for _ in range(3)]
    outward, inward = factories.case(tree.village_a1, spec), factories.case(tree.village_b1, spec_b)
    factories.case(tree.village_b1, spec_b)  # another town's: not counted
    outward.handling_unit_id = tree.village_b1.id
    inward.handling_unit_id = tree.village_a2.id
    own[0].handling_unit_id = tree.village_a2.id  # between the town's own stations
    db.session.commit()
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    app.config["LIST_COUNT_CAP"] = 10
    client = login(app.test_client(), "boss_a")

    def counts_of(*urls) -> list[str]:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            for url in urls:
                assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
        return [s for s in statements if s.lstrip().upper().startswith("SELECT COUNT(*)")]

    # Pages of two rows: the count is needed (there is more than the first page).
    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        page = client.get("/caseview/list/?psize_CaseView=2&_l_=en").text
        # (logged in after the page: a test's requests share one app context and its ``g``)
        api = api_login(app, "boss_a")
        answer = api.get("/api/v1/case/?q=(page_size:2)").json
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert (answer["count"], len(answer["result"])) == (5, 2)
    assert not answer["count_capped"]
    assert re.search(r"Record Count:</strong>\s*5\s*<", page), page
    counts = [s for s in statements if s.lstrip().upper().startswith("SELECT COUNT(*)")]
    assert len(counts) == 2 and all("UNION ALL" in s for s in counts), counts
    app.config["LIST_COUNT_CAP"] = 4
    answer = api.get("/api/v1/case/?q=(page_size:2)").json
    assert (answer["count"], answer["count_capped"]) == (4, True)
    app.config["LIST_COUNT_CAP"] = 10
    # A first page holding every row needs no count: its rows are all there is.
    assert counts_of("/caseview/list/") == []
    answer = api.get("/api/v1/case/").json
    assert (answer["count"], len(answer["result"]), answer["count_capped"]) == (5, 5, False)
    page = client.get("/caseview/list/?_l_=en").text
    assert re.search(r"Record Count:</strong>\s*5\s*<", page), page
    # A search is narrower than the units: one count statement, not repeated per arm.
    fragment = own[1].number[:6]  # every case number of the county starts with it
    counts = counts_of(f"/caseview/list/?_flt_2_number={fragment}&psize_CaseView=2")
    assert len(counts) == 1 and "UNION ALL" not in counts[0], counts
    app.config.pop("LIST_COUNT_CAP", None)
