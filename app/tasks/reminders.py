"""Reminder tasks: the periodic sweep and the delivery of one notification.

Explicit names, ids in, state reloaded from the database. Both acknowledge late (a worker that
dies mid-task leaves the message to be redelivered) and are idempotent: the sweep writes each
reminder under a unique key, and delivery claims its row before sending and marks it sent in
the same transaction. A database outage retries with back-off; a channel failure is recorded on
the row (attempts, last error) and retried with back-off until ``notifications.max_attempts``.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from sqlalchemy.exc import OperationalError

from app.domain import clock
from app.extensions import db
from app.reminders import channels
from app.reminders import sweep as sweeping


def _parse(at: str | None) -> dt.datetime | None:
    if not at:
        return None
    moment = dt.datetime.fromisoformat(at)
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.TZ)


@shared_task(
    name="reminders.sweep",
    acks_late=True,
    time_limit=900,
    soft_time_limit=840,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def sweep(at: str | None = None) -> dict:
    """Write every due reminder once and hand pending messages to the broker."""
    result = sweeping.run(db.session, _parse(at))
    return {
        "at": result.at.isoformat(),
        "due": result.due,
        "queued": len(result.queued),
        "dispatched": result.dispatched,
        "errors": result.errors,
    }


@shared_task(
    name="notifications.deliver",
    bind=True,
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=None,
)
def deliver(self, notification_id: int) -> str:
    """Send one pending email or SMS; a channel failure comes back after its back-off."""
    outcome, delay = channels.deliver(db.session, int(notification_id))
    if outcome == "retry":
        raise self.retry(countdown=delay, max_retries=None)
    return outcome
