"""Structural integrity of app.demo_data (pure data; no Flask app or database needed)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app import demo_data as dd

TOWN_ORDER = [
    "台城街道", "大江镇", "水步镇", "四九镇", "白沙镇", "三合镇", "冲蒌镇", "斗山镇", "都斛镇",
    "赤溪镇", "端芬镇", "广海镇", "海宴镇", "汶村镇", "深井镇", "北陡镇", "川岛镇",
]  # fmt: skip

PHONE = re.compile(r"^0750-\d{7,8}$")
TIERS = {"city", "town", "village"}
DEPT_CODES = {d["code"] for d in dd.DEPARTMENTS}


def _all_units() -> list[dict]:
    units = [dd.CITY, *dd.TOWNS]
    for stations in dd.VILLAGES.values():
        units.extend(stations)
    return units


# ---- units -------------------------------------------------------------------------------


def test_city():
    assert dd.CITY["code"] == "440781"
    assert dd.CITY["name"] == "台山市政务服务中心"
    assert dd.CITY["address"].startswith("广东省台山市")
    assert PHONE.match(dd.CITY["phone"])


def test_exactly_17_towns_in_customary_order():
    assert len(dd.TOWNS) == 17
    assert [t["short"] for t in dd.TOWNS] == TOWN_ORDER
    assert dd.TOWNS[0]["code"] == "440781001"
    assert dd.TOWNS[0]["name"] == "台城街道便民服务中心"


@pytest.mark.parametrize("town", dd.TOWNS, ids=lambda t: t["code"])
def test_town_fields(town):
    assert re.fullmatch(r"440781\d{3}", town["code"])
    assert town["name"] == f"{town['short']}便民服务中心"
    assert town["address"].startswith("台山市" + town["short"])
    assert PHONE.match(town["phone"])


def test_unit_codes_and_names_unique():
    units = _all_units()
    codes = [u["code"] for u in units]
    assert len(codes) == len(set(codes))
    # A village name may recur in two towns, but not within one town.
    for stations in dd.VILLAGES.values():
        assert len({s["name"] for s in stations}) == len(stations)


def test_villages_keyed_by_every_town_and_nothing_else():
    assert set(dd.VILLAGES) == {t["code"] for t in dd.TOWNS}


@pytest.mark.parametrize("town", dd.TOWNS, ids=lambda t: t["code"])
def test_village_stations_of_town(town):
    stations = dd.VILLAGES[town["code"]]
    assert 3 <= len(stations) <= 5
    for s in stations:
        assert re.fullmatch(r"\d{12}", s["code"])
        assert s["code"].startswith(town["code"])
        assert s["name"].endswith("便民服务站")
        assert s["address"].startswith("台山市" + town["short"])


def test_village_station_count():
    assert dd.village_station_count() == sum(len(v) for v in dd.VILLAGES.values())
    assert dd.village_station_count() >= 3 * len(dd.TOWNS)


# ---- departments -------------------------------------------------------------------------


def test_departments():
    codes = [d["code"] for d in dd.DEPARTMENTS]
    assert len(codes) == len(set(codes))
    assert 12 <= len(codes) <= 20
    for d in dd.DEPARTMENTS:
        assert re.fullmatch(r"[A-Z]{2,5}", d["code"])
        assert "台山" in d["name"]
    names = [d["name"] for d in dd.DEPARTMENTS]
    assert len(names) == len(set(names))


# ---- service items -----------------------------------------------------------------------


def test_item_codes_unique_and_enough_items():
    codes = [i["code"] for i in dd.SERVICE_ITEMS]
    assert len(codes) == len(set(codes))
    assert len(codes) >= 25
    names = [i["name"] for i in dd.SERVICE_ITEMS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("item", dd.SERVICE_ITEMS, ids=lambda i: i["code"])
def test_item_structure(item):
    assert re.fullmatch(r"[A-Z]{2,3}-\d{3}", item["code"])
    assert item["name"]
    assert item["department"] in DEPT_CODES
    assert item["tiers"] and set(item["tiers"]) <= TIERS
    assert len(item["tiers"]) == len(set(item["tiers"]))
    assert isinstance(item["promised_days"], int) and isinstance(item["legal_days"], int)
    assert 1 <= item["promised_days"] <= item["legal_days"]
    assert item["fee_note"]
    for flag in ("parallel", "online", "mobile", "self_service"):
        assert isinstance(item[flag], bool)
    assert isinstance(item["keywords"], str) and item["keywords"].strip()
    assert item["window_number"] and item["hall_location"]  # where the applicant goes


@pytest.mark.parametrize("item", dd.SERVICE_ITEMS, ids=lambda i: i["code"])
def test_item_materials(item):
    materials = item["materials"]
    assert len(materials) >= 1
    names = [m["name"] for m in materials]
    assert len(names) == len(set(names))
    for m in materials:
        assert m["name"]
        assert isinstance(m["copies"], int) and m["copies"] >= 1
        assert isinstance(m["original"], bool)
        assert m["how_to_obtain"]


@pytest.mark.parametrize("item", dd.SERVICE_ITEMS, ids=lambda i: i["code"])
def test_item_parallel_departments(item):
    depts = item["parallel_departments"]
    if item["parallel"]:
        assert len(depts) >= 2
        assert len(depts) == len(set(depts))
        assert set(depts) <= DEPT_CODES
        assert item["department"] in depts
    else:
        assert depts == []


def test_mix_of_items():
    items = dd.SERVICE_ITEMS
    assert any(i["parallel"] for i in items)
    assert any("village" in i["tiers"] for i in items)
    assert any(i["tiers"] == ["city"] for i in items)
    assert any(i["fee_note"] != "不收费" for i in items)
    assert any("外商投资" in i["name"] for i in items)
    assert any("投资项目" in i["name"] for i in items)
    # every tier has something to offer
    for tier in TIERS:
        assert any(tier in i["tiers"] for i in items)


def test_lookup_helpers():
    assert dd.department_by_code("SJJ")["name"] == "台山市市场监督管理局"
    assert dd.department_by_code("NOPE") is None
    first = dd.SERVICE_ITEMS[0]
    assert dd.service_item_by_code(first["code"]) is first
    assert dd.town_by_code("440781100")["short"] == "大江镇"


# ---- people, enterprises, problems -------------------------------------------------------


def test_person_names():
    assert len(dd.SURNAMES) == len(set(dd.SURNAMES))
    assert len(dd.GIVEN_NAMES) == len(set(dd.GIVEN_NAMES))
    assert len(dd.SURNAMES) * len(dd.GIVEN_NAMES) >= 300
    names = [dd.person_name(i) for i in range(300)]
    assert len(set(names)) == 300
    assert all(2 <= len(n) <= 4 for n in names)


def test_enterprises_and_streets():
    assert len(dd.ENTERPRISE_NAMES) >= 40
    assert len(dd.ENTERPRISE_NAMES) == len(set(dd.ENTERPRISE_NAMES))
    assert all("台山" in n for n in dd.ENTERPRISE_NAMES)
    assert len(dd.STREETS) >= 10
    assert len(dd.STREETS) == len(set(dd.STREETS))


def test_problem_categories():
    codes = [c for c, _ in dd.PROBLEM_CATEGORIES]
    labels = [n for _, n in dd.PROBLEM_CATEGORIES]
    assert len(codes) == len(set(codes))
    assert len(labels) == len(set(labels))
    assert all(re.fullmatch(r"[a-z_]+", c) for c in codes)
    for required in ("材料不齐", "系统故障", "部门意见不一", "申请人联系不上", "政策不明确"):
        assert required in labels


def test_staff_names():
    assert len(dd.STAFF_NAMES) == len(set(dd.STAFF_NAMES))
    assert len(dd.STAFF_NAMES) >= 3 * (len(dd.TOWNS) + 1)


def test_module_is_pure_data():
    tree = ast.parse(Path(dd.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__"}
