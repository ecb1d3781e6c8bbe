"""The sweep: find every due reminder, write each notification once, hand pending ones over.

Beat runs it every few minutes (``reminders.sweep``) and an operator may run it in the foreground
(``flask --app app reminders run-due``): the same function. Its cost follows what is due: each
kind reads an index range of due rows, keys that already exist are skipped in one query per
chunk, and only new reminders are rendered and inserted.

Exactly once: every notification has a unique key (kind, subject, due slot, channel, recipient)
inserted with ON CONFLICT DO NOTHING. Two sweeps at once, a retried task or a second beat by
mistake cannot write a reminder twice; keys are inserted in sorted order, so concurrent sweeps
wait on each other's rows instead of deadlocking. Chunks commit as they go, so a sweep killed
half-way keeps what it wrote and the next one writes the rest.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session, scoped_session

from app.domain import clock
from app.domain.status import CaseStatus
from app.enums import NotificationChannel
from app.models import Notification
from app.reminders import channels, outbox
from app.reminders.kinds import KINDS, Context, Due
from app.reminders.recipients import Directory, Person
from app.validators import mask_mobile

log = logging.getLogger(__name__)
CHUNK = 500


@dataclass(frozen=True)
class Queued:
    """One notification the sweep wrote."""

    id: int
    kind: str
    channel: str
    recipient: str
    case_number: str
    dedup_key: str


@dataclass
class SweepResult:
    at: dt.datetime
    due: int = 0
    queued: list[Queued] = field(default_factory=list)
    dispatched: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def _rows(due: Due, email_on: bool) -> list[tuple[str, NotificationChannel, Person | None]]:
    rows: list[tuple[str, NotificationChannel, Person | None]] = []
    for person in due.people:
        rows.append((f"{due.key}:app:{person.user_id}", NotificationChannel.APP, person))
        if email_on and person.email:
            rows.append((f"{due.key}:email:{person.user_id}", NotificationChannel.EMAIL, person))
    if due.extra.get("sms_to"):  # an SMS to the applicant (no staff account: no person)
        rows.append((f"{due.key}:sms", NotificationChannel.SMS, None))
    return rows


def _address(channel: NotificationChannel, person: Person | None, due: Due) -> str | None:
    if channel == NotificationChannel.EMAIL and person is not None:
        return person.email
    if channel == NotificationChannel.SMS:
        return due.extra.get("sms_to")
    return None


def _existing(session: Session, keys: list[str]) -> set[str]:
    return set(
        session.execute(sa.select(Notification.dedup_key).where(Notification.dedup_key.in_(keys)))
        .scalars()
        .all()
    )


def collect(session: Session, now: dt.datetime, kinds=None) -> tuple[list[Due], list[str]]:
    """Every due reminder at ``now``; a kind that fails is logged and the others go on."""
    if session.get_bind().dialect.name == "postgresql":
        # Each kind reads a small index range of due rows. PostgreSQL's estimate of such a range
        # grows with the table (status and due date are correlated), and past a size it starts
        # parallel workers whose start-up costs more than the read: none for this transaction.
        session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
    ctx = Context(session=session, now=now, directory=Directory(session))
    found: list[Due] = []
    errors: list[str] = []
    for name, function in KINDS.items():
        if kinds is not None and name not in kinds:
            continue
        try:
            with session.begin_nested():
                # A voided case (entered by mistake) reminds nobody of anything.
                found += [
                    due
                    for due in function(ctx)
                    if due.case is None or due.case.status != CaseStatus.VOIDED
                ]
        except Exception as exc:
            log.exception("reminder kind %s failed", name)
            errors.append(f"{name}: {exc}")
    return found, errors


def run(
    session: Session,
    at: dt.datetime | None = None,
    *,
    commit: bool = True,
    dispatch: bool = True,
    kinds=None,
) -> SweepResult:
    """One sweep at ``at`` (default: now). Commits per chunk unless ``commit`` is False."""
    previous, previous_as_of = clock.pinned()
    if at is not None:
        # Due reminders are computed as of ``at``; the bookkeeping keeps the real time.
        clock.set_fixed(at, as_of=True)
    started = time.perf_counter()
    real = session() if isinstance(session, scoped_session) else session
    expire_on_commit = real.expire_on_commit
    real.expire_on_commit = False  # the loaded cases stay usable across chunk commits
    try:
        result = SweepResult(at=clock.now())
        dues, result.errors = collect(session, result.at, kinds)
        result.due = len(dues)
        email_on = channels.email_enabled()
        planned = sorted(
            (
                (key, channel, person, due)
                for due in dues
                for key, channel, person in _rows(due, email_on)
            ),
            key=lambda row: row[0],
        )
        for start in range(0, len(planned), CHUNK):
            _write_chunk(session, planned[start : start + CHUNK], result)
            if commit:
                session.commit()
        if dispatch:
            result.dispatched = len(outbox.dispatch_pending(session))
        if commit:
            session.commit()
    finally:
        real.expire_on_commit = expire_on_commit
        clock.set_fixed(previous, as_of=previous_as_of)
    result.seconds = time.perf_counter() - started
    return result


def _write_chunk(session: Session, chunk, result: SweepResult) -> None:
    """Render the chunk's new reminders (in the default language) and insert them at once."""
    exists = _existing(session, [row[0] for row in chunk])
    fresh = [row for row in chunk if row[0] not in exists]
    if not fresh:
        return
    rendered: dict[int, tuple[str, str]] = {}
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        for _key, _channel, _person, due in fresh:
            if id(due) not in rendered:
                rendered[id(due)] = due.render()
    rows = []
    for key, channel, person, due in fresh:
        subject, body = rendered[id(due)]
        rows.append(
            {
                "dedup_key": key,
                "channel": channel,
                "kind": due.kind,
                "subject": subject,
                "body": body or subject,
                "recipient_id": person.user_id if person is not None else None,
                "recipient_address": _address(channel, person, due),
                "case_id": due.case.id if due.case is not None else None,
            }
        )
    written = outbox.queue_many(session, rows)
    for key, channel, person, due in fresh:
        if key in written:
            result.queued.append(
                Queued(
                    written[key],
                    due.kind,
                    channel.value,
                    person.name
                    if person is not None
                    else mask_mobile(_address(channel, None, due)),
                    due.case.number if due.case is not None else "",
                    key,
                )
            )
