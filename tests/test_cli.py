"""Operator commands: staff create, units list, seed-demo (idempotent)."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from app import models as m
from app.domain.status import CaseStatus
from app.extensions import db
from app.scope import Scope
from app.seed import DEMO_PASSWORD
from tests import factories
from tests.test_assessment import ledger_counts


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_units_list_prints_the_tree(app, tree):
    result = run(app, "units", "list")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0] == "440781\tcity\t台山市政务服务中心\t"
    assert "440781100\ttown\t大江镇便民服务中心\t440781" in lines
    assert "440781100001\tvillage\t公益村便民服务站\t440781100" in lines
    assert len(lines) == 6


def test_staff_create_makes_account_and_specialist(app, tree):
    result = run(
        app,
        "staff",
        "create",
        "--username",
        "zhang",
        "--password",
        "Strong@Pass99",
        "--name",
        "张三",
        "--unit",
        "440781100",
        "--role",
        "Specialist",
    )
    assert result.exit_code == 0, result.output
    specialist = db.session.execute(
        sa.select(m.Specialist).where(m.Specialist.name == "张三")
    ).scalar_one()
    assert specialist.unit.code == "440781100"
    assert specialist.user.username == "zhang"
    assert [r.name for r in specialist.user.roles] == ["Specialist"]


def test_staff_create_refuses_bad_input(app, tree):
    bad_unit = run(
        app,
        "staff",
        "create",
        "--username",
        "a",
        "--password",
        "Strong@Pass99",
        "--name",
        "甲",
        "--unit",
        "999",
        "--role",
        "Specialist",
    )
    assert bad_unit.exit_code == 2 and "999" in bad_unit.output
    weak = run(
        app,
        "staff",
        "create",
        "--username",
        "b",
        "--password",
        "short",
        "--name",
        "乙",
        "--unit",
        "440781100",
        "--role",
        "Specialist",
    )
    assert weak.exit_code == 2 and "password" in weak.output
    no_unit = run(
        app,
        "staff",
        "create",
        "--username",
        "c",
        "--password",
        "Strong@Pass99",
        "--name",
        "丙",
        "--role",
        "Manager",
    )
    assert no_unit.exit_code == 2 and "unit" in no_unit.output
    bad_role = run(
        app,
        "staff",
        "create",
        "--username",
        "d",
        "--password",
        "Strong@Pass99",
        "--name",
        "丁",
        "--unit",
        "440781100",
        "--role",
        "Boss",
    )
    assert bad_role.exit_code == 2
    assert db.session.execute(sa.select(sa.func.count(m.Specialist.id))).scalar_one() == 0
    factories.staff("taken", "Specialist", tree.town_a)
    dup = run(
        app,
        "staff",
        "create",
        "--username",
        "taken",
        "--password",
        "Strong@Pass99",
        "--name",
        "戊",
        "--unit",
        "440781100",
        "--role",
        "Specialist",
    )
    assert dup.exit_code == 2


def counts():
    return {
        model.__tablename__: db.session.execute(
            sa.select(sa.func.count()).select_from(model)
        ).scalar_one()
        for model in (
            m.OrgUnit,
            m.Department,
            m.ServiceItem,
            m.RequiredMaterial,
            m.Specialist,
            m.Applicant,
            m.Case,
            m.CaseEvent,
            m.Holiday,
            m.Evaluation,
            m.WalkInHelp,
            m.Appointment,
        )
    }


def test_seed_demo_loads_taishan_and_is_idempotent(app, login):
    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    after_first = counts()
    assert after_first["org_unit"] == 1 + 17 + 71
    # Today's demo appointments served at the desk add a case and a walk-in record.
    as_case, as_walk_in = (
        db.session.execute(sa.select(sa.func.count(column)).where(column.is_not(None))).scalar_one()
        for column in (m.Appointment.case_id, m.Appointment.walk_in_id)
    )
    # 300 generated, the appointments served as cases, the home-visit case and the major project
    assert after_first["service_case"] == 300 + as_case + 2
    assert after_first["walk_in_help"] == 240 + as_walk_in
    assert after_first["appointment"] >= 10  # bookings of the city, 台城街道 and a station
    assert (
        db.session.execute(
            sa.select(sa.func.count(m.HomeVisit.id)).where(m.HomeVisit.done_at.is_not(None))
        ).scalar_one()
        >= 1
    )
    assert db.session.execute(sa.select(sa.func.count(m.ProjectIssue.id))).scalar_one() >= 3
    assert db.session.execute(sa.select(sa.func.count(m.ProjectLiaison.id))).scalar_one() >= 3
    assert after_first["service_item"] >= 30
    statuses = dict(
        db.session.execute(sa.select(m.Case.status, sa.func.count()).group_by(m.Case.status)).all()
    )
    assert len(statuses) == 7, statuses  # every status but voided is represented
    assert statuses.get(CaseStatus.SUSPENDED, 0) >= 1, statuses
    resumed = db.session.execute(
        sa.select(sa.func.count(m.Suspension.id)).where(m.Suspension.resumed_at.is_not(None))
    ).scalar_one()
    assert resumed >= 1  # suspended and resumed (续办) demo cases too
    items = db.session.execute(sa.select(m.ServiceItem)).scalars().all()
    assert all(i.basic_code and i.implementation_code for i in items)
    # The demo's draft monthly report states the ledger's figures for its period and unit.
    report = db.session.execute(sa.select(m.PeriodicReport)).scalar_one()
    scope = Scope(path=report.unit.path, unit_id=report.unit.id)
    ledger = ledger_counts(scope, report.period_start, report.period_end)
    assert {k: report.figures["totals"][k] for k in ledger} == ledger
    assert ledger["cases"] > 0 and report.practice_text
    # Users change their passwords (as FAB's reset-my-password form does); a second seed (a
    # second ``make run``) keeps them.
    sm = app.appbuilder.sm
    changed = {"admin": "Admin-Changed@2027", "village03_specialist": "Mine-Changed@2027"}
    for username, password in changed.items():
        sm.reset_password(sm.find_user(username=username).id, password)
    db.session.commit()
    second = run(app, "seed-demo")
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert counts() == after_first
    for username, password in changed.items():
        user = sm.find_user(username=username)
        assert check_password_hash(user.password, password), username
        assert not check_password_hash(user.password, DEMO_PASSWORD), username
        login(app.test_client(), username, password)
    untouched = sm.find_user(username="town03_specialist")
    assert check_password_hash(untouched.password, DEMO_PASSWORD)
    names = set(db.session.execute(sa.select(m.OrgUnit.name)).scalars())
    assert {"台城街道便民服务中心", "川岛镇便民服务中心", "台山市政务服务中心"} <= names
