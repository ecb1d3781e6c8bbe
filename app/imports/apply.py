"""Writing the accepted rows: upsert by code, in the caller's one transaction, nothing committed.

Each writer loads the existing records once, creates what is new and changes only the fields that
differ, so re-importing a file (or an export) reports every row "unchanged" and touches nothing.
Staff accounts go through app/domain/staff.create_staff, whose password rule applies.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from app import models as m
from app.domain.calendar import mark_changed
from app.domain.staff import check_password, create_staff
from app.enums import HolidayKind, StaffType, Tier
from app.imports.validate import Parsed, Row
from app.roles import ROLE_NAMES
from app.scope import Scope
from app.sessions import end_all_sessions

FLUSH_EVERY = 1000


@dataclass
class Context:
    session: Session
    scope: Scope
    file_name: str
    tick: Callable[[int], None] | None = None
    done: int = 0
    update_accounts: bool = False  # an Admin's explicit choice (see rules.check_staff)

    def advance(self) -> None:
        """One more row written; flush and report progress every ``FLUSH_EVERY`` rows."""
        self.done += 1
        if self.done % FLUSH_EVERY == 0:
            self.session.flush()
            if self.tick is not None:
                self.tick(self.done)


def apply(ctx: Context, parsed: Parsed) -> None:
    """Write the rows of ``parsed`` that have no problem; set each row's outcome."""
    WRITERS[parsed.kind.key](ctx, parsed)
    ctx.session.flush()
    for row in parsed.all_rows():
        if not row.ok:
            row.outcome = "refused"


def _update(obj: Any, fields: dict[str, Any]) -> bool:
    """Set the fields that differ; True if any did."""
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _outcome(row: Row, created: bool, changed: bool) -> None:
    row.outcome = "created" if created else ("updated" if changed else "unchanged")


# ---------------------------------------------------------------- units and departments


def write_units(ctx: Context, parsed: Parsed) -> None:
    session = ctx.session
    units = {
        u.code: u
        for u in session.execute(
            sa.select(m.OrgUnit).where(ctx.scope.clause_for(m.OrgUnit))
        ).scalars()
    }
    code_of = {u.id: u.code for u in units.values()}
    rows = [r for r in parsed.rows.get("units", []) if r.ok]
    rows.sort(key=lambda r: (Tier(r.values["tier"]).rank, r.number))  # parents first
    for row in rows:
        v = row.values
        tier = Tier(v["tier"])
        parent = units.get(v["parent_code"]) if v["parent_code"] else None
        fields = {
            "name": v["name"],
            "tier": tier,
            "kind": tier.center_kind,
            "address": v["address"] or None,
            "phone": v["phone"] or None,
            "active": v["active"],
        }
        unit = units.get(v["code"])
        if unit is None:
            unit = m.OrgUnit(code=v["code"], parent=parent, **fields)
            session.add(unit)
            units[unit.code] = unit
            _outcome(row, True, False)
        else:
            changed = _update(unit, fields)
            if (code_of.get(unit.parent_id) or "") != (v["parent_code"] or ""):
                unit.parent = parent
                changed = True
            _outcome(row, False, changed)
        ctx.advance()


def write_departments(ctx: Context, parsed: Parsed) -> None:
    session = ctx.session
    existing = {d.code: d for d in session.execute(sa.select(m.Department)).scalars()}
    for row in parsed.rows.get("departments", []):
        if not row.ok:
            continue
        v = row.values
        fields = {"name": v["name"], "phone": v["phone"] or None, "active": v["active"]}
        department = existing.get(v["code"])
        if department is None:
            department = m.Department(code=v["code"], **fields)
            session.add(department)
            existing[department.code] = department
            _outcome(row, True, False)
        else:
            _outcome(row, False, _update(department, fields))
        ctx.advance()


# ---------------------------------------------------------------- staff


def generate_password() -> str:
    """A random password that satisfies FAB's complexity rule (and any shorter rule)."""
    rng = secrets.SystemRandom()
    upper = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    lower = "abcdefghijkmnpqrstuvwxyz"
    digits = "23456789"
    chars = (
        [rng.choice(upper) for _ in range(3)]
        + [rng.choice(lower) for _ in range(5)]
        + [rng.choice(digits) for _ in range(4)]
        + [rng.choice("@#%+=!") for _ in range(2)]
    )
    rng.shuffle(chars)
    password = "".join(chars)
    check_password(password)
    return password


