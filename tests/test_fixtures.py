"""The fixtures every test stands on: ``wipe`` leaves every domain table empty with its ids
starting at 1 again and keeps roles and permissions, on PostgreSQL (rows deleted, or truncated
when a test left many) and on SQLite."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import models as m
from app.extensions import db
from tests import conftest, factories


def _world() -> None:
    tree = factories.unit_tree()
    spec = factories.staff("wipe_spec", "Specialist", tree.town_a)
    factories.case(tree.town_a, spec)
    # A row made and removed again: its table is empty, its id sequence moved on.
    walk_in = m.WalkInHelp(unit=tree.town_a, kind="question")
    db.session.add(walk_in)
    db.session.commit()
    db.session.connection().execute(m.WalkInHelp.__table__.delete())  # past the ORM's guard
    db.session.commit()


def _assert_fresh(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                rows = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                if table.name in conftest.KEEP_TABLES:
                    if table.name in ("ab_role", "ab_permission_view"):
                        assert rows > 0, f"{table.name} lost its rows"
                else:
                    assert rows == 0, f"{table.name} still holds {rows} rows"
        tree = factories.unit_tree()
        assert tree.city.id == 1
        walk_in = m.WalkInHelp(unit=tree.town_a, kind="question")
        db.session.add(walk_in)
        db.session.commit()
        assert walk_in.id == 1
    conftest.wipe(app)


@pytest.mark.parametrize("many", [False, True], ids=["delete", "truncate"])
def test_wipe_empties_every_table_and_restarts_ids(pg_app, many):
    conftest.wipe(pg_app)
    with pg_app.app_context():
        _world()
        if many:  # past the bound: the TRUNCATE path
            unit = db.session.get(m.OrgUnit, 2)
            db.session.add_all(
                m.WalkInHelp(unit=unit, kind="question") for _ in range(conftest.DELETE_UP_TO)
            )
            db.session.commit()
    conftest.wipe(pg_app)
    _assert_fresh(pg_app)


def test_wipe_on_sqlite(sqlite_app):
    conftest.wipe(sqlite_app)
    with sqlite_app.app_context():
        _world()
    conftest.wipe(sqlite_app)
    _assert_fresh(sqlite_app)
