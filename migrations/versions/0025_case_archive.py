"""the case file (案卷) and archiving (归档): one archive row per closed case with its 案卷号, the
bundle's stored name, checksum, size and page count, the retention period and the disposal
review flag; a counter per year for the numbers; the timeline kind "archived"

Revision ID: 0025_case_archive
Revises: 0024_visits_stewards
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_case_archive"
down_revision = "0024_visits_stewards"
branch_labels = None
depends_on = None

EVENTS_OLD = [
    "status", "update", "contact", "fee_guidance", "problem", "transfer", "assign", "notice",
    "supplement", "extension", "joint_review", "handover", "termination", "evaluation",
    "return_visit", "problem_solved", "due_date_moved", "steward", "suspension", "resumption",
    "attachment", "attachment_voided", "chase_up", "chase_up_reply",
    "home_visit", "project_team", "project_log", "project_issue",
]  # fmt: skip
EVENTS_NEW = EVENTS_OLD + ["archived"]


def _check(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _events(values):
    with op.batch_alter_table("case_event", recreate="auto") as batch:
        batch.drop_constraint("eventkind", type_="check")
        batch.create_check_constraint("eventkind", _check("kind", values))


def _ts(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    _events(EVENTS_NEW)
    op.create_table(
        "archive_counter",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "case_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        _ts("archived_at"),
        sa.Column("archived_by_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=128), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        _ts("disposal_due_at", nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.ForeignKeyConstraint(["archived_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_case_archive_archived_at", "case_archive", ["archived_at"])
    op.create_index("ix_case_archive_retain_until", "case_archive", ["retain_until"])


def downgrade():
    used = op.get_bind().execute(sa.text("SELECT 1 FROM case_archive")).first()
    if used:
        raise RuntimeError("case files exist: a downgrade would lose them")
    op.drop_index("ix_case_archive_retain_until", table_name="case_archive")
    op.drop_index("ix_case_archive_archived_at", table_name="case_archive")
    op.drop_table("case_archive")
    op.drop_table("archive_counter")
    _events(EVENTS_OLD)
