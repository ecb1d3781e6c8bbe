"""Statistics rollups: kept current by every lifecycle step, equal to a full recount, read by
the dashboard with the same numbers the live GROUP BY gives, checked and repaired nightly."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import models as m
from app.assessment.indicators import against_targets
from app.domain import clock, followup, lifecycle
from app.domain.errors import DomainError
from app.enums import EvaluationChannel, Rating, TerminationReason, WalkInKind
from app.extensions import db
from app.ledger import rollup, stats
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.scope import Scope
from tests import factories, ledger_world

STEPS = [
    "apply",
    "confirm",
    "submit",
    "notify",
    "supplement",
    "extend",
    "complete",
    "evaluate",
    "terminate",
    "transfer",
    "assign",
    "problem",
    "callback",
    "walkin",
]


class World:
    """Units, staff, items and problem categories; cases made by the steps."""

    def __init__(self):
        self.tree = factories.unit_tree()
        t = self.tree
        self.units = [t.city, t.town_a, t.town_b, t.village_a1, t.village_b1]
        self.staff = [
            factories.staff("r_city", "Specialist", t.city),
            factories.staff("r_a", "Specialist", t.town_a),
            factories.staff("r_b", "Specialist", t.town_b),
            factories.staff("r_a1", "Specialist", t.village_a1),
            factories.staff("r_b1", "Specialist", t.village_b1),
        ]
        self.items = [factories.service_item(promised_days=d) for d in (2, 5)]
        self.categories = [
            m.ProblemCategory(code="R-1", name="材料"),
            m.ProblemCategory(code="R-2", name="系统"),
        ]
        db.session.add_all(self.categories)
        db.session.commit()
        self.cases: list[int] = []

    def step(self, name: str, pick: int, day: int) -> None:
        clock.set_fixed(dt.datetime(2026, 1, 5, 10) + dt.timedelta(days=day, hours=pick % 5))
        spec = self.staff[pick % len(self.staff)]
        if name == "apply" or not self.cases:
            unit = self.units[pick % len(self.units)]
            case = factories.case(unit, spec, item=self.items[pick % 2])
            self.cases.append(case.id)
            return
        if name == "walkin":
            db.session.add(
                m.WalkInHelp(
                    unit_id=spec.unit_id,
                    specialist_id=spec.id,
                    kind=list(WalkInKind)[pick % len(WalkInKind)],
                )
            )
            db.session.commit()
            return
        case = db.session.get(m.Case, self.cases[pick % len(self.cases)])
        actor = (case.specialist or spec).user
        try:
            self._run(name, case, actor, pick)
            db.session.commit()
        except DomainError:
            db.session.rollback()

    def _run(self, name, case, actor, pick):
        s = db.session
        if name == "confirm":
            lifecycle.confirm(
                s,
                case,
                actor,
                process_explained=True,
                applicant_signed=True,
                received_material_ids=[],
            )
        elif name == "submit":
            lifecycle.submit(s, case, actor)
        elif name == "notify":
            deadline = clock.today() + dt.timedelta(days=10)
            lifecycle.notify_missing(s, case, actor, deadline=deadline, repeat_reason="过期")
        elif name == "supplement":
            materials = [mat.id for mat in case.item.materials]
            lifecycle.supplement(s, case, actor, material_ids=materials)
        elif name == "extend":
            reason = ["现场核查", "联合审查"][pick % 2]
            lifecycle.extend(
                s, case, actor, extra_days=1 + pick % 3, reason=reason, explained_to_applicant=True
            )
        elif name == "complete":
            lifecycle.complete(
                s, case, actor, results="证照", materials_returned="原件", signed_by="本人"
            )
        elif name == "evaluate":
            rating = list(Rating)[pick % len(Rating)]
            lifecycle.evaluate(s, case, actor, rating=rating, channel=EvaluationChannel.ON_SITE)
        elif name == "terminate":
            lifecycle.terminate(
                s,
                case,
                actor,
                reason_type=list(TerminationReason)[pick % len(TerminationReason)],
                reason="申请人撤回",
                materials_returned="原件",
                applicant_signed=True,
                specialist_signed=True,
            )
        elif name == "transfer":
            lifecycle.transfer(s, case, actor, to_unit=self.units[pick % len(self.units)])
        elif name == "assign":
            lifecycle.assign(s, case, actor, specialist=self.staff[pick % len(self.staff)])
        elif name == "callback":
            # A poor rating looked into and closed by a call-back (the assessment's call-backs).
            rect = s.execute(
                sa.select(m.Rectification)
                .join(m.Evaluation, m.Evaluation.id == m.Rectification.evaluation_id)
                .where(m.Evaluation.case_id == case.id)
                .order_by(m.Rectification.id)
            ).scalar()
            if rect is not None:
                followup.verify(s, rect, actor, verification="核实", action_taken="整改")
                followup.close_by_callback(s, rect, actor, note="回访满意")
        elif name == "problem":
            category = self.categories[pick % 2]
            lifecycle.record(
                s, case, actor, "problem", note="问题", problem_category_id=category.id
            )


def _scopes(world) -> list[Scope]:
    t = world.tree
    return [Scope(everything=True)] + [
        Scope(path=u.path, unit_id=u.id) for u in (t.city, t.town_a, t.village_a1, t.village_b1)
    ]


FILTERS = [
    LedgerFilter(),
    LedgerFilter(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31)),
    LedgerFilter(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 3, 31)),
    # A whole year (its yearly rows), and one with months around it (both kinds of rows).
    LedgerFilter(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 12, 31)),
    LedgerFilter(date_from=dt.date(2025, 11, 1), date_to=dt.date(2027, 1, 31)),
    LedgerFilter(date_from=dt.date(2026, 2, 1)),
]


def _both_ways(q: LedgerQuery) -> tuple[dict, dict]:
    assert rollup.applies(q)
    from_rollups = stats.dashboard(q)
    q.session.rollback()  # SET LOCAL of the live path stays in its own transaction
    live = stats.dashboard_live(q)
    q.session.rollback()
    return from_rollups, live


@pytest.fixture
def world(app):
    world = World()
    yield world
    clock.set_fixed(None)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(STEPS), st.integers(0, 1000), st.integers(0, 70)),
        min_size=1,
        max_size=25,
    )
)
def test_rollups_equal_a_full_recount_after_random_lifecycle_steps(world, steps):
    for name, pick, day in sorted(steps, key=lambda s: s[2]):
        world.step(name, pick, day)
    report = rollup.check(db.session, repair=False)
    db.session.rollback()
    assert report["differing"] == 0, report
    assert report["rows"] > 0


def test_the_dashboard_from_rollups_equals_the_live_count(world):
    plan = [("apply", i, i) for i in range(12)]
    for i in range(60):
        plan.append((STEPS[1 + i % (len(STEPS) - 1)], i * 7, 5 + i))
    for name, pick, day in plan:
        world.step(name, pick, day)
    clock.set_fixed(dt.datetime(2026, 3, 20, 10))
    for scope in _scopes(world):
        for flt in FILTERS:
            q = LedgerQuery(db.session, scope, flt)
            from_rollups, live = _both_ways(q)
            for part in live:
                assert from_rollups[part] == live[part], (part, scope, flt)
    q = LedgerQuery(db.session, Scope(everything=True), LedgerFilter())
    assert stats.dashboard(q)["totals"]["cases"] == 12


def test_the_dashboard_s_indicators_come_from_its_rollups_with_the_live_numbers(world):
    """Poor ratings and their call-backs are in the rollups: the dashboard's indicators against
    targets read them, and equal the per-specialist live count."""
    plan = [("apply", i, i) for i in range(8)]
    for i in range(8):
        plan += [("confirm", i, 9), ("submit", i, 10), ("complete", i, 11)]
        plan.append(("evaluate", 3 + 5 * i, 12))  # every rating, poor ones too
    plan += [("callback", i, 14) for i in range(8)]
    for name, pick, day in plan:
        world.step(name, pick, day)
    clock.set_fixed(dt.datetime(2026, 3, 20, 10))
    q = LedgerQuery(db.session, Scope(everything=True), LedgerFilter())
    assert rollup.applies(q)
    figures = stats.dashboard(q)
    assert figures["poor_ratings"]["evaluations"] > 0
    assert figures["poor_ratings"]["callbacks"] > 0
    assert against_targets(q, figures) == against_targets(q)
    assert rollup.check(db.session, repair=False)["differing"] == 0


def test_whole_years_of_a_range_of_months():
    d = dt.date
    assert rollup.whole_years(None, None) == (None, None)
    assert rollup.whole_years(d(2026, 1, 1), d(2026, 12, 1)) == (2026, 2026)
    assert rollup.whole_years(d(2025, 11, 1), d(2027, 1, 1)) == (2026, 2026)
    assert rollup.whole_years(d(2026, 2, 1), d(2026, 12, 1)) == (2027, 2026)  # none
    assert rollup.whole_years(d(2026, 2, 1), None) == (2027, None)
    assert rollup.whole_years(None, d(2026, 11, 1)) == (None, 2025)


def test_the_yearly_rows_are_the_monthly_rows_summed_and_checked_too(world):
    for i in range(5):
        world.step("apply", i, 10 * i)
    world.step("confirm", 0, 60)
    months = rollup.stored(db.session)
    years = rollup.stored(db.session, years=True)
    assert years and years == rollup.by_year(months)
    # A yearly row gone wrong (a write that bypassed the hooks) is found and repaired.
    db.session.execute(sa.delete(m.StatRollupYear).where(m.StatRollupYear.dim == "item"))
    db.session.commit()
    report = rollup.check(db.session, repair=True)
    db.session.commit()
    assert report["year_differing"] > 0
    assert rollup.check(db.session, repair=False)["differing"] == 0


def test_narrower_filters_and_cut_months_are_counted_live(world):
    scope = Scope(everything=True)
    cut = LedgerFilter(date_from=dt.date(2026, 1, 3), date_to=dt.date(2026, 1, 31))
    assert not rollup.applies(LedgerQuery(db.session, scope, cut))
    assert not rollup.applies(LedgerQuery(db.session, scope, LedgerFilter(item_id=1)))
    town = world.tree.town_a
    outside = Scope(path=world.tree.town_b.path, unit_id=world.tree.town_b.id)
    assert not rollup.applies(LedgerQuery(db.session, outside, LedgerFilter(unit_id=town.id)))


def test_the_nightly_check_repairs_and_logs_what_bypassed_the_orm(world, caplog):
    for i in range(6):
        world.step("apply", i, i)
    world.step("confirm", 0, 7)
    # A write the hooks never see (bulk SQL): the rollups are now wrong.
    db.session.execute(
        sa.update(m.Case).where(m.Case.id == world.cases[1]).values(item_id=world.items[1].id)
    )
    db.session.execute(sa.delete(m.StatRollup).where(m.StatRollup.dim == "kind"))
    db.session.commit()
    assert rollup.check(db.session, repair=False)["differing"] > 0
    db.session.rollback()
    logger = logging.getLogger("app.ledger.rollup")
    disabled, logger.disabled = logger.disabled, False  # alembic's fileConfig in the fixtures
    try:
        with caplog.at_level(logging.WARNING, logger="app.ledger.rollup"):
            report = rollup.check(db.session, repair=True)
    finally:
        logger.disabled = disabled
    db.session.commit()
    assert report["differing"] > 0 and report["missing"] > 0
    assert "differ from a full recount" in caplog.text
    assert rollup.check(db.session, repair=False)["differing"] == 0


def test_a_stale_marker_sends_the_dashboard_live_until_the_check_builds_the_rows(world):
    world.step("apply", 1, 1)
    db.session.execute(sa.delete(m.StatRollup))
    db.session.add(
        m.StatRollup(
            unit_id=rollup.STALE_UNIT,
            month=m.ROLLUP_NO_DATE,
            dim="stale",
            key="",
            key_date=m.ROLLUP_NO_DATE,
            **{name: 0 for name in m.ROLLUP_MEASURES} | {"n": 1},
        )
    )
    db.session.commit()
    q = LedgerQuery(db.session, Scope(everything=True), LedgerFilter())
    assert not rollup.applies(q)
    assert stats.dashboard(q)["totals"]["cases"] == 1  # live
    rollup.check(db.session, repair=True)
    db.session.commit()
    assert rollup.applies(q)
    assert stats.dashboard(q)["totals"]["cases"] == 1


def test_bulk_loads_are_counted_by_a_rebuild(app, tree):
    spec = factories.staff("bulk_a", "Specialist", tree.town_a)
    ledger_world.bulk_cases(tree.town_a, spec, factories.service_item(), 30)
    assert rollup.check(db.session, repair=False)["differing"] > 0
    db.session.rollback()
    rollup.rebuild(db.session)
    db.session.commit()
    assert rollup.check(db.session, repair=False)["differing"] == 0
