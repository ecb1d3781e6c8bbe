"""the “办不成事” window and the 12345 hand-off: complaints with their own timeline and number
sequence, chase-ups (催办) on cases, the hotline ticket number (12345 工单号) on a case; timeline
kinds for chase-ups

Revision ID: 0022_complaints
Revises: 0021_sms_templates
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_complaints"
down_revision = "0021_sms_templates"
branch_labels = None
depends_on = None

EVENTS_OLD = [
    "status", "update", "contact", "fee_guidance", "problem", "transfer", "assign", "notice",
    "supplement", "extension", "joint_review", "handover", "termination", "evaluation",
    "return_visit", "problem_solved", "due_date_moved", "steward", "suspension", "resumption",
    "attachment", "attachment_voided",
]  # fmt: skip
EVENTS_NEW = EVENTS_OLD + ["chase_up", "chase_up_reply"]
STATUSES = ["intake", "coordinating", "transferred", "called_back", "archived"]
CHANNELS = ["desk", "public", "hotline", "phone"]
STEPS = ["intake", "coordinate", "transfer", "reply", "call_back", "archive"]
TS = sa.DateTime(timezone=True)


def _check(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, length=24, create_constraint=True)


def upgrade():
    with op.batch_alter_table("service_case") as batch:
        batch.add_column(sa.Column("hotline_ticket", sa.String(32), nullable=True))
        batch.create_index("ix_service_case_hotline_ticket", ["hotline_ticket"])
    with op.batch_alter_table("case_event", recreate="auto") as batch:
        batch.drop_constraint("eventkind", type_="check")
        batch.create_check_constraint("eventkind", _check("kind", EVENTS_NEW))

    op.create_table(
        "chase_up",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("service_case.id"), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("specialist_id", sa.Integer(), sa.ForeignKey("specialist.id"), nullable=True),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("respond_by", sa.Date(), nullable=False),
        sa.Column("hotline_ticket", sa.String(32), nullable=True),
        sa.Column("responded_at", TS, nullable=True),
        sa.Column("responded_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
    )
    op.create_index("ix_chase_up_case_id", "chase_up", ["case_id"])
    op.create_index("ix_chase_up_open_due", "chase_up", ["responded_at", "respond_by"])

    op.create_table(
        "complaint_counter",
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("channel", _enum(CHANNELS, "complaintchannel"), nullable=False),
        sa.Column("status", _enum(STATUSES, "complaintstatus"), nullable=False),
        sa.Column("complainant", sa.String(100), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("matter", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("service_item.id"), nullable=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("service_case.id"), nullable=True),
        sa.Column("hotline_ticket", sa.String(32), nullable=True),
        sa.Column("check_code", sa.String(12), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("received_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("handler_id", sa.Integer(), sa.ForeignKey("specialist.id"), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("department.id"), nullable=True),
        sa.Column("transferred_at", TS, nullable=True),
        sa.Column("transfer_days", sa.Integer(), nullable=True),
        sa.Column("transfer_due", sa.Date(), nullable=True),
        sa.Column("replied_at", TS, nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("called_back_at", TS, nullable=True),
        sa.Column("callback_result", sa.Text(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("archived_at", TS, nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_complaint_unit_id", "complaint", ["unit_id"])
    op.create_index("ix_complaint_hotline_ticket", "complaint", ["hotline_ticket"])
    op.create_index("ix_complaint_received_at", "complaint", ["received_at"])
    op.create_index("ix_complaint_handler_id", "complaint", ["handler_id"])
    op.create_index("ix_complaint_unit_received", "complaint", ["unit_id", "received_at"])
    op.create_index("ix_complaint_status_due", "complaint", ["status", "due_date"])

    op.create_table(
        "complaint_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaint.id"), nullable=False),
        sa.Column("kind", _enum(STEPS, "complaintstep"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("from_status", _enum(STATUSES, "complaint_event_from"), nullable=True),
        sa.Column("to_status", _enum(STATUSES, "complaint_event_to"), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_complaint_event_complaint_id", "complaint_event", ["complaint_id"])


def downgrade():
    op.drop_table("complaint_event")
    op.drop_table("complaint")
    op.drop_table("complaint_counter")
    op.drop_table("chase_up")
    with op.batch_alter_table("case_event", recreate="auto") as batch:
        batch.drop_constraint("eventkind", type_="check")
        batch.create_check_constraint("eventkind", _check("kind", EVENTS_OLD))
    with op.batch_alter_table("service_case") as batch:
        batch.drop_index("ix_service_case_hotline_ticket")
        batch.drop_column("hotline_ticket")
