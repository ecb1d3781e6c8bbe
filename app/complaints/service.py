"""The one path by which every surface takes in a complaint and runs its steps.

``intake`` and ``run_step`` load the body with its schema (422 naming each field), find the
complaint inside the caller's scope (404 outside it) and lock its row, refuse a stale
``version`` (409) and a step its status does not offer (409, with the reason), check related ids
against the caller's scope (422), call the lifecycle (app/domain/complaints.py), write the audit
entry and commit once (app/unit_of_work.py). Whatever fails, nothing is saved.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from app import models as m
from app.audit import write_entry
from app.cases import access
from app.cases.schemas import readable
from app.complaints.schemas import STEP_SCHEMAS, IntakeSchema, PublicIntakeSchema
from app.domain import complaints as lifecycle
from app.domain.errors import DomainError, NotInScope, StaleRecord, ValidationFailed
from app.enums import ComplaintChannel, Tier
from app.extensions import db
from app.scope import Scope, current_scope
from app.unit_of_work import unit_of_work


class UnknownStep(DomainError):
    status = 404
    default_message = _l("No such step.")


def _flat(messages) -> dict[str, str]:
    out = {}
    for key, value in readable(messages).items():
        while isinstance(value, (list, tuple)) and value:
            value = value[0]
        if isinstance(value, dict):
            value = next(iter(value.values()), "")
            while isinstance(value, (list, tuple)) and value:
                value = value[0]
        out[str(key)] = str(value)
    return out


def load(schema_cls, payload) -> dict:
    """The body as typed values; ValidationFailed naming each invalid field."""
    if not isinstance(payload, dict):
        raise ValidationFailed({"_schema": _("The body must be a JSON object.")})
    try:
        return schema_cls().load(payload)
    except ValidationError as err:
        errors = _flat(err.messages)
        raise ValidationFailed(errors, next(iter(errors.values()))) from None


def _pk(value) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 1 <= pk <= 2**31 - 1 else None


def complaint_in_scope(pk, scope: Scope | None = None, *, lock: bool = False):
    """The complaint ``pk`` if the scope holds it, else None (ids that cannot exist too)."""
    pk = _pk(pk)
    if pk is None:
        return None
    scope = scope or current_scope()
    query = sa.select(m.Complaint).where(m.Complaint.id == pk, scope.clause_for(m.Complaint))
    if lock:
        query = query.with_for_update(of=m.Complaint).execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def _in_scope(model, pk, scope: Scope):
    return db.session.execute(
        sa.select(model).where(model.id == pk, scope.clause_for(model))
    ).scalar_one_or_none()


def intake_units(scope: Scope | None = None) -> list[m.OrgUnit]:
    """The centers a member of staff may record a complaint for: active units in scope."""
    return access.scoped_units(scope=scope or current_scope())


def public_units() -> list[m.OrgUnit]:
    """The halls the public page offers: the active city and town centers."""
    return list(
        db.session.execute(
            sa.select(m.OrgUnit)
            .where(m.OrgUnit.active.is_(True), m.OrgUnit.tier.in_((Tier.CITY, Tier.TOWN)))
            .order_by(m.OrgUnit.path)
        ).scalars()
    )


def intake(payload: dict, actor=None, *, scope: Scope | None = None) -> m.Complaint:
    """登记 by staff (desk, hotline, phone): related ids must be in the caller's scope."""
    actor = actor if actor is not None else g.user
    scope = scope or current_scope()
    data = load(IntakeSchema, payload)
    session = db.session
    with unit_of_work(session):
        errors = {}
        unit = None
        if data["unit"] is not None:
            unit = _in_scope(m.OrgUnit, data["unit"], scope)
            if unit is None or not unit.active:
                errors["unit"] = _("No such record, or not one you may use.")
        elif scope.unit_id is not None:
            unit = session.get(m.OrgUnit, scope.unit_id)
        else:
            errors["unit"] = _("Choose the service center.")
        item = session.get(m.ServiceItem, data["item"]) if data["item"] else None
        if data["item"] and item is None:
            errors["item"] = _("No such record, or not one you may use.")
        case = access.case_in_scope(data["case"], scope) if data["case"] else None
        if data["case"] and case is None:
            errors["case"] = _("No such record, or not one you may use.")
        handler = _in_scope(m.Specialist, data["handler"], scope) if data["handler"] else None
        if data["handler"] and (handler is None or not handler.active):
            errors["handler"] = _("No such record, or not one you may use.")
        if errors:
            raise ValidationFailed(errors, next(iter(errors.values())))
        if handler is None:
            handler = access.my_specialist(actor)
        complaint = lifecycle.intake(
            session,
            actor,
            unit=unit,
            channel=data["channel"],
            complainant=data["complainant"],
            mobile=data["mobile"],
            matter=data["matter"],
            item=item or (case.item if case is not None else None),
            case=case,
            hotline_ticket=data["hotline_ticket"],
            handler=handler,
        )
        session.flush()
        _audit(complaint, "intake")
    return complaint


