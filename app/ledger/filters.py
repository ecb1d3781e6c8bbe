"""The ledger's filters and the dashboard's periods: one value object shared by every reader.

The ledger page, its exports, the dashboard, the background export job and the periodic
summaries all turn the same ``LedgerFilter`` into the same WHERE clauses (``case_conditions``),
so the dashboard's numbers are the ledger's rows by construction. The filter always sits inside a
``Scope`` (app/scope.py): a unit outside the scope selects nothing rather than widening it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain.status import CaseStatus
from app.enums import CaseChannel, EvaluationStage, Rating, ServiceKind
from app.ledger.sqlfn import local_date, start_of_day
from app.scope import Scope

# Status values whose time limit is running: past the due date they are overdue. Awaiting
# materials is paused (the due date moves when the materials come), applied has no due date.
RUNNING_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
POOR_RATINGS = (Rating.DISSATISFIED, Rating.VERY_DISSATISFIED)
SATISFIED_RATINGS = (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED)
RATING_CHOICES = [r.value for r in Rating] + ["poor", "none"]


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def _enum(enum_cls, value):
    try:
        return enum_cls(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class LedgerFilter:
    """What a manager narrows the ledger to; every field optional, invalid input ignored."""

    unit_id: int | None = None
    date_from: dt.date | None = None  # application date, Asia/Shanghai, inclusive
    date_to: dt.date | None = None  # inclusive
    kind: ServiceKind | None = None
    channel: CaseChannel | None = None  # 到厅 or 上门服务
    status: CaseStatus | None = None
    item_id: int | None = None
    specialist_id: int | None = None
    overdue: bool | None = None
    rating: str | None = None  # "1".."5", "poor" (1-2) or "none" (not evaluated)

    @classmethod
    def from_args(cls, args) -> LedgerFilter:
        """Parse request arguments (or a stored dict) leniently: bad values mean no filter."""
        overdue = {"1": True, "yes": True, "0": False, "no": False}.get(
            str(args.get("overdue", "")).lower()
        )
        rating = str(args.get("rating") or "")
        return cls(
            unit_id=_int(args.get("unit")),
            date_from=_date(args.get("date_from")),
            date_to=_date(args.get("date_to")),
            kind=_enum(ServiceKind, args.get("kind")),
            channel=_enum(CaseChannel, args.get("channel")),
            status=_enum(CaseStatus, args.get("status")),
            item_id=_int(args.get("item")),
            specialist_id=_int(args.get("specialist")),
            overdue=overdue,
            rating=rating if rating in RATING_CHOICES else None,
        )

    def to_args(self) -> dict[str, str]:
        """The filter as request arguments (JSON-safe; the inverse of ``from_args``)."""
        out = {
            "unit": self.unit_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "kind": self.kind.value if self.kind else None,
            "channel": self.channel.value if self.channel else None,
            "status": self.status.value if self.status else None,
            "item": self.item_id,
            "specialist": self.specialist_id,
            "overdue": None if self.overdue is None else ("1" if self.overdue else "0"),
            "rating": self.rating,
        }
        return {k: str(v) for k, v in out.items() if v is not None}

    def with_(self, **changes) -> LedgerFilter:
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- row-level expressions


def ended_date():
    return local_date(m.Case.ended_at)


def overdue_expr(today: dt.date):
    """True for a case past its time limit: running past the due date, or completed late.

    A terminated case is judged by neither on-time nor overdue: it delivered nothing late.
    """
    return sa.case(
        (m.Case.due_date.is_(None), sa.false()),
        (
            sa.and_(m.Case.status.in_(RUNNING_STATUSES), m.Case.due_date < today),
            sa.true(),
        ),
        (
            sa.and_(m.Case.status == CaseStatus.COMPLETED, ended_date() > m.Case.due_date),
            sa.true(),
        ),
        else_=sa.false(),
    )


def on_time_expr():
    """True for a case completed on or before its due date."""
    return sa.and_(
        m.Case.status == CaseStatus.COMPLETED,
        m.Case.due_date.is_not(None),
        ended_date() <= m.Case.due_date,
    )


def _evaluated(*conds) -> sa.Exists:
    """EXISTS an evaluation of the case at completion, the one the ledger's rating column and
    the statistics count (correlated to the case only: the ledger's own query also reads the
    evaluation table)."""
    return (
        sa.select(m.Evaluation.id)
        .where(
            m.Evaluation.case_id == m.Case.id,
            m.Evaluation.stage == EvaluationStage.COMPLETION,
            *conds,
        )
        .correlate(m.Case)
        .exists()
    )


def case_conditions(
    session: Session, scope: Scope, flt: LedgerFilter, today: dt.date
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of the cases ``flt`` selects inside ``scope``."""
    conds: list[sa.ColumnElement[bool]] = [scope.clause_for(m.Case)]
    if flt.unit_id is not None:
        unit = session.get(m.OrgUnit, flt.unit_id)
        if unit is None or not scope.contains_unit(unit):
            conds.append(sa.false())
        else:
            # The chosen unit's subtree, by the scope module's own rule.
            conds.append(
                Scope(path=unit.path, unit_id=unit.id).resolved(session).clause_for(m.Case)
            )
    if flt.date_from is not None:
        conds.append(m.Case.applied_at >= start_of_day(flt.date_from))
    if flt.date_to is not None:
        conds.append(m.Case.applied_at < start_of_day(flt.date_to + dt.timedelta(days=1)))
    if flt.kind is not None:
        conds.append(m.Case.kind == flt.kind)
    if flt.channel is not None:
        conds.append(m.Case.channel == flt.channel)
    if flt.status is not None:
        conds.append(m.Case.status == flt.status)
    if flt.item_id is not None:
        conds.append(m.Case.item_id == flt.item_id)
    if flt.specialist_id is not None:
        conds.append(m.Case.specialist_id == flt.specialist_id)
    if flt.overdue is not None:
        expr = overdue_expr(today)
        conds.append(expr if flt.overdue else sa.not_(expr))
    if flt.rating == "none":
        conds.append(~_evaluated())
    elif flt.rating == "poor":
        conds.append(_evaluated(m.Evaluation.rating.in_(POOR_RATINGS)))
    elif flt.rating is not None:
        conds.append(_evaluated(m.Evaluation.rating == Rating(flt.rating)))
    return conds


