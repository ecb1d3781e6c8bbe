"""Rules of the applicant record shared by every surface (screens, API, import).

Applicants are kept while they have cases; duplicates are merged into one record, audited. An
applicant registered twice (two units, a typo in the name) is merged: every case of the
duplicate moves to the record that stays, then the duplicate row is removed. Removing it rather
than marking it keeps the per-unit unique identity numbers free and leaves no dead row in every
picker, search and list; the audit trail keeps the duplicate's full data (the ``merge`` entry
and the hook's own ``delete`` entry) and each moved case's applicant change (before, after).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.audit import write_entry
from app.domain.errors import DomainError, NotInScope, NotPermitted, ValidationFailed
from app.enums import ApplicantKind
from app.roles import held_role_names
from app.scope import scope_for_user


def check_identity(item: m.Applicant) -> None:
    """An individual needs a resident ID, an enterprise a credit code; empty values become None."""
    if item.kind == ApplicantKind.PERSON and not item.id_number:
        raise ValidationFailed(
            {"id_number": _l("An individual needs a resident ID number.")},
            _l("An individual needs a resident ID number."),
        )
    if item.kind == ApplicantKind.ENTERPRISE and not item.credit_code:
        raise ValidationFailed(
            {"credit_code": _l("An enterprise needs a unified social credit code.")},
            _l("An enterprise needs a unified social credit code."),
        )
    item.id_number = item.id_number or None
    item.credit_code = item.credit_code or None


MERGING_ROLES = ("Manager", "Admin")


class ApplicantHasCases(DomainError):
    status = 409
    default_message = _l(
        "This applicant has cases and cannot be deleted. If it is a duplicate, merge it into "
        "the record to keep."
    )


def case_ids_of(session: Session, applicant: m.Applicant) -> list[int]:
    return list(
        session.execute(
            sa.select(m.Case.id).where(m.Case.applicant_id == applicant.id).order_by(m.Case.id)
        ).scalars()
    )


def check_deletable(session: Session, applicant: m.Applicant) -> None:
    """Refuse (409) to delete an applicant any case refers to."""
    if applicant.id is not None and case_ids_of(session, applicant):
        raise ApplicantHasCases()


def likely_duplicates(session: Session, applicant: m.Applicant, scope, limit: int = 50):
    """Applicants in ``scope`` of the same kind sharing the identity number or the name."""
    same = [m.Applicant.name == applicant.name]
    if applicant.id_number:
        same.append(m.Applicant.id_number == applicant.id_number)
    if applicant.credit_code:
        same.append(m.Applicant.credit_code == applicant.credit_code)
    return list(
        session.execute(
            sa.select(m.Applicant)
            .where(
                m.Applicant.id != applicant.id,
                m.Applicant.kind == applicant.kind,
                sa.or_(*same),
                scope.clause_for(m.Applicant),
            )
            .order_by(m.Applicant.created_at)
            .limit(limit)
        ).scalars()
    )


def _describe(applicant: m.Applicant) -> dict:
    return {
        "id": applicant.id,
        "name": applicant.name,
        "kind": applicant.kind.value if applicant.kind else None,
        "id_number": applicant.id_number,
        "credit_code": applicant.credit_code,
        "mobile": applicant.mobile,
        "unit_id": applicant.unit_id,
    }


def merge(session: Session, source: m.Applicant, target: m.Applicant, actor) -> list[int]:
    """Merge the duplicate ``source`` into ``target``; returns the ids of the moved cases.

    Only a Manager or an Admin merges, and both records must be in the actor's scope. Never
    commits: the caller's unit of work does.
    """
    if not held_role_names(actor) & set(MERGING_ROLES):
        raise NotPermitted(_l("Only a manager or an administrator merges applicants."))
    scope = scope_for_user(actor)
    for applicant in (source, target):
        found = session.execute(
            sa.select(m.Applicant.id).where(
                m.Applicant.id == applicant.id, scope.clause_for(m.Applicant)
            )
        ).first()
        if found is None:
            raise NotInScope()
    if source.id == target.id:
        raise ValidationFailed({"into": _l("Choose another record to merge into.")})
    if source.kind != target.kind:
        raise ValidationFailed(
            {"into": _l("An individual and an enterprise cannot be merged.")},
            _l("An individual and an enterprise cannot be merged."),
        )
    moved = case_ids_of(session, source)
    for case in session.execute(sa.select(m.Case).where(m.Case.id.in_(moved))).scalars():
        case.applicant = target
    write_entry(
        session,
        action="merge",
        table_name="applicant",
        row_id=str(source.id),
        before={"applicant": _describe(source), "into": _describe(target)},
        after={"merged_into": target.id, "cases_moved": moved},
    )
    session.flush()
    session.delete(source)
    session.flush()
    return moved
