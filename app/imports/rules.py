"""The rules of each kind, checked against the whole file and the database before any write.

Each ``check_<kind>`` adds problems to rows (never raises, never writes). Records the uploader may
not see are looked up through app/scope.py only, so an out-of-scope unit or account reads as
"not found among the units you may work with". Where one row depends on another in the file (a
village on its town, a material on its item), a refused row refuses its dependants too, so the
"valid rows only" choice never writes half a record.
"""

from __future__ import annotations

import re
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, aliased

from app import models as m
from app.domain import itemcodes
from app.domain.errors import ValidationFailed
from app.domain.staff import check_password
from app.domain.status import OPEN_STATUSES
from app.enums import HolidayKind, Tier
from app.imports.validate import Parsed, Row
from app.roles import ROLE_NAMES, rank_of_roles
from app.scope import ADMIN_ROLE, Scope
from app.validators import mobile_error, normalize_mobile

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHUNK = 5000


def check(session: Session, parsed: Parsed, scope: Scope) -> None:
    for sheet in parsed.kind.sheets:
        for column in CODE_COLUMNS.get(sheet.key, ()):
            for row in parsed.rows.get(sheet.key, []):
                value = row.values.get(column)
                if value and not CODE_RE.match(value):
                    row.refuse(
                        column,
                        _l(
                            "A code has letters, digits and . _ - only, starting with a letter "
                            "or digit."
                        ),
                    )
    CHECKS[parsed.kind.key](session, parsed, scope)


# Codes end up in unit paths (/440781/440781100/) and URLs: a small alphabet keeps them safe.
CODE_COLUMNS = {
    "units": ("code",),
    "departments": ("code",),
    "items": ("code",),
}


def _chunks(values: list) -> list[list]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)] or [[]]


# ---------------------------------------------------------------- units


def existing_units(session: Session, scope: Scope) -> dict[str, sa.Row]:
    """code → (code, tier, parent_code) of every unit in scope."""
    parent = aliased(m.OrgUnit)
    query = (
        sa.select(m.OrgUnit.code, m.OrgUnit.tier, parent.code.label("parent_code"))
        .outerjoin(parent, m.OrgUnit.parent_id == parent.id)
        .where(scope.clause_for(m.OrgUnit))
    )
    return {r.code: r for r in session.execute(query)}


def check_units(session: Session, parsed: Parsed, scope: Scope) -> None:
    rows = parsed.rows.get("units", [])
    existing = existing_units(session, scope)
    in_file = {r.values["code"]: r for r in rows if r.values.get("code")}
    children: dict[str, list[str]] = defaultdict(list)
    for unit in existing.values():
        if unit.parent_code:
            children[unit.parent_code].append(unit.code)

    for row in rows:
        code, tier, parent_code = (row.values.get(k) for k in ("code", "tier", "parent_code"))
        if not code or tier is None:
            continue
        rank = Tier(tier).rank
        if rank == 0:
            if parent_code:
                row.refuse("parent_code", _l("A city center has no parent unit."))
        elif not parent_code:
            row.refuse("parent_code", _l("This unit needs a parent unit."))
        elif parent_code == code:
            row.refuse("parent_code", _l("A unit cannot be its own parent."))
        elif parent_code in in_file:
            parent_tier = in_file[parent_code].values.get("tier")
            if parent_tier is not None and Tier(parent_tier).rank != rank - 1:
                row.refuse("parent_code", _parent_tier_message())
        elif parent_code in existing:
            if Tier(existing[parent_code].tier).rank != rank - 1:
                row.refuse("parent_code", _parent_tier_message())
        else:
            row.refuse(
                "parent_code",
                _l(
                    "The parent unit %(code)s is neither in the file nor among the units "
                    "you may work with.",
                    code=parent_code,
                ),
            )
        old = existing.get(code)
        if old is not None and Tier(old.tier) != Tier(tier):
            for child in children.get(code, []):
                if child in in_file:
                    continue  # checked as a row of its own
                if Tier(existing[child].tier).rank != rank + 1:
                    row.refuse(
                        "tier",
                        _l(
                            "The unit has sub-units (%(code)s) that would no longer be one "
                            "tier below it.",
                            code=child,
                        ),
                    )
                    break

    # A unit whose parent row is refused is refused too (parents first).
    for row in sorted(
        rows, key=lambda r: Tier(r.values["tier"]).rank if r.values.get("tier") else 9
    ):
        parent_row = in_file.get(row.values.get("parent_code") or "")
        if row.ok and parent_row is not None and parent_row is not row and not parent_row.ok:
            row.refuse(
                "parent_code",
                _l("The parent unit %(code)s is refused.", code=parent_row.values["code"]),
            )


