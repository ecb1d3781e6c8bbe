"""Official item codes (GB/T 39554.1-2020): 事项编码 and 实施清单编码 validated on every path,
shown on cases, and used by the catalogue import to match items."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import itemcodes
from app.extensions import db
from app.imports import jobs
from app.imports.specs import KINDS
from app.ledger.export import COLUMNS
from app.validators import complete_uscc
from tests import factories
from tests.apiclient import api_login
from tests.test_imports import by_row, department_rows, run_import, workbook

pytest_plugins = ["tests.api_fixtures"]

BODY = complete_uscc("11440781007000370")  # a well-formed credit code of an implementing body
BASIC = "000001001000"
IMPLEMENTATION = BODY + "4" + BASIC


@pytest.mark.parametrize(
    "basic, implementation, field",
    [
        (BASIC, IMPLEMENTATION, None),
        ("", "", None),
        ("00000100100", "", "basic"),  # 11 digits
        ("990001001000", "", "basic"),  # no such item type
        ("00000100100A", "", "basic"),
        (BASIC, IMPLEMENTATION[:-1], "implementation"),  # 30 characters
        (BASIC, BODY[:17] + ("0" if BODY[17] != "0" else "1") + "4" + BASIC, "implementation"),
        (BASIC, BODY + "7" + BASIC, "implementation"),  # no such level
        ("000001002000", IMPLEMENTATION, "implementation"),  # another item's code
    ],
)
def test_the_format_of_both_codes(app, basic, implementation, field):
    errors = {
        "basic": itemcodes.basic_code_error(basic),
        "implementation": itemcodes.implementation_code_error(implementation, basic),
    }
    assert {k for k, v in errors.items() if v is not None} == ({field} if field else set())


def test_the_item_templates_example_has_well_formed_codes():
    example = KINDS["items"].main.example[0]
    assert itemcodes.basic_code_error(example["basic_code"]) is None
    code = example["implementation_code"]
    assert itemcodes.implementation_code_error(code, example["basic_code"]) is None


def test_codes_are_stored_in_one_spelling(app):
    item = factories.service_item()
    item.implementation_code = " " + IMPLEMENTATION.lower().replace("4", "４", 1) + " "
    item.basic_code = ""
    db.session.commit()
    assert item.implementation_code == IMPLEMENTATION and item.basic_code is None


def test_the_item_screen_checks_the_codes(app, login):
    factories.staff("admin_codes", "Admin", None)
    department = factories.department()
    db.session.commit()
    client = login(app.test_client(), "admin_codes")
    form = {
        "code": "XK-900",
        "name": "测试许可事项",
        "department": str(department.id),
        "promised_days": "5",
        "legal_days": "20",
        "fee_note": "不收费",
        "keywords": "许可",
        "basic_code": BASIC,
        "implementation_code": BODY + "4" + "000001002000",
    }
    page = client.post("/serviceitemview/add", data=form)
    assert page.status_code == 200
    assert "实施清单编码与本事项的事项基本编码不一致" in page.text
    assert (
        db.session.execute(sa.select(m.ServiceItem).where(m.ServiceItem.code == "XK-900")).first()
        is None
    )
    form["implementation_code"] = IMPLEMENTATION.lower()
    saved = client.post("/serviceitemview/add", data=form)
    assert saved.status_code == 302
    item = db.session.execute(
        sa.select(m.ServiceItem).where(m.ServiceItem.code == "XK-900")
    ).scalar_one()
    assert (item.basic_code, item.implementation_code) == (BASIC, IMPLEMENTATION)


def test_the_api_checks_the_codes_and_the_case_shows_them(api_app, tree, login):
    factories.staff("admin_api", "Admin", None)
    spec = factories.staff("spec_codes", "Specialist", tree.town_a)
    department = factories.department()
    db.session.commit()
    api = api_login(api_app, "admin_api")
    body = {
        "code": "XK-901",
        "name": "接口许可事项",
        "department": department.id,
        "promised_days": 5,
        "legal_days": 20,
        "accept_town": True,
        "basic_code": "12345",
    }
    response = api.post("/api/v1/service_item/", json=body)
    assert response.status_code in (400, 422), response.json
    assert "basic_code" in str(response.json)
    body["basic_code"] = BASIC
    body["implementation_code"] = BODY + "4" + "000001002000"  # another item's code at the end
    response = api.post("/api/v1/service_item/", json=body)
    assert response.status_code == 422, response.json
    assert "implementation_code" in str(response.json)
    assert db.session.scalar(sa.select(sa.func.count(m.ServiceItem.id))) == 0
    body["implementation_code"] = IMPLEMENTATION
    response = api.post("/api/v1/service_item/", json=body)
    assert response.status_code == 201, response.json
    pk = response.json["id"]
    moved = api.put(f"/api/v1/service_item/{pk}", json={"basic_code": "000001002000"})
    assert moved.status_code == 422 and "implementation_code" in str(moved.json)
    db.session.expire_all()
    assert db.session.get(m.ServiceItem, pk).basic_code == BASIC  # nothing half-saved
    item = db.session.get(m.ServiceItem, response.json["id"])
    case = factories.case(tree.town_a, spec, item=item)
    shown = api.get(f"/api/v1/case/{case.id}").json["result"]
    assert shown["item"]["implementation_code"] == IMPLEMENTATION
    assert shown["item"]["basic_code"] == BASIC
    page = login(api_app.test_client(), "spec_codes").get(f"/caseview/show/{case.id}").text
    assert f'id="case-implementation-code">{IMPLEMENTATION}<' in page
    assert f'id="case-item-code">{BASIC}<' in page


def _item_row(code, implementation="", basic=BASIC, name="营业执照办理"):
    return {
        "code": code,
        "basic_code": basic,
        "implementation_code": implementation,
        "name": name,
        "department_code": department_rows()[0]["code"],
        "accept_city": True,
        "promised_days": 3,
        "legal_days": 10,
        "active": True,
    }


def test_the_catalogue_import_matches_items_by_implementation_code(app):
    run_import(workbook("departments", {"departments": department_rows()}), "departments")
    job, _ = run_import(workbook("items", {"items": [_item_row("OLD-1", IMPLEMENTATION)]}), "items")
    assert job.status == jobs.DONE, job.result
    old = db.session.execute(sa.select(m.ServiceItem)).scalar_one()
    # The province renumbered the item in its own catalogue: same official code, new own code.
    renamed = _item_row("NEW-1", IMPLEMENTATION, name="营业执照办理（新）")
    job, results = run_import(workbook("items", {"items": [renamed]}), "items")
    assert job.status == jobs.DONE, job.result
    db.session.expire_all()
    items = db.session.execute(sa.select(m.ServiceItem)).scalars().all()
    assert [(i.id, i.code, i.name) for i in items] == [(old.id, "NEW-1", "营业执照办理（新）")]
    assert by_row(results, "items")[2]["outcome"] == "updated"
    # An empty cell keeps the stored codes.
    job, _ = run_import(workbook("items", {"items": [_item_row("NEW-1", "", basic="")]}), "items")
    db.session.expire_all()
    assert db.session.get(m.ServiceItem, old.id).implementation_code == IMPLEMENTATION


def test_the_catalogue_import_refuses_bad_or_clashing_codes(app):
    run_import(workbook("departments", {"departments": department_rows()}), "departments")
    other = complete_uscc("11440781007000380") + "4" + "000001002000"
    run_import(
        workbook(
            "items",
            {"items": [_item_row("A-1", IMPLEMENTATION), _item_row("B-1", other, "000001002000")]},
        ),
        "items",
    )
    rows = [
        _item_row("C-1", "X" * 31),  # malformed
        _item_row("C-2", BODY + "4" + "000001003000"),  # not this item's 事项编码
        _item_row("C-3", BODY + "5" + BASIC),
        _item_row("C-4", BODY + "5" + BASIC),  # the same implementation code twice
        _item_row("B-1", IMPLEMENTATION),  # A-1's implementation code on item B-1
        _item_row("C-5", "", basic="1234"),
    ]
    job, results = run_import(workbook("items", {"items": rows}), "items")
    assert job.status == jobs.REFUSED
    columns = [{p["column"] for p in r["problems"]} for r in results["rows"]]
    assert columns == [
        {"implementation_code"},
        {"implementation_code"},
        set(),
        {"implementation_code"},
        {"implementation_code"},
        {"basic_code"},
    ]
    assert db.session.execute(sa.select(sa.func.count(m.ServiceItem.id))).scalar_one() == 2


def test_one_check_for_both_codes_together():
    assert itemcodes.codes_error(BASIC, IMPLEMENTATION) == {}
    assert itemcodes.codes_error("", "") == {}
    assert set(itemcodes.codes_error("000001002000", IMPLEMENTATION)) == {"implementation_code"}
    assert set(itemcodes.codes_error("12345", IMPLEMENTATION)) == {"basic_code"}
    assert itemcodes.codes_error(None, IMPLEMENTATION) == {}  # no basic code to compare with


@pytest.mark.parametrize(
    "lang, header",
    [("zh", "事项基本编码"), ("zh_Hant", "事項基本編碼"), ("en", "Official item code")],
)
def test_the_ledger_export_carries_the_item_code(app, tree, login, lang, header):
    factories.staff("mgr_codes", "Manager", tree.town_a)
    spec = factories.staff("spec_codes", "Specialist", tree.town_a)
    coded = factories.service_item()
    coded.basic_code = BASIC
    plain = factories.service_item()
    db.session.commit()
    with_code = factories.case(tree.town_a, spec, item=coded)
    without = factories.case(tree.town_a, spec, item=plain)
    client = login(app.test_client(), "mgr_codes")
    client.get(f"/lang/{lang}")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/ledger/export/xlsx").data))
    ws = book.worksheets[0]
    headers = [c.value for c in ws[3]]
    column = headers.index(header)
    assert headers[column - 1] == [str(c.header) for c in COLUMNS][column - 1]  # after the item
    codes = {row[0].value: row[column].value for row in ws.iter_rows(min_row=4)}
    assert codes == {with_code.number: BASIC, without.number: None}
    text = client.get("/ledger/export/csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[2][column] == header
    assert {r[0]: r[column] for r in rows[3:]} == {with_code.number: BASIC, without.number: ""}
