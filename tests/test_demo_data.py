"""The demo data: its files (app/demo/*.csv) are well formed, and the seed loads them through the
operators' import, so a file the import would refuse stops the seed."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import demo
from app import demo_data as dd
from app import models as m
from app.domain import itemcodes
from app.extensions import db
from app.imports.specs import KINDS

TOWN_ORDER = [
    "台城街道", "大江镇", "水步镇", "四九镇", "白沙镇", "三合镇", "冲蒌镇", "斗山镇", "都斛镇",
    "赤溪镇", "端芬镇", "广海镇", "海宴镇", "汶村镇", "深井镇", "北陡镇", "川岛镇",
]  # fmt: skip

PHONE = re.compile(r"^0750-\d{7,8}$")
UNITS = demo.rows_of("units")
DEPARTMENTS = demo.rows_of("departments")
ITEMS = demo.rows_of("items")
MATERIALS = demo.rows_of("materials")
STAFF = demo.rows_of("staff")
CATEGORIES = demo.rows_of("problem_categories")
DEPT_CODES = {d["code"] for d in DEPARTMENTS}
YES_NO = {"yes", "no"}


def _tier(tier: str) -> list[dict]:
    return [u for u in UNITS if u["tier"] == tier]


# ---- the files ---------------------------------------------------------------------------


def test_every_file_has_the_import_templates_columns():
    for key in demo.ORDER:
        for sheet in KINDS[key].sheets:
            path = demo.DATA / f"{sheet.key}.csv"
            header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
            assert header == [c.key for c in sheet.columns], sheet.key


def test_city_and_17_towns_in_customary_order():
    (city,) = _tier("city")
    assert (city["code"], city["name"]) == ("440781", "台山市政务服务中心")
    assert city["address"].startswith("广东省台山市") and PHONE.match(city["phone"])
    towns = _tier("town")
    assert [t["name"].removesuffix("便民服务中心") for t in towns] == TOWN_ORDER
    for town in towns:
        assert re.fullmatch(r"440781\d{3}", town["code"]) and town["parent_code"] == "440781"
        assert town["address"].startswith("台山市") and PHONE.match(town["phone"])


def test_villages_under_every_town():
    villages = _tier("village")
    assert len(villages) == 71
    for town in _tier("town"):
        stations = [v for v in villages if v["parent_code"] == town["code"]]
        assert 3 <= len(stations) <= 5
        assert len({s["name"] for s in stations}) == len(stations)
        for s in stations:
            assert re.fullmatch(r"\d{12}", s["code"]) and s["code"].startswith(town["code"])
            assert s["name"].endswith("便民服务站")
    codes = [u["code"] for u in UNITS]
    assert len(codes) == len(set(codes))


def test_departments():
    assert len(DEPARTMENTS) == 15 == len({d["name"] for d in DEPARTMENTS}) == len(DEPT_CODES)
    for d in DEPARTMENTS:
        assert re.fullmatch(r"[A-Z]{2,5}", d["code"]) and "台山" in d["name"]


def test_items_and_their_materials():
    assert len(ITEMS) == 34 == len({i["code"] for i in ITEMS}) == len({i["name"] for i in ITEMS})
    for item in ITEMS:
        assert re.fullmatch(r"[A-Z]{2,3}-\d{3}", item["code"])
        assert item["department_code"] in DEPT_CODES
        assert 1 <= int(item["promised_days"]) <= int(item["legal_days"])
        assert item["fee_note"] and item["keywords"].strip()
        assert item["window_number"] and item["hall_location"]  # where the applicant goes
        flags = ("accept_city", "accept_town", "accept_village", "needs_parallel", "online")
        assert {item[f] for f in flags} <= YES_NO
        parallel = [c for c in item["parallel_department_codes"].split(",") if c]
        if item["needs_parallel"] == "yes":
            assert len(parallel) >= 2 and set(parallel) <= DEPT_CODES
            assert item["department_code"] in parallel
        else:
            assert parallel == []
        mats = [mat for mat in MATERIALS if mat["item_code"] == item["code"]]
        assert mats and len({mat["name"] for mat in mats}) == len(mats), item["code"]
        assert all(mat["how_to_obtain"] and int(mat["copies"]) >= 1 for mat in mats)
    assert {mat["item_code"] for mat in MATERIALS} <= {i["code"] for i in ITEMS}
    for tier in ("city", "town", "village"):  # every tier has something to offer
        assert any(i[f"accept_{tier}"] == "yes" for i in ITEMS)


def test_every_item_has_well_formed_unique_official_codes():
    """Finished codes (their check characters computed once, when the files were written); one
    implementing body per department."""
    assert len({i["implementation_code"] for i in ITEMS}) == len(ITEMS)
    body_of: dict[str, set[str]] = {}
    for item in ITEMS:
        assert itemcodes.basic_code_error(item["basic_code"]) is None, item["code"]
        error = itemcodes.implementation_code_error(item["implementation_code"], item["basic_code"])
        assert error is None, item["code"]
        body = itemcodes.implementing_body(item["implementation_code"])
        body_of.setdefault(item["department_code"], set()).add(body)
    assert all(len(bodies) == 1 for bodies in body_of.values())
    assert len(set().union(*body_of.values())) == len(body_of)


def test_demo_staff_match_the_readme():
    names = [s["username"] for s in STAFF]
    assert names[:3] == ["city_manager", "city_leader", "city_specialist"]
    assert names.count("town00_manager") == 1 and "town16_specialist" in names
    assert [n for n in names if n.startswith("village")] == [
        f"village{i:02d}_specialist" for i in range(4)
    ]
    assert {s["password"] for s in STAFF} == {"BangBan@2026"}
    assert len({s["name"] for s in STAFF}) == len(STAFF)
    units = {u["code"] for u in UNITS}
    assert all(s["unit_code"] in units for s in STAFF)


def test_problem_categories():
    codes = [c["code"] for c in CATEGORIES]
    labels = [c["name"] for c in CATEGORIES]
    assert len(codes) == len(set(codes)) and len(labels) == len(set(labels))
    assert all(re.fullmatch(r"[a-z_]+", c) for c in codes)
    for required in ("材料不齐", "系统故障", "部门意见不一", "申请人联系不上", "政策不明确"):
        assert required in labels


def test_generated_names():
    assert len(dd.SURNAMES) * len(dd.GIVEN_NAMES) >= 300
    names = [dd.person_name(i) for i in range(300)]
    assert len(set(names)) == 300
    assert all(2 <= len(n) <= 4 for n in names)
    assert len(dd.ENTERPRISE_NAMES) == len(set(dd.ENTERPRISE_NAMES)) >= 40
    assert len(dd.STREETS) == len(set(dd.STREETS)) >= 10


def test_names_module_is_pure_data():
    tree = ast.parse(Path(dd.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__"}


# ---- loaded through the import -----------------------------------------------------------


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_the_catalogue_is_loaded_through_the_import_and_again_changes_nothing(app, login):
    counts = demo.load_catalogue(db.session)
    db.session.commit()
    assert counts == {
        "units": len(UNITS),
        "departments": len(DEPARTMENTS),
        "items": len(ITEMS),
        "materials": len(MATERIALS),
        "staff": len(STAFF),
        "problem_categories": len(CATEGORIES),
    }
    assert _count(m.OrgUnit) == len(UNITS) == 1 + 17 + 71
    assert _count(m.Department) == len(DEPARTMENTS)
    assert _count(m.ServiceItem) == len(ITEMS)
    assert _count(m.RequiredMaterial) == len(MATERIALS)
    assert _count(m.Specialist) == len(STAFF)
    assert _count(m.ProblemCategory) == len(CATEGORIES)
    # What the import's writer does: the tree's paths, pinyin initials, parallel departments.
    village = db.session.execute(
        sa.select(m.OrgUnit).where(m.OrgUnit.code == "440781001001")
    ).scalar_one()
    assert village.path == "/440781/440781001/440781001001/"
    item = db.session.execute(
        sa.select(m.ServiceItem).where(m.ServiceItem.needs_parallel.is_(True))
    ).scalars()
    assert all(len(i.parallel_departments) >= 2 and i.pinyin_initials for i in item)

    # The README's log-ins: the staff file's accounts with their password and role.
    login(app.test_client(), "village03_specialist", "BangBan@2026")

    again = demo.import_kind(db.session, "items")
    assert {row.outcome for row in again.all_rows()} == {"unchanged"}
    assert demo.load_catalogue(db.session) == counts
    db.session.commit()
    assert _count(m.OrgUnit) == len(UNITS) and _count(m.Specialist) == len(STAFF)


def test_a_file_the_import_refuses_stops_the_seed(app, tmp_path, monkeypatch):
    for path in demo.DATA.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    units = (tmp_path / "units.csv").read_text(encoding="utf-8")
    # A station under a town that is in neither the file nor the database.
    units += "440781999001,无主便民服务站,village,440781999,,,yes\n"
    (tmp_path / "units.csv").write_text(units, encoding="utf-8")
    monkeypatch.setattr(demo, "DATA", tmp_path)
    with pytest.raises(demo.DemoDataRefused, match=r"units.csv row 91 parent_code"):
        demo.load_catalogue(db.session)
    db.session.rollback()
    assert _count(m.OrgUnit) == 0
