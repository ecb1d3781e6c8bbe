"""Appointments in the statistics: one function counts a period's appointments (booked, turned
into a case, recorded as walk-in help, did not come, cancelled, still booked) on their day and
inside the tier scope; the dashboard, the periodic summary and the written report state the same
numbers."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document
from flask_babel import force_locale

from app.appointments import service
from app.assessment import docx, reports
from app.domain import clock
from app.domain.calendar import seed_official_calendar
from app.enums import AppointmentChannel, HelpType, ServiceKind, SlotPeriod, WalkInKind
from app.extensions import db
from app.ledger import appointments
from app.ledger.figures import period_figures
from app.ledger.filters import LedgerFilter
from app.ledger.summaries import _sections, make_summary
from app.scope import Scope
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

P = SlotPeriod
MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


def at(day: str, hour: int) -> None:
    clock.set_fixed(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00"))


def scope_of(unit) -> Scope:
    return Scope(path=unit.path, unit_id=unit.id)


@pytest.fixture
def world(tree):
    """Nine appointments, eight of them on May days, at four units of two towns:

    town A: 05-11 morning → case; 05-11 afternoon (online) → walk-in; 05-12 morning → did not
    come; 05-12 evening (after hours, online) → cancelled; 06-01 morning → still booked (June)
    village A1: 05-13 morning → case; 05-13 evening (after hours) → still booked
    town B: 05-12 morning → did not come;  city: 05-11 morning → walk-in
    """
    seed_official_calendar(db.session, [2026])
    pattern = {(d, p): 5 for d in range(5) for p in SlotPeriod}
    for unit in (tree.city, tree.town_a, tree.town_b, tree.village_a1):
        service.save_pattern(db.session, unit, pattern)
    spec_a = factories.staff("spec_a", "Specialist", tree.town_a)
    spec_v = factories.staff("spec_v", "Specialist", tree.village_a1)
    factories.staff("mgr_a", "Manager", tree.town_a)
    item = factories.service_item()
    db.session.commit()
    at("2026-05-10", 8)  # a Sunday: the public books from the next day
    mobiles = iter(f"139000000{n:02d}" for n in range(1, 20))

    def book(unit, day, period, channel=AppointmentChannel.STAFF):
        return service.book(
            db.session,
            unit=unit,
            day=dt.date.fromisoformat(day),
            period=period,
            name="预约人",
            mobile=next(mobiles),
            channel=channel,
            item=item,
        )

    a = {
        "a_case": book(tree.town_a, "2026-05-11", P.MORNING),
        "a_walk": book(tree.town_a, "2026-05-11", P.AFTERNOON, AppointmentChannel.PUBLIC),
        "a_absent": book(tree.town_a, "2026-05-12", P.MORNING),
        "a_cancel": book(tree.town_a, "2026-05-12", P.EVENING, AppointmentChannel.PUBLIC),
        "v_case": book(tree.village_a1, "2026-05-13", P.MORNING),
        "v_pending": book(tree.village_a1, "2026-05-13", P.EVENING),
        "b_absent": book(tree.town_b, "2026-05-12", P.MORNING),
        "city_walk": book(tree.city, "2026-05-11", P.MORNING),
    }
    db.session.commit()
    at("2026-05-13", 17)
    user = spec_a.user
    for key, spec, unit in (("a_case", spec_a, tree.town_a), ("v_case", spec_v, tree.village_a1)):
        service.serve_with_case(
            db.session,
            a[key],
            spec.user,
            applicant=factories.applicant(unit),
            item=item,
            kind=ServiceKind.HELP,
            help_types=[HelpType.FORM_FILLING],
            needs="预约转办件",
            handling_unit=unit,
            specialist=spec,
            ack_voluntary=True,
            ack_free=True,
            ack_truthful=True,
        )
    for key in ("a_walk", "city_walk"):
        service.serve_with_walk_in(
            db.session, a[key], user, specialist=None, kind=WalkInKind.GUIDED
        )
    service.no_show(db.session, a["a_absent"], user)
    service.no_show(db.session, a["b_absent"], user)
    service.cancel(db.session, a["a_cancel"], user, "改期")
    db.session.commit()
    at("2026-05-25", 9)
    book(tree.town_a, "2026-06-01", P.MORNING)  # June's: no May figure counts it
    db.session.commit()
    at("2026-06-02", 9)
    return tree


def plain(figures: dict) -> dict:
    """The figures without their labels (those are in the language they were counted in)."""
    return {
        k: [(r["key"], r["count"]) for r in v] if isinstance(v, list) else v
        for k, v in figures.items()
    }


def numbers(figures: dict) -> dict:
    keys = ("booked", "case", "walk_in", "no_show", "cancelled", "pending", "after_hours")
    return {k: figures[k] for k in keys} | {"rate": figures["attendance_rate"]}


def test_counts_per_tier_scope(world):
    def may(unit, **flt):
        return appointments.appointment_figures(
            db.session, scope_of(unit), LedgerFilter(date_from=MAY[0], date_to=MAY[1], **flt)
        )

    city = may(world.city)
    assert numbers(city) == {
        "booked": 8,
        "case": 2,
        "walk_in": 2,
        "no_show": 2,
        "cancelled": 1,
        "pending": 1,
        "after_hours": 2,
        "rate": round(4 / 6, 4),
    }
    assert city["served"] == 4
    channels = {r["key"]: r["count"] for r in city["by_channel"]}
    assert channels == {"staff": 6, "public": 2, "api": 0}
    periods = {r["key"]: r["count"] for r in city["by_period"]}
    assert periods == {"morning": 5, "afternoon": 1, "noon": 0, "evening": 2}

    assert numbers(may(world.town_a)) == {
        "booked": 6,
        "case": 2,
        "walk_in": 1,
        "no_show": 1,
        "cancelled": 1,
        "pending": 1,
        "after_hours": 2,
        "rate": 0.75,
    }
    village = numbers(may(world.village_a1))
    assert village == {
        "booked": 2,
        "case": 1,
        "walk_in": 0,
        "no_show": 0,
        "cancelled": 0,
        "pending": 1,
        "after_hours": 1,
        "rate": 1.0,
    }
    assert numbers(may(world.town_b))["booked"] == 1
    assert numbers(may(world.town_b))["no_show"] == 1
    assert numbers(may(world.village_a2))["booked"] == 0
    assert may(world.village_a2)["attendance_rate"] is None
    # the dashboard's unit filter narrows to a subtree, never outside the scope
    assert numbers(may(world.town_a, unit_id=world.village_a1.id)) == village
    assert may(world.town_b, unit_id=world.town_a.id)["booked"] == 0
    # June: only the one still booked; the whole year: all nine
    june = appointments.for_period(
        db.session, scope_of(world.city), dt.date(2026, 6, 1), dt.date(2026, 6, 30)
    )
    assert (june["booked"], june["pending"]) == (1, 1)
    year = appointments.for_period(
        db.session, scope_of(world.city), dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    )
    assert year["booked"] == 9


def test_dashboard_summary_and_report_state_the_same_appointments(world, app, login):
    town_a = world.town_a
    expected = appointments.for_period(db.session, scope_of(town_a), *MAY)
    assert period_figures(db.session, scope_of(town_a), *MAY, clock.today())["appointments"] == (
        expected
    )

    client = login(app.test_client(), "mgr_a")
    page = client.get("/dashboard/?period=custom&date_from=2026-05-01&date_to=2026-05-31").text

    def cell(html, key):
        found = re.search(
            rf'id="tbl-appointments".*?data-key="{key}"><td>[^<]*</td>'
            r'<td class="text-right count">([^<]*)</td>',
            html,
            re.S,
        )
        return found.group(1)

    assert "预约总数" in page and "转为办件" in page
    for key in ("booked", "case", "walk_in", "no_show", "cancelled", "pending", "after_hours"):
        assert cell(page, key) == str(expected[key]), key
    assert cell(page, "attendance_rate") == "75.0%"
    narrowed = client.get(
        "/dashboard/?period=custom&date_from=2026-05-01&date_to=2026-05-31"
        f"&unit={world.village_a1.id}"
    ).text
    assert cell(narrowed, "booked") == "2"
    english = client.get(
        "/dashboard/?period=custom&date_from=2026-05-01&date_to=2026-05-31&_l_=en"
    ).text
    assert "Appointments booked" in english and "Turned into a case" in english

    summary = make_summary(db.session, town_a.id, "month", *MAY)
    db.session.commit()
    assert plain(summary.stats["appointments"]) == plain(expected)
    with force_locale("zh"):
        sections = dict(_sections(summary.stats))
        assert dict(sections["预约"])["预约总数"] == 6
        assert dict(sections["预约"])["转为办件"] == 2

    figures = reports.compute_figures(db.session, town_a, *MAY)
    assert plain(figures["appointments"]) == plain(expected)
    report = reports.create_draft(db.session, town_a, "month", *MAY, None)
    db.session.commit()
    with force_locale("zh"):
        text = "\n".join(
            p.text for p in Document(io.BytesIO(docx.render(report, "大江"))).paragraphs
        )
    assert "本期预约6个：转为办件2个，登记为窗口帮办1个，未到场1个，取消1个。" in text
    shown = client.get(f"/reports/{report.id}").text
    for key, value in (("booked", 6), ("case", 2), ("walk_in", 1), ("no_show", 1)):
        assert f'data-figure="appointments-{key}">{value}<' in shown, key


def test_the_api_answers_the_same_figures_in_scope(world, api_app):
    api = api_login(api_app, "mgr_a")
    may = {"from": "2026-05-01", "to": "2026-05-31"}
    got = api.get("/api/v1/appointment/figures", query_string=may)
    assert got.status_code == 200, got.json
    expected = appointments.for_period(db.session, scope_of(world.town_a), *MAY)
    assert plain(got.json["result"]) == plain(expected)
    assert got.json["result"]["booked"] == 6
    village = api.get(
        "/api/v1/appointment/figures", query_string={**may, "unit": world.village_a1.id}
    )
    assert village.json["result"]["booked"] == 2
    # another town's unit is not in the manager's scope: as if it did not exist
    other = api.get("/api/v1/appointment/figures", query_string={**may, "unit": world.town_b.id})
    assert other.status_code == 404
    for bad in (
        {"from": "2026-05-01"},
        {"from": "2026-5-1", "to": "2026-05-31"},
        {"from": "2026-05-31", "to": "2026-05-01"},
        {**may, "unit": "x1"},
        {**may, "unit": "99999999999999"},
    ):
        answer = api.get("/api/v1/appointment/figures", query_string=bad)
        assert answer.status_code == 400, bad
    assert (
        api.get("/api/v1/appointment/figures", query_string={**may, "unit": 2**31 - 1}).status_code
        == 404
    )
