"""security stamp: one row whose value changes with every write to roles and permissions (a
trigger on each table), so that each process may keep role permissions in memory and reload
them as soon as anything changed (app/permission_cache.py)

Revision ID: 0026_security_stamp
Revises: 0025_case_archive
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_security_stamp"
down_revision = "0025_case_archive"
branch_labels = None
depends_on = None

# What a role may do: its grants, the permission-views, their names, the roles themselves.
TABLES = (
    "ab_permission_view_role",
    "ab_permission_view",
    "ab_permission",
    "ab_view_menu",
    "ab_role",
)


def upgrade():
    op.create_table(
        "security_stamp",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("stamp", sa.String(length=64), nullable=False),
    )
    op.execute("INSERT INTO security_stamp (id, stamp) VALUES (1, 'initial')")
    if op.get_bind().dialect.name == "postgresql":
        # A new random value at every statement (not a counter: a rolled-back change must never
        # give back a value a process has already cached under). Upserted: a missing row comes back.
        op.execute(
            """
            CREATE FUNCTION security_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO security_stamp (id, stamp) VALUES (1, gen_random_uuid()::text)
                ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
                RETURN NULL;
            END
            $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER security_stamp_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION security_stamp_bump()"
            )
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER security_stamp_{table}_{event.lower()} AFTER {event}"
                    f" ON {table} BEGIN INSERT OR REPLACE INTO security_stamp (id, stamp)"
                    " VALUES (1, lower(hex(randomblob(16)))); END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS security_stamp_bump ON {table}")
        op.execute("DROP FUNCTION IF EXISTS security_stamp_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS security_stamp_{table}_{event}")
    op.drop_table("security_stamp")
