"""official item codes (GB/T 39554.1-2020): 事项编码 and 实施清单编码 on service_item

Revision ID: 0017_item_codes
Revises: 0016_role_grants
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_item_codes"
down_revision = "0016_role_grants"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service_item") as batch_op:
        batch_op.add_column(sa.Column("basic_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("implementation_code", sa.String(length=31), nullable=True))
        batch_op.create_index("ix_service_item_basic_code", ["basic_code"])
        batch_op.create_unique_constraint(
            "uq_service_item_implementation_code", ["implementation_code"]
        )


def downgrade():
    with op.batch_alter_table("service_item") as batch_op:
        batch_op.drop_constraint("uq_service_item_implementation_code", type_="unique")
        batch_op.drop_index("ix_service_item_basic_code")
        batch_op.drop_column("implementation_code")
        batch_op.drop_column("basic_code")
