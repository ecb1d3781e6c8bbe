"""attachments by kind, voided (never deleted) with a reason; timeline kinds for them

Revision ID: 0018_attachment_kinds
Revises: 0017_item_codes

Every file kept before this revision was a handover receipt (the only upload there was), so
existing rows are marked as such.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_attachment_kinds"
down_revision = "0017_item_codes"
branch_labels = None
depends_on = None

KINDS = [
    "application",
    "notice_countersigned",
    "termination",
    "extension",
    "handover_receipt",
    "other",
]
EVENTS_OLD = [
    "status", "update", "contact", "fee_guidance", "problem", "transfer", "assign", "notice",
    "supplement", "extension", "joint_review", "handover", "termination", "evaluation",
    "return_visit", "problem_solved", "due_date_moved", "steward", "suspension", "resumption",
]  # fmt: skip
EVENTS_NEW = EVENTS_OLD + ["attachment", "attachment_voided"]


def _check(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(24), nullable=False, server_default="handover_receipt")
        )
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("voided_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=False, server_default=""))
        batch.create_check_constraint("attachmentkind", _check("kind", KINDS))
        batch.create_foreign_key(
            "fk_attachment_voided_by_id_ab_user", "ab_user", ["voided_by_id"], ["id"]
        )
    with op.batch_alter_table("case_event", recreate="auto") as batch:
        batch.drop_constraint("eventkind", type_="check")
        batch.create_check_constraint("eventkind", _check("kind", EVENTS_NEW))


def downgrade():
    with op.batch_alter_table("case_event", recreate="auto") as batch:
        batch.drop_constraint("eventkind", type_="check")
        batch.create_check_constraint("eventkind", _check("kind", EVENTS_OLD))
    with op.batch_alter_table("attachment") as batch:
        batch.drop_constraint("fk_attachment_voided_by_id_ab_user", type_="foreignkey")
        batch.drop_constraint("attachmentkind", type_="check")
        batch.drop_column("void_reason")
        batch.drop_column("voided_by_id")
        batch.drop_column("voided_at")
        batch.drop_column("note")
        batch.drop_column("kind")
