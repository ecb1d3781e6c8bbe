"""rectification: who appealed (separation of duties: the appellant never decides the appeal)

Revision ID: 0012_appealed_by
Revises: 0011_desk
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_appealed_by"
down_revision = "0011_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rectification") as batch:
        batch.add_column(sa.Column("appealed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_rectification_appealed_by_id_ab_user", "ab_user", ["appealed_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("rectification") as batch:
        batch.drop_constraint("fk_rectification_appealed_by_id_ab_user", type_="foreignkey")
        batch.drop_column("appealed_by_id")
