"""Bulk reassignment: a manager ticks cases in the list and gives them to one specialist; each
case runs the "assign" step (timeline and audit per case), scoped, reported case by case."""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.domain import lifecycle
from app.enums import EventKind, TerminationReason
from app.extensions import db
from tests import factories


def _world(tree):
    w = type("W", (), {})()
    w.manager = factories.staff("mgr", "Manager", tree.town_a)
    w.spec = factories.staff("spec", "Specialist", tree.town_a)
    w.spec2 = factories.staff("spec2", "Specialist", tree.town_a)
    w.village = factories.staff("vspec", "Specialist", tree.village_a1)
    w.other = factories.staff("bspec", "Specialist", tree.town_b)
    return w


def _events(case_id, kind=EventKind.ASSIGN):
    return (
        db.session.execute(
            sa.select(m.CaseEvent).where(m.CaseEvent.case_id == case_id, m.CaseEvent.kind == kind)
        )
        .scalars()
        .all()
    )


def _audits(case_id):
    rows = db.session.execute(
        sa.select(m.AuditLog).where(
            m.AuditLog.action == "step",
            m.AuditLog.table_name == "service_case",
            m.AuditLog.row_id == str(case_id),
        )
    ).scalars()
    return [row.after.get("step") for row in rows]


def test_manager_reassigns_three_cases_in_one_action(app, tree, login):
    w = _world(tree)
    cases = [factories.case(tree.town_a, w.spec) for _ in range(3)]
    client = login(app.test_client(), "mgr")
    listing = client.get("/caseview/list/")
    assert 'name="rowid"' in listing.text and "reassign" in listing.text

    page = client.post(
        "/caseview/action_post",
        data={"action": "reassign", "rowid": [str(c.id) for c in cases]},
    )
    assert page.status_code == 200, page.text[:2000]
    for case in cases:
        assert f'name="case" value="{case.id}"' in page.text
    assert f'value="{w.spec2.id}"' in page.text and f'value="{w.village.id}"' in page.text
    assert f'value="{w.other.id}"' not in page.text  # another town's specialist: out of scope

    done = client.post(
        "/caseview/reassign?_l_=zh",
        data={"case": [str(c.id) for c in cases], "specialist": str(w.spec2.id), "note": "调整"},
    )
    assert done.status_code == 200
    assert done.text.count('data-done="yes"') == 3
    assert "已改派 3 件" in done.text  # in the user's language
    db.session.expire_all()
    for case in cases:
        assert db.session.get(m.Case, case.id).specialist_id == w.spec2.id
        events = _events(case.id)
        assert len(events) == 1 and events[0].note == "调整"
        assert events[0].actor_id == w.manager.user.id
        assert _audits(case.id) == ["assign"]

    # the same again changes nothing: no second timeline or audit entry
    again = client.post(
        "/caseview/reassign",
        data={"case": [str(c.id) for c in cases], "specialist": str(w.spec2.id)},
    )
    assert again.text.count('data-done="yes"') == 3
    db.session.expire_all()
    assert all(len(_events(c.id)) == 1 for c in cases)


def test_each_case_is_reported_and_a_refused_one_holds_back_no_other(app, tree, login):
    w = _world(tree)
    fine = factories.case(tree.town_a, w.spec)
    at_village = factories.case(tree.village_a1, w.village)
    closed = factories.case(tree.town_a, w.spec)
    lifecycle.terminate(
        db.session,
        closed,
        w.spec.user,
        reason_type=TerminationReason.APPLICANT_REQUEST,
        reason="撤回",
        materials_returned="",
        applicant_signed=True,
        specialist_signed=True,
    )
    elsewhere = factories.case(tree.town_b, w.other)
    db.session.commit()
    client = login(app.test_client(), "mgr")
    # the list's action refuses a case out of scope outright
    assert (
        client.post(
            "/caseview/action_post",
            data={"action": "reassign", "rowid": [str(fine.id), str(elsewhere.id)]},
        ).status_code
        == 404
    )
    answer = client.post(
        "/caseview/reassign?_l_=en",
        data={
            "case": [str(fine.id), str(at_village.id), str(closed.id), str(elsewhere.id)],
            "specialist": str(w.spec2.id),
        },
    )
    assert answer.status_code == 200
    text = answer.text
    assert f'data-case="{fine.id}" class="success" data-done="yes"' in text
    assert f'data-case="{at_village.id}" class="danger" data-done="no"' in text
    assert "公益村便民服务站" in text and "transfer it" in text  # why: not of that unit
    assert f'data-case="{closed.id}" class="danger"' in text
    assert f'data-case="{elsewhere.id}" class="danger"' in text
    assert "No such case, or not one you may see." in text
    assert "3 cases were not reassigned" in text
    db.session.expire_all()
    assert db.session.get(m.Case, fine.id).specialist_id == w.spec2.id
    assert db.session.get(m.Case, at_village.id).specialist_id == w.village.id
    assert db.session.get(m.Case, elsewhere.id).specialist_id == w.other.id
    assert _events(at_village.id) == [] and _events(elsewhere.id) == []
    assert _audits(closed.id) == []


