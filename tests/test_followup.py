"""Rectification of poor ratings and joint review outcomes, escalation to the leader in charge."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock, followup, lifecycle
from app.domain.errors import IllegalTransition, NotPermitted, ValidationFailed
from app.enums import (
    EvaluationChannel,
    Rating,
    RectificationState,
    ReviewDecision,
    TerminationReason,
)
from app.extensions import db
from tests import factories


def poor_rating(tree, spec) -> m.Rectification:
    case = factories.case(tree.town_a, spec)
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
    lifecycle.evaluate(
        db.session,
        case,
        spec.user,
        rating=Rating.VERY_DISSATISFIED,
        channel=EvaluationChannel.PHONE,
        comments="态度差",
    )
    db.session.commit()
    return db.session.execute(sa.select(m.Rectification)).scalar_one()


def test_rectification_verified_put_right_and_closed_by_callback(app, tree):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    rect = poor_rating(tree, spec)
    with pytest.raises(IllegalTransition):
        followup.close_by_callback(db.session, rect, spec.user, note="x")
    with pytest.raises(ValidationFailed):
        followup.verify(db.session, rect, spec.user, verification="", action_taken="x")
    followup.verify(db.session, rect, spec.user, verification="属实", action_taken="已批评教育")
    followup.close_by_callback(db.session, rect, spec.user, note="申请人表示满意")
    db.session.commit()
    assert rect.state == RectificationState.CLOSED and rect.closed_at is not None


def test_appeal_upheld_closes_rejected_resumes(app, tree):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    manager = factories.staff("mgr_a", "Manager", tree.town_a)
    leader = factories.staff("leader", "Leader", tree.city)
    rect = poor_rating(tree, spec)
    followup.appeal(db.session, rect, spec.user, reason="申请人恶意差评，有录音为证")
    assert rect.appealed_by_id == spec.user.id
    followup.decide_appeal(db.session, rect, manager.user, upheld=False, decision="证据不足")
    assert rect.state == RectificationState.OPEN
    followup.appeal(db.session, rect, spec.user, reason="补充证据")
    followup.decide_appeal(db.session, rect, leader.user, upheld=True, decision="申诉成立")
    db.session.commit()
    assert rect.state == RectificationState.APPEAL_UPHELD
    decisions = db.session.execute(
        sa.select(m.CaseEvent)
        .where(m.CaseEvent.case_id == rect.evaluation.case_id)
        .where(m.CaseEvent.note.in_(["证据不足", "申诉成立"]))
        .order_by(m.CaseEvent.id)
    ).scalars()
    assert [(e.note, e.actor_id, e.data["decided_by"]) for e in decisions] == [
        ("证据不足", manager.user.id, "mgr_a"),
        ("申诉成立", leader.user.id, "leader"),
    ]


def test_an_appeal_is_never_decided_by_the_appellant_or_the_rated_specialist(app, tree):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    manager = factories.staff("mgr_a", "Manager", tree.town_a)
    other_manager = factories.staff("mgr_b", "Manager", tree.town_b)
    village_leader = factories.staff("leader_v", "Leader", tree.village_a1)
    rect = poor_rating(tree, spec)
    followup.appeal(db.session, rect, spec.user, reason="恶意差评")
    refusals = {}
    for who in (spec, other_manager, village_leader):
        with pytest.raises(NotPermitted) as refused:
            followup.decide_appeal(db.session, rect, who.user, upheld=True, decision="成立")
        refusals[who.user.username] = str(refused.value)
    assert set(refusals.values()) == {"申诉须由专员所在单位或上级单位的管理人员或分管领导裁决。"}
    assert rect.state == RectificationState.APPEALED
    # The manager who appealed does not decide; nor does a manager who is the rated specialist.
    followup.decide_appeal(db.session, rect, manager.user, upheld=False, decision="证据不足")
    followup.appeal(db.session, rect, manager.user, reason="我来申诉")
    with pytest.raises(NotPermitted, match="您提出了此申诉"):
        followup.decide_appeal(db.session, rect, manager.user, upheld=True, decision="成立")
    rect.appealed_by_id = spec.user.id
    rect.owner = manager
    with pytest.raises(NotPermitted, match="被评价的专员不能裁决"):
        followup.decide_appeal(db.session, rect, manager.user, upheld=True, decision="成立")
    assert rect.state == RectificationState.APPEALED


def test_rectification_screens(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("mgr_a", "Manager", tree.town_a)
    factories.staff("other", "Specialist", tree.town_b)
    rect = poor_rating(tree, spec)
    client = login(app.test_client(), "spec")
    page = client.get(f"/rectificationview/show/{rect.id}")
    assert page.status_code == 200 and 'data-step="verify"' in page.text
    r = client.post(
        f"/rectificationview/followup/{rect.id}/verify",
        data={"verification": "属实", "action_taken": "整改完毕"},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Rectification, rect.id).state == RectificationState.VERIFIED
    r = client.post(
        f"/rectificationview/followup/{rect.id}/appeal", data={"appeal_reason": "恶意差评"}
    )
    assert r.status_code == 302
    page = client.get(f"/rectificationview/show/{rect.id}").text
    assert 'id="appeal-waiting"' in page and 'data-step="decide_appeal"' not in page
    own = client.post(
        f"/rectificationview/decide/{rect.id}", data={"appeal_decision": "成立", "upheld": "y"}
    )
    assert own.status_code == 403  # a specialist has no deciding permission at all
    assert (
        client.post(f"/rectificationview/followup/{rect.id}/decide_appeal", data={}).status_code
        == 404
    )
    manager = login(app.test_client(), "mgr_a")
    page = manager.get(f"/rectificationview/show/{rect.id}").text
    assert 'data-step="decide_appeal"' in page
    done = manager.post(
        f"/rectificationview/decide/{rect.id}",
        data={"appeal_decision": "证据不足", "upheld": ""},
        follow_redirects=True,
    )
    assert done.status_code == 200
    db.session.expire_all()
    decided = db.session.get(m.Rectification, rect.id)
    assert decided.state == RectificationState.VERIFIED and decided.appeal_decision == "证据不足"
    # The manager appeals in turn: refused with a flashed message when deciding their own.
    manager.post(f"/rectificationview/followup/{rect.id}/appeal", data={"appeal_reason": "再议"})
    flashed = manager.post(
        f"/rectificationview/decide/{rect.id}",
        data={"appeal_decision": "成立", "upheld": "y"},
        follow_redirects=True,
    )
    assert "您提出了此申诉" in flashed.text
    db.session.expire_all()
    assert db.session.get(m.Rectification, rect.id).state == RectificationState.APPEALED
    other = login(app.test_client(), "other")
    assert other.get(f"/rectificationview/show/{rect.id}").status_code == 404
    assert (
        other.post(
            f"/rectificationview/followup/{rect.id}/close", data={"callback_note": "x"}
        ).status_code
        == 404
    )


def test_joint_review_escalated_and_resolved_by_the_leader(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    leader = factories.staff("leader", "Leader", tree.city)
    factories.staff("town_leader_b", "Leader", tree.town_b)
    case = factories.case(tree.town_a, spec, item=factories.service_item(parallel=True))
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    review = lifecycle.schedule_joint_review(
        db.session,
        case,
        spec.user,
        lead_unit=tree.town_a,
        scheduled_at=clock.now() + dt.timedelta(days=1),
        departments=list(case.item.parallel_departments),
    )
    db.session.commit()
    client = login(app.test_client(), "spec")
    page = client.get(f"/jointreviewview/show/{review.id}")
    assert leader.user.first_name in page.text  # the leader over town A is offered
    assert "员工town_leader_b" not in page.text  # another town's leader is not
    r = client.post(
        f"/jointreviewview/followup/{review.id}/escalate",
        data={"minutes": "规划与环保意见不一", "leader": leader.user.id},
    )
    assert r.status_code == 302
    db.session.expire_all()
    review = db.session.get(m.JointReview, review.id)
    assert review.decision == ReviewDecision.ESCALATED
    assert review.escalated_to_id == leader.user.id
    # the specialist cannot resolve; the leader the escalation is addressed to can
    assert (
        client.post(f"/jointreviewview/resolve/{review.id}", data={"outcome": "x"}).status_code
        == 403
    )
    boss = login(app.test_client(), "leader")
    assert 'id="review-resolve"' in boss.get(f"/jointreviewview/show/{review.id}").text
    r = boss.post(
        f"/jointreviewview/resolve/{review.id}", data={"outcome": "协调后同意办理", "approved": "y"}
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.JointReview, review.id).resolved_at is not None
    kinds = (
        db.session.execute(sa.select(m.CaseEvent.note).where(m.CaseEvent.case_id == case.id))
        .scalars()
        .all()
    )
    assert "规划与环保意见不一" in kinds and "协调后同意办理" in kinds


def test_an_overdue_rectification_is_flagged_red_until_it_is_put_right(app, tree, login):
    spec = factories.staff("spec", "Manager", tree.town_a)
    rect = poor_rating(tree, spec)
    client = login(app.test_client(), "spec")

    def flags() -> tuple[int, int]:
        listed = client.get("/rectificationview/list/").text
        shown = client.get(f"/rectificationview/show/{rect.id}").text
        return listed.count("due-overdue"), shown.count('id="rect-overdue"')

    assert "待整改" in client.get("/rectificationview/list/").text  # the state's label
    assert flags() == (0, 0)  # the deadline is ahead
    rect.deadline = clock.today() - dt.timedelta(days=1)
    db.session.commit()
    assert flags() == (1, 1)
    followup.verify(db.session, rect, spec.user, verification="属实", action_taken="已整改")
    db.session.commit()
    assert flags() == (1, 1)  # verified, not yet closed by the call-back: still owed
    followup.close_by_callback(db.session, rect, spec.user, note="申请人表示满意")
    db.session.commit()
    assert flags() == (0, 0)
