"""What each role may do, kept in memory between requests while nothing changed (issue 22).

FAB asks the database once for every permission check: a page's navbar and buttons made 40-odd
queries. Here each process keeps every role's ``(permission, view)`` pairs in memory, tagged
with the database's *security stamp* (``security_stamp``, one row): a trigger on every role and
permission table gives it a new random value at each write (migration 0026), whoever writes
(the role screens, ``flask sync-perms``, a shell, another process). Each request reads the stamp
once (with the session version, app/sessions.py) and reloads the pairs when it differs, so a
change of permissions holds from the next request on, in every process.

Order matters: the stamp is read before the pairs it tags, so pairs loaded while a change
commits are at worst newer than their stamp, and reloaded at the next request. Without a
stamp (no request, the row missing) nothing is kept: the pairs are read from the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from sqlalchemy import event

from app.models import SecurityStamp

_MEMO = "_bangban_memo"
_UNREAD = object()


def request_memo() -> dict | None:
    """A dict living as long as the current request (None outside one). Unlike ``g``, it is
    never shared by two requests (tests keep one application context around many)."""
    if not has_request_context():
        return None
    current = request._get_current_object()
    memo = getattr(current, _MEMO, None)
    if memo is None:
        memo = {}
        setattr(current, _MEMO, memo)
    return memo


ACCOUNT = "account"  # request memo: the request's account, read with the stamps (app/sessions.py)
SECURITY = 1  # roles and permissions (migration 0026)
REFERENCE = 2  # the working-day calendar and the settings (migration 0030, app/reference.py)


def stamp_query(row: int = SECURITY):
    """A stamp as a scalar subquery, for a statement that reads other things too."""
    return sa.select(SecurityStamp.stamp).where(SecurityStamp.id == row).scalar_subquery()


def remember_stamp(value: str | None, row: int = SECURITY) -> None:
    """A stamp read by another statement of this request (app/sessions.py)."""
    memo = request_memo()
    if memo is not None:
        memo["stamp", row] = value


def current_stamp(session, row: int = SECURITY) -> str | None:
    """A stamp for this request: read once; None outside a request."""
    memo = request_memo()
    if memo is None:
        return None
    value = memo.get(("stamp", row), _UNREAD)
    if value is _UNREAD:
        value = session.execute(sa.select(stamp_query(row))).scalar()
        memo["stamp", row] = value
    return value


def _forget_stamp(*_args) -> None:
    """A write in this request's session (maybe to the roles or the account) or the end of its
    transaction: the stamps (and the account read with them) are read again at the next check."""
    memo = request_memo()
    if memo is not None:
        forget = ("stamp", "pairs", ACCOUNT)
        for key in [k for k in memo if isinstance(k, tuple) and k[0] in forget]:
            del memo[key]


def install_session_hooks(session_class) -> None:
    for name in ("after_flush", "after_commit", "after_soft_rollback"):
        event.listen(session_class, name, _forget_stamp)


def _pairs_query(role_ids=None) -> sa.Select:
    pvr = assoc_permissionview_role
    query = (
        sa.select(pvr.c.role_id, Permission.name, ViewMenu.name)
        .join(PermissionView, PermissionView.id == pvr.c.permission_view_id)
        .join(Permission, Permission.id == PermissionView.permission_id)
        .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
    )
    if role_ids is not None:
        query = query.where(pvr.c.role_id.in_(list(role_ids)))
    return query


def database_key(session) -> str:
    """Which database ``session`` reads (the key of a process-wide cache)."""
    return str(session.get_bind().url)


class RolePermissions:
    """Every role's pairs in this process, tagged with the stamp they were read under."""

    def __init__(self) -> None:
        # Per database (a process may serve more than one app: the tests, a benchmark pairing
        # two databases): (stamp, {role id: frozenset of (permission, view)}, {role name: role
        # id}); replaced whole, never changed in place (threads read it without a lock).
        self._states: dict[str, tuple[str | None, dict, dict]] = {}

    def _state_of(self, session) -> tuple[str | None, dict, dict]:
        return self._states.get(database_key(session), (None, {}, {}))

    def _load(self, session, stamp: str) -> tuple[str, dict, dict]:
        by_role: dict[int, set] = {}
        for role_id, permission, view in session.execute(_pairs_query()):
            by_role.setdefault(role_id, set()).add((permission, view))
        names = dict(session.execute(sa.select(Role.name, Role.id)).all())
        state = (stamp, {k: frozenset(v) for k, v in by_role.items()}, names)
        self._states = {**self._states, database_key(session): state}
        return state

    def of_roles(self, session, role_ids) -> frozenset:
        """The union of the pairs of ``role_ids``."""
        key = frozenset(role_ids)
        memo = request_memo()
        if memo is not None and ("pairs", key) in memo:
            return memo["pairs", key]
        stamp = current_stamp(session)
        if stamp is None:
            pairs = frozenset(
                (permission, view) for _, permission, view in session.execute(_pairs_query(key))
            )
        else:
            state = self._state_of(session)
            if state[0] != stamp:
                state = self._load(session, stamp)
            pairs = frozenset().union(*(state[1].get(role_id, ()) for role_id in key))
        if memo is not None:
            memo["pairs", key] = pairs
        return pairs

    def of_role_named(self, session, name: str) -> frozenset:
        """The pairs of the role called ``name`` (the Public role of anonymous visitors)."""
        stamp = current_stamp(session)
        state = self._state_of(session)
        if stamp is not None and state[0] != stamp:
            state = self._load(session, stamp)
        if stamp is None:
            role_id = session.execute(sa.select(Role.id).where(Role.name == name)).scalar()
        else:
            role_id = state[2].get(name)
        return frozenset() if role_id is None else self.of_roles(session, [role_id])

    def clear(self) -> None:
        self._states = {}


ROLE_PERMISSIONS = RolePermissions()
