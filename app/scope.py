"""Tier scoping: the one place that decides which rows a user may see.

A user sees their own unit and every unit below it. Units form a tree with a materialized path
of codes (``/440781/440781100/``), so a subtree is one indexed ``LIKE '/440781/440781100/%'``
query. Admins see everything; any other account without a unit sees nothing (fail closed).

Every screen (through ``ScopeFilter`` in ``base_filters``), export, chart, API and job asks this
module for its clause; nothing else writes a scope condition by hand.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.compiler import compiles

from app import models as m
from app.extensions import db
from app.roles import held_role_names

ADMIN_ROLE = "Admin"


class InUnits(sa.sql.expression.ColumnElement):
    """``column IN (unit ids subquery)``, written so that PostgreSQL uses the column's index.

    PostgreSQL plans ``col IN (SELECT …)`` as a hashed subplan filtering every row, so a
    village's 3,000 cases were found by scanning a million (issue 22).
    ``col = ANY(ARRAY(SELECT …))`` runs the subquery once as an init plan and probes the
    column's index with its array (two unit columns: a BitmapOr of two index scans). SQLite
    keeps ``IN``.
    """

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a comparison already: SQLite needs no "= 1" after it
    _traverse_internals = [
        ("column", sa.sql.visitors.InternalTraversal.dp_clauseelement),
        ("ids", sa.sql.visitors.InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column, ids: sa.Select):
        self.column = column
        self.ids = ids.scalar_subquery()


@compiles(InUnits)
def _in_units_default(element, compiler, **kw):
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(InUnits, "postgresql")
def _in_units_pg(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY(ARRAY{compiler.process(element.ids, **kw)})"


# Above this many units the subtree stays a subquery (a statement of 35k literal ids costs more
# to parse than the plan saves).
MAX_LISTED_UNITS = 2000


def literal_ids(ids: tuple[int, ...]) -> sa.BindParameter:
    """The ids written into the statement (``IN (1, 2, 3)``), not bound: PostgreSQL estimates
    the rows of these very units, and a prepared statement's generic plan cannot forget them."""
    return sa.bindparam("scope_ids", list(ids), expanding=True, literal_execute=True, unique=True)


def case_unit_arms(units: tuple[int, ...], only: int | None = None) -> list:
    """The cases of ``units`` (handled or accepted at one of them) as two disjoint conditions:
    handled at one of them; accepted at one of them but handled elsewhere. Their union is the
    scope's ``OR`` over the two unit columns, but each arm reads its own index ((handling unit,
    applied_at), index-only for a count; the partial index of transferred cases), where the
    ``OR`` can only be a bitmap of every case of the units or a walk of the date index (a town's
    capped count: 40–70 ms at 10M cases, 2 ms in arms). ``only``: the arms of that one of
    ``units`` (a merge of per-unit scans)."""
    case = m.Case
    these = (only,) if only is not None else units
    return [
        case.handling_unit_id.in_(literal_ids(these)),
        sa.and_(
            case.accepting_unit_id.in_(literal_ids(these)),
            case.handling_unit_id.not_in(literal_ids(units)),
            # implied by the line above; says so to the planner, which then reads the partial
            # index of transferred cases (ix_case_transferred_applied)
            case.accepting_unit_id != case.handling_unit_id,
        ),
    ]


