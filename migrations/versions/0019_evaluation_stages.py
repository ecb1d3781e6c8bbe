"""好差评 in two stages: evaluation.stage (acceptance / completion), one per stage of a case, and
what the provincial system takes (item code, case number) kept on each evaluation

Revision ID: 0019_evaluation_stages
Revises: 0018_attachment_kinds
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_evaluation_stages"
down_revision = "0018_attachment_kinds"
branch_labels = None
depends_on = None

STAGES = ["acceptance", "completion"]


def _evaluation_as_in_0001():
    """The evaluation table as 0001 made it, without its unnamed UNIQUE (case_id): SQLite's
    batch mode copies the table from this description, so the constraint is left behind."""
    meta = sa.MetaData()
    sa.Table("service_case", meta, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("ab_user", meta, sa.Column("id", sa.Integer, primary_key=True))
    return sa.Table(
        "evaluation",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("service_case.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer, sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column(
            "rating",
            sa.Enum(
                "5",
                "4",
                "3",
                "2",
                "1",
                name="rating",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "on_site",
                "sms_link",
                "phone",
                name="evaluationchannel",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("comments", sa.Text, nullable=False),
        sa.Index("ix_evaluation_rating", "rating"),
    )


def _drop_case_unique():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("evaluation_case_id_key", "evaluation", type_="unique")
        return
    with op.batch_alter_table("evaluation", copy_from=_evaluation_as_in_0001(), recreate="always"):
        pass


def upgrade():
    _drop_case_unique()
    with op.batch_alter_table("evaluation") as batch_op:
        batch_op.add_column(
            sa.Column(
                "stage",
                sa.Enum(
                    *STAGES,
                    name="evaluationstage",
                    native_enum=False,
                    length=24,
                    create_constraint=True,
                ),
                nullable=False,
                server_default="completion",
            )
        )
        batch_op.add_column(
            sa.Column("item_code", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("case_number", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.create_unique_constraint("uq_evaluation_case_stage", ["case_id", "stage"])
    # The evaluations recorded so far were given at completion: their case's number and item code.
    op.execute(
        "UPDATE evaluation SET case_number = "
        "(SELECT number FROM service_case WHERE service_case.id = evaluation.case_id)"
    )
    op.execute(
        "UPDATE evaluation SET item_code = (SELECT coalesce(service_item.implementation_code, "
        "service_item.basic_code, service_item.code) FROM service_case JOIN service_item "
        "ON service_item.id = service_case.item_id WHERE service_case.id = evaluation.case_id)"
    )


def downgrade():
    used = (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM evaluation WHERE stage = 'acceptance'"))
        .first()
    )
    if used is not None:
        raise RuntimeError("evaluations at acceptance are recorded: this cannot be undone")
    with op.batch_alter_table("evaluation") as batch_op:
        batch_op.drop_constraint("uq_evaluation_case_stage", type_="unique")
        batch_op.drop_constraint("evaluationstage", type_="check")
        batch_op.drop_column("case_number")
        batch_op.drop_column("item_code")
        batch_op.drop_column("stage")
    with op.batch_alter_table("evaluation") as batch_op:
        batch_op.create_unique_constraint("evaluation_case_id_key", ["case_id"])
