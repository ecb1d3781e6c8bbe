from datetime import date, timedelta

import chinese_calendar
import pytest
import sqlalchemy as sa

from app import models as m
from app.domain.workdays import (
    DueDate,
    WorkCalendar,
    calendar_from_rows,
    official_calendar,
    official_schedule,
    supported_years,
)

D = date


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    # Only 2025 and 2026 are "known": 2027 stays unknown even if the package grows.
    return calendar_from_rows(official_schedule([2025, 2026]), [2025, 2026])


def _days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


# -- official data ---------------------------------------------------------------


def test_supported_years_derived_from_package():
    years = supported_years()
    assert isinstance(years, range)
    assert years.start == 2004
    assert 2025 in years and 2026 in years
    # the year after the last supported one is rejected by the package itself
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(years.stop, 6, 1))
    assert official_schedule([years.stop, 1990]) == []


def test_official_schedule_2026_facts():
    rows = official_schedule([2026])
    by_day = {day: (kind, name) for day, kind, name in rows}
    assert all(day.year == 2026 for day, _, _ in rows)
    assert rows == sorted(rows)
    # National Day 10-01..10-07 off, 09-20 (Sunday) and 10-10 (Saturday) working
    for d in _days(D(2026, 10, 1), D(2026, 10, 7)):
        assert by_day[d] == ("off", "国庆节")
    assert D(2026, 9, 20).weekday() == 6 and by_day[D(2026, 9, 20)][0] == "workday"
    assert D(2026, 10, 10).weekday() == 5 and by_day[D(2026, 10, 10)][0] == "workday"
    assert D(2026, 10, 8) not in by_day
    # Spring Festival 2026: 02-15..02-23 off; Saturdays 02-14 and 02-28 working
    for d in _days(D(2026, 2, 15), D(2026, 2, 23)):
        assert by_day[d] == ("off", "春节")
    assert D(2026, 2, 14) not in {d for d, (k, _) in by_day.items() if k == "off"}
    for d in (D(2026, 2, 14), D(2026, 2, 28)):
        assert d.weekday() == 5 and by_day[d] == ("workday", "春节")
    assert by_day[D(2026, 9, 25)] == ("off", "中秋")
    assert by_day[D(2026, 1, 4)] == ("workday", "元旦")


def test_calendar_matches_package_day_by_day(cal):
    for d in _days(D(2025, 1, 1), D(2026, 12, 31)):
        assert cal.is_working_day(d) == chinese_calendar.is_workday(d), d


def test_official_calendar_helper():
    full = official_calendar()
    assert full.known_years == frozenset(supported_years())
    assert not full.is_working_day(D(2026, 10, 1))
    assert full.is_working_day(D(2026, 10, 10))


def test_calendar_from_rows_validation():
    with pytest.raises(ValueError):
        calendar_from_rows([(D(2026, 1, 1), "holiday", "x")], [2026])
    with pytest.raises(ValueError):
        calendar_from_rows([(D(2026, 1, 1), "off", "a"), (D(2026, 1, 1), "workday", "b")], [])


# -- single days ------------------------------------------------------------------


def test_is_known_and_unknown_year_weekends_only(cal):
    assert cal.is_known(D(2026, 5, 1))
    assert not cal.is_known(D(2027, 1, 1))
    assert cal.is_working_day(D(2027, 1, 1))  # Friday; 2027 holidays not loaded
    assert not cal.is_working_day(D(2027, 1, 2))  # Saturday
    assert not cal.is_working_day(D(2027, 1, 3))  # Sunday


def test_next_working_day(cal):
    assert cal.next_working_day(D(2026, 9, 30)) == D(2026, 10, 8)
    assert cal.next_working_day(D(2026, 9, 18)) == D(2026, 9, 20)  # 调休 Sunday
    assert cal.next_working_day(D(2026, 2, 13)) == D(2026, 2, 14)  # 调休 Saturday
    assert cal.next_working_day(D(2026, 2, 14)) == D(2026, 2, 24)
    assert cal.next_working_day(D(2026, 3, 2)) == D(2026, 3, 3)


# -- add_working_days -------------------------------------------------------------


def test_start_day_not_counted(cal):
    assert cal.add_working_days(D(2026, 3, 2), 1) == DueDate(D(2026, 3, 3), False, False)
    assert cal.add_working_days(D(2026, 3, 2), 5).day == D(2026, 3, 9)
    # starting on a Saturday: Monday is day 1
    assert cal.add_working_days(D(2026, 3, 7), 1).day == D(2026, 3, 9)


def test_zero_and_negative(cal):
    assert cal.add_working_days(D(2026, 3, 7), 0) == DueDate(D(2026, 3, 7), False, False)
    assert cal.add_working_days(D(2027, 3, 7), 0).provisional is True
    with pytest.raises(ValueError):
        cal.add_working_days(D(2026, 3, 2), -1)


