"""Delivery and screens on PostgreSQL and Redis: the SMS sink, an HTTP gateway, SMTP, the broker
hand-over after commit, the notification centre, the case-list flags and the operator command."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading

import pytest
import redis
import sqlalchemy as sa
from flask import g

from app import models as m
from app import settings
from app.domain import clock, lifecycle
from app.enums import NotificationChannel, NotificationStatus
from app.extensions import db
from app.reminders import channels, outbox
from app.reminders.models import SmsSinkMessage
from tests import factories
from tests.conftest import REDIS_URL
from tests.test_reminders_helpers import MONDAY, at, make_people, notifications, running_case


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


@pytest.fixture
def people(tree):
    return make_people(tree)


@pytest.fixture
def config(app):
    """Set Flask config values for one test."""
    saved = {}

    def set_(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value

    yield set_
    for key, value in saved.items():
        app.config[key] = value


def queue_sms(key="sms:1", mobile="13900000000", body="测试短信") -> int:
    row_id = outbox.queue(
        db.session,
        dedup_key=key,
        channel=NotificationChannel.SMS,
        kind="test",
        subject="s",
        body=body,
        recipient_address=mobile,
    )
    db.session.commit()
    return row_id


class Gateway(http.server.ThreadingHTTPServer):
    """A small SMS gateway over HTTP: fails the first ``fail`` requests, records the rest."""

    def __init__(self, fail=0):
        self.fail = fail
        self.received: list[dict] = []
        self.keys: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805
                body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
                self.keys.append(handler.headers["Idempotency-Key"])
                if self.fail > 0:
                    self.fail -= 1
                    handler.send_response(503)
                    handler.end_headers()
                    handler.wfile.write(b"busy")
                    return
                self.received.append(body)
                handler.send_response(200)
                handler.end_headers()
                handler.wfile.write(b'{"ok": true}')

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


# ---------------------------------------------------------------- delivery


def test_sink_receives_each_sms_exactly_once(app, config):
    config(SMS_GATEWAY="sink")
    clock.set_fixed(at(0, hour=10))
    row_id = queue_sms()
    assert channels.deliver(db.session, row_id) == ("sent", 0)
    assert channels.deliver(db.session, row_id) == ("skipped", 0)
    sink = db.session.execute(sa.select(SmsSinkMessage)).scalars().all()
    assert [(s.notification_id, s.mobile, s.body) for s in sink] == [
        (row_id, "13900000000", "测试短信")
    ]
    row = db.session.get(m.Notification, row_id)
    assert row.status == NotificationStatus.SENT and row.attempts == 1


def test_quiet_hours_defer_delivery_and_nothing_is_dropped(app, config):
    config(SMS_GATEWAY="sink")
    clock.set_fixed(at(0, hour=20, minute=50))
    row_id = queue_sms()
    clock.set_fixed(at(0, hour=21, minute=10))  # the worker got to it after nine
    assert channels.deliver(db.session, row_id) == ("deferred", 0)
    row = db.session.get(m.Notification, row_id)
    assert row.status == NotificationStatus.PENDING and row.not_before == at(1, hour=8)
    assert row.attempts == 0
    clock.set_fixed(at(1, hour=7, minute=59))
    assert outbox.dispatch_pending(db.session) == []
    db.session.rollback()
    clock.set_fixed(at(1, hour=8, minute=2))
    assert outbox.dispatch_pending(db.session) == [row_id]
    db.session.commit()
    assert channels.deliver(db.session, row_id) == ("sent", 0)
    assert db.session.execute(sa.select(sa.func.count(SmsSinkMessage.id))).scalar_one() == 1


def test_http_gateway_retries_with_backoff_then_fails_and_an_admin_resends(app, config, login):
    gateway = Gateway(fail=3)
    config(SMS_GATEWAY="http", SMS_HTTP_URL=gateway.url)
    settings.set_value(db.session, "notifications.max_attempts", 3)
    factories.staff("admin1", "Admin", None)
    clock.set_fixed(at(0, hour=10))
    row_id = queue_sms()

    assert channels.deliver(db.session, row_id) == ("retry", 60)
    row = db.session.get(m.Notification, row_id)
    assert row.attempts == 1 and "503" in row.last_error
    assert row.not_before == at(0, hour=10, minute=1)
    clock.set_fixed(at(0, hour=10, minute=1))
    assert channels.deliver(db.session, row_id) == ("retry", 120)  # doubled
    clock.set_fixed(at(0, hour=10, minute=3))
    assert channels.deliver(db.session, row_id) == ("failed", 0)
    db.session.expire_all()
    assert db.session.get(m.Notification, row_id).status == NotificationStatus.FAILED

    client = login(app.test_client(), "admin1")
    listing = client.get("/notificationoutboxview/list/")
    assert listing.status_code == 200 and "13900000000" in listing.text
    response = client.post(
        "/notificationoutboxview/action_post", data={"action": "resend", "rowid": [row_id]}
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(m.Notification, row_id)
    assert row.status == NotificationStatus.PENDING and row.attempts == 0
    assert channels.deliver(db.session, row_id) == ("sent", 0)
    assert [r["mobile"] for r in gateway.received] == ["13900000000"]
    assert set(gateway.keys) == {f"bangban-notification-{row_id}"}
    gateway.shutdown()


def test_email_goes_to_staff_over_smtp_when_configured(app, tree, people, config):
    from aiosmtpd.controller import Controller

    class Inbox:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.messages.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        people.spec.email = "spec@example.test"
        db.session.commit()
        case = running_case(tree.village_a1, people.spec, promised_days=1)
        assert not channels.email_enabled()
        config(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_FROM="bangban@example.test")
        from app.reminders import sweep

        result = sweep.run(db.session, at(3), dispatch=False, kinds={"overdue"})
        emails = [q for q in result.queued if q.channel == "email"]
        assert [q.recipient for q in emails] == ["员工spec_a1"]  # mgr_a has no address
        assert channels.deliver(db.session, emails[0].id) == ("sent", 0)
        assert len(inbox.messages) == 1
        message = inbox.messages[0]
        assert message.rcpt_tos == ["spec@example.test"]
        import email
        from email import policy

        parsed = email.message_from_bytes(message.content, policy=policy.default)
        assert parsed["Message-ID"] == f"<bangban-notification-{emails[0].id}@example.test>"
        assert case.number in parsed["Subject"] and case.number in parsed.get_content()
    finally:
        controller.stop()


# ---------------------------------------------------------------- hand-over to the broker


def test_messages_reach_the_broker_only_after_commit(app, tree, people):
    broker = redis.Redis.from_url(REDIS_URL)
    broker.delete("celery")
    clock.set_fixed(at(0, hour=10))
    item = factories.service_item(promised_days=3)
    case = factories.case(tree.village_a1, people.spec, item=item)
    lifecycle.confirm(
        db.session, case, people.spec.user, process_explained=True, applicant_signed=True
    )
    db.session.flush()
    assert broker.llen("celery") == 0  # written, not yet committed: nothing sent
    db.session.commit()
    messages = [json.loads(raw) for raw in broker.lrange("celery", 0, -1)]
    assert [msg["headers"]["task"] for msg in messages] == ["notifications.deliver"]
    sms = notifications(channel=NotificationChannel.SMS)
    assert messages[0]["headers"]["argsrepr"] == f"[{sms[0].id}]"
    lifecycle.submit(db.session, case, people.spec.user)
    db.session.rollback()
    assert broker.llen("celery") == 1  # a rolled-back step sends nothing
    broker.delete("celery")


# ---------------------------------------------------------------- screens


def test_notification_centre_bell_list_mark_read_and_link(app, tree, people, login):
    case = running_case(tree.village_a1, people.spec, promised_days=1)
    from app.reminders import sweep

    sweep.run(db.session, at(3), dispatch=False, kinds={"overdue"})
    clock.set_fixed(None)
    mine = notifications(recipient_id=people.spec.user.id)
    theirs = notifications(recipient_id=people.mgr_a.user.id)
    client = login(app.test_client(), "spec_a1")

    home = client.get("/")
    assert 'id="notification-bell"' in home.text
    assert '<span class="badge" id="notification-unread"' in home.text
    assert client.get("/notifications/count").json == {"unread": 1}

    page = client.get("/notifications/")
    assert page.status_code == 200
    assert f'data-id="{mine[0].id}"' in page.text and f'data-id="{theirs[0].id}"' not in page.text
    assert case.number in page.text

    assert client.get(f"/notifications/open/{theirs[0].id}").status_code == 404
    assert client.post(f"/notifications/read/{theirs[0].id}").status_code == 404
    opened = client.get(f"/notifications/open/{mine[0].id}")
    assert opened.status_code == 302 and f"/caseview/show/{case.id}" in opened.location
    assert client.get("/notifications/count").json == {"unread": 0}
    assert 'id="notification-unread"' not in client.get("/").text
    db.session.expire_all()
    assert db.session.get(m.Notification, theirs[0].id).read_at is None

    manager = login(app.test_client(), "mgr_a")
    assert manager.get("/notifications/count").json == {"unread": 1}
    assert manager.post("/notifications/read-all").status_code == 302
    assert manager.get("/notifications/count").json == {"unread": 0}


def test_case_list_flags_overdue_red_and_due_soon_yellow(app, tree, people, login):
    overdue = running_case(tree.village_a1, people.spec, when=MONDAY - dt.timedelta(days=14))
    soon = running_case(tree.village_a1, people.spec, when=at(0), promised_days=1)
    later = running_case(tree.village_a1, people.spec, when=at(0), promised_days=10)
    done = running_case(tree.village_a1, people.spec, when=MONDAY - dt.timedelta(days=14))
    clock.set_fixed(MONDAY - dt.timedelta(days=13))
    lifecycle.complete(
        db.session, done, people.spec.user, results="证照", materials_returned="", signed_by="甲"
    )
    db.session.commit()
    clock.set_fixed(at(0, hour=10))
    client = login(app.test_client(), "spec_a1")
    page = client.get("/caseview/list/?psize_CaseView=50").text
    rows = {
        c.number: page.split(c.number, 1)[1].split("</tr>", 1)[0]
        for c in (overdue, soon, later, done)
    }
    assert "due-overdue" in rows[overdue.number]
    assert "due-soon" in rows[soon.number]
    assert "due-flag" not in rows[later.number]
    assert "due-flag" not in rows[done.number]  # ended: no flag even though the date passed


# ---------------------------------------------------------------- operator command


def test_run_due_command_prints_what_it_queued_once(app, tree, people):
    case = running_case(tree.village_a1, people.spec, promised_days=1)
    clock.set_fixed(None)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "run-due", "--at", "2026-06-11T09:30"])
    assert first.exit_code == 0, first.output
    lines = [line.split("\t") for line in first.output.splitlines() if "\t" in line]
    overdue = [line for line in lines if line[1] == "overdue"]
    assert {(line[2], line[4]) for line in overdue} == {("app", case.number)}
    assert len(overdue) == 2
    second = runner.invoke(args=["reminders", "run-due", "--at", "2026-06-11T10:00"])
    assert second.exit_code == 0 and " 0 notifications queued" in second.output
    bad = runner.invoke(args=["reminders", "run-due", "--at", "yesterday"])
    assert bad.exit_code != 0


def test_notifications_go_through_the_scope(app, tree, people, login):
    running_case(tree.village_a1, people.spec, promised_days=1)
    from app.reminders import sweep

    sweep.run(db.session, at(3), dispatch=False, kinds={"overdue"})
    clock.set_fixed(None)
    note = notifications(recipient_id=people.spec.user.id)[0]
    client = login(app.test_client(), "spec_a1")
    assert client.get("/notifications/count").json == {"unread": 1}
    people.spec.active = False  # no unit any more: sees no case data, notifications included
    db.session.commit()
    g.pop("_scope", None)  # the test's app context (and its g) outlives a request
    assert client.get("/notifications/count").json == {"unread": 0}
    assert client.get(f"/notifications/open/{note.id}").status_code == 404
    assert f'data-id="{note.id}"' not in client.get("/notifications/").text
