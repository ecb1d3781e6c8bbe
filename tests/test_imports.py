"""Bulk import: a realistic file per kind, errors, re-import, round trip, scope.

Files are built in the tests from rows the tests make themselves (never the demo data), written
through the template itself, and imported through the same job code the screens and the worker
use.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from flask import current_app
from openpyxl import load_workbook

from app import filestore
from app import models as m
from app.domain.workdays import official_schedule
from app.enums import StaffType, Tier
from app.extensions import db
from app.imports import export, files, jobs, report, template
from app.imports.specs import BOOL, ENUM, KINDS
from app.scope import Scope
from app.validators import complete_uscc
from tests import factories

# ---------------------------------------------------------------- helpers (used by the other
# test_imports* modules too)


def workbook(kind: str, rows: dict[str, list[dict]]) -> bytes:
    """A file in the kind's template format holding ``rows`` per sheet key."""
    spec = KINDS[kind]
    wb, sheets = template.build_workbook(spec)
    for sheet in spec.sheets:
        for number, values in enumerate(rows.get(sheet.key, []), start=2):
            template.write_row(sheets[sheet.key], sheet, number, values)
    return template.to_bytes(wb)


def user_named(username: str):
    return current_app.appbuilder.sm.find_user(username=username)


def admin_user():
    return user_named("admin") or (factories.staff("admin", "Admin", None) or user_named("admin"))


def run_import(
    data: bytes, kind: str, user=None, *, valid_only=False, name="data.xlsx", update_accounts=False
):
    """Import ``data`` as ``user`` (the admin by default); returns the job and its row results."""
    user = user or admin_user()
    stored = files.store(data)
    job = jobs.create_job(
        db.session,
        user=user,
        kind=kind,
        stored=stored,
        original=name,
        valid_only=valid_only,
        locale="zh",
        ip="127.0.0.1",
        update_accounts=update_accounts,
    )
    db.session.commit()
    assert jobs.claim(db.session, job.id)
    jobs.process(db.session, db.session.get(m.BackgroundJob, job.id))
    db.session.expire_all()
    job = db.session.get(m.BackgroundJob, job.id)
    return job, report.load_results(filestore.get(files.report_name(job.file_name)))


def by_row(results: dict, sheet: str) -> dict[int, dict]:
    return {r["number"]: r for r in results["rows"] if r["sheet"] == sheet}


CITY_CODE = "440781"
STATIONS = (5, 5, 4, 4, 4, 4, 4, 5, 4, 4, 5, 4, 4, 3, 4, 4, 4)  # per town; 17 towns
TOWNS = len(STATIONS)


def unit_rows() -> list[dict]:
    """A city, 17 towns and three to five stations under each (made up; the tests below count
    on the first two towns having five stations each)."""
    rows = [
        {
            "code": CITY_CODE,
            "name": "测试市政务服务中心",
            "tier": "city",
            "parent_code": "",
            "address": "测试市人民路1号",
            "phone": "0750-5500000",
        }
    ]
    for t in range(TOWNS):
        town = f"{CITY_CODE}{100 + t:03d}"
        rows.append(
            {
                "code": town,
                "name": f"第{t + 1}镇便民服务中心",
                "tier": "town",
                "parent_code": CITY_CODE,
                "address": f"测试市第{t + 1}镇中山路{t + 1}号",
                "phone": f"0750-55{t + 1:05d}",
            }
        )
        for v in range(STATIONS[t]):
            rows.append(
                {
                    "code": f"{town}{v + 1:03d}",
                    "name": f"第{t + 1}镇第{v + 1}村便民服务站",
                    "tier": "village",
                    "parent_code": town,
                    "address": f"测试市第{t + 1}镇第{v + 1}村村委会",
                }
            )
    for row in rows:
        row.setdefault("active", True)
        row.setdefault("phone", "")
    return rows


def department_rows() -> list[dict]:
    return [
        {
            "code": f"BM{i:02d}",
            "name": f"测试市第{i + 1}局",
            "phone": f"0750-55{i:05d}",
            "active": True,
        }
        for i in range(15)
    ]


