"""Statistics of the ledger: every number is a GROUP BY in the database over the ledger's rows.

``dashboard(query)`` runs over exactly the cases ``LedgerQuery`` selects (scope plus filter), so
each number here equals the count of ledger rows under the matching filter. Python only shapes
the aggregated rows (a few hundred at most: units, items, months, specialists); it never sees a
case row.

At a million cases the cost is the scans, so the statistics share them: on PostgreSQL one
``GROUPING SETS`` query counts the cases by kind, status, tier, unit, item, month, rating and
termination reason in a single pass (elsewhere one query per dimension), the totals are the sums
of the per-specialist workload rows, and each related table (extensions, notices, problems,
walk-in help) is read once.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from app import models as m
from app.domain.status import OPEN_STATUSES, CaseStatus
from app.enums import (
    CaseChannel,
    EvaluationStage,
    EventKind,
    Rating,
    ServiceKind,
    TerminationReason,
    Tier,
    WalkInKind,
)
from app.ledger import rollup
from app.ledger.filters import (
    POOR_RATINGS,
    SATISFIED_RATINGS,
    on_time_expr,
    overdue_expr,
    walkin_conditions,
)
from app.ledger.queries import LedgerQuery
from app.ledger.sqlfn import local_month, month_label

TOP_UNITS_PER_PROBLEM = 3
TOP_EXTENSION_REASONS = 10


def _flag(condition) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _enum_counts(rows, enum_cls) -> list[dict]:
    """Every member of ``enum_cls`` in declaration order with its count (0 when absent)."""
    counts = {}
    for key, n in rows:
        if key is not None:
            counts[key if isinstance(key, enum_cls) else enum_cls(key)] = n
    return [{"key": e.value, "label": str(e.label), "count": counts.get(e, 0)} for e in enum_cls]


def grouped(
    q: LedgerQuery,
    base: sa.Select,
    sets: dict[str, tuple],
    measures: list,
    total: bool = False,
) -> dict[str, list[tuple]]:
    """Aggregate ``base`` (its FROM and WHERE) by each set of columns in ``sets``.

    Returns ``{name: [(*key columns, *measures), ...]}`` (and ``"total"``: the whole, when asked).
    PostgreSQL does every set in one scan (``GROUPING SETS``); SQLite runs one query per set.
    """
    if q.dialect != "postgresql":
        out = {
            name: [
                tuple(r)
                for r in q.session.execute(base.add_columns(*cols, *measures).group_by(*cols)).all()
            ]
            for name, cols in sets.items()
        }
        if total:
            out["total"] = [tuple(q.session.execute(base.add_columns(*measures)).one())]
        return out
    columns: list = []
    for cols in sets.values():
        for col in cols:
            if not any(col is seen for seen in columns):
                columns.append(col)
    width = len(columns)
    every = (1 << width) - 1

    def position(col) -> int:
        return next(i for i, seen in enumerate(columns) if seen is col)

    masks = {}
    for name, cols in sets.items():
        mask = every
        for col in cols:
            mask &= ~(1 << (width - 1 - position(col)))
        masks[mask] = (name, [position(c) for c in cols])
    if total:
        masks[every] = ("total", [])
    group_sets = [sa.tuple_(*cols) for cols in sets.values()] + ([sa.tuple_()] if total else [])
    stmt = base.add_columns(*columns, sa.func.grouping(*columns), *measures).group_by(
        sa.func.grouping_sets(*group_sets)
    )
    out = {name: [] for name, _ in masks.values()}
    for row in q.session.execute(stmt).all():
        name, positions = masks[row[width]]
        out[name].append(tuple(row[i] for i in positions) + tuple(row[width + 1 :]))
    return out


def counts(q: LedgerQuery) -> dict[str, list[tuple]]:
    """Cases by kind, channel, status, tier, unit, item, month, rating and termination reason."""
    # An alias: the scope's subqueries read org_unit themselves and must not correlate to it.
    unit, item = sa.orm.aliased(m.OrgUnit, name="h_unit"), m.ServiceItem
    month = local_month(m.Case.applied_at)
    base = (
        sa.select()
        .select_from(m.Case)
        .join(unit, unit.id == m.Case.handling_unit_id)
        .join(item, item.id == m.Case.item_id)
        .outerjoin(
            m.Evaluation,
            sa.and_(
                m.Evaluation.case_id == m.Case.id,
                m.Evaluation.stage == EvaluationStage.COMPLETION,
            ),
        )
        .outerjoin(m.Termination, m.Termination.case_id == m.Case.id)
        .where(*q.conds)
    )
    sets = {
        "kind": (m.Case.kind,),
        "channel": (m.Case.channel,),
        "status": (m.Case.status,),
        "tier": (unit.tier,),
        "unit": (unit.id, unit.name),
        "item": (item.id, item.name),
        "month": (month,),
        "rating": (m.Evaluation.rating,),
        "termination": (m.Termination.reason_type,),
    }
    return grouped(q, base, sets, [sa.func.count(m.Case.id)])


def names_of(session, model, ids) -> dict:
    """``{id: name}`` of the rows of ``model`` with these ids; no statement for no ids (a
    period with no walk-ins, no problems recorded...)."""
    ids = list(ids)
    if not ids:
        return {}
    return dict(session.execute(sa.select(model.id, model.name).where(model.id.in_(ids))).all())


def _named(rows) -> list[dict]:
    """(id, name, count) rows as dicts, most first."""
    out = [{"key": k, "label": name, "count": n} for k, name, n in rows if k is not None]
    return sorted(out, key=lambda r: (-r["count"], r["label"] or ""))


def walkins(q: LedgerQuery) -> dict[str, list[tuple]]:
    """Walk-in help by kind and by specialist (unit subtree, dates and specialist filter apply)."""
    help_ = m.WalkInHelp
    base = sa.select().select_from(help_).where(*walkin_conditions(q.session, q.scope, q.flt))
    sets = {"kind": (help_.kind,), "specialist": (help_.specialist_id,)}
    return grouped(q, base, sets, [sa.func.count(help_.id)])


def workload_rows(q: LedgerQuery) -> dict:
    """Each specialist's counts from one pass over the cases: ``{specialist_id: {...}}``."""
    completed = m.Case.status == CaseStatus.COMPLETED
    handling, join = q.handling([completed])
    stmt = (
        sa.select(
            m.Case.specialist_id,
            sa.func.count(m.Case.id),
            _flag(m.Case.status.in_(list(OPEN_STATUSES))),
            _flag(completed),
            _flag(m.Case.status == CaseStatus.TERMINATED),
            _flag(overdue_expr(q.today)),
            _flag(on_time_expr()),
            _flag(sa.and_(completed, m.Case.due_date.is_not(None))),
            sa.func.sum(sa.case((completed, handling), else_=None)),
            _flag(sa.and_(completed, m.Case.accepted_at.is_not(None))),
        )
        .select_from(m.Case)
        .where(*q.conds)
        .group_by(m.Case.specialist_id)
    )
    rows = {}
    for sid, *values in q.session.execute(join(stmt)).all():
        # SUM of bigint is numeric in PostgreSQL: everything back to int.
        numbers = [int(v or 0) for v in values]
        rows[sid] = dict(zip(WORKLOAD_FIELDS, numbers[:7], strict=True))
        rows[sid]["handling_days"], rows[sid]["handled"] = numbers[7], numbers[8]
    return rows


