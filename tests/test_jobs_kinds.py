"""Every kind of background job has the same lifecycle: a periodic summary and the calendar's
recompute are jobs like an export or an import (claimed once, a heartbeat, failed by the reaper
with a reason the user reads, retried from their screen), and any job in the caller's scope is
read and retried over the REST API as on the screens."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import jobs
from app import models as m
from app.domain import clock
from app.domain.recompute import stale_years
from app.extensions import db
from app.ledger.summaries import JOB_KIND as SUMMARY
from app.ledger.summaries import queue_due_summaries, run_summary_job
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture(autouse=True)
def fresh_g(app):
    """The test's app context shares ``g`` between requests: each request here starts without
    the previous client's user (several users' clients take turns)."""
    from flask import g

    def forget() -> None:
        for key in ("_login_user", "_scope", "user"):
            g.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget)
    yield
    app.before_request_funcs[None].remove(forget)


def reload(job_id: int) -> m.BackgroundJob:
    db.session.expire_all()
    return db.session.get(m.BackgroundJob, job_id)


def worker_dies_while_running(job_id: int, kind: str) -> None:
    """What a SIGKILLed worker leaves: the job claimed, its heartbeat stopped long ago."""
    assert jobs.claim(
        db.session, job_id, kind_filter=m.BackgroundJob.kind == kind, running_status="running"
    )
    long_ago = clock.now() - dt.timedelta(hours=1)
    db.session.execute(
        sa.update(m.BackgroundJob)
        .where(m.BackgroundJob.id == job_id)
        .values(heartbeat_at=long_ago, started_at=long_ago)
    )
    db.session.commit()


def test_summaries_are_jobs_reaped_and_retried_from_the_summaries_screen(app, tree, login):
    factories.staff("city_boss", "Manager", tree.city)
    factories.staff("b_boss", "Manager", tree.town_b)
    clock.set_fixed(dt.datetime(2026, 7, 2, 9, 0, tzinfo=clock.TZ))
    try:
        queued = queue_due_summaries(db.session, clock.today())
        db.session.commit()
        assert len(queued) == 2 * 6  # a month and a quarter for each of the six units
        assert queue_due_summaries(db.session, clock.today()) == []  # no second job
        by_unit = {(reload(i).params["unit_id"], reload(i).params["period"]): i for i in queued}
        made = by_unit[(tree.town_a.id, "month")]
        lost = by_unit[(tree.village_a1.id, "quarter")]

        report_id = run_summary_job(db.session, made)
        assert reload(made).status == "done" and reload(made).result == {"report_id": report_id}
        assert run_summary_job(db.session, made) is None  # a second message is a no-op

        worker_dies_while_running(lost, SUMMARY)
        assert jobs.reap(db.session) == [lost]
        assert reload(lost).status == "failed" and jobs.can_retry(reload(lost))

        city = login(app.test_client(), "city_boss")
        page = city.get("/summaries/list/").text
        assert f'data-job-id="{lost}" data-status="failed"' in page
        assert "后台进程已停止" in page
        assert f"/summaries/jobs/{lost}/retry" in page
        # Town B's manager sees neither the job nor may retry it.
        other = login(app.test_client(), "b_boss")
        assert f'data-job-id="{lost}"' not in other.get("/summaries/list/").text
        assert other.post(f"/summaries/jobs/{lost}/retry").status_code == 404
        assert reload(lost).status == "failed"

        answer = city.post(f"/summaries/jobs/{lost}/retry")
        assert answer.status_code == 302
        assert reload(lost).status == "pending" and reload(lost).attempts == 1
        assert run_summary_job(db.session, lost) is not None
        assert reload(lost).status == "done" and reload(lost).attempts == 2
        assert city.post(f"/summaries/jobs/{lost}/retry").status_code == 302  # flashed, no 500
        assert reload(lost).status == "done"
    finally:
        clock.set_fixed(None)


def test_a_calendar_change_queues_a_recompute_job_reaped_and_retried_from_its_screen(
    app, tree, login
):
    from app.tasks import calendar as calendar_tasks
    from tests.test_calendar import enter_2027

    factories.staff("cal_admin", "Admin", None)
    admin = login(app.test_client(), "cal_admin")
    assert enter_2027(admin).status_code == 302
    [job] = db.session.execute(
        sa.select(m.BackgroundJob).where(m.BackgroundJob.kind == "calendar_recompute")
    ).scalars()
    assert job.status == "pending" and job.params == {"years": [2027]}
    assert stale_years(db.session) == [2027]

    worker_dies_while_running(job.id, "calendar_recompute")
    assert jobs.reap(db.session) == [job.id]
    page = admin.get("/calendar/").text
    assert 'id="calendar-recompute" data-status="failed"' in page
    assert "后台进程已停止" in page and 'id="calendar-retry"' in page

    assert admin.post(f"/calendar/jobs/{job.id}/retry").status_code == 302
    assert reload(job.id).status == "pending"
    calendar_tasks.recompute.run(job.id)  # the worker's task, run here in-process
    assert reload(job.id).status == "done" and reload(job.id).attempts == 2
    assert stale_years(db.session) == []
    assert 'id="calendar-retry"' not in admin.get("/calendar/").text

    # A recompute lost with its worker and never retried: the periodic check runs it again.
    enter_2027(admin, reference="国办发明电〔2026〕8号")
    second = max(
        db.session.execute(
            sa.select(m.BackgroundJob.id).where(m.BackgroundJob.kind == "calendar_recompute")
        ).scalars()
    )
    worker_dies_while_running(second, "calendar_recompute")
    jobs.reap(db.session)
    calendar_tasks.check_coverage.run()
    assert stale_years(db.session) == []
    latest = (
        db.session.execute(
            sa.select(m.BackgroundJob)
            .where(m.BackgroundJob.kind == "calendar_recompute")
            .order_by(m.BackgroundJob.id.desc())
        )
        .scalars()
        .first()
    )
    assert latest.id > second and latest.status == "done"


def test_jobs_are_read_and_retried_over_the_api_within_the_callers_scope(api_app, people, tree):
    def job(kind: str, owner, status: str = "failed", **params) -> int:
        row = m.BackgroundJob(
            kind=kind,
            user_id=owner.user.id if owner else None,
            status=status,
            params=params,
            result={"reason": jobs.WORKER_LOST} if status == "failed" else {},
            error="worker lost" if status == "failed" else "",
            attempts=1,
        )
        db.session.add(row)
        db.session.commit()
        return row.id

    own = job("ledger_export", people.manager, format="csv", filters={})
    running = job("ledger_export", people.manager, status="running")
    someone_elses = job("ledger_export", people.other, format="csv", filters={})
    town_a_summary = job(SUMMARY, None, unit_id=tree.village_a1.id, period="month")
    town_b_summary = job(SUMMARY, None, unit_id=tree.town_b.id, period="month")
    recompute = job("calendar_recompute", None, years=[2027])

    manager = api_login(api_app, "mgr_a", language="zh")
    listed = manager.get("/api/v1/job/")
    assert listed.status_code == 200, listed.text
    assert {row["id"] for row in listed.json["result"]} == {own, running, town_a_summary}
    shown = manager.get(f"/api/v1/job/{own}")
    assert shown.status_code == 200
    assert shown.json["result"]["retryable"] is True
    assert "后台进程已停止" in shown.json["result"]["reason"]
    for hidden in (someone_elses, town_b_summary, recompute):
        assert manager.get(f"/api/v1/job/{hidden}").status_code == 404
        assert manager.post(f"/api/v1/job/{hidden}/retry").status_code == 404
        assert reload(hidden).status == "failed"

    answer = manager.post(f"/api/v1/job/{own}/retry")
    assert answer.status_code == 202, answer.text
    assert answer.json["id"] == own and answer.json["status"] == "pending"
    assert reload(own).status == "pending"
    again = manager.post(f"/api/v1/job/{own}/retry")
    assert again.status_code == 409 and again.json["message"] == "只有失败的任务可以重新运行。"
    assert manager.post(f"/api/v1/job/{running}/retry").status_code == 409
    assert manager.post(f"/api/v1/job/{town_a_summary}/retry").status_code == 202
    assert manager.post("/api/v1/job/99999999/retry").status_code == 404

    admin = api_login(api_app, "admin_api")
    assert admin.post(f"/api/v1/job/{recompute}/retry").status_code == 202
    assert admin.get("/api/v1/job/").json["count"] == 6
    # Town B's specialist: their own export and their town's summary.
    other = api_login(api_app, "spec_b")
    listed = other.get("/api/v1/job/").json["result"]
    assert {r["id"] for r in listed} == {someone_elses, town_b_summary}
    spec = api_paths(api_app)
    assert "/api/v1/job/{pk}/retry" in spec["paths"]
    assert "202" in spec["paths"]["/api/v1/job/{pk}/retry"]["post"]["responses"]


def api_paths(app) -> dict:
    answer = api_login(app, "admin_api").get("/api/v1/_openapi")
    assert answer.status_code == 200, answer.text[:300]
    return answer.json
