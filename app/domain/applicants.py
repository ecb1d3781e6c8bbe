"""Rules of the applicant record shared by every surface (screens, API, import)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app import models as m
from app.domain.errors import ValidationFailed
from app.enums import ApplicantKind


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
