"""enum values of this round: case status voided, event kinds problem_solved and due_date_moved

One migration widens every enum CHECK constraint this round of work needs, so that later
migrations do not each rebuild the same constraint from their own (diverging) lists.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATUS_OLD = ["applied", "accepted", "in_progress", "awaiting_materials", "completed", "terminated"]
STATUS_NEW = STATUS_OLD + ["voided"]
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
]
KIND_NEW = KIND_OLD + ["problem_solved", "due_date_moved", "steward"]

# (table, constraint name, column, old values, new values)
CHANGES = [
    ("service_case", "casestatus", "status", STATUS_OLD, STATUS_NEW),
    ("case_event", "event_from_status", "from_status", STATUS_OLD, STATUS_NEW),
    ("case_event", "event_to_status", "to_status", STATUS_OLD, STATUS_NEW),
    ("case_event", "eventkind", "kind", KIND_OLD, KIND_NEW),
]


# Expression indexes of 0004 that SQLite loses when batch mode recreates service_case.
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


def downgrade():
    _apply(lambda old, new: old)
