"""Masked personal data is never a search oracle.

Resident ID and mobile numbers are shown masked to most people. A list filter that answers
"does some row's ID start with 4407811948?" would give the number back digit by digit, so the
masked columns (``MASKED_COLUMNS``) are searched in one way only, on screens and the API alike:
an exact match on the whole number, offered to the roles that may reveal it (``can_reveal`` on
the applicant screen), and written to the audit trail as a reveal. They are never sorted on.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l

from app import models as m
from app.audit import write_entry
from app.extensions import db
from app.scope import current_scope
from app.validators import mask_mobile, mask_resident_id, normalize_mobile, normalize_resident_id

# model → {column: how it is masked}
MASKED_COLUMNS = {
    m.Applicant: {"id_number": mask_resident_id, "mobile": mask_mobile},
    m.Specialist: {"mobile": mask_mobile},
    m.ProjectTeam: {"contact_phone": mask_mobile},
    m.ProjectLiaison: {"phone": mask_mobile},
    m.Complaint: {"mobile": mask_mobile},
}
# Masked columns no screen reveals, to anyone (revealers included): a complainant's mobile (the
# complaint page and the complaints' export print it masked; there is no reveal action). The
# API answers them masked too; their one search is the exact one above.
NEVER_REVEALED = {m.Complaint: frozenset({"mobile"})}
NORMALIZERS = {"id_number": normalize_resident_id, "mobile": normalize_mobile}
# The permission that lets a role see (and so search by) a full number.
REVEAL_PERMISSION = ("can_reveal", "ApplicantView")


def masked_columns_of(model) -> dict:
    return MASKED_COLUMNS.get(model, {})


def may_reveal() -> bool:
    """Whether the caller (screen session or API token) may see full identity numbers."""
    if not has_request_context():
        return False

    return bool(current_app.appbuilder.sm.has_access(*REVEAL_PERMISSION))


def never_revealed_of(model) -> frozenset:
    return NEVER_REVEALED.get(model, frozenset())


def mask_unless_revealer(model, column: str, value):
    """``value`` as screens and API show it: masked for callers who may not reveal it, and for
    everyone when the column is never revealed (``NEVER_REVEALED``)."""
    mask = masked_columns_of(model).get(column)
    if mask is None or not value:
        return value
    if column not in never_revealed_of(model) and may_reveal():
        return value
    return mask(value)


def audit_search(model, column: str, ids) -> None:
    """A search by a full number that matched rows is recorded as a reveal of those rows."""
    ids = sorted(ids)
    if not ids:
        return

    write_entry(
        db.session,
        action="reveal",
        table_name=model.__tablename__,
        row_id=",".join(map(str, ids)),
        after={"via": "search", "column": column, "ids": ids[:100]},
    )
    db.session.commit()


def exact_identity_ids(model, column: str, value) -> list[int] | None:
    """Ids of the caller's rows whose ``column`` is exactly ``value`` (normalised), audited.

    None when the caller may not search by the column (the search then matches nothing).
    """
    if not may_reveal():
        return None

    text = NORMALIZERS.get(column, str)(str(value if value is not None else ""))
    if not text or "\x00" in text:
        return []
    # FAB applies a filter twice (count and page): search and audit once per request.
    done = g.setdefault("identity_searches", {})
    key = (model.__name__, column, text)
    if key in done:
        return done[key]
    ids = done[key] = list(
        db.session.execute(
            sa.select(model.id).where(
                getattr(model, column) == text, current_scope().clause_for(model)
            )
        ).scalars()
    )
    audit_search(model, column, ids)
    return ids


class IdentityExact(BaseFilter):
    """The one search a masked column offers: the whole number, for those who may reveal it."""

    name = _l("Is exactly (whole number)")
    arg_name = "eq"

    def apply(self, query, value):
        text = (str(value) if value is not None else "").strip()
        if not text:
            return query
        ids = exact_identity_ids(self.model, self.column_name, text)
        if not ids:
            return query.filter(sa.false())
        return query.filter(self.model.id.in_(ids))
