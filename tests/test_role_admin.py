"""Administrators manage permissions (issue 18): the role screens show every role's real
permissions; an Admin makes roles from permissions and adjusts built-in ones within guard rails;
every role is held to the tier scope; changes are audited and survive a deploy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import models as m
from app import permissions
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.roles import MINIMUMS, ROLES, rank_of, target_rank
from tests import factories


@pytest.fixture
def roles_restored(app):
    """Roles, their permissions and the default-grant ledger as they were before the test."""
    sm = app.appbuilder.sm
    before = {r.name: {pv.id for pv in r.permissions} for r in sm.get_all_roles()}
    ledger = [
        (g.role_name, g.view_menu, g.permission)
        for g in db.session.execute(sa.select(m.RoleDefaultGrant)).scalars()
    ]
    yield
    db.session.rollback()
    pvs = {pv.id: pv for pv in permissions.catalogue(db.session).values()}
    for role in sm.get_all_roles():
        if role.name not in before:
            role.permissions = []
            db.session.delete(role)
        else:
            role.permissions = [pvs[i] for i in sorted(before[role.name]) if i in pvs]
    db.session.execute(sa.delete(m.RoleDefaultGrant))
    db.session.add_all(
        m.RoleDefaultGrant(role_name=r, view_menu=v, permission=p) for r, v, p in ledger
    )
    db.session.commit()


def _ids(*keys):
    pvs = permissions.catalogue(db.session)
    return {pvs[k].id for k in keys}


def _role(name):
    from flask import current_app

    return current_app.appbuilder.sm.find_role(name)


WINDOW_STAFF = [  # 窗口人员: record walk-in help and read cases
    ("WalkInDeskView", "can_index"),
    ("WalkInDeskView", "can_record"),
    ("WalkInDesk", "menu_access"),
    ("CaseView", "can_list"),
    ("CaseView", "can_show"),
    ("CaseWork", "menu_access"),
    ("Cases", "menu_access"),
]
AUDITOR = [  # 审计员: read the audit trail
    ("AuditLogView", "can_list"),
    ("AuditLogView", "can_show"),
    ("AuditLog", "menu_access"),
    ("System", "menu_access"),
]


def test_built_in_roles_hold_their_permissions_as_rows(app):
    pvs = permissions.catalogue(db.session)
    for name, specs in ROLES.items():
        held = permissions.keys_of(_role(name))
        assert permissions.expand(specs, pvs) <= held, name
        assert permissions.minimum_of(name, pvs) <= held, name
        assert not any(permissions.is_reserved(k) for k in held), name
        assert len(permissions.minimum_of(name, pvs)) >= len(MINIMUMS[name]), name
    assert permissions.keys_of(_role("Admin")) == set(pvs)
    # FAB evaluates no role from code any more: its checks read these rows.
    assert app.appbuilder.sm.builtin_roles == {}


def test_the_role_screen_shows_real_permissions_translated(app, tree, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    manager = _role("Manager")
    page = client.get(f"/roles/show/{manager.id}")
    assert page.status_code == 200
    text = page.text
    assert "管理人员" in text
    for label in ("全部办件", "列表", "查看", "添加", "编辑", "菜单"):
        assert label in text, label
    english = client.get(f"/roles/show/{manager.id}?_l_=en").text
    assert "All cases" in english and "List" in english


def test_sync_keeps_admin_changes_and_re_adds_the_minimum(app, roles_restored):
    sm = app.appbuilder.sm
    pvs = permissions.catalogue(db.session)
    manager = _role("Manager")
    merge = pvs[("ApplicantView", "can_merge")]  # a default, not in the minimum
    extra = pvs[("AuditLogView", "can_list")]  # not a default
    needed = pvs[("CaseView", "can_list")]  # in the minimum
    reserved = pvs[("RoleModelView", "can_edit")]
    manager.permissions.remove(merge)
    manager.permissions.append(extra)
    manager.permissions.remove(needed)  # (behind the guard rails' back)
    manager.permissions.append(reserved)
    db.session.commit()

    sm.sync_roles_and_permissions()
    db.session.commit()

    held = {pv.id for pv in _role("Manager").permissions}
    assert merge.id not in held  # an Admin's revocation survives the deploy
    assert extra.id in held  # and so does an Admin's grant
    assert needed.id in held  # the minimum is back
    assert reserved.id not in held  # accounts and roles stay the Admins'


def test_a_new_default_is_given_once(app, roles_restored):
    """A default that appears in code (a new screen) reaches the role at the next deploy; once
    given and then revoked, it stays revoked."""
    sm = app.appbuilder.sm
    pvs = permissions.catalogue(db.session)
    key = ("ApplicantView", "can_merge")
    db.session.execute(
        sa.delete(m.RoleDefaultGrant).where(
            m.RoleDefaultGrant.role_name == "Manager",
            m.RoleDefaultGrant.view_menu == key[0],
            m.RoleDefaultGrant.permission == key[1],
        )
    )
    manager = _role("Manager")
    manager.permissions.remove(pvs[key])
    db.session.commit()
    sm.sync_roles_and_permissions()
    db.session.commit()
    assert key in permissions.keys_of(_role("Manager"))
    manager = _role("Manager")
    manager.permissions.remove(pvs[key])
    db.session.commit()
    sm.sync_roles_and_permissions()
    db.session.commit()
    assert key not in permissions.keys_of(_role("Manager"))


def test_guard_rails(app, tree, roles_restored):
    admin = factories.staff("admin", "Admin", None)
    admin_user = app.appbuilder.sm.find_user(username="admin")
    assert admin is None
    manager = _role("Manager")
    held = {pv.id for pv in manager.permissions}

    # A built-in role keeps what its screens need.
    with pytest.raises(ValidationFailed) as refused:
        permissions.save_role(
            db.session,
            admin_user,
            permissions.RoleChange(permission_ids=held - _ids(("CaseView", "can_list"))),
            manager,
        )
    assert "permissions" in refused.value.errors
    db.session.rollback()
    # Accounts, roles and permissions stay the Admins'.
    with pytest.raises(ValidationFailed):
        permissions.save_role(
            db.session,
            admin_user,
            permissions.RoleChange(permission_ids=held | _ids(("UserDBModelView", "can_edit"))),
            manager,
        )
    db.session.rollback()
    # No one changes Admin (no one ranks above it); it cannot be emptied.
    with pytest.raises(permissions.RoleRefused):
        permissions.save_role(
            db.session, admin_user, permissions.RoleChange(permission_ids=set()), _role("Admin")
        )
    db.session.rollback()
    # Names: new, not a built-in one in any language, not empty.
    for name in ("Manager", "管理人员", " ", "manager"):
        with pytest.raises(ValidationFailed):
            permissions.save_role(
                db.session, admin_user, permissions.RoleChange(name=name, permission_ids=set())
            )
        db.session.rollback()
    # Within the rails it works: the Manager loses a default and gains a permission.
    wanted = held - _ids(("ApplicantView", "can_merge")) | _ids(("AuditLogView", "can_list"))
    permissions.save_role(
        db.session, admin_user, permissions.RoleChange(permission_ids=wanted), manager
    )
    db.session.commit()
    assert {pv.id for pv in _role("Manager").permissions} == wanted
    entries = (
        db.session.execute(
            sa.select(m.AuditLog).where(
                m.AuditLog.table_name == "ab_role", m.AuditLog.row_id == str(manager.id)
            )
        )
        .scalars()
        .all()
    )
    assert entries, "the change is audited"
    last = entries[-1]
    assert any("AuditLogView" in p for p in last.after["permissions"])
    assert any("ApplicantView" in p for p in last.before["permissions"])


def test_a_custom_role_ranks_by_what_it_holds(app, tree, roles_restored):
    factories.staff("admin", "Admin", None)
    admin_user = app.appbuilder.sm.find_user(username="admin")
    window = permissions.save_role(
        db.session,
        admin_user,
        permissions.RoleChange(name="窗口人员", permission_ids=_ids(*WINDOW_STAFF)),
    )
    auditor = permissions.save_role(
        db.session,
        admin_user,
        permissions.RoleChange(name="审计员", permission_ids=_ids(*AUDITOR)),
    )
    db.session.commit()
    assert target_rank(window) == 1  # within Specialist's permissions
    assert target_rank(auditor) == 3  # beyond any built-in role but Admin
    manager = factories.staff("a_mgr", "Manager", tree.town_a)
    assert [r.name for r in permissions.assignable_roles(manager.user)] == [
        "Specialist",
        "窗口人员",
    ]
    names = [r.name for r in permissions.assignable_roles(admin_user)]
    assert names[:3] == ["Manager", "Specialist", "Leader"] and {"窗口人员", "审计员"} <= set(names)
    holder = factories.staff("a_audit", "Specialist", tree.town_a)
    holder.user.roles = [auditor]
    db.session.commit()
    assert rank_of(holder.user) == 1  # it gives its holder no power over accounts


def test_admin_makes_an_auditor_who_reads_the_audit_trail_of_their_tier_only(
    app, tree, login, roles_restored
):
    """The journey: an Admin makes 审计员 on the role screen, gives it to a town's staff member,
    who then reads the audit trail of that town (and nothing of the other town) and nothing else."""
    factories.staff("admin", "Admin", None)
    factories.staff("a_staff", "Specialist", tree.town_a)
    factories.applicant(tree.town_a, name="大江申请人")
    other = factories.applicant(tree.town_b, name="水步申请人")
    admin = login(app.test_client(), "admin")

    form = admin.get("/roles/add")
    assert form.status_code == 200 and "role-permissions" in form.text
    response = admin.post(
        "/roles/add",
        data={"name": "审计员", "permission": sorted(_ids(*AUDITOR))},
    )
    assert response.status_code == 302, response.text[:400]
    auditor = _role("审计员")
    assert permissions.keys_of(auditor) == set(AUDITOR)
    shown = admin.get(f"/roles/show/{auditor.id}").text
    assert "审计员" in shown and "审计日志" in shown
    created = (
        db.session.execute(sa.select(m.AuditLog).where(m.AuditLog.table_name == "ab_role"))
        .scalars()
        .all()
    )
    assert any(e.action == "create" for e in created)

    specialist = db.session.execute(
        sa.select(m.Specialist).where(m.Specialist.name == "员工a_staff")
    ).scalar_one()
    response = admin.post(f"/specialistview/role/{specialist.id}", data={"role": "审计员"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [r.name for r in specialist.user.roles] == ["审计员"]

    reader = login(app.test_client(), "a_staff")
    trail = reader.get("/auditlogview/list/?psize_AuditLogView=100")
    assert trail.status_code == 200
    rows = (
        db.session.execute(sa.select(m.AuditLog).where(m.AuditLog.table_name == "applicant"))
        .scalars()
        .all()
    )
    mine = [e for e in rows if e.row_id != str(other.id)]
    theirs = [e for e in rows if e.row_id == str(other.id)]
    assert mine and theirs
    for entry in mine:
        assert f"/auditlogview/show/{entry.id}" in trail.text
        page = reader.get(f"/auditlogview/show/{entry.id}")
        assert page.status_code == 200
        # The trail keeps the applicant's columns; 审计员 may not reveal ID numbers.
        if entry.action == "create":
            assert entry.after is None or entry.after.get("id_number") not in page.text
    for entry in theirs:
        assert f"/auditlogview/show/{entry.id}" not in trail.text
        assert reader.get(f"/auditlogview/show/{entry.id}").status_code == 404
    # Roles and accounts are not about this town's records: the Admins' only.
    role_entry = created[0]
    assert reader.get(f"/auditlogview/show/{role_entry.id}").status_code == 404
    # And nothing else.
    for url in ("/caseview/list/", "/applicantview/list/", "/roles/list/", "/users/list/"):
        assert reader.get(url).status_code == 403, url
    assert "/auditlogview/list/" in reader.get("/").text


def test_a_custom_role_is_held_to_the_tier_scope(app, tree, login, roles_restored):
    factories.staff("admin", "Admin", None)
    admin_user = app.appbuilder.sm.find_user(username="admin")
    window = permissions.save_role(
        db.session,
        admin_user,
        permissions.RoleChange(name="窗口人员", permission_ids=_ids(*WINDOW_STAFF)),
    )
    db.session.commit()
    spec_a = factories.staff("a_spec", "Specialist", tree.town_a)
    spec_b = factories.staff("b_spec", "Specialist", tree.town_b)
    case_a = factories.case(tree.town_a, spec_a)
    case_b = factories.case(tree.town_b, spec_b)
    holder = factories.staff("a_window", "Specialist", tree.town_a)
    holder.user.roles = [window]
    db.session.commit()

    client = login(app.test_client(), "a_window")
    listing = client.get("/caseview/list/")
    assert listing.status_code == 200
    assert case_a.number in listing.text and case_b.number not in listing.text
    assert client.get(f"/caseview/show/{case_a.id}").status_code == 200
    assert client.get(f"/caseview/show/{case_b.id}").status_code == 404
    assert client.get("/walkin/").status_code == 200
    assert client.get("/caseview/add").status_code == 403
    # An account holding the role but no unit sees nothing.
    sm = app.appbuilder.sm
    loose = sm.add_user("loose", "无单位", "", "loose@staff.invalid", window, factories.PASSWORD)
    db.session.commit()
    assert loose is not None
    client = login(app.test_client(), "loose")
    listing = client.get("/caseview/list/")
    assert listing.status_code == 200
    assert case_a.number not in listing.text and case_b.number not in listing.text
    assert client.get(f"/caseview/show/{case_a.id}").status_code == 404


def test_only_admins_reach_the_role_screens_and_deletes_are_guarded(
    app, tree, login, roles_restored
):
    factories.staff("admin", "Admin", None)
    factories.staff("a_mgr", "Manager", tree.town_a)
    manager = login(app.test_client(), "a_mgr")
    for url in ("/roles/list/", "/roles/add", f"/roles/show/{_role('Manager').id}"):
        assert manager.get(url).status_code == 403, url
    admin = login(app.test_client(), "admin")
    assert admin.get(f"/roles/edit/{_role('Admin').id}").status_code == 403
    assert admin.post(f"/roles/delete/{_role('Specialist').id}").status_code == 403
    assert admin.get("/roles/show/99999999999999999999").status_code in (400, 404)
    response = admin.post("/roles/add", data={"name": "临时", "permission": ["abc"]})
    assert response.status_code == 400
    response = admin.post("/roles/add", data={"name": "临时", "permission": ["999999"]})
    assert response.status_code == 422
    admin.post("/roles/add", data={"name": "临时", "permission": sorted(_ids(*AUDITOR))})
    temp = _role("临时")
    holder = factories.staff("a_temp", "Specialist", tree.town_a)
    holder.user.roles = [temp]
    db.session.commit()
    admin.post(f"/roles/delete/{temp.id}")
    assert app.appbuilder.sm.find_role("临时") is not None  # still held
    holder.user.roles = [_role("Specialist")]
    db.session.commit()
    assert admin.post(f"/roles/delete/{temp.id}").status_code == 302
    db.session.expire_all()
    assert app.appbuilder.sm.find_role("临时") is None


def test_a_town_manager_reads_the_audit_trail_of_their_tier(app, tree, login, roles_restored):
    from app.hardening import unlock
    from app.scope import scope_for_user

    factories.staff("admin", "Admin", None)
    admin_user = app.appbuilder.sm.find_user(username="admin")
    manager = _role("Manager")
    permissions.save_role(
        db.session,
        admin_user,
        permissions.RoleChange(
            permission_ids={pv.id for pv in manager.permissions} | _ids(*AUDITOR)
        ),
        manager,
    )
    db.session.commit()
    mgr_a = factories.staff("a_mgr", "Manager", tree.town_a)
    spec_a = factories.staff("a_spec", "Specialist", tree.town_a)
    spec_b = factories.staff("b_spec", "Specialist", tree.town_b)
    case_a = factories.case(tree.town_a, spec_a)
    case_b = factories.case(tree.town_b, spec_b)
    unlock(db.session, "a_spec")
    unlock(db.session, "b_spec")
    db.session.commit()

    def visible(user):
        clause = scope_for_user(user).clause_for(m.AuditLog)
        return set(db.session.execute(sa.select(m.AuditLog.id).where(clause)).scalars())

    every = set(db.session.execute(sa.select(m.AuditLog.id)).scalars())
    assert visible(admin_user) == every
    seen = visible(mgr_a.user)

    def about(table, row_id):
        return {
            e.id
            for e in db.session.execute(
                sa.select(m.AuditLog).where(
                    m.AuditLog.table_name == table, m.AuditLog.row_id == str(row_id)
                )
            ).scalars()
        }

    assert about("service_case", case_a.id) and about("service_case", case_a.id) <= seen
    assert about("applicant", case_a.applicant_id) <= seen
    assert about("specialist", spec_a.id) <= seen
    assert about("ab_user", "a_spec") <= seen  # the unlock, by user name
    for table, row_id in (
        ("service_case", case_b.id),
        ("applicant", case_b.applicant_id),
        ("specialist", spec_b.id),
        ("ab_user", "b_spec"),
        ("ab_role", manager.id),
    ):
        hidden = about(table, row_id)
        assert hidden and not hidden & seen, table
    client = login(app.test_client(), "a_mgr")
    listing = client.get("/auditlogview/list/?psize_AuditLogView=100")
    assert listing.status_code == 200
    for entry_id in about("service_case", case_b.id):
        assert client.get(f"/auditlogview/show/{entry_id}").status_code == 404
    for entry_id in about("service_case", case_a.id):
        assert client.get(f"/auditlogview/show/{entry_id}").status_code == 200


CORE_PAGES = {
    "Specialist": [
        "/",
        "/caseview/list/",
        "/mycaseview/list/",
        "/caseview/show/{case}",
        "/caseview/add",
        "/applicantview/list/",
        "/walkin/",
        "/guide/",
        "/resetmypassword/form",
    ],
    "Manager": ["/", "/caseview/list/", "/caseview/show/{case}", "/ledger/list/", "/dashboard/"],
    "Leader": ["/", "/caseview/list/", "/caseview/show/{case}", "/ledger/list/", "/dashboard/"],
}


@pytest.mark.parametrize("role_name", sorted(CORE_PAGES))
def test_a_built_in_role_cut_to_its_minimum_still_works(
    app, tree, login, roles_restored, role_name
):
    """The minimum is what the screens need: a role holding only it opens its core pages."""
    pvs = permissions.catalogue(db.session)
    role = _role(role_name)
    role.permissions = [pvs[k] for k in sorted(permissions.minimum_of(role_name, pvs))]
    db.session.commit()
    spec = factories.staff("a_spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    if role_name != "Specialist":
        factories.staff("a_user", role_name, tree.town_a)
    client = login(app.test_client(), "a_spec" if role_name == "Specialist" else "a_user")
    for url in CORE_PAGES[role_name]:
        response = client.get(url.format(case=case.id))
        assert response.status_code == 200, (url, response.status_code)
