"""A real Celery worker runs the ledger's background export and the periodic summaries."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.extensions import db
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.ledger.summaries import report_file
from app.scope import scope_for_user
from tests import ledger_world
from tests.conftest import PG_URL, REDIS_URL
from tests.test_worker import start_worker, stop_worker

pytestmark = pytest.mark.slow


def wait_for(predicate, proc, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(stop_worker(proc))
        time.sleep(0.5)
    raise AssertionError("timed out: " + stop_worker(proc))


def test_worker_exports_in_the_background_and_makes_the_summaries(app, login, tmp_path):
    world = ledger_world.build()
    clock.set_fixed(None)
    instance = Path(app.config["INSTANCE_DIR"])
    proc = start_worker({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}, instance)
    try:
        client = login(app.test_client(), "city_manager")
        response = client.get("/ledger/export/xlsx", query_string={"background": "1"})
        assert response.status_code == 302
        job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        status = wait_for(
            lambda: (
                (s := client.get(f"/ledger/jobs/{job_id}/status").get_json())["status"]
                in ("done", "failed")
                and s
            ),
            proc,
        )
        assert status["status"] == "done", status
        download = client.get(status["download"])
        path = tmp_path / "downloaded.xlsx"  # not the jobs folder: other tests check it is empty
        path.write_bytes(download.data)
        ws = openpyxl.load_workbook(path).worksheets[0]
        expected = [
            r.number
            for r in LedgerQuery(
                db.session, scope_for_user(world.city_manager.user), LedgerFilter()
            ).stream()
        ]
        assert [row[0].value for row in ws.iter_rows(min_row=4)] == expected

        celery = app.extensions["celery"]
        queued = celery.send_task("ledger.summaries_due").get(timeout=60)
        assert queued == 12  # 6 units x (last month, last quarter)
        wait_for(
            lambda: (
                db.session.execute(sa.select(sa.func.count(m.SummaryReport.id))).scalar_one() == 12
            ),
            proc,
        )
        assert celery.send_task("ledger.summaries_due").get(timeout=60) == 0
    finally:
        output = stop_worker(proc)
    reports = db.session.execute(sa.select(m.SummaryReport)).scalars().all()
    assert all(report_file(r) for r in reports), output
    notified = db.session.execute(
        sa.select(m.Notification.recipient_id).where(m.Notification.kind == "summary_ready")
    ).scalars()
    managers = [world.city_manager, world.town_a_manager, world.town_b_manager]
    assert sorted(notified) == sorted([s.user.id for s in managers] * 2)