@dataclass(frozen=True)
class Scope:
    """What one user may see: everything, nothing, or the subtree under ``path``."""

    everything: bool = False
    path: str | None = None
    unit_id: int | None = None
    user_id: int | None = None  # whose own records (background jobs) are in scope too
    # The ids of the subtree's units as read once (``resolved``): written into the SQL as a
    # list, so that PostgreSQL plans for a village's one unit or a city's 290 (issue 22).
    ids: tuple[int, ...] | None = None
    whole: bool = False  # the subtree holds every unit: no unit condition at all

    @property
    def nothing(self) -> bool:
        return not self.everything and self.path is None

    def unit_ids(self) -> sa.Select:
        """SELECT of the ids of every unit in scope (a subquery for ``IN``)."""
        # Never correlated: a query that itself joins org_unit keeps this subquery whole.
        query = sa.select(m.OrgUnit.id).correlate(None)
        if self.everything:
            return query
        if self.path is None:
            return query.where(sa.false())
        return query.where(m.OrgUnit.path.startswith(self.path, autoescape=True))

    def units_clause(self, *columns) -> sa.ColumnElement[bool]:
        """True where any of ``columns`` (unit id columns) is a unit in scope."""
        if self.everything:
            return sa.true()
        if self.path is None:
            return sa.false()
        if self.whole:
            # Every unit is in the subtree: any unit at all (the columns are foreign keys), and
            # no condition where a column always has one (an index-only count can then serve).
            if any(not col.nullable for col in columns):
                return sa.true()
            return sa.or_(*[col.is_not(None) for col in columns])
        if self.ids is not None:
            return sa.or_(*[col.in_(literal_ids(self.ids)) for col in columns])
        ids = self.unit_ids()
        return sa.or_(*[InUnits(col, ids) for col in columns])

    def case_arms(self) -> list | None:
        """``clause_for(m.Case)`` as disjoint arms (``case_unit_arms``) when the scope's units
        are listed (a town, a station; resolved); None where one clause is as good."""
        if self.everything or self.path is None or self.whole or self.ids is None:
            return None
        return case_unit_arms(self.ids)

    def resolved(self, session) -> Scope:
        """The same scope with its units' ids read now (one small query on ``org_unit``).

        ``col = ANY(ARRAY(subquery))`` is planned before the subquery runs: PostgreSQL guesses
        3% of the table for a village and for a city alike, and so builds a city's bitmap of a
        million rows to count ten thousand of them (280 ms at 1M cases, ten times that at 10M).
        With the ids in the statement it knows how many rows a unit has: a city's count reads
        ten thousand rows, a town's list walks the date index, a village's its unit indexes.
        A subtree holding every unit (the top of the tree) needs no unit condition at all.
        """
        if self.everything or self.path is None or self.ids is not None or self.whole:
            return self
        if session.get_bind().dialect.name != "postgresql":
            return self  # SQLite plans ``IN (subquery)`` well enough
        rows = session.execute(self.unit_ids().add_columns(_all_units()).order_by(m.OrgUnit.id))
        rows = rows.all()
        return self.with_units(tuple(r[0] for r in rows), rows[0][1] if rows else None)

    def with_units(self, ids: tuple[int, ...], total: int | None) -> Scope:
        """This scope with its subtree's unit ids (``total``: how many units there are)."""
        if ids and total is not None and len(ids) == total:
            return replace(self, whole=True)
        if len(ids) > MAX_LISTED_UNITS:
            return self
        return replace(self, ids=tuple(ids))

    def cases(self) -> sa.Select:
        """SELECT of the ids of every case in scope."""
        return sa.select(m.Case.id).where(self.clause_for(m.Case))

    def clause_for(self, model) -> sa.ColumnElement[bool]:
        """The WHERE clause restricting ``model`` to this scope."""
        if self.everything:
            return sa.true()
        if self.path is None:
            return sa.false()
        rule = SCOPE_RULES.get(model)
        if rule is None:
            # A model with no rule is global reference data (service items, departments...).
            return sa.true()
        return rule(self)

    def contains_unit(self, unit: m.OrgUnit | None) -> bool:
        """Whether a loaded unit is in scope (for write checks)."""
        if self.everything:
            return True
        if unit is None or self.path is None:
            return False
        return (unit.path or "").startswith(self.path)