WORKLOAD_FIELDS = ("cases", "open", "completed", "terminated", "overdue", "on_time", "judged")


def workload(q: LedgerQuery, walkin_rows: list[tuple], rows: dict | None = None):
    """The totals and each specialist's workload (``rows`` from ``workload_rows`` or the
    rollups): cases, open, completed, terminated, overdue, on time, and the working days the
    completed cases took; the totals are the sums of these few hundred rows."""
    rows = workload_rows(q) if rows is None else rows
    fields = WORKLOAD_FIELDS
    total = {f: sum(r[f] for r in rows.values()) for f in fields}
    total["on_time_rate"] = _rate(total["on_time"], total["judged"])
    del total["judged"]
    walkin_counts = {sid: n for sid, n in walkin_rows}
    ids = {k for k in list(rows) + list(walkin_counts) if k is not None}
    names = names_of(q.session, m.Specialist, ids)
    zero = dict.fromkeys(fields, 0) | {"handling_days": 0, "handled": 0}
    out = []
    for sid in set(rows) | set(walkin_counts):
        r = rows.get(sid, zero)
        days, handled = r["handling_days"], r["handled"]
        out.append(
            {
                "key": sid,
                "label": names.get(sid, ""),
                "cases": r["cases"],
                "open": r["open"],
                "completed": r["completed"],
                "overdue": r["overdue"],
                "handling_days": days,
                "handled": handled,
                "avg_days": round(days / handled, 2) if handled else None,
                "walkins": walkin_counts.get(sid, 0),
            }
        )
    out.sort(key=lambda r: (-r["cases"], -r["walkins"], r["label"]))
    return total, out


