"""Staff management: deactivating a specialist reassigns their open cases in the same action."""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.domain.errors import ValidationFailed
from app.domain.staff import deactivate
from app.enums import TerminationReason
from app.extensions import db
from tests import factories


def test_deactivation_requires_and_performs_reassignment(app, tree):
    leaving = factories.staff("leaving", "Specialist", tree.village_a1)
    successor = factories.staff("successor", "Specialist", tree.town_a)
    elsewhere = factories.staff("elsewhere", "Specialist", tree.town_b)
    admin_user = factories.staff("admin", "Admin", None)  # returns None: admin has no record
    assert admin_user is None
    open_case = factories.case(tree.village_a1, leaving)
    ended = factories.case(tree.village_a1, leaving)
    from app.domain import lifecycle

    lifecycle.terminate(
        db.session,
        ended,
        leaving.user,
        reason_type=TerminationReason.OTHER,
        reason="x",
        materials_returned="",
        applicant_signed=True,
        specialist_signed=True,
    )
    db.session.commit()
    try:
        deactivate(db.session, leaving, None, None)
        raise AssertionError("deactivation without a successor must be refused")
    except ValidationFailed as exc:
        assert "reassign_to" in exc.errors
    db.session.rollback()
    try:
        deactivate(db.session, leaving, None, elsewhere)  # cannot see the village's case
        raise AssertionError("a successor of another town must be refused")
    except ValidationFailed:
        db.session.rollback()
    moved = deactivate(db.session, leaving, None, successor)
    db.session.commit()
    assert moved == 1
    db.session.expire_all()
    assert db.session.get(m.Case, open_case.id).specialist_id == successor.id
    assert db.session.get(m.Case, ended.id).specialist_id == leaving.id
    assert db.session.get(m.Specialist, leaving.id).active is False
    assert db.session.get(m.Specialist, leaving.id).user.active is False


def test_admin_deactivates_in_the_ui(app, tree, login):
    leaving = factories.staff("leaving", "Specialist", tree.town_a)
    successor = factories.staff("successor", "Specialist", tree.town_a)
    factories.staff("admin", "Admin", None)
    case = factories.case(tree.town_a, leaving)
    client = login(app.test_client(), "admin")
    show = client.get(f"/specialistview/show/{leaving.id}")
    assert f"/specialistview/deactivate/{leaving.id}" in show.text
    page = client.get(f"/specialistview/deactivate/{leaving.id}")
    assert case.number in page.text and successor.name in page.text
    refused = client.post(f"/specialistview/deactivate/{leaving.id}", data={})
    assert refused.status_code == 200 and 'id="deactivate-error"' in refused.text
    ok = client.post(f"/specialistview/deactivate/{leaving.id}", data={"reassign_to": successor.id})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).specialist_id == successor.id
    events = (
        db.session.execute(sa.select(m.CaseEvent.kind).where(m.CaseEvent.case_id == case.id))
        .scalars()
        .all()
    )
    assert "assign" in [e.value for e in events]
    # a specialist cannot reach the screen
    client = login(app.test_client(), "successor")
    assert client.get(f"/specialistview/deactivate/{leaving.id}").status_code == 403


def test_admin_creates_accounts_and_changes_roles_in_the_ui(app, tree, login):
    factories.staff("admin", "Admin", None)
    client = login(app.test_client(), "admin")
    assert "/specialistview/account/new" in client.get("/").text
    weak = client.post(
        "/specialistview/account/new",
        data={
            "username": "wang",
            "password": "weak",
            "name": "王五",
            "unit": tree.town_a.id,
            "role": "Manager",
        },
    )
    assert weak.status_code == 200 and "has-error" in weak.text
    ok = client.post(
        "/specialistview/account/new",
        data={
            "username": "wang",
            "password": "Strong@Pass99",
            "name": "王五",
            "unit": tree.town_a.id,
            "role": "Manager",
            "mobile": "13800138000",
        },
    )
    assert ok.status_code == 302
    wang = db.session.execute(
        sa.select(m.Specialist).where(m.Specialist.name == "王五")
    ).scalar_one()
    assert [r.name for r in wang.user.roles] == ["Manager"]
    r = client.post(f"/specialistview/role/{wang.id}", data={"role": "Leader"})
    assert r.status_code == 302
    db.session.expire_all()
    assert [r.name for r in db.session.get(m.Specialist, wang.id).user.roles] == ["Leader"]
    audit = (
        db.session.execute(
            sa.select(m.AuditLog).where(
                m.AuditLog.table_name == "ab_user", m.AuditLog.action == "update"
            )
        )
        .scalars()
        .all()
    )
    assert any((e.after or {}).get("roles") == ["Leader"] for e in audit)


def test_only_admins_manage_accounts_on_screen(app, tree, login):
    factories.staff("boss", "Manager", tree.town_a)
    spec = factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "boss")
    assert client.get("/specialistview/account/new").status_code == 403
    assert (
        client.post(f"/specialistview/role/{spec.id}", data={"role": "Manager"}).status_code == 403
    )


def test_passwords_are_hashed_with_the_configured_method(app, tree):
    """The suite hashes cheaply (tests/conftest.py); the product keeps FAB's scrypt."""
    from config import Config

    assert getattr(Config, "FAB_PASSWORD_HASH_METHOD", "scrypt") == "scrypt"
    assert app.config["FAB_PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:1000"
    spec = factories.staff("hash_check", "Specialist", tree.town_a)
    assert spec.user.password.startswith("pbkdf2:sha256:1000$")
