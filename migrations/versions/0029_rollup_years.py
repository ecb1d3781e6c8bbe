"""statistics rollups by year: the monthly rows summed per year, so a long period reads a row a
year instead of a row a month (a city's all-time dashboard summed 130,000 rows, issue 22)

Revision ID: 0029_rollup_years
Revises: 0028_rollup_poor
Create Date: 2026-12-05

Filled from the monthly rows (exactly their sums); kept current with them from then on
(app/ledger/rollup.py) and checked against the same full recount every night.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_rollup_years"
down_revision = "0028_rollup_poor"
branch_labels = None
depends_on = None

MEASURES = [
    "n", "cases", "open", "completed", "terminated", "late", "on_time", "judged",
    "handling_days", "handled", "extensions", "extension_cases", "extension_days", "notices",
    "repeats", "notice_cases", "repeat_cases",
]  # fmt: skip


def upgrade():
    op.create_table(
        "stat_rollup_year",
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("key_date", sa.Date(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in MEASURES),
        sa.PrimaryKeyConstraint("unit_id", "year", "dim", "key", "key_date"),
    )
    bind = op.get_bind()
    year = (
        "CAST(EXTRACT(YEAR FROM month) AS INTEGER)"
        if bind.dialect.name == "postgresql"
        else "CAST(strftime('%Y', month) AS INTEGER)"
    )
    sums = ", ".join(f"SUM({name})" for name in MEASURES)
    op.execute(
        f"INSERT INTO stat_rollup_year (unit_id, year, dim, key, key_date, {', '.join(MEASURES)}) "
        f"SELECT unit_id, {year}, dim, key, key_date, {sums} FROM stat_rollup "
        f"WHERE unit_id <> -1 GROUP BY unit_id, {year}, dim, key, key_date"
    )


def downgrade():
    op.drop_table("stat_rollup_year")