def public_intake(payload: dict) -> m.Complaint:
    """登记 from the public page (no log-in): the center is one the page offers."""
    data = load(PublicIntakeSchema, payload)
    session = db.session
    with unit_of_work(session):
        unit = next((u for u in public_units() if u.id == data["unit"]), None)
        if unit is None:
            raise ValidationFailed({"unit": _("Choose the service center.")})
        complaint = lifecycle.intake(
            session,
            None,
            unit=unit,
            channel=ComplaintChannel.PUBLIC,
            complainant=data["complainant"],
            mobile=data["mobile"],
            matter=data["matter"],
            hotline_ticket=data["hotline_ticket"],
        )
        session.flush()
        _audit(complaint, "intake")
    return complaint


def lookup(number: str, check_code: str) -> m.Complaint | None:
    """The public page's look-up: the complaint whose number and check code both match."""
    number = (number or "").strip()[:32]
    code = (check_code or "").strip()
    if not number or len(code) != 6 or not code.isdigit():
        return None
    complaint = db.session.execute(
        sa.select(m.Complaint).where(m.Complaint.number == number)
    ).scalar_one_or_none()
    if complaint is None or complaint.check_code != code:
        return None
    return complaint


def _audit(complaint: m.Complaint, step: str, before: dict | None = None) -> None:
    write_entry(
        db.session,
        action="step",
        table_name="complaint",
        row_id=str(complaint.id),
        before=before,
        after={**_snapshot(complaint), "step": step},
    )


def _snapshot(complaint: m.Complaint) -> dict:
    return {
        "status": complaint.status.value,
        "version": complaint.version_id,
        "department_id": complaint.department_id,
        "due_date": complaint.due_date.isoformat() if complaint.due_date else None,
    }


def _departments():
    return list(
        db.session.execute(
            sa.select(m.Department).where(m.Department.active.is_(True)).order_by(m.Department.code)
        ).scalars()
    )


def department_choices() -> list[tuple[int, str]]:
    return [(d.id, d.name) for d in _departments()]


def _call(session, complaint, actor, name: str, data: dict):
    if name == "coordinate":
        return lifecycle.coordinate(session, complaint, actor, note=data["note"])
    if name == "transfer":
        department = session.get(m.Department, data["department"])
        if department is None or not department.active:
            raise ValidationFailed({"department": _("No such record, or not one you may use.")})
        return lifecycle.transfer(
            session,
            complaint,
            actor,
            department=department,
            working_days=data["working_days"],
            note=data["note"],
        )
    if name == "reply":
        return lifecycle.reply(session, complaint, actor, text=data["reply"])
    if name == "call_back":
        return lifecycle.call_back(
            session, complaint, actor, result=data["result"], satisfied=data["satisfied"]
        )
    return lifecycle.archive(session, complaint, actor, note=data["note"])


def run_step(name: str, pk, payload: dict, actor=None, *, scope: Scope | None = None):
    """Run step ``name`` on complaint ``pk`` with ``payload``; returns the complaint."""
    actor = actor if actor is not None else g.user
    scope = scope or current_scope()
    schema = STEP_SCHEMAS.get(name)
    if schema is None:
        raise UnknownStep()
    if not isinstance(payload, dict):
        raise ValidationFailed({"_schema": _("The body must be a JSON object.")})
    session = db.session
    with unit_of_work(session):
        complaint = complaint_in_scope(pk, scope, lock=True)
        if complaint is None:
            raise NotInScope()
        if not lifecycle.status_allows(complaint, name):
            raise lifecycle.refusal(name, complaint)
        data = load(schema, payload)
        version = data.pop("version", None)
        if version is not None and version != complaint.version_id:
            raise StaleRecord()
        before = _snapshot(complaint)
        _call(session, complaint, actor, name, data)
        session.flush()
        _audit(complaint, name, before)
    return complaint
