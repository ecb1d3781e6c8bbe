"""security review: account session versions (log-out and password change end every session
and token) and the time of the last failed log-in (progressive slowing)

Revision ID: 0010_security
Revises: 0012_appealed_by
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_security"
down_revision = "0012_appealed_by"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_session",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("login_lock", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("login_lock", schema=None) as batch_op:
        batch_op.drop_column("last_failure_at")
    op.drop_table("account_session")
