"""Exactly once, nothing lost, with real Celery worker processes on Redis and PostgreSQL.

- Two sweeps in two workers and an operator's ``run-due`` at the same moment: one reminder per
  recipient.
- A worker SIGKILLed in the middle of a batch of SMS, then restarted: every message delivered,
  none twice (the sink), and an HTTP gateway sees every message with one idempotency key each.
- The quiet hours defer an SMS in the worker; it stays pending.
- Redis down: a user's save succeeds at once; a later sweep delivers what it queued.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import redis
import sqlalchemy as sa

import tests.test_case_page as case_page
import tests.test_worker as worker
from app import models as m
from app import settings
from app.domain import clock
from app.enums import NotificationChannel, NotificationStatus
from app.extensions import db
from app.reminders import outbox
from app.reminders.models import SmsSinkMessage
from tests import factories
from tests.conftest import PG_URL, REDIS_URL, build_app
from tests.test_reminders_delivery import Gateway
from tests.test_reminders_helpers import at, make_people, notifications, running_case

pytestmark = pytest.mark.slow
ROOT = worker.ROOT


@pytest.fixture(autouse=True)
def _clean_broker(app):
    clock.set_fixed(None)
    broker = redis.Redis.from_url(REDIS_URL)
    broker.delete("celery")
    app.config["SMS_GATEWAY"] = None
    yield
    clock.set_fixed(None)
    app.config["SMS_GATEWAY"] = None
    broker.delete("celery")


@pytest.fixture
def people(tree):
    return make_people(tree)


@pytest.fixture
def workers(tmp_path):
    """start(**env) starts a real worker; every one is stopped at the end."""
    started = []

    def start(**env):
        proc = worker.start_worker(
            {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL, **env}, tmp_path
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            worker.stop_worker(proc)


def no_quiet_hours():
    settings.set_value(db.session, "sms.quiet_start_hour", 0)
    settings.set_value(db.session, "sms.quiet_end_hour", 0)
    settings.set_value(db.session, "notifications.redispatch_minutes", 0)
    db.session.commit()


def wait_for(predicate, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        db.session.rollback()
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_workers(app, count):
    celery = app.extensions["celery"]
    wait_for(lambda: len(celery.control.ping(timeout=0.5) or []) >= count, 60, "workers")


def sink_count() -> int:
    return db.session.execute(sa.select(sa.func.count(SmsSinkMessage.id))).scalar_one()


def sent_count() -> int:
    return db.session.execute(
        sa.select(sa.func.count(m.Notification.id)).where(
            m.Notification.status == NotificationStatus.SENT,
            m.Notification.channel == NotificationChannel.SMS,
        )
    ).scalar_one()


def queue_batch(n: int) -> list[int]:
    ids = [
        outbox.queue(
            db.session,
            dedup_key=f"batch:{i}",
            channel=NotificationChannel.SMS,
            kind="test",
            subject="batch",
            body=f"第{i}条",
            recipient_address=f"139{i:08d}",
        )
        for i in range(n)
    ]
    db.session.commit()  # the after-commit hook hands every id to Redis
    return ids


def kill(proc) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=20)


def test_two_sweeps_and_the_command_at_once_send_each_reminder_once(app, tree, people, workers):
    app.config["SMS_GATEWAY"] = "off"
    for _ in range(40):
        running_case(tree.village_a1, people.spec, promised_days=1)
    clock.set_fixed(None)
    moment = at(4, hour=8).isoformat()
    workers()
    workers()
    wait_workers(app, 2)
    celery = app.extensions["celery"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=PG_URL, REDIS_URL=REDIS_URL, SECRET_KEY="test-secret")
    command = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "reminders", "run-due", "--at", moment],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    results = [celery.send_task("reminders.sweep", kwargs={"at": moment}) for _ in range(2)]
    swept = [r.get(timeout=120) for r in results]
    output = command.communicate(timeout=120)[0].decode()
    assert command.returncode == 0, output
    from_command = [line for line in output.splitlines() if line.count("\t") == 5]

    rows = notifications()
    keys = [r.dedup_key for r in rows]
    assert len(keys) == len(set(keys))
    assert sum(s["queued"] for s in swept) + len(from_command) == len(rows)
    overdue = [r for r in rows if r.kind == "overdue"]
    assert len(overdue) == 40 * 2  # the specialist and the town's manager, once each
    per_recipient = Counter((r.case_id, r.recipient_id) for r in overdue)
    assert set(per_recipient.values()) == {1}


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(app, workers):
    no_quiet_hours()
    ids = queue_batch(300)
    proc = workers()
    wait_for(lambda: sink_count() >= 30, 90, "the first deliveries")
    kill(proc)
    delivered_before = sink_count()
    assert 30 <= delivered_before < 300, delivered_before

    workers()
    app.extensions["celery"].send_task("reminders.sweep")
    wait_for(lambda: sent_count() == 300, 120, "every message")
    sink = db.session.execute(sa.select(SmsSinkMessage.notification_id)).scalars().all()
    assert sorted(sink) == sorted(ids)  # each exactly once
    assert {r.status for r in notifications(kind="test")} == {NotificationStatus.SENT}


def test_an_http_gateway_gets_each_message_once_by_its_idempotency_key(app, workers):
    no_quiet_hours()
    gateway = Gateway()
    slow = gateway.RequestHandlerClass.do_POST

    def do_post(handler):
        time.sleep(0.15)
        slow(handler)

    gateway.RequestHandlerClass.do_POST = do_post
    ids = queue_batch(30)
    proc = workers(SMS_GATEWAY="http", SMS_HTTP_URL=gateway.url)
    wait_for(lambda: len(gateway.keys) >= 5, 90, "the first requests")
    kill(proc)
    workers(SMS_GATEWAY="http", SMS_HTTP_URL=gateway.url)
    app.extensions["celery"].send_task("reminders.sweep")
    wait_for(lambda: sent_count() == 30, 120, "every message")
    counts = Counter(gateway.keys)
    assert set(counts) == {f"bangban-notification-{i}" for i in ids}
    assert sum(n - 1 for n in counts.values()) <= 1  # at most the request cut by the kill
    gateway.shutdown()


def test_quiet_hours_defer_an_sms_in_the_worker(app, workers):
    tomorrow = dt.datetime.now(clock.TZ).date() + dt.timedelta(days=1)
    clock.set_fixed(dt.datetime.combine(tomorrow, dt.time(22, 30), clock.TZ))
    row_id = queue_batch(1)[0]
    clock.set_fixed(None)
    row = db.session.get(m.Notification, row_id)
    assert row.not_before == dt.datetime.combine(
        tomorrow + dt.timedelta(days=1), dt.time(8), clock.TZ
    )
    workers()
    result = app.extensions["celery"].send_task("notifications.deliver", args=[row_id])
    assert result.get(timeout=60) == "deferred"
    db.session.expire_all()
    row = db.session.get(m.Notification, row_id)
    assert row.status == NotificationStatus.PENDING and row.attempts == 0
    assert sink_count() == 0


def test_with_redis_down_a_save_succeeds_and_a_later_sweep_catches_up(
    app, tree, people, login, workers, tmp_path
):
    no_quiet_hours()
    item = factories.service_item(promised_days=3)
    case = factories.case(tree.village_a1, people.spec, item=item)
    broker = redis.Redis.from_url(REDIS_URL)
    dead = build_app(PG_URL, tmp_path / "dead", broker="redis://127.0.0.1:1/0")
    try:
        with dead.app_context():
            client = login(dead.test_client(), "spec_a1")
            started = time.monotonic()
            response = case_page.post_step(
                client, case.id, "confirm", {"process_explained": "y", "applicant_signed": "y"}
            )
            elapsed = time.monotonic() - started
            db.session.remove()
    finally:
        app.extensions["celery"].set_default()
    assert response.status_code == 302, response.text[:2000]
    assert elapsed < 5
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).status.value == "accepted"
    sms = notifications(channel=NotificationChannel.SMS)
    assert [s.status for s in sms] == [NotificationStatus.PENDING]
    assert broker.llen("celery") == 0  # the broker never got it

    workers()
    app.extensions["celery"].send_task("reminders.sweep")
    wait_for(lambda: sent_count() == 1, 90, "the catch-up")
    sink = db.session.execute(sa.select(SmsSinkMessage)).scalars().all()
    assert [s.notification_id for s in sink] == [sms[0].id] and case.number in sink[0].body


def test_an_appointment_sms_already_queued_is_withdrawn_when_the_appointment_is_cancelled(
    app, tree, workers
):
    """The day-before SMS of two appointments is written and handed to Redis; one appointment
    is then cancelled before any worker runs. The worker sends the other one's SMS and withdraws
    the cancelled one's: it re-checks the appointment when it sends."""
    from app.appointments import service
    from app.domain.calendar import seed_official_calendar
    from app.enums import AppointmentChannel, SlotPeriod
    from app.reminders import sweep

    no_quiet_hours()
    monday = dt.date(2026, 12, 7)
    clock.set_fixed(dt.datetime(2026, 12, 7, 10, 0, tzinfo=clock.TZ))
    seed_official_calendar(db.session, [2026])
    service.save_pattern(db.session, tree.town_a, {(1, SlotPeriod.MORNING): 5})
    kept, cancelled = (
        service.book(
            db.session,
            unit=tree.town_a,
            day=monday + dt.timedelta(days=1),
            period=SlotPeriod.MORNING,
            name="黄伯",
            mobile=mobile,
            channel=AppointmentChannel.STAFF,
        )
        for mobile in ("13900000011", "13900000012")
    )
    db.session.commit()
    sweep.run(db.session, clock.now(), dispatch=False, kinds={"appointment_sms"})
    assert redis.Redis.from_url(REDIS_URL).llen("celery") == 2  # both handed over, none sent
    service.cancel(db.session, service.lock(db.session, cancelled.id), None)
    db.session.commit()
    clock.set_fixed(None)

    workers()

    def settled():
        rows = (
            db.session.execute(
                sa.select(m.Notification)
                .where(m.Notification.kind == "appointment_sms")
                .order_by(m.Notification.recipient_address)
            )
            .scalars()
            .all()
        )
        return rows if all(r.status != NotificationStatus.PENDING for r in rows) else None

    sent, withdrawn = wait_for(settled, what="both reminders handled")
    assert (sent.recipient_address, sent.status) == ("13900000011", NotificationStatus.SENT)
    assert (withdrawn.recipient_address, withdrawn.status) == (
        "13900000012",
        NotificationStatus.WITHDRAWN,
    )
    assert "cancelled" in withdrawn.last_error and withdrawn.sent_at is None
    sunk = db.session.execute(sa.select(SmsSinkMessage.mobile)).scalars().all()
    assert sunk == ["13900000011"]
