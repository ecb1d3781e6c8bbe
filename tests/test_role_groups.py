"""Roles given through a group (FAB 5 groups) count as roles given directly: for an account's
rank, as the one acting and as the one being changed, on the user, password and group screens,
and wherever a user's roles give authority (scope, steps, recipients)."""

from __future__ import annotations

import sqlalchemy as sa

from app.domain.lifecycle import may_void
from app.extensions import db
from app.imports import jobs
from app.roles import account_rank, held_role_names, holds_role, rank_of
from app.scope import scope_for_user
from tests import factories
from tests.test_imports import run_import, workbook

NEW_PASSWORD = "Taken@Over2026"


def _sm(app):
    return app.appbuilder.sm


def _group(app, name, role_names, members=()):
    sm = _sm(app)
    group = sm.group_model(name=name, label=name)
    group.roles = [sm.find_role(n) for n in role_names]
    group.users = list(members)
    db.session.add(group)
    db.session.commit()
    return group


def _user(app, username):
    return _sm(app).find_user(username=username)


def test_a_role_given_through_a_group_counts_for_rank_scope_and_queries(app, tree):
    spec = factories.staff("g_spec", "Specialist", tree.town_a)
    admins = _group(app, "管理员组", ["Admin"], [spec.user])
    user = _user(app, "g_spec")
    assert held_role_names(user) == {"Specialist", "Admin"}
    assert rank_of(user) == 4  # acting
    assert account_rank(user) == 4  # being changed
    assert scope_for_user(user).everything
    sm = _sm(app)
    found = db.session.execute(
        sa.select(sm.user_model.username)
        .where(holds_role(sm.user_model, sm.find_role("Admin")))
        .order_by(sm.user_model.username)
    ).scalars()
    assert list(found) == ["g_spec"]
    admins.users = []
    db.session.commit()
    assert rank_of(user) == 1 and not scope_for_user(user).everything


def test_an_admin_does_not_change_an_account_that_is_admin_through_a_group(app, tree, login):
    factories.staff("admin", "Admin", None)
    factories.staff("g_peer", "Specialist", tree.town_a)
    peer = _user(app, "g_peer")
    _group(app, "管理员组", ["Admin"], [peer])
    peer_id = peer.id
    client = login(app.test_client(), "admin")
    assert client.get(f"/users/edit/{peer_id}").status_code == 403
    answer = client.post(
        f"/users/edit/{peer_id}",
        data={"first_name": "x", "last_name": "y", "username": "g_peer", "roles": []},
    )
    assert answer.status_code == 403
    answer = client.post(
        f"/resetpassword/form?pk={peer_id}",
        data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
    )
    assert answer.status_code == 403
    client.post(f"/users/delete/{peer_id}")
    db.session.expire_all()
    assert _user(app, "g_peer") is not None
    login(app.test_client(), "g_peer")  # the old password still opens


def test_an_admin_through_a_group_acts_with_the_admins_rank(app, tree, login):
    factories.staff("g_admin", "Specialist", tree.town_a)
    factories.staff("g_spec", "Specialist", tree.town_a)
    _group(app, "管理员组", ["Admin"], [_user(app, "g_admin")])
    spec_id = _user(app, "g_spec").id
    client = login(app.test_client(), "g_admin")
    assert client.get(f"/users/edit/{spec_id}").status_code == 200
    answer = client.post(
        f"/resetpassword/form?pk={spec_id}",
        data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
    )
    assert answer.status_code == 302
    login(app.test_client(), "g_spec", NEW_PASSWORD)


def test_no_role_as_high_as_ones_own_is_given_through_a_group(app, tree, login):
    sm = _sm(app)
    factories.staff("admin", "Admin", None)
    factories.staff("g_spec", "Specialist", tree.town_a)
    spec = _user(app, "g_spec")
    admins = _group(app, "管理员组", ["Admin"])
    managers = _group(app, "管理组", ["Manager"])
    spec_id, admins_id, managers_id = spec.id, admins.id, managers.id
    specialist_role = sm.find_role("Specialist").id
    client = login(app.test_client(), "admin")

    def edit_user(group_id):
        return client.post(
            f"/users/edit/{spec_id}",
            data={
                "first_name": "员工",
                "last_name": "g_spec",
                "username": "g_spec",
                "active": "y",
                "email": spec.email,
                "roles": [specialist_role],
                "groups": [group_id],
            },
        )

    # The user screen: not into a group that gives Admin; into one giving Manager, yes.
    edit_user(admins_id)
    db.session.expire_all()
    assert [g.name for g in _user(app, "g_spec").groups] == []
    assert edit_user(managers_id).status_code == 302
    db.session.expire_all()
    assert [g.name for g in _user(app, "g_spec").groups] == ["管理组"]

    # The group screen: a group giving Admin is not opened, made or filled.
    assert client.get(f"/groups/edit/{admins_id}").status_code == 403
    assert client.get(f"/groups/edit/{managers_id}").status_code == 200
    client.post(
        f"/groups/edit/{managers_id}",
        data={"name": "管理组", "label": "管理组", "roles": [sm.find_role("Admin").id]},
    )
    client.post("/groups/add", data={"name": "新管理员组", "roles": [sm.find_role("Admin").id]})
    db.session.expire_all()
    assert sm.find_group("新管理员组") is None
    assert [r.name for r in sm.find_group("管理组").roles] == ["Manager"]
    assert rank_of(_user(app, "g_spec")) == 2


def test_a_manager_through_a_group_voids_and_an_import_counts_group_roles(app, tree):
    spec = factories.staff("g_spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    assert not may_void(case, spec.user)
    _group(app, "管理组", ["Manager"], [spec.user])
    assert may_void(case, _user(app, "g_spec"))

    manager = factories.staff("g_mgr", "Manager", tree.town_a)
    factories.staff("g_lead", "Specialist", tree.town_a)
    _group(app, "领导组", ["Leader"], [_user(app, "g_lead")])
    row = {
        "username": "g_lead",
        "name": "员工g_lead",
        "unit_code": tree.town_a.code,
        "roles": ["Specialist"],
        "active": True,
        "password": "",
    }
    job, results = run_import(workbook("staff", {"staff": [row]}), "staff", manager.user)
    assert job.status == jobs.REFUSED
    assert {p["column"] for p in results["rows"][0]["problems"]} == {"username"}
