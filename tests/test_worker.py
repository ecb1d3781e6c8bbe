"""A real Celery worker runs the app's tasks: on Redis, and on the embedded SQLite broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import models as m
from app.extensions import db
from tests import factories
from tests.conftest import PG_URL, REDIS_URL, wipe

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def start_worker(env_extra: dict, instance: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(env_extra)
    env["INSTANCE_PATH"] = str(instance)
    env["SECRET_KEY"] = "test-secret"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_worker.celery",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen) -> str:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    return out.decode(errors="replace")


def admin_notifications() -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.execute(
            sa.select(m.Notification.dedup_key).where(m.Notification.kind == "calendar_coverage")
        ).scalars()
    )


def run_coverage_task(app, proc) -> int:
    celery = app.extensions["celery"]
    result = celery.send_task("calendar.check_coverage")
    try:
        return result.get(timeout=60)
    except Exception:
        raise AssertionError(stop_worker(proc)) from None


@pytest.mark.parametrize("backend", ["redis", "embedded"])
def test_worker_runs_calendar_coverage_exactly_once(pg_app, sqlite_app, backend, tmp_path):
    app = pg_app if backend == "redis" else sqlite_app
    wipe(app)
    with app.app_context():
        factories.staff("admin1", "Admin", None)
        if backend == "redis":
            env = {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}
            instance = tmp_path
        else:
            env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
            instance = Path(app.config["INSTANCE_DIR"])
        proc = start_worker(env, instance)
        try:
            first = run_coverage_task(app, proc)
            second = run_coverage_task(app, proc)
        finally:
            output = stop_worker(proc)
        assert first >= 1, output
        assert second == 0, output
        keys = admin_notifications()
        assert len(keys) == first
        assert all(key.startswith("calendar-coverage:") for key in keys)
    wipe(app)