def test_due_date_across_national_day(cal):
    due = cal.add_working_days(D(2026, 9, 30), 1)
    assert due == DueDate(D(2026, 10, 8), provisional=False, paused=False)
    # 10-08 Thu, 10-09 Fri, 10-10 Sat (调休) -> the working Saturday is counted
    assert cal.add_working_days(D(2026, 9, 30), 3).day == D(2026, 10, 10)
    assert cal.add_working_days(D(2026, 9, 30), 4).day == D(2026, 10, 12)
    # 20 working days from Mon 09-21: 22-24 (3), Mid-autumn 09-25..27 off, 28-30 (6),
    # National Day 10-01..07 off, 08-10 (9), 12-16 (14), 19-23 (19), 26 (20)
    assert cal.add_working_days(D(2026, 9, 21), 20).day == D(2026, 10, 26)
    assert cal.working_days_between(D(2026, 9, 21), D(2026, 10, 23)) == 19


def test_adjusted_weekend_days_counted(cal):
    # Fri 09-18 -> Sun 09-20 (调休) is the first working day
    assert cal.add_working_days(D(2026, 9, 18), 1).day == D(2026, 9, 20)
    # Spring Festival: Sat 02-14 counted, then nothing until 02-24, Sat 02-28 counted
    assert cal.add_working_days(D(2026, 2, 13), 1).day == D(2026, 2, 14)
    assert cal.add_working_days(D(2026, 2, 13), 2).day == D(2026, 2, 24)
    assert cal.add_working_days(D(2026, 2, 13), 6).day == D(2026, 2, 28)
    assert cal.add_working_days(D(2026, 2, 13), 7).day == D(2026, 3, 2)


def test_pause_in_the_middle_extends_by_paused_working_days(cal):
    start = D(2026, 3, 2)
    assert cal.add_working_days(start, 5).day == D(2026, 3, 9)
    # Wed 03-04 .. Thu 03-05 paused: two working days not counted
    due = cal.add_working_days(start, 5, [(D(2026, 3, 4), D(2026, 3, 5))])
    assert due == DueDate(D(2026, 3, 11), provisional=False, paused=False)
    # a pause over a weekend only costs nothing
    assert cal.add_working_days(start, 5, [(D(2026, 3, 7), D(2026, 3, 8))]).day == D(2026, 3, 9)
    # pause Fri..Tue: 3 working days (Fri, Mon, Tue) skipped
    due = cal.add_working_days(start, 5, [(D(2026, 3, 6), D(2026, 3, 10))])
    assert due.day == D(2026, 3, 12)
    # two pauses, unsorted and overlapping, are merged
    pauses = [(D(2026, 3, 5), D(2026, 3, 6)), (D(2026, 3, 4), D(2026, 3, 5))]
    assert cal.add_working_days(start, 5, pauses).day == D(2026, 3, 12)
    with pytest.raises(ValueError):
        cal.add_working_days(start, 5, [(D(2026, 3, 6), D(2026, 3, 5))])


def test_open_pause(cal):
    due = cal.add_working_days(D(2026, 3, 2), 5, [(D(2026, 3, 4), None)])
    assert due.day is None and due.paused is True
    # an open pause that starts after the due date does not affect it
    due = cal.add_working_days(D(2026, 3, 2), 5, [(D(2026, 4, 1), None)])
    assert due == DueDate(D(2026, 3, 9), provisional=False, paused=False)


def test_unknown_year_is_provisional_weekends_only(cal):
    due = cal.add_working_days(D(2027, 1, 1), 1)  # Friday
    assert due == DueDate(D(2027, 1, 4), provisional=True, paused=False)
    assert cal.add_working_days(D(2027, 9, 30), 1).day == D(2027, 10, 1)  # no National Day
    # crossing from a known into an unknown year
    assert cal.add_working_days(D(2026, 12, 30), 1) == DueDate(D(2026, 12, 31), False, False)
    assert cal.add_working_days(D(2026, 12, 30), 3) == DueDate(D(2027, 1, 4), True, False)


def test_thousand_working_days_is_fast(cal):
    due = cal.add_working_days(D(2025, 1, 1), 1000)
    assert due.provisional is True and due.day is not None
    assert cal.working_days_between(D(2025, 1, 1), due.day) == 1000


# -- working_days_between ----------------------------------------------------------


def test_working_days_between_basics(cal):
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 9)) == 5
    assert cal.working_days_between(D(2026, 3, 9), D(2026, 3, 2)) == -5
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 7)) == 0
    pause = [(D(2026, 3, 4), D(2026, 3, 5))]
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 9), pause) == 3
    assert cal.working_days_between(D(2026, 3, 9), D(2026, 3, 2), pause) == -3
    # an open pause stops the count where it starts
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 31), [(D(2026, 3, 4), None)]) == 1


