"""An operator's sweep as of a future moment (``reminders run-due --at``) computes what is due
then, but writes only real times into the delivery bookkeeping."""

from __future__ import annotations

import datetime as dt

import pytest

from app import models as m
from app.domain import clock
from app.enums import NotificationChannel, NotificationStatus
from app.extensions import db
from app.reminders import outbox
from tests.test_reminders_helpers import make_people, notifications, running_case

FUTURE = "2027-06-01T10:00"


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


def queue_email(key: str) -> int:
    row_id = outbox.queue(
        db.session,
        dedup_key=key,
        channel=NotificationChannel.EMAIL,
        kind="test",
        subject="s",
        body="b",
        recipient_address="staff@example.invalid",
    )
    db.session.commit()
    return row_id


def test_a_future_sweep_never_stamps_a_future_time_and_a_lost_message_is_sent_again(app, tree):
    people = make_people(tree)
    running_case(tree.village_a1, people.spec, promised_days=1)  # overdue by 2027
    clock.set_fixed(None)
    lost = queue_email("lost:1")
    # Handed to the broker an hour ago and lost with it: due for a re-dispatch.
    row = db.session.get(m.Notification, lost)
    row.dispatched_at = clock.real_now() - dt.timedelta(hours=1)
    db.session.commit()

    before = clock.real_now()
    result = app.test_cli_runner().invoke(args=["reminders", "run-due", "--at", FUTURE])
    after = clock.real_now()
    assert result.exit_code == 0, result.output
    rows = notifications()
    assert any(r.kind == "overdue" for r in rows)  # computed as of 2027
    for r in rows:
        for stamp in (r.created_at, r.sent_at, r.dispatched_at, r.not_before):
            assert stamp is None or stamp <= after, (r.dedup_key, stamp)
    row = db.session.get(m.Notification, lost)
    assert before <= row.dispatched_at <= after
    assert row.status == NotificationStatus.PENDING

    # Lost again: the normal sweeps (real time) dispatch it again once the lease has run out,
    # not in June 2027. Eleven minutes pass (the stamp moves back, the clock is real).
    assert outbox.dispatch_pending(db.session) == []  # within the lease
    db.session.rollback()
    row = db.session.get(m.Notification, lost)
    row.dispatched_at -= dt.timedelta(minutes=11)
    db.session.commit()
    assert outbox.dispatch_pending(db.session) == [lost]
    db.session.commit()
