"""Home visits (上门服务): a case's channel, its visits planned and recorded through the step path
(timeline, audit), the printed record for the applicant's signature in three languages, the
ledger's filter, column and statistics, the scope, and bad input (the steps themselves are
driven on both surfaces by tests/test_steps.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock, visits
from app.enums import CaseChannel, EventKind, ServiceKind
from app.extensions import db
from app.ledger import rollup, stats
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.reminders import sweep
from app.scope import Scope
from tests import factories
from tests.apiclient import api_login
from tests.test_reminders_helpers import at, recipients

pytest_plugins = ["tests.api_fixtures"]

ACKS = {"ack_voluntary": True, "ack_free": True, "ack_truthful": True}
HOST = "http://bangban.test"


@pytest.fixture
def world(api_app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    other = factories.staff("spec_b", "Specialist", tree.town_b)
    case = factories.case(tree.town_a, spec, channel=CaseChannel.HOME_VISIT)
    return spec, other, case


def _plan(api, case, spec, **over):
    body = {
        "planned_at": (clock.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "address": "大江镇公益村18号",
        "staff": [spec.id],
        "purpose": "上门签署委托书",
        **over,
    }
    return api.post(f"/api/v1/case/{case.id}/plan_home_visit", json=body)


def test_a_visit_is_planned_and_recorded_on_the_timeline_and_over_the_api(api_app, world):
    spec, _other, case = world
    api = api_login(api_app, "spec_a")
    assert _plan(api, case, spec).status_code == 200
    listed = api.get(f"/api/v1/case/{case.id}/home_visits").json
    assert listed["channel"] == "home_visit" and listed["count"] == 1
    visit = listed["result"][0]
    assert visit["address"] == "大江镇公益村18号" and visit["staff"][0]["id"] == spec.id
    assert visit["done_at"] is None
    done = api.post(
        f"/api/v1/case/{case.id}/record_home_visit",
        json={"visit": visit["id"], "outcome": "已签署委托书"},
    )
    assert done.status_code == 200, done.json
    again = api.post(
        f"/api/v1/case/{case.id}/record_home_visit",
        json={"visit": visit["id"], "outcome": "再次"},
    )
    assert again.status_code == 409  # nothing open to record: the step is not offered
    timeline = api.get(f"/api/v1/case/{case.id}/timeline").json["result"]
    home = [e for e in timeline if e["kind"] == EventKind.HOME_VISIT.value]
    assert [e["data"]["action"] for e in home] == ["planned", "done"]
    assert home[1]["note"] == "已签署委托书"
    audit = db.session.execute(
        sa.select(m.AuditLog.after).where(
            m.AuditLog.action == "step", m.AuditLog.row_id == str(case.id)
        )
    ).scalars()
    assert {"plan_home_visit", "record_home_visit"} <= {a.get("step") for a in audit}


def test_home_visits_are_for_special_groups_and_home_visit_cases_only(api_app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    api = api_login(api_app, "spec_a")
    young = factories.applicant(tree.town_a)
    item = factories.service_item()
    db.session.commit()
    body = {"applicant": young.id, "item": item.id, "kind": "help", "needs": "办理", **ACKS}
    refused = api.post("/api/v1/case/", json={**body, "channel": "home_visit"})
    assert refused.status_code == 422 and "channel" in refused.json["errors"]
    assert api.post("/api/v1/case/", json={**body, "channel": "by_boat"}).status_code == 422
    hall = api.post("/api/v1/case/", json=body)
    assert hall.status_code == 201 and hall.json["result"]["channel"] == "hall"
    case = db.session.get(m.Case, hall.json["id"])
    assert _plan(api, case, spec).status_code == 409  # a hall case has no home visits


@pytest.mark.parametrize(
    "over, field",
    [
        ({"address": ""}, "address"),
        ({"staff": []}, "staff"),
        ({"staff": ["x"]}, "staff.0"),
        ({"planned_at": "tomorrow"}, "planned_at"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_visit_input_is_refused_naming_the_field(api_app, world, over, field):
    spec, _other, case = world
    api = api_login(api_app, "spec_a")
    response = _plan(api, case, spec, **over)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert db.session.scalar(sa.select(sa.func.count(m.HomeVisit.id))) == 0


def test_staff_out_of_scope_cannot_be_sent_and_others_cannot_see_the_visit(api_app, world):
    spec, other, case = world
    api = api_login(api_app, "spec_a")
    response = _plan(api, case, spec, staff=[other.id])  # town B's specialist
    assert response.status_code == 422 and "staff" in response.json["errors"]
    assert _plan(api, case, spec).status_code == 200
    visit = db.session.scalar(sa.select(m.HomeVisit))
    outsider = api_login(api_app, "spec_b")
    assert outsider.get(f"/api/v1/case/{case.id}/home_visits").status_code == 404
    assert _plan(outsider, case, other).status_code == 404
    page = api_app.test_client()
    page.post("/login/", data={"username": "spec_b", "password": factories.PASSWORD})
    assert page.get(f"/print/home_visit/{visit.id}", base_url=HOST).status_code == 404


@pytest.mark.parametrize(
    "lang, title",
    [("zh", "上门服务记录单"), ("zh_Hant", "上門服務記錄單"), ("en", "Home visit record")],
)
def test_the_printed_record_renders_in_three_languages(api_app, world, login, lang, title):
    spec, _other, case = world
    visit = visits.plan(
        db.session,
        case,
        spec.user,
        planned_at=clock.now() + dt.timedelta(days=1),
        address="大江镇公益村18号",
        staff=[spec],
        purpose="上门签署委托书",
    )
    db.session.commit()
    client = login(api_app.test_client(), "spec_a")
    client.get(f"/lang/{lang}")
    response = client.get(f"/print/home_visit/{visit.id}", base_url=HOST)
    assert response.status_code == 200
    html = response.text
    assert f"<h1>{title}</h1>" in html
    assert "大江镇公益村18号" in html and spec.name in html and case.applicant.name in html
    assert not re.search(r"\son[a-z]+=", html)  # CSP: no inline handlers
    assert "<script>" not in html
    page = client.get(f"/caseview/show/{case.id}", base_url=HOST).text
    assert f"/print/home_visit/{visit.id}" in page and 'id="case-home-visits"' in page


def test_the_ledger_filters_counts_and_shows_home_visit_cases(api_app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    clock.set_fixed(dt.datetime(2026, 3, 10, 10))
    try:
        factories.case(tree.town_a, spec, channel=CaseChannel.HOME_VISIT, kind=ServiceKind.PROXY)
        factories.case(tree.town_a, spec, channel=CaseChannel.HOME_VISIT)
        factories.case(tree.town_a, spec)
    finally:
        clock.set_fixed(None)
    scope = Scope(path=tree.town_a.path, unit_id=tree.town_a.id)
    home = LedgerQuery(db.session, scope, LedgerFilter.from_args({"channel": "home_visit"}))
    assert home.count() == 2
    assert {r.channel for r in home.page(1)} == {CaseChannel.HOME_VISIT}
    assert LedgerFilter.from_args({"channel": "nonsense"}).channel is None
    assert not rollup.applies(home)  # a narrower filter counts live
    q = LedgerQuery(db.session, scope, LedgerFilter())
    assert rollup.applies(q)
    from_rollups = stats.dashboard(q)
    db.session.rollback()
    live = stats.dashboard_live(q)
    db.session.rollback()
    counts = {r["key"]: r["count"] for r in from_rollups["by_channel"]}
    assert counts == {"hall": 1, "home_visit": 2}
    assert from_rollups["by_channel"] == live["by_channel"]
    assert rollup.check(db.session, repair=False)["differing"] == 0
    db.session.rollback()
    client = api_app.test_client()
    client.post("/login/", data={"username": "spec_a", "password": factories.PASSWORD})
    board = client.get("/dashboard/?period=all", base_url=HOST).text
    assert re.search(
        r'id="kpi-home-visits"[^>]*>\s*<a href="[^"]*channel=home_visit[^"]*">2<', board
    )
    ledger = client.get("/ledger/list/?channel=home_visit", base_url=HOST).text
    assert ledger.count('<td class="col-number">') == 2


def test_the_staff_going_are_reminded_the_day_before_once(api_app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    colleague = factories.staff("spec_a2", "Specialist", tree.town_a)
    try:
        clock.set_fixed(at(0))
        case = factories.case(tree.town_a, spec, channel=CaseChannel.HOME_VISIT)
        visits.plan(
            db.session,
            case,
            spec.user,
            planned_at=at(2, hour=9),
            address="大江镇公益村18号",
            staff=[colleague],
        )
        db.session.commit()
        kinds = {"home_visit"}
        assert not sweep.run(db.session, at(0, hour=17), dispatch=False, kinds=kinds).queued
        sweep.run(db.session, at(1, hour=8), dispatch=False, kinds=kinds)
        sweep.run(db.session, at(1, hour=17), dispatch=False, kinds=kinds)
        assert recipients("home_visit") == ["spec_a", "spec_a2"]  # once each
    finally:
        clock.set_fixed(None)
