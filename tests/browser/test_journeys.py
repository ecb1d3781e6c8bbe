"""Journeys of the people who use the system, in a real browser (Debian chromium)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain.calendar import seed_official_calendar
from app.extensions import db
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def choose(page, selector: str, value) -> None:
    """Pick an option of a <select> that select2 may have hidden."""
    page.select_option(selector, str(value), force=True)


def step_form(j, case_id: int, step: str):
    j.go(f"/caseview/step/{case_id}/{step}")
    return j.page


def save(page):
    page.click("#step-form button[type=submit]")
    page.wait_for_load_state()


def test_village_to_town_specialists_take_a_proxy_case_to_its_end(app, tree, journey):
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    village = factories.staff("v1", "Specialist", tree.village_a1)
    factories.staff("t1", "Specialist", tree.town_a)
    item = factories.service_item(materials=3)
    item.name = "高龄津贴申领"
    db.session.commit()
    assert village

    # -- the village station: applicant, 代办 case, entrustment, notice, materials, transfer
    j = journey("specialist-village")
    j.login("v1", factories.PASSWORD)
    j.see("我的工作")
    j.go("/applicantview/add")
    choose(j.page, "select[name=kind]", "person")
    j.page.fill("input[name=name]", "黄伯")
    j.page.fill("input[name=id_number]", factories.resident_id(dt.date(1948, 3, 3)))
    j.page.fill("input[name=mobile]", "13912345678")
    choose(j.page, "select[name=unit]", tree.village_a1.id)
    j.shot("applicant-form")
    j.page.click("button[type=submit]")
    j.page.wait_for_load_state()
    applicant = db.session.execute(sa.select(m.Applicant)).scalar_one()

    j.go(f"/caseview/add?item={item.id}")
    j.page.fill("#applicant-search", "黄伯")
    j.page.click(f"#applicant-results [data-id='{applicant.id}']")
    choose(j.page, "select[name=kind]", "proxy")
    j.page.fill("textarea[name=needs]", "代为申领高龄津贴")
    for box in ("ack_voluntary", "ack_free", "ack_truthful"):
        j.page.check(f"input[name={box}]")
    j.shot("application-form")
    j.page.click("#apply-form button[type=submit]")
    j.page.wait_for_load_state()
    j.see("已申请", "黄伯")
    case = db.session.execute(sa.select(m.Case)).scalar_one()
    j.shot("case-applied")

    page = step_form(j, case.id, "confirm")
    page.check("input[name=process_explained]")
    page.check("input[name=applicant_signed]")
    page.check(f"input[name=received][value='{item.materials[0].id}']")
    save(page)
    j.see("已受理")
    j.shot("case-accepted")

    page = step_form(j, case.id, "notify_missing")
    j.see("材料2", "获取方式2", "材料3")
    save(page)
    j.see("待补正")
    notice = db.session.execute(sa.select(m.MaterialNotice)).scalar_one()
    j.go(f"/print/notice/{notice.id}")
    j.see("材料2", "获取方式3")
    j.shot("one-time-notice-printed")

    page = step_form(j, case.id, "supplement")
    for mat in item.materials[1:]:
        page.check(f"input[name=supplied][value='{mat.id}']")
    save(page)
    j.see("已受理")  # back where it stood: still to be submitted to the window
    page = step_form(j, case.id, "submit")
    save(page)
    j.see("办理中")

    page = step_form(j, case.id, "transfer")
    choose(page, "select[name=to_unit]", tree.town_a.id)
    save(page)
    j.see(tree.town_a.name)
    j.shot("transferred")

    # -- the town center: contact, fee guidance, extension, handover, receipt, evaluation
    t = journey("specialist-town")
    t.login("t1", factories.PASSWORD)
    t.go(f"/caseview/show/{case.id}")
    t.see(case.number, "办理中")
    page = step_form(t, case.id, "contact")
    choose(page, "select[name=channel]", "phone")
    page.fill("textarea[name=note]", "电话告知黄伯办理进度")
    save(page)
    page = step_form(t, case.id, "fee_guidance")
    page.fill("input[name=payee]", "无")
    page.fill("input[name=amount]", "0")
    page.fill("textarea[name=note]", "本事项不收费")
    save(page)
    page = step_form(t, case.id, "extend")
    page.fill("input[name=extra_days]", "3")
    page.fill("textarea[name=reason]", "需核实户籍信息")
    page.check("input[name=explained_to_applicant]")
    save(page)
    t.see("延期")
    page = step_form(t, case.id, "complete")
    page.fill("textarea[name=results]", "高龄津贴审批通知书一份")
    page.fill("textarea[name=materials_returned]", "身份证原件")
    save(page)
    t.see("已办结")
    t.shot("completed")
    t.go(f"/print/handover/{case.id}")
    t.see("高龄津贴审批通知书一份", "黄伯")
    t.shot("handover-receipt-printed")
    page = step_form(t, case.id, "evaluate")
    choose(page, "select[name=rating]", "5")
    choose(page, "select[name=channel]", "on_site")
    save(page)
    t.see("非常满意")
    t.shot("evaluated")
    timeline = t.page.inner_text("#case-timeline")
    for kind in ("联系", "缴费", "延期", "移交", "评价"):
        assert kind in timeline, kind


def new_account(j, username, name, unit_id, role):
    j.go("/specialistview/account/new")
    j.page.fill("input[name=username]", username)
    j.page.fill("input[name=password]", "Strong@Pass99")
    j.page.fill("input[name=name]", name)
    choose(j.page, "select[name=unit]", unit_id)
    choose(j.page, "select[name=role]", role)
    j.page.click("#account-form button[type=submit]")
    j.page.wait_for_load_state()


def test_admin_manages_staff_and_reassigns_open_cases(app, tree, journey):
    factories.staff("admin", "Admin", None)
    leaving = factories.staff("leaving", "Specialist", tree.village_a1)
    open_case = factories.case(tree.village_a1, leaving)
    j = journey("admin")
    j.login("admin", factories.PASSWORD)
    new_account(j, "town_boss", "李经理", tree.town_a.id, "Manager")
    j.see("李经理")
    new_account(j, "village_new", "陈专员", tree.village_a1.id, "Specialist")
    j.see("陈专员")
    j.shot("accounts-created")
    boss = db.session.execute(
        sa.select(m.Specialist).where(m.Specialist.name == "李经理")
    ).scalar_one()
    j.go(f"/specialistview/show/{boss.id}")
    choose(j.page, "#role-form select[name=role]", "Leader")
    j.page.click("#role-form button[type=submit]")
    j.page.wait_for_load_state()
    j.shot("role-changed")
    db.session.expire_all()
    assert [r.name for r in db.session.get(m.Specialist, boss.id).user.roles] == ["Leader"]
    successor = db.session.execute(
        sa.select(m.Specialist).where(m.Specialist.name == "陈专员")
    ).scalar_one()
    j.go(f"/specialistview/show/{leaving.id}")
    j.page.click("#deactivate-link")
    j.page.wait_for_load_state()
    j.see(open_case.number)
    choose(j.page, "select[name=reassign_to]", successor.id)
    j.shot("deactivate-form")
    j.page.click("#deactivate-form button[type=submit]")
    j.page.wait_for_load_state()
    j.shot("deactivated")
    db.session.expire_all()
    assert db.session.get(m.Case, open_case.id).specialist_id == successor.id
    assert db.session.get(m.Specialist, leaving.id).active is False


def test_manager_sees_overdue_reassigns_exports_and_opens_the_dashboard(app, tree, journey):
    from app.domain import clock, lifecycle

    seed_official_calendar(db.session, [2026])
    db.session.commit()
    factories.staff("boss", "Manager", tree.town_a)
    first = factories.staff("first", "Specialist", tree.village_a1)
    second = factories.staff("second", "Specialist", tree.village_a1)
    clock.set_fixed(dt.datetime(2026, 10, 12, 9, 0))
    try:
        late = factories.case(tree.village_a1, first, item=factories.service_item(promised_days=2))
        lifecycle.confirm(
            db.session,
            late,
            first.user,
            process_explained=True,
            applicant_signed=True,
            received_material_ids=[mat.id for mat in late.item.materials],
        )
        lifecycle.submit(db.session, late, first.user)
        db.session.commit()
    finally:
        clock.set_fixed(None)
    j = journey("manager")
    j.login("boss", factories.PASSWORD)
    j.go("/caseview/list/")
    assert j.page.locator(".due-overdue").count() >= 1, "the overdue flag is not shown"
    j.shot("case-list-overdue-flag")

    page = step_form(j, late.id, "assign")
    choose(page, "select[name=specialist]", second.id)
    save(page)
    db.session.expire_all()
    assert db.session.get(m.Case, late.id).specialist_id == second.id
    j.shot("reassigned")

    j.go("/ledger/list/?overdue=1")
    j.see(late.number)
    j.shot("ledger-filtered")
    with j.page.expect_download() as download:
        j.page.click("#export-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")

    j.go("/dashboard/")
    j.page.wait_for_selector("#dashboard .chart canvas, #dashboard .chart svg", timeout=15000)
    assert j.page.locator("#dashboard .chart canvas, #dashboard .chart svg").count() >= 1
    j.see("满意率")
    j.shot("dashboard")


def test_language_switch_reads_in_one_language(app, tree, journey):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.case(tree.town_a, spec)
    j = journey("languages")
    j.login("spec", factories.PASSWORD)
    pages = ["/", "/caseview/list/", "/guide/", "/walkin/"]
    for lang, present, absent in (
        ("en", "Logout", "注销"),
        ("zh_Hant", "登出", "注销"),
        ("zh", "注销", "Logout"),
    ):
        j.go(f"/lang/{lang}")
        for path in pages:
            j.go(path)
            nav = j.page.text_content(".navbar")  # the user menu's items too
            assert present in nav and absent not in nav, (lang, path)
        j.shot(f"guide-{lang}")
