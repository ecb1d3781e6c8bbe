"""Who may see and change which case, and the choices a step may offer, for every surface.

These live once, below the screens and the API: the case page, the API and jobs ask here.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from app import models as m
from app.extensions import db
from app.scope import Scope, current_scope


def case_in_scope(pk, scope: Scope | None = None, *, lock: bool = False, eager=()) -> m.Case | None:
    """The case ``pk`` if the scope holds it, else None (also for ids that cannot exist).

    ``lock`` takes the row for the rest of the transaction (PostgreSQL's FOR UPDATE): two
    steps on one case run one after the other, the second seeing what the first did.
    ``eager``: loader options (the rows the caller reads with the case, in one statement).
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 1 <= pk <= 2**31 - 1:
        return None
    scope = scope or current_scope()
    query = sa.select(m.Case).where(m.Case.id == pk, scope.clause_for(m.Case))
    if lock:
        query = query.with_for_update(of=m.Case).execution_options(populate_existing=True)
    if eager:
        query = query.options(*eager)
    return db.session.execute(query).unique().scalar_one_or_none()


def may_edit(case: m.Case, scope: Scope | None = None) -> bool:
    """Only the current handling side (its unit and the units above it) changes a case."""
    return (scope or current_scope()).contains_unit(case.handling_unit)


def my_specialist(user=None) -> m.Specialist | None:
    """The active specialist record of an account (the current user by default)."""
    user = user if user is not None else getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        sa.select(m.Specialist).where(
            m.Specialist.user_id == user.id, m.Specialist.active.is_(True)
        )
    ).scalar_one_or_none()


def scoped_units(
    include_ancestors_of: m.OrgUnit | None = None, scope: Scope | None = None
) -> list[m.OrgUnit]:
    """Active units in the scope (plus the ancestors of one unit, for transfers up)."""
    scope = scope or current_scope()
    clause = scope.clause_for(m.OrgUnit)
    if include_ancestors_of is not None and include_ancestors_of.path:
        codes = [c for c in include_ancestors_of.path.strip("/").split("/") if c]
        clause = sa.or_(clause, m.OrgUnit.code.in_(codes))
    return list(
        db.session.execute(
            sa.select(m.OrgUnit).where(clause, m.OrgUnit.active.is_(True)).order_by(m.OrgUnit.path)
        ).scalars()
    )


def scoped_specialists(
    unit: m.OrgUnit | None = None, scope: Scope | None = None
) -> list[m.Specialist]:
    """Active specialists in the scope; with ``unit``, only those of that unit's subtree."""
    scope = scope or current_scope()
    query = sa.select(m.Specialist).where(
        scope.clause_for(m.Specialist), m.Specialist.active.is_(True)
    )
    if unit is not None:
        query = query.join(m.OrgUnit, m.Specialist.unit_id == m.OrgUnit.id).where(
            m.OrgUnit.path.startswith(unit.path, autoescape=True)
        )
    return list(db.session.execute(query.order_by(m.Specialist.name)).scalars())
