"""Search-as-you-type pickers: find one applicant among every applicant in the user's scope.

A select listing all applicants stops working after a few hundred rows (and a scoped top-N
silently hides older ones). The picker asks ``/applicantview/search?q=`` as the user types and
the form posts the chosen id, which is checked against the same scope on the server. A new
applicant can be registered from the picker itself (``/applicantview/quick_add``).

Results are masked exactly as on the applicant list (first 6 and last 4 of the ID number,
first 3 and last 4 of the mobile): showing the full numbers is an audited reveal elsewhere.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlalchemy.orm
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app import models as m
from app.enums import ApplicantKind
from app.masking import exact_identity_ids
from app.scope import Scope, current_scope
from app.validators import MobileValidator, ResidentIdValidator, USCCValidator

SEARCH_LIMIT = 20
MAX_QUERY = 50
# Digits (and the X of an ID number or letters of a credit code): searched as number endings.
_NUMBERISH = re.compile(r"^[0-9A-Za-z]{1,18}$")
# The masks (app/validators.py) show the last 4 characters of an ID number and of a mobile.
MASK_SHOWS = 4


def applicant_label(applicant: m.Applicant) -> str:
    """How a picker shows one applicant: name, masked ID or credit code, masked mobile."""
    identity = applicant.masked_id_number or applicant.credit_code or ""
    parts = [p for p in (identity, applicant.masked_mobile) if p]
    return f"{applicant.name}（{' · '.join(parts)}）" if parts else applicant.name


def applicant_json(applicant: m.Applicant) -> dict:
    return {
        "id": applicant.id,
        "label": applicant_label(applicant),
        "name": applicant.name,
        "kind": applicant.kind.value,
        "identity": applicant.masked_id_number or applicant.credit_code or "",
        "mobile": applicant.masked_mobile,
        "unit": applicant.unit.name if applicant.unit is not None else "",
    }


def search_applicants(
    session, scope: Scope, text: str, limit: int = SEARCH_LIMIT
) -> list[m.Applicant]:
    """Applicants in ``scope`` whose name contains ``text``, or whose credit code ends with it,
    or whose ID number or mobile ends with it as far as the mask shows (the last 4), or whose
    whole ID number or mobile it is (for those who may reveal, audited: app/masking.py); names
    starting with the text first, then the newest.

    The picker is no search oracle: it never answers for digits the mask hides."""
    text = (text or "").strip()[:MAX_QUERY]
    query = sa.select(m.Applicant).where(scope.clause_for(m.Applicant))
    rank = sa.literal(1)
    if text:
        conditions = [m.Applicant.name.icontains(text, autoescape=True)]
        if _NUMBERISH.match(text):
            upper = text.upper()
            conditions.append(m.Applicant.credit_code.endswith(upper, autoescape=True))
            if len(upper) <= MASK_SHOWS:
                conditions += [
                    m.Applicant.id_number.endswith(upper, autoescape=True),
                    m.Applicant.mobile.endswith(upper, autoescape=True),
                ]
            else:
                for column in ("id_number", "mobile"):
                    ids = exact_identity_ids(m.Applicant, column, upper)
                    if ids:
                        conditions.append(m.Applicant.id.in_(ids))
        query = query.where(sa.or_(*conditions))
        rank = sa.case((m.Applicant.name.istartswith(text, autoescape=True), 0), else_=1)
    query = (
        query.options(sa.orm.selectinload(m.Applicant.unit))
        .order_by(rank, m.Applicant.created_at.desc(), m.Applicant.id.desc())
        .limit(max(1, min(limit, SEARCH_LIMIT)))
    )
    return list(session.execute(query).scalars())


def applicant_in_scope(session, applicant_id, scope: Scope | None = None) -> m.Applicant | None:
    """The applicant with this id if the user may see it, else None (as if it did not exist)."""
    if not isinstance(applicant_id, int) or isinstance(applicant_id, bool):
        return None
    if not 1 <= applicant_id <= 2**31 - 1:
        return None
    scope = scope or current_scope()
    return session.execute(
        sa.select(m.Applicant).where(m.Applicant.id == applicant_id, scope.clause_for(m.Applicant))
    ).scalar_one_or_none()


class QuickApplicantForm(FlaskForm):
    """The picker's inline "new applicant": the fields a case needs, checked as on the full form."""

    kind = SelectField(
        _l("Kind"),
        choices=[(k.value, k.label) for k in ApplicantKind],
        validators=[DataRequired()],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    id_number = StringField(
        _l("Resident ID number"), validators=[Optional(), ResidentIdValidator()]
    )
    credit_code = StringField(
        _l("Unified social credit code"), validators=[Optional(), USCCValidator()]
    )
    mobile = StringField(_l("Mobile"), validators=[DataRequired(), MobileValidator()])
    weak = BooleanField(_l("Weak"))
    sick = BooleanField(_l("Sick"))
    disabled = BooleanField(_l("Disabled"))
    foreign_invested = BooleanField(_l("Foreign-invested enterprise"))
    unit = IntegerField(_l("Unit"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if self.kind.data == ApplicantKind.PERSON.value and not self.id_number.data:
            self.id_number.errors.append(_("An individual needs a resident ID number."))
            return False
        if self.kind.data == ApplicantKind.ENTERPRISE.value and not self.credit_code.data:
            self.credit_code.errors.append(_("An enterprise needs a unified social credit code."))
            return False
        return True


def quick_add_unit(session, form: QuickApplicantForm, scope: Scope) -> m.OrgUnit | None:
    """The unit a new applicant belongs to: the one asked for if in scope, else the user's own."""
    unit_id = form.unit.data or scope.unit_id
    if unit_id is None:
        return None
    unit = session.get(m.OrgUnit, unit_id) if 1 <= unit_id <= 2**31 - 1 else None
    return unit if scope.contains_unit(unit) else None


def existing_applicant(session, unit: m.OrgUnit, form: QuickApplicantForm) -> m.Applicant | None:
    """The applicant already registered in ``unit`` with the same ID number or credit code."""
    if form.kind.data == ApplicantKind.PERSON.value:
        column, value = m.Applicant.id_number, form.id_number.data
    else:
        column, value = m.Applicant.credit_code, form.credit_code.data
    return session.execute(
        sa.select(m.Applicant).where(m.Applicant.unit_id == unit.id, column == value)
    ).scalar_one_or_none()


def new_applicant(form: QuickApplicantForm, unit: m.OrgUnit) -> m.Applicant:
    person = form.kind.data == ApplicantKind.PERSON.value
    return m.Applicant(
        kind=ApplicantKind(form.kind.data),
        name=form.name.data.strip(),
        id_number=form.id_number.data or None if person else None,
        credit_code=None if person else form.credit_code.data or None,
        mobile=form.mobile.data,
        weak=form.weak.data,
        sick=form.sick.data,
        disabled=form.disabled.data,
        foreign_invested=form.foreign_invested.data,
        unit=unit,
    )