def _case_rule(scope: Scope) -> sa.ColumnElement[bool]:
    """Both sides of a transfer keep sight of the case: the handling or the accepting unit is in
    scope. Uncorrelated subqueries of unit ids (hashed once per statement): at a million cases this
    counts a town's cases five times faster than a per-row EXISTS (bench/pages.py)."""
    return scope.units_clause(m.Case.handling_unit_id, m.Case.accepting_unit_id)


def _via_case(model):
    return lambda scope: model.case_id.in_(scope.cases())


SCOPE_RULES = {
    m.OrgUnit: lambda s: s.units_clause(m.OrgUnit.id),
    m.Specialist: lambda s: s.units_clause(m.Specialist.unit_id),
    m.Applicant: lambda s: s.units_clause(m.Applicant.unit_id),
    m.Case: _case_rule,
    m.CaseEvent: _via_case(m.CaseEvent),
    m.MaterialNotice: _via_case(m.MaterialNotice),
    m.Extension: _via_case(m.Extension),
    m.Handover: _via_case(m.Handover),
    m.Termination: _via_case(m.Termination),
    m.Suspension: _via_case(m.Suspension),
    m.JointReview: _via_case(m.JointReview),
    m.Evaluation: _via_case(m.Evaluation),
    m.ReturnVisit: _via_case(m.ReturnVisit),
    m.Attachment: _via_case(m.Attachment),
    m.HomeVisit: _via_case(m.HomeVisit),
    m.ProjectTeam: _via_case(m.ProjectTeam),
    m.ProjectLiaison: _via_case(m.ProjectLiaison),
    m.ProjectLogEntry: _via_case(m.ProjectLogEntry),
    m.ProjectIssue: _via_case(m.ProjectIssue),
    m.Rectification: lambda s: m.Rectification.evaluation_id.in_(
        sa.select(m.Evaluation.id).where(m.Evaluation.case_id.in_(s.cases()))
    ),
    m.WalkInHelp: lambda s: s.units_clause(m.WalkInHelp.unit_id),
    m.AppointmentPattern: lambda s: s.units_clause(m.AppointmentPattern.unit_id),
    m.AppointmentSlot: lambda s: s.units_clause(m.AppointmentSlot.unit_id),
    m.Appointment: lambda s: s.units_clause(m.Appointment.unit_id),
    m.ChaseUp: _via_case(m.ChaseUp),
    m.Complaint: lambda s: s.units_clause(m.Complaint.unit_id),
    m.ComplaintEvent: lambda s: m.ComplaintEvent.complaint_id.in_(
        sa.select(m.Complaint.id).where(s.units_clause(m.Complaint.unit_id))
    ),
    m.BackgroundJob: lambda s: _job_rule(s),
    m.PeriodicReport: lambda s: s.units_clause(m.PeriodicReport.unit_id),
    m.CaseArchive: _via_case(m.CaseArchive),
}


def _job_rule(scope: Scope) -> sa.ColumnElement[bool]:
    """A background job is seen by its owner; a unit's summary job (no owner, its unit in its
    parameters) by everyone whose scope holds the unit. Other jobs without an owner (the
    calendar's recompute) are an Admin's only."""
    job = m.BackgroundJob
    summary = sa.and_(
        job.user_id.is_(None),
        job.kind == "ledger_summary",
        job.params["unit_id"].as_integer().in_(scope.unit_ids()),
    )
    if scope.user_id is None:
        return summary
    return sa.or_(job.user_id == scope.user_id, summary)


def _ids_as_text(query: sa.Select) -> sa.Select:
    """The same SELECT of ids, as text (the audit trail keys rows by text)."""
    (column,) = query.selected_columns
    return query.with_only_columns(sa.cast(column, sa.String))


def _staff_of(scope: Scope) -> sa.Select:
    """Accounts (``ab_user`` ids) of the staff of the units in scope."""
    return sa.select(m.Specialist.user_id).where(
        m.Specialist.user_id.is_not(None), SCOPE_RULES[m.Specialist](scope)
    )