def test_working_days_between_consistent_with_add(cal):
    starts = [D(2025, 1, 24), D(2025, 9, 26), D(2026, 2, 13), D(2026, 9, 18), D(2026, 12, 28)]
    pause_sets = [(), [(D(2025, 2, 5), D(2025, 2, 12)), (D(2026, 10, 9), D(2026, 10, 13))]]
    for i, start in enumerate(starts):
        for n in [(i * 7 + k * 13) % 60 for k in range(12)] + [0, 1, 250]:
            for pauses in pause_sets:
                due = cal.add_working_days(start, n, pauses)
                assert due.day is not None
                assert cal.working_days_between(start, due.day, pauses) == n, (start, n)
                assert cal.working_days_between(due.day, start, pauses) == -n
                if n > 0:
                    assert cal.is_working_day(due.day)
                    assert (
                        cal.working_days_between(start, due.day - timedelta(days=1), pauses)
                        == n - 1
                    )


# -- the 2026 official arrangement, exactly ------------------------------------------------

# 国务院办公厅关于2026年部分节假日安排的通知: every day off and every 调休 working weekend day
# (holiday names as chinesecalendar spells them).
OFFICIAL_2026_OFF = {
    "元旦": (D(2026, 1, 1), D(2026, 1, 3)),
    "春节": (D(2026, 2, 15), D(2026, 2, 23)),
    "清明": (D(2026, 4, 4), D(2026, 4, 6)),
    "劳动节": (D(2026, 5, 1), D(2026, 5, 5)),
    "端午": (D(2026, 6, 19), D(2026, 6, 21)),
    "中秋": (D(2026, 9, 25), D(2026, 9, 27)),
    "国庆节": (D(2026, 10, 1), D(2026, 10, 7)),
}
OFFICIAL_2026_WORKDAYS = {
    D(2026, 1, 4),
    D(2026, 2, 14),
    D(2026, 2, 28),
    D(2026, 5, 9),
    D(2026, 9, 20),
    D(2026, 10, 10),
}


def _official_2026_working(d: date) -> bool:
    if d in OFFICIAL_2026_WORKDAYS:
        return True
    if any(first <= d <= last for first, last in OFFICIAL_2026_OFF.values()):
        return False
    return d.weekday() < 5


def test_2026_official_arrangement_reproduced_exactly_by_every_path(app):
    """The package, the table it seeds and a year entered on the screen all give 2026 exactly."""
    from app.domain import calendar as dbcal
    from app.extensions import db

    days_2026 = list(_days(D(2026, 1, 1), D(2026, 12, 31)))
    expected = [d for d in days_2026 if _official_2026_working(d)]
    assert len(expected) == 248  # 365 days - 104 weekend days - 19 weekday holidays + 6 调休
    package = official_calendar([2026])
    assert [d for d in days_2026 if package.is_working_day(d)] == expected
    off_names = {d: n for n, (a, b) in OFFICIAL_2026_OFF.items() for d in _days(a, b)}
    rows = official_schedule([2026])
    assert {d: n for d, k, n in rows if k == "off" and d.weekday() < 5} == {
        d: n for d, n in off_names.items() if d.weekday() < 5
    }
    assert {d for d, k, _ in rows if k == "workday"} == OFFICIAL_2026_WORKDAYS

    dbcal.seed_official_calendar(db.session, [2026])
    db.session.commit()
    seeded = dbcal.load_calendar(db.session)
    assert [d for d in days_2026 if seeded.is_working_day(d)] == expected
    assert seeded.is_known(D(2026, 6, 1)) and not seeded.is_known(D(2027, 1, 1))

    # Entered by hand from the notice (as an Admin types it) on a fresh table: the same year.
    db.session.execute(sa.delete(m.Holiday))
    db.session.execute(sa.delete(m.HolidayYear))
    text = "\n".join(f"{a}..{b} {name}" for name, (a, b) in OFFICIAL_2026_OFF.items())
    dbcal.save_year(
        db.session,
        2026,
        off_days=dbcal.parse_days(text, 2026, "off_days"),
        workdays=dbcal.parse_days(
            "\n".join(f"{d} 调休" for d in sorted(OFFICIAL_2026_WORKDAYS)), 2026, "workdays"
        ),
        reference="国办发明电〔2025〕7号",
        confirmed=True,
    )
    db.session.commit()
    entered = dbcal.load_calendar(db.session)
    assert [d for d in days_2026 if entered.is_working_day(d)] == expected
    # Due dates the notice implies: 2026-09-28 + 5 → 10-10 (调休 Saturday), 12-31 + 1 → provisional.
    assert entered.add_working_days(D(2026, 9, 28), 5) == DueDate(D(2026, 10, 10))
    assert entered.add_working_days(D(2026, 2, 13), 1) == DueDate(D(2026, 2, 14))
    assert entered.add_working_days(D(2026, 2, 14), 1) == DueDate(D(2026, 2, 24))
    assert entered.add_working_days(D(2026, 12, 31), 1) == DueDate(D(2027, 1, 1), True)


