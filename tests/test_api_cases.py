"""Cases driven through every path of the lifecycle over the REST API alone, as each role."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

ACKS = {"ack_voluntary": True, "ack_free": True, "ack_truthful": True}


def _apply(api, applicant_id, item_id, **over):
    body = {"applicant": applicant_id, "item": item_id, "kind": "help", "needs": "办理", **ACKS}
    body.update(over)
    response = api.post("/api/v1/case/", json=body)
    assert response.status_code == 201, response.json
    return response.json["result"]


def _step(api, case_id, step, expect=200, **body):
    response = api.post(f"/api/v1/case/{case_id}/{step}", json=body)
    assert response.status_code == expect, (step, response.json)
    return response.json


def _state(case_id):
    db.session.expire_all()
    case = db.session.get(m.Case, case_id)
    events = db.session.scalar(
        sa.select(sa.func.count(m.CaseEvent.id)).where(m.CaseEvent.case_id == case_id)
    )
    return case.status.value, case.version_id, events


def _future(days=5):
    return (clock.today() + dt.timedelta(days=days)).isoformat()


def test_specialist_takes_a_case_from_application_to_return_visit(api_app, people, tree):
    item = factories.service_item(parallel=True, materials=3)
    applicant = factories.applicant(tree.town_a)
    api = api_login(api_app, "spec_a")
    case = _apply(api, applicant.id, item.id, help_types=["form_filling", "online"])
    pk = case["id"]
    assert case["status"] == "applied" and case["number"]
    assert case["accepting_unit"]["id"] == case["handling_unit"]["id"] == tree.town_a.id

    # An illegal step answers 409 and changes nothing.
    before = _state(pk)
    refused = _step(api, pk, "submit", expect=409)
    assert refused["message"]
    assert _state(pk) == before

    materials = [mat.id for mat in item.materials]
    case = _step(
        api, pk, "confirm", process_explained=True, applicant_signed=True, received=materials[:1]
    )["result"]
    assert case["status"] == "accepted" and case["due_date"]
    notice = _step(api, pk, "notify_missing", deadline=_future(), note="一次性告知")["result"]
    assert notice["status"] == "awaiting_materials"
    assert _step(api, pk, "supplement", supplied=materials[1:2])["result"]["status"] == (
        "awaiting_materials"
    )
    # back where it stood before the notice: accepted, still to be submitted to the window
    assert _step(api, pk, "supplement", supplied=materials[2:])["result"]["status"] == "accepted"
    assert _step(api, pk, "submit")["result"]["status"] == "in_progress"
    _step(api, pk, "contact", channel="phone", note="告知进度")
    _step(api, pk, "update", note="窗口已受理")
    extended = _step(
        api, pk, "extend", extra_days=3, reason="需现场核查", explained_to_applicant=True
    )
    assert extended["result"]["due_date"] > case["due_date"]
    departments = [d.id for d in item.parallel_departments]
    _step(
        api,
        pk,
        "joint_review",
        lead_unit=tree.town_a.id,
        scheduled_at="2030-05-06T09:30",
        departments=departments,
        location="三楼",
    )
    moved = _step(api, pk, "transfer", to_unit=tree.village_a1.id, note="就近办理")["result"]
    assert moved["handling_unit"]["id"] == tree.village_a1.id
    # The town still handles its village's cases (its subtree).
    done = _step(
        api, pk, "complete", results="营业执照", signed_by="张三", materials_returned="身份证原件"
    )["result"]
    assert done["status"] == "completed" and done["ended_at"]
    _step(api, pk, "evaluate", rating="2", channel="phone", comments="等太久")
    _step(api, pk, "evaluate", expect=409, rating="5", channel="phone")
    _step(api, pk, "return_visit", planned_on=_future(2), channel="phone", notes="回访整改")
    _step(api, pk, "update", expect=409, note="too late")

    evaluation = db.session.scalar(sa.select(m.Evaluation).where(m.Evaluation.case_id == pk))
    assert evaluation.rating.value == "2"
    assert db.session.scalar(
        sa.select(m.Rectification).where(m.Rectification.evaluation_id == evaluation.id)
    )
    listed = api.get(f"/api/v1/evaluation/{evaluation.id}").json["result"]
    assert listed["case"]["id"] == pk and listed["rating"] == "2"

    timeline = api.get(f"/api/v1/case/{pk}/timeline").json
    kinds = [e["kind"] for e in timeline["result"]]
    assert timeline["count"] == len(kinds)
    for kind in (
        "notice",
        "supplement",
        "contact",
        "update",
        "extension",
        "joint_review",
        "transfer",
        "handover",
        "evaluation",
        "return_visit",
    ):
        assert kind in kinds, kind
    statuses = [e["to_status"] for e in timeline["result"] if e["kind"] == "status"]
    assert statuses == [
        "applied",
        "accepted",
        "awaiting_materials",
        "accepted",
        "in_progress",
        "completed",
    ]
    assert {e["actor"] for e in timeline["result"]} == {"spec_a"}


def test_manager_submits_terminates_evaluates_and_deletes(api_app, people, tree):
    item = factories.service_item()
    applicant = factories.applicant(tree.village_a2)
    api = api_login(api_app, "mgr_a")
    pk = _apply(api, applicant.id, item.id, handling_unit=tree.village_a2.id)["id"]
    _step(
        api,
        pk,
        "confirm",
        process_explained=True,
        applicant_signed=True,
        received=[mat.id for mat in item.materials],
    )
    assert _step(api, pk, "submit")["result"]["status"] == "in_progress"
    _step(api, pk, "notify_missing", expect=422, deadline=_future())  # nothing is missing
    ended = _step(
        api,
        pk,
        "terminate",
        reason_type="applicant_request",
        reason="申请人撤回",
        applicant_signed=True,
        specialist_signed=True,
    )["result"]
    assert ended["status"] == "terminated"
    _step(api, pk, "complete", expect=409, results="x", signed_by="y")
    _step(api, pk, "evaluate", rating="5", channel="on_site")
    _step(api, pk, "return_visit", planned_on=_future(1))
    fresh = _apply(api, applicant.id, item.id)["id"]
    assert api.delete(f"/api/v1/case/{fresh}").status_code == 405  # kept: voided, never deleted
    assert db.session.get(m.Case, fresh) is not None


def test_leader_reads_but_cannot_act(api_app, people, tree):
    case = factories.case(tree.town_a, people.specialist)
    api = api_login(api_app, "leader_city")
    assert api.get(f"/api/v1/case/{case.id}").json["result"]["number"] == case.number
    assert api.get(f"/api/v1/case/{case.id}/timeline").json["count"] == 1
    before = _state(case.id)
    body = {"process_explained": True, "applicant_signed": True}
    assert api.post(f"/api/v1/case/{case.id}/confirm", json=body).status_code == 403
    assert api.post("/api/v1/case/", json={}).status_code == 403
    assert _state(case.id) == before


def test_admin_applies_with_a_handling_unit_and_completes(api_app, people, tree):
    item = factories.service_item()
    applicant = factories.applicant(tree.town_b)
    api = api_login(api_app, "admin_api")
    body = {"applicant": applicant.id, "item": item.id, "kind": "help", "needs": "x", **ACKS}
    no_unit = api.post("/api/v1/case/", json=body)
    assert no_unit.status_code == 422 and "handling_unit" in no_unit.json["errors"]
    pk = _apply(api, applicant.id, item.id, handling_unit=tree.town_b.id)["id"]
    _step(api, pk, "confirm", process_explained=True, applicant_signed=True)
    _step(api, pk, "submit")
    _step(api, pk, "complete", results="证照", signed_by="李四")
    assert _state(pk)[0] == "completed"


def test_application_rules_answer_422_naming_each_field(api_app, people, tree):
    item = factories.service_item(tiers=("city",))
    applicant = factories.applicant(tree.town_a)
    api = api_login(api_app, "spec_a")
    response = api.post(
        "/api/v1/case/",
        json={"applicant": applicant.id, "item": item.id, "kind": "proxy", "needs": "x"},
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"ack_voluntary", "ack_free", "ack_truthful"}
    wrong_tier = api.post(
        "/api/v1/case/",
        json={"applicant": applicant.id, "item": item.id, "kind": "help", "needs": "x", **ACKS},
    )
    assert wrong_tier.status_code == 422 and "item" in wrong_tier.json["errors"]
    proxy = api.post(
        "/api/v1/case/",
        json={
            "applicant": applicant.id,
            "item": item.id,
            "kind": "proxy",
            "needs": "x",
            "handling_unit": tree.town_a.id,
            **ACKS,
        },
    )
    assert proxy.status_code == 422 and "kind" in proxy.json["errors"]
    bogus = api.post("/api/v1/case/", json={"applicant": applicant.id, "kind": "other"})
    assert bogus.status_code == 422
    assert set(bogus.json["errors"]) >= {"item", "kind", "needs"}
    assert api.post("/api/v1/case/", data="not json").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(m.Case.id))) == 0


def test_invalid_step_fields_answer_422_and_change_nothing(api_app, people, tree):
    item = factories.service_item(parallel=False)
    case = factories.case(tree.town_a, people.specialist, item=item)
    api = api_login(api_app, "spec_a")
    before = _state(case.id)
    unsigned = _step(api, case.id, "confirm", expect=422)
    assert set(unsigned["errors"]) == {"process_explained", "applicant_signed"}
    foreign = _step(
        api,
        case.id,
        "confirm",
        expect=422,
        process_explained=True,
        applicant_signed=True,
        received=[999999],
    )
    assert set(foreign["errors"]) == {"received"}
    typed = _step(api, case.id, "confirm", expect=422, received=["one"], surprise=1)
    assert {"received.0", "surprise"} <= set(typed["errors"])
    assert _state(case.id) == before
    _step(api, case.id, "confirm", process_explained=True, applicant_signed=True)
    assert _step(api, case.id, "extend", expect=422, extra_days=0, reason="")["errors"].keys() >= {
        "extra_days",
        "reason",
    }
    unexplained = _step(api, case.id, "extend", expect=422, extra_days=2, reason="r")
    assert set(unexplained["errors"]) == {"explained_to_applicant"}
    assert (
        "channel" in _step(api, case.id, "contact", expect=422, channel="fax", note="x")["errors"]
    )
    past = _step(api, case.id, "notify_missing", expect=422, deadline="2000-01-01")
    assert set(past["errors"]) == {"deadline"}
    _step(
        api,
        case.id,
        "joint_review",
        expect=409,
        lead_unit=tree.town_a.id,
        scheduled_at="2030-01-01T09:00",
        departments=[],
    )
    away = _step(api, case.id, "transfer", expect=422, to_unit=tree.village_b1.id)
    assert set(away["errors"]) == {"to_unit"}
    same = _step(api, case.id, "transfer", expect=422, to_unit=tree.town_a.id)
    assert set(same["errors"]) == {"to_unit"}
    assert (
        api.post(
            f"/api/v1/case/{case.id}/update", data="[1,", content_type="application/json"
        ).status_code
        == 400
    )
    status, version, _events = _state(case.id)
    assert status == "accepted"
    stale = _step(api, case.id, "update", expect=409, note="late", version=version - 1)
    assert stale["message"]
    _step(api, case.id, "update", note="current", version=version)


def test_specialist_of_a_village_cannot_reach_the_towns_case(api_app, people, tree):
    case = factories.case(tree.town_a, people.specialist)
    api = api_login(api_app, "spec_a1")
    assert api.get(f"/api/v1/case/{case.id}").status_code == 404
    assert api.post(f"/api/v1/case/{case.id}/update", json={"note": "x"}).status_code == 404
    assert api.get("/api/v1/case/").json["count"] == 0
