"""The 12345 hand-off on a case: the hotline ticket number (validated, searchable, on the case
page and over the API) and the chase-up (催办) from a manager to the case's specialist, with a
response deadline, on the timeline, in the reminders, flagged when unanswered past it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.enums import EventKind
from app.extensions import db
from app.reminders import sweep
from tests.apiclient import api_login
from tests.test_reminders_helpers import at, make_people, recipients, running_case

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


def _kinds(case_id) -> list:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(m.CaseEvent.kind)
            .where(m.CaseEvent.case_id == case_id)
            .order_by(m.CaseEvent.id)
        ).scalars()
    )


def test_a_chase_up_reaches_the_specialist_and_is_flagged_when_unanswered(api_app, tree, login):
    people = make_people(tree)
    case = running_case(tree.village_a1, people.spec)
    manager = api_login(api_app, "mgr_a")
    specialist = api_login(api_app, "spec_a1")
    body = {
        "request": "12345 来电催问进度",
        "respond_by": "2026-06-10",
        "hotline_ticket": "2026060800123",
    }

    refused = specialist.post(f"/api/v1/case/{case.id}/chase_up", json=body)
    assert refused.status_code == 403  # a manager chases up, not the specialist
    bad = manager.post(f"/api/v1/case/{case.id}/chase_up", json={**body, "hotline_ticket": "12"})
    assert bad.status_code == 422 and "hotline_ticket" in bad.json["errors"]
    past = manager.post(
        f"/api/v1/case/{case.id}/chase_up", json={**body, "respond_by": "2026-06-01"}
    )
    assert past.status_code == 422 and "respond_by" in past.json["errors"]
    assert EventKind.CHASE_UP not in _kinds(case.id)

    done = manager.post(f"/api/v1/case/{case.id}/chase_up", json=body)
    assert done.status_code == 200, done.json
    assert done.json["result"]["hotline_ticket"] == "2026060800123"  # the case carries it now
    assert _kinds(case.id)[-1] == EventKind.CHASE_UP

    sweep.run(db.session, at(0, hour=10), dispatch=False, kinds={"chase_up", "chase_up_overdue"})
    assert recipients("chase_up") == ["spec_a1"]
    assert recipients("chase_up_overdue") == []

    # unanswered past the deadline: flagged on the page, reminded daily to all concerned
    sweep.run(db.session, at(3, hour=10), dispatch=False, kinds={"chase_up", "chase_up_overdue"})
    assert recipients("chase_up_overdue") == ["mgr_a", "spec_a1"]
    assert recipients("chase_up") == ["spec_a1"]  # once only
    clock.set_fixed(at(3, hour=10))
    page = login(api_app.test_client(), "spec_a1").get(f"/caseview/show/{case.id}").text
    assert 'id="flag-chase-up-overdue"' in page and "2026060800123" in page

    chase_id = db.session.execute(sa.select(m.ChaseUp.id)).scalar_one()
    reply = specialist.post(
        f"/api/v1/case/{case.id}/chase_up_reply",
        json={"chase_up": chase_id, "response": "已回复申请人，窗口明天出证"},
    )
    assert reply.status_code == 200, reply.json
    assert _kinds(case.id)[-1] == EventKind.CHASE_UP_REPLY
    again = specialist.post(
        f"/api/v1/case/{case.id}/chase_up_reply", json={"chase_up": chase_id, "response": "x"}
    )
    assert again.status_code == 409  # nothing left to answer: the step is not offered
    timeline = specialist.get(f"/api/v1/case/{case.id}/timeline").json["result"]
    assert [e["kind"] for e in timeline][-2:] == ["chase_up", "chase_up_reply"]
    page = login(api_app.test_client(), "spec_a1").get(f"/caseview/show/{case.id}").text
    assert 'id="flag-chase-up-overdue"' not in page
    sweep.run(db.session, at(4, hour=10), dispatch=False, kinds={"chase_up_overdue"})
    assert len([n for n in _notes("chase_up_overdue") if "2026-06-12" in n.dedup_key]) == 0


def _notes(kind):
    db.session.expire_all()
    return list(
        db.session.execute(sa.select(m.Notification).where(m.Notification.kind == kind)).scalars()
    )


def test_the_hotline_ticket_on_a_case_is_validated_and_searchable(api_app, tree, login):
    people = make_people(tree)
    case = running_case(tree.village_a1, people.spec)
    other = running_case(tree.village_a1, people.spec)
    api = api_login(api_app, "spec_a1")
    assert api.put(f"/api/v1/case/{case.id}", json={"hotline_ticket": "12 34"}).status_code == 422
    ok = api.put(f"/api/v1/case/{case.id}", json={"hotline_ticket": "jm-2026-000777"})
    assert ok.status_code == 200, ok.json
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).hotline_ticket == "JM-2026-000777"
    client = login(api_app.test_client(), "spec_a1")
    listing = client.get("/caseview/list/?_flt_2_hotline_ticket=000777").text
    assert case.number in listing and other.number not in listing
    bad = client.post(f"/caseview/edit/{case.id}", data={"needs": "x", "hotline_ticket": "<>"})
    assert bad.status_code == 200  # the form again, with the field's message
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).hotline_ticket == "JM-2026-000777"
