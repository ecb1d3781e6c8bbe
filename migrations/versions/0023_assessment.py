"""specialist assessment (考核) targets and weights per indicator; written periodic reports
(月报 / 季报) with their figures, edited sections and archive state

Revision ID: 0023_assessment
Revises: 0022_complaints
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_assessment"
down_revision = "0022_complaints"
branch_labels = None
depends_on = None

INDICATORS = [
    "on_time_rate",
    "satisfaction_rate",
    "repeat_notices",
    "overdue",
    "complaints",
    "callback_rate",
]
STATES = ["draft", "final"]
TS = sa.DateTime(timezone=True)


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade():
    op.create_table(
        "assessment_target",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("indicator", _enum(INDICATORS, "indicator"), nullable=False, unique=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
    )
    op.create_table(
        "periodic_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("state", _enum(STATES, "reportstate"), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("figures_at", TS, nullable=False),
        sa.Column("problems_text", sa.Text(), nullable=False),
        sa.Column("practice_text", sa.Text(), nullable=False),
        sa.Column("remarks_text", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
        sa.Column("finalised_at", TS),
        sa.Column("finalised_by_id", sa.Integer(), sa.ForeignKey("ab_user.id")),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.UniqueConstraint("unit_id", "period", "period_start", name="uq_periodic_report_period"),
    )
    op.create_index("ix_periodic_report_unit_id", "periodic_report", ["unit_id"])


def downgrade():
    op.drop_index("ix_periodic_report_unit_id", table_name="periodic_report")
    op.drop_table("periodic_report")
    op.drop_table("assessment_target")
