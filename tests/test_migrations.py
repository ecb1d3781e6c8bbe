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


def test_the_desk_migration_fills_the_pinyin_of_existing_items():
    """0011_desk computes the full pinyin of items that existed before it (without app code)."""
    import flask_migrate

    from app.extensions import db

    app = build_app(
        f"sqlite:///{Path(tempfile.mkdtemp()) / 'desk.sqlite'}", Path(tempfile.mkdtemp())
    )
    with app.app_context():
        from alembic.script import ScriptDirectory

        migrations = Path(__file__).resolve().parents[1] / "migrations"
        before = ScriptDirectory(str(migrations)).get_revision("0011_desk").down_revision
        flask_migrate.downgrade(revision=before)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO department (id, code, name, active) VALUES (1, 'D', '民政局', 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO service_item (code, name, department_id, accept_city, accept_town,"
                    " accept_village, promised_days, legal_days, fee_note, needs_parallel, online,"
                    " mobile, self_service, keywords, pinyin_initials, active) VALUES"
                    " ('X1', '最低生活保障申请', 1, 1, 1, 1, 5, 10, '', 0, 0, 0, 0, '低保，救助',"
                    " 'zdshbzsq', 1)"
                )
            )
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            full = conn.execute(sa.text("SELECT pinyin_full FROM service_item")).scalar_one()
        from app.domain.text import pinyin_full, pinyin_initials
        from app.models import item_pinyin

        assert full == item_pinyin("最低生活保障申请", "低保，救助", pinyin_full, pinyin_initials)
        assert "dibao" in full and "zuidishenghuobaozhang" in full
        db.session.remove()
        db.engine.dispose()


def test_no_migration_imports_application_code():
    """A migration runs the same way forever: it never imports ``app`` (which changes after it)."""
    import ast

    offenders = []
    for path in sorted((Path(__file__).resolve().parents[1] / "migrations").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n == "app" or n.startswith("app.")]
    assert offenders == []


def test_the_pinyin_migration_fills_the_initials_of_existing_items():
    """0002 computes the pinyin initials of items that existed before it (without app code)."""
    import flask_migrate

    from app.extensions import db

    app = build_app(
        f"sqlite:///{Path(tempfile.mkdtemp()) / 'initials.sqlite'}", Path(tempfile.mkdtemp())
    )
    with app.app_context():
        flask_migrate.downgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO department (id, code, name, active) VALUES (1, 'D', '民政局', 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO service_item (code, name, department_id, accept_city, accept_town,"
                    " accept_village, promised_days, legal_days, fee_note, needs_parallel, online,"
                    " mobile, self_service, keywords, active) VALUES"
                    " ('X1', '最低生活保障申请', 1, 1, 1, 1, 5, 10, '', 0, 0, 0, 0, '', 1)"
                )
            )
        flask_migrate.upgrade(revision="0002")
        with db.engine.connect() as conn:
            initials = conn.execute(sa.text("SELECT pinyin_initials FROM service_item")).scalar()
        assert initials == "zdshbzsq"
        db.session.remove()
        db.engine.dispose()
