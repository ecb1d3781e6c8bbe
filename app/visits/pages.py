"""What the case page shows of a case's home visits (read inside the scope)."""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.domain import visits
from app.extensions import db
from app.scope import current_scope


def section(case: m.Case, any_visit: bool = True) -> list[m.HomeVisit] | None:
    """The case's visits, planned order, with their staff (None for a case served at the hall
    with none). ``any_visit`` False: the caller knows the case has none (nothing is read)."""
    rows = []
    if any_visit:
        rows = list(
            db.session.execute(
                sa.select(m.HomeVisit)
                .where(m.HomeVisit.case_id == case.id, current_scope().clause_for(m.HomeVisit))
                .order_by(m.HomeVisit.planned_at, m.HomeVisit.id)
                .options(sa.orm.selectinload(m.HomeVisit.staff))
            ).scalars()
        )
    if not rows and not visits.is_home_visit(case):
        return None
    return rows


def as_json(visit: m.HomeVisit) -> dict:
    """One visit as the API answers it."""
    return {
        "id": visit.id,
        "planned_at": visit.planned_at.isoformat(),
        "address": visit.address,
        "purpose": visit.purpose,
        "staff": [{"id": s.id, "name": s.name} for s in visit.staff],
        "done_at": visit.done_at.isoformat() if visit.done_at else None,
        "outcome": visit.outcome,
    }
