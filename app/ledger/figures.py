"""The figures of one period and one scope: the one function every written number reads.

The ledger (its rows), the dashboard, the periodic summaries (.xlsx), the monthly summary
notice to managers and the written reports (月报 / 季报, app/assessment/reports.py) all count
**the cases applied in the period, inside the scope, by their status at the time of counting**,
through ``period_figures`` (``stats.dashboard`` over ``LedgerQuery``: the ledger's own WHERE
clauses). Before, the monthly notice counted the cases *ended* in the month (by ``ended_at``,
with its own queries) while the summary counted the cases *applied* in it: for the same October
one said 办结 25 / 终止 9 and the other 27 / 6. Now both read this module.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from app.ledger import appointments, stats
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.scope import Scope


def period_query(
    session: Session, scope: Scope, start: dt.date, end: dt.date, today: dt.date
) -> LedgerQuery:
    """The ledger's selection of the cases applied from ``start`` to ``end`` (inclusive)."""
    return LedgerQuery(session, scope, LedgerFilter(date_from=start, date_to=end), today=today)


def period_figures(
    session: Session, scope: Scope, start: dt.date, end: dt.date, today: dt.date
) -> dict:
    """Every statistic of the period (the dashboard's dictionary), the appointments of the
    period's days included (app/ledger/appointments.py)."""
    figures = stats.dashboard(period_query(session, scope, start, end, today))
    figures["appointments"] = appointments.for_period(session, scope, start, end)
    return figures


def headline(figures: dict) -> dict:
    """The few numbers a notice or a report's first paragraph states, from ``period_figures``."""
    totals = figures["totals"]
    return {
        "cases": totals["cases"],
        "open": totals["open"],
        "completed": totals["completed"],
        "terminated": totals["terminated"],
        "overdue": totals["overdue"],
        "on_time_rate": totals["on_time_rate"],
        "satisfaction_rate": figures["satisfaction"]["rate"],
        "evaluated": figures["satisfaction"]["evaluated"],
    }
