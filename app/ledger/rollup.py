"""Statistics that do not scan the case table: monthly rollups kept current from every change.

The dashboard of a city over all time used to GROUP BY a million cases (3.5 s). It now reads the
rows of ``stat_rollup`` (app/models.py) for one unit: a few hundred per month whatever the size
of the case table.

**What a case contributes.** ``case_facts`` reads, for a set of cases, everything the dashboard
counts about each (kind, channel, status, item, specialist, rating, termination reason, late or on
time,
handling working days, extensions, notices, problems). ``contributions`` turns those facts into
rows keyed by (unit, month of application, dimension, key, key date): in the rows of the case's
handling and accepting units, of every unit above them and of unit 0 (everything), so that the
rows of one unit are exactly the cases its scope (app/scope.py: handling or accepting unit in the
subtree) selects. Voided cases contribute nothing.

**Kept current by a session hook, not by the lifecycle.** ``before_flush`` notes the cases a
flush touches (a case's own columns, or a row that counts for it: evaluation, termination,
extension, notice, problem) and reads their facts as the database has them; ``after_flush`` reads
them again and adds the difference to the rollups with one upsert per row (``n = n + delta``:
concurrent transactions add, never overwrite; keys sorted so they lock in one order). The
lifecycle module stays unaware of statistics, and whatever writes through the ORM (lifecycle,
imports, admin screens, the API) keeps them current. Writes that bypass the ORM (bulk SQL, COPY,
a unit moved in the tree, a holiday added after the fact) are caught by ``check``: the nightly
task recounts every case with the same ``contributions`` and repairs the rows that differ.

**Months, not days.** Every named period of the dashboard is made of whole months; a month row
of a village holds what a day row would hold ~30 times over. A day grain would multiply the
rows by ~5 at a million cases (and grow with the table). A custom range that cuts a month, or a
filter on kind, status, item, specialist, overdue or rating, is computed live (app/ledger/stats.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from app import models as m
from app.domain.status import OPEN_STATUSES, CaseStatus
from app.enums import EvaluationStage, EventKind
from app.ledger.filters import POOR_RATINGS, LedgerFilter, ended_date
from app.ledger.queries import LedgerQuery
from app.ledger.sqlfn import local_date
from app.scope import Scope

log = logging.getLogger(__name__)

MEASURES = m.ROLLUP_MEASURES
WIDTH = len(MEASURES)
IDX = {name: i for i, name in enumerate(MEASURES)}
NO_DATE = m.ROLLUP_NO_DATE
EVERYTHING = 0  # unit_id of the rows counting every case
STALE_UNIT = -1  # unit_id of the marker row: the rollups are not built yet
VOIDED = CaseStatus.VOIDED.value
RUNNING = {CaseStatus.ACCEPTED.value, CaseStatus.IN_PROGRESS.value}
OPEN = {s.value for s in OPEN_STATUSES}
RELATED = (
    m.Evaluation,
    m.Termination,
    m.Extension,
    m.MaterialNotice,
    m.CaseEvent,
    m.Rectification,
)

Key = tuple  # (unit_id, month, dim, key, key_date)


def _value(v):
    return getattr(v, "value", v)


def _day(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


# ---------------------------------------------------------------- facts of cases


def case_facts(session: Session, case_ids: Iterable[int] | None = None, stream: bool = False):
    """One row per case: its dimensions and measures (``case_ids`` None: every case)."""
    stmt = case_facts_select(session, case_ids)
    conn = session.connection()
    if stream:
        return conn.execute(stmt, execution_options={"yield_per": 20000})
    return conn.execute(stmt).all()


def case_facts_select(session: Session, case_ids: Iterable[int] | None = None) -> sa.Select:
    """The SELECT behind ``case_facts``."""
    ids = None if case_ids is None else sorted(set(case_ids))
    only = [] if ids is None else [m.Case.id.in_(ids)]
    # A full recount is one statement with its values written in: the calendar computed in it.
    q = LedgerQuery(session, Scope(everything=True), LedgerFilter(), bound_calendar=ids is not None)
    completed = m.Case.status == CaseStatus.COMPLETED
    handling, join = q.handling([*only, completed])
    ext = m.Extension
    exts = (
        sa.select(
            ext.case_id.label("case_id"),
            sa.func.count(ext.id).label("n"),
            sa.func.sum(ext.extra_days).label("days"),
        )
        .where(*([ext.case_id.in_(ids)] if ids is not None else []))
        .group_by(ext.case_id)
        .subquery("r_ext")
    )
    notice = m.MaterialNotice
    notices = (
        sa.select(
            notice.case_id.label("case_id"),
            sa.func.count(notice.id).label("n"),
            sa.func.sum(sa.case((notice.is_repeat.is_(True), 1), else_=0)).label("repeats"),
        )
        .where(*([notice.case_id.in_(ids)] if ids is not None else []))
        .group_by(notice.case_id)
        .subquery("r_notice")
    )
    # Poor ratings (either stage) and the call-backs done on them: the assessment's
    # complaints and call-back rate (app/assessment/indicators.py).
    poor_ev, rect = sa.orm.aliased(m.Evaluation, name="r_poor_ev"), m.Rectification
    poor = (
        sa.select(
            poor_ev.case_id.label("case_id"),
            sa.func.count(poor_ev.id).label("n"),
            sa.func.count(rect.callback_at).label("called"),
        )
        .outerjoin(rect, rect.evaluation_id == poor_ev.id)
        .where(
            poor_ev.rating.in_(POOR_RATINGS),
            *([poor_ev.case_id.in_(ids)] if ids is not None else []),
        )
        .group_by(poor_ev.case_id)
        .subquery("r_poor")
    )
    stmt = (
        sa.select(
            m.Case.id,
            m.Case.handling_unit_id,
            m.Case.accepting_unit_id,
            local_date(m.Case.applied_at).label("day"),
            m.Case.kind,
            m.Case.channel,
            m.Case.status,
            m.Case.item_id,
            m.Case.specialist_id,
            m.Case.due_date,
            ended_date().label("ended_on"),
            m.Case.accepted_at.is_not(None).label("accepted"),
            m.Evaluation.rating,
            m.Termination.reason_type,
            sa.case((completed, handling), else_=None).label("handling_days"),
            sa.func.coalesce(exts.c.n, 0).label("ext_n"),
            sa.func.coalesce(exts.c.days, 0).label("ext_days"),
            sa.func.coalesce(notices.c.n, 0).label("notice_n"),
            sa.func.coalesce(notices.c.repeats, 0).label("repeat_n"),
            sa.func.coalesce(poor.c.n, 0).label("poor_n"),
            sa.func.coalesce(poor.c.called, 0).label("callback_n"),
        )
        .select_from(m.Case)
        .outerjoin(
            m.Evaluation,
            sa.and_(
                m.Evaluation.case_id == m.Case.id,
                m.Evaluation.stage == EvaluationStage.COMPLETION,
            ),
        )
        .outerjoin(m.Termination, m.Termination.case_id == m.Case.id)
        .outerjoin(exts, exts.c.case_id == m.Case.id)
        .outerjoin(notices, notices.c.case_id == m.Case.id)
        .outerjoin(poor, poor.c.case_id == m.Case.id)
    )
    return join(stmt).where(*only)


def extension_reasons(session: Session, case_ids=None) -> dict[int, list[tuple[str, int]]]:
    ext = m.Extension
    stmt = sa.select(ext.case_id, ext.reason, sa.func.count(ext.id)).group_by(
        ext.case_id, ext.reason
    )
    if case_ids is not None:
        stmt = stmt.where(ext.case_id.in_(sorted(set(case_ids))))
    out: dict[int, list] = defaultdict(list)
    for case_id, reason, n in session.connection().execute(stmt):
        out[case_id].append(((reason or "")[:200], n))
    return out


def problem_rows(session: Session, case_ids=None) -> dict[int, list[tuple[int, int, int]]]:
    """(category, unit, count) of the problems met on each case (unit: where it was met)."""
    ev = m.CaseEvent
    unit = sa.func.coalesce(ev.unit_id, m.Case.handling_unit_id)
    stmt = (
        sa.select(ev.case_id, ev.problem_category_id, unit, sa.func.count(ev.id))
        .join(m.Case, m.Case.id == ev.case_id)
        .where(ev.kind == EventKind.PROBLEM, ev.problem_category_id.is_not(None))
        .group_by(ev.case_id, ev.problem_category_id, unit)
    )
    if case_ids is not None:
        stmt = stmt.where(ev.case_id.in_(sorted(set(case_ids))))
    out: dict[int, list] = defaultdict(list)
    for case_id, category, unit_id, n in session.connection().execute(stmt):
        out[case_id].append((category, unit_id, n))
    return out


def ancestors(session: Session) -> dict[int, tuple[int, ...]]:
    """Each unit's id with the ids of every unit above it, and 0 (everything)."""
    parents = dict(session.connection().execute(sa.select(m.OrgUnit.id, m.OrgUnit.parent_id)).all())
    out = {}
    for unit_id in parents:
        chain, seen, at = [EVERYTHING], set(), unit_id
        while at is not None and at not in seen:
            seen.add(at)
            chain.append(at)
            at = parents.get(at)
        out[unit_id] = tuple(chain)
    return out