def _hash(password: str) -> str:
    return generate_password_hash(
        password=password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def write_staff(ctx: Context, parsed: Parsed) -> None:
    session = ctx.session
    sm = current_app.appbuilder.sm
    rows = [r for r in parsed.rows.get("staff", []) if r.ok]
    roles = {r.name: r for r in session.execute(sa.select(sm.role_model)).scalars()}
    units = {
        u.code: u
        for u in session.execute(
            sa.select(m.OrgUnit).where(ctx.scope.clause_for(m.OrgUnit))
        ).scalars()
    }
    departments = {d.code: d for d in session.execute(sa.select(m.Department)).scalars()}
    names = [r.values["username"] for r in rows]
    existing: dict[str, m.Specialist] = {}
    for start in range(0, len(names), 5000):
        query = (
            sa.select(m.Specialist)
            .join(sm.user_model, m.Specialist.user_id == sm.user_model.id)
            .where(
                ctx.scope.clause_for(m.Specialist),
                sm.user_model.username.in_(names[start : start + 5000]),
            )
            .options(selectinload(m.Specialist.user).selectinload(sm.user_model.roles))
        )
        existing.update({s.user.username: s for s in session.execute(query).scalars()})

    for row in rows:
        v = row.values
        unit = units[v["unit_code"]]
        staff_type = StaffType(v["staff_type"]) if v["staff_type"] else default_staff_type(unit)
        fields = {
            "name": v["name"],
            "unit": unit,
            "staff_type": staff_type,
            "department": departments.get(v["department_code"]) if v["department_code"] else None,
            "mobile": v["mobile"] or None,
            "email": v["email"] or None,
            "active": v["active"],
        }
        wanted_roles = [roles[name] for name in v["roles"]]
        specialist = existing.get(v["username"])
        if specialist is None:
            password = v["password"] or generate_password()
            specialist = create_staff(
                session,
                username=v["username"],
                password=password,
                name=v["name"],
                unit=unit,
                role=v["roles"][0],
                mobile=fields["mobile"],
                staff_type=staff_type,
            )
            _update(specialist, fields)
            specialist.user.active = v["active"]
            specialist.user.roles = wanted_roles
            if not v["password"]:
                row.note["password"] = password
            _outcome(row, True, False)
        else:
            user = specialist.user
            changed = _update(specialist, fields)
            changed |= _update(user, {"first_name": v["name"], "active": v["active"]})
            held = sorted(r.name for r in user.roles if r.name in ROLE_NAMES)
            if held != sorted(v["roles"]) and ctx.update_accounts:
                others = [r for r in user.roles if r.name not in ROLE_NAMES]
                user.roles = others + wanted_roles
                changed = True
            if (
                v["password"]
                and ctx.update_accounts
                and not check_password_hash(user.password or "", v["password"])
            ):
                user.password = _hash(v["password"])
                end_all_sessions(session, user.id)  # a new password ends the old sessions
                changed = True
            _outcome(row, False, changed)
        ctx.advance()


def default_staff_type(unit: m.OrgUnit) -> StaffType:
    """Station staff at a village, comprehensive-window staff elsewhere (as create_staff)."""
    return StaffType.STATION if Tier(unit.tier) == Tier.VILLAGE else StaffType.COMPREHENSIVE_WINDOW


# ---------------------------------------------------------------- service items


def write_items(ctx: Context, parsed: Parsed) -> None:
    session = ctx.session
    departments = {d.code: d for d in session.execute(sa.select(m.Department)).scalars()}
    items = {
        i.code: i
        for i in session.execute(
            sa.select(m.ServiceItem).options(
                selectinload(m.ServiceItem.materials),
                selectinload(m.ServiceItem.parallel_departments),
            )
        ).scalars()
    }
    by_implementation = {i.implementation_code: i for i in items.values() if i.implementation_code}
    item_rows: dict[str, Row] = {}
    for row in parsed.rows.get("items", []):
        if not row.ok:
            continue
        v = row.values
        item_rows[v["code"]] = row
        # 事项编码 / 实施清单编码: written when given, an empty cell keeps the stored code.
        official = {k: v[k] for k in ("basic_code", "implementation_code") if v.get(k)}
        fields = {
            "name": v["name"],
            "department": departments[v["department_code"]],
            **{
                k: v[k]
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
        }
        # The window and its place in the hall: a workbook made before these columns existed
        # leaves them as they are; a blank cell clears them.
        for key in ("window_number", "hall_location"):
            if key in row.raw:
                fields[key] = v[key] or None
        # The catalogue is matched by the official implementation code first, then by code: an
        # item whose own code changed upstream is updated (and re-keyed), not duplicated.
        item = by_implementation.get(official.get("implementation_code")) or items.get(v["code"])
        created = item is None
        if created:
            item = m.ServiceItem(code=v["code"], **fields, **official)
            session.add(item)
            items[item.code] = item
            changed = False
        else:
            changed = _update(item, {"code": v["code"], **fields, **official})
            items[item.code] = item
        codes = v["parallel_department_codes"]
        if sorted(d.code for d in item.parallel_departments) != sorted(codes):
            item.parallel_departments = [departments[c] for c in codes]
            changed = True
        _outcome(row, created, changed)
        ctx.advance()

    groups: dict[str, list[Row]] = defaultdict(list)
    for row in parsed.rows.get("materials", []):
        if row.ok:
            groups[row.values["item_code"]].append(row)
    for code, rows in groups.items():
        item = items[code]
        if _write_materials(item, rows):
            owner = item_rows.get(code)
            if owner is not None and owner.outcome == "unchanged":
                owner.outcome = "updated"
        for _row in rows:
            ctx.advance()


def _write_materials(item: m.ServiceItem, rows: list[Row]) -> bool:
    """Give ``item`` exactly these materials, matched by name so unchanged ones keep their ids.

    Returns True when the set of materials changed (some added or removed).
    """
    current = {mat.name: mat for mat in item.materials}
    wanted: list[m.RequiredMaterial] = []
    for index, row in enumerate(sorted(rows, key=_material_order)):
        v = row.values
        fields = {
            "position": v["position"] if v["position"] is not None else index,
            "copies": v["copies"],
            "original": v["original"],
            "how_to_obtain": v["how_to_obtain"],
        }
        material = current.pop(v["name"], None)
        if material is None:
            material = m.RequiredMaterial(name=v["name"], **fields)
            _outcome(row, True, False)
        else:
            _outcome(row, False, _update(material, fields))
        wanted.append(material)
    added = any(r.outcome == "created" for r in rows)
    if added or current:
        item.materials = wanted
        return True
    return False


def _material_order(row: Row) -> tuple:
    position = row.values.get("position")
    return (position if position is not None else 10**9, row.number)


# ---------------------------------------------------------------- holidays


def write_holidays(ctx: Context, parsed: Parsed) -> None:
    session = ctx.session
    existing = {h.day: h for h in session.execute(sa.select(m.Holiday)).scalars()}
    loaded = set(session.execute(sa.select(m.HolidayYear.year)).scalars())
    years: set[int] = set()
    changed: set[int] = set()
    for row in parsed.rows.get("holidays", []):
        if not row.ok:
            continue
        v = row.values
        fields = {"kind": HolidayKind(v["kind"]), "name": v["name"] or ""}
        holiday = existing.get(v["day"])
        if holiday is None:
            holiday = m.Holiday(day=v["day"], **fields)
            session.add(holiday)
            existing[holiday.day] = holiday
            _outcome(row, True, False)
            changed.add(v["day"].year)
        else:
            updated = _update(holiday, fields)
            _outcome(row, False, updated)
            if updated:
                changed.add(v["day"].year)
        years.add(v["day"].year)
        ctx.advance()
    for year in sorted(years - loaded):
        session.add(
            m.HolidayYear(year=year, source=f"import: {ctx.file_name}"[:100], confirmed=True)
        )
    if changed:
        session.flush()
        mark_changed(session, changed)  # the open cases in these years are recomputed after commit


WRITERS = {
    "units": write_units,
    "departments": write_departments,
    "staff": write_staff,
    "items": write_items,
    "holidays": write_holidays,
}
