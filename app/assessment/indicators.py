"""考核: each specialist's indicators for a month or quarter, a weighted score, tier rankings.

The cases are the ledger's for the period and scope (``app/ledger/figures.period_query``, voided
left out). Per specialist (the case's specialist):

- on-time completion rate: completed on or before the due date / completed with a due date
  (the ledger's ``on_time`` / ``judged``, from ``stats.workload_rows``);
- satisfaction rate: 非常满意 + 满意 + 基本满意 among the completion ratings (as the dashboard);
- repeat one-time notices: notices marked as a repeat (a second trip for the applicant);
- overdue cases: the ledger's overdue flag;
- complaints: poor ratings (不满意 / 非常不满意) at either stage;
- call-backs done: poor ratings whose rectification has its call-back, over the poor ratings.

The unit's own values are the same sums over every specialist (and unassigned cases), so its
on-time rate and satisfaction equal the dashboard's. Targets and weights come from
``assessment_target`` (an Admin's screen), with the defaults below until set.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app.enums import EvaluationStage, Indicator, Tier
from app.ledger import stats
from app.ledger.figures import period_query
from app.ledger.filters import POOR_RATINGS, SATISFIED_RATINGS, month_bounds, quarter_bounds
from app.ledger.queries import LedgerQuery
from app.scope import Scope, ranking_scope

# (target, weight) until an Admin sets them: 按时办结率 100 %, 满意率 95 %, no repeat notice,
# no overdue case, no complaint, every poor rating called back.
DEFAULTS: dict[Indicator, tuple[float, int]] = {
    Indicator.ON_TIME_RATE: (1.0, 30),
    Indicator.SATISFACTION_RATE: (0.95, 25),
    Indicator.REPEAT_NOTICES: (0, 10),
    Indicator.OVERDUE: (0, 15),
    Indicator.COMPLAINTS: (0, 10),
    Indicator.CALLBACK_RATE: (1.0, 10),
}
COUNT_PENALTY = 20  # points an indicator loses per count above its target
PERIODS = ("month", "quarter")


class PeriodError(ValueError):
    """A period the request named is not a month (2026-05) or a quarter (2026-Q2)."""


def parse_period(
    kind: str | None, value: str | None, today: dt.date
) -> tuple[str, dt.date, dt.date]:
    """(kind, first day, last day) of ``month``/``2026-05`` or ``quarter``/``2026-Q2``; without
    a value, the last closed one. Anything else raises ``PeriodError``."""
    kind = kind or "month"
    if kind not in PERIODS:
        raise PeriodError(kind)
    if not value:
        if kind == "month":
            return kind, *month_bounds(today.replace(day=1) - dt.timedelta(days=1))
        return kind, *quarter_bounds(quarter_bounds(today)[0] - dt.timedelta(days=1))
    value = str(value).strip()
    try:
        if kind == "month":
            year, month = value.split("-")
            if len(year) != 4 or len(month) != 2:
                raise ValueError(value)
            return kind, *month_bounds(dt.date(int(year), int(month), 1))
        year, quarter = value.upper().split("-Q")
        number = int(quarter)
        if len(year) != 4 or not 1 <= number <= 4:
            raise ValueError(value)
        return kind, *quarter_bounds(dt.date(int(year), 3 * number - 2, 1))
    except (ValueError, TypeError) as exc:
        raise PeriodError(value) from exc


def period_value(kind: str, start: dt.date) -> str:
    """The inverse of ``parse_period``: ``2026-05`` or ``2026-Q2``."""
    if kind == "month":
        return f"{start:%Y-%m}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def targets(session: Session) -> dict[Indicator, dict]:
    """Every indicator's ``{"target", "weight"}``: the Admin's rows, else the defaults."""
    out = {ind: {"target": t, "weight": w} for ind, (t, w) in DEFAULTS.items()}
    for row in session.execute(sa.select(m.AssessmentTarget)).scalars():
        out[Indicator(row.indicator)] = {"target": row.target, "weight": row.weight}
    return out


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def raw_counts(q: LedgerQuery) -> dict:
    """``{specialist_id or None: {...counts}}`` over the ledger's cases of ``q`` (voided out)."""
    q = q.counted()
    rows: dict = defaultdict(lambda: defaultdict(int))
    for sid, r in stats.workload_rows(q).items():
        for key in ("cases", "overdue", "on_time", "judged", "completed"):
            rows[sid][key] = r[key]
    ev = m.Evaluation
    for sid, rating, n in q.session.execute(
        sa.select(m.Case.specialist_id, ev.rating, sa.func.count(ev.id))
        .join(m.Case, m.Case.id == ev.case_id)
        .where(ev.stage == EvaluationStage.COMPLETION, *q.conds)
        .group_by(m.Case.specialist_id, ev.rating)
    ).all():
        rows[sid]["evaluated"] += n
        if rating in SATISFIED_RATINGS:
            rows[sid]["satisfied"] += n
    notice = m.MaterialNotice
    for sid, n in q.session.execute(
        sa.select(m.Case.specialist_id, sa.func.count(notice.id))
        .join(m.Case, m.Case.id == notice.case_id)
        .where(notice.is_repeat.is_(True), *q.conds)
        .group_by(m.Case.specialist_id)
    ).all():
        rows[sid]["repeats"] += n
    rect = m.Rectification
    for sid, poor, called in q.session.execute(
        sa.select(
            m.Case.specialist_id,
            sa.func.count(ev.id),
            sa.func.count(rect.callback_at),
        )
        .join(m.Case, m.Case.id == ev.case_id)
        .outerjoin(rect, rect.evaluation_id == ev.id)
        .where(ev.rating.in_(POOR_RATINGS), *q.conds)
        .group_by(m.Case.specialist_id)
    ).all():
        rows[sid]["complaints"] += poor
        rows[sid]["callbacks"] += called
    return {sid: dict(r) for sid, r in rows.items()}


