"""An appointment's whole way, in Debian's chromium, on the screens a user clicks: an applicant
books a morning on the public page (网上预约, with the check code); on the day the specialist
turns it into a case from the desk's day list in one step (with the 12345 ticket number), takes
the entrustment and the evaluation at acceptance (受理), suspends the case (中止) with a reason,
resumes it (续办) with a renewed entrustment — the working-day clock stood still meanwhile, so
the due date moved — completes it with a signed handover and takes the evaluation at completion
(办结); the manager then downloads the provincial 好差评 export and finds both evaluations in it.

The domain clock is pinned (the server runs in this process) to move through the days."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app import checkcode
from app import models as m
from app.appointments import service
from app.domain import clock
from app.domain.calendar import load_calendar, seed_official_calendar
from app.enums import AppointmentStatus, SlotPeriod
from app.extensions import db
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BOOKED_ON = dt.datetime(2026, 11, 9, 10, 0)  # a Monday: the public books from tomorrow
DAY = dt.date(2026, 11, 10)  # the appointment's day
SUSPENDED_AT = dt.datetime(2026, 11, 11, 10, 0)
RESUMED_AT = dt.datetime(2026, 11, 16, 9, 30)  # the next Monday: 3 working days stood still
MOBILE = "13912340077"
TICKET = "JM-2026-110900"


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


def at(moment: dt.datetime) -> None:
    clock.set_fixed(moment)


def choose(page, selector: str, value) -> None:
    """Pick an option of a <select> that select2 may have hidden."""
    page.select_option(selector, str(value), force=True)


def open_step(j, step: str):
    """Click the step's button on the case page and wait for its form."""
    j.page.click(f"#case-steps a[data-step='{step}']")
    j.page.wait_for_selector("#step-form")
    return j.page


def save(j, status_text: str) -> None:
    """Save the step's form and wait for the case page with the status it leads to."""
    j.page.click("#step-form button[type=submit]")
    j.page.wait_for_selector("#case-status")
    assert status_text in j.page.inner_text("#case-status"), j.page.inner_text("body")[:2000]


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def reload(case_id: int) -> m.Case:
    db.session.expire_all()
    return db.session.get(m.Case, case_id)


