"""SQL building blocks of the ledger that differ between PostgreSQL and SQLite.

* ``local_date(ts)`` / ``local_month(ts)``: the Asia/Shanghai calendar date (month) of a stored
  timestamp. PostgreSQL converts the ``timestamptz`` (UTC+8, see ``PG_OFFSET``); SQLite keeps no
  zone, and the lifecycle writes Asia/Shanghai wall time (``clock.now()``), so the stored text is
  taken as local time.
* ``greatest`` / ``least``: two-argument max and min.
* ``workday_calendar()`` / ``Workdays``: the working-day calendar built in SQL from the
  ``holiday`` table with the same rule as app/domain/workdays.py (explicit rows win, otherwise
  Monday to Friday work). ``ord(d)`` is the number of working days up to and including ``d`` and
  ``before(d)`` those strictly before it, so the working days ``a < d <= b`` are
  ``ord(b) - ord(a)`` — ``WorkCalendar.working_days_between`` — an array lookup per date on
  PostgreSQL and nothing stored: handling times of a million cases are one aggregate query,
  never a loop, and always agree with the holiday table as it is now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import expression

from app.domain import clock

TIMEZONE = "Asia/Shanghai"
# Asia/Shanghai has kept UTC+8 without daylight saving since 1991: a fixed offset gives the same
# dates as the named zone and costs a third of its per-row lookup over a million rows.
PG_OFFSET = "INTERVAL '+08:00'"

# The calendar spans every date a case can carry: cases start after 2000, end before +3 years.
CALENDAR_START = dt.date(2000, 1, 1)
CALENDAR_YEARS_AHEAD = 3


class local_date(expression.FunctionElement):  # noqa: N801 - reads like the SQL function
    """The Asia/Shanghai date of a timestamp column."""

    type = sa.Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(({arg} AT TIME ZONE {PG_OFFSET}) AS DATE)"


@compiles(local_date)
def _local_date_default(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


class local_month(expression.FunctionElement):  # noqa: N801
    """The first moment of the Asia/Shanghai month of a timestamp (see ``month_label``)."""

    name = "local_month"
    inherit_cache = True


@compiles(local_month, "postgresql")
def _local_month_pg(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return f"date_trunc('month', {arg} AT TIME ZONE {PG_OFFSET})"


@compiles(local_month)
def _local_month_default(element, compiler, **kw):
    return f"strftime('%Y-%m-01', {compiler.process(element.clauses, **kw)})"


def month_label(value) -> str | None:
    """``YYYY-MM`` of what ``local_month`` returns (a timestamp, or text on SQLite)."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value)[:7]


class greatest(expression.FunctionElement):  # noqa: N801
    type = sa.Integer()
    name = "greatest"
    inherit_cache = True


@compiles(greatest)
def _greatest_default(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "postgresql")
def _greatest_pg(element, compiler, **kw):
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


class least(expression.FunctionElement):  # noqa: N801
    type = sa.Integer()
    name = "least"
    inherit_cache = True


@compiles(least)
def _least_default(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(least, "postgresql")
def _least_pg(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


# PostgreSQL: one row holding the ordinals as two int[] indexed by day number (day - start + 1),
# read through scalar subqueries (computed once per statement) as ``(SELECT ords ...)[n]``: no
# join at all. (Joining a generated day table on a date expression defeats the planner's
# estimates at a million rows, and joining the arrays would drag them through every tuple.)
_PG_CALENDAR = """
SELECT array_agg(wd.ord ORDER BY wd.day) AS ords,
       array_agg(wd.ord_before ORDER BY wd.day) AS befores
FROM (
  SELECT c.day,
         CAST(SUM(c.working) OVER (ORDER BY c.day) AS INTEGER) AS ord,
         CAST(SUM(c.working) OVER (ORDER BY c.day) - c.working AS INTEGER) AS ord_before
  FROM (
    SELECT g.d AS day,
           CASE WHEN h.kind = 'workday' THEN 1
                WHEN h.kind = 'off' THEN 0
                WHEN EXTRACT(ISODOW FROM g.d) < 6 THEN 1 ELSE 0 END AS working
    FROM (SELECT CAST(:wc_start AS DATE) + i AS d
          FROM generate_series(0, CAST(:wc_days AS INTEGER)) AS i) AS g
    LEFT JOIN holiday AS h ON h.day = g.d
  ) AS c
) AS wd
"""

# SQLite (small installations): a table of days joined by equality, one alias per date.
_SQLITE_CALENDAR = """
SELECT wd.day AS day,
       SUM(wd.working) OVER (ORDER BY wd.day) AS ord,
       SUM(wd.working) OVER (ORDER BY wd.day) - wd.working AS ord_before
FROM (
  WITH RECURSIVE series(d) AS (
    SELECT date(:wc_start) UNION ALL SELECT date(d, '+1 day') FROM series WHERE d < :wc_end
  )
  SELECT series.d AS day,
         CASE WHEN h.kind = 'workday' THEN 1
              WHEN h.kind = 'off' THEN 0
              WHEN strftime('%w', series.d) IN ('0', '6') THEN 0 ELSE 1 END AS working
  FROM series LEFT JOIN holiday AS h ON h.day = series.d
) AS wd
"""


# PostgreSQL, the calendar as computed once per process (``calendar_arrays``): the two arrays
# bound to the statement instead of a window over eleven thousand days in every statement (a
# ledger page spent more on its calendar than on its rows, issue 22).
_PG_BOUND_CALENDAR = """
SELECT CAST(:wc_ords AS INTEGER[]) AS ords, CAST(:wc_befores AS INTEGER[]) AS befores
"""

_FINGERPRINT = sa.text(
    "SELECT md5(COALESCE(string_agg(CAST(day AS TEXT) || ':' || CAST(kind AS TEXT), ','"
    " ORDER BY day), '')) FROM holiday"
)
_HOLIDAYS = sa.text("SELECT day, CAST(kind AS TEXT) FROM holiday")
_arrays: dict[tuple, tuple] = {}


def calendar_end(today: dt.date) -> dt.date:
    return dt.date(today.year + CALENDAR_YEARS_AHEAD, 12, 31)


def _calendar(session, today: dt.date) -> tuple:
    days = (calendar_end(today) - CALENDAR_START).days
    key = (days, session.execute(_FINGERPRINT).scalar_one())
    found = _arrays.get(key)
    if found is not None:
        return found
    explicit = {
        (d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))): kind == "workday"
        for d, kind in session.execute(_HOLIDAYS).all()
    }
    ords, befores, n = [], [], 0
    for i in range(days + 1):
        day = CALENDAR_START + dt.timedelta(days=i)
        working = int(explicit.get(day, day.isoweekday() < 6))
        befores.append(n)
        n += working
        ords.append(n)
    # As array literals too: a Python list of 11,000 ints takes the driver 40-80 ms to send,
    # the same as one string about 1 ms.
    found = (ords, befores, _literal(ords), _literal(befores))
    _arrays.clear()
    _arrays[key] = found
    return found


