"""Reads that tolerate lag go to the replica when one is configured, the primary when it is down.

A second PostgreSQL database stands in for the replica: a copy of the primary taken before one
more case was added on the primary (the lag). The ledger and the dashboard read the copy; with
the replica unreachable they read the primary, and writes always go to the primary.
"""

from __future__ import annotations

import sqlalchemy as sa

from app import models as m
from app.extensions import db
from app.replica import _down_until
from tests import factories
from tests.conftest import PG_URL, recreate_pg_database
from tests.test_ledger_views import kpi

REPLICA_URL = (
    sa.engine.make_url(PG_URL)
    .set(database=f"{sa.engine.make_url(PG_URL).database}_replica")
    .render_as_string(hide_password=False)
)
DEAD_URL = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


def _copy_to_replica() -> None:
    """The replica as a copy of the primary's rows now (schema from the models)."""
    recreate_pg_database(REPLICA_URL)
    engine = sa.create_engine(REPLICA_URL)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            db.metadata.create_all(conn)
            for table in db.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in db.session.execute(sa.select(table))]
                if rows:
                    conn.execute(table.insert(), rows)
    finally:
        engine.dispose()


def _ledger_total(client) -> int:
    text = client.get("/ledger/list/?exact=1").text
    return int(text.split('id="ledger-total">')[1].split("<")[0])


def test_ledger_and_dashboard_read_the_replica_and_fall_back_to_the_primary(app, tree, login):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    factories.staff("boss_a", "Manager", tree.town_a)
    factories.case(tree.village_a1, spec)
    factories.case(tree.village_a1, spec)
    db.session.commit()
    _copy_to_replica()
    factories.case(tree.village_a1, spec)  # on the primary only: the replica lags behind
    db.session.commit()
    client = login(app.test_client(), "boss_a")
    try:
        assert _ledger_total(client) == 3  # no replica configured: the primary
        app.config["REPLICA_DATABASE_URL"] = REPLICA_URL
        assert _ledger_total(client) == 2
        dashboard = client.get("/dashboard/?period=all").text
        assert kpi(dashboard, "cases") == "2"
        # The case list is not a lag-tolerant read: it stays on the primary.
        assert client.get("/caseview/list/").text.count("/caseview/show/") >= 3

        app.config["REPLICA_DATABASE_URL"] = DEAD_URL
        assert _ledger_total(client) == 3  # replica down: the primary, no error
        assert DEAD_URL in _down_until  # and it is not tried again on every request
        assert client.get("/dashboard/?period=all").status_code == 200
    finally:
        app.config.pop("REPLICA_DATABASE_URL", None)
        _down_until.clear()
    count = db.session.execute(sa.select(sa.func.count(m.Case.id))).scalar_one()
    assert count == 3
