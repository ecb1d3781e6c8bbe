"""the center's calendar: reference, confirmation, change and recompute stamps of a year

Revision ID: 0008_calendar
Revises: 0006
Create Date: 2026-12-05 06:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_calendar"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("holiday_year", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reference", sa.String(length=200), server_default="", nullable=False)
        )
        # Years loaded before this revision came from the package or an import: confirmed.
        batch_op.add_column(
            sa.Column("confirmed", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("changed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recomputed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_holiday_year_changed_by_id_ab_user", "ab_user", ["changed_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("holiday_year", schema=None) as batch_op:
        batch_op.drop_constraint("fk_holiday_year_changed_by_id_ab_user", type_="foreignkey")
        batch_op.drop_column("recomputed_at")
        batch_op.drop_column("changed_by_id")
        batch_op.drop_column("changed_at")
        batch_op.drop_column("confirmed")
        batch_op.drop_column("reference")
