"""Sessions end: log-out and a password change end every session and token of the account.

Each account has a session version (``account_session``). A log-in stores the version in the
session cookie (``session["sv"]``) and in every JWT (claim ``sv``); each request compares it with
the account's current one, and a stale cookie or token no longer authenticates (the cookie's
user is not loaded; the token answers 401 as revoked, refresh tokens included). Log-out and a
password change raise the version; the session that changed its own password is carried over.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, has_request_context, session
from flask_babel import gettext as _
from flask_login import user_logged_in
from sqlalchemy.orm import joinedload

from app.api.errors import error_response
from app.extensions import db
from app.models import AccountSession, OrgUnit
from app.permission_cache import REFERENCE, SECURITY, remember_stamp, stamp_query
from app.scope import remember_unit, subtree_of_account, unit_of_account

SESSION_KEY = "sv"
CLAIM = "sv"


def version_of(db_session, user_id) -> int:
    if user_id is None:
        return 0
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return -1
    found = db_session.execute(
        sa.select(AccountSession.version).where(AccountSession.user_id == key)
    ).scalar_one_or_none()
    return found or 0


def end_all_sessions(db_session, user_id: int, *, keep_current: bool = False) -> int:
    """Raise the account's version (the caller commits). With ``keep_current`` the request's
    own session stays logged in under the new version."""
    row = db_session.get(AccountSession, user_id)
    if row is None:
        row = AccountSession(user_id=user_id, version=0)
        db_session.add(row)
    row.version = (row.version or 0) + 1
    if keep_current and has_request_context():
        session[SESSION_KEY] = row.version
    return row.version


def cookie_is_current(db_session, user_id) -> bool:
    """Whether this request's session cookie was issued under the account's current version."""
    return session.get(SESSION_KEY, 0) == version_of(db_session, user_id)


def load_with_versions(sm, pk):
    """The active account ``pk`` with its roles and groups, its session version, the security
    stamp (app/permission_cache.py) and its unit (the scope), in one statement:
    (user or None, session version)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None, 0
    if not 0 < key < 2**31:
        return None, 0
    user_model = sm.user_model
    version = sa.select(AccountSession.version).where(AccountSession.user_id == key)
    unit = unit_of_account(key).limit(1)
    # PostgreSQL: the unit's subtree too (the scope's unit ids, app/scope.py ``Scope.resolved``).
    pg = db.session.get_bind().dialect.name == "postgresql"
    subtree = subtree_of_account(key) if pg else ()
    row = (
        db.session.execute(
            sa.select(
                user_model,
                version.scalar_subquery(),
                stamp_query(SECURITY),
                stamp_query(REFERENCE),
                unit.with_only_columns(OrgUnit.id).scalar_subquery(),
                unit.with_only_columns(OrgUnit.path).scalar_subquery(),
                *subtree,
            )
            .where(user_model.id == key)
            .options(
                joinedload(user_model.roles),
                joinedload(user_model.groups).joinedload(sm.group_model.roles),
            )
        )
        .unique()
        .first()
    )
    if row is None:
        return None, 0
    user, found, stamp, reference, unit_id, path, *units = row
    remember_stamp(stamp, SECURITY)
    remember_stamp(reference, REFERENCE)
    remember_unit(user.id, unit_id, path, *units)  # the scope's unit (app/scope.py)
    if not user.is_active:
        return None, 0
    return user, found or 0


def init_sessions(app: Flask, appbuilder) -> None:

    sm = appbuilder.sm

    @sm.lm.user_loader
    def load_session_user(pk):
        """The session cookie's user, unless log-out or a password change ended the session."""
        user, version = load_with_versions(sm, pk)
        if user is not None and session.get(SESSION_KEY, 0) != version:
            return None
        return user

    @user_logged_in.connect_via(app)
    def remember_version(_sender, user, **_extra):
        session[SESSION_KEY] = version_of(db.session, user.id)

    jwt = appbuilder.sm.jwt_manager

    @jwt.additional_claims_loader
    def version_claim(identity):
        return {CLAIM: version_of(db.session, identity)}

    @jwt.token_in_blocklist_loader
    def token_revoked(_header, payload) -> bool:
        return payload.get(CLAIM, 0) != version_of(db.session, payload.get("sub"))

    @jwt.revoked_token_loader
    def revoked(_header, _payload):

        return error_response(401, _("The session has ended; log in again."))