def walkin_conditions(
    session: Session, scope: Scope, flt: LedgerFilter
) -> list[sa.ColumnElement[bool]]:
    """The walk-in help ``flt`` selects: unit subtree, date range and specialist apply."""
    conds: list[sa.ColumnElement[bool]] = [scope.clause_for(m.WalkInHelp)]
    if flt.unit_id is not None:
        unit = session.get(m.OrgUnit, flt.unit_id)
        if unit is None or not scope.contains_unit(unit):
            conds.append(sa.false())
        else:
            conds.append(
                Scope(path=unit.path, unit_id=unit.id).resolved(session).clause_for(m.WalkInHelp)
            )
    if flt.date_from is not None:
        conds.append(m.WalkInHelp.at >= start_of_day(flt.date_from))
    if flt.date_to is not None:
        conds.append(m.WalkInHelp.at < start_of_day(flt.date_to + dt.timedelta(days=1)))
    if flt.specialist_id is not None:
        conds.append(m.WalkInHelp.specialist_id == flt.specialist_id)
    return conds


# ---------------------------------------------------------------- periods


PERIODS = {
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "this_quarter": _l("This quarter"),
    "last_quarter": _l("Last quarter"),
    "this_year": _l("This year"),
    "last_year": _l("Last year"),
    "all": _l("All time"),
    "custom": _l("Custom range"),
}


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt - dt.timedelta(days=1)


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    _, end = month_bounds(dt.date(day.year, first_month + 2, 1))
    return start, end


def period_range(
    period: str, today: dt.date, date_from=None, date_to=None
) -> tuple[dt.date | None, dt.date | None]:
    """The (first, last) day of a named period relative to ``today``; custom keeps the dates."""
    if period == "this_month":
        return month_bounds(today)
    if period == "last_month":
        return month_bounds(today.replace(day=1) - dt.timedelta(days=1))
    if period == "this_quarter":
        return quarter_bounds(today)
    if period == "last_quarter":
        return quarter_bounds(quarter_bounds(today)[0] - dt.timedelta(days=1))
    if period == "this_year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    if period == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    if period == "all":
        return None, None
    return _date(date_from), _date(date_to)
