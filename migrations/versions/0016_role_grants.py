"""role default grants: which default permissions the deploy step gave each built-in role

Built-in roles' permissions move from code (FAB_ROLES, evaluated at run time) into the
database, where Admins see and adjust them. This table remembers which defaults a role has
been given, so that a default an Admin revoked is not given again by the next deploy.

Revision ID: 0016_role_grants
Revises: 0015_user_preference
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_role_grants"
down_revision = "0015_user_preference"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "role_default_grant",
        sa.Column("role_name", sa.String(length=64), nullable=False),
        sa.Column("view_menu", sa.String(length=250), nullable=False),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("role_name", "view_menu", "permission"),
    )


def downgrade():
    op.drop_table("role_default_grant")