# ---------------------------------------------------------------- contributions


def _case_entries(f, reasons, problems) -> Iterator[tuple[str, str, dt.date, list[int] | None]]:
    """(dim, key, key_date, measures or None for n=1) of one case's facts."""
    status = _value(f.status)
    completed = status == CaseStatus.COMPLETED.value
    due = _day(f.due_date)
    ended = _day(f.ended_on)
    judged = completed and due is not None
    late = judged and ended is not None and ended > due
    on_time = judged and ended is not None and ended <= due
    handled = completed and bool(f.accepted)
    work = [0] * WIDTH
    work[IDX["n"]] = 1
    work[IDX["open"]] = int(status in OPEN)
    work[IDX["completed"]] = int(completed)
    work[IDX["terminated"]] = int(status == CaseStatus.TERMINATED.value)
    work[IDX["late"]] = int(late)
    work[IDX["on_time"]] = int(on_time)
    work[IDX["judged"]] = int(judged)
    work[IDX["handling_days"]] = int(f.handling_days or 0) if handled else 0
    work[IDX["handled"]] = int(handled)
    total = list(work)
    ext_n, notice_n, repeat_n = int(f.ext_n or 0), int(f.notice_n or 0), int(f.repeat_n or 0)
    total[IDX["extensions"]] = ext_n
    total[IDX["extension_cases"]] = int(ext_n > 0)
    total[IDX["extension_days"]] = int(f.ext_days or 0)
    total[IDX["notices"]] = notice_n
    total[IDX["repeats"]] = repeat_n
    total[IDX["notice_cases"]] = int(notice_n > 0)
    total[IDX["repeat_cases"]] = int(repeat_n > 0)
    sid = "" if f.specialist_id is None else str(f.specialist_id)
    yield "total", "", NO_DATE, total
    yield "kind", _value(f.kind), NO_DATE, None
    yield "channel", _value(f.channel), NO_DATE, None
    yield "status", status, NO_DATE, None
    yield "unit", str(f.handling_unit_id), NO_DATE, None
    yield "item", str(f.item_id), NO_DATE, None
    if f.rating is not None:
        yield "rating", _value(f.rating), NO_DATE, None
    if f.reason_type is not None:
        yield "termination", _value(f.reason_type), NO_DATE, None
    yield "specialist", sid, NO_DATE, work
    poor_n = int(getattr(f, "poor_n", 0) or 0)
    if poor_n:
        vec = _n(poor_n)
        vec[IDX["cases"]] = int(f.callback_n or 0)  # of them, called back
        yield "poor", "", NO_DATE, vec
    if status in RUNNING and due is not None:
        yield "due", sid, due, None
    for reason, n in reasons:
        yield "ext_reason", reason, NO_DATE, _n(n)
    by_category: dict[int, int] = defaultdict(int)
    for category, unit_id, n in problems:
        by_category[category] += n
        yield "problem_unit", f"{category}|{unit_id}", NO_DATE, _n(n)
    for category, n in by_category.items():
        vec = _n(n)
        vec[IDX["cases"]] = 1
        yield "problem", str(category), NO_DATE, vec


