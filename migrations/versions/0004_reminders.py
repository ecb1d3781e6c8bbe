"""reminders: dispatch lease, SMS sink, partial indexes of due rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN_SQL = "status IN ('applied', 'accepted', 'in_progress', 'awaiting_materials')"

PARTIAL = [
    # name, table, columns (SQL), where
    (
        "ix_case_open_last_contact",
        "service_case",
        "coalesce(last_contact_at, applied_at)",
        OPEN_SQL + " AND ended_at IS NULL",
    ),
    ("ix_case_running_due", "service_case", "due_date", "status IN ('accepted', 'in_progress')"),
    ("ix_notice_unresolved_deadline", "material_notice", "deadline", "resolved_at IS NULL"),
    ("ix_visit_pending_planned", "return_visit", "planned_on", "done_on IS NULL"),
    ("ix_rectification_open_deadline", "rectification", "deadline", "closed_at IS NULL"),
    (
        "ix_review_waiting_escalation",
        "joint_review",
        "escalated_at",
        "decision = 'escalated' AND resolved_at IS NULL",
    ),
    ("ix_notification_pending_dispatch", "notification", "dispatched_at", "status = 'pending'"),
]


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "sms_sink_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id"),
    )
    with op.batch_alter_table("sms_sink_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_sink_message_mobile"), ["mobile"], unique=False)

    for name, table, columns, where in PARTIAL:
        op.execute(f"CREATE INDEX {name} ON {table} ({columns}) WHERE {where}")


def downgrade():
    for name, _table, _columns, _where in reversed(PARTIAL):
        op.execute(f"DROP INDEX {name}")
    with op.batch_alter_table("sms_sink_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_sink_message_mobile"))

    op.drop_table("sms_sink_message")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("dispatched_at")
