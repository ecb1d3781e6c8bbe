"""The migrations build the schema from empty to head, match the models, and go back down."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import PG_URL, build_app, recreate_pg_database


def _urls():
    base = sa.engine.make_url(PG_URL)
    # Beside the suite's own database, so parallel checkouts (their own TEST_DATABASE_URL) never
    # drop each other's migration database.
    pg = base.set(database=f"{base.database}_migrations")
    sqlite = f"sqlite:///{Path(tempfile.mkdtemp()) / 'mig.sqlite'}"
    return [pg.render_as_string(hide_password=False), sqlite]


@pytest.mark.parametrize("url", _urls(), ids=["postgresql", "sqlite"])
def test_upgrade_from_empty_matches_models_and_downgrades(url):
    import flask_migrate

    from app.extensions import db

    if url.startswith("postgresql"):
        recreate_pg_database(url)
    app = build_app(url, Path(tempfile.mkdtemp()))
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata
            )
        # kombu/celery tables of the embedded broker live in their own file, never here
        assert diff == [], diff
        flask_migrate.downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names())
        assert tables <= {"alembic_version"}
        flask_migrate.upgrade()
        assert "service_case" in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
