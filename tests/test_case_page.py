"""The case's page: a specialist takes a case through its steps in the browser's forms."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.domain.calendar import seed_official_calendar
from app.domain.status import CaseStatus as S
from app.extensions import db
from tests import factories


def form_version(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def post_step(client, case_id, step, data):
    """Open the step's form (for the case's version) and save it; a step the case does not
    offer now is posted without a version (its form page sends the user back to the case)."""
    page = client.get(f"/caseview/step/{case_id}/{step}")
    assert page.status_code in (200, 302), (step, page.status_code)
    payload = {**data}
    if page.status_code == 200:
        payload["version"] = form_version(page.text)
    return client.post(f"/caseview/step/{case_id}/{step}", data=payload)


def reload(case_id) -> m.Case:
    db.session.expire_all()
    return db.session.get(m.Case, case_id)


def test_a_specialist_takes_a_case_from_application_to_evaluation(app, tree, login):
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    spec = factories.staff("spec", "Specialist", tree.town_a)
    applicant = factories.applicant(tree.town_a, birth=dt.date(1950, 5, 5))
    item = factories.service_item(materials=3)
    client = login(app.test_client(), "spec")

    page = client.get(f"/caseview/add?item={item.id}")
    assert page.status_code == 200
    response = client.post(
        "/caseview/add",
        data={
            "applicant": applicant.id,
            "item": item.id,
            "kind": "proxy",
            "needs": "代办营业执照",
            "handling_unit": tree.town_a.id,
            "specialist": spec.id,
            "ack_voluntary": "y",
            "ack_free": "y",
            "ack_truthful": "y",
        },
    )
    assert response.status_code == 302, response.text[:3000]
    case = db.session.execute(sa.select(m.Case)).scalar_one()
    assert case.kind.value == "proxy" and case.status == S.APPLIED

    show = client.get(f"/caseview/show/{case.id}")
    assert "确认委托" in show.text or 'data-step="confirm"' in show.text
    mats = [mat.id for mat in item.materials]
    r = post_step(
        client,
        case.id,
        "confirm",
        {"process_explained": "y", "applicant_signed": "y", "received": [mats[0]]},
    )
    assert r.status_code == 302, r.text[:3000]
    assert reload(case.id).status == S.ACCEPTED
    notice_page = client.get(f"/caseview/step/{case.id}/notify_missing")
    assert item.materials[1].how_to_obtain in notice_page.text
    assert item.materials[2].name in notice_page.text
    deadline = (clock.today() + dt.timedelta(days=10)).isoformat()
    assert post_step(client, case.id, "notify_missing", {"deadline": deadline}).status_code == 302
    assert reload(case.id).status == S.AWAITING_MATERIALS
    assert post_step(client, case.id, "supplement", {"supplied": mats[1:]}).status_code == 302
    # back where it stood before the notice: accepted, still to be submitted to the window
    assert reload(case.id).status == S.ACCEPTED
    assert post_step(client, case.id, "submit", {}).status_code == 302
    assert reload(case.id).status == S.IN_PROGRESS
    assert (
        post_step(
            client, case.id, "contact", {"channel": "phone", "note": "已电话告知进度"}
        ).status_code
        == 302
    )
    assert (
        post_step(
            client,
            case.id,
            "fee_guidance",
            {"payee": "税务窗口", "amount": "80", "note": "申请人自行缴纳"},
        ).status_code
        == 302
    )
    assert (
        post_step(
            client,
            case.id,
            "extend",
            {"extra_days": "3", "reason": "需现场核查", "explained_to_applicant": "y"},
        ).status_code
        == 302
    )
    assert (
        post_step(
            client,
            case.id,
            "complete",
            {
                "results": "营业执照一份",
                "materials_returned": "身份证原件",
                "signed_by": applicant.name,
            },
        ).status_code
        == 302
    )
    assert reload(case.id).status == S.COMPLETED
    assert (
        post_step(
            client, case.id, "evaluate", {"rating": "5", "channel": "on_site", "comments": "很好"}
        ).status_code
        == 302
    )
    show = client.get(f"/caseview/show/{case.id}")
    timeline = show.text[show.text.index('id="case-timeline"') :]
    for kind in (
        "status",
        "notice",
        "supplement",
        "contact",
        "fee_guidance",
        "extension",
        "handover",
        "evaluation",
    ):
        assert f'data-kind="{kind}"' in timeline, kind
    assert "员工spec" in timeline  # who


def test_illegal_step_is_refused_with_a_message_and_changes_nothing(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "spec")
    response = post_step(
        client, case.id, "complete", {"results": "x", "signed_by": "x", "materials_returned": ""}
    )
    assert response.status_code == 200
    assert "时不能执行" in response.text and "已申请" in response.text
    assert reload(case.id).status == S.APPLIED


def test_missing_signature_keeps_the_input(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "spec")
    response = post_step(client, case.id, "confirm", {"note": "我写的说明文字"})
    assert response.status_code == 200
    assert "我写的说明文字" in response.text
    assert "须由申请人签字确认" in response.text
    assert reload(case.id).status == S.APPLIED


def test_concurrent_edit_is_refused_and_keeps_the_input(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    first = login(app.test_client(), "spec")
    second = login(app.test_client(), "spec")
    page_one = first.get(f"/caseview/step/{case.id}/contact")
    page_two = second.get(f"/caseview/step/{case.id}/contact")
    ok = first.post(
        f"/caseview/step/{case.id}/contact",
        data={"version": form_version(page_one.text), "channel": "phone", "note": "第一位同事"},
    )
    assert ok.status_code == 302
    stale = second.post(
        f"/caseview/step/{case.id}/contact",
        data={"version": form_version(page_two.text), "channel": "sms", "note": "第二位同事的记录"},
    )
    assert stale.status_code == 200
    assert "其他人" in stale.text or "他人" in stale.text
    assert "第二位同事的记录" in stale.text
    notes = (
        db.session.execute(sa.select(m.CaseEvent.note).where(m.CaseEvent.case_id == case.id))
        .scalars()
        .all()
    )
    assert "第一位同事" in notes and "第二位同事的记录" not in notes


def test_transferred_case_is_visible_to_both_sides_but_edited_by_the_handler(app, tree, login):
    village = factories.staff("vs", "Specialist", tree.village_a1)
    factories.staff("ts", "Specialist", tree.town_a)
    case = factories.case(tree.village_a1, village)
    client = login(app.test_client(), "vs")
    page = client.get(f"/caseview/step/{case.id}/transfer")
    assert tree.town_a.name in page.text
    assert tree.town_b.name not in page.text
    r = client.post(
        f"/caseview/step/{case.id}/transfer",
        data={"version": form_version(page.text), "to_unit": tree.town_a.id},
    )
    assert r.status_code == 302
    assert client.get(f"/caseview/show/{case.id}").status_code == 200
    refused = client.get(f"/caseview/step/{case.id}/contact")
    assert refused.status_code == 302
    town = login(app.test_client(), "ts")
    assert town.get(f"/caseview/step/{case.id}/contact").status_code == 200


def test_leader_cannot_take_steps(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("leader", "Leader", tree.city)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "leader")
    assert client.get(f"/caseview/show/{case.id}").status_code == 200
    assert client.get(f"/caseview/step/{case.id}/contact").status_code == 403


def test_other_town_gets_404(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("other", "Specialist", tree.town_b)
    case = factories.case(tree.town_a, spec)
    client = login(app.test_client(), "other")
    assert client.get(f"/caseview/show/{case.id}").status_code == 404
    assert client.get(f"/caseview/step/{case.id}/contact").status_code == 404
    assert client.get("/caseview/show/999999").status_code == 404


def test_empty_related_fields_read_as_a_dash_not_none(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)  # no project steward
    assert case.steward_id is None
    client = login(app.test_client(), "spec")
    for url in (f"/caseview/show/{case.id}", "/caseview/list/", "/mycaseview/list/"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = re.sub(r"<script.*?</script>|<[^>]+>", " ", page.text, flags=re.S)
        assert not re.search(r"\bNone\b", text), url


def test_the_case_page_shows_each_field_once_and_flags_a_notice_past_its_deadline(app, tree, login):
    from app.domain import lifecycle

    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    case.item.window_number = "C05"
    case.item.hall_location = "二楼C区 工程建设项目审批专区"
    case.needs = "帮助填写申请书并网上申报"
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    lifecycle.notify_missing(
        db.session, case, spec.user, deadline=clock.today() + dt.timedelta(days=5)
    )
    db.session.commit()
    client = login(app.test_client(), "spec")
    page = client.get(f"/caseview/show/{case.id}").text
    # One summary: no second panel repeating the case's fields below the timeline.
    assert page.count(case.needs) == 1 and page.count(case.item.name) == 1
    assert 'id="Home"' not in page
    assert "C05" in page and "二楼C区 工程建设项目审批专区" in page
    assert "notice-overdue" not in page
    notice = db.session.execute(sa.select(m.MaterialNotice)).scalar_one()
    notice.deadline = clock.today() - dt.timedelta(days=1)
    db.session.commit()
    assert "notice-overdue" in client.get(f"/caseview/show/{case.id}").text
