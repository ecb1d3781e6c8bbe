"""Reads of the case files (案卷) inside a scope: the register's page, one case file by case or
case file number, one case's case file. Every read goes through ``scope.clause_for(m.Case)``:
a case file is seen by whoever sees its case."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import models as m
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.scope import Scope

PAGE_SIZE = 50
MAX_PAGE = 10_000
QUERY_MAX = 40


@dataclass
class ArchiveFilter:
    """The register's filters: a case or case file number (whole or its beginning), only
    those due for disposal review, the page."""

    q: str = ""
    disposal: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args) -> ArchiveFilter:
        """Read the query string; ValidationFailed (answered 400) names what is wrong."""
        q = (args.get("q") or "").strip()
        errors = {}
        if len(q) > QUERY_MAX or any(ord(ch) < 32 for ch in q):
            errors["q"] = _l("Give a case number or a case file number.")
        raw_page = (args.get("page") or "1").strip()
        page = int(raw_page) if raw_page.isdigit() and len(raw_page) <= 6 else 0
        if not 1 <= page <= MAX_PAGE:
            errors["page"] = _l("No such page.")
        disposal = (args.get("disposal") or "").strip()
        if disposal not in ("", "0", "1"):
            errors["disposal"] = _l("No such choice.")
        if errors:
            raise ValidationFailed(errors, next(iter(errors.values())))
        return cls(q=q, disposal=disposal == "1", page=page)


def _scoped(scope: Scope):
    return (
        sa.select(m.CaseArchive)
        .join(m.Case, m.Case.id == m.CaseArchive.case_id)
        .where(scope.clause_for(m.Case))
    )


def _matching(query, flt: ArchiveFilter):
    if flt.q:
        query = query.where(
            sa.or_(
                m.CaseArchive.number.startswith(flt.q, autoescape=True),
                m.Case.number.startswith(flt.q, autoescape=True),
            )
        )
    if flt.disposal:
        query = query.where(m.CaseArchive.disposal_due_at.is_not(None))
    return query


def page(scope: Scope, flt: ArchiveFilter) -> tuple[list[m.CaseArchive], int]:
    """One page of the register (newest first) and how many match."""
    query = _matching(_scoped(scope), flt)
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(query.with_only_columns(m.CaseArchive.id).subquery())
    ).scalar_one()
    rows = db.session.execute(
        query.order_by(m.CaseArchive.archived_at.desc(), m.CaseArchive.id.desc())
        .limit(PAGE_SIZE)
        .offset((flt.page - 1) * PAGE_SIZE)
    ).scalars()
    return list(rows), int(total)


def by_id(scope: Scope, archive_id: int) -> m.CaseArchive | None:
    return db.session.execute(
        _scoped(scope).where(m.CaseArchive.id == archive_id)
    ).scalar_one_or_none()


def by_number(scope: Scope, number: str) -> m.CaseArchive | None:
    """The case file whose case number or case file number is exactly ``number``."""
    return (
        db.session.execute(
            _scoped(scope)
            .where(sa.or_(m.CaseArchive.number == number, m.Case.number == number))
            .order_by(m.CaseArchive.id)
        )
        .scalars()
        .first()
    )


def of_case(scope: Scope, case_id: int) -> m.CaseArchive | None:
    return db.session.execute(
        _scoped(scope).where(m.CaseArchive.case_id == case_id)
    ).scalar_one_or_none()
