"""The 12345 ticket number given with the application itself: on the application form (the
screen), in the API's POST that creates a case, checked with a message in the user's language,
stored normalized, shown on the case page and on the printed application form."""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

ACKS = {"ack_voluntary": "y", "ack_free": "y", "ack_truthful": "y"}


def _cases() -> list[m.Case]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(m.Case).order_by(m.Case.id)).scalars())


def _form(applicant, item, unit, spec, ticket: str) -> dict:
    return {
        "applicant": applicant.id,
        "item": item.id,
        "kind": "help",
        "needs": "12345 转来：咨询营业执照办理",
        "handling_unit": unit.id,
        "specialist": spec.id,
        "hotline_ticket": ticket,
        **ACKS,
    }


def test_the_application_form_takes_a_checked_ticket_number(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    applicant = factories.applicant(tree.town_a)
    item = factories.service_item()
    client = login(app.test_client(), "spec")

    page = client.get(f"/caseview/add?item={item.id}")
    assert 'name="hotline_ticket"' in page.text and "12345工单号" in page.text

    for bad, message in (
        ("12 34", "12345工单号为6至32个字符。"),
        ("2026<12>05", "12345工单号只能包含字母和数字（中间可用连字符）。"),
        ("9" * 40, "12345工单号为6至32个字符。"),
    ):
        refused = client.post("/caseview/add", data=_form(applicant, item, tree.town_a, spec, bad))
        assert refused.status_code == 200, bad  # the form again, nothing saved
        assert message in refused.text, bad
        assert _cases() == []

    # the same refusal in Traditional Chinese
    client.get("/lang/zh_Hant")
    refused = client.post("/caseview/add", data=_form(applicant, item, tree.town_a, spec, "12-"))
    assert "12345工單號為6至32個字元。" in refused.text
    client.get("/lang/zh")

    # full-width digits and lower case, as typed on a Chinese keyboard: stored normalized
    done = client.post(
        "/caseview/add", data=_form(applicant, item, tree.town_a, spec, "jm-２０２６-000888 ")
    )
    assert done.status_code == 302, done.text[:2000]
    (case,) = _cases()
    assert case.hotline_ticket == "JM-2026-000888"
    show = client.get(f"/caseview/show/{case.id}").text
    assert 'id="case-hotline-ticket">JM-2026-000888<' in show
    printed = client.get(f"/print/case/{case.id}/application").text
    assert 'id="hotline-ticket">JM-2026-000888<' in printed

    # no ticket: none stored, none shown
    plain = client.post("/caseview/add", data=_form(applicant, item, tree.town_a, spec, ""))
    assert plain.status_code == 302
    second = _cases()[1]
    assert second.hotline_ticket is None
    assert "case-hotline-ticket" not in client.get(f"/caseview/show/{second.id}").text


def test_the_api_application_takes_a_checked_ticket_number(api_app, people, tree):
    item = factories.service_item()
    applicant = factories.applicant(tree.town_a)
    api = api_login(api_app, "spec_a")
    body = {
        "applicant": applicant.id,
        "item": item.id,
        "kind": "help",
        "needs": "12345 转来",
        "ack_voluntary": True,
        "ack_free": True,
        "ack_truthful": True,
    }
    for bad in ("12", "2026 12 05 <>", "X" * 40, 2026120500123):
        refused = api.post("/api/v1/case/", json={**body, "hotline_ticket": bad})
        assert refused.status_code == 422, (bad, refused.json)
        assert "hotline_ticket" in refused.json["errors"], bad
    assert _cases() == []

    done = api.post("/api/v1/case/", json={**body, "hotline_ticket": "2026120500123"})
    assert done.status_code == 201, done.json
    assert done.json["result"]["hotline_ticket"] == "2026120500123"
    without = api.post("/api/v1/case/", json={**body, "hotline_ticket": None})
    assert without.status_code == 201, without.json
    assert without.json["result"]["hotline_ticket"] is None
    assert [c.hotline_ticket for c in _cases()] == ["2026120500123", None]
    found = api.get("/api/v1/case/?q=(filters:!((col:hotline_ticket,opr:ct,value:'0500123')))").json
    assert [row["number"] for row in found["result"]] == [_cases()[0].number]
