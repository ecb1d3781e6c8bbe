"""SMS templates: an administrator's wording of each kind of SMS per language (only edited
wordings are stored; the others are the code's defaults)

Revision ID: 0021_sms_templates
Revises: 0020_appointments
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_sms_templates"
down_revision = "0020_appointments"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_template",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer, sa.ForeignKey("ab_user.id"), nullable=True),
        sa.UniqueConstraint("kind", "language", name="uq_sms_template_kind_language"),
    )


def downgrade():
    op.drop_table("sms_template")
