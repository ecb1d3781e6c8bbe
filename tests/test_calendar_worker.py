"""Beat warns about an unconfirmed calendar as soon as it starts, not one interval later."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests import factories
from tests.conftest import PG_URL, REDIS_URL
from tests.test_worker import ROOT, admin_notifications, start_worker, stop_worker

pytestmark = pytest.mark.slow


def start_beat(tmp_path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=PG_URL,
        REDIS_URL=REDIS_URL,
        INSTANCE_PATH=str(tmp_path),
        SECRET_KEY="test-secret",
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_worker.celery",
            "beat",
            "--loglevel=WARNING",
            "-s",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_beat_start_warns_admins_and_managers_at_once(app, tree, tmp_path):
    # No calendar at all: this year is missing, which is warned about whatever today is.
    factories.staff("admin1", "Admin", None)
    factories.staff("mgr1", "Manager", tree.town_a)
    factories.staff("spec1", "Specialist", tree.town_a)
    worker = start_worker({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}, tmp_path)
    beat = start_beat(tmp_path)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(admin_notifications()) < 2:
            time.sleep(1)
        keys = admin_notifications()
    finally:
        os.killpg(beat.pid, signal.SIGTERM)
        beat_output = beat.communicate(timeout=20)[0].decode(errors="replace")
        output = stop_worker(worker)
    assert len(keys) == 2, (keys, beat_output[-2000:], output[-2000:])
    assert all(key.startswith("calendar-coverage:") for key in keys)
