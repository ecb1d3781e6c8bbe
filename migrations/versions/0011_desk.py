"""the desk: service items' full pinyin (guide search), window number and hall location

The full pinyin of existing items is computed here with pypinyin directly (a copy of
app/domain/text.py ``pinyin_full`` and app/models.py ``item_pinyin``; migrations never import
application code, which changes after them).

Revision ID: 0011_desk
Revises: 0008_calendar
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0011_desk"
down_revision = "0008_calendar"
branch_labels = None
depends_on = None

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _full(text):
    from pypinyin import Style, lazy_pinyin

    if not text:
        return ""
    joined = "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default")).lower()
    return _NOT_ALNUM.sub(" ", joined.replace("ü", "v")).strip()


def _initials(text):
    from pypinyin import Style, lazy_pinyin

    if not text:
        return ""
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(ch for ch in "".join(letters).lower() if ch.isalnum())


def _item_pinyin(name, keywords):
    words = [_full(name)]
    for keyword in re.split(r"[\s,，、;；]+", keywords or ""):
        if keyword:
            words += [_full(keyword), _initials(keyword)]
    return " ".join(w for w in words if w)


def upgrade():
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pinyin_full", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("window_number", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("hall_location", sa.String(length=200), nullable=True))
    conn = op.get_bind()
    items = sa.table(
        "service_item",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("keywords", sa.String),
        sa.column("pinyin_full", sa.Text),
    )
    rows = conn.execute(sa.select(items.c.id, items.c.name, items.c.keywords)).all()
    for row in rows:
        conn.execute(
            items.update()
            .where(items.c.id == row.id)
            .values(pinyin_full=_item_pinyin(row.name, row.keywords))
        )


def downgrade():
    with op.batch_alter_table("service_item", schema=None) as batch_op:
        batch_op.drop_column("hall_location")
        batch_op.drop_column("window_number")
        batch_op.drop_column("pinyin_full")
