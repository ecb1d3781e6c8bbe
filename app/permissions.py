"""Roles and their permissions, managed by Admins (issue 18).

Every role's permissions are rows in FAB's tables, read by FAB's own checks. The deploy step
(``flask sync-perms``, ``sync_builtin_roles``) gives each built-in role its defaults once and its
minimum always (app/roles.py), and never takes back what an Admin granted nor re-grants what an
Admin revoked. ``save_role`` is the one way the role screens change a role; it holds every role
to the guard rails:

- only an account ranking above a role changes it (so no one changes Admin, which holds every
  permission, and a role never outranks the Admin who shapes it);
- a built-in role keeps its minimum, what its screens need to work;
- the permissions over accounts, roles and permissions (``RESERVED``) stay the Admins' own;
- a new role's name is new, not a built-in one.

Every change is an update of the role row, which the audit trail records (app/audit.py). What a
role's holders may *see* stays the tier scope of their unit (app/scope.py), whatever the role.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain.errors import DomainError, ValidationFailed
from app.roles import (
    ADMIN,
    BUILTIN,
    MINIMUMS,
    PUBLIC,
    RESERVED,
    ROLE_LABELS,
    ROLE_NAMES,
    ROLES,
    holds_role,
    rank_of,
    target_rank,
)

Key = tuple[str, str]  # (view or menu name, permission name)


class RoleRefused(DomainError):
    """The actor may not make this change to this role."""

    status = 403
    default_message = _l("You may not change this role.")


# ---------------------------------------------------------------- the registered permissions


def catalogue(session: Session) -> dict[Key, object]:
    """Every registered permission-on-view row, by (view, permission) names."""
    sm = current_app.appbuilder.sm
    pv_model = sm.permissionview_model
    rows = session.execute(sa.select(pv_model)).scalars().all()
    return {
        (pv.view_menu.name, pv.permission.name): pv
        for pv in rows
        if pv.view_menu is not None and pv.permission is not None
    }


def expand(specs, keys) -> set[Key]:
    """The keys that ``[view regex, permission regex]`` specs grant (as FAB_ROLES would)."""
    return {
        (view, perm)
        for view, perm in keys
        for view_re, perm_re in specs
        if re.match(view_re, view) and re.match(perm_re, perm)
    }


def is_reserved(key: Key) -> bool:
    return bool(expand(RESERVED, [key]))


def minimum_of(role_name: str, keys) -> set[Key]:
    """What the role's screens need: every key for Admin, the declared minimum for the others."""
    if role_name == ADMIN:
        return set(keys)
    return expand(MINIMUMS.get(role_name, []), keys)


def keys_of(role) -> set[Key]:
    return {
        (pv.view_menu.name, pv.permission.name)
        for pv in role.permissions
        if pv.view_menu is not None and pv.permission is not None
    }


# ---------------------------------------------------------------- the deploy step


def sync_builtin_roles(session: Session) -> dict[str, int]:
    """Give the built-in roles their defaults (once) and minimum (always); Admin everything.

    Run by ``flask sync-perms`` after the permissions are registered. What an Admin changed
    within the guard rails stays: grants are never removed, a default once given is not given
    again, and only a reserved permission held by a role other than Admin is taken away.
    Returns the number of permissions added per role.
    """
    sm = current_app.appbuilder.sm
    pvs = catalogue(session)
    added: dict[str, int] = {}
    for name in BUILTIN:
        role = sm.find_role(name) or sm.add_role(name)
        given = set(
            session.execute(
                sa.select(m.RoleDefaultGrant.view_menu, m.RoleDefaultGrant.permission).where(
                    m.RoleDefaultGrant.role_name == name
                )
            ).all()
        )
        defaults = expand(ROLES[name], pvs)
        held = keys_of(role)
        wanted = (defaults - given) | minimum_of(name, pvs)
        new = sorted(k for k in wanted - held if not is_reserved(k))
        for key in new:
            role.permissions.append(pvs[key])
        for pv in [pv for pv in role.permissions if is_reserved(_key(pv))]:
            role.permissions.remove(pv)
        for view, perm in sorted(defaults - given):
            session.add(m.RoleDefaultGrant(role_name=name, view_menu=view, permission=perm))
        added[name] = len(new)
    admin = sm.find_role(ADMIN) or sm.add_role(ADMIN)
    missing = [pvs[k] for k in sorted(set(pvs) - keys_of(admin))]
    admin.permissions.extend(missing)
    added[ADMIN] = len(missing)
    session.flush()
    return added


def _key(pv) -> Key:
    return (pv.view_menu.name, pv.permission.name)


# ---------------------------------------------------------------- changes made on the screens


def is_builtin(role) -> bool:
    return role.name in ROLE_NAMES or role.name == PUBLIC