def _n(n: int) -> list[int]:
    vec = [0] * WIDTH
    vec[0] = n
    return vec


def _add(out: dict, key: Key, vec: list[int] | None, sign: int = 1) -> None:
    acc = out.get(key)
    if acc is None:
        acc = out[key] = [0] * WIDTH
    if vec is None:
        acc[0] += sign
    else:
        for i, v in enumerate(vec):
            if v:
                acc[i] += sign * v


def case_contributions(facts, reasons, problems, units, out=None, sign: int = 1) -> dict:
    """Add (``sign`` 1) or take away (-1) the rollup rows of these cases' facts into ``out``.

    Rows are first summed per (handling, accepting) unit pair, then spread over the units
    above them: a million cases cost a pass over their facts, not one per unit above.
    """
    out = {} if out is None else out
    by_pair: dict[tuple, dict] = defaultdict(dict)
    for f in facts:
        if _value(f.status) == VOIDED:
            continue
        month = month_of(_day(f.day))
        pair = by_pair[(f.handling_unit_id, f.accepting_unit_id)]
        for dim, key, key_date, vec in _case_entries(
            f, reasons.get(f.id, ()), problems.get(f.id, ())
        ):
            _add(pair, (month, dim, key, key_date), vec)
    for (handling, accepting), rows in by_pair.items():
        spread = set(units.get(handling, (EVERYTHING, handling)))
        spread |= set(units.get(accepting, (EVERYTHING, accepting)))
        for unit_id in spread:
            for rest, vec in rows.items():
                _add(out, (unit_id, *rest), vec, sign)
    return out


