"""Counts that do not count the world: a list says "more than 10,000" instead of scanning them all.

A pager needs to know whether there is a next page, not that a city has 1,234,567 cases: the
count of a list is ``count(*)`` over the list's query cut at ``COUNT_CAP + 1`` rows, so its cost
stops growing with the table (bench/pages.py: a city's case list count 80 ms → 1.5 ms at a
million cases). Where the number is the point (the ledger's total on request, statistics, export
jobs) the exact count is still one call away.

``CappedCount`` is an ``int`` (the pager's arithmetic works unchanged) that renders itself as
"more than 10,000" in a template when the cap was reached.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import escape

from app.scope import scope_count_arms

COUNT_CAP = 10000


def count_cap() -> int:
    """The cap of this app (``LIST_COUNT_CAP``, 10,000 unless configured)."""

    if has_app_context():
        return int(current_app.config.get("LIST_COUNT_CAP", COUNT_CAP))
    return COUNT_CAP


class CappedCount(int):
    """A row count, or ``cap + 1`` with ``capped`` True when more than ``cap`` rows matched."""

    capped: bool
    cap: int

    def __new__(cls, value: int, cap: int = COUNT_CAP):
        capped = value > cap
        self = super().__new__(cls, cap + 1 if capped else value)
        self.capped = capped
        self.cap = cap
        return self

    @property
    def shown(self) -> int:
        """The number to report: the cap itself when capped (read with ``capped``)."""
        return self.cap if self.capped else int(self)

    def label(self) -> str:
        if self.capped:
            return _("more than %(count)s", count=format_decimal(self.cap))
        return str(int(self))

    def __html__(self) -> str:
        return str(escape(self.label()))


def capped_count(session, stmt: sa.Select, cap: int | None = None) -> CappedCount:
    """``count(*)`` of ``stmt``'s rows, reading at most ``cap + 1`` of them."""
    cap = count_cap() if cap is None else cap
    limited = stmt.order_by(None).limit(cap + 1).subquery()
    n = session.execute(sa.select(sa.func.count()).select_from(limited)).scalar_one()
    return CappedCount(n, cap)


def capped_query_count(query, cap: int | None = None) -> CappedCount:
    """The same for a legacy ORM ``Query`` (what Flask-AppBuilder's interface builds)."""
    cap = count_cap() if cap is None else cap
    return CappedCount(query.order_by(None).limit(cap + 1).count(), cap)


class CappedCountInterface(SQLAInterface):
    """SQLAInterface whose list count stops at the cap: "more than 10,000" (screens and API)."""

    def query(
        self,
        filters=None,
        order_column="",
        order_direction="",
        page=None,
        page_size=None,
        select_columns=None,
        outer_default_load=False,
    ):
        """FAB's query, with two ways around its count statement. Unpaged (the choices of a
        related field in a form or the search), every row is read: their number is the count.
        The first page is read with one row more than it shows, and when that row is not there
        the page's rows are all there is (a search finding a few cases ran its trigram search
        twice, 3.5 ms each at 10M cases)."""
        sort = (filters, order_column, order_direction)
        if page is None and page_size is None:
            rows = self._rows(*sort, None, None, select_columns, outer_default_load)
            return len(rows), rows
        if (page_size or 0) <= 0 or page or self.exists_col_to_many(select_columns or []):
            return super().query(*sort, page, page_size, select_columns, outer_default_load)
        rows = self._rows(*sort, None, page_size + 1, select_columns, outer_default_load)
        if len(rows) <= page_size:
            return CappedCount(len(rows), count_cap()), rows
        count = self.query_count(self.session.query(self.obj), filters, select_columns)
        return count, rows[:page_size]

    def _rows(self, *args) -> list:
        """The model's rows of ``apply_all(query, *args)`` (FAB's arguments after the query)."""
        rows = self.apply_all(self.session.query(self.obj), *args).all()
        name = self.obj.__name__
        if rows and hasattr(rows[0], name):
            rows = [getattr(row, name) for row in rows]
        return rows

    def query_count(self, query, filters=None, select_columns=None):
        arms = scope_count_arms(self.obj, filters)
        if arms is None:
            inner = self._apply_inner_all(
                query, filters, select_columns=select_columns, aliases_mapping={}
            )
            return capped_query_count(inner)
        # A town's or a station's cases: the scope's disjoint arms, each through its own index
        # (app/scope.py case_unit_arms), rows reduced to a constant (an index-only count).
        selects = [
            self._apply_inner_all(query, each, select_columns=select_columns, aliases_mapping={})
            .order_by(None)
            .statement.with_only_columns(sa.literal(1).label("one"))
            for each in arms
        ]
        return capped_count(self.session, sa.union_all(*selects))
