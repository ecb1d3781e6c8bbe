"""statistics rollups: poor ratings and their call-backs (the assessment's complaints and
call-back rate) counted in the rollups; rollups built before this wait for a recount

Revision ID: 0028_rollup_poor
Revises: 0027_notification_withdrawn
Create Date: 2026-12-05

The dashboard's indicators against targets read the rollups' new "poor" rows instead of counting
the cases of the period per specialist again (seconds at a million cases, issue 22). Rows
counted before this have no "poor" rows: where a poor rating exists the rollups get the "stale"
marker (as migration 0013 did), so the dashboard counts live until the nightly check (or
``flask stats check``) has recounted them.
"""

from alembic import op

revision = "0028_rollup_poor"
down_revision = "0027_notification_withdrawn"
branch_labels = None
depends_on = None

MEASURES = [
    "n", "cases", "open", "completed", "terminated", "late", "on_time", "judged",
    "handling_days", "handled", "extensions", "extension_cases", "extension_days", "notices",
    "repeats", "notice_cases", "repeat_cases",
]  # fmt: skip


def upgrade():
    values = ", ".join(["0"] * (len(MEASURES) - 1))
    day = "CAST('1970-01-01' AS DATE)"
    op.execute(
        "INSERT INTO stat_rollup (unit_id, month, dim, key, key_date, "
        f"{', '.join(MEASURES)}) SELECT -1, {day}, 'stale', '', {day}, 1, "
        f"{values} WHERE EXISTS (SELECT 1 FROM evaluation WHERE rating IN ('1', '2')) "
        "AND NOT EXISTS (SELECT 1 FROM stat_rollup WHERE unit_id = -1)"
    )


def downgrade():
    op.execute("DELETE FROM stat_rollup WHERE dim = 'poor'")
