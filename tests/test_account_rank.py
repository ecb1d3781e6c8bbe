"""Account administration follows rank (issue 18): nobody creates, changes or resets an account
ranking as high as their own, and an import leaves existing accounts' passwords and roles alone
unless an Admin chooses otherwise."""

from __future__ import annotations

from app.extensions import db
from app.imports import jobs
from tests import factories
from tests.apiclient import api_login
from tests.test_imports import run_import, user_named, workbook

NEW_PASSWORD = "Taken@Over2026"


def _row(username, unit, roles, password=""):
    return {
        "username": username,
        "name": f"员工{username}",
        "unit_code": unit.code,
        "roles": roles,
        "active": True,
        "password": password,
    }


def _problems(results):
    return [{p["column"] for p in r["problems"]} for r in results["rows"]]


def test_a_manager_cannot_take_over_peers_or_superiors_by_import(app, tree, login):
    manager = factories.staff("a_manager", "Manager", tree.town_a)
    factories.staff("a_peer", "Manager", tree.town_a)
    factories.staff("a_leader", "Leader", tree.town_a)
    factories.staff("a_spec", "Specialist", tree.town_a)
    rows = [
        _row("a_peer", tree.town_a, ["Manager"], NEW_PASSWORD),
        _row("a_leader", tree.town_a, ["Specialist"], NEW_PASSWORD),
        _row("a_manager", tree.town_a, ["Manager"], NEW_PASSWORD),
        _row("a_new_mgr", tree.town_a, ["Manager"]),
        _row("a_spec", tree.town_a, ["Specialist"], NEW_PASSWORD),
    ]
    job, results = run_import(workbook("staff", {"staff": rows}), "staff", manager.user)
    assert job.status == jobs.REFUSED
    problems = _problems(results)
    assert "username" in problems[0] and "username" in problems[1] and "username" in problems[2]
    assert "roles" in problems[3]
    assert problems[4] == {"password"}  # a manager never resets a password by import
    job, _ = run_import(workbook("staff", {"staff": rows}), "staff", manager.user, valid_only=True)
    for username in ("a_peer", "a_leader", "a_manager", "a_spec"):
        login(app.test_client(), username)  # the old password still opens
    assert user_named("a_new_mgr") is None
    assert [r.name for r in user_named("a_leader").roles] == ["Leader"]


def test_an_admin_import_changes_passwords_and_roles_only_when_chosen(app, tree, login):
    factories.staff("admin", "Admin", None)
    factories.staff("a_spec", "Specialist", tree.town_a)
    factories.staff("other_admin", "Admin", None)
    rows = [_row("a_spec", tree.town_a, ["Manager"], NEW_PASSWORD)]
    job, results = run_import(workbook("staff", {"staff": rows}), "staff")
    assert job.status == jobs.REFUSED and _problems(results) == [{"password", "roles"}]
    old_token = api_login(app, "a_spec")
    assert old_token.get("/api/v1/case/").status_code == 200
    job, _ = run_import(workbook("staff", {"staff": rows}), "staff", update_accounts=True)
    assert job.status == jobs.DONE
    db.session.expire_all()
    assert [r.name for r in user_named("a_spec").roles] == ["Manager"]
    login(app.test_client(), "a_spec", NEW_PASSWORD)
    assert old_token.get("/api/v1/case/").status_code == 401  # the reset ended old tokens
    # Not even an Admin makes or changes an Admin by import.
    rows = [_row("other_admin", tree.town_a, ["Specialist"], NEW_PASSWORD)]
    job, results = run_import(workbook("staff", {"staff": rows}), "staff", update_accounts=True)
    assert job.status == jobs.REFUSED and "username" in _problems(results)[0]


def test_staff_screens_follow_rank(app, tree, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    form = client.get("/specialistview/account/new")
    assert form.status_code == 200
    assert 'value="Admin"' not in form.text
    answer = client.post(
        "/specialistview/account/new",
        data={
            "username": "second_admin",
            "password": NEW_PASSWORD,
            "name": "二号管理员",
            "role": "Admin",
            "unit": "",
        },
    )
    assert answer.status_code == 200
    assert user_named("second_admin") is None