def _audit_rule(scope: Scope) -> sa.ColumnElement[bool]:
    """An audit entry is in scope when it is about a record in scope (a case, an applicant, a
    staff member, a unit, an account of that staff) or was made by an account of that staff.
    Entries about global data (the catalogue, roles, permissions, the system) are the Admins'."""
    log = m.AuditLog
    user = m.User
    staff_accounts = _staff_of(scope)
    about = {
        "service_case": sa.select(m.Case.id).where(_case_rule(scope)),
        "applicant": sa.select(m.Applicant.id).where(SCOPE_RULES[m.Applicant](scope)),
        "specialist": sa.select(m.Specialist.id).where(SCOPE_RULES[m.Specialist](scope)),
        "org_unit": sa.select(m.OrgUnit.id).where(SCOPE_RULES[m.OrgUnit](scope)),
        "periodic_report": sa.select(m.PeriodicReport.id).where(
            SCOPE_RULES[m.PeriodicReport](scope)
        ),
        "ab_user": staff_accounts,
    }
    clauses = [
        sa.and_(log.table_name == table, log.row_id.in_(_ids_as_text(ids)))
        for table, ids in about.items()
    ]
    # Lock and unlock entries name the account by its user name.
    clauses.append(
        sa.and_(
            log.table_name == "ab_user",
            log.row_id.in_(sa.select(user.username).where(user.id.in_(staff_accounts))),
        )
    )
    clauses.append(log.user_id.in_(staff_accounts))
    return sa.or_(*clauses)


SCOPE_RULES[m.AuditLog] = _audit_rule


# The unit relationships a written row must keep inside the scope.
WRITE_UNIT_RELATIONS = {
    "OrgUnit": ("parent",),
    "Specialist": ("unit",),
    "Applicant": ("unit",),
    "WalkInHelp": ("unit",),
    "Appointment": ("unit",),
    "Complaint": ("unit",),
    "Case": ("handling_unit",),  # only the current handling side edits
}


def _unit_id(item, relation: str):
    related = getattr(item, relation, None)
    if related is not None:
        return related.id
    return getattr(item, f"{relation}_id", None)


def row_in_scope(session, item, scope) -> bool:
    """Whether ``item`` as it stands in memory satisfies its model's scope rule."""

    model = type(item)
    if model not in SCOPE_RULES:
        return True
    relations = WRITE_UNIT_RELATIONS.get(model.__name__)
    if relations is not None:
        ids = {_unit_id(item, rel) for rel in relations}
        if None in ids:
            return False
        found = session.execute(scope.unit_ids().where(m.OrgUnit.id.in_(ids))).scalars().all()
        return set(found) == ids
    case_id = (
        getattr(item, "case_id", None)
        or getattr(getattr(item, "case", None), "id", None)
        or getattr(getattr(item, "evaluation", None), "case_id", None)
    )
    if case_id is None:
        return False
    return session.execute(scope.cases().where(m.Case.id == case_id)).first() is not None


_UNIT_READ = "bangban.scope_unit"  # request.environ: (user id, unit id, path) read with the user


def unit_of_account(user_id: int) -> sa.Select:
    """SELECT of the unit (id, path) of the account's active staff record (one at most)."""
    return (
        sa.select(m.OrgUnit.id, m.OrgUnit.path)
        .join(m.Specialist, m.Specialist.unit_id == m.OrgUnit.id)
        .where(m.Specialist.user_id == user_id, m.Specialist.active.is_(True))
    )


def _all_units() -> sa.ScalarSelect:
    units = m.OrgUnit.__table__.alias("all_units")
    return sa.select(sa.func.count()).select_from(units).scalar_subquery()