def test_an_appointment_becomes_a_case_suspended_resumed_completed_and_evaluated_twice(
    app, tree, journey, monkeypatch
):
    seed_official_calendar(db.session, [2026])
    factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("boss", "Manager", tree.town_a)
    applicant = factories.applicant(tree.town_a, name="吴阿姨")
    applicant.mobile = MOBILE  # registered before: the appointment finds her by her mobile
    item = factories.service_item(promised_days=5, materials=2)
    item.name = "城乡居民养老保险参保登记"
    item.implementation_code = "11440781MB2C91234X4440117005000"
    at(BOOKED_ON)
    service.save_pattern(db.session, tree.town_a, {(d, SlotPeriod.MORNING): 4 for d in range(5)})
    db.session.commit()
    monkeypatch.setattr(checkcode, "new_code", lambda: "2345")  # the image's code, known here

    # -- the public page: a morning booked with the check code
    pub = journey("appointment-public")
    pub.go(f"/booking/?unit={tree.town_a.id}")
    pub.page.wait_for_selector("#booking-form")
    # the check code is issued when its image loads: wait for it before sending the form
    pub.page.wait_for_function(
        "() => { const i = document.querySelector('#check-code-image');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    pub.page.check(f"input[name=slot][value='{DAY.isoformat()}|morning']")
    pub.page.fill("#name", "吴阿姨")
    pub.page.fill("#mobile", MOBILE)
    pub.page.select_option("#item", str(item.id))
    pub.page.fill("#note", "办理养老保险参保")
    pub.page.fill("#check_code", "2345")
    pub.shot("public-booking-form")
    pub.page.click("#booking-form button[type=submit]")
    pub.page.wait_for_selector("#booking-done, #booking-error")
    assert pub.page.locator("#booking-error").count() == 0, pub.page.inner_text("#booking-error")
    number = pub.page.inner_text("#booking-number").strip()
    pub.shot("public-booked")
    appointment = db.session.execute(
        sa.select(m.Appointment).where(m.Appointment.number == number)
    ).scalar_one()
    assert (appointment.day, appointment.status) == (DAY, AppointmentStatus.BOOKED)

    # -- the day: the specialist turns it into a case from the desk's day list
    at(dt.datetime.combine(DAY, dt.time(9, 30)))
    j = journey("appointment-to-case")
    j.login("spec", factories.PASSWORD)
    j.go("/appointments/")
    row = j.page.locator(f"#appointment-list tr[data-appointment='{number}']")
    assert "吴阿姨" in row.inner_text() and item.name in row.inner_text()
    j.shot("day-list")
    row.locator(f"a[href$='/appointments/{appointment.id}/case']").click()
    j.page.wait_for_selector("#apply-form")
    # filled in from the appointment: the applicant found by the mobile, the item, the needs
    assert "吴阿姨" in j.page.inner_text("#applicant-picker .picker-chosen-label")
    assert j.page.input_value("select[name=item]") == str(item.id)
    assert j.page.input_value("textarea[name=needs]") == "办理养老保险参保"
    choose(j.page, "select[name=kind]", "help")
    j.page.check("input[name=help_types][value='form_filling']")
    j.page.fill("input[name=hotline_ticket]", TICKET.lower())
    for box in ("ack_voluntary", "ack_free", "ack_truthful"):
        j.page.check(f"input[name={box}]")
    j.shot("application-from-appointment")
    j.page.click("#apply-form button[type=submit]")
    j.page.wait_for_selector("#case-status")
    j.see("已申请", "吴阿姨", TICKET)
    case = db.session.execute(sa.select(m.Case)).scalar_one()
    assert case.hotline_ticket == TICKET
    db.session.expire_all()
    appointment = db.session.get(m.Appointment, appointment.id)
    assert (appointment.status, appointment.case_id) == (AppointmentStatus.SERVED, case.id)
    j.go("/appointments/")
    assert case.number in j.page.inner_text(f"tr[data-appointment='{number}']")
    j.go(f"/caseview/show/{case.id}")

    # -- entrustment confirmed (受理) and the evaluation at acceptance
    page = open_step(j, "confirm")
    page.check("input[name=process_explained]")
    page.check("input[name=applicant_signed]")
    for mat in item.materials:
        page.check(f"input[name=received][value='{mat.id}']")
    save(j, "已受理")
    due_at_acceptance = reload(case.id).due_date
    assert due_at_acceptance == load_calendar(db.session).add_working_days(DAY, 5).day
    page = open_step(j, "evaluate")
    choose(page, "select[name=stage]", "acceptance")
    choose(page, "select[name=rating]", "5")
    choose(page, "select[name=channel]", "on_site")
    page.fill("textarea[name=comments]", "预约准时，受理快")
    save(j, "已受理")
    j.shot("accepted-and-evaluated")
    page = open_step(j, "submit")
    save(j, "办理中")

    # -- suspended (中止): the applicant cannot be reached; the clock stops
    at(SUSPENDED_AT)
    j.go(f"/caseview/show/{case.id}")
    page = open_step(j, "suspend")
    choose(page, "select[name=reason_type]", "applicant_unreachable")
    page.fill("textarea[name=reason]", "申请人电话无法接通，需补签社保卡信息")
    save(j, "已中止")
    j.page.wait_for_selector("#case-clock-stopped")
    assert "申请人电话无法接通" in j.page.inner_text("#case-suspensions")
    j.shot("suspended")
    suspension = db.session.execute(sa.select(m.Suspension)).scalar_one()
    j.go(f"/print/suspension/{suspension.id}")
    j.see(case.number, "申请人电话无法接通")
    j.shot("suspension-notice-printed")

    # -- resumed (续办) with a renewed entrustment; the due date moves by the days stood still
    at(RESUMED_AT)
    j.go(f"/caseview/show/{case.id}")
    page = open_step(j, "resume")
    page.check("input[name=renewal_signed]")
    page.fill("input[name=signed_by]", "吴阿姨")
    save(j, "办理中")
    resumed = reload(case.id)
    calendar = load_calendar(db.session)
    # stopped on Wednesday 11-11, running again on Monday 11-16: Thu, Fri and Mon not counted
    assert calendar.working_days_between(due_at_acceptance, resumed.due_date) == 3
    assert resumed.due_date == calendar.add_working_days(due_at_acceptance, 3).day
    db.session.expire_all()
    suspension = db.session.get(m.Suspension, suspension.id)
    assert suspension.paused_working_days == 3
    assert suspension.renewal_signed_by == "吴阿姨"
    suspended_row = j.page.inner_text("#case-suspensions tr[data-open='no']")
    assert "吴阿姨" in suspended_row and "3" in suspended_row
    assert j.page.locator("#case-clock-stopped").count() == 0
    shown_due = j.page.inner_text("#case-due")
    assert zh_date(resumed.due_date) in shown_due and zh_date(due_at_acceptance) not in shown_due
    assert zh_date(due_at_acceptance) in suspended_row  # the due date when it was suspended
    j.shot("resumed-due-date-moved")
    j.go(f"/print/renewal/{suspension.id}")
    j.see(case.number, "吴阿姨")

    # -- completed with a signed handover, then the evaluation at completion
    j.go(f"/caseview/show/{case.id}")
    page = open_step(j, "complete")
    page.fill("textarea[name=results]", "参保登记回执一份")
    page.fill("textarea[name=materials_returned]", "身份证原件")
    page.fill("input[name=signed_by]", "吴阿姨")
    save(j, "已办结")
    j.go(f"/print/handover/{case.id}")
    j.see("参保登记回执一份", "吴阿姨")
    j.shot("handover-printed")
    j.go(f"/caseview/show/{case.id}")
    page = open_step(j, "evaluate")
    choose(page, "select[name=stage]", "completion")
    choose(page, "select[name=rating]", "4")
    choose(page, "select[name=channel]", "sms_link")
    save(j, "已办结")
    assert j.page.locator("#case-steps a[data-step='evaluate']").count() == 0  # both given
    timeline = j.page.inner_text("#case-timeline")
    for kind in ("中止", "续办", "评价"):
        assert kind in timeline, kind
    j.shot("completed-and-evaluated")

    # -- the manager downloads what the provincial 好差评 system takes
    boss = journey("appointment-province-export")
    boss.login("boss", factories.PASSWORD)
    boss.go("/evaluationview/list/")
    boss.page.wait_for_selector("#province-export")
    boss.shot("evaluations")
    with boss.page.expect_download() as download:
        boss.page.click("#province-export a[href*='format=xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("事项编码", "办件编号", "评价阶段"), rows[0]
    got = sorted((r[0], r[1], r[2], r[3]) for r in rows[1:])
    assert got == [
        (item.implementation_code, case.number, "acceptance", 5),
        (item.implementation_code, case.number, "completion", 4),
    ]


def test_staff_book_serve_a_walk_in_mark_a_no_show_and_the_dashboard_counts_them(
    app, tree, journey
):
    seed_official_calendar(db.session, [2026])
    factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("boss", "Manager", tree.town_a)
    applicant = factories.applicant(tree.town_a, name="黄伯")
    item = factories.service_item()
    item.name = "社保卡补办"
    at(dt.datetime.combine(DAY, dt.time(9, 0)))
    service.save_pattern(
        db.session,
        tree.town_a,
        {(d, p): 3 for d in range(5) for p in (SlotPeriod.MORNING, SlotPeriod.EVENING)},
    )
    db.session.commit()

    j = journey("appointment-desk")
    j.login("spec", factories.PASSWORD)
    j.go("/appointments/")
    j.page.wait_for_selector("#appointment-none")
    # booked by staff: a registered applicant (the picker) for the evening's after-hours service
    j.page.click("#appointment-book")
    j.page.wait_for_selector("#book-form")
    j.page.fill("#day", DAY.isoformat())
    j.page.select_option("#period", "evening")
    j.page.fill("#applicant-search", "黄伯")
    j.page.click(f"#applicant-results [data-id='{applicant.id}']")
    j.page.select_option("#item", str(item.id))
    j.shot("staff-booking")
    j.page.click("#book-form button[type=submit]")
    j.page.wait_for_selector("#appointment-list")
    # and a caller who is not registered: a name and a mobile are enough
    j.page.click("#appointment-book")
    j.page.wait_for_selector("#book-form")
    j.page.fill("#day", DAY.isoformat())
    j.page.select_option("#period", "morning")
    j.page.fill("#name", "李先生")
    j.page.fill("#mobile", "13700001234")
    j.page.click("#book-form button[type=submit]")
    j.page.wait_for_selector("#appointment-list tr[data-appointment] >> nth=1")
    rows = {
        a.name: a.number
        for a in db.session.execute(sa.select(m.Appointment).order_by(m.Appointment.id)).scalars()
    }
    assert set(rows) == {"黄伯", "李先生"}

    # served as walk-in help in one step; the other did not come
    row = j.page.locator(f"tr[data-appointment='{rows['黄伯']}']")
    row.locator("select[name=kind]").select_option("form_filling")
    row.locator("form[action$='/walkin'] button[type=submit]").click()
    j.page.wait_for_selector(f"tr[data-appointment='{rows['黄伯']}'] .label-success")
    row = j.page.locator(f"tr[data-appointment='{rows['李先生']}']")
    row.locator("form[action$='/no_show'] button[type=submit]").click()
    j.page.wait_for_selector(f"tr[data-appointment='{rows['李先生']}'] .label-warning")
    j.shot("day-list-served")
    db.session.expire_all()
    walk_in = db.session.execute(sa.select(m.WalkInHelp)).scalar_one()
    assert (walk_in.unit_id, walk_in.kind.value) == (tree.town_a.id, "form_filling")

    # the manager's statistics count them, in the period and the town's scope
    boss = journey("appointment-dashboard")
    boss.login("boss", factories.PASSWORD)
    boss.go("/dashboard/?period=custom&date_from=2026-11-01&date_to=2026-11-30")
    boss.page.wait_for_selector("#tbl-appointments")
    panel = boss.page.locator("#tbl-appointments")

    def count(key):
        return panel.locator(f"tr[data-key='{key}'] .count").inner_text().strip()

    assert [count(k) for k in ("booked", "case", "walk_in", "no_show", "after_hours")] == [
        "2",
        "0",
        "1",
        "1",
        "1",
    ]
    assert count("attendance_rate") == "50.0%"
    boss.page.locator("#dashboard-appointments").scroll_into_view_if_needed()
    boss.shot("dashboard-appointments")
