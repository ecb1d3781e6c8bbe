"""Queueing notifications exactly once: a row per (dedup key) under a unique constraint."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.domain import clock
from app.enums import NotificationChannel, NotificationStatus
from app.models import Notification


def queue(
    session: Session,
    *,
    dedup_key: str,
    channel: NotificationChannel,
    kind: str,
    subject: str,
    body: str = "",
    recipient_id: int | None = None,
    recipient_address: str | None = None,
    case_id: int | None = None,
) -> bool:
    """Insert the notification unless one with the same key exists; True if it was new.

    INSERT ... ON CONFLICT DO NOTHING: concurrent sweeps and retried tasks cannot duplicate it.
    """
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Notification)
    sent_now = channel == NotificationChannel.APP
    result = session.execute(
        insert.values(
            dedup_key=dedup_key,
            channel=channel,
            kind=kind,
            subject=subject,
            body=body,
            recipient_id=recipient_id,
            recipient_address=recipient_address,
            case_id=case_id,
            status=NotificationStatus.SENT if sent_now else NotificationStatus.PENDING,
            attempts=0,
            last_error="",
            created_at=clock.now(),
            sent_at=clock.now() if sent_now else None,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(Notification.id)
    )
    return result.first() is not None


def unread_count(session: Session, user_id: int) -> int:
    return session.execute(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.recipient_id == user_id,
            Notification.channel == NotificationChannel.APP,
            Notification.read_at.is_(None),
        )
    ).scalar_one()
