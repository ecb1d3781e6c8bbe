"""Exporting the data back in its template's format, so export → import changes nothing.

Every value is written the way the importer reads it (codes, labels of the current language,
explicit yes/no), and the rows are limited to the exporter's scope exactly as the screens are.
Passwords are never exported: an empty password column leaves an account's password alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, aliased, selectinload

from app import models as m
from app.imports import template
from app.imports.specs import KINDS
from app.roles import ROLE_NAMES
from app.scope import Scope


def _value(enum_or_value):
    return getattr(enum_or_value, "value", enum_or_value)


def unit_rows(session: Session, scope: Scope) -> Iterator[dict]:
    parent = aliased(m.OrgUnit)
    query = (
        sa.select(m.OrgUnit, parent.code)
        .outerjoin(parent, m.OrgUnit.parent_id == parent.id)
        .where(scope.clause_for(m.OrgUnit))
        .order_by(m.OrgUnit.path)
    )
    for unit, parent_code in session.execute(query):
        yield {
            "code": unit.code,
            "name": unit.name,
            "tier": _value(unit.tier),
            "parent_code": parent_code or "",
            "address": unit.address or "",
            "phone": unit.phone or "",
            "active": unit.active,
        }


def department_rows(session: Session, scope: Scope) -> Iterator[dict]:
    for d in session.execute(sa.select(m.Department).order_by(m.Department.code)).scalars():
        yield {"code": d.code, "name": d.name, "phone": d.phone or "", "active": d.active}


def staff_rows(session: Session, scope: Scope) -> Iterator[dict]:
    user_model = current_app.appbuilder.sm.user_model
    query = (
        sa.select(m.Specialist)
        .join(user_model, m.Specialist.user_id == user_model.id)
        .where(scope.clause_for(m.Specialist))
        .options(
            selectinload(m.Specialist.user).selectinload(user_model.roles),
            selectinload(m.Specialist.unit),
            selectinload(m.Specialist.department),
        )
        .order_by(user_model.username)
    )
    for s in session.execute(query).scalars():
        held = {r.name for r in s.user.roles}
        yield {
            "username": s.user.username,
            "name": s.name,
            "unit_code": s.unit.code,
            "roles": [name for name in ROLE_NAMES if name in held],
            "staff_type": _value(s.staff_type),
            "department_code": s.department.code if s.department else "",
            "mobile": s.mobile or "",
            "email": s.email or "",
            "active": s.active,
            "password": "",
        }


def item_rows(session: Session, scope: Scope) -> Iterator[dict]:
    query = (
        sa.select(m.ServiceItem)
        .options(
            selectinload(m.ServiceItem.department),
            selectinload(m.ServiceItem.parallel_departments),
        )
        .order_by(m.ServiceItem.code)
    )
    for item in session.execute(query).scalars():
        yield {
            "code": item.code,
            "basic_code": item.basic_code or "",
            "implementation_code": item.implementation_code or "",
            "name": item.name,
            "department_code": item.department.code,
            "parallel_department_codes": sorted(d.code for d in item.parallel_departments),
            **{
                k: getattr(item, k)
                for k in (
                    "accept_city",
                    "accept_town",
                    "accept_village",
                    "promised_days",
                    "legal_days",
                    "fee_note",
                    "needs_parallel",
                    "online",
                    "mobile",
                    "self_service",
                    "keywords",
                    "active",
                )
            },
            "window_number": item.window_number or "",
            "hall_location": item.hall_location or "",
        }


def material_rows(session: Session, scope: Scope) -> Iterator[dict]:
    query = (
        sa.select(m.RequiredMaterial, m.ServiceItem.code)
        .join(m.ServiceItem, m.RequiredMaterial.item_id == m.ServiceItem.id)
        .order_by(m.ServiceItem.code, m.RequiredMaterial.position, m.RequiredMaterial.id)
    )
    for material, code in session.execute(query):
        yield {
            "item_code": code,
            "position": material.position,
            "name": material.name,
            "copies": material.copies,
            "original": material.original,
            "how_to_obtain": material.how_to_obtain,
        }


def holiday_rows(session: Session, scope: Scope) -> Iterator[dict]:
    for h in session.execute(sa.select(m.Holiday).order_by(m.Holiday.day)).scalars():
        yield {"day": h.day, "kind": _value(h.kind), "name": h.name}


ROWS = {
    "units": unit_rows,
    "departments": department_rows,
    "staff": staff_rows,
    "items": item_rows,
    "materials": material_rows,
    "holidays": holiday_rows,
}


def export_bytes(session: Session, kind_key: str, scope: Scope) -> bytes:
    """The kind's data within ``scope`` as a workbook in its template's format."""
    kind = KINDS[kind_key]
    wb, sheets = template.build_workbook(kind)
    for sheet in kind.sheets:
        ws = sheets[sheet.key]
        for number, values in enumerate(ROWS[sheet.key](session, scope), start=2):
            template.write_row(ws, sheet, number, values)
    return template.to_bytes(wb)