def normalized_name(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def may_change(actor, role) -> bool:
    """Whether ``actor`` ranks above ``role`` (the role screens offer editing only then)."""
    if role.name == PUBLIC:
        return False
    return target_rank(role) < rank_of(actor)


@dataclass
class RoleChange:
    """What the form asks for: a name (new roles) and the permission row ids wanted."""

    name: str | None = None
    permission_ids: set[int] = field(default_factory=set)


def save_role(session: Session, actor, change: RoleChange, role=None):
    """Create a role (``role`` None) or set an existing role's permissions, within the guard
    rails. Raises ``ValidationFailed`` (422) or ``RoleRefused`` (403); commits nothing."""
    sm = current_app.appbuilder.sm
    pvs = catalogue(session)
    by_id = {pv.id: key for key, pv in pvs.items()}
    unknown = change.permission_ids - set(by_id)
    if unknown:
        raise ValidationFailed({"permissions": _l("Unknown permission.")})
    wanted = {by_id[i] for i in change.permission_ids}
    if role is None:
        name = normalized_name(change.name)
        _check_new_name(sm, name)
    else:
        name = role.name
        if not may_change(actor, role):
            raise RoleRefused(_l("You may not change a role that ranks as high as your own."))
    if name != ADMIN and any(is_reserved(k) for k in wanted):
        raise ValidationFailed(
            {
                "permissions": _l(
                    "Permissions over accounts, roles and permissions are Admin's only."
                )
            }
        )
    missing = minimum_of(name, pvs) - wanted
    if missing:
        raise ValidationFailed(
            {
                "permissions": _l(
                    "%(role)s needs these permissions for its screens to work: %(list)s",
                    role=role_label(name),
                    list="、".join(sorted(describe_key(k) for k in missing)),
                )
            }
        )
    if role is None:
        role = sm.role_model()
        role.name = name
        session.add(role)
    role.permissions = [pvs[k] for k in sorted(wanted)]
    if target_rank(role) >= rank_of(actor):
        raise RoleRefused(_l("You may not make a role that ranks as high as your own."))
    session.flush()
    return role


def _check_new_name(sm, name: str) -> None:
    if not name:
        raise ValidationFailed({"name": _l("Give the role a name.")})
    if len(name) > 64 or any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        raise ValidationFailed({"name": _l("A role name has at most 64 characters.")})
    taken = {str(n).casefold() for n in [*ROLE_NAMES, PUBLIC]}
    taken |= {str(role_label(n)).casefold() for n in ROLE_NAMES}
    if name.casefold() in taken or sm.find_role(name) is not None:
        raise ValidationFailed({"name": _l("A role with this name exists.")})


def delete_role(session: Session, actor, role) -> None:
    """Delete a role an Admin made, while no account holds it; built-in roles stay."""
    if is_builtin(role):
        raise RoleRefused(_l("A built-in role cannot be deleted."))
    if not may_change(actor, role):
        raise RoleRefused(_l("You may not change a role that ranks as high as your own."))
    user_model = current_app.appbuilder.sm.user_model
    holders = session.execute(
        sa.select(sa.func.count()).select_from(user_model).where(holds_role(user_model, role))
    ).scalar_one()
    if holders:
        raise ValidationFailed(
            {"role": _l("Accounts still hold this role: give them another role first.")}
        )
    role.permissions = []
    session.delete(role)
    session.flush()


def assignable_roles(actor) -> list:
    """The roles ``actor`` may give an account (built-in first, then by name)."""
    sm = current_app.appbuilder.sm
    order = {name: i for i, name in enumerate(ROLE_NAMES)}
    roles = [r for r in sm.get_all_roles() if r.name != PUBLIC and may_change(actor, r)]
    return sorted(roles, key=lambda r: (order.get(r.name, len(order)), r.name))


# ---------------------------------------------------------------- how people read them


def role_label(name: str) -> str:
    if name == "Public":  # FAB's role of visitors who are not logged in
        return str(_l("Public (not logged in)"))
    return str(ROLE_LABELS.get(name, name))


PERMISSION_LABELS = {
    "can_list": _l("List"),
    "can_show": _l("Show"),
    "can_add": _l("Add"),
    "can_edit": _l("Edit"),
    "can_delete": _l("Delete"),
    "can_download": _l("Download"),
    "can_index": _l("Open the screen"),
    "can_record": _l("Record"),
    "can_followup": _l("Follow up"),
    "can_resolve": _l("Resolve"),
    "can_reveal": _l("See full ID and mobile numbers"),
    "can_merge": _l("Merge duplicates"),
    "can_decide": _l("Decide appeals"),
    "can_upload": _l("Upload"),
    "can_export": _l("Export"),
    "can_get": _l("Read (API)"),
    "can_post": _l("Create (API)"),
    "can_put": _l("Change (API)"),
    "can_step": _l("Take case steps (API)"),
    "can_mark_read": _l("Mark as read"),
    "can_retry": _l("Run again"),
    "can_this_form_get": _l("Open the form"),
    "can_this_form_post": _l("Submit the form"),
    "can_userinfo": _l("Own account details"),
    "userinfoedit": _l("Edit own details"),
    "resetmypassword": _l("Change own password"),
    "resetpasswords": _l("Reset passwords"),
    "can_unlock": _l("Unlock"),
    "copyrole": _l("Copy role"),
    "resend": _l("Send again"),
    "reassign": _l("Reassign cases in bulk"),
    "can_reassign": _l("Reassign cases in bulk (API)"),
    "menu_access": _l("In the menu"),
}

# Screens and resources without a menu entry of their own (menu entries give the others' labels).
VIEW_LABELS = {
    "CaseView": _l("All cases"),
    "PrintView": _l("Printed documents"),
    "HomeView": _l("Home page"),
    "UtilView": _l("Back link"),
    "LocaleView": _l("Language switch"),
    "AuthDBView": _l("Log-in"),
    "ProgressView": _l("Progress inquiry"),
    "NotificationCenterView": _l("Notification bell"),
    "ResetMyPasswordView": _l("Change own password"),
    "UserInfoEditView": _l("Edit own details"),
    "ResetPasswordView": _l("Reset a password"),
    "UserDBModelView": _l("Accounts"),
    "RoleModelView": _l("Roles"),
    "UserGroupModelView": _l("Groups"),
    "PermissionModelView": _l("Permissions"),
    "ViewMenuModelView": _l("Screens and menus"),
    "PermissionViewModelView": _l("Permissions on screens and menus"),
    "CaseApi": _l("Cases"),
    "ApplicantApi": _l("Applicants"),
    "WalkInHelpApi": _l("Walk-in help"),
    "EvaluationApi": _l("Evaluations"),
    "OrgUnitApi": _l("Service units"),
    "DepartmentApi": _l("Departments"),
    "SpecialistApi": _l("Specialists and staff"),
    "ServiceItemApi": _l("Service items"),
    "NotificationApi": _l("My notifications"),
    "JobApi": _l("Background jobs"),
    "OpenApi": _l("API description (OpenAPI)"),
    "MenuApi": _l("Menu"),
    "SecurityApi": _l("API log-in"),
    "ApiDocsView": _l("API documentation"),
    "ApiDocs": _l("API documentation"),
    "Base Permissions": _l("Permissions"),
    "Security": _l("Security"),
    "CalendarView": _l("Working-day calendar"),
}

KIND_LABELS = {"view": _l("Screen"), "menu": _l("Menu"), "api": _l("API")}
_KIND_ORDER = {"view": 0, "api": 1, "menu": 2}


def _menu_labels() -> tuple[dict, dict]:
    """Labels of menu entries by name, and of the screens they open by permission name."""
    menus, views = {}, {}

    def walk(items):
        for item in items:
            if item.name and item.name != "-":
                menus.setdefault(item.name, item.label or item.name)
            if item.baseview is not None:
                views.setdefault(item.baseview.class_permission_name, item.label or item.name)
            walk(item.childs or [])

    walk(current_app.appbuilder.menu.get_list())
    return menus, views


def _kind(key: Key) -> str:
    view, perm = key
    if perm == "menu_access":
        return "menu"
    if view.endswith("Api"):
        return "api"
    return "view"


def view_label(view: str, kind: str, labels=None) -> str:
    menus, views = labels or _menu_labels()
    if kind == "menu":
        return str(menus.get(view) or VIEW_LABELS.get(view) or view)
    return str(VIEW_LABELS.get(view) or views.get(view) or view)


def describe_key(key: Key, labels=None) -> str:
    kind = _kind(key)
    return (
        f"{KIND_LABELS[kind]}「{view_label(key[0], kind, labels)}」"
        f"{PERMISSION_LABELS.get(key[1], key[1])}"
    )


@dataclass
class PermissionRow:
    """One screen, resource or menu entry with its permissions, for the role screens."""

    kind: str
    kind_label: str
    label: str
    name: str
    cells: list  # dicts: id, label, held, locked (the minimum), reserved


def permission_table(session: Session, role=None, *, held_ids=None) -> list[PermissionRow]:
    """Every registered permission grouped by screen (or resource, or menu entry), marked with
    what ``role`` holds (or ``held_ids``), its minimum and the Admins' own."""
    pvs = catalogue(session)
    labels = _menu_labels()
    name = role.name if role is not None else ""
    held = held_ids if held_ids is not None else {pv.id for pv in getattr(role, "permissions", [])}
    minimum = minimum_of(name, pvs) if role is not None else set()
    rows: dict[tuple[str, str], PermissionRow] = {}
    for key, pv in pvs.items():
        kind = _kind(key)
        row = rows.get((kind, key[0]))
        if row is None:
            row = rows[(kind, key[0])] = PermissionRow(
                kind, str(KIND_LABELS[kind]), view_label(key[0], kind, labels), key[0], []
            )
        row.cells.append(
            {
                "id": pv.id,
                "name": key[1],
                "label": str(PERMISSION_LABELS.get(key[1], key[1])),
                "held": pv.id in held,
                "locked": key in minimum,
                "reserved": is_reserved(key) and name != ADMIN,
            }
        )
    for row in rows.values():
        row.cells.sort(key=lambda c: c["name"])
    return sorted(rows.values(), key=lambda r: (_KIND_ORDER[r.kind], r.label, r.name))
