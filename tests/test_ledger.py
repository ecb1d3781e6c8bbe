"""The ledger's rows and statistics: working days in SQL, overdue, and dashboard = ledger rows."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.domain.calendar import load_calendar
from app.domain.status import CaseStatus
from app.enums import Rating, ServiceKind, TerminationReason
from app.extensions import db
from app.ledger import stats
from app.ledger.filters import LedgerFilter, period_range
from app.ledger.queries import LedgerQuery, walkin_by_day
from app.scope import Scope, scope_for_user
from tests import ledger_world


@pytest.fixture
def world(app):
    world = ledger_world.build()
    yield world
    clock.set_fixed(None)


def everything(flt=LedgerFilter()) -> LedgerQuery:
    return LedgerQuery(db.session, Scope(everything=True), flt)


def rows_by_number(query: LedgerQuery) -> dict:
    return {r.number: r for r in query.stream()}


def python_handling_days(case: m.Case) -> int:
    """The same number the long way: WorkCalendar over the case's pauses, as due dates do."""
    calendar = load_calendar(db.session)
    pauses = []
    for notice in db.session.execute(
        sa.select(m.MaterialNotice).where(m.MaterialNotice.case_id == case.id)
    ).scalars():
        start = clock.local_date(notice.issued_at)
        end = clock.local_date(notice.resolved_at)
        if end is None:
            pauses.append((start, None))
        elif end > start:
            pauses.append((start, end - dt.timedelta(days=1)))
    return calendar.working_days_between(
        clock.local_date(case.accepted_at), clock.local_date(case.ended_at), paused=pauses
    )


def test_handling_days_in_sql_match_the_working_day_calendar(world):
    rows = rows_by_number(everything())
    ended = [c for c in world.cases.values() if c.ended_at is not None]
    assert len(ended) == 5
    for case in ended:
        db.session.refresh(case)
        assert rows[case.number].handling_days == python_handling_days(case), case.number
    # Completed on the due date: exactly the promised (+ extended) working days were used,
    # across May Day 2026 (05-01..05 off, Saturday 05-09 worked) and a pause for materials.
    assert rows[world.cases["on_time_paused"].number].handling_days == 5
    assert rows[world.cases["extended"].number].handling_days == 7
    assert rows[world.cases["extended"].number].extra_days == 2
    assert rows[world.cases["late"].number].handling_days == 9
    for key in ("applied", "running_overdue", "paused"):
        assert rows[world.cases[key].number].handling_days is None


def test_overdue_and_ledger_columns(world):
    rows = rows_by_number(everything())
    overdue = {n for n, r in rows.items() if r.overdue}
    assert overdue == {world.cases["late"].number, world.cases["running_overdue"].number}
    assert rows[world.cases["paused"].number].status == CaseStatus.AWAITING_MATERIALS
    terminated = rows[world.cases["terminated"].number]
    assert terminated.termination_reason == TerminationReason.APPLICANT_REQUEST
    assert terminated.handling_days == 2
    applied = rows[world.cases["applied"].number]
    assert applied.kind == ServiceKind.PROXY and applied.accepted_on is None
    assert applied.applied_on == dt.date(2026, 5, 25)
    late = rows[world.cases["late"].number]
    assert late.rating == Rating.DISSATISFIED and late.ended_on == dt.date(2026, 3, 13)
    assert late.unit == world.tree.village_a1.name and late.specialist == world.spec_v.name


def test_statistics(world):
    data = stats.dashboard(everything())
    t = data["totals"]
    assert t == {
        "cases": 8,
        "open": 3,
        "completed": 4,
        "terminated": 1,
        "overdue": 2,
        "on_time": 3,
        "on_time_rate": 0.75,
    }
    assert {r["key"]: r["count"] for r in data["by_kind"]} == {"help": 7, "proxy": 1}
    assert {r["key"]: r["count"] for r in data["by_tier"]} == {"city": 0, "town": 6, "village": 2}
    assert [r["count"] for r in data["by_unit"]] == [4, 2, 2]
    assert {r["label"]: r["count"] for r in data["by_month"]} == {
        "2026-03": 1,
        "2026-04": 2,
        "2026-05": 5,
    }
    # (5 + 9 + 7 + handling of the repeat-notice case) / 4 completed cases
    repeat = world.cases["repeat_notice"]
    db.session.refresh(repeat)
    expected = (5 + 9 + 7 + python_handling_days(repeat)) / 4
    assert data["handling"]["avg_days"] == round(expected, 2) and data["handling"]["cases"] == 4
    assert data["extensions"]["extensions"] == 1 and data["extensions"]["extra_days"] == 2
    assert data["extensions"]["reasons"] == [{"label": "需现场核查", "count": 1}]
    assert {r["key"]: r["count"] for r in data["terminations"]}["applicant_request"] == 1
    sat = data["satisfaction"]
    assert {r["key"]: r["count"] for r in sat["levels"]} == {"5": 1, "4": 1, "3": 1, "2": 1, "1": 0}
    assert sat["evaluated"] == 4 and sat["satisfied"] == 3 and sat["rate"] == 0.75
    assert data["notices"] == {
        "notices": 4,
        "repeats": 1,
        "cases": 3,
        "repeat_cases": 1,
        "repeat_rate": 0.25,
    }
    problems = {p["label"]: p for p in data["problems"]}
    assert problems["材料不齐"]["count"] == 2 and problems["系统故障"]["count"] == 1
    assert data["problems"][0]["label"] == "材料不齐"
    assert {u["label"] for u in problems["材料不齐"]["units"]} == {
        world.tree.town_a.name,
        world.tree.town_b.name,
    }
    assert {r["key"]: r["count"] for r in data["walkins"]}["form_filling"] == 2
    workload = {r["label"]: r for r in data["specialists"]}
    assert workload[world.spec_a.name]["cases"] == 4
    assert workload[world.spec_a.name]["walkins"] == 4
    assert workload[world.spec_b.name]["overdue"] == 1


