"""Screens that fit, in a real browser: the manager reads status, due date and overdue on the
ledger at 1280 px without scrolling sideways and keeps a column choice across log-ins; the
Admin's navbar is one row in every language; a village specialist works a day on a 390 px phone
(my work, the case page and a step, a signed entrustment filed, the applicant picker finding one
registered 1,000 applicants ago, walk-in help, the guide) with nothing wider than the screen.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.domain.calendar import seed_official_calendar
from app.extensions import db
from tests import factories
from tests.browser.test_papers_journey import PNG
from tests.test_pickers import many_applicants

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = 1280
PHONE = 390
LONG_ITEM = "企业开办一件事（设立登记、公章刻制、发票申领、社保登记、医保登记、公积金开户登记）"


def scroll_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def box_inside(page, selector: str, width: int) -> dict:
    """The element's box, asserted to lie inside the viewport's width (no sideways scroll)."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
    return box


def late_case(unit, specialist, item) -> m.Case:
    """A case submitted to the window on 2026-10-12 with two promised days: overdue today."""
    clock.set_fixed(dt.datetime(2026, 10, 12, 9, 0))
    try:
        case = factories.case(unit, specialist, item=item)
        lifecycle.confirm(
            db.session,
            case,
            specialist.user,
            process_explained=True,
            applicant_signed=True,
            received_material_ids=[mat.id for mat in case.item.materials],
        )
        lifecycle.submit(db.session, case, specialist.user)
        db.session.commit()
    finally:
        clock.set_fixed(None)
    return case


def test_the_manager_reads_status_due_date_and_overdue_without_scrolling(app, tree, journey):
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    factories.staff("boss", "Manager", tree.town_a)
    spec = factories.staff("spec", "Specialist", tree.village_a1)
    item = factories.service_item(promised_days=2)
    item.name = LONG_ITEM
    db.session.commit()
    late = late_case(tree.village_a1, spec, item)
    for _ in range(3):
        factories.case(tree.village_a1, spec, item=item)
    db.session.commit()

    j = journey("ledger-fits-1280")
    j.login("boss", factories.PASSWORD)
    j.go("/ledger/list/")
    row = f"#ledger-table tr[data-case-id='{late.id}']"
    j.page.wait_for_selector(row)
    j.shot("ledger-default-columns")
    assert scroll_width(j.page) <= DESKTOP
    for column in ("status", "due_date", "overdue"):
        box_inside(j.page, f"{row} td.col-{column}", DESKTOP)
        box_inside(j.page, f"#ledger-table th.col-{column}", DESKTOP)
    assert j.page.inner_text(f"{row} td.col-overdue").strip() == "已逾期"
    assert j.page.inner_text(f"{row} td.col-status").strip() == "办理中"
    assert j.page.inner_text(f"{row} td.col-due_date").strip() == late.due_date.isoformat()
    # The status badge is one line: its height is that of one line of text.
    badge = j.page.locator(f"{row} td.col-status .status-badge").bounding_box()
    assert badge["height"] < 24, badge

    # The column chooser: add the actual working days, drop the handling unit; kept per account.
    j.page.click("#column-chooser summary")
    j.page.check("#column-chooser input[value=handling_days]")
    j.page.uncheck("#column-chooser input[value=unit]")
    j.shot("column-chooser")
    j.page.click("#columns-save")
    j.page.wait_for_load_state()
    assert j.page.locator("#ledger-table th.col-handling_days").count() == 1
    assert j.page.locator("#ledger-table th.col-unit").count() == 0
    stored = db.session.execute(
        sa.select(m.UserPreference.value).where(m.UserPreference.key == "columns.ledger")
    ).scalar_one()
    assert "handling_days" in stored and "unit" not in stored

    # Another browser (another computer at the station): the same choice.
    other = journey("ledger-fits-1280-again")
    other.login("boss", factories.PASSWORD)
    other.go("/ledger/list/")
    assert other.page.locator("#ledger-table th.col-handling_days").count() == 1
    assert other.page.locator("#ledger-table th.col-unit").count() == 0
    assert scroll_width(other.page) <= DESKTOP
    box_inside(other.page, f"{row} td.col-overdue", DESKTOP)
    other.page.click("#column-chooser summary")
    other.page.click("#columns-reset")
    other.page.wait_for_load_state()
    assert other.page.locator("#ledger-table th.col-unit").count() == 1
    assert other.page.locator("#ledger-table th.col-handling_days").count() == 0

    # The case list: 类型 and 状态 on one line each, the overdue flag beside the due date.
    j.go("/caseview/list/")
    for selector in ("td.col-kind .case-kind", "td.col-status .status-badge"):
        box = j.page.locator(selector).first.bounding_box()
        assert box["height"] < 24, (selector, box)  # one line, not a character per line
    assert j.page.locator("td.col-due_date .due-overdue").count() == 1
    assert scroll_width(j.page) <= DESKTOP
    j.shot("case-list")

    # The case page: one summary, the window and hall, no second copy of the fields below.
    item.window_number = "B09"
    item.hall_location = "一楼B区 民政服务窗口"
    db.session.commit()
    j.go(f"/caseview/show/{late.id}")
    j.see("窗口", "B09", "一楼B区 民政服务窗口")
    assert j.page.locator("#flag-overdue").count() == 1
    assert j.page.locator("#case-due .due-overdue").count() == 1
    assert j.page.locator("#Home, .panel #Home").count() == 0
    assert j.page.inner_text("body").count(LONG_ITEM) == 1
    assert scroll_width(j.page) <= DESKTOP
    j.shot("case-page")


