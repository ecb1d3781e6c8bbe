"""Staff accounts: a FAB log-in and its specialist record, created together."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.validators import default_password_complexity
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app import models as m
from app.domain import lifecycle
from app.domain.errors import ValidationFailed
from app.domain.status import OPEN_STATUSES
from app.enums import StaffType, Tier
from app.roles import ROLE_NAMES


def check_password(password: str) -> None:
    """Apply the configured password complexity (the CLI too, not only the UI)."""
    if not current_app.config.get("FAB_PASSWORD_COMPLEXITY_ENABLED"):
        if len(password) < 8:
            raise ValidationFailed({"password": _l("The password needs at least 8 characters.")})
        return

    validator = current_app.config.get("FAB_PASSWORD_COMPLEXITY_VALIDATOR") or (
        default_password_complexity
    )
    try:
        validator(password)
    except PasswordComplexityValidationError as exc:
        raise ValidationFailed({"password": str(exc)}, str(exc)) from exc


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    name: str,
    unit: m.OrgUnit | None,
    role: str,
    mobile: str | None = None,
    staff_type: StaffType | None = None,
) -> m.Specialist | None:
    """Create a log-in with one role and, for every role but Admin, its specialist record."""
    sm = current_app.appbuilder.sm
    # A built-in role, or one an Admin made from permissions (app/permissions.py).
    if role not in ROLE_NAMES and (role == "Public" or sm.find_role(role) is None):
        raise ValidationFailed({"role": _l("Unknown role.")})
    if role != "Admin" and unit is None:
        raise ValidationFailed({"unit": _l("Every account but an administrator's needs a unit.")})
    if sm.find_user(username=username) is not None:
        raise ValidationFailed({"username": _l("That user name is taken.")})
    check_password(password)
    role_obj = sm.find_role(role) or sm.add_role(role)
    user = sm.user_model()
    user.username = username
    user.first_name = name
    user.last_name = ""
    user.email = f"{username}@staff.invalid"
    user.active = True
    user.roles = [role_obj]

    user.password = generate_password_hash(
        password=password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )
    session.add(user)
    if unit is None:
        return None
    if staff_type is None:
        staff_type = (
            StaffType.STATION if unit.tier == Tier.VILLAGE else StaffType.COMPREHENSIVE_WINDOW
        )
    specialist = m.Specialist(
        name=name, unit=unit, staff_type=staff_type, mobile=mobile, active=True, user=user
    )
    session.add(specialist)
    return specialist


def unit_by_code(session: Session, code: str) -> m.OrgUnit | None:
    return session.execute(sa.select(m.OrgUnit).where(m.OrgUnit.code == code)).scalar_one_or_none()


def open_cases_of(session: Session, specialist: m.Specialist) -> list[m.Case]:
    return list(
        session.execute(
            sa.select(m.Case).where(
                m.Case.specialist_id == specialist.id, m.Case.status.in_(list(OPEN_STATUSES))
            )
        ).scalars()
    )


def deactivate(
    session: Session, specialist: m.Specialist, actor, reassign_to: m.Specialist | None
) -> int:
    """Deactivate a specialist and their log-in; their open cases go to ``reassign_to``.

    No open case is left without an active specialist: with open cases a successor is required,
    active, and placed where they can see each case (the case's handling unit or above).
    Returns how many cases were reassigned.
    """
    cases = open_cases_of(session, specialist)
    if cases:
        if reassign_to is None or reassign_to.id == specialist.id or not reassign_to.active:
            raise ValidationFailed(
                {"reassign_to": _l("Choose an active specialist to take over the open cases.")}
            )
        for case in cases:
            if not (case.handling_unit.path or "").startswith(reassign_to.unit.path or "\0"):
                raise ValidationFailed(
                    {
                        "reassign_to": _l(
                            "The successor's unit must be the handling unit of every open "
                            "case or above it."
                        )
                    }
                )
            lifecycle.assign(session, case, actor, specialist=reassign_to)
    specialist.active = False
    if specialist.user is not None:
        specialist.user.active = False
    return len(cases)
