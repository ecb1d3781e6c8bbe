"""scale: a partial index of transferred cases (accepted at one unit, handled at another)

Revision ID: 0031_transferred_index
Revises: 0030_reference_stamp
Create Date: 2026-12-05

A station's ledger page merges its handled cases with the cases it accepted that are handled
elsewhere. At 10M cases the second arm walked every case of the station through
(accepting_unit_id, applied_at) and filtered them all away (124 ms); the partial index holds
only transferred cases. Built CONCURRENTLY on PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_transferred_index"
down_revision = "0030_reference_stamp"
branch_labels = None
depends_on = None

NAME = "ix_case_transferred_applied"
WHERE = sa.text("accepting_unit_id <> handling_unit_id")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(
            NAME, "service_case", ["accepting_unit_id", "applied_at"], sqlite_where=WHERE
        )
        return
    with op.get_context().autocommit_block():
        op.create_index(
            NAME,
            "service_case",
            ["accepting_unit_id", "applied_at"],
            postgresql_where=WHERE,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index(NAME, table_name="service_case")
        return
    with op.get_context().autocommit_block():
        op.drop_index(NAME, table_name="service_case", postgresql_concurrently=True, if_exists=True)
