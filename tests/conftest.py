"""Test fixtures: real PostgreSQL (and the SQLite path), schema built by the migrations.

Each backend gets one app per session; every test starts from empty domain tables (roles and
permissions are kept) and makes its own data with tests/factories.py, never the demo data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g, has_app_context

PG_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bangban_test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _per_worker(pg_url: str, redis_url: str, worker: str) -> tuple[str, str]:
    """Under pytest-xdist (``make test`` runs two processes) each worker has its own database
    (``<name>_gw1``) and its own Redis database (the given one counted down by the worker's
    number), so the processes never see each other's rows, queues or locks."""
    if not worker.startswith("gw"):
        return pg_url, redis_url
    index = int(worker[2:])
    pg = sa.engine.make_url(pg_url)
    pg = pg.set(database=f"{pg.database}_{worker}")
    base, _, number = redis_url.rpartition("/")
    if not number.isdigit():  # no database number given: database 0
        base, number = redis_url.rstrip("/"), "0"
    redis_db = (int(number) - index) % 16
    return pg.render_as_string(hide_password=False), f"{base}/{redis_db}"


PG_URL, REDIS_URL = _per_worker(PG_URL, REDIS_URL, os.environ.get("PYTEST_XDIST_WORKER", ""))
KEEP_TABLES = {
    "role_default_grant",
    "ab_permission",
    "ab_view_menu",
    "ab_permission_view",
    "ab_role",
    "ab_permission_view_role",
    "alembic_version",
    "security_stamp",  # follows the tables above (their triggers)
}


def recreate_pg_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
        # A commit need not wait for the disk (3-10 ms each on this kind of shared machine, and
        # the suite commits tens of thousands of times): every connection to the test database,
        # the Celery workers' too. Only a crash of the PostgreSQL server itself could lose
        # them, and no test crashes the server.
        conn.execute(sa.text(f'ALTER DATABASE "{target.database}" SET synchronous_commit = off'))
    admin.dispose()