def _parent_tier_message():
    return _l("The parent must be one tier above: a town under the city, a village under a town.")


# ---------------------------------------------------------------- departments


def check_departments(session: Session, parsed: Parsed, scope: Scope) -> None:
    rows = parsed.rows.get("departments", [])
    owner = dict(session.execute(sa.select(m.Department.name, m.Department.code)).all())
    by_name: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.values.get("name"):
            by_name[row.values["name"]].append(row)
    for name, group in by_name.items():
        if len(group) > 1:
            for row in group:
                row.refuse(
                    "name", _l("The name %(name)s appears more than once in the file.", name=name)
                )
        for row in group:
            other = owner.get(name)
            if other is not None and other != row.values.get("code"):
                row.refuse(
                    "name",
                    _l("The name %(name)s belongs to department %(code)s.", name=name, code=other),
                )


# ---------------------------------------------------------------- staff


def _roles_of(session: Session, names: list[str]) -> tuple[dict, dict]:
    """The role names each existing account of ``names`` holds itself, and those its groups
    give it (app/roles.py held_roles, for many accounts at once), whatever its unit."""
    sm = current_app.appbuilder.sm
    held: dict[str, list[str]] = {}
    given: dict[str, list[str]] = {}
    for chunk in _chunks(names):
        query = (
            sa.select(sm.user_model.username, sm.role_model.name)
            .join(sm.user_model.roles)
            .where(sm.user_model.username.in_(chunk))
        )
        for username, role in session.execute(query):
            held.setdefault(username, []).append(role)
        query = (
            sa.select(sm.user_model.username, sm.role_model.name)
            .join(sm.user_model.groups)
            .join(sm.group_model.roles)
            .where(sm.user_model.username.in_(chunk))
        )
        for username, role in session.execute(query):
            given.setdefault(username, []).append(role)
    return held, given


def _check_rank(row, exists: bool, held: list[str], given: list[str], parsed: Parsed) -> None:
    """Account administration follows rank (``given``: the roles the account's groups give it);
    an import leaves existing accounts' passwords and roles alone unless an Admin chose
    otherwise."""
    v = row.values
    wanted = v.get("roles") or []
    if wanted and rank_of_roles(wanted) >= parsed.actor_rank:
        row.refuse("roles", _l("You may not give a role that ranks as high as your own."))
    if not exists:
        return
    if rank_of_roles([*held, *given]) >= parsed.actor_rank:
        row.refuse(
            "username",
            _l("You may not change an account that ranks as high as your own."),
        )
        return
    if parsed.update_accounts:
        return
    if v.get("password"):
        row.refuse(
            "password",
            _l(
                "An import does not change an existing account's password unless an "
                "administrator chooses so."
            ),
        )
    if wanted and sorted(r for r in held if r in ROLE_NAMES) != sorted(wanted):
        row.refuse(
            "roles",
            _l(
                "An import does not change an existing account's roles unless an "
                "administrator chooses so."
            ),
        )