def walkin_contributions(session: Session, units, ids=None, out=None, sign: int = 1) -> dict:
    """Walk-in help counted by kind and by specialist, per unit subtree and month."""
    out = {} if out is None else out
    help_ = m.WalkInHelp
    day = local_date(help_.at)
    stmt = sa.select(help_.unit_id, day, help_.kind, help_.specialist_id, sa.func.count(help_.id))
    if ids is not None:
        stmt = stmt.where(help_.id.in_(sorted(set(ids))))
    stmt = stmt.group_by(help_.unit_id, day, help_.kind, help_.specialist_id)
    for unit_id, when, kind, sid, n in session.connection().execute(stmt):
        month = month_of(_day(when))
        for u in units.get(unit_id, (EVERYTHING, unit_id)):
            _add(out, (u, month, "walkin_kind", _value(kind), NO_DATE), _n(n), sign)
            key = "" if sid is None else str(sid)
            _add(out, (u, month, "walkin_spec", key, NO_DATE), _n(n), sign)
    return out


def contributions_of_cases(session: Session, case_ids, units, out=None, sign: int = 1):
    ids = sorted(set(case_ids))
    if not ids:
        return {} if out is None else out
    return case_contributions(
        case_facts(session, ids),
        extension_reasons(session, ids),
        problem_rows(session, ids),
        units,
        out,
        sign,
    )


# ---------------------------------------------------------------- writing the rows


def _table():
    return m.StatRollup.__table__


def _year_table():
    return m.StatRollupYear.__table__


def by_year(rows: dict) -> dict:
    """Monthly rows ``{(unit, month, dim, key, key_date): measures}`` summed per year (the
    rows of ``stat_rollup_year``: ``(unit, year, dim, key, key_date)``)."""
    out: dict = {}
    for (unit_id, month, dim, key, key_date), vec in rows.items():
        _add(out, (unit_id, month.year, dim, key, key_date), vec)
    return out


def apply_delta(session: Session, delta: dict) -> int:
    """Add ``delta`` ({key: measures}) to the rollups, one upsert per changed row: the month's
    row and its year's."""
    written = _upsert(session, _table(), "month", delta)
    _upsert(session, _year_table(), "year", by_year(delta))
    return written


def _upsert(session: Session, table, period: str, delta: dict) -> int:
    rows = []
    for key in sorted(delta, key=lambda k: (k[0], k[1], k[2], k[3], k[4])):
        vec = delta[key]
        if not any(vec):
            continue
        unit_id, when, dim, k, key_date = key
        row = {"unit_id": unit_id, period: when, "dim": dim, "key": k, "key_date": key_date}
        row.update(zip(MEASURES, vec, strict=True))
        rows.append(row)
    if not rows:
        return 0
    conn = session.connection()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={name: table.c[name] + stmt.excluded[name] for name in MEASURES},
    )
    for start in range(0, len(rows), 1000):
        conn.execute(stmt, rows[start : start + 1000])
    return len(rows)


# ---------------------------------------------------------------- the session hook


