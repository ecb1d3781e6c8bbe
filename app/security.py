"""Security manager: FAB's, with role setup as an explicit deploy step (Alembic owns the schema)."""

from __future__ import annotations

from flask import abort, flash
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import (
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
)
from flask_babel import gettext as _


def _no_downloads(view_cls):
    """FAB's security views inherit a file route that fails on any name: answer 404 instead."""

    class Closed(view_cls):
        @expose("/download/<string:filename>")
        @has_access
        def download(self, filename):
            abort(404)

    Closed.__name__ = view_cls.__name__  # keep FAB's permission and endpoint names
    Closed.__qualname__ = view_cls.__qualname__
    return Closed


class AppSecurityManager(SecurityManager):
    userdbmodelview = _no_downloads(UserDBModelView)
    rolemodelview = _no_downloads(RoleModelView)
    groupmodelview = _no_downloads(UserGroupModelView)
    # FAB's user statistics chart loads Google Charts from the internet: not on an intranet.
    userstatschartview = None

    def sync_roles_and_permissions(self) -> None:
        """Create the built-in roles and every view's permissions (``flask sync-perms``).

        Run after ``flask db upgrade``; FAB's own create_db would build tables behind Alembic.
        """
        # Built-in roles are evaluated from FAB_ROLES in code; FAB's own create_db would also
        # write their regexes into the permission tables (and fail on long ones), so only the
        # role rows are created here.
        for name in list(self.builtin_roles) + [self.auth_role_admin, self.auth_role_public]:
            self.add_role(name)
        self.appbuilder.add_permissions(update_perms=True)

    def auth_user_db(self, username, password):
        """FAB's check, refused while the name is locked after repeated failures."""
        from app import hardening

        session = self.session
        if hardening.is_locked(session, username):
            flash(_("Too many failed log-ins: this account is locked for a while."), "warning")
            return None
        user = super().auth_user_db(username, password)
        if hardening.record_attempt(session, username, user is not None):
            flash(_("Too many failed log-ins: this account is locked for a while."), "warning")
        return user