def check_staff(session: Session, parsed: Parsed, scope: Scope) -> None:
    rows = parsed.rows.get("staff", [])
    user_model = current_app.appbuilder.sm.user_model
    units = dict(
        session.execute(
            sa.select(m.OrgUnit.code, m.OrgUnit.path).where(scope.clause_for(m.OrgUnit))
        ).all()
    )
    departments = set(session.execute(sa.select(m.Department.code)).scalars())
    names = [r.values["username"] for r in rows if r.values.get("username")]
    taken: set[str] = set()
    mine: dict[str, sa.Row] = {}
    own_unit = aliased(m.OrgUnit)  # never correlated with the scope rule's own org_unit
    for chunk in _chunks(names):
        taken.update(
            session.execute(
                sa.select(user_model.username).where(user_model.username.in_(chunk))
            ).scalars()
        )
        query = (
            sa.select(m.Specialist.id, m.Specialist.active, user_model.username, own_unit.code)
            .join(user_model, m.Specialist.user_id == user_model.id)
            .join(own_unit, m.Specialist.unit_id == own_unit.id)
            .where(scope.clause_for(m.Specialist), user_model.username.in_(chunk))
        )
        mine.update({r.username: r for r in session.execute(query)})
    held, given = _roles_of(session, names)
    open_paths = _open_case_paths(session, scope, [r.id for r in mine.values()])
    roles_ready = {
        r.name for r in session.execute(sa.select(current_app.appbuilder.sm.role_model)).scalars()
    }

    for row in rows:
        v = row.values
        username = v.get("username") or ""
        if username and not USERNAME_RE.match(username):
            row.refuse(
                "username",
                _l(
                    "A user name has 2 to 64 letters, digits and . _ @ -, starting with a "
                    "letter or digit."
                ),
            )
        current = mine.get(username)
        if username in taken and current is None:
            row.refuse(
                "username",
                _l(
                    "The user name %(name)s is taken by an account that is not staff of the "
                    "units you may work with.",
                    name=username,
                ),
            )
        unit_code = v.get("unit_code")
        if unit_code and unit_code not in units:
            row.refuse("unit_code", _unit_not_found(unit_code))
        for role in v.get("roles") or []:
            if role == ADMIN_ROLE and not scope.everything:
                row.refuse("roles", _l("Only administrators may give the Admin role."))
            elif role not in roles_ready:
                row.refuse("roles", _l("The role %(role)s is not set up.", role=role))
        _check_rank(row, username in taken, held.get(username, []), given.get(username, []), parsed)
        if v.get("department_code") and v["department_code"] not in departments:
            row.refuse("department_code", _department_not_found(v["department_code"]))
        if v.get("mobile"):
            error = mobile_error(v["mobile"])
            if error is not None:
                row.refuse("mobile", error)
            else:
                v["mobile"] = normalize_mobile(v["mobile"])
        if v.get("email") and not EMAIL_RE.match(v["email"]):
            row.refuse("email", _l("This is not an email address."))
        if v.get("password"):
            try:
                check_password(v["password"])
            except ValidationFailed as exc:
                row.refuse("password", exc.errors.get("password") or exc.message)
        if current is not None and current.id in open_paths:
            if current.active and v.get("active") is False:
                row.refuse(
                    "active",
                    _l(
                        "%(name)s has open cases: deactivate the account from the staff "
                        "screen, which reassigns them.",
                        name=username,
                    ),
                )
            new_path = units.get(unit_code or "")
            if new_path and unit_code != current.code:
                if any(not path.startswith(new_path) for path in open_paths[current.id]):
                    row.refuse(
                        "unit_code",
                        _l(
                            "%(name)s has open cases the unit %(code)s cannot see; reassign "
                            "them first.",
                            name=username,
                            code=unit_code,
                        ),
                    )


def _open_case_paths(
    session: Session, scope: Scope, specialist_ids: list[int]
) -> dict[int, list[str]]:
    """specialist id → handling-unit paths of their open cases (those in the scope)."""
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(specialist_ids):
        # An alias: the case scope rule is a subquery on org_unit, which must not correlate.
        handling = aliased(m.OrgUnit)
        query = (
            sa.select(m.Case.specialist_id, handling.path)
            .join(handling, m.Case.handling_unit_id == handling.id)
            .where(
                scope.clause_for(m.Case),
                m.Case.specialist_id.in_(chunk),
                m.Case.status.in_(list(OPEN_STATUSES)),
            )
        )
        for specialist_id, path in session.execute(query):
            found[specialist_id].append(path)
    return found


def _unit_not_found(code: str):
    return _l(
        "The unit %(code)s does not exist or is outside the units you may work with.", code=code
    )


def _department_not_found(code: str):
    return _l("There is no department with the code %(code)s.", code=code)


# ---------------------------------------------------------------- service items


