"""The scope and the searches are written so that PostgreSQL can use indexes at every tier.

The test tables are tiny, so the planner would scan them whatever the SQL: sequential scans are
switched off (made prohibitively expensive), and the plan must still reach the indexes. With the
old ``col IN (subquery)`` scope, or without the trigram index, the plan stays a sequential scan.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.extensions import db
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
