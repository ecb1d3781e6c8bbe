"""The audit trail: every create, update and delete of cases, applicants, staff, units,
accounts, roles and permissions, with who, when, from which address, before and after.

Recorded by a session hook, so no screen, API or job can change an audited table without an
entry. The trail is append-only: the ORM refuses to change or delete an entry.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum

from flask import g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from app.domain import clock
from app.models import AuditLog
from app.settings import DEFAULTS

AUDITED_TABLES = {
    "service_case",
    "complaint",
    "applicant",
    "specialist",
    "org_unit",
    "department",
    "service_item",
    "ab_user",
    "ab_role",
    "ab_permission_view",
    "sms_template",  # the wording of the SMS to applicants
    "periodic_report",  # written reports (月报 / 季报): drafted, edited, finalised; exports too
}
# Tables audited for some rows only: the settings table holds the business knobs (audited, the
# SMS signature among them) and each user's language preference (not audited).
AUDITED_ROWS = {"app_setting": lambda obj: _is_knob(obj)}
# Never copied into the trail.
SECRET_COLUMNS = {"password"}
# Counted, not written by anyone, and large: the trail notes that they changed (with the
# time they were counted, a column of its own), not their whole content.
DERIVED_COLUMNS = {"periodic_report": {"figures"}}
# Collections whose membership is part of a row's state (roles of a user, permissions of a role).
AUDITED_COLLECTIONS = {"ab_user": ("roles",), "ab_role": ("permissions",)}


def _is_knob(obj) -> bool:
    return getattr(obj, "key", None) in DEFAULTS


def audited(obj) -> bool:
    """Whether a change of ``obj`` goes into the trail."""
    table = getattr(obj, "__tablename__", None)
    if table in AUDITED_TABLES:
        return True
    check = AUDITED_ROWS.get(table)
    return check is not None and check(obj)


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool, dict)):
        return value
    return str(value)


def _actor():
    if not has_request_context():
        return None, "system", ""
    user = getattr(g, "user", None)
    # The peer's address (behind trusted proxies, ProxyFix has put the client's there): a
    # client's own X-Forwarded-For header is not believed.
    ip = request.remote_addr or ""
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, user.username, ip
    return None, "anonymous", ip


def write_entry(
    session: Session, *, action: str, table_name: str, row_id: str = "", before=None, after=None
) -> None:
    """Add one entry (for actions the hook cannot see: reveals, locks, imports)."""
    user_id, username, ip = _actor()
    session.add(
        AuditLog(
            at=clock.now(),
            user_id=user_id,
            username=username[:100],
            ip=ip[:64],
            action=action,
            table_name=table_name,
            row_id=str(row_id)[:40],
            before=before,
            after=after,
        )
    )


def _columns(obj) -> dict:
    state = inspect(obj)
    derived = DERIVED_COLUMNS.get(obj.__table__.name, ())
    return {
        attr.key: "(counted)" if attr.key in derived else _plain(getattr(obj, attr.key))
        for attr in state.mapper.column_attrs
        if attr.key not in SECRET_COLUMNS
    }


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    derived = DERIVED_COLUMNS.get(obj.__table__.name, ())
    for attr in state.mapper.column_attrs:
        if attr.key in derived:
            if state.attrs[attr.key].history.has_changes():
                before[attr.key], after[attr.key] = "(counted)", "(counted again)"
            continue
        if attr.key in SECRET_COLUMNS:
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                before[attr.key], after[attr.key] = "***", "*** (changed)"
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            before[attr.key] = _plain(hist.deleted[0]) if hist.deleted else None
            after[attr.key] = _plain(hist.added[0]) if hist.added else None
    _relation_changes(state, before, after)
    for name in AUDITED_COLLECTIONS.get(obj.__table__.name, ()):
        hist = state.attrs[name].history
        if hist.has_changes():
            # A role by its name (its str() is the translated label people read).
            before[name] = sorted(str(getattr(x, "name", x)) for x in (hist.deleted or [])) or []
            after[name] = sorted(str(getattr(x, "name", x)) for x in (hist.added or [])) or []
    return before, after


def _described(related) -> dict | None:
    if related is None:
        return None
    identity = inspect(related).identity
    return {"id": identity[0] if identity else None, "name": str(related)}


def _relation_changes(state, before: dict, after: dict) -> None:
    """Many-to-one assignments (``case.specialist = x``) with ids and names.

    In before_flush a relationship set on the object has not yet been copied to its foreign
    key column, so the column history alone misses it: read the relationship's history too.
    """
    for relation in state.mapper.relationships:
        if relation.direction.name != "MANYTOONE" or relation.secondary is not None:
            continue
        hist = state.attrs[relation.key].history
        if not hist.added:
            continue
        old = hist.deleted[0] if hist.deleted else _loaded_before(state, relation)
        new = hist.added[0]
        if old is new:
            continue
        before[relation.key], after[relation.key] = _described(old), _described(new)
        for column in relation.local_columns:
            if column.key not in after:
                before[column.key] = (before[relation.key] or {}).get("id")
                after[column.key] = (after[relation.key] or {}).get("id")


def _loaded_before(state, relation):
    """The row the foreign key pointed to before, when the relationship was never loaded."""

    (column,) = relation.local_columns
    old_id = getattr(state.obj(), column.key, None)
    if old_id is None:
        return None
    session = object_session(state.obj())
    return session.get(relation.mapper.class_, old_id) if session is not None else None


def _row_id(obj) -> str:
    identity = inspect(obj).identity
    return ",".join(str(v) for v in identity) if identity else ""


def _before_flush(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditLog):
            raise PermissionError("the audit trail is append-only")
    pending = session.info.setdefault("audit_pending", [])
    for obj in list(session.deleted):
        if audited(obj):
            pending.append(("delete", obj, _columns(obj), None))
    for obj in list(session.dirty):
        table = getattr(obj, "__tablename__", None)
        if audited(obj) and session.is_modified(obj, include_collections=True):
            before, after = _changes(obj)
            if before or after:
                write_entry(
                    session,
                    action="update",
                    table_name=table,
                    row_id=_row_id(obj),
                    before=before,
                    after=after,
                )
    for obj in list(session.new):
        if audited(obj):
            pending.append(("create", obj, None, None))
    for _action, obj, before, _ in [p for p in pending if p[0] == "delete"]:
        write_entry(
            session,
            action="delete",
            table_name=obj.__tablename__,
            row_id=_row_id(obj),
            before=before,
        )
    session.info["audit_pending"] = [p for p in pending if p[0] == "create"]


def _after_flush_postexec(session: Session, flush_context) -> None:
    pending = session.info.pop("audit_pending", [])
    for _action, obj, _before, _after in pending:
        # Ids exist now; the entry joins the same transaction (flushed with the next flush or
        # the commit's final flush).
        write_entry(
            session,
            action="create",
            table_name=obj.__tablename__,
            row_id=_row_id(obj),
            after=_columns(obj),
        )


def register(session_class=Session) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush_postexec", _after_flush_postexec)
