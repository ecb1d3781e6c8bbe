"""The case state machine: every transition, every refusal, due dates in working days."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.domain.calendar import seed_official_calendar
from app.domain.errors import IllegalTransition, ValidationFailed
from app.domain.status import CaseStatus as S
from app.enums import (
    ContactChannel,
    EvaluationChannel,
    EvaluationStage,
    EventKind,
    Rating,
    ServiceKind,
    TerminationReason,
)
from app.extensions import db
from tests import factories


@pytest.fixture
def world(app):
    tree = factories.unit_tree()
    seed_official_calendar(db.session, [2025, 2026])
    db.session.commit()
    spec = factories.staff("spec", "Specialist", tree.town_a)
    return tree, spec


@pytest.fixture(autouse=True)
def release_clock():
    yield
    clock.set_fixed(None)


def at(day: str, hour: int = 10) -> None:
    clock.set_fixed(dt.datetime.fromisoformat(day).replace(hour=hour))


def statuses(case) -> list:
    return [
        e.to_status
        for e in db.session.execute(
            sa.select(m.CaseEvent)
            .where(m.CaseEvent.case_id == case.id, m.CaseEvent.kind == EventKind.STATUS)
            .order_by(m.CaseEvent.id)
        ).scalars()
    ]


def new_case(tree, spec, **kw):
    item = kw.pop("item", None) or factories.service_item(promised_days=5, materials=3)
    return factories.case(tree.town_a, spec, item=item, **kw)


def test_happy_path_every_step_in_the_timeline(world):
    tree, spec = world
    actor = spec.user
    at("2026-09-28")
    case = new_case(tree, spec)
    assert case.status == S.APPLIED and case.number.startswith("440781100-2026-")
    mats = case.item.materials
    lifecycle.confirm(
        db.session,
        case,
        actor,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[mats[0].id],
    )
    db.session.commit()
    assert case.status == S.ACCEPTED
    # 5 working days after 2026-09-28 (Mon): 29, 30, then National Day + Mid-Autumn off
    # 10-01..10-07; 10-08 (Thu), 10-09 (Fri), 10-10 (Sat, 调休 working day) -> due 10-10
    assert case.due_date == dt.date(2026, 10, 10)
    lifecycle.submit(db.session, case, actor)
    lifecycle.record(
        db.session, case, actor, "contact", note="电话告知", channel=ContactChannel.PHONE
    )
    at("2026-09-29")
    notice = lifecycle.notify_missing(db.session, case, actor, deadline=dt.date(2026, 10, 20))
    db.session.commit()
    assert case.status == S.AWAITING_MATERIALS
    assert [i["name"] for i in notice.items] == [mats[1].name, mats[2].name]
    assert notice.items[0]["how_to_obtain"] == mats[1].how_to_obtain
    at("2026-10-09")
    lifecycle.supplement(db.session, case, actor, material_ids=[mats[1].id])
    db.session.commit()
    assert case.status == S.AWAITING_MATERIALS  # one still missing: the clock stays paused
    lifecycle.supplement(db.session, case, actor, material_ids=[mats[2].id])
    db.session.commit()
    assert case.status == S.IN_PROGRESS  # where it stood before the notice: at the window
    # paused 09-29 .. 10-08: 09-29, 09-30, 10-08 do not count; 1 day used (none: 09-28 start);
    # counted: 10-09, 10-10, 10-12, 10-13, 10-14 -> due 10-14
    assert case.due_date == dt.date(2026, 10, 14)
    lifecycle.extend(
        db.session, case, actor, extra_days=2, reason="需现场核查", explained_to_applicant=True
    )
    db.session.commit()
    assert case.due_date == dt.date(2026, 10, 16)
    lifecycle.complete(
        db.session,
        case,
        actor,
        results="许可证一份",
        materials_returned="原件",
        signed_by=case.applicant.name,
    )
    db.session.commit()
    assert case.status == S.COMPLETED and case.ended_at is not None
    evaluation = lifecycle.evaluate(
        db.session, case, actor, rating=Rating.VERY_SATISFIED, channel=EvaluationChannel.ON_SITE
    )
    lifecycle.plan_return_visit(db.session, case, actor, planned_on=dt.date(2026, 11, 1))
    db.session.commit()
    assert evaluation.id
    assert statuses(case) == [
        S.APPLIED,
        S.ACCEPTED,
        S.IN_PROGRESS,
        S.AWAITING_MATERIALS,
        S.IN_PROGRESS,
        S.COMPLETED,
    ]
    kinds = {e.kind for e in case.events}
    assert {
        EventKind.CONTACT,
        EventKind.NOTICE,
        EventKind.SUPPLEMENT,
        EventKind.EXTENSION,
        EventKind.HANDOVER,
        EventKind.EVALUATION,
        EventKind.RETURN_VISIT,
    } <= kinds
    assert all(e.actor_id == actor.id for e in case.events)


def test_spring_festival_due_date(world):
    tree, spec = world
    at("2026-02-12")  # Thursday before the Spring Festival holiday
    case = new_case(tree, spec, item=factories.service_item(promised_days=3))
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    db.session.commit()
    # counted: 02-13 (Fri), 02-14 (Sat, 调休 working day), then 02-15..02-23 off -> 02-24
    assert case.due_date == dt.date(2026, 2, 24)
    assert case.due_provisional is False


def test_due_date_past_known_years_is_provisional(world):
    tree, spec = world
    at("2026-12-29")
    case = new_case(tree, spec, item=factories.service_item(promised_days=5))
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    db.session.commit()
    assert case.due_date == dt.date(2027, 1, 5)  # weekends only in 2027
    assert case.due_provisional is True


@pytest.mark.parametrize(
    "step",
    ["submit", "notify_missing", "supplement", "complete", "evaluate", "return_visit", "extend"],
)
def test_steps_refused_on_a_new_application(world, step):
    tree, spec = world
    case = new_case(tree, spec)
    calls = {
        "submit": lambda: lifecycle.submit(db.session, case, spec.user),
        "notify_missing": lambda: lifecycle.notify_missing(
            db.session, case, spec.user, deadline=clock.today() + dt.timedelta(days=5)
        ),
        "supplement": lambda: lifecycle.supplement(
            db.session, case, spec.user, material_ids=[case.item.materials[0].id]
        ),
        "complete": lambda: lifecycle.complete(
            db.session, case, spec.user, results="x", materials_returned="", signed_by="x"
        ),
        "evaluate": lambda: lifecycle.evaluate(
            db.session, case, spec.user, rating=Rating.SATISFIED, channel=EvaluationChannel.PHONE
        ),
        "return_visit": lambda: lifecycle.plan_return_visit(
            db.session, case, spec.user, planned_on=clock.today()
        ),
        "extend": lambda: lifecycle.extend(
            db.session, case, spec.user, extra_days=1, reason="x", explained_to_applicant=True
        ),
    }
    events_before = len(case.events)
    with pytest.raises(IllegalTransition) as refused:
        calls[step]()
    assert "已申请" in str(refused.value) or "Applied" in str(refused.value)
    db.session.rollback()
    db.session.refresh(case)
    assert case.status == S.APPLIED
    assert len(case.events) == events_before


def test_an_open_case_is_evaluated_at_acceptance_only(world):
    tree, spec = world
    case = new_case(tree, spec)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    lifecycle.submit(db.session, case, spec.user)
    with pytest.raises(IllegalTransition):
        lifecycle.evaluate(
            db.session,
            case,
            spec.user,
            rating=Rating.SATISFIED,
            channel=EvaluationChannel.PHONE,
            stage=EvaluationStage.COMPLETION,
        )
    given = lifecycle.evaluate(
        db.session, case, spec.user, rating=Rating.SATISFIED, channel=EvaluationChannel.PHONE
    )
    assert given.stage == EvaluationStage.ACCEPTANCE


def test_completion_needs_a_handover_signature(world):
    tree, spec = world
    case = new_case(tree, spec)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    lifecycle.submit(db.session, case, spec.user)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.complete(
            db.session, case, spec.user, results="结果", materials_returned="", signed_by=" "
        )
    assert "signed_by" in refused.value.errors
    assert case.status == S.IN_PROGRESS


def test_confirmation_needs_explanation_and_signature(world):
    tree, spec = world
    case = new_case(tree, spec)
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.confirm(
            db.session, case, spec.user, process_explained=False, applicant_signed=False
        )
    assert set(refused.value.errors) == {"process_explained", "applicant_signed"}
    assert case.status == S.APPLIED


def test_proxy_only_for_eligible_applicants(world):
    tree, spec = world
    young = factories.applicant(tree.town_a, birth=dt.date(1990, 1, 1))
    with pytest.raises(ValidationFailed) as refused:
        factories.case(tree.town_a, spec, app_=young, kind=ServiceKind.PROXY)
    assert "kind" in refused.value.errors
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(m.Case.id))).scalar_one() == 0
    elderly = factories.applicant(tree.town_a, birth=dt.date(1950, 3, 1))  # 60 or over
    assert factories.case(tree.town_a, spec, app_=elderly, kind=ServiceKind.PROXY).id
    disabled = factories.applicant(tree.town_a, birth=dt.date(1990, 1, 1), disabled=True)
    assert factories.case(tree.town_a, spec, app_=disabled, kind=ServiceKind.PROXY).id
    fie = factories.applicant(tree.town_a, enterprise=True, foreign_invested=True)
    assert factories.case(tree.town_a, spec, app_=fie, kind=ServiceKind.PROXY).id
    firm = factories.applicant(tree.town_a, enterprise=True)
    assert factories.case(
        tree.town_a, spec, app_=firm, kind=ServiceKind.PROXY, major_project=True
    ).id


def test_the_three_acknowledgements_are_required(world):
    tree, spec = world
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.apply(
            db.session,
            spec.user,
            applicant=factories.applicant(tree.town_a),
            item=factories.service_item(),
            kind=ServiceKind.HELP,
            needs="x",
            handling_unit=tree.town_a,
            specialist=spec,
            ack_voluntary=True,
            ack_free=False,
            ack_truthful=False,
        )
    assert set(refused.value.errors) == {"ack_free", "ack_truthful"}


def test_second_notice_needs_a_reason_and_counts_as_repeat(world):
    tree, spec = world
    case = new_case(tree, spec)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    deadline = clock.today() + dt.timedelta(days=7)
    first = lifecycle.notify_missing(db.session, case, spec.user, deadline=deadline)
    assert first.is_repeat is False and len(first.items) == 3
    lifecycle.supplement(
        db.session, case, spec.user, material_ids=[mat.id for mat in case.item.materials[:2]]
    )
    db.session.commit()
    # still awaiting one material: another notice is a status refusal, not a repeat
    with pytest.raises(IllegalTransition):
        lifecycle.notify_missing(
            db.session, case, spec.user, deadline=deadline, repeat_reason="补充"
        )
    db.session.rollback()
    lifecycle.supplement(db.session, case, spec.user, material_ids=[case.item.materials[2].id])
    case.received_material_ids = [case.item.materials[0].id]  # a material found invalid
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.notify_missing(db.session, case, spec.user, deadline=deadline)
    assert "repeat_reason" in refused.value.errors
    second = lifecycle.notify_missing(
        db.session, case, spec.user, deadline=deadline, repeat_reason="原材料经窗口审核不合格"
    )
    assert second.is_repeat is True and len(second.items) == 2


def test_no_notice_when_nothing_is_missing(world):
    tree, spec = world
    case = new_case(tree, spec)
    lifecycle.confirm(
        db.session,
        case,
        spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[mat.id for mat in case.item.materials],
    )
    with pytest.raises(ValidationFailed):
        lifecycle.notify_missing(
            db.session, case, spec.user, deadline=clock.today() + dt.timedelta(days=5)
        )


def test_termination_from_every_open_status_needs_both_signatures(world):
    tree, spec = world
    for status_path in ([], ["confirm"], ["confirm", "submit"]):
        case = new_case(tree, spec)
        if "confirm" in status_path:
            lifecycle.confirm(
                db.session, case, spec.user, process_explained=True, applicant_signed=True
            )
        if "submit" in status_path:
            lifecycle.submit(db.session, case, spec.user)
        with pytest.raises(ValidationFailed):
            lifecycle.terminate(
                db.session,
                case,
                spec.user,
                reason_type=TerminationReason.APPLICANT_REQUEST,
                reason="申请人要求",
                materials_returned="",
                applicant_signed=True,
                specialist_signed=False,
            )
        lifecycle.terminate(
            db.session,
            case,
            spec.user,
            reason_type=TerminationReason.APPLICANT_REQUEST,
            reason="申请人要求",
            materials_returned="原件",
            applicant_signed=True,
            specialist_signed=True,
        )
        db.session.commit()
        assert case.status == S.TERMINATED
        with pytest.raises(IllegalTransition):
            lifecycle.terminate(
                db.session,
                case,
                spec.user,
                reason_type=TerminationReason.OTHER,
                reason="再次",
                materials_returned="",
                applicant_signed=True,
                specialist_signed=True,
            )
        db.session.rollback()


def test_poor_rating_opens_a_rectification_and_only_once(world):
    tree, spec = world
    at("2026-11-02")
    case = new_case(tree, spec)
    lifecycle.terminate(
        db.session,
        case,
        spec.user,
        reason_type=TerminationReason.OTHER,
        reason="无法办理",
        materials_returned="",
        applicant_signed=True,
        specialist_signed=True,
    )
    evaluation = lifecycle.evaluate(
        db.session,
        case,
        spec.user,
        rating=Rating.DISSATISFIED,
        channel=EvaluationChannel.SMS_LINK,
        comments="太慢",
    )
    db.session.commit()
    rect = db.session.execute(sa.select(m.Rectification)).scalar_one()
    assert rect.evaluation_id == evaluation.id
    assert rect.deadline == dt.date(2026, 11, 9)  # 5 working days after Mon 11-02
    with pytest.raises(IllegalTransition):
        lifecycle.evaluate(
            db.session, case, spec.user, rating=Rating.SATISFIED, channel=EvaluationChannel.PHONE
        )


def test_transfer_keeps_both_sides_and_joint_review_needs_parallel_item(world):
    tree, spec = world
    village_spec = factories.staff("vs", "Specialist", tree.village_a1)
    case = factories.case(tree.village_a1, village_spec)
    lifecycle.transfer(db.session, case, village_spec.user, to_unit=tree.town_a, note="上报镇中心")
    db.session.commit()
    assert case.accepting_unit_id == tree.village_a1.id
    assert case.handling_unit_id == tree.town_a.id
    with pytest.raises(IllegalTransition):
        lifecycle.schedule_joint_review(
            db.session,
            case,
            spec.user,
            lead_unit=tree.town_a,
            scheduled_at=clock.now() + dt.timedelta(days=1),
            departments=[factories.department(), factories.department()],
        )
    db.session.rollback()
    parallel = new_case(tree, spec, item=factories.service_item(parallel=True))
    lifecycle.confirm(
        db.session, parallel, spec.user, process_explained=True, applicant_signed=True
    )
    review = lifecycle.schedule_joint_review(
        db.session,
        parallel,
        spec.user,
        lead_unit=tree.town_a,
        scheduled_at=clock.now() + dt.timedelta(days=1),
        departments=list(parallel.item.parallel_departments),
    )
    db.session.commit()
    assert len(review.departments) == 2