def check_items(session: Session, parsed: Parsed, scope: Scope) -> None:
    items = parsed.rows.get("items", [])
    materials = parsed.rows.get("materials", [])
    departments = set(session.execute(sa.select(m.Department.code)).scalars())
    known_items = set(session.execute(sa.select(m.ServiceItem.code)).scalars())
    in_file = {r.values["code"]: r for r in items if r.values.get("code")}
    _check_official_codes(session, items)

    for row in items:
        v = row.values
        if v.get("department_code") and v["department_code"] not in departments:
            row.refuse("department_code", _department_not_found(v["department_code"]))
        promised, legal = v.get("promised_days"), v.get("legal_days")
        if isinstance(promised, int) and isinstance(legal, int) and legal < promised:
            row.refuse(
                "legal_days", _l("The legal time limit cannot be shorter than the promised one.")
            )
        for code in v.get("parallel_department_codes") or []:
            if code not in departments:
                row.refuse("parallel_department_codes", _department_not_found(code))
        if v.get("parallel_department_codes") and v.get("needs_parallel") is False:
            row.refuse(
                "needs_parallel",
                _l("Departments in parallel approval are listed: answer yes here."),
            )

    for row in materials:
        code = row.values.get("item_code")
        if code and code not in in_file and code not in known_items:
            row.refuse(
                "item_code",
                _l(
                    "The service item %(code)s is neither in the file nor in the catalogue.",
                    code=code,
                ),
            )
        item_row = in_file.get(code or "")
        if row.ok and item_row is not None and not item_row.ok:
            row.refuse("item_code", _l("The service item %(code)s is refused.", code=code))

    # An item and its materials are imported together or not at all.
    broken = {r.values.get("item_code") for r in materials if not r.ok}
    for row in materials:
        if row.ok and row.values.get("item_code") in broken:
            row.refuse(
                "",
                _l(
                    "Another material of the item %(code)s is refused; an item's materials "
                    "are imported together.",
                    code=row.values["item_code"],
                ),
            )
    for row in items:
        if row.ok and row.values.get("code") in broken:
            row.refuse("", _l("A material of this item is refused."))


def _check_official_codes(session: Session, items: list) -> None:
    """事项编码 and 实施清单编码: well formed, consistent, each implementation code on one row,
    and the item it names in the catalogue not clashing with another item's own code."""
    by_implementation = {
        code: item_code
        for code, item_code in session.execute(
            sa.select(m.ServiceItem.implementation_code, m.ServiceItem.code).where(
                m.ServiceItem.implementation_code.is_not(None)
            )
        ).all()
    }
    known_items = set(session.execute(sa.select(m.ServiceItem.code)).scalars())
    seen: dict[str, int] = {}
    for row in items:
        v = row.values
        basic = itemcodes.normalize(v.get("basic_code"))
        implementation = itemcodes.normalize(v.get("implementation_code"))
        v["basic_code"], v["implementation_code"] = basic, implementation
        error = itemcodes.basic_code_error(basic)
        if error is not None:
            row.refuse("basic_code", error)
        error = itemcodes.implementation_code_error(implementation, basic)
        if error is not None:
            row.refuse("implementation_code", error)
        if implementation is None:
            continue
        if implementation in seen:
            row.refuse(
                "implementation_code",
                _l("The same implementation code is on row %(row)s.", row=seen[implementation]),
            )
        seen.setdefault(implementation, row.number)
        owner = by_implementation.get(implementation)
        code = v.get("code")
        if owner is not None and code and owner != code and code in known_items:
            row.refuse(
                "implementation_code",
                _l(
                    "This implementation code belongs to the item %(owner)s and the code "
                    "%(code)s to another item.",
                    owner=owner,
                    code=code,
                ),
            )


# ---------------------------------------------------------------- holidays


def check_holidays(session: Session, parsed: Parsed, scope: Scope) -> None:
    for row in parsed.rows.get("holidays", []):
        day, kind = row.values.get("day"), row.values.get("kind")
        if day is None:
            continue
        if not 2000 <= day.year <= 2100:
            row.refuse("day", _l("The year must be between 2000 and 2100."))
        if kind == HolidayKind.WORKDAY.value and day.weekday() < 5:
            row.refuse("kind", _l("An adjusted working day must be a Saturday or a Sunday."))


CHECKS = {
    "units": check_units,
    "departments": check_departments,
    "staff": check_staff,
    "items": check_items,
    "holidays": check_holidays,
}