def _case_id_of(obj) -> int | None:
    if isinstance(obj, m.Case):
        return obj.id
    if isinstance(obj, m.Rectification):  # counts for its evaluation's case
        evaluation = obj.evaluation
        if evaluation is None and obj.evaluation_id is not None:
            session = sa.orm.object_session(obj)
            evaluation = session.get(m.Evaluation, obj.evaluation_id) if session else None
        return None if evaluation is None else _case_id_of(evaluation)
    case_id = getattr(obj, "case_id", None)
    if case_id is None:
        case = getattr(obj, "case", None)
        case_id = getattr(case, "id", None)
    return case_id


def _touched(session: Session):
    """(persisted case ids, new Case objects, walk-in ids, new walk-ins) this flush changes."""
    ids: set[int] = set()
    new_cases = []
    walkins: set[int] = set()
    new_walkins = []
    for obj in session.new:
        if isinstance(obj, m.Case):
            new_cases.append(obj)
        elif isinstance(obj, m.WalkInHelp):
            new_walkins.append(obj)
        elif isinstance(obj, RELATED) and _counts(obj):
            case_id = _case_id_of(obj)
            if case_id is not None:
                ids.add(case_id)
            else:
                case = getattr(obj, "case", None)
                if case is not None:
                    new_cases.append(case)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, m.Case):
            if obj.id is not None and (
                obj in session.deleted or session.is_modified(obj, include_collections=False)
            ):
                ids.add(obj.id)
        elif isinstance(obj, m.WalkInHelp):
            if obj.id is not None:
                walkins.add(obj.id)
        elif isinstance(obj, RELATED) and _counts(obj):
            case_id = _case_id_of(obj)
            if case_id is not None:
                ids.add(case_id)
            # A row moved from one case to another counts for both.
            old = sa.inspect(obj).attrs.case_id.history.deleted if hasattr(obj, "case_id") else ()
            ids.update(i for i in old if i is not None)
    return ids, new_cases, walkins, new_walkins


def _counts(obj) -> bool:
    """Whether a related row counts in the statistics (of the events: only problems)."""
    return not isinstance(obj, m.CaseEvent) or _value(obj.kind) == EventKind.PROBLEM.value


def _before_flush(session: Session, flush_context, instances) -> None:
    if not session.info.get("rollups", True):
        return
    ids, new_cases, walkins, new_walkins = _touched(session)
    if not (ids or new_cases or walkins or new_walkins):
        return
    units = ancestors(session)
    delta: dict = {}
    contributions_of_cases(session, ids, units, delta, sign=-1)
    if walkins:
        walkin_contributions(session, units, walkins, delta, sign=-1)
    pending = session.info.setdefault("rollup_pending", [])
    pending.append((ids, new_cases, walkins, new_walkins, delta, units))


def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop("rollup_pending", None)
    if not pending:
        return
    for ids, new_cases, walkins, new_walkins, delta, units in pending:
        all_ids = set(ids) | {c.id for c in new_cases if c.id is not None}
        contributions_of_cases(session, all_ids, units, delta)
        walkin_ids = set(walkins) | {w.id for w in new_walkins if w.id is not None}
        if walkin_ids:
            walkin_contributions(session, units, walkin_ids, delta)
        apply_delta(session, delta)


def _after_rollback(session: Session) -> None:
    session.info.pop("rollup_pending", None)


def install() -> None:
    """Keep the rollups current from every ORM session (once per process)."""
    if event.contains(Session, "before_flush", _before_flush):
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_soft_rollback", lambda session, previous: _after_rollback(session))


# ---------------------------------------------------------------- full recount and check


class month_start(sa.sql.expression.FunctionElement):  # noqa: N801
    """The first day of a date's month."""

    type = sa.Date()
    name = "month_start"
    inherit_cache = True