def values(c: dict) -> dict[Indicator, float | int | None]:
    """The six indicators of one set of counts (a rate is None when nothing was judged)."""
    get = c.get
    return {
        Indicator.ON_TIME_RATE: _rate(get("on_time", 0), get("judged", 0)),
        Indicator.SATISFACTION_RATE: _rate(get("satisfied", 0), get("evaluated", 0)),
        Indicator.REPEAT_NOTICES: get("repeats", 0),
        Indicator.OVERDUE: get("overdue", 0),
        Indicator.COMPLAINTS: get("complaints", 0),
        Indicator.CALLBACK_RATE: _rate(get("callbacks", 0), get("complaints", 0)),
    }


def meets(indicator: Indicator, value, target: float) -> bool | None:
    """Whether ``value`` reaches ``target`` (None: nothing to judge)."""
    if value is None:
        return None
    return value >= target if indicator.is_rate else value <= target


def points(indicator: Indicator, value, target: float) -> float:
    """0–100 for one indicator: a rate in proportion to its target, a count losing
    ``COUNT_PENALTY`` per unit above it; nothing to judge counts as full marks."""
    if value is None:
        return 100.0
    if indicator.is_rate:
        return 100.0 if target <= 0 else min(1.0, value / target) * 100
    return 100.0 if value <= target else max(0.0, 100.0 - COUNT_PENALTY * (value - target))


def score(vals: dict, goals: dict) -> float | None:
    """The weighted score (0–100, one decimal) of one set of indicator values."""
    total = sum(goals[i]["weight"] for i in Indicator)
    if total <= 0:
        return None
    got = sum(goals[i]["weight"] * points(i, vals[i], goals[i]["target"]) for i in Indicator)
    return round(got / total, 1)


def _sum_counts(rows: dict) -> dict:
    total: dict = defaultdict(int)
    for r in rows.values():
        for k, v in r.items():
            total[k] += v
    return dict(total)


