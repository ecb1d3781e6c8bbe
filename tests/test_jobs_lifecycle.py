"""Background jobs under faults, with a Redis of our own stopped and started and real workers
killed with SIGKILL: every job ends done, or failed and retryable; no 500, no lost job, no
leftover temp file. Workers run with instance folders of their own (other hosts): the web
process serves what they made through the shared file store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import filestore
from app import jobs as lifecycle
from app import models as m
from app.domain import clock
from app.extensions import db
from tests import factories, ledger_world
from tests.conftest import PG_URL, build_app, wipe
from tests.factories import PASSWORD
from tests.test_imports import workbook
from tests.test_imports_views import upload
from tests.test_worker import start_worker, stop_worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, without persistence (a restart loses the queue)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("own redis did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def own_redis():
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def service_app(pg_app, own_redis):
    """The web app on the suite's database with broker, results and rate limits on our Redis."""
    instance = Path(tempfile.mkdtemp(prefix="bangban-web-"))
    app = build_app(
        PG_URL,
        instance,
        broker=own_redis.url,
        RATELIMIT_STORAGE_URI=own_redis.url,
        AUTH_RATE_LIMITED=True,
        JOB_STALE_SECONDS=2,
        JOB_REDISPATCH_SECONDS=1,
    )
    from flask import g

    def fresh_g() -> None:
        # The test keeps one app context open, which every request shares: each request must
        # start without the previous client's user (Flask-Login and the scope cache keep it in g).
        for key in ("_login_user", "_scope", "user"):
            g.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_g)
    wipe(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    wipe(app)


def new_villages(n: int = 30) -> list[dict]:
    """Stations under the test tree's 大江 (440781100) that do not exist yet."""
    return [
        {
            "code": f"4407811009{i:02d}",
            "name": f"新村{i}便民服务站",
            "tier": "village",
            "parent_code": "440781100",
            "active": True,
        }
        for i in range(n)
    ]


def log_in(client, username: str):
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    return client


def job(job_id: int) -> m.BackgroundJob:
    db.session.expire_all()
    return db.session.get(m.BackgroundJob, job_id)


def job_id_of(response) -> int:
    assert response.status_code == 302, response.text[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def wait_for(predicate, procs, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(stop_worker(proc))
        time.sleep(0.3)
    raise AssertionError("timed out: " + " / ".join(stop_worker(p)[-2000:] for p in procs))


def kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def worker(own_redis, instance: Path) -> subprocess.Popen:
    instance.mkdir(parents=True, exist_ok=True)
    return start_worker({"DATABASE_URL": PG_URL, "REDIS_URL": own_redis.url}, instance)


@pytest.mark.slow
def test_with_redis_down_the_front_door_works_and_jobs_wait_then_catch_up(
    service_app, own_redis, tmp_path
):
    app = service_app
    tree = factories.unit_tree()
    factories.staff("city_manager", "Manager", tree.city)
    factories.staff("admin", "Admin", None)
    own_redis.stop()

    # Log-in (page and API), the public progress inquiry and pages: no 500, no long wait.
    started = time.monotonic()
    manager = log_in(app.test_client(), "city_manager")
    assert manager.get("/ledger/list/").status_code == 200
    api = app.test_client().post(
        "/api/v1/security/login",
        json={"username": "city_manager", "password": PASSWORD, "provider": "db"},
    )
    assert api.status_code == 200 and api.json["access_token"]
    public = app.test_client()
    assert public.get("/progress/").status_code == 200
    assert public.post("/progress/", data={"number": "X", "mobile_tail": "1234"}).status_code == 200
    # The limits still hold during the outage (in this process's memory).
    codes = [
        public.post(
            "/progress/",
            data={"number": "X", "mobile_tail": "1234"},
            environ_base={"REMOTE_ADDR": "10.7.7.7"},
        ).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [200] * 10 and codes[10] == 429

    # A background export and an import: kept pending, the user told why, no 500.
    assert time.monotonic() - started < 20
    admin = log_in(app.test_client(), "admin")
    started = time.monotonic()
    export = manager.get("/ledger/export/xlsx", query_string={"background": "1"})
    export_id = job_id_of(export)
    imported = upload(admin, "units", workbook("units", {"units": new_villages(3)}))
    import_id = job_id_of(imported)
    assert time.monotonic() - started < 6  # no request waits on the broker's retries
    page = manager.get(f"/ledger/jobs/{export_id}")
    assert page.status_code == 200 and "后台服务暂时无法连接" in page.text
    assert "后台服务暂时无法连接" in admin.get(f"/imports/job/{import_id}").text
    for job_id in (export_id, import_id):
        assert job(job_id).status == "pending" and job(job_id).dispatched_at is None

    # A failed job retried on its page and over the API while Redis is down: kept, no 500.
    failed_ids = []
    for _ in range(2):
        failed = m.BackgroundJob(
            kind="ledger_export",
            user_id=job(export_id).user_id,
            status="failed",
            params=dict(job(export_id).params),
            result={"reason": lifecycle.WORKER_LOST},
            attempts=1,
        )
        db.session.add(failed)
        db.session.commit()
        failed_ids.append(failed.id)
    started = time.monotonic()
    retried = manager.post(f"/ledger/jobs/{failed_ids[0]}/retry", follow_redirects=True)
    assert retried.status_code == 200 and "后台服务暂时无法连接" in retried.text
    from tests.apiclient import api_login

    api_client = api_login(app, "city_manager", language="zh")
    answer = api_client.post(f"/api/v1/job/{failed_ids[1]}/retry")
    assert answer.status_code == 202 and answer.json["waiting_for_broker"] is True
    assert "后台服务暂时无法连接" in answer.json["message"]
    assert time.monotonic() - started < 15
    for job_id in failed_ids:
        assert job(job_id).status == "pending" and job(job_id).dispatched_at is None

    # Redis returns: the sweep (beat's jobs.maintain) hands them over, a worker runs them.
    own_redis.start()
    waiting = [export_id, import_id, *failed_ids]
    assert lifecycle.redispatch_pending(db.session) == waiting
    assert job(export_id).dispatched_at is not None
    proc = worker(own_redis, tmp_path / "worker-host")
    try:
        wait_for(lambda: all(job(i).status == "done" for i in waiting), [proc], timeout=180)
    finally:
        stop_worker(proc)
    download = manager.get(f"/ledger/jobs/{export_id}/file")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    assert job(import_id).result["created"] == 3


@pytest.mark.slow
def test_killed_workers_leave_failed_retryable_jobs_and_other_hosts_finish_them(
    service_app, own_redis, tmp_path
):
    app = service_app
    world = ledger_world.build()
    clock.set_fixed(None)
    ledger_world.bulk_cases(world.tree.city, world.city_manager, world.items[0], 20000)
    factories.staff("admin", "Admin", None)
    manager = log_in(app.test_client(), "city_manager")
    admin = log_in(app.test_client(), "admin")
    host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"

    # An export killed while writing its file.
    proc = worker(own_redis, host_a)
    try:
        export_id = job_id_of(manager.get("/ledger/export/xlsx", query_string={"background": "1"}))
        wait_for(lambda: job(export_id).processed > 0, [proc])
        # Hold the job's row: the worker's next progress write waits, mid-file.
        holder = db.engine.connect()
        holder.execute(
            sa.text("SELECT id FROM background_job WHERE id = :id FOR UPDATE"), {"id": export_id}
        )
        assert job(export_id).status == "running", job(export_id).status
        half_written = [p for p in (host_a / "jobs").rglob("*") if p.is_file()]
        assert half_written  # openpyxl's sheet, in the worker process's own temp folder
    finally:
        kill(proc)
        holder.rollback()
        holder.close()
    assert job(export_id).status == "running"

    # An import killed while it checks its rows (held on a lock the import needs).
    import_id = job_id_of(upload(admin, "units", workbook("units", {"units": new_villages()})))
    locker = db.engine.connect()
    locker.execute(sa.text("LOCK TABLE org_unit IN ACCESS EXCLUSIVE MODE"))
    proc = worker(own_redis, host_b)
    try:
        wait_for(lambda: job(import_id).status == "validating", [proc])
        time.sleep(1)
    finally:
        kill(proc)
        locker.rollback()
        locker.close()
    units_before = db.session.execute(sa.select(sa.func.count(m.OrgUnit.id))).scalar_one()

    # The reaper (beat's jobs.maintain) fails both once their heartbeat is old enough.
    time.sleep(2.5)
    assert lifecycle.reap(db.session) == [export_id, import_id]
    for job_id in (export_id, import_id):
        assert job(job_id).status == "failed" and job(job_id).result["reason"] == "worker_lost"
    units = db.session.execute(sa.select(sa.func.count(m.OrgUnit.id))).scalar_one()
    assert units == units_before  # nothing of the killed import was written
    page = manager.get(f"/ledger/jobs/{export_id}")
    assert "后台进程已停止" in page.text and 'id="job-retry"' in page.text
    page = admin.get(f"/imports/job/{import_id}")
    assert "后台进程已停止" in page.text and 'id="import-retry"' in page.text

    # Each host's worker restarts: the half-written file goes; both jobs run again and finish.
    procs = [worker(own_redis, host_a), worker(own_redis, host_b)]
    try:
        wait_for(lambda: not any(p.exists() for p in half_written), procs)
        assert manager.post(f"/ledger/jobs/{export_id}/retry").status_code == 302
        assert admin.post(f"/imports/job/{import_id}/retry").status_code == 302
        wait_for(
            lambda: job(export_id).status == "done" and job(import_id).status == "done",
            procs,
            timeout=180,
        )
    finally:
        outputs = [stop_worker(p) for p in procs]
    assert job(export_id).attempts == 2 and job(import_id).attempts == 2, outputs
    download = manager.get(f"/ledger/jobs/{export_id}/file")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    assert job(import_id).result["created"] == len(new_villages())
    report = admin.get(f"/imports/job/{import_id}/report")
    assert report.status_code == 200
    assert filestore.exists(job(export_id).file_name)
    for host in (host_a, host_b):  # nothing another process needs is on a host's disk
        assert not [p for p in (host / "jobs").rglob("*") if p.is_file()]
        assert not (host / "imports").exists() and not (host / "reports").exists()


@pytest.mark.slow
def test_jobs_lost_with_a_redis_restart_are_handed_over_again(service_app, own_redis, tmp_path):
    app = service_app
    factories.staff("admin", "Admin", None)
    admin = log_in(app.test_client(), "admin")
    factories.unit_tree()
    import_id = job_id_of(upload(admin, "units", workbook("units", {"units": new_villages(3)})))
    assert job(import_id).dispatched_at is not None  # handed over after the commit
    own_redis.stop()  # no persistence: the queued message is gone
    own_redis.start()
    time.sleep(1.2)  # JOB_REDISPATCH_SECONDS
    proc = worker(own_redis, tmp_path / "host")
    try:
        time.sleep(2)
        assert job(import_id).status == "pending"  # nothing told the worker
        assert lifecycle.redispatch_pending(db.session) == [import_id]
        wait_for(lambda: job(import_id).status == "done", [proc])
    finally:
        stop_worker(proc)
    assert "jobs.maintain" in {
        e["task"] for e in app.extensions["celery"].conf.beat_schedule.values()
    }


@pytest.mark.slow
def test_killed_summary_and_recompute_workers_leave_failed_jobs_retried_from_their_screens(
    service_app, own_redis, tmp_path
):
    from app.domain.recompute import stale_years
    from app.ledger.summaries import queue_due_summaries
    from tests.test_calendar import enter_2027

    app = service_app
    tree = factories.unit_tree()
    db.session.execute(
        sa.update(m.OrgUnit).where(m.OrgUnit.id != tree.city.id).values(active=False)
    )
    db.session.commit()
    factories.staff("city_manager", "Manager", tree.city)
    factories.staff("admin", "Admin", None)
    manager = log_in(app.test_client(), "city_manager")
    admin = log_in(app.test_client(), "admin")
    host_a, host_b = tmp_path / "host-a", tmp_path / "host-b"

    # A calendar recompute killed while it reads the open cases.
    assert enter_2027(admin).status_code == 302
    recompute_id = db.session.execute(
        sa.select(m.BackgroundJob.id).where(m.BackgroundJob.kind == "calendar_recompute")
    ).scalar_one()
    locker = db.engine.connect()
    locker.execute(sa.text("LOCK TABLE service_case IN ACCESS EXCLUSIVE MODE"))
    proc = worker(own_redis, host_b)
    try:
        wait_for(lambda: job(recompute_id).status == "running", [proc])
        time.sleep(1)
    finally:
        kill(proc)
        locker.rollback()
        locker.close()

    # A summary killed while it keeps its file (the file store's table held by another).
    summary_ids = queue_due_summaries(db.session, clock.today())
    db.session.commit()  # handed to the broker after this commit
    assert len(summary_ids) == 2 and all(job(i).dispatched_at for i in summary_ids)
    locker = db.engine.connect()
    locker.execute(sa.text("LOCK TABLE stored_file IN ACCESS EXCLUSIVE MODE"))
    proc = worker(own_redis, host_a)
    try:
        killed_summary = wait_for(
            lambda: next((i for i in summary_ids if job(i).status == "running"), None), [proc]
        )
        time.sleep(1)
    finally:
        kill(proc)
        locker.rollback()
        locker.close()
    assert job(killed_summary).status == "running" and job(recompute_id).status == "running"

    time.sleep(2.5)  # JOB_STALE_SECONDS: the reaper (beat's jobs.maintain) fails both
    assert sorted(lifecycle.reap(db.session)) == sorted([killed_summary, recompute_id])
    assert db.session.execute(sa.select(sa.func.count(m.SummaryReport.id))).scalar_one() == 0
    assert stale_years(db.session) == [2027]
    page = manager.get("/summaries/list/").text
    assert f'data-job-id="{killed_summary}" data-status="failed"' in page
    assert "后台进程已停止" in page
    page = admin.get("/calendar/").text
    assert "后台进程已停止" in page and 'id="calendar-retry"' in page

    # Retried from their screens; the hosts' workers restart and finish them.
    procs = [worker(own_redis, host_a), worker(own_redis, host_b)]
    try:
        assert manager.post(f"/summaries/jobs/{killed_summary}/retry").status_code == 302
        assert admin.post(f"/calendar/jobs/{recompute_id}/retry").status_code == 302
        wait_for(
            lambda: all(job(i).status == "done" for i in [*summary_ids, recompute_id]),
            procs,
            timeout=180,
        )
    finally:
        outputs = [stop_worker(p) for p in procs]
    assert job(killed_summary).attempts == 2 and job(recompute_id).attempts == 2, outputs
    assert stale_years(db.session) == []
    report_id = job(killed_summary).result["report_id"]
    download = manager.get(f"/summaries/download/{report_id}")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    for host in (host_a, host_b):  # nothing half-written left on either host
        assert not [p for p in (host / "jobs").rglob("*") if p.is_file()]