FILTERS = [
    LedgerFilter(),
    LedgerFilter(date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 5, 31)),
    LedgerFilter(kind=ServiceKind.HELP),
    LedgerFilter(overdue=True),
    LedgerFilter(overdue=False),
    LedgerFilter(rating="poor"),
    LedgerFilter(rating="none"),
    LedgerFilter(status=CaseStatus.COMPLETED, date_from=dt.date(2026, 4, 1)),
]


def check_dashboard_against_ledger(scope: Scope, flt: LedgerFilter) -> None:
    query = LedgerQuery(db.session, scope, flt)
    data = stats.dashboard(query)

    def ids(f):
        return {r.id for r in LedgerQuery(db.session, scope, f).stream()}

    selected = ids(flt)

    def rows(**narrow):
        """Ledger rows under the filter and the narrowing (the dashboard link's rows)."""
        both = selected & ids(LedgerFilter(**narrow))
        field = next(iter(narrow))
        if getattr(flt, field) is None:  # the link adds the narrowing to the filter
            assert LedgerQuery(db.session, scope, flt.with_(**narrow)).count() == len(both)
        return len(both)

    total = query.count()
    assert data["totals"]["cases"] == total == len(selected)
    for key in ("by_kind", "by_status", "by_tier", "by_unit", "by_item", "by_month"):
        assert sum(r["count"] for r in data[key]) == total, key
    for r in data["by_status"]:
        assert r["count"] == rows(status=CaseStatus(r["key"]))
    for r in data["by_kind"]:
        assert r["count"] == rows(kind=ServiceKind(r["key"]))
    for r in data["by_item"]:
        assert r["count"] == rows(item_id=r["key"])
    for r in data["satisfaction"]["levels"]:
        assert r["count"] == rows(rating=r["key"])
    assert data["totals"]["overdue"] == rows(overdue=True)
    assert data["totals"]["completed"] == rows(status=CaseStatus.COMPLETED)
    for r in data["specialists"]:
        if r["key"] is not None:
            assert r["cases"] == rows(specialist_id=r["key"])


def test_dashboard_numbers_equal_the_ledger_rows(world):
    """Every count on the dashboard is the number of ledger rows under the matching filter."""
    users = (world.city_manager, world.town_a_manager, world.spec_v)
    for flt, user in itertools.product(FILTERS, users):
        check_dashboard_against_ledger(scope_for_user(user.user), flt)


def test_scope_and_unit_filter(world):
    town_b = scope_for_user(world.town_b_manager.user)
    numbers = set(rows_by_number(LedgerQuery(db.session, town_b)))
    assert numbers == {world.cases["running_overdue"].number, world.cases["extended"].number}
    # A unit outside the scope selects nothing; a unit inside narrows to its subtree.
    outside = LedgerFilter(unit_id=world.tree.town_a.id)
    assert LedgerQuery(db.session, town_b, outside).count() == 0
    assert stats.dashboard(LedgerQuery(db.session, town_b, outside))["totals"]["cases"] == 0
    city = scope_for_user(world.city_manager.user)
    assert LedgerQuery(db.session, city, outside).count() == 6  # town A with village A1
    village = LedgerFilter(unit_id=world.tree.village_a1.id)
    assert LedgerQuery(db.session, city, village).count() == 2
    assert LedgerQuery(db.session, Scope(), LedgerFilter()).count() == 0  # no unit: nothing


def test_walk_in_ledger_counts_per_day_and_kind(world):
    scope = scope_for_user(world.town_a_manager.user)
    ledger = walkin_by_day(db.session, scope, LedgerFilter())
    assert ledger["total"] == 4
    days = {day: counts for day, counts, _ in ledger["days"]}
    assert sum(days[dt.date(2026, 5, 6)].values()) == 3
    city = walkin_by_day(db.session, scope_for_user(world.city_manager.user), LedgerFilter())
    assert city["total"] == 5


def test_periods():
    today = dt.date(2026, 5, 20)
    assert period_range("this_month", today) == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert period_range("last_month", today) == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert period_range("this_quarter", today) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert period_range("last_quarter", today) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_range("last_year", today) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert period_range("all", today) == (None, None)
    assert period_range("custom", today, "2026-01-05", "bad") == (dt.date(2026, 1, 5), None)
    flt = LedgerFilter.from_args({"unit": "x", "kind": "proxy", "overdue": "1", "rating": "9"})
    assert flt == LedgerFilter(kind=ServiceKind.PROXY, overdue=True)
    assert LedgerFilter.from_args(flt.to_args()) == flt