@compiles(month_start, "postgresql")
def _month_start_pg(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_start)
def _month_start_default(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


def _sql_recount(session: Session, units, out: dict) -> None:
    """The case rows of a full recount, summed in SQL per (handling, accepting) unit pair and
    month, then spread over the units above them in Python: the same rows as
    ``case_contributions`` (the tests hold the two to each other), a million cases in seconds."""
    conn = session.connection()
    conn.execute(sa.text("DROP TABLE IF EXISTS rollup_facts"))
    facts = case_facts_select(session).subquery()
    select_sql = sa.select(facts).compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True}
    )
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE rollup_facts AS {select_sql}"))
    f = sa.table(
        "rollup_facts",
        *(sa.column(c.name, c.type) for c in facts.columns),
    )
    status = sa.cast(f.c.status, sa.String(24))
    live = status != VOIDED
    month = month_start(f.c.day)
    completed = status == CaseStatus.COMPLETED.value
    judged = sa.and_(completed, f.c.due_date.is_not(None))
    handled = sa.and_(completed, f.c.accepted)

    def flag(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))

    work = {
        "n": sa.func.count(),
        "open": flag(status.in_(sorted(OPEN))),
        "completed": flag(completed),
        "terminated": flag(status == CaseStatus.TERMINATED.value),
        "late": flag(sa.and_(judged, f.c.ended_on > f.c.due_date)),
        "on_time": flag(sa.and_(judged, f.c.ended_on <= f.c.due_date)),
        "judged": flag(judged),
        "handling_days": sa.func.sum(
            sa.case((handled, sa.func.coalesce(f.c.handling_days, 0)), else_=0)
        ),
        "handled": flag(handled),
    }
    total = dict(work)
    total.update(
        {
            "extensions": sa.func.sum(f.c.ext_n),
            "extension_cases": flag(f.c.ext_n > 0),
            "extension_days": sa.func.sum(f.c.ext_days),
            "notices": sa.func.sum(f.c.notice_n),
            "repeats": sa.func.sum(f.c.repeat_n),
            "notice_cases": flag(f.c.notice_n > 0),
            "repeat_cases": flag(f.c.repeat_n > 0),
        }
    )
    pair = (f.c.handling_unit_id, f.c.accepting_unit_id, month)
    no_key = sa.literal("")
    ev, ext = m.CaseEvent, m.Extension

    def group(dim, key, measures, extra=(), key_date=None, base=None):
        keys = [*pair, key] + ([key_date] if key_date is not None else [])
        stmt = (base if base is not None else sa.select().select_from(f)).add_columns(
            *keys, *measures.values()
        )
        stmt = stmt.where(live, *extra).group_by(*keys)
        names = list(measures)
        for row in conn.execute(stmt):
            h, a, mo, k = row[0], row[1], row[2], row[3]
            kd = _day(row[4]) if key_date is not None else NO_DATE
            values = row[5 if key_date is not None else 4 :]
            vec = [0] * WIDTH
            for name, v in zip(names, values, strict=True):
                vec[IDX[name]] = int(v or 0)
            spread = set(units.get(h, (EVERYTHING, h))) | set(units.get(a, (EVERYTHING, a)))
            k = "" if k is None else str(_value(k))
            for u in spread:
                _add(out, (u, _day(mo), dim, k, kd), vec)

    count = {"n": sa.func.count()}
    group("total", no_key, total)
    group("kind", f.c.kind, count)
    group("channel", f.c.channel, count)
    group("status", f.c.status, count)
    group("unit", f.c.handling_unit_id, count)
    group("item", f.c.item_id, count)
    group("rating", f.c.rating, count, [f.c.rating.is_not(None)])
    group("termination", f.c.reason_type, count, [f.c.reason_type.is_not(None)])
    group("specialist", f.c.specialist_id, work)
    running = [status.in_(sorted(RUNNING)), f.c.due_date.is_not(None)]
    group("due", f.c.specialist_id, count, running, key_date=f.c.due_date)
    joined_ext = sa.select().select_from(f).join(ext, ext.case_id == f.c.id)
    group("ext_reason", sa.func.substr(ext.reason, 1, 200), count, base=joined_ext)
    problems = [ev.kind == EventKind.PROBLEM, ev.problem_category_id.is_not(None)]
    joined_ev = sa.select().select_from(f).join(ev, ev.case_id == f.c.id)
    group(
        "problem",
        ev.problem_category_id,
        {"n": sa.func.count(ev.id), "cases": sa.func.count(sa.distinct(ev.case_id))},
        problems,
        base=joined_ev,
    )
    where = sa.func.coalesce(ev.unit_id, f.c.handling_unit_id)
    cat_unit = sa.cast(ev.problem_category_id, sa.String) + "|" + sa.cast(where, sa.String)
    group("problem_unit", cat_unit, {"n": sa.func.count(ev.id)}, problems, base=joined_ev)
    poor = {"n": sa.func.sum(f.c.poor_n), "cases": sa.func.sum(f.c.callback_n)}
    group("poor", no_key, poor, [f.c.poor_n > 0])
    conn.execute(sa.text("DROP TABLE rollup_facts"))


