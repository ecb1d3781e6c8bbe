"""项目管家 "1+1+N" of a major investment project: the team (steward, enterprise contact, department
liaisons), the project log and the issue list with overdue flags, over the API and on the case
page, within the scope; phones masked for those who may not reveal them; bad input refused (the
steps themselves are driven on both surfaces by tests/test_steps.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.enums import ServiceKind
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

HOST = "http://bangban.test"


@pytest.fixture
def project(people, tree):
    case = factories.case(
        tree.town_a, people.specialist, major_project=True, kind=ServiceKind.PROXY
    )
    department = factories.department("ZRJ", "自然资源局")
    db.session.commit()
    return case, department


def _step(api, case, name, expect=200, **body):
    response = api.post(f"/api/v1/case/{case.id}/{name}", json=body)
    assert response.status_code == expect, (name, response.json)
    return response.json


def test_the_team_log_and_issues_over_the_api_and_on_the_page(api_app, people, project, login):
    case, department = project
    api = api_login(api_app, "spec_a")
    _step(api, case, "steward", steward=people.specialist.id)
    _step(api, case, "project_contact", contact_name="谭经理", contact_phone="13680021234")
    _step(api, case, "project_contact", contact_name="谭嘉欣", contact_phone="0750-5521101")
    _step(api, case, "add_liaison", department=department.id, person="黄科长", phone="13827061234")
    _step(api, case, "add_liaison", department=department.id, person="李科员", phone="13902880000")
    team = api.get(f"/api/v1/case/{case.id}/project").json["result"]
    assert team["steward"]["id"] == people.specialist.id
    assert team["contact"] == {"name": "谭嘉欣", "phone": "0750-5521101"}  # one contact, kept
    first = team["liaisons"][0]["id"]
    _step(api, case, "remove_liaison", liaison=first, note="人员调整")
    _step(api, case, "remove_liaison", expect=422, liaison=first)  # no longer offered
    _step(api, case, "project_log", on=clock.today().isoformat(), text="项目推进会")
    issue = _step(
        api,
        case,
        "raise_issue",
        title="用地规划许可待审",
        department=department.id,
        due_on=(clock.today() + dt.timedelta(days=3)).isoformat(),
    )
    assert issue["id"] == case.id
    team = api.get(f"/api/v1/case/{case.id}/project").json["result"]
    assert [li["removed_at"] is not None for li in team["liaisons"]] == [True, False]
    assert team["log"][0]["text"] == "项目推进会"
    (open_issue,) = team["issues"]
    assert open_issue["status"] == "open" and open_issue["overdue"] is False
    _step(api, case, "solve_issue", issue=open_issue["id"], solution="已协调")
    team = api.get(f"/api/v1/case/{case.id}/project").json["result"]
    assert team["issues"][0]["status"] == "solved" and team["issues"][0]["solution"] == "已协调"
    kinds = set(
        db.session.execute(
            sa.select(m.CaseEvent.kind).where(m.CaseEvent.case_id == case.id)
        ).scalars()
    )
    assert {"project_team", "project_log", "project_issue", "steward"} <= {k.value for k in kinds}
    client = login(api_app.test_client(), "spec_a")
    page = client.get(f"/caseview/show/{case.id}", base_url=HOST).text
    assert 'id="project-team"' in page and "谭嘉欣" in page and "黄科长" in page
    assert 'data-status="solved"' in page and "项目推进会" in page


def test_an_open_issue_past_its_due_date_is_flagged_overdue(api_app, people, project, login):
    case, department = project
    api = api_login(api_app, "spec_a")
    for days, title in ((-2, "环评批复待出"), (0, "今天到期"), (5, "下周到期")):
        due = (clock.today() + dt.timedelta(days=days)).isoformat()
        _step(api, case, "raise_issue", title=title, department=department.id, due_on=due)
    issues = api.get(f"/api/v1/case/{case.id}/project").json["result"]["issues"]
    assert {i["title"]: i["overdue"] for i in issues} == {
        "环评批复待出": True,
        "今天到期": False,
        "下周到期": False,
    }
    client = login(api_app.test_client(), "spec_a")
    page = client.get(f"/caseview/show/{case.id}", base_url=HOST).text
    assert page.count('data-overdue="yes"') == 1 and 'id="project-issues-overdue"' in page
    overdue = next(i for i in issues if i["overdue"])
    _step(api, case, "solve_issue", issue=overdue["id"], solution="已批复")
    issues = api.get(f"/api/v1/case/{case.id}/project").json["result"]["issues"]
    assert not any(i["overdue"] for i in issues)  # solved: no longer overdue


def test_the_team_is_edited_and_seen_only_within_scope(api_app, people, project):
    case, department = project
    body = {"contact_name": "谭嘉欣", "contact_phone": "13680021234"}
    outsider = api_login(api_app, "spec_b")  # town B: outside town A's subtree
    assert outsider.post(f"/api/v1/case/{case.id}/project_contact", json=body).status_code == 404
    assert outsider.get(f"/api/v1/case/{case.id}/project").status_code == 404
    village = api_login(api_app, "spec_a1")  # a station below: cannot see the town's case
    assert village.get(f"/api/v1/case/{case.id}/project").status_code == 404
    leader = api_login(api_app, "leader_city")  # sees it, may not change it
    assert leader.post(f"/api/v1/case/{case.id}/project_contact", json=body).status_code == 403
    api = api_login(api_app, "spec_a")
    _step(api, case, "project_contact", **body)
    seen = leader.get(f"/api/v1/case/{case.id}/project").json["result"]
    assert seen["contact"]["phone"] == "136****1234"  # masked: the leader may not reveal it
    assert db.session.scalar(sa.select(sa.func.count(m.ProjectTeam.id))) == 1


def test_a_case_that_is_not_a_major_project_has_no_team(api_app, people, tree):
    case = factories.case(tree.town_a, people.specialist)
    api = api_login(api_app, "spec_a")
    body = {"contact_name": "谭嘉欣", "contact_phone": "13680021234"}
    assert api.post(f"/api/v1/case/{case.id}/project_contact", json=body).status_code == 409
    assert api.get(f"/api/v1/case/{case.id}/project").status_code == 404


@pytest.mark.parametrize(
    "name, body, field",
    [
        ("project_contact", {"contact_name": "谭", "contact_phone": "12345"}, "contact_phone"),
        ("project_contact", {"contact_name": "", "contact_phone": "13680021234"}, "contact_name"),
        (
            "add_liaison",
            {"department": 999999, "person": "黄", "phone": "13827061234"},
            "department",
        ),
        ("add_liaison", {"department": "x", "person": "黄", "phone": "13827061234"}, "department"),
        ("project_log", {"on": "2999-01-01", "text": "未来"}, "on"),
        ("project_log", {"on": "yesterday", "text": "x"}, "on"),
        ("raise_issue", {"title": " ", "due_on": "2026-12-31"}, "title"),
        ("raise_issue", {"title": "问题", "due_on": "2026-13-40"}, "due_on"),
        ("solve_issue", {"issue": 2**40, "solution": "x"}, "issue"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_saves_nothing(
    api_app, people, project, name, body, field
):
    case, _department = project
    api = api_login(api_app, "spec_a")
    before = db.session.scalar(
        sa.select(sa.func.count(m.CaseEvent.id)).where(m.CaseEvent.case_id == case.id)
    )
    if name == "solve_issue":
        _step(api, case, "raise_issue", title="待办", due_on=clock.today().isoformat())
        before += 1
    response = api.post(f"/api/v1/case/{case.id}/{name}", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    db.session.expire_all()
    after = db.session.scalar(
        sa.select(sa.func.count(m.CaseEvent.id)).where(m.CaseEvent.case_id == case.id)
    )
    assert after == before