def test_the_admin_navbar_is_one_row_in_every_language(app, tree, journey):
    factories.staff("root", "Admin", None)
    j = journey("navbar-1280")
    j.login("root", factories.PASSWORD)
    for lang in ("zh", "zh_Hant", "en"):
        j.go(f"/lang/{lang}")
        j.go("/ledger/list/")
        tops = j.page.evaluate(
            "[...document.querySelectorAll('.navbar-nav > li')].map(li => li.offsetTop)"
        )
        assert len(tops) >= 7 and len(set(tops)) == 1, (lang, tops)
        height = j.page.locator(".navbar").bounding_box()["height"]
        assert height < 60, (lang, height)
        assert scroll_width(j.page) <= DESKTOP
        j.shot(f"navbar-{lang}")
    # FAB's security screens are reachable from the System menu.
    j.go("/lang/zh")
    j.go("/")
    j.page.click(".navbar-nav > li.dropdown:has(a:has-text('系统管理')) > a")
    assert j.page.locator(".dropdown-menu a[href*='/users/list']").first.is_visible()


def test_the_guide_finds_an_item_by_dibao(app, tree, journey):
    factories.staff("spec", "Specialist", tree.town_a)
    benefit = factories.service_item()
    benefit.name = "最低生活保障申请"
    benefit.keywords = "低保，救助"
    benefit.window_number = "B09"
    benefit.hall_location = "一楼B区 民政服务窗口"
    factories.service_item()
    db.session.commit()
    j = journey("guide-dibao")
    j.login("spec", factories.PASSWORD)
    j.go("/guide/")
    j.page.fill("#guide-search input[name=q]", "dibao")
    j.page.press("#guide-search input[name=q]", "Enter")
    j.page.wait_for_load_state()
    items = j.page.locator(".guide-item")
    assert items.count() == 1
    assert items.first.get_attribute("data-code") == benefit.code
    j.see("最低生活保障申请", "B09", "一楼B区 民政服务窗口")
    j.shot("guide-dibao")


