"""Process-wide caches (role permissions, calendar and settings, the navbar) are kept per
database: a process serving two apps (the tests; bench/scale.py --paired) neither mixes their
values nor reloads them at every request when requests alternate between the two."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.permission_cache import ROLE_PERMISSIONS, database_key
from tests import factories
from tests.conftest import wipe


def _statements(app, client, url: str) -> list[str]:
    seen: list[str] = []

    def capture(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return seen


def test_two_databases_keep_their_own_cached_permissions(pg_app, sqlite_app, login):
    clients = []
    for app in (pg_app, sqlite_app):
        wipe(app)
        with app.app_context():
            factories.staff("cache_admin", "Admin", None)
            db.session.commit()
            clients.append(login(app.test_client(), "cache_admin"))
    try:
        url = "/caseview/list/"
        for app, client in zip((pg_app, sqlite_app), clients, strict=True):
            with app.app_context():
                client.get(url)  # warm: each database's permissions, calendar and menu
        keys = set(ROLE_PERMISSIONS._states)
        for app in (pg_app, sqlite_app):
            with app.app_context():
                assert database_key(db.session) in keys
        # Alternating: no request reloads the role permissions (the pairs of every role).
        for _ in range(2):
            for app, client in zip((pg_app, sqlite_app), clients, strict=True):
                with app.app_context():
                    seen = _statements(app, client, url)
                reloads = [
                    s
                    for s in seen
                    if s.lstrip().startswith("SELECT ab_permission_view_role.role_id")
                    and "WHERE" not in s
                ]
                assert not reloads, seen
    finally:
        for app in (pg_app, sqlite_app):
            wipe(app)
