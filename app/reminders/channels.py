"""Delivery of pending email and SMS notifications, exactly once per row.

Channels, configured by the environment (or the Flask config of the same name):
- email to staff over SMTP: ``SMTP_HOST`` (off when unset), ``SMTP_PORT`` (25), ``SMTP_USER``,
  ``SMTP_PASSWORD``, ``SMTP_FROM``, ``SMTP_SECURITY`` (``starttls`` | ``ssl`` | empty);
- SMS to applicants through a gateway chosen by ``SMS_GATEWAY``: ``http`` posts JSON to
  ``SMS_HTTP_URL`` (bearer ``SMS_HTTP_TOKEN``); ``sink`` (the default when no URL is set) records
  each message in the database (``sms_sink_message``) for development and demonstrations;
  ``off`` sends none. The texts arrive here complete, signature included: the registered
  signature is a setting (``sms.signature``, with ``SMS_SIGNATURE`` as the deployment's fallback)
  and the wording a template per kind and language (app/reminders/sms_templates.py).

A message whose subject no longer calls for it when it is sent (``STILL_DUE``: an appointment
cancelled after its reminder was written) is withdrawn instead, in the send's transaction.

``deliver`` claims the row with ``SELECT … FOR UPDATE SKIP LOCKED`` and marks it sent in the
same transaction that sent it, so two workers holding the same id never both send, and a worker
killed mid-send leaves the row pending for the next attempt. The sink's row is written in that
transaction too: exactly once. An external gateway (SMTP, HTTP) gets a stable idempotency key
(``Message-ID`` / ``Idempotency-Key``) so the rare send-then-crash retry is recognisable.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app import settings
from app.appointments import reminders as appointment_reminders
from app.domain import clock
from app.enums import NotificationChannel, NotificationStatus
from app.models import Notification
from app.reminders import outbox
from app.reminders.models import SmsSinkMessage

log = logging.getLogger(__name__)


# kind → at send time, None while the message still holds, else why it is withdrawn.
STILL_DUE: dict[str, Callable[[Session, Notification], str | None]] = {
    appointment_reminders.KIND: appointment_reminders.still_due,
}


class DeliveryError(Exception):
    """A channel refused or failed to take a message; the row is retried with back-off."""


def conf(name: str, default: str | None = None) -> str | None:
    value = current_app.config.get(name)
    if value in (None, ""):
        value = os.environ.get(name)
    return value if value not in (None, "") else default


def email_enabled() -> bool:
    return bool(conf("SMTP_HOST"))


def sms_gateway_name() -> str:
    name = (conf("SMS_GATEWAY") or ("http" if conf("SMS_HTTP_URL") else "sink")).lower()
    return name if name in {"http", "sink", "off"} else "off"


def idempotency_key(row: Notification) -> str:
    return f"bangban-notification-{row.id}"


# ---------------------------------------------------------------- channels


def send_email(row: Notification) -> None:
    host = conf("SMTP_HOST")
    if not host:
        raise DeliveryError("SMTP is not configured (SMTP_HOST)")
    if not row.recipient_address:
        raise DeliveryError("no email address")
    message = EmailMessage()
    message["From"] = conf("SMTP_FROM", "noreply@localhost")
    message["To"] = row.recipient_address
    message["Subject"] = row.subject
    domain = (conf("SMTP_FROM", "noreply@localhost") or "").rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<{idempotency_key(row)}@{domain}>"
    message.set_content(row.body or row.subject)
    port = int(conf("SMTP_PORT", "25"))
    security = (conf("SMTP_SECURITY", "") or "").lower()
    try:
        factory = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
        with factory(host, port, timeout=15) as smtp:
            if security == "starttls":
                smtp.starttls()
            if conf("SMTP_USER"):
                smtp.login(conf("SMTP_USER"), conf("SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


def send_sms_http(row: Notification) -> None:
    url = conf("SMS_HTTP_URL")
    if not url:
        raise DeliveryError("SMS_HTTP_URL is not set")
    payload = json.dumps(
        {"mobile": row.recipient_address, "content": row.body, "id": idempotency_key(row)}
    ).encode()
    request = urllib.request.Request(url, data=payload, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("Idempotency-Key", idempotency_key(row))
    token = conf("SMS_HTTP_TOKEN")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"SMS gateway answered {exc.code}: {exc.read()[:200]!r}") from exc
    except OSError as exc:
        raise DeliveryError(f"SMS gateway: {exc}") from exc


def send_sms_sink(session: Session, row: Notification) -> None:
    session.add(SmsSinkMessage(notification_id=row.id, mobile=row.recipient_address, body=row.body))
    session.flush()


def _send(session: Session, row: Notification) -> None:
    if row.channel == NotificationChannel.EMAIL:
        send_email(row)
    elif row.channel == NotificationChannel.SMS:
        if not row.recipient_address:
            raise DeliveryError("no mobile number")
        gateway = sms_gateway_name()
        if gateway == "http":
            send_sms_http(row)
        elif gateway == "sink":
            send_sms_sink(session, row)
        else:
            raise DeliveryError("SMS is switched off (SMS_GATEWAY=off)")


# ---------------------------------------------------------------- delivery


def backoff_seconds(attempts: int, session=None) -> int:
    base = settings.get("notifications.retry_base_seconds", session)
    cap = settings.get("notifications.retry_max_seconds", session)
    return int(min(base * 2 ** max(attempts - 1, 0), cap))


def _claim(session: Session, notification_id: int) -> Notification | None:
    return session.execute(
        sa.select(Notification)
        .where(
            Notification.id == notification_id, Notification.status == NotificationStatus.PENDING
        )
        .with_for_update(skip_locked=True)
    ).scalar_one_or_none()


def deliver(session: Session, notification_id: int) -> tuple[str, int]:
    """Try to deliver one pending notification: (outcome, retry delay in seconds).

    Outcomes: ``sent``; ``withdrawn`` (its subject no longer calls for it: ``STILL_DUE``);
    ``skipped`` (gone, not pending, or another worker holds it);
    ``deferred`` (not before a later time, e.g. SMS quiet hours: the sweep hands it over then);
    ``retry`` (the channel failed; try again after the delay); ``failed`` (attempts used up).
    """
    row = _claim(session, notification_id)
    if row is None:
        session.rollback()
        return "skipped", 0
    now = clock.now()
    if row.not_before is not None and row.not_before > now + dt.timedelta(seconds=1):
        session.rollback()
        return "deferred", 0
    if row.channel == NotificationChannel.SMS and outbox.in_quiet_hours(now, session):
        row.not_before = outbox.quiet_hours_end(now, session)
        row.dispatched_at = None
        session.commit()
        return "deferred", 0
    limit = settings.get("notifications.max_attempts", session)
    if row.attempts >= limit:
        row.status = NotificationStatus.FAILED
        row.last_error = (row.last_error or "worker lost during delivery")[:2000]
        session.commit()
        return "failed", 0
    # The attempt is counted before sending, so a message that kills its worker runs out.
    row.attempts += 1
    session.commit()

    row = _claim(session, notification_id)
    if row is None:
        session.rollback()
        return "skipped", 0
    check = STILL_DUE.get(row.kind)
    withdrawn = check(session, row) if check is not None else None
    if withdrawn:
        row.status = NotificationStatus.WITHDRAWN
        row.last_error = f"not sent: {withdrawn}"[:2000]
        session.commit()
        log.info("notification %s withdrawn: %s", notification_id, withdrawn)
        return "withdrawn", 0
    try:
        _send(session, row)
    except DeliveryError as exc:
        session.rollback()
        row = _claim(session, notification_id)
        if row is None:
            session.rollback()
            return "skipped", 0
        row.last_error = str(exc)[:2000]
        if row.attempts >= limit:
            row.status = NotificationStatus.FAILED
            session.commit()
            log.warning("notification %s failed for good: %s", notification_id, exc)
            return "failed", 0
        delay = backoff_seconds(row.attempts, session)
        row.not_before = now + dt.timedelta(seconds=delay)
        row.dispatched_at = row.not_before
        session.commit()
        return "retry", delay
    row.status = NotificationStatus.SENT
    row.sent_at = clock.now()
    row.last_error = ""
    session.commit()
    return "sent", 0


def resend(session: Session, notification: Notification) -> bool:
    """Put a failed email/SMS back in the queue (an admin's resend); sent after commit."""
    if notification.status != NotificationStatus.FAILED:
        return False
    if notification.channel == NotificationChannel.APP:
        return False
    notification.status = NotificationStatus.PENDING
    notification.attempts = 0
    notification.not_before = None
    notification.dispatched_at = clock.stamp_now()
    session.flush()
    session.info.setdefault(outbox._PENDING_KEY, []).append(notification.id)
    return True
