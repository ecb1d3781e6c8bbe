"""Reminder rules on PostgreSQL, in-process, by moving the clock: what is due, to whom, when."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from app import models as m
from app import settings
from app.domain import clock, lifecycle
from app.enums import (
    ContactChannel,
    EvaluationChannel,
    NotificationChannel,
    NotificationStatus,
    Rating,
    ReviewDecision,
    ServiceKind,
)
from app.extensions import db
from app.reminders import outbox, sweep
from tests import factories
from tests.test_reminders_helpers import (
    MONDAY,
    at,
    make_people,
    notifications,
    recipients,
    running_case,
)


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


@pytest.fixture
def people(tree):
    return make_people(tree)


def sweep_at(moment, kinds=None):
    """A sweep at ``moment`` without the monthly summary (tested on its own)."""
    from app.reminders.kinds import KINDS

    kinds = kinds or set(KINDS) - {"monthly_summary"}
    return sweep.run(db.session, moment, dispatch=False, kinds=kinds)


# ---------------------------------------------------------------- settings


def test_settings_have_typed_defaults_and_admin_overrides(app):
    assert settings.get("reminders.due_soon_working_days") == 2
    settings.set_value(db.session, "reminders.due_soon_working_days", 4)
    db.session.commit()
    assert settings.get("reminders.due_soon_working_days") == 4
    db.session.add(m.Setting(key="reminders.evaluation_days", value="three"))
    db.session.commit()
    assert settings.get("reminders.evaluation_days") == 3  # unparsable: the default
    with pytest.raises(ValueError):
        settings.set_value(db.session, "reminders.catch_up_days", "many")


# ---------------------------------------------------------------- deadlines


def test_deadline_yellow_then_overdue_daily_to_specialist_and_nearest_manager(app, tree, people):
    case = running_case(tree.village_a1, people.spec)  # due Thursday (3 working days)
    assert case.due_date == dt.date(2026, 6, 11)

    def sweep_at(moment):
        return sweep.run(db.session, moment, dispatch=False, kinds={"due_soon", "overdue"})

    assert sweep_at(at(0)).queued == []  # Monday: Thursday is 3 working days away
    tuesday = sweep_at(at(1))
    assert [(q.kind, q.recipient) for q in tuesday.queued] == [("due_soon", "员工spec_a1")]
    assert sweep_at(at(1, hour=15)).queued == []  # once per due date

    friday = sweep_at(at(4))
    assert sorted(q.kind for q in friday.queued) == ["overdue", "overdue"]
    assert recipients("overdue") == ["mgr_a", "spec_a1"]  # not the city, not town B
    assert sweep_at(at(4, hour=18)).queued == []  # once a day
    assert len(sweep_at(at(7)).queued) == 2  # Monday again: the next daily reminder

    settings.set_value(db.session, "reminders.manager_levels", 0)
    db.session.commit()
    sweep_at(at(8))
    assert set(recipients("overdue")) == {"mgr_a", "mgr_city", "spec_a1"}  # every level

    lifecycle.complete(
        db.session, case, people.spec.user, results="证照", materials_returned="", signed_by="甲"
    )
    db.session.commit()
    assert [q.kind for q in sweep_at(at(9)).queued if q.kind == "overdue"] == []


def test_due_soon_counts_working_days_over_the_weekend(app, tree, people):
    case = running_case(tree.village_a1, people.spec, when=at(3), promised_days=3)  # Thursday
    assert case.due_date == dt.date(2026, 6, 16)  # Fri, Mon, Tue
    assert sweep_at(at(3, hour=17)).queued == []  # Thursday: Fri and Mon come first
    assert [q.kind for q in sweep_at(at(4)).queued] == ["due_soon"]  # Friday: Mon, Tue


def test_progress_feedback_after_n_days_without_contact_per_tier(app, tree, people):
    town_spec = factories.staff("spec_town", "Specialist", tree.town_a)
    village_case = running_case(tree.village_a1, people.spec, promised_days=20)
    town_case = running_case(tree.town_a, town_spec, promised_days=20)

    assert [q for q in sweep_at(at(2, hour=10)).queued if q.kind == "progress_due"] == []
    day3 = [q for q in sweep_at(at(3, hour=10)).queued if q.kind == "progress_due"]
    assert [q.case_number for q in day3] == [village_case.number]  # village: 3 days

    clock.set_fixed(at(4, hour=11))
    lifecycle.record(
        db.session,
        village_case,
        people.spec.user,
        "contact",
        note="电话告知进度",
        channel=ContactChannel.PHONE,
    )
    db.session.commit()
    day5 = [q for q in sweep_at(at(5, hour=10)).queued if q.kind == "progress_due"]
    assert [q.case_number for q in day5] == [town_case.number]  # town: 5 days; village reset
    day8 = [q for q in sweep_at(at(8, hour=12)).queued if q.kind == "progress_due"]
    assert [q.case_number for q in day8] == [village_case.number]  # 4 days after the contact

    settings.set_value(db.session, "reminders.progress_days.town", 20)
    db.session.commit()
    assert [
        q
        for q in sweep_at(at(10, hour=12)).queued
        if q.case_number == town_case.number and q.kind == "progress_due"
    ] == []


def test_missing_materials_past_the_notice_deadline(app, tree, people):
    item = factories.service_item(promised_days=10, materials=2)
    clock.set_fixed(MONDAY)
    case = factories.case(tree.village_a1, people.spec, item=item)
    lifecycle.confirm(
        db.session,
        case,
        people.spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[item.materials[0].id],
    )
    lifecycle.notify_missing(db.session, case, people.spec.user, deadline=dt.date(2026, 6, 10))
    db.session.commit()
    assert not [q for q in sweep_at(at(2)).queued if q.kind == "materials_overdue"]
    late = [q for q in sweep_at(at(3)).queued if q.kind == "materials_overdue"]
    assert [q.recipient for q in late] == ["员工spec_a1"]
    assert not [q for q in sweep_at(at(4)).queued if q.kind == "materials_overdue"]  # once


def test_evaluation_return_visit_and_rectification(app, tree, people):
    case = running_case(tree.village_a1, people.spec, promised_days=5)
    clock.set_fixed(at(1))
    lifecycle.complete(
        db.session, case, people.spec.user, results="证照", materials_returned="", signed_by="甲"
    )
    db.session.commit()
    assert not [q for q in sweep_at(at(3)).queued if q.kind == "evaluation_due"]
    assert [q.kind for q in sweep_at(at(4, hour=10)).queued] == ["evaluation_due"]  # 3 days

    clock.set_fixed(at(5))
    lifecycle.evaluate(
        db.session,
        case,
        people.spec.user,
        rating=Rating.DISSATISFIED,
        channel=EvaluationChannel.PHONE,
        rectification_days=2,
    )
    lifecycle.plan_return_visit(db.session, case, people.spec.user, planned_on=at(9).date())
    db.session.commit()
    assert not [q for q in sweep_at(at(7)).queued if q.kind == "return_visit_due"]
    kinds = sorted(q.kind for q in sweep_at(at(8)).queued)  # one day before the visit
    assert kinds.count("return_visit_due") == 1
    # the rectification was due two working days after Saturday: Tuesday; Wednesday it is late
    late = [q for q in sweep_at(at(10)).queued if q.kind == "rectification_overdue"]
    assert sorted(q.recipient for q in late) == ["员工mgr_a", "员工spec_a1"]


def test_joint_review_tomorrow_and_escalation_waiting(app, tree, people):
    item = factories.service_item(promised_days=20, parallel=True)
    dept_ids = [d.id for d in item.parallel_departments]
    dept_staff = factories.staff("dept_a", "Specialist", tree.town_a)
    dept_staff.department_id = dept_ids[0]
    far_staff = factories.staff("dept_b", "Specialist", tree.town_b)
    far_staff.department_id = dept_ids[0]
    db.session.commit()
    case = running_case(tree.village_a1, people.spec, item=item)
    review = lifecycle.schedule_joint_review(
        db.session,
        case,
        people.spec.user,
        lead_unit=tree.town_a,
        scheduled_at=at(2, hour=15),
        departments=list(item.parallel_departments),
    )
    db.session.commit()
    assert not [q for q in sweep_at(at(0)).queued if q.kind == "joint_review"]
    assert sorted(recipients("joint_review")) == []
    sweep_at(at(1, hour=17))
    assert recipients("joint_review") == ["dept_a", "spec_a1"]  # not town B's department staff

    review.decision = ReviewDecision.ESCALATED
    review.escalated_to_id = people.leader.user.id
    review.escalated_at = at(2, hour=16)
    db.session.commit()
    sweep_at(at(3))
    sweep_at(at(4))
    assert recipients("escalation") == ["leader"]  # again only after 3 days
    sweep_at(at(5))
    assert recipients("escalation") == ["leader", "leader"]


def test_monthly_summary_for_each_manager_once_a_month(app, tree, people):
    running_case(tree.village_a1, people.spec, when=dt.datetime(2026, 5, 20, 9, tzinfo=clock.TZ))
    sweep_at(at(0), kinds={"monthly_summary"})
    rows = notifications(kind="monthly_summary")
    assert len(rows) == 3  # mgr_a, mgr_city, mgr_b
    by_user = {r.recipient_id: r.subject for r in rows}
    assert "2026-05" in by_user[people.mgr_a.user.id]
    sweep_at(at(20), kinds={"monthly_summary"})
    assert len(notifications(kind="monthly_summary")) == 3


# ---------------------------------------------------------------- exactly once


def test_two_sweeps_at_once_write_each_reminder_once(app, tree, people):
    for _ in range(30):
        running_case(tree.village_a1, people.spec, promised_days=1)
    expected = 30 * 2  # overdue: specialist and manager
    moment = at(3)
    first_done = threading.Event()
    results = {}

    def second():
        with app.app_context():
            results["second"] = sweep.run(db.session, moment, dispatch=False, kinds={"overdue"})
            db.session.remove()

    results["first"] = sweep.run(
        db.session, moment, dispatch=False, commit=False, kinds={"overdue"}
    )
    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.5)
    assert thread.is_alive()  # blocked on the first sweep's uncommitted keys
    db.session.commit()
    first_done.set()
    thread.join(timeout=30)
    assert len(results["first"].queued) == expected
    assert results["second"].queued == []
    assert len(notifications(kind="overdue")) == expected


def test_status_change_queues_one_sms_in_the_same_transaction(app, tree, people):
    clock.set_fixed(MONDAY)
    item = factories.service_item(promised_days=3, materials=1)
    case = factories.case(tree.village_a1, people.spec, item=item)
    lifecycle.confirm(
        db.session, case, people.spec.user, process_explained=True, applicant_signed=True
    )
    db.session.rollback()  # the step is abandoned: so is its SMS
    assert notifications(channel=NotificationChannel.SMS) == []

    case = db.session.get(m.Case, case.id)
    lifecycle.confirm(
        db.session, case, people.spec.user, process_explained=True, applicant_signed=True
    )
    lifecycle.notify_missing(db.session, case, people.spec.user, deadline=at(3).date())
    lifecycle.supplement(db.session, case, people.spec.user, material_ids=[item.materials[0].id])
    lifecycle.submit(db.session, case, people.spec.user)
    db.session.commit()
    sms = notifications(channel=NotificationChannel.SMS)
    assert [s.dedup_key for s in sms] == [
        f"status_sms:{case.id}:accepted:1",
        f"status_sms:{case.id}:awaiting_materials:1",
        f"status_sms:{case.id}:accepted:2",
        f"status_sms:{case.id}:in_progress:1",
    ]
    # Back to "accepted" after the materials: the applicant reads that they were received.
    assert "材料" in sms[2].body and sms[2].body != sms[0].body
    assert all(s.recipient_address == "13800138000" and case.number in s.body for s in sms)
    assert all(s.status == NotificationStatus.PENDING and s.not_before is None for s in sms)


def test_quiet_hours_defer_an_sms_to_eight_in_the_morning(app, tree, people):
    assert outbox.quiet_hours_end(at(0, hour=22, minute=30)) == at(1, hour=8)
    assert outbox.quiet_hours_end(at(0, hour=7, minute=59)) == at(0, hour=8)
    assert outbox.quiet_hours_end(at(0, hour=20, minute=59)) == at(0, hour=20, minute=59)
    case = running_case(tree.village_a1, people.spec, when=at(0, hour=21, minute=5), submit=False)
    sms = notifications(channel=NotificationChannel.SMS)
    assert [s.not_before for s in sms] == [at(1, hour=8)]
    assert sms[0].case_id == case.id and sms[0].dispatched_at is None
    db.session.commit()
    clock.set_fixed(at(0, hour=23))
    assert outbox.dispatch_pending(db.session) == []
    clock.set_fixed(at(1, hour=8, minute=1))
    assert outbox.dispatch_pending(db.session) == [sms[0].id]
    db.session.rollback()


def test_a_failing_kind_does_not_stop_the_others(app, tree, people, monkeypatch):
    running_case(tree.village_a1, people.spec, promised_days=1)
    from app.reminders import kinds

    def broken(ctx):
        ctx.session.execute(sa.text("SELECT * FROM no_such_table"))

    monkeypatch.setitem(kinds.KINDS, "due_soon", broken)
    result = sweep_at(at(3))
    assert result.errors and "due_soon" in result.errors[0]
    assert {q.kind for q in result.queued} == {"overdue"}


def test_major_project_progress_review_every_n_days_for_the_steward(app, tree, people):
    steward = factories.staff("steward", "Specialist", tree.town_a)
    clock.set_fixed(MONDAY)
    firm = factories.applicant(tree.village_a1, enterprise=True)
    item = factories.service_item(promised_days=30)
    project = factories.case(
        tree.village_a1,
        people.spec,
        item=item,
        app_=firm,
        kind=ServiceKind.PROXY,
        major_project=True,
    )
    project.steward = steward
    lifecycle.confirm(
        db.session, project, people.spec.user, process_explained=True, applicant_signed=True
    )
    ordinary = running_case(tree.village_a1, people.spec, promised_days=30)
    db.session.commit()

    def reviews(moment):
        return [q for q in sweep_at(moment).queued if q.kind == "project_review"]

    assert reviews(at(6, hour=10)) == []
    week1 = reviews(at(7, hour=10))
    assert {q.case_number for q in week1} == {project.number}
    assert ordinary.number not in {q.case_number for q in week1}
    assert {"steward", "spec_a1"} <= set(recipients("project_review"))
    assert reviews(at(8, hour=10)) == []  # once per period
    assert {q.case_number for q in reviews(at(14, hour=10))} == {project.number}
