"""The outbox: notification rows written in the caller's transaction, handed to the broker after.

A row is the truth; a broker message is only a nudge. ``queue`` inserts a row exactly once (a
unique de-duplication key); ids of new email/SMS rows are remembered on the session and sent to
the broker only when that session commits (never before: a rolled-back save sends nothing).
Broker errors are logged and swallowed, so a save never waits on Redis; ``dispatch_pending``
(run by every sweep) hands over whatever is pending and due again, so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import settings
from app.domain import clock
from app.enums import NotificationChannel, NotificationStatus
from app.models import Notification

log = logging.getLogger(__name__)
DELIVER_TASK = "notifications.deliver"
_PENDING_KEY = "reminders.outbox"


# ---------------------------------------------------------------- quiet hours


def in_quiet_hours(moment: dt.datetime, session=None) -> bool:
    """Whether ``moment`` (any zone) falls in the SMS quiet hours of Asia/Shanghai."""
    start = settings.get("sms.quiet_start_hour", session)
    end = settings.get("sms.quiet_end_hour", session)
    hour = moment.astimezone(clock.TZ).hour
    if start > end:
        return hour >= start or hour < end
    return start <= hour < end


def quiet_hours_end(moment: dt.datetime, session=None) -> dt.datetime:
    """The first moment SMS may go out at or after ``moment``."""
    if not in_quiet_hours(moment, session):
        return moment
    end = settings.get("sms.quiet_end_hour", session)
    local = moment.astimezone(clock.TZ)
    candidate = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


# ---------------------------------------------------------------- queueing


def queue_many(session: Session, rows: list[dict]) -> dict[str, int]:
    """Insert notifications whose keys do not exist yet; {key: new id} of those written.

    One ``INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING`` for the lot (app/notify.py's
    statement, with the delivery columns): concurrent writers of the same key cannot both
    write it. Rows are inserted in the order given; callers sort them by key so that
    concurrent sweeps take their locks in the same order. Each row is a dict with
    ``dedup_key``, ``channel``, ``kind``, ``subject`` and optionally ``body``,
    ``recipient_id``, ``recipient_address``, ``case_id``.

    In-app rows are delivered by being written. Email and SMS rows are pending; an SMS inside
    the quiet hours gets ``not_before`` at their end (deferred, never dropped). The ids of rows
    that may go out now are handed to the broker after the session commits.
    """
    if not rows:
        return {}
    # Bookkeeping is real time: a sweep run as of a future moment (``run-due --at``) hands
    # these over now, and a future ``dispatched_at`` would keep the sweeps from re-sending a
    # lost message until that moment.
    now = clock.stamp_now()
    sms_from = quiet_hours_end(now, session)
    values = []
    for row in rows:
        channel = row["channel"]
        deferred = channel == NotificationChannel.SMS and sms_from > now
        in_app = channel == NotificationChannel.APP
        values.append(
            {
                "dedup_key": row["dedup_key"][:200],
                "channel": channel,
                "kind": row["kind"],
                "subject": row["subject"][:200],
                "body": row.get("body") or "",
                "recipient_id": row.get("recipient_id"),
                "recipient_address": row.get("recipient_address"),
                "case_id": row.get("case_id"),
                "status": NotificationStatus.SENT if in_app else NotificationStatus.PENDING,
                "attempts": 0,
                "last_error": "",
                "created_at": now,
                "sent_at": now if in_app else None,
                "not_before": sms_from if deferred else None,
                "dispatched_at": None if in_app or deferred else now,
            }
        )
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Notification)
    written = session.execute(
        insert.values(values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Notification.id, Notification.dedup_key, Notification.dispatched_at)
    ).all()
    ready = [row.id for row in written if row.dispatched_at is not None]
    if ready:
        session.info.setdefault(_PENDING_KEY, []).extend(sorted(ready))
    return {row.dedup_key: row.id for row in written}


def queue(session: Session, *, dedup_key: str, **fields) -> int | None:
    """Insert one notification unless its key exists (see ``queue_many``); its id, else None."""
    return queue_many(session, [{"dedup_key": dedup_key, **fields}]).get(dedup_key[:200])


# ---------------------------------------------------------------- handing to the broker


def enqueue(ids: Iterable[int]) -> int:
    """Send one deliver message per id; broker errors are logged, never raised. Returns sent."""

    ids = list(ids)
    if not ids:
        return 0
    celery = current_app.extensions.get("celery")
    if celery is None:
        return 0
    sent = 0
    try:
        with celery.connection_for_write(connect_timeout=2) as conn:
            conn.ensure_connection(
                max_retries=0, interval_start=0, interval_step=0, interval_max=0, timeout=2
            )
            for notification_id in ids:
                celery.send_task(DELIVER_TASK, args=[notification_id], connection=conn, retry=False)
                sent += 1
    except Exception as exc:  # the broker is down: the next sweep dispatches these again
        log.warning("broker unavailable, %d notifications left for the sweep: %s", len(ids), exc)
    return sent


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids:
        if has_app_context():
            enqueue(ids)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole unit of work, not a savepoint
        session.info.pop(_PENDING_KEY, None)


def install_session_hooks() -> None:
    """Enqueue after commit, forget after rollback (idempotent; done once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def dispatch_pending(session: Session, *, limit: int = 5000) -> list[int]:
    """Mark pending, due email/SMS rows whose dispatch lease ran out; hand them over on commit.

    The lease (``notifications.redispatch_minutes``) keeps a sweep from re-sending what the
    broker still holds; a message lost with a broker or a killed worker is re-sent after it.
    """
    now = clock.stamp_now()  # never a future time, whatever moment the sweep runs as of
    lease = dt.timedelta(minutes=settings.get("notifications.redispatch_minutes", session))
    ids = list(
        session.execute(
            sa.select(Notification.id)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.channel != NotificationChannel.APP,
                sa.or_(Notification.not_before.is_(None), Notification.not_before <= now),
                sa.or_(
                    Notification.dispatched_at.is_(None),
                    Notification.dispatched_at <= now - lease,
                ),
            )
            .order_by(Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if ids:
        session.execute(
            sa.update(Notification).where(Notification.id.in_(ids)).values(dispatched_at=now)
        )
        session.info.setdefault(_PENDING_KEY, []).extend(ids)
    return ids
