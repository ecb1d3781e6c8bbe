"""The “办不成事” window on its surfaces: the desk's ledger (filters, figures, export) within the
tier scope, intake and steps on the screens, the public page with its check code, and the API
(intake, steps, refusals, timeline, figures), in the user's language."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app import checkcode
from app import models as m
from app.complaints import service
from app.domain import clock
from app.domain.status import ComplaintStatus as S
from app.extensions import db
from app.scope import scope_for_user
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

BODY = {"complainant": "李四", "mobile": "13800138000", "matter": "营业执照变更没办成"}


@pytest.fixture
def desk(api_app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    other = factories.staff("spec_b", "Specialist", tree.town_b)
    manager = factories.staff("mgr_city", "Manager", tree.city)
    dept = factories.department(name="市场监管局")
    db.session.commit()
    mine = service.intake(
        {**BODY, "channel": "hotline", "hotline_ticket": "2026120500123"},
        spec.user,
        scope=scope_for_user(spec.user),
    )
    theirs = service.intake(
        {**BODY, "complainant": "水步王五"}, other.user, scope=scope_for_user(other.user)
    )
    return spec, other, manager, dept, mine.id, theirs.id


def _row(pk):
    db.session.expire_all()
    return db.session.get(m.Complaint, pk)


def test_the_desk_ledger_is_scoped_filtered_counted_and_exported(api_app, desk, login):
    spec, other, manager, dept, mine, theirs = desk
    mine_no, theirs_no = _row(mine).number, _row(theirs).number
    client = login(api_app.test_client(), "spec_a")
    page = client.get("/complaints/").text
    assert mine_no in page and theirs_no not in page and "水步王五" not in page
    assert 'id="fig-total">1<' in page
    assert client.get("/complaints/?q=2026120500123").text.count("complaint-row") == 1
    assert client.get("/complaints/?status=archived").text.count("complaint-row") == 0
    for bad in ("status=nope", "date_from=2026-13-01", "page=-1", "channel=x"):
        assert client.get(f"/complaints/?{bad}").status_code == 400, bad
    book = load_workbook(io.BytesIO(client.get("/complaints/export/xlsx").data))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert mine_no in cells and theirs_no not in cells
    assert "138****8000" in cells and "13800138000" not in cells
    text = client.get("/complaints/export/csv").data.decode("utf-8-sig")
    assert mine_no in text and theirs_no not in text
    assert client.get("/complaints/export/pdf").status_code == 404
    # another subtree's complaint answers exactly like a missing one
    assert client.get(f"/complaints/show/{theirs}").status_code == 404
    assert client.get("/complaints/show/99999999").status_code == 404
    city = login(api_app.test_client(), "mgr_city").get("/complaints/").text
    assert mine_no in city and theirs_no in city


def test_steps_on_the_screen_refusals_kept_and_translated(api_app, desk, login):
    spec, other, manager, dept, mine, theirs = desk
    client = login(api_app.test_client(), "spec_a")
    client.get("/lang/zh")
    page = client.get(f"/complaints/show/{mine}").text
    assert "协调" in page and "转办部门" in page and "2026120500123" in page
    version = _row(mine).version_id
    bad = client.post(
        f"/complaints/step/{mine}/transfer",
        data={"department": str(dept.id), "working_days": "0", "version": str(version)},
    )
    assert bad.status_code == 422 and 'name="working_days"' in bad.text
    assert _row(mine).status == S.INTAKE
    refused = client.post(f"/complaints/step/{mine}/archive", data={"version": str(version)})
    assert refused.status_code == 409 and "不能" in refused.text
    done = client.post(
        f"/complaints/step/{mine}/transfer",
        data={
            "department": str(dept.id),
            "working_days": "3",
            "note": "转办",
            "version": str(version),
        },
    )
    assert done.status_code == 302, done.text[:500]
    stale = client.post(
        f"/complaints/step/{mine}/reply", data={"reply": "已答复", "version": str(version)}
    )
    assert stale.status_code == 409 and _row(mine).replied_at is None
    assert _row(mine).status == S.TRANSFERRED and _row(mine).department_id == dept.id
    assert (
        client.post(f"/complaints/step/{theirs}/coordinate", data={"note": "x"}).status_code == 404
    )
    assert client.post(f"/complaints/step/{mine}/nope", data={}).status_code == 404


def test_desk_intake_form(api_app, desk, login):
    spec, *_ = desk
    client = login(api_app.test_client(), "spec_a")
    assert client.get("/complaints/new").status_code == 200
    bad = client.post("/complaints/new", data={**BODY, "mobile": "123", "channel": "desk"})
    assert bad.status_code == 422 and "李四" in bad.text  # the input is kept
    ok = client.post("/complaints/new", data={**BODY, "channel": "desk"})
    assert ok.status_code == 302
    count = db.session.execute(sa.select(sa.func.count(m.Complaint.id))).scalar_one()
    assert count == 3


def test_the_public_page_takes_a_complaint_and_answers_with_the_check_code(
    api_app, desk, tree, monkeypatch
):
    monkeypatch.setattr(checkcode, "new_code", lambda: "3456")
    public = api_app.test_client()
    form = public.get("/complaint/").text
    assert tree.town_a.name in form and tree.village_a1.name not in form
    assert 'id="check-code-image"' in form
    town = {**BODY, "unit": str(tree.town_a.id), "image_code": "3456"}
    public.get("/complaint/checkcode.svg")  # the page's image: a new code
    bad = public.post("/complaint/", data={**town, "unit": str(tree.village_a1.id)})
    assert bad.status_code == 422
    public.get("/complaint/checkcode.svg")
    wrong = public.post("/complaint/", data={**town, "image_code": "9999"})
    assert wrong.status_code == 422 and 'name="image_code"' in wrong.text and "李四" in wrong.text
    assert public.post("/complaint/", data=town).status_code == 422  # the code was used up
    assert db.session.scalar(sa.select(sa.func.count(m.Complaint.id))) == 2
    public.get("/complaint/checkcode.svg")
    done = public.post("/complaint/", data=town)
    assert done.status_code == 200 and 'id="complaint-check-code"' in done.text
    row = db.session.execute(
        sa.select(m.Complaint).where(m.Complaint.channel == "public")
    ).scalar_one()
    assert row.check_code in done.text and row.unit_id == tree.town_a.id
    found = public.post(
        "/complaint/status", data={"number": row.number, "check_code": row.check_code}
    )
    assert 'id="complaint-result"' in found.text and "李四" not in found.text
    wrong = "000000" if row.check_code != "000000" else "111111"
    miss = public.post("/complaint/status", data={"number": row.number, "check_code": wrong})
    assert 'id="complaint-not-found"' in miss.text


def test_the_public_page_is_rate_limited(api_app, desk, tree):
    api_app.config["COMPLAINT_RATE_LIMIT"] = "2 per minute"
    try:
        public = api_app.test_client()
        answers = [
            public.post(
                "/complaint/status", data={"number": "X", "check_code": "123456"}
            ).status_code
            for _ in range(4)
        ]
    finally:
        api_app.config.pop("COMPLAINT_RATE_LIMIT")
    assert answers[:2] == [200, 200] and 429 in answers[2:]


def test_the_api_takes_in_runs_steps_and_refuses_clearly(api_app, desk, tree):
    spec, other, manager, dept, mine, theirs = desk
    api = api_login(api_app, "spec_a")
    made = api.post("/api/v1/complaint/", json={**BODY, "hotline_ticket": "jm-12345-9"})
    assert made.status_code == 201, made.json
    pk = made.json["id"]
    assert made.json["check_code"].isdigit() and made.json["result"]["unit"]["id"] is not None
    assert made.json["result"]["hotline_ticket"] == "JM-12345-9"
    bad = api.post("/api/v1/complaint/", json={**BODY, "mobile": "1", "hotline_ticket": "<>"})
    assert bad.status_code == 422 and {"mobile", "hotline_ticket"} <= set(bad.json["errors"])
    assert (
        api.post("/api/v1/complaint/", data="[1,", content_type="application/json").status_code
        == 400
    )
    assert api.post(f"/api/v1/complaint/{pk}/archive", json={}).status_code == 409
    assert api.post(f"/api/v1/complaint/{pk}/coordinate", json={"note": 5}).status_code == 422
    assert api.post(f"/api/v1/complaint/{pk}/coordinate", json={"note": "协调"}).status_code == 200
    step = api.post(f"/api/v1/complaint/{pk}/call_back", json={"result": "办成", "satisfied": True})
    assert step.status_code == 200 and step.json["result"]["status"] == "called_back"
    assert api.post(f"/api/v1/complaint/{theirs}/coordinate", json={"note": "x"}).status_code == 404
    assert api.get(f"/api/v1/complaint/{theirs}").status_code == 404
    timeline = api.get(f"/api/v1/complaint/{pk}/timeline").json["result"]
    assert [e["kind"] for e in timeline] == ["intake", "coordinate", "call_back"]
    figures = api.get("/api/v1/complaint/figures").json["result"]
    assert figures["total"] == 2 and figures["by_status"]["called_back"] == 1
    assert figures["satisfaction_rate"] == 100.0
    assert api.get("/api/v1/complaint/figures?date_from=x").status_code == 400
    listed = api.get("/api/v1/complaint/").json
    assert listed["count"] == 2
    factories.staff("leader_city", "Leader", tree.city)
    reading = api_login(api_app, "leader_city")
    assert reading.get("/api/v1/complaint/").json["count"] == 3
    assert reading.post(f"/api/v1/complaint/{pk}/archive", json={}).status_code == 403


def test_complaint_reminders_due_and_overdue(api_app, desk):
    from app.reminders import sweep
    from tests.test_reminders_helpers import recipients

    spec, other, manager, dept, mine, theirs = desk
    due = _row(mine).due_date
    when = dt.datetime.combine(due, dt.time(10), clock.TZ)
    sweep.run(db.session, when, dispatch=False, kinds={"complaint_due_soon", "complaint_overdue"})
    assert "spec_a" in recipients("complaint_due_soon")
    later = when + dt.timedelta(days=3)
    sweep.run(db.session, later, dispatch=False, kinds={"complaint_overdue"})
    assert {"spec_a", "mgr_city", "spec_b"} <= set(recipients("complaint_overdue"))
