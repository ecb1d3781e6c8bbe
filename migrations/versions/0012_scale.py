"""scale: composite and trigram indexes for lists, searches and the ledger at 10M cases

Revision ID: 0012_scale
Revises: 0009_jobs_files
Create Date: 2026-12-05

On PostgreSQL the indexes are built CONCURRENTLY (outside a transaction: writes go on while a
big table is indexed) and the trigram ones need pg_trgm: the extension is created when the
server has it; without it the same names get plain b-tree indexes (searches then scan, as
before). SQLite gets plain indexes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_scale"
down_revision = "0009_jobs_files"
branch_labels = None
depends_on = None

COMPOSITE = [
    ("ix_case_handling_applied", "service_case", ["handling_unit_id", "applied_at"]),
    ("ix_case_accepting_applied", "service_case", ["accepting_unit_id", "applied_at"]),
    ("ix_case_specialist_applied", "service_case", ["specialist_id", "applied_at"]),
]
TRIGRAM = [
    ("ix_case_number_trgm", "service_case", "number"),
    ("ix_applicant_name_trgm", "applicant", "name"),
    ("ix_applicant_credit_code_trgm", "applicant", "credit_code"),
]


def _has_trgm(bind) -> bool:
    installed = bind.execute(
        sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    ).first()
    if installed:
        return True
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).first()
    if not available:
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:  # no privilege to create it: plain indexes
        return False
    return True


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        for name, table, columns in COMPOSITE:
            op.create_index(name, table, columns)
        for name, table, column in TRIGRAM:
            op.create_index(name, table, [column])
        return
    trgm = _has_trgm(bind)
    with op.get_context().autocommit_block():
        for name, table, columns in COMPOSITE:
            op.create_index(name, table, columns, postgresql_concurrently=True, if_not_exists=True)
        for name, table, column in TRIGRAM:
            extra = (
                {"postgresql_using": "gin", "postgresql_ops": {column: "gin_trgm_ops"}}
                if trgm
                else {}
            )
            op.create_index(
                name, table, [column], postgresql_concurrently=True, if_not_exists=True, **extra
            )


def downgrade():
    concurrently = op.get_bind().dialect.name == "postgresql"
    names = [(n, t) for n, t, _ in COMPOSITE] + [(n, t) for n, t, _ in TRIGRAM]
    if not concurrently:
        for name, table in names:
            op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        for name, table in names:
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
