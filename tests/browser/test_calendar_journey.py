"""An Admin enters the 2027 calendar through the screen: the banner disappears, and a real
Celery worker recomputes an open case due across the year end, whose page then shows the
recomputed date and the move on its timeline."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from app import models as m
from app.domain import clock
from app.domain.calendar import seed_official_calendar
from app.extensions import db
from tests import factories
from tests.conftest import PG_URL, REDIS_URL
from tests.test_reminders_helpers import running_case
from tests.test_worker import start_worker, stop_worker

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_admin_enters_2027_the_banner_goes_and_the_case_shows_its_new_date(app, tree, journey):
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    factories.staff("admin", "Admin", None)
    spec = factories.staff("spec", "Specialist", tree.town_a)
    try:
        # Confirmed on 2026-12-31 with one working day: 2027-01-01 while 2027 is unknown.
        case = running_case(
            tree.town_a,
            spec,
            when=dt.datetime(2026, 12, 31, 10, 0, tzinfo=clock.TZ),
            promised_days=1,
        )
    finally:
        clock.set_fixed(None)
    assert (case.due_date, case.due_provisional) == (dt.date(2027, 1, 1), True)
    # The banner shows from 1 October; pin the clock to a day in the warning period.
    clock.set_fixed(dt.datetime(2026, 12, 31, 16, 0, tzinfo=clock.TZ))

    worker = start_worker(
        {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}, Path(app.config["INSTANCE_DIR"])
    )
    j = journey("admin-enters-calendar")
    try:
        j.login("admin", factories.PASSWORD)
        j.go(f"/caseview/show/{case.id}")
        j.page.wait_for_selector("#calendar-banner")
        j.see("2027 年节假日安排尚未确认", "2027年1月1日")
        j.shot("case-provisional-with-banner")

        j.page.click("#calendar-banner a.alert-link")
        j.page.wait_for_selector("#calendar-form")
        j.page.fill("#calendar-reference", "国办发明电〔2026〕7号")
        j.page.fill("#calendar-off-days", "2027-01-01 元旦\n2027-02-06..2027-02-12 春节")
        j.page.fill("#calendar-workdays", "2027-02-14 春节")
        j.page.check("#calendar-confirmed")
        j.shot("calendar-form")
        j.page.click("#calendar-save")
        j.page.wait_for_selector("#calendar-years")
        assert j.page.query_selector("#calendar-banner") is None
        j.see("2027 年日历已保存并确认")
        j.shot("calendar-saved")

        # The worker recomputes in the background; the case page shows the new date.
        deadline = time.monotonic() + 120
        while True:
            j.go(f"/caseview/show/{case.id}")
            due = j.page.inner_text("#case-due")
            if "2027年1月4日" in due or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert "2027年1月4日" in due, due
        assert "暂定" not in due and "provisional" not in due
        assert j.page.query_selector("#calendar-banner") is None
        moved = j.page.inner_text('#case-timeline tr[data-kind="due_date_moved"]')
        assert "2027-01-01" in moved and "2027-01-04" in moved
        j.shot("case-recomputed")
    finally:
        output = stop_worker(worker)
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).due_date == dt.date(2027, 1, 4), output[-2000:]
