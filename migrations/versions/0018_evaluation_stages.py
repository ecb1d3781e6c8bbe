"""好差评 in two stages: evaluation.stage (acceptance / completion), one per stage of a case, and
what the provincial system takes (item code, case number) kept on each evaluation

Revision ID: 0018_evaluation_stages
Revises: 0017_item_codes
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_evaluation_stages"
down_revision = "0017_item_codes"
branch_labels = None
depends_on = None

STAGES = ["acceptance", "completion"]
# SQLite names the unnamed unique constraint of 0001 through this convention in batch mode.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_case_unique():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("evaluation_case_id_key", "evaluation", type_="unique")
        return
    with op.batch_alter_table("evaluation", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint("uq_evaluation_case_id", type_="unique")


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
