"""suspend and resume (中止 / 续办): case status suspended, event kinds, the case_suspension table

Revision ID: 0014_suspension
Revises: 0013_rollups
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_suspension"
down_revision = "0013_rollups"
branch_labels = None
depends_on = None

STATUS_OLD = [
    "applied",
    "accepted",
    "in_progress",
    "awaiting_materials",
    "completed",
    "terminated",
    "voided",
]
STATUS_NEW = STATUS_OLD + ["suspended"]
KIND_OLD = [
    "status",
    "update",
    "contact",
    "fee_guidance",
    "problem",
    "transfer",
    "assign",
    "notice",
    "supplement",
    "extension",
    "joint_review",
    "handover",
    "termination",
    "evaluation",
    "return_visit",
    "problem_solved",
    "due_date_moved",
    "steward",
]
KIND_NEW = KIND_OLD + ["suspension", "resumption"]
REASONS = ["applicant_unreachable", "external_precondition", "other"]

# (table, constraint name, column, old values, new values)
CHANGES = [
    ("service_case", "casestatus", "status", STATUS_OLD, STATUS_NEW),
    ("case_event", "event_from_status", "from_status", STATUS_OLD, STATUS_NEW),
    ("case_event", "event_to_status", "to_status", STATUS_OLD, STATUS_NEW),
    ("case_event", "eventkind", "kind", KIND_OLD, KIND_NEW),
]

# Expression and partial indexes on service_case that SQLite's batch mode loses (see 0006).
OPEN_SQL = "status IN ('applied', 'accepted', 'in_progress', 'awaiting_materials')"
SQLITE_INDEXES = [
    (
        "ix_case_open_last_contact",
        "service_case",
        "coalesce(last_contact_at, applied_at)",
        OPEN_SQL + " AND ended_at IS NULL",
    ),
    ("ix_case_running_due", "service_case", "due_date", "status IN ('accepted', 'in_progress')"),
]


def _check(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _apply(pick):
    by_table = {}
    for table, name, column, old, new in CHANGES:
        by_table.setdefault(table, []).append((name, column, pick(old, new)))
    for table, changes in by_table.items():
        with op.batch_alter_table(table, recreate="auto") as batch_op:
            for name, column, values in changes:
                batch_op.drop_constraint(name, type_="check")
                batch_op.create_check_constraint(name, _check(column, values))
    if op.get_bind().dialect.name == "sqlite":
        for name, table, columns, where in SQLITE_INDEXES:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}) WHERE {where}")


def upgrade():
    _apply(lambda old, new: new)
    op.create_table(
        "case_suspension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suspended_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason_type",
            sa.Enum(
                *REASONS,
                name="suspensionreason",
                native_enum=False,
                length=24,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                *STATUS_NEW,
                name="suspension_from_status",
                native_enum=False,
                length=24,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("due_at_suspension", sa.Date(), nullable=True),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumed_by_id", sa.Integer(), nullable=True),
        sa.Column("renewal_signed_by", sa.String(length=50), nullable=False),
        sa.Column("renewal_file", sa.String(length=255), nullable=True),
        sa.Column("resume_note", sa.Text(), nullable=False),
        sa.Column("paused_working_days", sa.Integer(), nullable=True),
        sa.Column("due_after_resume", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.ForeignKeyConstraint(["suspended_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["resumed_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_suspension_case_id", "case_suspension", ["case_id"])


def downgrade():
    _refuse_if_used()
    op.drop_index("ix_case_suspension_case_id", table_name="case_suspension")
    op.drop_table("case_suspension")
    _apply(lambda old, new: old)


def _refuse_if_used():
    # Nothing recorded is thrown away: a database holding suspensions cannot go back.
    used = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT 1 FROM service_case WHERE status = 'suspended' UNION ALL "
                "SELECT 1 FROM case_event WHERE kind IN ('suspension', 'resumption')"
            )
        )
        .first()
    )
    if used is not None:
        raise RuntimeError("suspended cases are recorded: this migration cannot be undone")
