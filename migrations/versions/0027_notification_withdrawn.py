"""a notification can be withdrawn: not sent because what it was about no longer holds at send
time (an appointment cancelled after its reminder SMS was written)

Revision ID: 0027_notification_withdrawn
Revises: 0026_security_stamp
"""

from alembic import op

revision = "0027_notification_withdrawn"
down_revision = "0026_security_stamp"
branch_labels = None
depends_on = None

OLD = ["pending", "sent", "failed"]
NEW = OLD + ["withdrawn"]


def _check(values):
    return f"status IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table("notification", recreate="auto") as batch:
        batch.drop_constraint("notificationstatus", type_="check")
        batch.create_check_constraint("notificationstatus", _check(NEW))


def downgrade():
    op.execute("UPDATE notification SET status = 'failed' WHERE status = 'withdrawn'")
    with op.batch_alter_table("notification", recreate="auto") as batch:
        batch.drop_constraint("notificationstatus", type_="check")
        batch.create_check_constraint("notificationstatus", _check(OLD))