def handling_summary(workload_rows: list[dict]) -> dict:
    """Average handling time of completed cases, from the per-specialist sums (exact)."""
    days = sum(r["handling_days"] for r in workload_rows)
    handled = sum(r["handled"] for r in workload_rows)
    avg = round(days / handled, 2) if handled else None
    return {"cases": handled, "days": days, "avg_days": avg}


def extensions(q: LedgerQuery) -> dict:
    """Extensions: how many, on how many cases, how many days, and the commonest reasons."""
    ext = m.Extension
    base = sa.select().select_from(ext).join(m.Case, m.Case.id == ext.case_id).where(*q.conds)
    measures = [
        sa.func.count(ext.id),
        sa.func.count(sa.distinct(ext.case_id)),
        sa.func.sum(ext.extra_days),
    ]
    data = grouped(q, base, {"reason": (ext.reason,)}, measures, total=True)
    n, cases, days = data["total"][0]
    reasons = sorted(data["reason"], key=lambda r: (-r[1], r[0]))[:TOP_EXTENSION_REASONS]
    return {
        "extensions": int(n or 0),
        "cases": int(cases or 0),
        "extra_days": int(days or 0),
        "reasons": [{"label": r[0], "count": r[1]} for r in reasons],
    }


def satisfaction(rating_rows) -> dict:
    """The five levels' distribution and the satisfaction rate (非常满意+满意+基本满意 share)."""
    levels = _enum_counts(rating_rows, Rating)
    evaluated = sum(r["count"] for r in levels)
    satisfied = sum(r["count"] for r in levels if Rating(r["key"]) in SATISFIED_RATINGS)
    return {
        "levels": levels,
        "evaluated": evaluated,
        "satisfied": satisfied,
        "rate": _rate(satisfied, evaluated),
    }


def notices(q: LedgerQuery) -> dict:
    """One-time notices: how many, how many were repeats (a second trip), on how many cases."""
    n = m.MaterialNotice
    row = q.session.execute(
        sa.select(
            sa.func.count(n.id),
            _flag(n.is_repeat.is_(True)),
            sa.func.count(sa.distinct(n.case_id)),
            sa.func.count(sa.distinct(sa.case((n.is_repeat.is_(True), n.case_id), else_=None))),
        )
        .join(m.Case, m.Case.id == n.case_id)
        .where(*q.conds)
    ).one()
    total, repeats, cases, repeat_cases = (int(v or 0) for v in row)
    return {
        "notices": total,
        "repeats": repeats,
        "cases": cases,
        "repeat_cases": repeat_cases,
        "repeat_rate": _rate(repeats, total),
    }


