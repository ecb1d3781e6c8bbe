"""Searching lists by an applicant or a case: typed text, not a dropdown of every related row.

A city holds a million applicants and cases; a search form that listed them all in a select
would never render. The search still runs inside the scope.
"""

from __future__ import annotations

import datetime as dt
import re

from app.extensions import db
from tests import factories

NUMBER = re.compile(r"440781\d*-\d{4}-\d{5}")


def _cases(tree):
    spec_a = factories.staff("spec_a", "Specialist", tree.town_a)
    spec_b = factories.staff("spec_b", "Specialist", tree.town_b)
    factories.staff("boss_a", "Manager", tree.town_a)
    wong = factories.applicant(tree.village_a1, name="黄大伯", birth=dt.date(1950, 1, 2))
    lee = factories.applicant(tree.village_a1, name="李阿姨", birth=dt.date(1955, 3, 4))
    far = factories.applicant(tree.village_b1, name="黄小妹", birth=dt.date(1990, 5, 6))
    case_wong = factories.case(tree.village_a1, spec_a, app_=wong)
    case_lee = factories.case(tree.village_a1, spec_a, app_=lee)
    case_far = factories.case(tree.village_b1, spec_b, app_=far)
    db.session.commit()
    return wong, case_wong, case_lee, case_far


def _numbers(response) -> set[str]:
    assert response.status_code == 200
    # Not counting the search box and its script, which show back the text typed into them.
    body = re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    return set(NUMBER.findall(body))


def test_case_list_searches_the_applicant_by_name_or_id_number_inside_the_scope(app, tree, login):
    wong, case_wong, case_lee, case_far = _cases(tree)
    client = login(app.test_client(), "boss_a")

    page = client.get("/caseview/list/")
    body = page.get_data(as_text=True)
    assert {case_wong.number, case_lee.number} <= _numbers(page)
    # The search form offers a text box for the applicant, not an <option> per applicant.
    assert not re.search(r"<option[^>]*>\s*黄大伯", body)
    assert 'name="applicant"' in body

    by_name = _numbers(client.get("/caseview/list/?_flt_0_applicant=黄"))
    assert by_name == {case_wong.number}  # town B's 黄小妹 stays out of scope
    assert case_far.number not in by_name

    by_id = _numbers(client.get(f"/caseview/list/?_flt_0_applicant={wong.id_number.lower()}"))
    assert by_id == {case_wong.number}

    # LIKE wildcards are text, not patterns.
    assert _numbers(client.get("/caseview/list/?_flt_0_applicant=%25")) == set()
    assert _numbers(client.get("/caseview/list/?_flt_0_applicant=_")) == set()


def test_event_list_searches_by_case_number(app, tree, login):
    _wong, case_wong, case_lee, case_far = _cases(tree)
    client = login(app.test_client(), "boss_a")

    body = client.get("/caseeventview/list/").get_data(as_text=True)
    assert {case_wong.number, case_lee.number} <= set(NUMBER.findall(body))
    assert not re.search(r"<option[^>]*>[^<]*" + re.escape(case_lee.number), body)

    tail = case_wong.number[-5:]
    assert _numbers(client.get(f"/caseeventview/list/?_flt_0_case={tail}")) == {case_wong.number}
    outside = client.get(f"/caseeventview/list/?_flt_0_case={case_far.number}")
    assert _numbers(outside) == set()
