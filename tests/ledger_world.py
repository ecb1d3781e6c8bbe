"""A small world for the ledger tests, driven through the real case lifecycle on a fixed clock.

Cases in every state the ledger and the statistics distinguish: completed on time with a
material pause, completed late, running past the due date, paused past the due date, extended,
terminated, applied only, a repeat one-time notice, problems met, evaluations of every kind;
with the official 2026 holidays loaded so working days cross May Day. Also ``bulk_cases`` for
tests that need many rows fast (core INSERTs, no lifecycle).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.domain.calendar import seed_official_calendar
from app.domain.status import CaseStatus
from app.enums import (
    EvaluationChannel,
    Rating,
    ServiceKind,
    TerminationReason,
    WalkInKind,
)
from app.extensions import db
from tests import factories


def at(day: str, hour: int = 10) -> None:
    clock.set_fixed(dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00"))


def _open(unit, spec, item, day, **kw):
    at(day, 9)
    case = factories.case(unit, spec, item=item, **kw)
    return case


def _confirm(case, spec, day, received=()):
    at(day, 9)
    lifecycle.confirm(
        db.session,
        case,
        spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=list(received),
    )
    db.session.commit()


def _all_materials(case):
    return [mat.id for mat in case.item.materials]


def _submit(case, spec, day, hour=10):
    at(day, hour)
    lifecycle.submit(db.session, case, spec.user)
    db.session.commit()


def _complete(case, spec, day, rating=None):
    at(day, 15)
    lifecycle.complete(
        db.session, case, spec.user, results="证照", materials_returned="原件", signed_by="本人"
    )
    db.session.commit()
    if rating is not None:
        at(day, 16)
        lifecycle.evaluate(
            db.session, case, spec.user, rating=rating, channel=EvaluationChannel.ON_SITE
        )
        db.session.commit()


def _notice(case, spec, day, deadline, repeat_reason=""):
    at(day, 11)
    lifecycle.notify_missing(
        db.session,
        case,
        spec.user,
        deadline=dt.date.fromisoformat(deadline),
        repeat_reason=repeat_reason,
    )
    db.session.commit()


def _supplement(case, spec, day):
    at(day, 11)
    lifecycle.supplement(db.session, case, spec.user, material_ids=_all_materials(case))
    db.session.commit()


def _problem(case, spec, day, category):
    at(day, 12)
    lifecycle.record(
        db.session, case, spec.user, "problem", note="问题", problem_category_id=category.id
    )
    db.session.commit()


def build() -> SimpleNamespace:
    """The world; the clock is left fixed at 2026-06-01 10:00 (the caller releases it)."""
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    tree = factories.unit_tree()
    item5 = factories.service_item(promised_days=5)
    item3 = factories.service_item(promised_days=3)
    cat_a = m.ProblemCategory(code="P-MAT", name="材料不齐")
    cat_b = m.ProblemCategory(code="P-SYS", name="系统故障")
    db.session.add_all([cat_a, cat_b])
    db.session.commit()
    city_manager = factories.staff("city_manager", "Manager", tree.city)
    town_a_manager = factories.staff("town_a_manager", "Manager", tree.town_a)
    town_b_manager = factories.staff("town_b_manager", "Manager", tree.town_b)
    leader = factories.staff("city_leader", "Leader", tree.city)
    spec_a = factories.staff("spec_a", "Specialist", tree.town_a)
    spec_v = factories.staff("spec_v", "Specialist", tree.village_a1)
    spec_b = factories.staff("spec_b", "Specialist", tree.town_b)
    cases = {}

    # 1. town A: pause for materials across May Day, completed on time, very satisfied.
    c = _open(tree.town_a, spec_a, item5, "2026-04-27")
    _confirm(c, spec_a, "2026-04-27")
    _notice(c, spec_a, "2026-04-28", "2026-05-20")
    _problem(c, spec_a, "2026-04-28", cat_a)
    _supplement(c, spec_a, "2026-05-07")  # materials in: handling resumes, due date moves
    _submit(c, spec_a, "2026-05-07", hour=12)  # never at the window before the notice
    db.session.refresh(c)
    _complete(c, spec_a, c.due_date.isoformat(), Rating.VERY_SATISFIED)
    cases["on_time_paused"] = c

    # 2. village A1: completed late, dissatisfied.
    c = _open(tree.village_a1, spec_v, item3, "2026-03-02")
    _confirm(c, spec_v, "2026-03-02", _all_materials(c))
    _submit(c, spec_v, "2026-03-02")
    _problem(c, spec_v, "2026-03-03", cat_b)
    _complete(c, spec_v, "2026-03-13", Rating.DISSATISFIED)
    cases["late"] = c

    # 3. town B: running past its due date (overdue), a problem met.
    c = _open(tree.town_b, spec_b, item3, "2026-05-11")
    _confirm(c, spec_b, "2026-05-11", _all_materials(c))
    _submit(c, spec_b, "2026-05-11")
    _problem(c, spec_b, "2026-05-12", cat_a)
    cases["running_overdue"] = c

    # 4. town A: terminated at the applicant's request.
    c = _open(tree.town_a, spec_a, item5, "2026-05-04")
    _confirm(c, spec_a, "2026-05-06")
    at("2026-05-08", 14)
    lifecycle.terminate(
        db.session,
        c,
        spec_a.user,
        reason_type=TerminationReason.APPLICANT_REQUEST,
        reason="申请人撤回",
        materials_returned="全部原件",
        applicant_signed=True,
        specialist_signed=True,
    )
    db.session.commit()
    cases["terminated"] = c

    # 5. town B: extended by 2 working days, completed on the new due date, satisfied.
    c = _open(tree.town_b, spec_b, item5, "2026-05-18")
    _confirm(c, spec_b, "2026-05-18", _all_materials(c))
    _submit(c, spec_b, "2026-05-18")
    at("2026-05-20", 10)
    lifecycle.extend(
        db.session, c, spec_b.user, extra_days=2, reason="需现场核查", explained_to_applicant=True
    )
    db.session.commit()
    db.session.refresh(c)
    _complete(c, spec_b, c.due_date.isoformat(), Rating.SATISFIED)
    cases["extended"] = c

    # 6. village A1: proxy for an elderly applicant, applied only.
    elderly = factories.applicant(tree.village_a1, birth=dt.date(1940, 1, 1))
    c = _open(tree.village_a1, spec_v, item5, "2026-05-25", app_=elderly, kind=ServiceKind.PROXY)
    cases["applied"] = c

    # 7. town A: awaiting materials past the old due date (paused, so not overdue), two notices.
    c = _open(tree.town_a, spec_a, item3, "2026-05-04")
    _confirm(c, spec_a, "2026-05-06")
    _notice(c, spec_a, "2026-05-06", "2026-05-12")
    at("2026-05-07", 9)
    lifecycle.supplement(db.session, c, spec_a.user, material_ids=_all_materials(c)[:1])
    db.session.commit()  # one material still missing: the case keeps waiting
    cases["paused"] = c

    # 8. town A: two pauses, the second a repeat one-time notice; basically satisfied.
    c = _open(tree.town_a, spec_a, item3, "2026-04-01")
    _confirm(c, spec_a, "2026-04-01", _all_materials(c)[:2])
    _notice(c, spec_a, "2026-04-02", "2026-04-10")
    _supplement(c, spec_a, "2026-04-08")
    c.received_material_ids = _all_materials(c)[:2]  # one material turned out expired
    db.session.commit()
    _notice(c, spec_a, "2026-04-09", "2026-04-20", repeat_reason="材料过期")
    _supplement(c, spec_a, "2026-04-13")
    _submit(c, spec_a, "2026-04-13", hour=12)
    _complete(c, spec_a, "2026-04-14", Rating.BASICALLY_SATISFIED)
    cases["repeat_notice"] = c

    # Walk-in help at town A and town B.
    for day, unit, spec, kind in (
        ("2026-05-06", tree.town_a, spec_a, WalkInKind.FORM_FILLING),
        ("2026-05-06", tree.town_a, spec_a, WalkInKind.FORM_FILLING),
        ("2026-05-06", tree.town_a, spec_a, WalkInKind.QUEUE_NUMBER),
        ("2026-05-07", tree.town_a, spec_a, WalkInKind.DEVICE),
        ("2026-05-07", tree.town_b, spec_b, WalkInKind.QUESTION),
    ):
        at(day, 9)
        db.session.add(m.WalkInHelp(unit=unit, specialist=spec, kind=kind, at=clock.now(), note=""))
    db.session.commit()
    at("2026-06-01", 10)
    return SimpleNamespace(
        tree=tree,
        items=(item5, item3),
        categories=(cat_a, cat_b),
        city_manager=city_manager,
        town_a_manager=town_a_manager,
        town_b_manager=town_b_manager,
        leader=leader,
        spec_a=spec_a,
        spec_v=spec_v,
        spec_b=spec_b,
        cases=cases,
    )


def bulk_cases(unit: m.OrgUnit, specialist: m.Specialist, item: m.ServiceItem, n: int) -> None:
    """``n`` completed cases of ``unit`` inserted with core INSERTs (for volume tests)."""
    applicant = factories.applicant(unit)
    base = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    rows = []
    for i in range(n):
        applied = base + dt.timedelta(minutes=i)
        rows.append(
            {
                "number": f"BULK-{unit.id}-{i:07d}",
                "applicant_id": applicant.id,
                "item_id": item.id,
                "kind": ServiceKind.HELP,
                "help_types": [],
                "major_project": False,
                "needs": "",
                "accepting_unit_id": unit.id,
                "handling_unit_id": unit.id,
                "specialist_id": specialist.id,
                "status": CaseStatus.COMPLETED,
                "applied_at": applied,
                "accepted_at": applied,
                "submitted_at": applied,
                "ended_at": applied + dt.timedelta(days=6),
                "promised_days": item.promised_days,
                "due_date": (applied + dt.timedelta(days=7)).date(),
                "due_provisional": False,
                "ack_voluntary": True,
                "ack_free": True,
                "ack_truthful": True,
                "process_explained": True,
                "applicant_signed": True,
                "received_material_ids": [],
                "version_id": 1,
            }
        )
    db.session.execute(sa.insert(m.Case), rows)
    db.session.commit()
