"""Bulk import of staff: accounts with roles and passwords, a manager's scope, open cases."""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.enums import StaffType, Tier
from app.extensions import db
from app.imports import jobs
from tests import factories
from tests.test_imports import (
    count,
    department_rows,
    run_import,
    staff_rows,
    unit_rows,
    user_named,
    workbook,
)


def test_staff_accounts_with_roles_and_generated_passwords(app, login):
    run_import(workbook("units", {"units": unit_rows()}), "units")
    run_import(workbook("departments", {"departments": department_rows()}), "departments")
    rows = staff_rows(30)
    job, results = run_import(workbook("staff", {"staff": rows}), "staff")
    assert job.status == jobs.DONE, [r["problems"] for r in results["rows"] if r["problems"]]
    assert job.result["created"] == 30 == count(m.Specialist)
    generated = {
        r["key"]: r["note"]["password"] for r in results["rows"] if r["note"].get("password")
    }
    assert len(generated) == 29 and "staff001" not in generated
    first = db.session.execute(
        sa.select(m.Specialist).join(m.Specialist.user).where(m.Specialist.name == rows[0]["name"])
    ).scalar_one()
    assert [r.name for r in first.user.roles] == ["Manager"]
    assert first.mobile == "13900000000" and first.department.code == department_rows()[0]["code"]
    station = db.session.execute(
        sa.select(m.Specialist).join(m.Specialist.user).where(m.Specialist.name == rows[19]["name"])
    ).scalar_one()
    assert station.unit.tier == Tier.VILLAGE and station.staff_type == StaffType.STATION
    login(app.test_client(), "staff002", generated["staff002"])
    login(app.test_client(), "staff001", "Own@Pass2026")

    rows[2]["roles"] = ["Manager", "Specialist"]
    job, _ = run_import(workbook("staff", {"staff": rows}), "staff", update_accounts=True)
    assert (job.result["created"], job.result["updated"]) == (0, 1)
    user = user_named("staff002")
    assert sorted(r.name for r in user.roles) == ["Manager", "Specialist"]
    login(app.test_client(), "staff002", generated["staff002"])  # password untouched


def test_a_manager_imports_staff_of_their_own_subtree_only(app, tree):
    factories.department("SJJ", "台山市市场监督管理局")
    other = factories.staff("b_specialist", "Specialist", tree.town_b)
    manager = factories.staff("a_manager", "Manager", tree.town_a)
    rows = [
        {"username": "a_new", "name": "新员工", "unit_code": tree.village_a1.code},
        {"username": "b_new", "name": "外镇员工", "unit_code": tree.town_b.code},
        {"username": "b_specialist", "name": "改名", "unit_code": tree.town_a.code},
        {"username": "a_admin", "name": "想当管理员", "unit_code": tree.town_a.code},
    ]
    for row in rows:
        row.update(roles=["Specialist"], active=True)
    rows[3]["roles"] = ["Admin"]
    job, results = run_import(workbook("staff", {"staff": rows}), "staff", manager.user)
    problems = [{p["column"] for p in r["problems"]} for r in results["rows"]]
    assert problems == [set(), {"unit_code"}, {"username"}, {"roles"}]
    assert job.status == jobs.REFUSED
    db.session.refresh(other)
    assert other.name == "员工b_specialist" and other.unit_id == tree.town_b.id

    job, _ = run_import(workbook("staff", {"staff": rows}), "staff", manager.user, valid_only=True)
    assert job.result["created"] == 1 and user_named("a_new") is not None

    job, results = run_import(workbook("units", {"units": unit_rows()[:2]}), "units", manager.user)
    assert job.status == jobs.REFUSED and results["file_problems"]
    assert count(m.OrgUnit) == 6


def test_staff_with_open_cases_cannot_be_deactivated_or_moved_away_by_import(app, tree):
    specialist = factories.staff("v_spec", "Specialist", tree.village_a1)
    factories.case(tree.village_a1, specialist)
    row = {"username": "v_spec", "name": "员工v_spec", "unit_code": tree.village_a1.code}
    row.update(roles=["Specialist"], active=False)
    moved = {**row, "active": True, "unit_code": tree.village_b1.code}
    upward = {**row, "active": True, "unit_code": tree.town_a.code}
    for values, column in ((row, "active"), (moved, "unit_code")):
        job, results = run_import(workbook("staff", {"staff": [values]}), "staff")
        assert [p["column"] for p in results["rows"][0]["problems"]] == [column]
    job, results = run_import(workbook("staff", {"staff": [upward]}), "staff")
    assert job.status == jobs.DONE and job.result["updated"] == 1
    db.session.refresh(specialist)
    assert specialist.unit_id == tree.town_a.id and specialist.active
