"""appointments (预约): a unit's weekly slot pattern, the day's slots with their places, and the
appointments booked in them

Revision ID: 0020_appointments
Revises: 0019_evaluation_stages
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_appointments"
down_revision = "0019_evaluation_stages"
branch_labels = None
depends_on = None

PERIODS = ["morning", "afternoon", "noon", "evening"]
STATUSES = ["booked", "cancelled", "no_show", "served"]
CHANNELS = ["staff", "public", "api"]
TS = sa.DateTime(timezone=True)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade():
    op.create_table(
        "appointment_pattern",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("period", _enum(PERIODS, "slotperiod"), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.UniqueConstraint("unit_id", "weekday", "period", name="uq_appointment_pattern"),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="ck_appointment_pattern_weekday"),
        sa.CheckConstraint("capacity >= 0", name="ck_appointment_pattern_capacity"),
    )
    op.create_index("ix_appointment_pattern_unit_id", "appointment_pattern", ["unit_id"])
    op.create_table(
        "appointment_slot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("period", _enum(PERIODS, "slotperiod"), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.UniqueConstraint("unit_id", "day", "period", name="uq_appointment_slot"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointment_slot_booked"),
    )
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("slot_id", sa.Integer(), sa.ForeignKey("appointment_slot.id"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("period", _enum(PERIODS, "slotperiod"), nullable=False),
        sa.Column("applicant_id", sa.Integer(), sa.ForeignKey("applicant.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("service_item.id"), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("channel", _enum(CHANNELS, "appointmentchannel"), nullable=False),
        sa.Column("status", _enum(STATUSES, "appointmentstatus"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("ended_by_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("service_case.id"), nullable=True),
        sa.Column("walk_in_id", sa.Integer(), sa.ForeignKey("walk_in_help.id"), nullable=True),
    )
    op.create_index("ix_appointment_unit_day", "appointment", ["unit_id", "day"])
    op.create_index("ix_appointment_slot_id", "appointment", ["slot_id"])
    op.create_index("ix_appointment_day", "appointment", ["day"])
    op.create_index("ix_appointment_applicant_id", "appointment", ["applicant_id"])
    op.create_index("ix_appointment_mobile", "appointment", ["mobile"])


def downgrade():
    op.drop_table("appointment")
    op.drop_table("appointment_slot")
    op.drop_index("ix_appointment_pattern_unit_id", table_name="appointment_pattern")
    op.drop_table("appointment_pattern")
