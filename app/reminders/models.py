"""The reminders' own table and the indexes that keep a sweep's cost tied to what is due.

``SmsSinkMessage`` is the development SMS gateway: a delivered SMS becomes a row here, in the
same transaction that marks the notification sent, so the sink receives each message exactly
once (``notification_id`` is unique).

The partial indexes cover only the rows a sweep can find due (open cases, unresolved notices,
visits not yet made, open rectifications, waiting escalations): a sweep reads an index range of
due rows and never walks the finished history, whatever the size of the tables.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_appbuilder.models.sqla import Model
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import models as m

OPEN_SQL = "status IN ('applied', 'accepted', 'in_progress', 'awaiting_materials')"
# The progress index also names ``ended_at IS NULL`` (true of every open case): a query about
# deadlines never implies it, so PostgreSQL cannot pick this index (all open cases) for one.
PROGRESS_SQL = f"{OPEN_SQL} AND ended_at IS NULL"
RUNNING_SQL = "status IN ('accepted', 'in_progress')"  # the promised clock runs


class SmsSinkMessage(Model):
    """An SMS the development gateway 'sent': what a phone would have received."""

    __tablename__ = "sms_sink_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notification.id", ondelete="CASCADE"), unique=True
    )
    mobile: Mapped[str] = mapped_column(sa.String(20), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[dt.datetime] = mapped_column(m.TS, default=m.now)

    notification: Mapped[m.Notification] = relationship()


def _partial(name: str, *columns, where: str) -> sa.Index:
    clause = sa.text(where)
    return sa.Index(name, *columns, postgresql_where=clause, sqlite_where=clause)


_case = m.Case.__table__
DUE_INDEXES = (
    # Progress feedback: open cases by the time of the last contact (or the application).
    _partial(
        "ix_case_open_last_contact",
        sa.func.coalesce(_case.c.last_contact_at, _case.c.applied_at),
        where=PROGRESS_SQL,
    ),
    # Deadlines: running cases by due date (the history's past due dates are not in it).
    _partial("ix_case_running_due", _case.c.due_date, where=RUNNING_SQL),
    _partial(
        "ix_notice_unresolved_deadline",
        m.MaterialNotice.__table__.c.deadline,
        where="resolved_at IS NULL",
    ),
    _partial(
        "ix_visit_pending_planned",
        m.ReturnVisit.__table__.c.planned_on,
        where="done_on IS NULL",
    ),
    _partial(
        "ix_rectification_open_deadline",
        m.Rectification.__table__.c.deadline,
        where="closed_at IS NULL",
    ),
    _partial(
        "ix_review_waiting_escalation",
        m.JointReview.__table__.c.escalated_at,
        where="decision = 'escalated' AND resolved_at IS NULL",
    ),
    # Pending messages whose dispatch lease ran out.
    _partial(
        "ix_notification_pending_dispatch",
        m.Notification.__table__.c.dispatched_at,
        where="status = 'pending'",
    ),
)


class SmsTemplate(Model):
    """An Admin's wording of one kind of SMS in one language (app/reminders/sms_templates.py).

    Only edited wordings are stored: a kind and language without a row use the code's default,
    today's wording from the translation catalog, so improvements of the catalog reach every
    template nobody changed. Every change is audited (app/audit.py AUDITED_TABLES).
    """

    __tablename__ = "sms_template"
    __table_args__ = (
        sa.UniqueConstraint("kind", "language", name="uq_sms_template_kind_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(10))
    body: Mapped[str] = mapped_column(sa.Text)
    changed_at: Mapped[dt.datetime] = mapped_column(m.TS, default=m.now)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))

    def __str__(self) -> str:
        return f"{self.kind}/{self.language}"