# -- properties -----------------------------------------------------------------------------

KNOWN = range(2004, 2027)
PKG = None


def _package_calendar() -> WorkCalendar:
    global PKG
    if PKG is None:
        PKG = official_calendar(KNOWN)
    return PKG


def _naive_due(start: date, n: int, pauses) -> tuple[date | None, bool]:
    """Day by day, the rule in words: skip paused days, count working days (package's answer)."""
    if n == 0:
        return start, start.year not in KNOWN
    d, counted, provisional = start, 0, False
    while counted < n:
        d += timedelta(days=1)
        if any(a <= d and (b is None or d <= b) for a, b in pauses):
            if any(a <= d and b is None for a, b in pauses):
                return None, provisional
            continue
        if d.year not in KNOWN:
            provisional = True
            working = d.weekday() < 5
        else:
            working = chinese_calendar.is_workday(d)
        if working:
            counted += 1
    return d, provisional


# Starts weighted towards the hard places: year ends, leap days, long holidays, 调休 weekends.
_HARD_DAYS = sorted(
    {D(y, 12, 31) for y in range(2004, 2027)}
    | {D(y, 2, 28) for y in range(2004, 2027)}
    | {D(y, 2, 29) for y in (2004, 2008, 2012, 2016, 2020, 2024)}
    | {d for d in chinese_calendar.constants.holidays if d.year in KNOWN}
    | {d for d in chinese_calendar.constants.workdays if d.year in KNOWN}
)


def _starts():
    from hypothesis import strategies as st

    near_hard = st.tuples(st.sampled_from(_HARD_DAYS), st.integers(-10, 3)).map(
        lambda t: t[0] + timedelta(days=t[1])
    )
    anywhere = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 12, 31))
    return st.one_of(near_hard, anywhere)


def _pauses():
    from hypothesis import strategies as st

    pause = st.tuples(st.integers(0, 40), st.integers(0, 25), st.booleans())
    return st.lists(pause, max_size=3)


def _materialise(start: date, raw) -> list:
    """Pauses after ``start`` (offset, length, still open?) as the lifecycle builds them."""
    pauses = []
    for offset, length, still_open in raw:
        first = start + timedelta(days=offset + 1)
        pauses.append((first, None if still_open else first + timedelta(days=length)))
    return pauses


@pytest.mark.slow
def test_property_add_matches_the_package_day_by_day_with_pauses():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    cal = _package_calendar()

    @settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(start=_starts(), n=st.integers(0, 60), raw=_pauses())
    def check(start, n, raw):
        pauses = _materialise(start, raw)
        due = cal.add_working_days(start, n, paused=pauses)
        day, provisional = _naive_due(start, n, pauses)
        assert due.day == day
        assert due.paused == (day is None)
        if day is not None:
            assert due.provisional == provisional
            if n > 0:
                assert cal.is_working_day(day)
                assert not any(a <= day and (b is None or day <= b) for a, b in pauses)
                closed = [p for p in pauses if p[1] is not None]
                assert cal.working_days_between(start, day, closed) == n

    check()


@pytest.mark.slow
def test_property_due_dates_only_grow_and_years_beyond_the_table_are_provisional():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    cal = calendar_from_rows(official_schedule([2024, 2025, 2026]), [2024, 2025, 2026])

    @settings(max_examples=800, deadline=None)
    @given(
        start=st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 12, 31)),
        n=st.integers(0, 80),
        raw=_pauses(),
    )
    def check(start, n, raw):
        pauses = [p for p in _materialise(start, raw) if p[1] is not None]
        due = cal.add_working_days(start, n, paused=pauses)
        more = cal.add_working_days(start, n + 1, paused=pauses)
        assert more.day > due.day
        # A pause only ever pushes the date later, never earlier.
        assert due.day >= cal.add_working_days(start, n).day
        # Provisional exactly when the date reaches 2027 (no 2027 data: weekends only).
        assert due.provisional == (due.day.year >= 2027)
        if due.day.year >= 2027:
            assert due.day.weekday() < 5 or n == 0

    check()


def test_every_adjusted_weekend_day_counts_and_every_holiday_is_skipped():
    cal = _package_calendar()
    for day in chinese_calendar.constants.workdays:
        if day.year in KNOWN:
            assert day.weekday() >= 5
            assert cal.add_working_days(day - timedelta(days=1), 1).day == day
    for day in chinese_calendar.constants.holidays:
        if day.year in KNOWN:
            due = cal.add_working_days(day - timedelta(days=1), 1).day
            assert due > day and cal.is_working_day(due)