def assess(session: Session, scope: Scope, start: dt.date, end: dt.date, today: dt.date) -> dict:
    """The period's assessment inside ``scope``.

    ``{"unit": {indicator: {value, target, meets}}, "score": …, "tiers": [(tier, [rows])]}``;
    each row: specialist id, name, unit, the counts, the values, score and rank in its tier.
    Only specialists of the scope's units with a case in the period are ranked."""
    goals = targets(session)
    counts = raw_counts(period_query(session, scope, start, end, today))
    unit_values = values(_sum_counts(counts))
    people = {
        r.id: r
        for r in session.execute(
            sa.select(
                m.Specialist.id,
                m.Specialist.name,
                m.OrgUnit.name.label("unit"),
                m.OrgUnit.tier,
            )
            .join(m.OrgUnit, m.OrgUnit.id == m.Specialist.unit_id)
            .where(
                m.Specialist.id.in_([s for s in counts if s is not None]),
                scope.clause_for(m.Specialist),
            )
        ).all()
    }
    by_tier: dict[Tier, list[dict]] = defaultdict(list)
    for sid, c in counts.items():
        person = people.get(sid)
        if person is None:
            continue
        vals = values(c)
        by_tier[Tier(person.tier)].append(
            {
                "specialist_id": sid,
                "name": person.name,
                "unit": person.unit,
                "cases": c.get("cases", 0),
                "values": {i.value: vals[i] for i in Indicator},
                "meets": {i.value: meets(i, vals[i], goals[i]["target"]) for i in Indicator},
                "score": score(vals, goals),
            }
        )
    tiers = []
    for tier in Tier:
        rows = sorted(
            by_tier.get(tier, []), key=lambda r: (-(r["score"] or 0), -r["cases"], r["name"])
        )
        for rank, row in enumerate(rows, 1):
            row["rank"] = rank
        if rows:
            tiers.append((tier, rows))
    return {
        "unit": {
            i.value: {
                "value": unit_values[i],
                "target": goals[i]["target"],
                "weight": goals[i]["weight"],
                "meets": meets(i, unit_values[i], goals[i]["target"]),
            }
            for i in Indicator
        },
        "score": score(unit_values, goals),
        "tiers": tiers,
    }


def own_assessment(
    session: Session, scope: Scope, specialist_id: int, start: dt.date, end: dt.date, today: dt.date
) -> dict:
    """One specialist's own assessment: his indicators against the targets and his score (his
    row of the rankings), with his place in his tier's ranking of the whole center
    (``ranking_scope``) and how many are ranked there. Nobody else's row leaves this function.

    ``{"row": … or None (no case in the period), "tier": …, "rank": …, "ranked": …,
    "goals": {indicator value: {target, weight}}}``."""
    data = assess(session, ranking_scope(scope), start, end, today)
    goals = {i.value: g for i, g in targets(session).items()}
    for tier, rows in data["tiers"]:
        for row in rows:
            if row["specialist_id"] == specialist_id:
                return {
                    "row": row,
                    "tier": tier,
                    "rank": row["rank"],
                    "ranked": len(rows),
                    "goals": goals,
                }
    return {"row": None, "tier": None, "rank": None, "ranked": 0, "goals": goals}


def figure_values(figures: dict) -> dict[Indicator, float | int | None]:
    """The six indicators of the whole selection from the dashboard's own figures
    (``stats.dashboard``: the rollups when they apply), the same numbers ``raw_counts`` sums."""
    totals, poor = figures["totals"], figures["poor_ratings"]
    return {
        Indicator.ON_TIME_RATE: totals["on_time_rate"],
        Indicator.SATISFACTION_RATE: figures["satisfaction"]["rate"],
        Indicator.REPEAT_NOTICES: figures["notices"]["repeats"],
        Indicator.OVERDUE: totals["overdue"],
        Indicator.COMPLAINTS: poor["evaluations"],
        Indicator.CALLBACK_RATE: _rate(poor["callbacks"], poor["evaluations"]),
    }


def against_targets(q: LedgerQuery, figures: dict | None = None) -> list[dict]:
    """The dashboard's panel: the selection's indicators against their targets (red / green).

    With the dashboard's ``figures`` of the same selection, read from them: a city's year no
    longer counts its cases per specialist again (seconds at a million cases, issue 22)."""
    goals = targets(q.session)
    if figures is not None:
        vals = figure_values(figures)
    else:
        vals = values(_sum_counts(raw_counts(q)))
    return [
        {
            "key": i.value,
            "label": str(i.label),
            "is_rate": i.is_rate,
            "value": vals[i],
            "target": goals[i]["target"],
            "meets": meets(i, vals[i], goals[i]["target"]),
        }
        for i in Indicator
    ]
