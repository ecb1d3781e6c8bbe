"""Readable, unique case numbers: ``<unit code>-<year>-<sequence>``, safe under concurrency.

The sequence is a row per (unit, year) claimed with ``UPDATE ... SET value = value + 1 RETURNING``:
PostgreSQL serialises concurrent claimers on the row lock, SQLite on its write lock.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import CaseCounter, OrgUnit


def _insert_ignore(session: Session):
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(CaseCounter)


def next_case_number(session: Session, unit: OrgUnit, year: int) -> str:
    """Claim the next sequence number of ``unit`` in ``year`` and format the case number."""
    session.execute(
        _insert_ignore(session)
        .values(unit_id=unit.id, year=year, value=0)
        .on_conflict_do_nothing(index_elements=["unit_id", "year"])
    )
    value = session.execute(
        sa.update(CaseCounter)
        .where(CaseCounter.unit_id == unit.id, CaseCounter.year == year)
        .values(value=CaseCounter.value + 1)
        .returning(CaseCounter.value)
    ).scalar_one()
    return f"{unit.code}-{year}-{value:05d}"
