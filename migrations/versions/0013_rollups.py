"""statistics rollups: monthly counts per unit subtree, dimension and key

Revision ID: 0013_rollups
Revises: 0012_scale
Create Date: 2026-12-05

The rows are written by the application (app/ledger/rollup.py). A database that already holds
cases gets a "stale" marker: the dashboard counts live until the nightly check (or
``flask stats check``) has built the rows and removed the marker.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_rollups"
down_revision = "0012_scale"
branch_labels = None
depends_on = None

MEASURES = (
    "n cases open completed terminated late on_time judged handling_days handled extensions "
    "extension_cases extension_days notices repeats notice_cases repeat_cases"
).split()


def upgrade():
    op.create_table(
        "stat_rollup",
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("key_date", sa.Date(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in MEASURES),
        sa.PrimaryKeyConstraint("unit_id", "month", "dim", "key", "key_date"),
    )
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM service_case LIMIT 1")).first() is not None:
        values = ", ".join(["0"] * (len(MEASURES) - 1))
        op.execute(
            "INSERT INTO stat_rollup (unit_id, month, dim, key, key_date, "
            f"{', '.join(MEASURES)}) VALUES (-1, '1970-01-01', 'stale', '', '1970-01-01', 1, "
            f"{values})"
        )


def downgrade():
    op.drop_table("stat_rollup")
