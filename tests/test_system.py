"""Health for load balancers, the System status screen, and a stalled database failing fast."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from app import jobs
from app import models as m
from app.domain import clock
from app.extensions import db
from tests import factories
from tests.conftest import PG_URL, build_app, wipe
from tests.factories import PASSWORD


def test_health_answers_without_a_log_in(app):
    response = app.test_client().get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] and body["database"]["ok"] and body["redis"]["ok"]
    assert "queue_depth" in body["redis"]


def test_health_is_503_when_the_database_is_gone(tmp_path):
    from app import create_app
    from config import TestConfig

    class Gone(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"
        INSTANCE_DIR = str(tmp_path)
        CELERY_BROKER_URL = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
        CELERY_RESULT_BACKEND = f"db+sqlite:///{tmp_path / 'results.sqlite'}"

    gone = create_app(Gone)
    started = time.monotonic()
    response = gone.test_client().get("/health")
    assert response.status_code == 503 and not response.get_json()["database"]["ok"]
    assert time.monotonic() - started < 10


def test_the_status_screen_shows_admins_every_check(app, tree, login):
    factories.staff("admin", "Admin", None)
    factories.staff("boss", "Manager", tree.city)
    admin = login(app.test_client(), "admin")
    page = admin.get("/system/status/")
    assert page.status_code == 200
    for check in ("database", "redis", "worker", "beat", "jobs", "calendar"):
        assert f'data-check="{check}"' in page.text
    assert 'data-check="worker" data-ok="0"' in page.text  # never seen
    jobs.record_beat("worker", "host-1")
    jobs.record_beat("beat", "jobs.maintain")
    stuck = m.BackgroundJob(
        kind="ledger_export",
        status="running",
        params={},
        started_at=clock.now() - dt_minutes(30),
        heartbeat_at=clock.now() - dt_minutes(30),
    )
    db.session.add(stuck)
    db.session.commit()
    page = admin.get("/system/status/")
    assert 'data-check="worker" data-ok="1"' in page.text
    assert 'data-check="beat" data-ok="1"' in page.text
    assert 'data-check="jobs" data-ok="0"' in page.text
    assert login(app.test_client(), "boss").get("/system/status/").status_code == 403


def dt_minutes(n: int):
    import datetime as dt

    return dt.timedelta(minutes=n)


def test_a_stalled_database_answers_503_within_the_statement_timeout(pg_app):
    instance = Path(tempfile.mkdtemp(prefix="bangban-stall-"))
    app = build_app(PG_URL, instance, DB_STATEMENT_TIMEOUT_MS=1500)
    wipe(app)
    with app.app_context():
        tree = factories.unit_tree()
        factories.staff("spec", "Specialist", tree.town_a)
        client = app.test_client()
        response = client.post("/login/", data={"username": "spec", "password": PASSWORD})
        assert response.status_code == 302
        assert client.get("/caseview/list/").status_code == 200
        from tests.apiclient import api_login

        api = api_login(app, "spec", language="zh")
        db.session.remove()  # the page's transaction (this test shares its app context)
        from flask import g

        for key in ("_login_user", "user", "_scope"):  # each request loads its own user
            g.pop(key, None)
        locker = db.engine.connect()
        locker.execute(sa.text("LOCK TABLE service_case IN ACCESS EXCLUSIVE MODE"))
        try:
            started = time.monotonic()
            stalled = client.get("/caseview/list/")
            elapsed = time.monotonic() - started
            started = time.monotonic()
            over_api = api.get("/api/v1/case/")
            api_elapsed = time.monotonic() - started
        finally:
            locker.rollback()
            locker.close()
        assert stalled.status_code == 503 and elapsed < 5, elapsed
        # The API too: 503 in the caller's language, not the 500 of FAB's catch-all.
        assert over_api.status_code == 503 and api_elapsed < 5, (over_api.text, api_elapsed)
        assert "数据库暂时没有响应" in over_api.json["message"]
        assert 'id="database-unavailable"' in stalled.text and "数据库" in stalled.text
        assert client.get("/caseview/list/").status_code == 200  # back once the lock is gone
        db.session.remove()
        db.engine.dispose()
    wipe(app)


def test_a_database_that_accepts_but_never_answers_fails_within_the_connect_timeout(tmp_path):
    """A stalled server (the TCP connection is taken, nothing ever answers): the health check
    and a page answer 503 within DB_CONNECT_TIMEOUT instead of hanging the worker."""
    import socket
    import threading

    from app import create_app
    from config import TestConfig

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_stay_silent() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_stay_silent, daemon=True)
    thread.start()

    class Stalled(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"postgresql+psycopg://postgres@127.0.0.1:{port}/stalled"
        DB_CONNECT_TIMEOUT = 2
        INSTANCE_DIR = str(tmp_path)
        CELERY_BROKER_URL = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
        CELERY_RESULT_BACKEND = f"db+sqlite:///{tmp_path / 'results.sqlite'}"

    try:
        stalled = create_app(Stalled)
        client = stalled.test_client()
        for path in ("/health", "/login/", "/progress/"):
            started = time.monotonic()
            response = client.get(path)
            elapsed = time.monotonic() - started
            assert response.status_code == 503, (path, response.status_code)
            assert elapsed < 2 * 2 + 3, (path, elapsed)  # a connect attempt or two, no hang
        assert held  # the server did take the connections: it stalled, it did not refuse
        page = client.get("/login/")
        assert 'id="database-unavailable"' in page.text and "Retry-After" in page.headers
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()