def problems(q: LedgerQuery) -> list[dict]:
    """Problem categories recorded on the cases, most frequent first, with their top units."""
    ev, cat, unit = m.CaseEvent, m.ProblemCategory, sa.orm.aliased(m.OrgUnit, name="p_unit")
    base = (
        sa.select()
        .select_from(ev)
        .join(m.Case, m.Case.id == ev.case_id)
        .join(cat, cat.id == ev.problem_category_id)
        .join(unit, unit.id == sa.func.coalesce(ev.unit_id, m.Case.handling_unit_id))
        .where(ev.kind == EventKind.PROBLEM, *q.conds)
    )
    sets = {"category": (cat.id, cat.name), "unit": (cat.id, unit.id, unit.name)}
    measures = [sa.func.count(ev.id), sa.func.count(sa.distinct(ev.case_id))]
    data = grouped(q, base, sets, measures)
    units: dict[int, list[dict]] = defaultdict(list)
    for cat_id, _unit_id, unit_name, count, _cases in sorted(
        data["unit"], key=lambda r: (-r[3], r[2])
    ):
        if len(units[cat_id]) < TOP_UNITS_PER_PROBLEM:
            units[cat_id].append({"label": unit_name, "count": count})
    rows = sorted(data["category"], key=lambda r: (-r[2], r[1]))
    return [
        {"key": r[0], "label": r[1], "count": r[2], "cases": r[3], "units": units[r[0]]}
        for r in rows
    ]


def poor_ratings(q: LedgerQuery) -> dict:
    """Poor ratings (either stage) of the selected cases and how many were called back: the
    assessment's complaints and call-back rate (app/assessment/indicators.py)."""
    ev, rect = m.Evaluation, m.Rectification
    n, called = q.session.execute(
        sa.select(sa.func.count(ev.id), sa.func.count(rect.callback_at))
        .select_from(ev)
        .join(m.Case, m.Case.id == ev.case_id)
        .outerjoin(rect, rect.evaluation_id == ev.id)
        .where(ev.rating.in_(POOR_RATINGS), *q.conds)
    ).one()
    return {"evaluations": int(n or 0), "callbacks": int(called or 0)}


def _live(q: LedgerQuery) -> dict:
    """Every part of the dashboard as GROUP BY queries over the selected cases (voided cases
    left out, as in the rollups)."""
    q = q.counted()
    if q.dialect == "postgresql":
        # Plain aggregates over many rows: compiling them (JIT) costs more than it saves.
        q.session.execute(sa.text("SET LOCAL jit = off"))
    by = counts(q)
    walkin = walkins(q)
    return {
        "by": by,
        "walkin": walkin,
        "workload": workload(q, walkin["specialist"]),
        "extensions": extensions(q),
        "notices": notices(q),
        "problems": problems(q),
        "poor": poor_ratings(q),
    }


def _int_key(key: str) -> int | None:
    return int(key) if key else None


