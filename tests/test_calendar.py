"""The center's calendar: entering a year on the screen, recomputing open cases, warnings."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from app import models as m
from app import settings
from app.domain import calendar as cal
from app.domain import clock, lifecycle
from app.domain.calendar import seed_official_calendar
from app.domain.recompute import recompute_years, stale_years
from app.enums import EventKind
from app.extensions import db
from app.reminders import sweep
from app.tasks import calendar as calendar_tasks
from tests import factories
from tests.test_reminders_helpers import make_people, notifications, running_case

TZ = clock.TZ
NEW_YEAR_2027 = "2027-01-01 元旦\n2027-02-06..2027-02-12 春节\n"


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


@pytest.fixture
def world(tree):
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    people = make_people(tree)
    factories.staff("admin", "Admin", None)
    return people


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def enter_2027(client, **form):
    data = {"reference": "国办发明电〔2026〕7号", "off_days": NEW_YEAR_2027, "workdays": ""}
    data.update({"confirmed": "1"} | form)
    return client.post("/calendar/year/2027", data=data, follow_redirects=False)


def moved_events(case) -> list[m.CaseEvent]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(m.CaseEvent)
            .where(m.CaseEvent.case_id == case.id, m.CaseEvent.kind == EventKind.DUE_DATE_MOVED)
            .order_by(m.CaseEvent.id)
        ).scalars()
    )


def test_entering_2027_moves_a_case_due_across_the_year_end_and_its_reminder(
    world, tree, login, app
):
    people = world
    # Confirmed on the last working day of 2026, one working day: 2027-01-01 under weekends only.
    case = running_case(
        tree.village_a1, people.spec, when=moment("2026-12-31T10:00"), promised_days=1
    )
    assert case.due_date == dt.date(2027, 1, 1)
    assert case.due_provisional is True
    # The deadline reminder went out for the provisional date.
    first = sweep.run(db.session, moment("2026-12-31T11:00"), dispatch=False, kinds={"due_soon"})
    assert {q.dedup_key.rsplit(":", 2)[0] for q in first.queued} == {
        f"due_soon:{case.id}:2027-01-01"
    }
    clock.set_fixed(moment("2026-12-31T16:00"))

    client = login(app.test_client(), "admin")
    response = enter_2027(client)
    assert response.status_code == 302, response.text[:400]
    year = db.session.get(m.HolidayYear, 2027)
    assert year.confirmed and year.reference == "国办发明电〔2026〕7号"
    assert year.changed_at is not None and stale_years(db.session) == [2027]

    moved = calendar_tasks.recompute.run([2027])  # the worker's task, run here in-process
    assert moved == 1
    db.session.expire_all()
    case = db.session.get(m.Case, case.id)
    assert case.due_date == dt.date(2027, 1, 4)  # 1 January off, then the weekend
    assert case.due_provisional is False
    [event] = moved_events(case)
    assert event.data["field"] == "due_date"
    assert (event.data["old"], event.data["new"]) == ("2027-01-01", "2027-01-04")
    assert "2027-01-01" in event.note and "2027-01-04" in event.note
    assert stale_years(db.session) == []
    page = client.get(f"/caseview/show/{case.id}").text
    assert "2027-01-04" in page and 'data-kind="due_date_moved"' in page

    # A second recompute finds nothing to move and writes nothing.
    assert calendar_tasks.recompute.run([2027]) == 0
    assert len(moved_events(case)) == 1

    def due_keys(at: str) -> list[str]:
        result = sweep.run(db.session, moment(at), dispatch=False, kinds={"due_soon", "overdue"})
        return sorted(q.dedup_key for q in result.queued)

    # The first working day of 2027: due today, not overdue; reminded once at the new slot.
    keys = due_keys("2027-01-04T09:00")
    assert keys and all(k.startswith(f"due_soon:{case.id}:2027-01-04:") for k in keys)
    assert due_keys("2027-01-04T09:05") == []
    assert due_keys("2027-01-04T15:00") == []
    slots = [n.dedup_key for n in notifications(kind="due_soon") if n.channel.value == "app"]
    assert sorted(k.split(":")[2] for k in slots) == ["2027-01-01", "2027-01-04"]
    assert notifications(kind="overdue") == []
    assert due_keys("2027-01-05T09:00")[0].startswith(f"overdue:{case.id}:2027-01-05")


def test_an_unconfirmed_year_stays_provisional_until_confirmed(world, tree, login, app):
    people = world
    case = running_case(
        tree.village_a1, people.spec, when=moment("2026-12-31T10:00"), promised_days=1
    )
    client = login(app.test_client(), "admin")
    assert enter_2027(client, confirmed="").status_code == 302
    assert db.session.get(m.HolidayYear, 2027).confirmed is False
    recompute_years(db.session, [2027])
    db.session.expire_all()
    case = db.session.get(m.Case, case.id)
    assert case.due_date == dt.date(2027, 1, 4)  # the days entered count ...
    assert case.due_provisional is True  # ... but the year is not confirmed
    assert enter_2027(client).status_code == 302
    recompute_years(db.session, [2027])
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).due_provisional is False
    assert len(moved_events(case)) == 1  # the flag clearing is no move


def test_the_screen_refuses_bad_input_with_422_and_saves_nothing(world, login, app):
    client = login(app.test_client(), "admin")
    cases = [
        {"off_days": "2027-13-01 元旦"},
        {"off_days": "2026-12-31 跨年"},
        {"workdays": "2027-02-08 春节"},  # a Monday cannot be a make-up working day
        {"workdays": "2027-01-01 元旦"},  # both off and working
        {"reference": ""},  # confirming needs the notice
        {"off_days": "2027-01-01..2027-03-01 太长"},
    ]
    for form in cases:
        response = enter_2027(client, **form)
        assert response.status_code == 422, (form, response.status_code)
        assert 'class="form-group has-error"' in response.text
    assert db.session.get(m.HolidayYear, 2027) is None
    assert db.session.execute(sa.select(sa.func.count(m.Holiday.id))).scalar_one() == len(
        db.session.execute(sa.select(m.Holiday).where(m.Holiday.day < dt.date(2027, 1, 1)))
        .scalars()
        .all()
    )
    assert client.get("/calendar/year/1999").status_code == 404


def test_only_admins_reach_the_calendar_screen(world, login, app):
    client = login(app.test_client(), "mgr_a")
    assert client.get("/calendar/").status_code == 403
    assert enter_2027(client).status_code == 403
    assert db.session.get(m.HolidayYear, 2027) is None
    admin = login(app.test_client(), "admin")
    page = admin.get("/calendar/")
    assert page.status_code == 200 and 'data-year="2026"' in page.text


def test_correcting_a_year_prefills_it_and_a_correction_moves_dates_back(world, tree, login, app):
    people = world
    client = login(app.test_client(), "admin")
    page = client.get("/calendar/year/2026").text
    assert "2026-10-01..2026-10-07 国庆节" in page and "2026-10-10 国庆节" in page
    case = running_case(
        tree.village_a1, people.spec, when=moment("2026-09-28T10:00"), promised_days=5
    )
    assert case.due_date == dt.date(2026, 10, 10)  # the 调休 Saturday counts
    # A (wrong) correction that drops the make-up Saturdays of 2026 ...
    form = cal.format_days(
        db.session.execute(
            sa.select(m.Holiday).where(
                m.Holiday.kind == "off", m.Holiday.day >= dt.date(2026, 1, 1)
            )
        ).scalars()
    )
    response = client.post(
        "/calendar/year/2026",
        data={
            "reference": "国办发明电〔2025〕7号",
            "off_days": form,
            "workdays": "",
            "confirmed": "1",
        },
    )
    assert response.status_code == 302
    recompute_years(db.session, [2026])
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).due_date == dt.date(2026, 10, 12)
    assert [(e.data["old"], e.data["new"]) for e in moved_events(case)] == [
        ("2026-10-10", "2026-10-12")
    ]


def test_extensions_and_the_pause_follow_the_new_year(world, tree):
    people = world
    spec = people.spec
    item = factories.service_item(promised_days=2, materials=2)
    clock.set_fixed(moment("2026-12-28T10:00"))  # Monday
    case = factories.case(tree.village_a1, spec, item=item)
    lifecycle.confirm(
        db.session,
        case,
        spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[item.materials[0].id],
    )
    db.session.commit()
    assert case.due_date == dt.date(2026, 12, 30)
    clock.set_fixed(moment("2026-12-29T10:00"))
    ext = lifecycle.extend(
        db.session, case, spec.user, extra_days=2, reason="复杂", explained_to_applicant=True
    )
    db.session.commit()
    assert (ext.old_due, ext.new_due) == (dt.date(2026, 12, 30), dt.date(2027, 1, 1))
    # Missing materials from 12-30: the clock stops while the applicant looks for them.
    clock.set_fixed(moment("2026-12-30T10:00"))
    lifecycle.notify_missing(db.session, case, spec.user, deadline=dt.date(2027, 1, 8))
    db.session.commit()
    assert case.due_date == dt.date(2027, 1, 1)  # kept while paused

    cal.save_year(
        db.session,
        2027,
        off_days={dt.date(2027, 1, 1): "元旦"},
        workdays={},
        reference="国办发明电〔2026〕7号",
        confirmed=True,
    )
    db.session.commit()
    recompute_years(db.session, [2027])
    db.session.expire_all()
    case = db.session.get(m.Case, case.id)
    ext = db.session.get(m.Extension, ext.id)
    assert ext.new_due == dt.date(2027, 1, 4)
    assert case.due_date == dt.date(2027, 1, 4)  # still paused: the date before the pause
    assert case.due_provisional is False
    assert sorted(e.data["field"] for e in moved_events(case)) == ["due_date", "extension"]

    # Materials supplied on 2027-01-05: the pause (12-30 .. 01-04) is not counted.
    clock.set_fixed(moment("2027-01-05T10:00"))
    lifecycle.supplement(db.session, case, spec.user, material_ids=[item.materials[1].id])
    db.session.commit()
    # Counted: 12-29 (1), 12-30..01-04 paused, 01-05 (2), 01-06 (3), 01-07 (4).
    assert case.due_date == dt.date(2027, 1, 7)


def test_an_import_of_the_holiday_calendar_marks_the_year_for_recompute(world, tree, app):
    from tests.test_imports import run_import, workbook

    people = world
    case = running_case(
        tree.village_a1, people.spec, when=moment("2026-12-31T10:00"), promised_days=1
    )
    rows = [{"day": "2027-01-01", "kind": "off", "name": "元旦"}]
    job, _ = run_import(workbook("holidays", {"holidays": rows}), "holidays")
    assert job.result["created"] == 1
    assert stale_years(db.session) == [2027]
    # Were the broker message lost, the periodic check recomputes what is outstanding.
    clock.set_fixed(moment("2026-12-31T12:00"))
    calendar_tasks.check_coverage.run()
    db.session.expire_all()
    case = db.session.get(m.Case, case.id)
    assert (case.due_date, case.due_provisional) == (dt.date(2027, 1, 4), False)
    assert stale_years(db.session) == []


def test_warnings_from_the_configured_day_to_admins_and_managers_daily(world, app):
    clock.set_fixed(moment("2026-09-30T09:00"))
    assert calendar_tasks.missing_years(db.session) == []
    assert calendar_tasks.warn_admins(db.session) == 0
    clock.set_fixed(moment("2026-10-01T09:00"))
    assert calendar_tasks.missing_years(db.session) == [2027]
    new = calendar_tasks.warn_admins(db.session)
    db.session.commit()
    warned = {n.recipient.username for n in notifications(kind="calendar_coverage")}
    assert warned == {"admin", "mgr_a", "mgr_city", "mgr_b"} and new == 4
    assert calendar_tasks.warn_admins(db.session) == 0  # once a day
    clock.set_fixed(moment("2026-10-02T09:00"))
    assert calendar_tasks.warn_admins(db.session) == 4  # and again the next day
    db.session.commit()
    settings.set_value(db.session, "calendar.warn_from", "11-15")
    db.session.commit()
    assert calendar_tasks.missing_years(db.session) == []
    cal.save_year(db.session, 2027, off_days={}, workdays={}, reference="通知", confirmed=True)
    db.session.commit()
    settings.set_value(db.session, "calendar.warn_from", "10-01")
    db.session.commit()
    assert calendar_tasks.missing_years(db.session) == []


def test_provisional_everywhere_until_2027_is_entered(world, tree, login, app):
    """A case due across 2026-12-31 with no 2027 data: marked on every list, the ledger, its
    exports and the printed extension notice; entering 2027 removes every mark."""
    people = world
    spec = people.spec
    case = running_case(tree.village_a1, spec, when=moment("2026-12-31T10:00"), promised_days=1)
    ext = lifecycle.extend(
        db.session, case, spec.user, extra_days=1, reason="复杂", explained_to_applicant=True
    )
    db.session.commit()
    assert ext.new_due == dt.date(2027, 1, 4) and case.due_provisional
    manager = login(app.test_client(), "mgr_a")
    pages = {
        "case list": (lambda c: c.get("/caseview/list/").text, 'due-provisional">暂定<'),
        "ledger": (lambda c: c.get("/ledger/list/").text, 'due-provisional">暂定<'),
        "print": (lambda c: c.get(f"/print/extension/{ext.id}").text, "（暂定）"),
    }

    def marks(client) -> dict[str, bool]:
        seen = {name: (mark in page(client)) for name, (page, mark) in pages.items()}
        csv_text = client.get("/ledger/export/csv").get_data(as_text=True)
        seen["csv"] = "暂定" in csv_text.split("\n", 3)[3]
        book = openpyxl.load_workbook(io.BytesIO(client.get("/ledger/export/xlsx").data))
        seen["xlsx"] = "暂定" in [c.value for c in book.worksheets[0][4]]
        return seen

    before = marks(manager)
    assert before == dict.fromkeys(before, True), before
    assert enter_2027(login(app.test_client(), "admin")).status_code == 302
    calendar_tasks.recompute.run([2027])
    after = marks(login(app.test_client(), "mgr_a"))
    assert after == dict.fromkeys(after, False), after


def test_banner_for_admins_and_managers_until_next_year_is_confirmed(world, login, app):
    def page(username: str, path: str = "/caseview/list/") -> str:
        # Log in right before the request: the test's app context outlives each request.
        return login(app.test_client(), username).get(path).text

    clock.set_fixed(moment("2026-10-01T09:00"))
    for username in ("admin", "mgr_a"):
        text = page(username)
        assert 'id="calendar-banner"' in text and "2027" in text
    assert 'href="/calendar/year/2027"' in page("admin", "/")
    assert 'href="/calendar/year/2027"' not in page("mgr_a", "/")
    assert 'id="calendar-banner"' not in page("spec_a1")
    clock.set_fixed(moment("2026-09-30T09:00"))
    assert 'id="calendar-banner"' not in page("admin", "/")  # before the warning date
    clock.set_fixed(moment("2026-10-01T09:00"))
    assert enter_2027(login(app.test_client(), "admin")).status_code == 302
    assert 'id="calendar-banner"' not in page("admin", "/")
    assert 'id="calendar-banner"' not in page("mgr_a")


def test_screen_and_recompute_on_both_backends(any_app, login):
    tree = factories.unit_tree()
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    spec = factories.staff("spec_both", "Specialist", tree.town_a)
    factories.staff("admin", "Admin", None)
    case = running_case(tree.town_a, spec, when=moment("2026-12-31T10:00"), promised_days=1)
    clock.set_fixed(None)
    client = login(any_app.test_client(), "admin")
    assert enter_2027(client).status_code == 302
    index = client.get("/calendar/")
    assert index.status_code == 200 and 'data-year="2027"' in index.text
    result = recompute_years(db.session, [2027])
    assert [(mv.old, mv.new) for mv in result.moves] == [(dt.date(2027, 1, 1), dt.date(2027, 1, 4))]
    db.session.expire_all()
    assert [(e.data["old"], e.data["new"]) for e in moved_events(case)] == [
        ("2027-01-01", "2027-01-04")
    ]
