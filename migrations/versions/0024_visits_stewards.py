"""home visits (上门服务) and the 1+1+N team of major projects (项目管家): the case's channel, the
home_visit table with its staff, the project team, liaisons, log and issue list, their timeline
kinds; the statistics' channel rows for the cases counted so far (all of them at the hall)

Revision ID: 0024_visits_stewards
Revises: 0023_assessment
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_visits_stewards"
down_revision = "0023_assessment"
branch_labels = None
depends_on = None

CHANNELS = ["hall", "home_visit"]
EVENTS_OLD = [
    "status", "update", "contact", "fee_guidance", "problem", "transfer", "assign", "notice",
    "supplement", "extension", "joint_review", "handover", "termination", "evaluation",
    "return_visit", "problem_solved", "due_date_moved", "steward", "suspension", "resumption",
    "attachment", "attachment_voided", "chase_up", "chase_up_reply",
]  # fmt: skip
EVENTS_NEW = EVENTS_OLD + ["home_visit", "project_team", "project_log", "project_issue"]
ISSUE_STATUSES = ["open", "solved"]
MEASURES = (
    "n cases open completed terminated late on_time judged handling_days handled extensions "
    "extension_cases extension_days notices repeats notice_cases repeat_cases"
).split()


def _check(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _events(values):
    with op.batch_alter_table("case_event", recreate="auto") as batch:
        batch.drop_constraint("eventkind", type_="check")
        batch.create_check_constraint("eventkind", _check("kind", values))


def _ts(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.add_column(
        "service_case",
        sa.Column("channel", sa.String(24), nullable=False, server_default="hall"),
    )
    if op.get_bind().dialect.name != "sqlite":
        # SQLite would copy the whole table to add a CHECK (losing its partial indexes, see
        # 0014); the ORM's enum validates the value there.
        op.create_check_constraint("casechannel", "service_case", _check("channel", CHANNELS))
    _events(EVENTS_NEW)
    op.create_table(
        "home_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        _ts("planned_at"),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("planned_by_id", sa.Integer(), nullable=True),
        _ts("done_at", nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.ForeignKeyConstraint(["planned_by_id"], ["ab_user.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_home_visit_case_id", "home_visit", ["case_id"])
    op.create_index("ix_home_visit_planned_at", "home_visit", ["planned_at"])
    op.create_table(
        "home_visit_staff",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["home_visit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialist.id"]),
        sa.PrimaryKeyConstraint("visit_id", "specialist_id"),
    )
    op.create_table(
        "project_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    op.create_table(
        "project_liaison",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        _ts("added_at"),
        _ts("removed_at", nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_liaison_case_id", "project_liaison", ["case_id"])
    op.create_table(
        "project_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _ts("at"),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_log_case_id", "project_log", ["case_id"])
    op.create_table(
        "project_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                *ISSUE_STATUSES,
                name="projectissuestatus",
                native_enum=False,
                length=24,
                create_constraint=True,
            ),
            nullable=False,
        ),
        _ts("raised_at"),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        _ts("solved_at", nullable=True),
        sa.Column("solution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["service_case.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.ForeignKeyConstraint(["raised_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_issue_case_id", "project_issue", ["case_id"])
    op.create_index("ix_project_issue_due_on", "project_issue", ["due_on"])
    # Every case so far was served at the hall: its channel row equals its unit's total row.
    columns = ", ".join(MEASURES)
    zeros = ", ".join(["0"] * (len(MEASURES) - 1))
    op.execute(
        f"INSERT INTO stat_rollup (unit_id, month, dim, key, key_date, {columns}) "
        f"SELECT unit_id, month, 'channel', 'hall', key_date, n, {zeros} FROM stat_rollup "
        "WHERE dim = 'total' AND unit_id >= 0"
    )


def downgrade():
    used = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT 1 FROM service_case WHERE channel <> 'hall' UNION ALL "
                "SELECT 1 FROM case_event WHERE kind IN "
                "('home_visit', 'project_team', 'project_log', 'project_issue')"
            )
        )
        .first()
    )
    if used is not None:
        raise RuntimeError("home visits or project teams are recorded: this cannot be undone")
    op.execute("DELETE FROM stat_rollup WHERE dim = 'channel'")
    for table in ("project_issue", "project_log", "project_liaison", "project_team"):
        op.drop_table(table)
    op.drop_table("home_visit_staff")
    op.drop_table("home_visit")
    _events(EVENTS_OLD)
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("casechannel", "service_case", type_="check")
    with op.batch_alter_table("service_case", recreate="never") as batch:
        batch.drop_column("channel")