def recount(session: Session) -> dict:
    """Every rollup row as a full recount of the cases and walk-ins computes it."""
    if session.get_bind().dialect.name == "postgresql":
        # A nightly scan of every case: not bound by the statement timeout of requests and jobs.
        session.execute(sa.text("SET LOCAL statement_timeout = 0"))
    units = ancestors(session)
    out: dict = {}
    _sql_recount(session, units, out)
    walkin_contributions(session, units, None, out)
    return {k: v for k, v in out.items() if any(v)}


def stored(session: Session, years: bool = False) -> dict:
    """The stored rows (``years``: of ``stat_rollup_year``)."""
    t = _year_table() if years else _table()
    period = t.c.year if years else t.c.month
    cols = [t.c.unit_id, period, t.c.dim, t.c.key, t.c.key_date]
    out = {}
    stmt = sa.select(*cols, *(t.c[n] for n in MEASURES)).where(t.c.unit_id != STALE_UNIT)
    for row in session.connection().execute(stmt):
        vec = [int(v or 0) for v in row[5:]]
        if any(vec):
            when = int(row[1]) if years else _day(row[1])
            out[(row[0], when, row[2], row[3], _day(row[4]))] = vec
    return out


def _differences(expected: dict, actual: dict) -> dict:
    delta = {}
    for key in set(expected) | set(actual):
        want = expected.get(key) or [0] * WIDTH
        have = actual.get(key) or [0] * WIDTH
        if want != have:
            delta[key] = [w - h for w, h in zip(want, have, strict=True)]
    return delta


def check(session: Session, repair: bool = True) -> dict:
    """Compare the rollups with a full recount; with ``repair``, add the differences.

    Returns how many rows differed (missing, extra, wrong). The caller commits.
    """
    expected = recount(session)
    actual = stored(session)
    delta = _differences(expected, actual)
    # The yearly rows against the recount summed per year (not against the monthly rows: a
    # write that bypassed one table is found whichever it was).
    expected_years, actual_years = by_year(expected), stored(session, years=True)
    year_delta = _differences(expected_years, actual_years)
    report = {
        "rows": len(expected),
        "differing": len(delta) + len(year_delta),
        "missing": sum(1 for k in delta if k not in actual)
        + sum(1 for k in year_delta if k not in actual_years),
        "extra": sum(1 for k in delta if k not in expected)
        + sum(1 for k in year_delta if k not in expected_years),
        "year_rows": len(expected_years),
        "year_differing": len(year_delta),
    }
    if delta or year_delta:
        log.warning("statistics rollups differ from a full recount: %s", report)
        if repair:
            _upsert(session, _table(), "month", delta)
            _upsert(session, _year_table(), "year", year_delta)
            for t in (_table(), _year_table()):
                session.connection().execute(t.delete().where(*(t.c[n] == 0 for n in MEASURES)))
    session.connection().execute(_table().delete().where(_table().c.unit_id == STALE_UNIT))
    return report


def rebuild(session: Session) -> int:
    """Empty the rollups and write them from a full recount (after a bulk load)."""
    rows = recount(session)
    conn = session.connection()
    conn.execute(_table().delete())
    conn.execute(_year_table().delete())
    if conn.dialect.name != "postgresql":
        return apply_delta(session, rows)
    cursor = conn.connection.driver_connection.cursor()
    for table, period, data in (
        ("stat_rollup", "month", rows),
        ("stat_rollup_year", "year", by_year(rows)),
    ):
        columns = ", ".join(["unit_id", period, "dim", "key", "key_date", *MEASURES])
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for key, vec in data.items():
                copy.write_row((*key, *vec))
    return len(rows)


# ---------------------------------------------------------------- reading them


def whole_months(date_from: dt.date | None, date_to: dt.date | None) -> bool:
    if date_from is not None and date_from.day != 1:
        return False
    if date_to is not None and (date_to + dt.timedelta(days=1)).day != 1:
        return False
    return True