def _from_rollups(q: LedgerQuery) -> dict:
    """The same parts from the rollups of one unit and whole months (app/ledger/rollup.py)."""
    sums, months = rollup.read(q)
    n = rollup.IDX

    def plain(dim):
        return [(key, vec[n["n"]]) for key, vec in sums.get(dim, [])]

    unit_rows = [(int(k), c) for k, c in plain("unit")]
    cat_ids = {int(k) for k, _ in plain("problem")}
    problem_units = [
        (int(c), int(u), vec[n["n"]])
        for key, vec in sums.get("problem_unit", [])
        for c, u in [key.split("|")]
    ]
    unit_ids = {u for u, _ in unit_rows} | {u for _, u, _ in problem_units}
    found = (
        q.session.execute(
            sa.select(m.OrgUnit.id, m.OrgUnit.name, m.OrgUnit.tier).where(
                m.OrgUnit.id.in_(unit_ids)
            )
        )
        if unit_ids
        else ()  # no case in the period: no statement
    )
    units = {r.id: r for r in found}
    item_rows = [(int(k), c) for k, c in plain("item")]
    item_names = names_of(q.session, m.ServiceItem, [i for i, _ in item_rows])
    tiers: dict = defaultdict(int)
    for unit_id, c in unit_rows:
        if unit_id in units:
            tiers[units[unit_id].tier] += c
    by = {
        "kind": plain("kind"),
        "channel": plain("channel"),
        "status": plain("status"),
        "tier": list(tiers.items()),
        "unit": [(u, units[u].name if u in units else "", c) for u, c in unit_rows],
        "item": [(i, item_names.get(i, ""), c) for i, c in item_rows],
        "month": months,
        "rating": plain("rating"),
        "termination": plain("termination"),
    }
    walkin = {
        "kind": plain("walkin_kind"),
        "specialist": [(_int_key(k), c) for k, c in plain("walkin_spec")],
    }
    overdue_running = {_int_key(k): vec[n["n"]] for k, vec in sums.get("due", [])}
    people = {}
    for key, vec in sums.get("specialist", []):
        sid = _int_key(key)
        row = {f: vec[n[f]] for f in ("open", "completed", "terminated", "on_time", "judged")}
        row["cases"] = vec[n["n"]]
        row["overdue"] = vec[n["late"]] + overdue_running.get(sid, 0)
        row["handling_days"], row["handled"] = vec[n["handling_days"]], vec[n["handled"]]
        people[sid] = row
    total = next((vec for key, vec in sums.get("total", [])), [0] * rollup.WIDTH)
    reasons = sorted(plain("ext_reason"), key=lambda r: (-r[1], r[0]))[:TOP_EXTENSION_REASONS]
    notices_, repeats = total[n["notices"]], total[n["repeats"]]
    cat_names = names_of(q.session, m.ProblemCategory, cat_ids)
    top: dict[int, list[dict]] = defaultdict(list)
    for cat_id, unit_id, count in sorted(
        problem_units, key=lambda r: (-r[2], units[r[1]].name if r[1] in units else "")
    ):
        if len(top[cat_id]) < TOP_UNITS_PER_PROBLEM:
            name = units[unit_id].name if unit_id in units else ""
            top[cat_id].append({"label": name, "count": count})
    cats = [
        (int(key), cat_names.get(int(key), ""), vec[n["n"]], vec[n["cases"]])
        for key, vec in sums.get("problem", [])
    ]
    poor = next((vec for key, vec in sums.get("poor", [])), [0] * rollup.WIDTH)
    return {
        "poor": {"evaluations": poor[n["n"]], "callbacks": poor[n["cases"]]},
        "by": by,
        "walkin": walkin,
        "workload": workload(q, walkin["specialist"], people),
        "extensions": {
            "extensions": total[n["extensions"]],
            "cases": total[n["extension_cases"]],
            "extra_days": total[n["extension_days"]],
            "reasons": [{"label": r[0], "count": r[1]} for r in reasons],
        },
        "notices": {
            "notices": notices_,
            "repeats": repeats,
            "cases": total[n["notice_cases"]],
            "repeat_cases": total[n["repeat_cases"]],
            "repeat_rate": _rate(repeats, notices_),
        },
        "problems": [
            {"key": c, "label": name, "count": count, "cases": cases, "units": top[c]}
            for c, name, count, cases in sorted(cats, key=lambda r: (-r[2], r[1]))
        ],
    }


def dashboard_live(q: LedgerQuery) -> dict:
    """The dashboard counted from the cases themselves (what the rollups must equal)."""
    return dashboard(q, live=True)


def dashboard(q: LedgerQuery, live: bool = False) -> dict:
    """Every statistic of the dashboard for one scope and filter.

    A unit (or the scope) over whole months reads the rollups; any narrower filter (kind,
    status, item, specialist, overdue, rating, a range cutting a month) counts live.
    """
    parts = _from_rollups(q) if not live and rollup.applies(q) else _live(q)
    by, walkin = parts["by"], parts["walkin"]
    totals, people = parts["workload"]
    months = sorted((month_label(k), n) for k, n in by["month"] if k is not None)
    return {
        "totals": totals,
        "by_kind": _enum_counts(by["kind"], ServiceKind),
        "by_channel": _enum_counts(by["channel"], CaseChannel),
        "by_status": [
            row for row in _enum_counts(by["status"], CaseStatus) if row["key"] != "voided"
        ],
        "by_tier": _enum_counts(by["tier"], Tier),
        "by_unit": _named(by["unit"]),
        "by_item": _named(by["item"]),
        "by_month": [{"key": k, "label": k, "count": n} for k, n in months],
        "handling": handling_summary(people),
        "extensions": parts["extensions"],
        "terminations": _enum_counts(by["termination"], TerminationReason),
        "satisfaction": satisfaction(by["rating"]),
        "notices": parts["notices"],
        "problems": parts["problems"],
        "walkins": _enum_counts(walkin["kind"], WalkInKind),
        "specialists": people,
        "poor_ratings": parts["poor"],
    }