def test_out_of_scope_specialist_and_other_roles_are_refused(app, tree, login):
    w = _world(tree)
    case = factories.case(tree.town_a, w.spec)
    client = login(app.test_client(), "mgr")
    answer = client.post(
        "/caseview/reassign", data={"case": [str(case.id)], "specialist": str(w.other.id)}
    )
    assert 'data-done="no"' in answer.text
    missing = client.post("/caseview/reassign", data={"case": [str(case.id)], "specialist": ""})
    assert missing.status_code == 422
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).specialist_id == w.spec.id

    spec = login(app.test_client(), "spec")
    assert "reassign" not in spec.get("/caseview/list/").text
    assert (
        spec.post(
            "/caseview/reassign", data={"case": [str(case.id)], "specialist": str(w.spec2.id)}
        ).status_code
        == 403
    )
    assert (
        spec.post(
            "/caseview/action_post", data={"action": "reassign", "rowid": [str(case.id)]}
        ).status_code
        == 403
    )
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).specialist_id == w.spec.id


def test_the_api_reassigns_in_bulk_within_the_scope(app, tree):
    from tests.apiclient import api_login

    w = _world(tree)
    cases = [factories.case(tree.town_a, w.spec) for _ in range(3)]
    elsewhere = factories.case(tree.town_b, w.other)
    api = api_login(app, "mgr", language="zh")
    ids = [c.id for c in cases]

    answer = api.post(
        "/api/v1/case/reassign",
        json={"cases": [*ids, elsewhere.id, ids[0]], "specialist": w.spec2.id, "note": "休假"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.json
    assert (body["reassigned"], body["unchanged"], body["refused"]) == (3, 0, 1)
    assert [r["id"] for r in body["result"]] == [*ids, elsewhere.id]  # duplicates once
    assert body["result"][3]["done"] is False and body["result"][3]["number"] is None
    assert elsewhere.number not in answer.get_data(as_text=True)  # out of scope: like missing
    db.session.expire_all()
    for case in cases:
        assert db.session.get(m.Case, case.id).specialist_id == w.spec2.id
        assert len(_events(case.id)) == 1 and _audits(case.id) == ["assign"]
    assert db.session.get(m.Case, elsewhere.id).specialist_id == w.other.id

    again = api.post("/api/v1/case/reassign", json={"cases": ids[:1], "specialist": w.spec2.id})
    assert again.json["unchanged"] == 1 and again.json["reassigned"] == 0

    for bad, field in (
        ({"cases": ids, "specialist": w.other.id}, "specialist"),  # another town: out of scope
        ({"cases": [], "specialist": w.spec.id}, "cases"),
        ({"cases": ["x"], "specialist": w.spec.id}, "cases"),
        ({"cases": ids, "specialist": w.spec.id, "status": "completed"}, "status"),
    ):
        refused = api.post("/api/v1/case/reassign", json=bad)
        assert refused.status_code == 422, bad
        assert field in refused.json["errors"], refused.json
    assert (
        "专员"
        in api.post("/api/v1/case/reassign", json={"cases": ids}).json["errors"]["specialist"][0]
    )
    assert api.post("/api/v1/case/reassign", data="[1]").status_code == 400
    db.session.expire_all()
    assert all(db.session.get(m.Case, c.id).specialist_id == w.spec2.id for c in cases)

    spec = api_login(app, "spec")
    refused = spec.post("/api/v1/case/reassign", json={"cases": ids, "specialist": w.spec.id})
    assert refused.status_code == 403
    db.session.expire_all()
    assert all(db.session.get(m.Case, c.id).specialist_id == w.spec2.id for c in cases)