def whole_years(lo: dt.date | None, hi: dt.date | None) -> tuple[int | None, int | None]:
    """The first and last year whose twelve months all lie in the months ``lo`` to ``hi``
    (None: open-ended); first > last when no year does."""
    first = None if lo is None else (lo.year if lo.month == 1 else lo.year + 1)
    last = None if hi is None else (hi.year if hi.month == 12 else hi.year - 1)
    return first, last


def unit_for(q) -> int | None:
    """The rollup unit whose rows are exactly the cases ``q`` selects (None: no such unit)."""
    scope, flt = q.scope, q.flt
    if flt.unit_id is not None:
        unit = q.session.get(m.OrgUnit, flt.unit_id)
        if unit is None or not scope.contains_unit(unit):
            return None
        return unit.id
    if scope.everything:
        return EVERYTHING
    if scope.nothing or scope.unit_id is None:
        return None
    return scope.unit_id


def applies(q) -> bool:
    """Whether the rollups answer ``q``: a unit (or scope) and whole months, nothing else."""

    if has_app_context() and not current_app.config.get("STATS_FROM_ROLLUPS", True):
        return False
    f = q.flt
    narrowed = (f.kind, f.channel, f.status, f.item_id, f.specialist_id, f.overdue, f.rating)
    if any(v is not None for v in narrowed):
        return False
    if f.date_from is not None and f.date_to is not None and f.date_from > f.date_to:
        return False
    return whole_months(f.date_from, f.date_to) and unit_for(q) is not None and not stale(q.session)


def stale(session: Session) -> bool:
    """Whether the rows wait for a first full count (migration 0013 on a database with cases)."""
    t = _table()
    return (
        session.execute(sa.select(t.c.n).where(t.c.unit_id == STALE_UNIT).limit(1)).first()
        is not None
    )


def read(q) -> tuple[dict[str, list[tuple[str, list[int]]]], list[tuple[dt.date, int]]]:
    """The summed rows of ``q``'s unit and months: ``{dim: [(key, measures)]}`` and the cases
    per month. Running cases count as overdue by their due date against ``q.today``."""
    t, ty = _table(), _year_table()
    unit_id = unit_for(q)
    conds = [t.c.unit_id == unit_id]
    lo = None if q.flt.date_from is None else month_of(q.flt.date_from)
    hi = None if q.flt.date_to is None else month_of(q.flt.date_to)
    if lo is not None:
        conds.append(t.c.month >= lo)
    if hi is not None:
        conds.append(t.c.month <= hi)
    first, last = whole_years(lo, hi)
    by_month = list(conds)
    parts = []
    if first is None or last is None or first <= last:
        # The whole years from their rows, the months around them from theirs.
        year_conds = [ty.c.unit_id == unit_id]
        if first is not None:
            year_conds.append(ty.c.year >= first)
        if last is not None:
            year_conds.append(ty.c.year <= last)
        parts.append((ty, year_conds))
        around = []
        if first is not None:
            around.append(t.c.month < dt.date(first, 1, 1))
        if last is not None:
            around.append(t.c.month > dt.date(last, 12, 1))
        by_month.append(sa.or_(*around) if around else sa.false())
    parts.append((t, by_month))
    if q.session.get_bind().dialect.name == "postgresql":
        # A few hundred thousand rows at most (a city, all time): hashed in memory, not sorted
        # on disk, and too short a query to pay for JIT compilation.
        q.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        q.session.execute(sa.text("SET LOCAL jit = off"))
    summed: dict[tuple, list[int]] = {}
    for table, where in parts:
        sums = [sa.func.sum(table.c[n]) for n in MEASURES]
        rows = q.session.execute(
            sa.select(table.c.dim, table.c.key, *sums)
            .where(*where, sa.or_(table.c.dim != "due", table.c.key_date < q.today))
            .group_by(table.c.dim, table.c.key)
        ).all()
        for dim, key, *vec in rows:
            _add(summed, (dim, key), [int(v or 0) for v in vec])
    out: dict[str, list] = defaultdict(list)
    for (dim, key), vec in summed.items():
        if any(vec):  # a key whose cases all moved elsewhere (rows of 0 stay until the check)
            out[dim].append((key, vec))
    months = q.session.execute(
        sa.select(t.c.month, sa.func.sum(t.c.n))
        .where(*conds, t.c.dim == "total")
        .group_by(t.c.month)
    ).all()
    return out, [(_day(mo), int(n or 0)) for mo, n in months]
