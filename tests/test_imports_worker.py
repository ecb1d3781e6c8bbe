"""A large import runs in a real Celery worker: the upload returns at once, progress moves."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import models as m
from app.extensions import db
from app.imports import jobs
from tests import factories
from tests.conftest import PG_URL, REDIS_URL, wipe
from tests.test_imports import workbook
from tests.test_imports_views import upload
from tests.test_worker import start_worker, stop_worker

pytestmark = pytest.mark.slow


def big_unit_rows(towns: int = 20, per_town: int = 1000) -> list[dict]:
    """The city, ``towns`` towns and ``per_town`` stations under each (20,021 rows)."""
    city = "440781"
    rows = [{"code": city, "name": "测试市政务服务中心", "tier": "city", "active": True}]
    for t in range(towns):
        town = f"4407812{t:02d}"
        rows.append(
            {
                "code": town,
                "name": f"第{t + 1}片区便民服务中心",
                "tier": "town",
                "parent_code": city,
            }
        )
        for v in range(per_town):
            rows.append(
                {
                    "code": f"{town}{v:04d}",
                    "name": f"第{t + 1}片区第{v + 1}村便民服务站",
                    "tier": "village",
                    "parent_code": town,
                    "address": f"台山市第{t + 1}片区第{v + 1}村委会",
                    "active": True,
                }
            )
    return rows


def test_a_large_file_is_imported_by_a_worker_with_a_moving_progress_bar(pg_app, login):
    wipe(pg_app)
    with pg_app.app_context():
        factories.staff("admin", "Admin", None)
        client = login(pg_app.test_client(), "admin")
        rows = big_unit_rows()
        data = workbook("units", {"units": rows})
        instance = Path(pg_app.config["INSTANCE_DIR"])
        proc = start_worker({"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL}, instance)
        samples: list[tuple[str, int, int]] = []
        try:
            started = time.monotonic()
            response = upload(client, "units", data, name="big.xlsx")
            upload_seconds = time.monotonic() - started
            assert response.status_code == 302
            job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
            deadline = time.monotonic() + 600
            status = {}
            while time.monotonic() < deadline:
                status = client.get(f"/imports/job/{job_id}/status").get_json()
                samples.append((status["status"], status["processed"], status["total"]))
                if status["finished"]:
                    break
                time.sleep(0.2)
            import_seconds = time.monotonic() - started
        finally:
            output = stop_worker(proc)
        assert status.get("status") == jobs.DONE, (status, output[-3000:])
        print(
            f"\n{len(rows)} rows, {len(data)} bytes: upload answered in {upload_seconds:.2f}s, "
            f"imported in {import_seconds:.1f}s, {len(samples)} polls"
        )
        assert upload_seconds < 5, upload_seconds  # the request does not wait for the import
        assert status["counts"]["created"] == len(rows)
        moving = {(s, p) for s, p, t in samples if s in (jobs.VALIDATING, jobs.WRITING)}
        assert any(0 < p < len(rows) for _s, p in moving), samples[:50]
        assert any(s == jobs.WRITING for s, _p in moving), samples[:50]

        db.session.expire_all()
        assert db.session.execute(sa.select(sa.func.count(m.OrgUnit.id))).scalar_one() == len(rows)
        village = db.session.execute(
            sa.select(m.OrgUnit).where(m.OrgUnit.code == "4407812190999")
        ).scalar_one()
        assert village.path == "/440781/440781219/4407812190999/"
        note = db.session.execute(
            sa.select(m.Notification).where(m.Notification.kind == "import_done")
        ).scalar_one()
        assert note.dedup_key == f"import:{job_id}"
        audit = db.session.execute(
            sa.select(m.AuditLog).where(m.AuditLog.action == "import")
        ).scalar_one()
        assert audit.after["created"] == len(rows) and audit.after["file"] == "big.xlsx"
    wipe(pg_app)