def credit_code(index: int) -> str:
    """A well-formed unified social credit code of a made-up government body."""
    return complete_uscc(f"11440781007{index:06d}")


BASE_ITEMS = 34
VARIANTS = ["变更", "注销", "补证", "换证", "延续", "备案", "年度报告", "证明开具", "信息查询"]
TIER_SETS = (("city",), ("city", "town"), ("city", "town", "village"))


def base_items(count: int = BASE_ITEMS) -> list[dict]:
    """Made-up items over the departments of ``department_rows``, with official codes, tiers,
    a parallel approval every fifth item and two to four materials each."""
    departments = [d["code"] for d in department_rows()]
    items = []
    for n in range(count):
        d = n % len(departments)
        basic = f"{'00' if n % 2 else '10'}{d + 1:04d}{n + 1:03d}000"
        parallel = [departments[d], departments[(d + 1) % len(departments)]] if n % 5 == 0 else []
        items.append(
            {
                "code": f"TS-{n + 1:03d}",
                "basic_code": basic,
                "implementation_code": credit_code(d) + "4" + basic,
                "name": f"测试事项{n + 1:03d}{'许可' if n % 2 else '服务'}",
                "department": departments[d],
                "tiers": list(TIER_SETS[n % 3]),
                "promised_days": 1 + n % 10,
                "legal_days": 10 + n % 20,
                "fee_note": "不收费" if n % 4 else "按规定收取工本费",
                "parallel": bool(parallel),
                "parallel_departments": parallel,
                "online": n % 2 == 0,
                "mobile": n % 3 == 0,
                "self_service": n % 7 == 0,
                "keywords": f"测试 事项{n + 1}",
                "window_number": f"A{d + 1:02d}",
                "hall_location": f"一楼{'ABCD'[d % 4]}区",
                "materials": [
                    {
                        "name": f"测试事项{n + 1:03d}材料{k + 1}",
                        "copies": 1 + k % 2,
                        "original": k == 0,
                        "how_to_obtain": f"申请人自备，第{k + 1}项",
                    }
                    for k in range(2 + n % 3)
                ],
            }
        )
    return items