def _literal(values: list[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def calendar_arrays(session, today: dt.date) -> tuple[list[int], list[int]]:
    """The ordinals ``_PG_CALENDAR`` computes (``ords``, ``befores``, indexed by day number),
    computed in Python and kept while the holiday table stays the same: each call reads only
    the table's fingerprint (an md5 over its hundred-odd rows)."""
    ords, befores, _, _ = _calendar(session, today)
    return ords, befores


def calendar_literals(session, today: dt.date) -> tuple[str, str]:
    """``calendar_arrays`` as PostgreSQL array literals (what ``workday_calendar`` binds)."""
    _, _, ords, befores = _calendar(session, today)
    return ords, befores


class day_number(expression.FunctionElement):  # noqa: N801
    """1-based index of a date in the calendar arrays (PostgreSQL)."""

    type = sa.Integer()
    name = "day_number"
    inherit_cache = True


@compiles(day_number, "postgresql")
def _day_number_pg(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return f"({arg} - DATE '{CALENDAR_START.isoformat()}' + 1)"


def workday_calendar(
    dialect: str, today: dt.date, name: str = "workcal", arrays: tuple | None = None
) -> sa.CTE:
    """The working-day calendar CTE for ``dialect`` (see ``Workdays``); on PostgreSQL with
    ``arrays`` (``calendar_literals``) the ordinals are bound, not computed."""
    end = calendar_end(today)
    if dialect == "postgresql" and arrays is not None:
        array = postgresql.ARRAY(sa.Integer)
        params = [
            sa.bindparam("wc_ords", arrays[0], type_=sa.Text),
            sa.bindparam("wc_befores", arrays[1], type_=sa.Text),
        ]
        columns = (sa.column("ords", array), sa.column("befores", array))
        return sa.text(_PG_BOUND_CALENDAR).bindparams(*params).columns(*columns).cte(name)
    if dialect == "postgresql":
        params = {"wc_start": CALENDAR_START.isoformat(), "wc_days": (end - CALENDAR_START).days}
        columns = (
            sa.column("ords", postgresql.ARRAY(sa.Integer)),
            sa.column("befores", postgresql.ARRAY(sa.Integer)),
        )
        return sa.text(_PG_CALENDAR).bindparams(**params).columns(*columns).cte(name)
    params = {"wc_start": CALENDAR_START.isoformat(), "wc_end": end.isoformat()}
    columns = (
        sa.column("day", sa.Date),
        sa.column("ord", sa.Integer),
        sa.column("ord_before", sa.Integer),
    )
    return sa.text(_SQLITE_CALENDAR).bindparams(**params).columns(*columns).cte(name)


@dataclass(frozen=True)
class DayOrdinal:
    """Working days up to and including a date (``ord``) and strictly before it."""

    ord: sa.ColumnElement[int]
    before: sa.ColumnElement[int]


class Workdays:
    """Working-day ordinals of date expressions within one SELECT.

    ``day(expr)`` gives the ordinals of a date expression; ``join(stmt)`` adds what they need to
    the SELECT's FROM: nothing on PostgreSQL (scalar subqueries), one outer join per date on
    SQLite.
    """

    def __init__(self, calendar: sa.CTE, dialect: str):
        self.calendar = calendar
        self.pg = dialect == "postgresql"
        self._joins: list[tuple[sa.Alias, sa.ColumnElement[bool]]] = []

    def day(self, date_expr, alias: str) -> DayOrdinal:
        if self.pg:
            n = day_number(date_expr)
            array = postgresql.ARRAY(sa.Integer)
            ords = sa.type_coerce(sa.select(self.calendar.c.ords).scalar_subquery(), array)
            befores = sa.type_coerce(sa.select(self.calendar.c.befores).scalar_subquery(), array)
            return DayOrdinal(ords[n], befores[n])
        table = self.calendar.alias(alias)
        self._joins.append((table, table.c.day == date_expr))
        return DayOrdinal(table.c.ord, table.c.ord_before)

    def join(self, stmt: sa.Select) -> sa.Select:
        if self.pg:
            return stmt
        for table, on in self._joins:
            stmt = stmt.outerjoin(table, on)
        return stmt


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in Asia/Shanghai (an aware datetime for timestamp comparisons)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=clock.TZ)
