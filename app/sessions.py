"""Sessions end: log-out and a password change end every session and token of the account.

Each account has a session version (``account_session``). A log-in stores the version in the
session cookie (``session["sv"]``) and in every JWT (claim ``sv``); each request compares it with
the account's current one, and a stale cookie or token no longer authenticates (the cookie's
user is not loaded; the token answers 401 as revoked, refresh tokens included). Log-out and a
password change raise the version; the session that changed its own password is carried over.

Both paths load the account the same way, in one statement per request (``load_with_versions``):
the user with roles and groups, the session version, the security stamps and the scope's units.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request, session
from flask_babel import gettext as _
from flask_jwt_extended import decode_token
from flask_jwt_extended.config import config as jwt_config
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_login import user_logged_in
from jwt.exceptions import PyJWTError
from sqlalchemy.orm import joinedload

from app.api import API_PREFIX
from app.api.errors import error_response
from app.extensions import db
from app.models import AccountSession, OrgUnit
from app.permission_cache import (
    ACCOUNT,
    REFERENCE,
    SECURITY,
    remember_stamp,
    request_memo,
    stamp_query,
)
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
    (user or None, session version).

    Read once per request: the cookie's user loader, and the token's revocation check and user
    lookup (``init_sessions``), share the answer until the request writes (a flush or a commit
    forgets it, app/permission_cache.py)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None, 0
    if not 0 < key < 2**31:
        return None, 0
    memo = request_memo()
    if memo is not None and (ACCOUNT, key) in memo:
        return memo[ACCOUNT, key]
    found = _load_account(sm, key)
    if memo is not None:
        memo[ACCOUNT, key] = found
    return found


def _load_account(sm, key: int):
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

    @app.before_request
    def load_token_account() -> None:
        """An API request's bearer token: its account is loaded first, before FAB's first
        permission check (``is_item_public``) would read the security stamp alone. A token that
        does not decode is left to the checks below, which refuse it."""
        if not request.path.startswith(API_PREFIX):
            return
        token = _bearer_token()
        if token is None:
            return
        try:
            payload = decode_token(token)
        except (PyJWTError, JWTExtendedException):
            return
        load_with_versions(sm, payload.get("sub"))

    @jwt.token_in_blocklist_loader
    def token_revoked(_header, payload) -> bool:
        """A token issued under an older session version. An inactive or missing account is
        refused by the user lookup that follows (``load_token_user``)."""
        user, version = load_with_versions(sm, payload.get("sub"))
        return user is not None and payload.get(CLAIM, 0) != version

    @jwt.user_lookup_loader
    def load_token_user(_header, payload):
        """The token's active account (FAB's lookup, answered by the load above); None refuses
        the token."""
        user, _version = load_with_versions(sm, payload.get("sub"))
        if user is not None:
            g.user = user  # as FAB's own lookup does: the request's user
        return user

    @jwt.revoked_token_loader
    def revoked(_header, _payload):

        return error_response(401, _("The session has ended; log in again."))


def _bearer_token() -> str | None:
    """The token of the request's ``Authorization: Bearer …`` header (JWT's own settings)."""
    header = request.headers.get(jwt_config.header_name, "").strip().strip(",")
    kind = jwt_config.header_type
    if not kind:
        return header or None
    parts = header.split()
    if len(parts) == 2 and parts[0] == kind:
        return parts[1]
    return None