def item_rows(synthetic: int = 300) -> tuple[list[dict], list[dict]]:
    """The made-up base items plus ``synthetic`` variants of them, each with its materials."""
    items, materials = [], []
    bases = base_items()

    def add(code, base, name, extra_material=None):
        official = code == base["code"]  # the base items carry official codes
        items.append(
            {
                "code": code,
                "basic_code": base["basic_code"] if official else "",
                "implementation_code": base["implementation_code"] if official else "",
                "name": name,
                "department_code": base["department"],
                "accept_city": "city" in base["tiers"],
                "accept_town": "town" in base["tiers"],
                "accept_village": "village" in base["tiers"],
                "promised_days": base["promised_days"],
                "legal_days": base["legal_days"],
                "fee_note": base["fee_note"],
                "needs_parallel": base["parallel"],
                "parallel_department_codes": base["parallel_departments"],
                "online": base["online"],
                "mobile": base["mobile"],
                "self_service": base["self_service"],
                "keywords": base["keywords"],
                "active": True,
            }
        )
        mats = list(base["materials"]) + ([extra_material] if extra_material else [])
        for position, mat in enumerate(mats):
            materials.append({"item_code": code, "position": position, **mat})

    for base in bases:
        add(base["code"], base, base["name"])
    for n in range(synthetic):
        base = bases[n % len(bases)]
        variant = VARIANTS[(n // len(bases)) % len(VARIANTS)]
        extra = {
            "name": f"{variant}申请表",
            "copies": 1 + n % 2,
            "original": n % 3 == 0,
            "how_to_obtain": f"窗口领取或在广东政务服务网下载《{base['name']}{variant}申请表》",
        }
        add(f"{base['code']}-{n:03d}", base, f"{base['name']}（{variant}）", extra)
    return items, materials


STAFF_NAMES = [f"{s}{g}" for g in ("丽娟", "志强", "美玲", "健雄") for s in "黄李陈伍余梅刘雷甄邝"]


def staff_rows(count: int = 30) -> list[dict]:
    """Staff spread over the city, the towns and a few stations, with various roles."""
    tree = unit_rows()
    units = [r["code"] for r in tree if r["tier"] != "village"]
    towns = [r["code"] for r in tree if r["tier"] == "town"]
    units += [f"{town}001" for town in towns[:4]]
    departments = department_rows()
    rows = []
    for i in range(count):
        unit = units[i % len(units)]
        rows.append(
            {
                "username": f"staff{i:03d}",
                "name": STAFF_NAMES[i % len(STAFF_NAMES)],
                "unit_code": unit,
                "roles": ["Manager"] if i % 7 == 0 else ["Specialist"],
                "staff_type": "" if i % 3 else StaffType.COMPREHENSIVE_WINDOW.value,
                "department_code": departments[i % 5]["code"] if i % 4 == 0 else "",
                "mobile": f"139 {i:04d} {i * 7 % 10000:04d}",
                "email": f"staff{i}@taishan.gov.cn" if i % 2 else "",
                "active": True,
                "password": "Own@Pass2026" if i == 1 else "",
            }
        )
    return rows


def holiday_rows() -> list[dict]:
    rows = [{"day": d, "kind": k, "name": n} for d, k, n in official_schedule(range(2004, 2027))]
    import datetime as dt

    rows += [
        {"day": dt.date(2027, 1, 1), "kind": "off", "name": "元旦"},
        {"day": dt.date(2027, 2, 6), "kind": "workday", "name": "春节"},
    ]
    return rows


def load_master_data() -> None:
    """Every kind imported from its realistic file, as an administrator."""
    for kind, rows in (
        ("units", {"units": unit_rows()}),
        ("departments", {"departments": department_rows()}),
        ("holidays", {"holidays": holiday_rows()}),
    ):
        job, _results = run_import(workbook(kind, rows), kind)
        assert job.status == jobs.DONE, job.result
    items, materials = item_rows()
    job, _ = run_import(workbook("items", {"items": items, "materials": materials}), "items")
    assert job.status == jobs.DONE, job.result
    job, _ = run_import(workbook("staff", {"staff": staff_rows()}), "staff")
    assert job.status == jobs.DONE, job.result


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize("kind", list(KINDS))
def test_template_has_headers_lists_and_an_example(app, kind):
    spec = KINDS[kind]
    wb = load_workbook(io.BytesIO(template.template_bytes(spec)))
    assert len(wb.worksheets) == len(spec.sheets) + 1  # the data sheets and the instructions
    for ws, sheet in zip(wb.worksheets, spec.sheets, strict=False):
        assert [c.value for c in ws[1]] == [str(c.label) for c in sheet.columns]
        assert ws.max_row == 1  # no data: the example lives in the instructions sheet
        lists = {str(dv.sqref).split(":")[0][:-1] for dv in ws.data_validations.dataValidation}
        for index, column in enumerate(sheet.columns, start=1):
            if column.type in (BOOL, ENUM):
                assert ws.cell(row=1, column=index).column_letter in lists, column.key
    instructions = wb.worksheets[-1]
    text = [c.value for row in instructions.iter_rows() for c in row if c.value is not None]
    column = next(c for c in spec.main.columns if c.type == "text")
    assert str(spec.main.example[0][column.key]) in text


def test_an_empty_template_is_refused_with_a_file_problem(app):
    job, results = run_import(template.template_bytes(KINDS["units"]), "units")
    assert job.status == jobs.REFUSED
    assert results["file_problems"] and results["rows"] == []


# ---------------------------------------------------------------- each kind


def test_units_import_builds_the_tree_and_reimport_updates_by_code(app):
    rows = unit_rows()
    job, results = run_import(workbook("units", {"units": rows}), "units", name="村居名单.xlsx")
    assert job.status == jobs.DONE
    assert job.result["created"] == len(rows) == 1 + TOWNS + sum(STATIONS)
    town = next(r for r in rows if r["tier"] == "town" and r["code"] != rows[1]["code"])
    village = next(r for r in rows if r["parent_code"] == town["code"])
    unit = db.session.execute(
        sa.select(m.OrgUnit).where(m.OrgUnit.code == village["code"])
    ).scalar_one()
    assert unit.tier == Tier.VILLAGE and unit.parent.code == town["code"]
    assert unit.path == f"/{CITY_CODE}/{town['code']}/{village['code']}/"
    audit = db.session.execute(
        sa.select(m.AuditLog).where(m.AuditLog.action == "import")
    ).scalar_one()
    assert (audit.action, audit.table_name, audit.username) == ("import", "org_unit", "admin")
    assert audit.after["file"] == "村居名单.xlsx" and audit.after["created"] == len(rows)

    rows[5]["name"] = "改名后的便民服务站"
    again, results = run_import(workbook("units", {"units": rows}), "units")
    assert count(m.OrgUnit) == len(rows)
    assert (again.result["created"], again.result["updated"]) == (0, 1)
    assert again.result["unchanged"] == len(rows) - 1
    assert by_row(results, "units")[7]["outcome"] == "updated"
    imports = sa.select(sa.func.count()).where(m.AuditLog.action == "import")
    assert db.session.execute(imports).scalar_one() == 2


def test_departments_and_holidays_import(app):
    job, _ = run_import(workbook("departments", {"departments": department_rows()}), "departments")
    assert job.result["created"] == len(department_rows()) == count(m.Department)
    rows = holiday_rows()
    job, _ = run_import(workbook("holidays", {"holidays": rows}), "holidays")
    assert job.status == jobs.DONE and job.result["created"] == len(rows) == count(m.Holiday)
    years = set(db.session.execute(sa.select(m.HolidayYear.year)).scalars())
    assert years == set(range(2004, 2028))


def test_service_items_with_hundreds_of_items_and_their_materials(app):
    run_import(workbook("departments", {"departments": department_rows()}), "departments")
    items, materials = item_rows(synthetic=300)
    data = workbook("items", {"items": items, "materials": materials})
    job, results = run_import(data, "items")
    assert job.status == jobs.DONE, job.result
    assert count(m.ServiceItem) == len(items) == BASE_ITEMS + 300
    assert count(m.RequiredMaterial) == len(materials) > 1000
    assert job.result["created"] == len(items) + len(materials)
    sample = items[100]
    item = db.session.execute(
        sa.select(m.ServiceItem).where(m.ServiceItem.code == sample["code"])
    ).scalar_one()
    wanted = [r for r in materials if r["item_code"] == sample["code"]]
    assert [mat.name for mat in item.materials] == [r["name"] for r in wanted]
    assert item.pinyin_initials and item.department.code == sample["department_code"]
    parallel = next(i for i in base_items() if i["parallel_departments"])
    row = db.session.execute(
        sa.select(m.ServiceItem).where(m.ServiceItem.code == parallel["code"])
    ).scalar_one()
    assert sorted(d.code for d in row.parallel_departments) == sorted(
        parallel["parallel_departments"]
    )

    # Re-import with one material changed, one removed: ids of the others are kept.
    ids_before = {mat.name: mat.id for mat in item.materials}
    changed = [r for r in materials if r["item_code"] != sample["code"]] + [
        {**wanted[0], "copies": 3},
        *wanted[1:-1],
    ]
    job, results = run_import(workbook("items", {"items": items, "materials": changed}), "items")
    assert (job.result["created"], job.result["updated"]) == (0, 2)  # the item and one material
    db.session.expire_all()
    item = db.session.get(m.ServiceItem, item.id)
    assert [mat.name for mat in item.materials] == [r["name"] for r in wanted[:-1]]
    assert item.materials[0].copies == 3
    assert {mat.name: mat.id for mat in item.materials} == {
        name: ids_before[name] for name in [r["name"] for r in wanted[:-1]]
    }


def test_items_carry_their_window_and_place_in_the_hall(app):
    """窗口号 and the place in the hall come in with the catalogue; a workbook made before these
    columns existed leaves them as they are, a blank cell clears them."""
    run_import(workbook("departments", {"departments": department_rows()}), "departments")
    items, materials = item_rows(synthetic=0)
    base = base_items()[0]
    assert items[0]["code"] == base["code"]
    items[0] |= {"window_number": base["window_number"], "hall_location": base["hall_location"]}
    job, _results = run_import(workbook("items", {"items": items}), "items")
    assert job.status == jobs.DONE, job.result

    def where(code):
        db.session.expire_all()
        item = db.session.execute(
            sa.select(m.ServiceItem).where(m.ServiceItem.code == code)
        ).scalar_one()
        return item.window_number, item.hall_location

    assert where(base["code"]) == (base["window_number"], base["hall_location"])
    assert where(items[1]["code"]) == (None, None)

    # An older workbook: the two columns are not there at all.
    book = load_workbook(io.BytesIO(workbook("items", {"items": items[:1]})))
    sheet = next(ws for ws in book.worksheets if "窗口号" in [c.value for c in ws[1]])
    headers = [cell.value for cell in sheet[1]]
    for label in ("窗口号", "大厅位置"):
        sheet.delete_cols(headers.index(label) + 1)
        headers = [cell.value for cell in sheet[1]]
    older = io.BytesIO()
    book.save(older)
    job, _results = run_import(older.getvalue(), "items")
    assert job.status == jobs.DONE and job.result["updated"] == 0, job.result
    assert where(base["code"]) == (base["window_number"], base["hall_location"])

    # A blank cell clears them.
    items[0] |= {"window_number": "", "hall_location": ""}
    job, _results = run_import(workbook("items", {"items": items[:1]}), "items")
    assert job.result["updated"] == 1, job.result
    assert where(base["code"]) == (None, None)


# ---------------------------------------------------------------- errors and valid-only


def _bad_unit_rows() -> list[dict]:
    rows = unit_rows()[:12]  # the city, the first two towns and their stations
    rows[3]["code"] = rows[2]["code"]  # row 5: duplicate of row 4
    rows[6]["parent_code"] = "999999"  # row 8: unknown parent
    rows[8]["tier"] = "town"  # row 10: a town under a town
    rows[9]["name"] = ""  # row 11: name missing
    rows[10]["tier"] = "province"  # row 12: not a tier
    return rows


def test_a_file_with_errors_in_several_rows_writes_nothing_and_names_each(app):
    job, results = run_import(workbook("units", {"units": _bad_unit_rows()}), "units")
    assert job.status == jobs.REFUSED and count(m.OrgUnit) == 0
    rows = by_row(results, "units")
    refused = {n: {p["column"] for p in r["problems"]} for n, r in rows.items() if r["problems"]}
    assert refused == {
        4: {"code"},
        5: {"code"},
        8: {"parent_code"},
        10: {"parent_code"},
        11: {"name"},
        12: {"tier"},
    }
    assert {r["outcome"] for n, r in rows.items() if n not in refused} == {"skipped"}
    assert job.result["refused"] == 6
    audit = db.session.execute(
        sa.select(m.AuditLog).where(m.AuditLog.action == "import")
    ).scalar_one()
    assert audit.after["refused"] == 6 and audit.after["written"] is False

    ws = load_workbook(io.BytesIO(report.report_bytes(KINDS["units"], results))).worksheets[0]
    errors = len(KINDS["units"].main.columns) + 2  # Row, the columns, Result, Errors
    numbers = {row[0].value: row[errors].value for row in ws.iter_rows(min_row=2)}
    assert {n for n, text in numbers.items() if text} == set(refused)
    assert all(text for n, text in numbers.items() if n in refused)


def test_errors_of_staff_items_and_holidays_are_found(app):
    run_import(workbook("units", {"units": unit_rows()}), "units")
    run_import(workbook("departments", {"departments": department_rows()}), "departments")
    staff = staff_rows(4)
    staff[0]["mobile"] = "12345"
    staff[1]["roles"] = ["Boss"]
    staff[2]["unit_code"] = "000"
    staff[3]["username"] = "x"
    job, results = run_import(workbook("staff", {"staff": staff}), "staff")
    columns = [{p["column"] for p in r["problems"]} for r in results["rows"]]
    assert columns == [{"mobile"}, {"roles"}, {"unit_code"}, {"username"}]
    assert count(m.Specialist) == 0

    items, materials = item_rows(synthetic=0)
    departments = {d["code"] for d in department_rows()[:3]}
    items = [i for i in items if i["department_code"] in departments][:3]
    items[0]["legal_days"] = 0
    materials = [r for r in materials if r["item_code"] in {i["code"] for i in items}]
    materials.append({"item_code": "NOPE", "name": "x", "copies": 1})
    job, results = run_import(workbook("items", {"items": items, "materials": materials}), "items")
    assert job.status == jobs.REFUSED and count(m.ServiceItem) == 0
    problems = {(r["sheet"], r["number"]) for r in results["rows"] if r["problems"]}
    assert ("items", 2) in problems and ("materials", len(materials) + 1) in problems

    job, results = run_import(
        workbook("holidays", {"holidays": [{"day": "2027-03-03", "kind": "workday"}]}), "holidays"
    )
    assert results["rows"][0]["problems"][0]["column"] == "kind"

    bad = [{"code": "A/B", "name": "斜杠部门"}]
    bad.append({"code": department_rows()[0]["code"], "name": "另一个名字"})  # renamed
    bad.append({"code": "NEW", "name": department_rows()[1]["name"]})  # another's name
    job, results = run_import(workbook("departments", {"departments": bad}), "departments")
    columns = [{p["column"] for p in r["problems"]} for r in results["rows"]]
    assert columns == [{"code"}, set(), {"name"}]


def test_valid_rows_only_writes_them_and_refuses_the_dependants_of_refused_rows(app):
    rows = unit_rows()[:12]
    rows[1]["tier"] = "nonsense"  # the first town refused → its five stations refused too
    job, results = run_import(workbook("units", {"units": rows}), "units", valid_only=True)
    assert job.status == jobs.DONE
    assert (job.result["created"], job.result["refused"]) == (6, 6)
    codes = set(db.session.execute(sa.select(m.OrgUnit.code)).scalars())
    assert codes == {r["code"] for r in [rows[0], *rows[7:12]]}


# ---------------------------------------------------------------- round trip and scope


def snapshot() -> dict:
    """Every imported table as plain tuples, ids included."""
    tables = [m.OrgUnit, m.Department, m.ServiceItem, m.RequiredMaterial, m.Holiday]
    tables += [m.HolidayYear, m.Specialist, m.item_parallel_department]
    tables.append(current_app.appbuilder.sm.user_model.__table__)
    out = {}
    for table in tables:
        table = getattr(table, "__table__", table)
        rows = db.session.execute(sa.select(table)).all()
        out[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    out["roles"] = sorted(
        (u.username, r.name)
        for u in db.session.execute(sa.select(current_app.appbuilder.sm.user_model)).scalars()
        for r in u.roles
    )
    return out


def test_round_trip_export_then_import_changes_nothing(app):
    load_master_data()
    before = snapshot()
    for kind in KINDS:
        data = export.export_bytes(db.session, kind, Scope(everything=True))
        job, results = run_import(data, kind, name=f"{kind}-export.xlsx")
        assert job.status == jobs.DONE, (kind, [r for r in results["rows"] if r["problems"]][:3])
        assert job.result["created"] == job.result["updated"] == job.result["refused"] == 0
        assert job.result["unchanged"] == job.result["total"] > 0
    db.session.expire_all()
    assert snapshot() == before


def test_import_works_on_sqlite_too(any_app):
    job, _ = run_import(workbook("units", {"units": unit_rows()[:8]}), "units")
    assert job.status == jobs.DONE and job.result["created"] == 8
    again, _ = run_import(workbook("units", {"units": unit_rows()[:8]}), "units")
    assert again.result["unchanged"] == 8 and count(m.OrgUnit) == 8


def test_cells_read_labels_of_every_language_and_common_spellings(app):
    from app.imports import cells

    bools = cells.bool_map()
    assert bools[cells.fold("是")] is True and bools[cells.fold(" No ")] is False
    tiers = cells.choice_map([(t.value, t.label) for t in Tier])
    assert tiers[cells.fold("village")] == "village"
    assert tiers[cells.fold("Town / street")] == "town"
    assert cells.as_date("2027年1月2日").isoformat() == "2027-01-02"
    assert cells.as_text(440781100.0) == "440781100" and cells.as_int("12") == 12
