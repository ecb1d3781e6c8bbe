"""reference stamp: row 2 of ``security_stamp`` changes with every write to the working-day
calendar (holiday, holiday_year) and the settings (app_setting), so that pages keep them in
memory between requests and read them again as soon as anything changed (app/reference.py)

Revision ID: 0030_reference_stamp
Revises: 0029_rollup_years
"""

from alembic import op

revision = "0030_reference_stamp"
down_revision = "0029_rollup_years"
branch_labels = None
depends_on = None

TABLES = ("holiday", "holiday_year", "app_setting")


def upgrade():
    op.execute("INSERT INTO security_stamp (id, stamp) VALUES (2, 'initial')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION reference_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO security_stamp (id, stamp) VALUES (2, gen_random_uuid()::text)
                ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
                RETURN NULL;
            END
            $$
            """
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER reference_stamp_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION reference_stamp_bump()"
            )
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER reference_stamp_{table}_{event.lower()} AFTER {event}"
                    f" ON {table} BEGIN INSERT OR REPLACE INTO security_stamp (id, stamp)"
                    " VALUES (2, lower(hex(randomblob(16)))); END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS reference_stamp_bump ON {table}")
        op.execute("DROP FUNCTION IF EXISTS reference_stamp_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS reference_stamp_{table}_{event}")
    op.execute("DELETE FROM security_stamp WHERE id = 2")