def subtree_of_account(user_id: int) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """PostgreSQL: the ids of the units under the account's unit (an array) and the number of
    all units, to read with the account (app/sessions.py): the scope is resolved
    (``Scope.resolved``) without a statement of its own."""
    path = unit_of_account(user_id).limit(1).with_only_columns(m.OrgUnit.path).scalar_subquery()
    below = sa.orm.aliased(m.OrgUnit, name="below")
    ids = (
        sa.select(sa.func.array_agg(aggregate_order_by(below.id, below.id)))
        .where(sa.func.left(below.path, sa.func.length(path)) == path)
        .scalar_subquery()
    )
    return ids, _all_units()


def remember_unit(
    user_id: int, unit_id: int | None, path: str | None, ids=None, total: int | None = None
) -> None:
    """The unit of the request's account, read by the statement that loaded it
    (app/sessions.py): the scope needs no statement of its own (``ids``, ``total``: its
    subtree's units, ``subtree_of_account``)."""
    if has_request_context():
        request.environ[_UNIT_READ] = (user_id, unit_id, path, ids, total)


def scope_for_user(user) -> Scope:
    """The scope of a FAB user object (or None / anonymous: nothing)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope()
    if ADMIN_ROLE in held_role_names(user):
        return Scope(everything=True)
    read = request.environ.get(_UNIT_READ) if has_request_context() else None
    ids = total = None
    if read is not None and read[0] == user.id:
        unit_id, path, ids, total = read[1], read[2], read[3], read[4]
    else:
        row = db.session.execute(unit_of_account(user.id)).first()
        unit_id, path = (row.id, row.path) if row is not None else (None, None)
    if unit_id is None or path is None:
        return Scope()
    scope = Scope(path=path, unit_id=unit_id, user_id=user.id)
    if ids is not None and total is not None:
        return scope.with_units(tuple(ids), total)
    return scope.resolved(db.session)


def ranking_scope(scope: Scope) -> Scope:
    """The field a specialist's own rank is counted in: the whole tree of the scope's unit (the
    center's ranking per tier, as the city's managers see it). Only a position in it and the
    number ranked may be shown from it to someone whose own scope is narrower, never another
    person's row (app/assessment/indicators.py ``own_assessment``)."""
    if scope.everything or scope.path is None:
        return scope
    root = scope.path.strip("/").split("/")[0]
    return Scope(path=f"/{root}/")


def current_scope() -> Scope:
    """The scope of the user of the current request, computed once per request and user."""
    if not has_request_context():
        return Scope()
    user = getattr(g, "user", None)
    key = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    cached = getattr(g, "_scope", None)
    if cached is None or cached[0] != key:
        cached = (key, scope_for_user(user))
        g._scope = cached
    return cached[1]


class ScopeFilter(BaseFilter):
    """FAB base filter applying the current user's scope to a view's model."""

    name = "scope"

    def apply(self, query, value):
        return query.filter(current_scope().clause_for(self.model))


class ScopeArmFilter(ScopeFilter):
    """The scope filter narrowed to one of its disjoint arms (``Scope.case_arms``), given as the
    filter's value: a count adds up the arms (app/counting.py)."""

    def apply(self, query, value):
        return query.filter(value)


def scope_count_arms(model, filters) -> list | None:
    """Copies of FAB ``filters`` (the scope alone) whose scope filter is each of its arms (their
    counts add up to the count of ``filters``); None when the scope is one clause anyway."""
    if model is not m.Case or filters is None:
        return None
    arms = current_scope().case_arms()
    # Only the scope: a search (a trigram or an applicant's cases) is narrower than the units,
    # and each arm would repeat it.
    if arms is None or not filters.filters:
        return None
    if not all(isinstance(f, ScopeFilter) for f in filters.filters):
        return None
    out = []
    for arm in arms:
        each = copy.copy(filters)
        each.filters, each.values = [], []
        for flt, value in zip(filters.filters, filters.values, strict=True):
            if isinstance(flt, ScopeFilter):
                flt, value = ScopeArmFilter(flt.column_name, flt.datamodel), arm
            each.filters.append(flt)
            each.values.append(value)
        out.append(each)
    return out