def test_a_village_specialist_works_a_day_on_a_phone(app, tree, journey, tmp_path):
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    spec = factories.staff("v1", "Specialist", tree.village_a1)
    item = factories.service_item(promised_days=2)
    item.name = LONG_ITEM
    item.window_number = "A01"
    item.hall_location = "一楼A区 企业开办专区"
    benefit = factories.service_item()
    benefit.name = "最低生活保障申请"
    benefit.keywords = "低保"
    db.session.commit()
    late = late_case(tree.village_a1, spec, item)
    fresh = factories.case(tree.village_a1, spec, item=item)
    old = factories.applicant(tree.village_a1, name="欧阳长者", birth=dt.date(1940, 2, 2))
    old.created_at = dt.datetime(2020, 1, 1)
    db.session.commit()
    many_applicants(tree.village_a1, 1000, dt.datetime(2021, 1, 1))
    scan = tmp_path / "委托书-签字.png"
    scan.write_bytes(PNG)

    j = journey("phone-390")
    j.page.set_viewport_size({"width": PHONE, "height": 844})
    j.login("v1", factories.PASSWORD)

    def fits(label: str) -> None:
        j.page.wait_for_load_state()
        assert scroll_width(j.page) <= PHONE, (label, scroll_width(j.page), j.page.url)
        j.shot(label)

    # The menu: collapsed behind its button, opens in one column.
    fits("home")
    j.page.click(".navbar-toggle")
    j.page.wait_for_selector(".navbar-collapse.in")
    assert j.page.locator(".navbar-collapse .navbar-nav > li").first.is_visible()
    fits("menu-open")

    # My work: each case a card, its status and flagged due date readable.
    j.go("/mycaseview/list/")
    fits("my-cases")
    hidden = "Math.max(0, ...[...document.querySelectorAll('.table-responsive')]"
    hidden += ".map(e => e.scrollWidth - e.clientWidth))"
    assert j.page.evaluate(hidden) == 0, "a card is wider than the phone"
    card = j.page.locator("table.fab-list tbody tr", has_text=late.number)
    box_inside(j.page, "table.fab-list td.col-status", PHONE)
    assert card.locator(".due-overdue").count() == 1

    # The case page and a step: record the window's progress.
    j.go(f"/caseview/show/{fresh.id}")
    fits("case-page")
    j.see("A01", "一楼A区 企业开办专区")
    box_inside(j.page, "#case-steps a[data-step]", PHONE)
    j.page.click("#case-steps a[data-step=confirm]")
    j.page.wait_for_load_state()
    fits("step-confirm")
    j.page.check("input[name=process_explained]")
    j.page.check("input[name=applicant_signed]")
    for box in j.page.locator("input[name=received]").all():
        box.check()
    j.page.click("#step-form button[type=submit]")
    j.page.wait_for_load_state()
    fits("confirmed")
    j.see("已受理")
    db.session.expire_all()
    assert db.session.get(m.Case, fresh.id).status.value == "accepted"
    j.page.click("#case-steps a[data-step=update]")
    j.page.wait_for_load_state()
    fits("step-update")
    j.page.fill("textarea[name=note]", "窗口已受理，等待审核")
    j.page.click("#step-form button[type=submit]")
    j.page.wait_for_load_state()
    fits("updated")
    j.see("窗口已受理，等待审核")

    # A signed entrustment scan filed from the phone, on the timeline.
    j.go(f"/caseview/show/{fresh.id}")
    j.page.click("#attach-by-kind [data-attach-kind='application']")
    j.page.wait_for_selector("#step-form")
    fits("attach-form")
    j.page.set_input_files("input[name=file]", str(scan))
    j.page.click("#step-form button[type=submit]")
    j.page.wait_for_selector("#case-attachments")
    fits("attached")
    assert j.page.locator("#case-timeline tr[data-kind='attachment']").count() == 1

    # The application form with its picker: an applicant registered 1,000 applicants ago is
    # found by typing part of the name.
    j.go(f"/caseview/add?item={benefit.id}")
    fits("apply-form")
    j.page.fill("#applicant-search", "欧阳")
    j.page.wait_for_selector(f"#applicant-results [data-id='{old.id}']")
    fits("apply-picker-results")
    j.page.keyboard.press("Enter")
    assert j.page.input_value("input[name=applicant]") == str(old.id)
    fits("apply-picker-chosen")

    # Walk-in help: one tap records it.
    j.go("/walkin/")
    fits("walk-in")
    j.page.click("#walkin-form button[value=form_filling]")
    j.page.wait_for_load_state()
    fits("walk-in-recorded")
    assert j.page.inner_text("#count-form_filling").strip() == "1"

    # The guide, by pinyin.
    j.go("/guide/?q=dibao")
    fits("guide")
    assert j.page.locator(".guide-item").count() == 1
    box_inside(j.page, ".guide-item .btn", PHONE)
