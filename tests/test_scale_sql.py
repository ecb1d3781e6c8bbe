"""The scope and the searches are written so that PostgreSQL can use indexes at every tier.

The test tables are tiny, so the planner would scan them whatever the SQL: sequential scans are
switched off (made prohibitively expensive), and the plan must still reach the indexes. With the
old ``col IN (subquery)`` scope, or without the trigram index, the plan stays a sequential scan.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import models as m
from app.enums import HolidayKind
from app.extensions import db
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.ledger.sqlfn import calendar_arrays, workday_calendar
from app.scope import Scope
from app.viewbase import ApplicantText, CaseNumberText
from tests import factories


def _plan(stmt) -> str:
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    compiled = stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    rows = db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
    db.session.rollback()
    return "\n".join(rows)


def _village_scope(tree) -> Scope:
    return Scope(path=tree.village_a1.path, unit_id=tree.village_a1.id)


def test_a_village_s_cases_are_found_through_the_unit_indexes(app, tree):
    spec = factories.staff("spec_v", "Specialist", tree.village_a1)
    factories.case(tree.village_a1, spec)
    scope = _village_scope(tree)
    sql = str(sa.select(m.Case.id).where(scope.clause_for(m.Case)).compile(db.engine))
    assert "= ANY(ARRAY(SELECT" in sql
    plan = _plan(sa.select(sa.func.count(m.Case.id)).where(scope.clause_for(m.Case)))
    assert "Seq Scan on service_case" not in plan, plan
    assert "Index" in plan and "BitmapOr" in plan, plan
    # The same rows as before: the village's case, nothing else.
    other = factories.staff("spec_b", "Specialist", tree.village_b1)
    factories.case(tree.village_b1, other)
    found = db.session.execute(sa.select(m.Case.id).where(scope.clause_for(m.Case))).all()
    assert len(found) == 1


def test_the_scope_keeps_in_on_sqlite(sqlite_app):
    with sqlite_app.app_context():
        scope = Scope(path="/440781/", unit_id=1)
        sql = str(sa.select(m.Case.id).where(scope.clause_for(m.Case)).compile(db.engine))
        assert "IN (SELECT org_unit.id" in sql and "ANY" not in sql and "= 1" not in sql


def test_a_unit_s_month_of_the_ledger_reads_through_indexes(app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    factories.case(tree.village_a1, spec)
    scope = _village_scope(tree)
    applied = m.Case.applied_at
    stmt = (
        sa.select(m.Case.id)
        .where(scope.clause_for(m.Case), applied >= "2026-01-01", applied < "2026-02-01")
        .order_by(applied.desc())
        .limit(50)
    )
    plan = _plan(stmt)
    assert "Seq Scan on service_case" not in plan, plan
    assert "= ANY ($0)" in plan  # the unit ids probed, not a hashed subplan per row


def test_contains_searches_use_trigram_indexes(app, tree):
    number = sa.select(m.Case.id).where(CaseNumberText.matching(None, "123456").whereclause)
    assert "ix_case_number_trgm" in _plan(number)
    name = ApplicantText.matching(None, "黄大")
    assert "ix_applicant_name_trgm" in _plan(name)
    tail = sa.select(m.Applicant.id).where(m.Applicant.credit_code.like("%00012X"))
    assert "ix_applicant_credit_code_trgm" in _plan(tail)


def test_a_resolved_scope_writes_its_units_into_the_statement(app, tree):
    """The scope of a request carries its units' ids (``Scope.resolved``): the planner sees a
    village's one unit or a town's three, and the rows are those of the subquery form."""
    spec_a = factories.staff("spec_ra", "Specialist", tree.village_a1)
    spec_b = factories.staff("spec_rb", "Specialist", tree.village_b1)
    mine = factories.case(tree.village_a1, spec_a)
    factories.case(tree.village_b1, spec_b)
    for unit in (tree.village_a1, tree.town_a, tree.town_b):
        plain = Scope(path=unit.path, unit_id=unit.id)
        resolved = plain.resolved(db.session)
        assert resolved.ids is not None and not resolved.whole
        assert unit.id in resolved.ids
        stmt = sa.select(m.Case.id).where(resolved.clause_for(m.Case))
        sql = str(stmt.compile(db.engine, compile_kwargs={"render_postcompile": True}))
        assert "ANY(ARRAY" not in sql and "IN (" in sql, sql
        expected = db.session.execute(
            sa.select(m.Case.id).where(plain.clause_for(m.Case)).order_by(m.Case.id)
        ).scalars()
        found = db.session.execute(stmt.order_by(m.Case.id)).scalars()
        assert list(found) == list(expected)
    village = Scope(path=tree.village_a1.path, unit_id=tree.village_a1.id).resolved(db.session)
    assert village.ids == (tree.village_a1.id,)
    plan = _plan(sa.select(sa.func.count(m.Case.id)).where(village.clause_for(m.Case)))
    assert "Seq Scan on service_case" not in plan, plan
    found = db.session.execute(sa.select(m.Case.id).where(village.clause_for(m.Case))).scalars()
    assert list(found) == [mine.id]


def test_the_top_of_the_tree_needs_no_unit_condition(app, tree):
    """The city holds every unit: its resolved scope adds no condition on the cases (a count
    can walk any index), and still sees every case."""
    spec = factories.staff("spec_top", "Specialist", tree.village_b1)
    factories.case(tree.village_b1, spec)
    city = Scope(path=tree.city.path, unit_id=tree.city.id).resolved(db.session)
    assert city.whole
    sql = str(sa.select(m.Case.id).where(city.clause_for(m.Case)).compile(db.engine))
    assert "unit_id" not in sql, sql
    assert (
        db.session.execute(
            sa.select(sa.func.count(m.Case.id)).where(city.clause_for(m.Case))
        ).scalar_one()
        == 1
    )
    # A town does not hold every unit.
    assert not Scope(path=tree.town_a.path, unit_id=tree.town_a.id).resolved(db.session).whole


def test_the_bound_calendar_equals_the_calendar_computed_in_sql(app):
    """The ledger binds the working-day ordinals computed once in Python; they equal the
    ordinals the SQL calendar computes, and follow a change of the holiday table at once."""
    today = dt.date(2026, 5, 6)

    def computed():
        cal = workday_calendar("postgresql", today)
        ords, befores = db.session.execute(sa.select(cal.c.ords, cal.c.befores)).one()
        return list(ords), list(befores)

    db.session.add_all(
        [
            m.Holiday(day=dt.date(2026, 5, 1), kind=HolidayKind.OFF, name="劳动节"),
            m.Holiday(day=dt.date(2026, 5, 9), kind=HolidayKind.WORKDAY, name="调休"),
        ]
    )
    db.session.commit()
    assert calendar_arrays(db.session, today) == computed()
    db.session.add(m.Holiday(day=dt.date(2026, 5, 4), kind=HolidayKind.OFF, name="劳动节"))
    db.session.commit()
    ords, _ = calendar_arrays(db.session, today)
    assert (ords, _) == computed()
    first = dt.date(2000, 1, 1)
    may_8, may_3 = (dt.date(2026, 5, 8) - first).days, (dt.date(2026, 5, 3) - first).days
    assert ords[may_8] - ords[may_3] == 4  # the 5th to the 8th: the 4th is off


def test_a_station_s_ledger_pages_merge_its_units_newest_cases(app, tree):
    """A selection of a few units pages through each unit's newest cases (a merge of the
    (unit, applied_at) indexes): the same pages, in the same order, as the plain ordered scan,
    a case transferred away from the station (accepting side) included once."""
    spec_a = factories.staff("spec_pa", "Specialist", tree.village_a1)
    spec_b = factories.staff("spec_pb", "Specialist", tree.village_b1)
    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    ids = []
    for i in range(9):
        unit, spec = (tree.village_a1, spec_a) if i % 3 else (tree.village_b1, spec_b)
        ids.append(factories.case(unit, spec).id)
    moved = db.session.get(m.Case, ids[1])
    moved.handling_unit_id = tree.village_b1.id  # transferred away: accepting side only
    for i, case_id in enumerate(ids):
        db.session.get(m.Case, case_id).applied_at = start + dt.timedelta(hours=i % 4, minutes=i)
    db.session.commit()
    scope = Scope(path=tree.village_a1.path, unit_id=tree.village_a1.id)
    q = LedgerQuery(db.session, scope, LedgerFilter())
    assert q.few_units() == (tree.village_a1.id,)
    plain = list(
        db.session.execute(sa.select(m.Case.id).where(*q.conds).order_by(*q.order())).scalars()
    )
    assert moved.id in plain and len(plain) == 6
    merged = [row.id for n in (1, 2, 3) for row in q.page(n, size=2)]
    assert merged == plain
    sql = str(q._page_ids_of_few(q.few_units(), 0, 2).compile(db.engine))
    assert "UNION ALL" in sql
    # A town's 3 units are few too; the city's are not.
    town = LedgerQuery(db.session, Scope(path=tree.town_a.path, unit_id=tree.town_a.id))
    assert town.few_units() is not None
    city = LedgerQuery(db.session, Scope(path=tree.city.path, unit_id=tree.city.id))
    assert city.few_units() is None


def test_the_ledger_s_count_of_known_units_reads_two_disjoint_arms(app, tree):
    """A town's or a station's count (the pager's) reads the cases handled at its units and
    those accepted there but handled elsewhere as two disjoint arms through their indexes: the
    same number as the plain count, a case transferred inside the town counted once."""
    spec_a = factories.staff("spec_ca", "Specialist", tree.village_a1)
    spec_b = factories.staff("spec_cb", "Specialist", tree.village_b1)
    ids = [factories.case(tree.village_a1, spec_a).id for _ in range(4)]
    ids += [factories.case(tree.village_b1, spec_b).id for _ in range(3)]
    away = db.session.get(m.Case, ids[0])  # accepted at a1, handled in town B
    away.handling_unit_id = tree.village_b1.id
    inward = db.session.get(m.Case, ids[4])  # accepted in town B, handled at a1
    inward.handling_unit_id = tree.village_a1.id
    db.session.commit()
    for unit in (tree.village_a1, tree.town_a, tree.village_b1, tree.city):
        scope = Scope(path=unit.path, unit_id=unit.id)
        for flt in (LedgerFilter(), LedgerFilter(kind=away.kind), LedgerFilter(unit_id=unit.id)):
            q = LedgerQuery(db.session, scope, flt)
            # the scope's one OR clause, counted plainly
            plain = db.session.execute(
                sa.select(sa.func.count()).select_from(m.Case).where(*q.conds)
            ).scalar_one()
            assert q.count() == plain, (unit.name, flt)
            assert q.capped_count() == plain, (unit.name, flt)
            assert q.capped_count(cap=2) == min(plain, 3)
    town = LedgerQuery(db.session, Scope(path=tree.town_a.path, unit_id=tree.town_a.id))
    assert town.count() == 5  # a1's four (one handled away), the one handled at a1
    assert town.units() is not None
    captured: list[str] = []

    def capture(conn, cursor, statement, *args):
        captured.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        town.capped_count()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert any("UNION ALL" in s for s in captured), captured