def _sqlite_no_sync(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous = OFF")


def build_app(db_url: str, instance: Path, broker: str | None = None, **overrides):
    """An app on ``db_url`` with the schema migrated to head and the roles synchronised."""
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = db_url
        INSTANCE_DIR = str(instance)
        UPLOAD_FOLDER = str(instance / "uploads")
        CELERY_BROKER_URL = broker or f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
        CELERY_RESULT_BACKEND = (
            broker if broker else f"db+sqlite:///{instance / 'celery-results.sqlite'}"
        )
        # scrypt (FAB's default, kept in production: tests/test_staff.py) costs 0.15 s for every
        # account a test makes and every log-in; the suite makes thousands.
        FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    for key, value in overrides.items():
        setattr(Config, key, value)
    app = create_app(Config)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # The same for SQLite: commits without waiting for the disk (durability only).
            sa.event.listen(db.engine, "connect", _sqlite_no_sync)
            db.engine.dispose()
        flask_migrate.upgrade()
        app.appbuilder.sm.sync_roles_and_permissions()
        db.session.commit()
    return app


# Above this many rows in the tables to empty, one TRUNCATE is cheaper than DELETE (whose
# foreign-key checks cost per row).
DELETE_UP_TO = 2000
_OWNED_SEQUENCES: dict[str, list[str]] = {}


def _owned_sequences(conn, names: set[str]) -> list[str]:
    """The sequences (serial, identity) of the tables ``wipe`` empties, once a database."""
    key = conn.engine.url.render_as_string()
    if key not in _OWNED_SEQUENCES:
        rows = conn.execute(
            sa.text(
                "SELECT s.relname, t.relname FROM pg_class s"
                " JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid"
                " AND d.deptype IN ('a', 'i')"
                " JOIN pg_class t ON t.oid = d.refobjid"
                " WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace"
            )
        )
        _OWNED_SEQUENCES[key] = sorted(seq for seq, table in rows if table in names)
    return _OWNED_SEQUENCES[key]


def _wipe_pg(conn, tables) -> None:
    """What ``TRUNCATE … RESTART IDENTITY`` of every table did, touching only what a test used.

    TRUNCATE of the ~50 tables cost 0.3-1.4 s (new files for every table and index), twice a
    test. Instead, under the same locks: one query finds the tables holding rows (counted up to
    a bound), one the sequences that were used; those rows are deleted children first and
    those sequences restarted, so every table is empty and every id starts at 1 again, as
    before. A test that
    left many rows gets the TRUNCATE.
    """
    names = {t.name for t in tables}
    listed = ", ".join(f'"{t.name}"' for t in tables)
    # As TRUNCATE did: wait for every other transaction on these tables (a request thread, a
    # worker) to end, so that nothing it commits late survives the cleanup.
    conn.execute(sa.text(f"LOCK TABLE {listed} IN ACCESS EXCLUSIVE MODE"))
    counts = " UNION ALL ".join(
        f"SELECT '{t.name}', (SELECT count(*) FROM (SELECT 1 FROM \"{t.name}\""
        f" LIMIT {DELETE_UP_TO + 1}) AS r)"
        for t in tables
    )
    rows = {name: n for name, n in conn.execute(sa.text(counts)) if n}
    sequences = _owned_sequences(conn, names)
    used = (
        conn.execute(
            sa.text(
                "SELECT sequencename FROM pg_sequences"
                " WHERE schemaname = 'public' AND last_value IS NOT NULL"
                " AND sequencename = ANY(:names)"
            ),
            {"names": sequences},
        )
        .scalars()
        .all()
    )
    if sum(rows.values()) > DELETE_UP_TO:
        conn.execute(sa.text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
        return
    for table in reversed(tables):  # children before their parents
        if table.name in rows:
            conn.execute(table.delete())
    for sequence in used:
        conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def wipe(app) -> None:
    """Empty every table but roles and permissions (ids start at 1 again)."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        engine = db.engine
        tables = [t for t in db.metadata.sorted_tables if t.name not in KEEP_TABLES]
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                _wipe_pg(conn, tables)
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())


@pytest.fixture(scope="session")
def pg_app():
    recreate_pg_database(PG_URL)
    instance = Path(tempfile.mkdtemp(prefix="bangban-pg-"))
    app = build_app(PG_URL, instance, broker=REDIS_URL)
    yield app
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_app():
    instance = Path(tempfile.mkdtemp(prefix="bangban-sqlite-"))
    return build_app(f"sqlite:///{instance / 'test.sqlite'}", instance)


@pytest.fixture(params=["postgresql", "sqlite"])
def any_app(request):
    """Runs a test on both backends."""
    app = request.getfixturevalue("pg_app" if request.param == "postgresql" else "sqlite_app")
    wipe(app)
    with app.app_context():
        yield app
    wipe(app)


@pytest.fixture
def app(pg_app):
    """The PostgreSQL app, inside an app context, with empty domain tables."""
    wipe(pg_app)
    with pg_app.app_context():
        yield pg_app
    wipe(pg_app)


@pytest.fixture
def session(app):
    from app.extensions import db

    return db.session


@pytest.fixture
def tree(app):
    from tests import factories

    return factories.unit_tree()


@pytest.fixture
def login():
    """login(client, username) logs a test client in (password from factories)."""
    from tests.factories import PASSWORD

    def do(client, username: str, password: str = PASSWORD):
        # A fresh log-in. Not through /logout/: that ends every session of the account. A test's
        # app context shares ``g`` between requests, so its cached user goes too.
        client.delete_cookie("session")
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("user", None)
        response = client.post(
            "/login/", data={"username": username, "password": password}, follow_redirects=False
        )
        assert response.status_code == 302, response.text[:500]
        assert "/login" not in response.headers.get("Location", "")
        return client

    return do


# Files that take minutes (relative cost measured with --durations on this kind of machine). With
# ``--dist loadfile`` xdist hands whole files to the two processes; by default it orders them by
# their number of tests, which leaves the one-test giants (the scope matrix, the browser tour)
# for the end, where one process runs them while the other has nothing left. ``make test``
# passes ``--no-loadscope-reorder`` and the files are handed out heaviest first, so the end of
# the run is made of small files that even the two processes out. Only the order changes: a
# file missing here (or weighed wrong) still runs, it only balances less well. Files with a
# ``slow`` or ``browser`` test come before the rest too.
HEAVY_FILES = {
    "tests/test_malformed_input.py": 100,
    "tests/test_scope_screens.py": 90,
    "tests/test_scope_matrix.py": 85,
    "tests/test_i18n_crawl.py": 70,
    "tests/browser/test_screens.py": 65,
    "tests/test_api_schema.py": 60,
    "tests/test_jobs_lifecycle.py": 45,
    "tests/test_reminders_worker.py": 40,
    "tests/browser/test_journeys.py": 35,
    "tests/browser/test_screens_fit.py": 30,
}


def pytest_collection_modifyitems(config, items):
    def weight(item) -> int:
        path = item.nodeid.split("::")[0]
        if path in HEAVY_FILES:
            return HEAVY_FILES[path]
        return 10 if path in marked else 0

    marked = {
        item.nodeid.split("::")[0]
        for item in items
        if item.get_closest_marker("slow") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: -weight(item))  # stable: a file's tests stay together, in order
