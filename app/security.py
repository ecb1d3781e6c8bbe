"""Security manager: FAB's, with role setup as an explicit deploy step (Alembic owns the schema)."""

from __future__ import annotations

from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.security.sqla.manager import SecurityManager


class AppSecurityManager(SecurityManager):
    def sync_roles_and_permissions(self) -> None:
        """Create the built-in roles and every view's permissions (``flask sync-perms``).

        Run after ``flask db upgrade``; FAB's own create_db would build tables behind Alembic.
        """
        BaseSecurityManager.create_db(self)
        self.appbuilder.add_permissions(update_perms=True)
