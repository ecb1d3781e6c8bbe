"""The “办不成事” window: a complaint's lifecycle (intake → coordinating → transferred → called
back → archived) with a timeline entry per step, illegal steps refused with the reason, deadlines
in working days on the center's calendar, the hotline ticket's shape, scope and concurrent steps."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from app import models as m
from app.complaints import service
from app.domain import clock
from app.domain import complaints as lifecycle
from app.domain.calendar import seed_official_calendar
from app.domain.errors import IllegalTransition, NotInScope, StaleRecord, ValidationFailed
from app.domain.hotline import normalize_ticket, ticket_error
from app.domain.status import ComplaintStatus as S
from app.enums import ComplaintChannel, ComplaintStep
from app.extensions import db
from app.scope import Scope, scope_for_user
from tests import factories


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_fixed(None)


def moment(day: str, hour: int = 10) -> None:
    clock.set_fixed(dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.TZ))


@pytest.fixture
def world(app, tree):
    seed_official_calendar(db.session, [2026])
    db.session.commit()
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    dept = factories.department(name="市场监管局")
    db.session.commit()
    return tree, spec, dept


BODY = {"complainant": "李四", "mobile": "13800138000", "matter": "营业执照变更跑了三个窗口没办成"}


def take_in(spec, **extra):
    return service.intake({**BODY, **extra}, spec.user, scope=scope_for_user(spec.user))


def step(spec, complaint, name, **body):
    return service.run_step(name, complaint.id, body, spec.user, scope=scope_for_user(spec.user))


def test_the_whole_lifecycle_each_step_on_the_timeline(world):
    tree, spec, dept = world
    moment("2026-09-28")  # Monday; 10-01..07 are the National Day holidays (10-10 a workday)
    complaint = take_in(spec, hotline_ticket=" jm-12345-0001 ", channel="hotline")
    assert complaint.status == S.INTAKE
    assert complaint.number.startswith(f"{tree.town_a.code}-BC2026-")
    assert complaint.hotline_ticket == "JM-12345-0001"
    assert complaint.unit_id == tree.town_a.id and complaint.handler_id == spec.id
    assert len(complaint.check_code) == 6 and complaint.check_code.isdigit()
    # five working days after Monday 28 September: 29, 30 September, 8, 9, 10 October
    assert complaint.due_date == dt.date(2026, 10, 10)

    step(spec, complaint, "coordinate", note="已联系窗口负责人")
    moment("2026-09-30")
    step(spec, complaint, "transfer", department=dept.id, working_days=3, note="转市场监管局")
    assert complaint.status == S.TRANSFERRED
    assert complaint.transfer_due == dt.date(2026, 10, 10)  # 8, 9, 10 (a 调休 Saturday)
    assert complaint.due_date == complaint.transfer_due
    moment("2026-10-09")
    step(spec, complaint, "reply", reply="已告知申请人可网上办理")
    assert complaint.transfer_on_time is True
    step(spec, complaint, "call_back", result="申请人已办成", satisfied=True)
    step(spec, complaint, "archive")
    db.session.expire_all()
    complaint = db.session.get(m.Complaint, complaint.id)
    assert complaint.status == S.ARCHIVED and complaint.satisfied is True
    kinds = [e.kind for e in complaint.events]
    assert kinds == [
        ComplaintStep.INTAKE,
        ComplaintStep.COORDINATE,
        ComplaintStep.TRANSFER,
        ComplaintStep.REPLY,
        ComplaintStep.CALL_BACK,
        ComplaintStep.ARCHIVE,
    ]
    assert [(e.from_status, e.to_status) for e in complaint.events][2] == (
        S.COORDINATING,
        S.TRANSFERRED,
    )
    assert all(e.actor_id == spec.user.id for e in complaint.events)
    audit = db.session.execute(
        sa.select(m.AuditLog.after)
        .where(m.AuditLog.table_name == "complaint", m.AuditLog.action == "step")
        .order_by(m.AuditLog.id)
    ).scalars()
    assert [a["step"] for a in audit] == [
        "intake",
        "coordinate",
        "transfer",
        "reply",
        "call_back",
        "archive",
    ]


def test_illegal_steps_are_refused_with_the_reason_and_change_nothing(world):
    tree, spec, dept = world
    complaint = take_in(spec)
    with pytest.raises(IllegalTransition) as refused:
        step(spec, complaint, "archive")
    said = str(refused.value)  # in the user's language: the step and the status by their labels
    assert str(ComplaintStep.ARCHIVE.label) in said and str(S.INTAKE.label) in said
    with pytest.raises(IllegalTransition):
        step(spec, complaint, "reply", reply="x")
    step(spec, complaint, "transfer", department=dept.id, working_days=5)
    # a transferred complaint is called back only once the department answered
    with pytest.raises(IllegalTransition) as refused:
        step(spec, complaint, "call_back", result="x", satisfied=False)
    assert str(ComplaintStep.REPLY.label).lower() in str(refused.value).lower()
    db.session.expire_all()
    complaint = db.session.get(m.Complaint, complaint.id)
    assert complaint.status == S.TRANSFERRED
    assert len(complaint.events) == 2
    assert lifecycle.allowed_steps(complaint) == ["reply"]


def test_bad_input_names_each_field_and_saves_nothing(world):
    tree, spec, dept = world
    with pytest.raises(ValidationFailed) as failed:
        take_in(spec, mobile="12345", hotline_ticket="12345 工单")
    assert set(failed.value.errors) == {"mobile", "hotline_ticket"}
    with pytest.raises(ValidationFailed) as failed:
        take_in(spec, complainant="", matter="")
    assert set(failed.value.errors) == {"complainant", "matter"}
    with pytest.raises(ValidationFailed) as failed:
        take_in(spec, channel="hotline")
    assert set(failed.value.errors) == {"hotline_ticket"}
    with pytest.raises(ValidationFailed):
        take_in(spec, channel="public")  # staff do not record public-page complaints
    with pytest.raises(ValidationFailed):
        take_in(spec, unit=tree.town_b.id)  # outside the caller's scope
    assert db.session.execute(sa.select(sa.func.count(m.Complaint.id))).scalar_one() == 0
    complaint = take_in(spec)
    for body in (
        {"department": dept.id, "working_days": 0},
        {"department": dept.id, "working_days": "3"},
        {"department": 999999, "working_days": 3},
        {"working_days": 3},
        {"department": dept.id, "working_days": 3, "extra": 1},
    ):
        with pytest.raises(ValidationFailed):
            step(spec, complaint, "transfer", **body)
    assert db.session.get(m.Complaint, complaint.id).status == S.INTAKE


def test_the_hotline_ticket_shape():
    assert normalize_ticket(" ２０２６１２０５００１２３ ") == "2026120500123"
    assert ticket_error("2026120500123") is None
    assert ticket_error("JM-12345-20261205-0001") is None
    assert ticket_error("") is None
    for bad in ("12345", "A" * 33, "12345-", "-123456", "12345--678", "1234<56", "工单123456"):
        assert ticket_error(bad) is not None, bad


def test_scope_hides_another_subtree_and_a_stale_version_is_refused(world):
    tree, spec, dept = world
    complaint = take_in(spec)
    other = factories.staff("spec_b", "Specialist", tree.town_b)
    with pytest.raises(NotInScope):
        step(other, complaint, "coordinate", note="越权")
    city = factories.staff("mgr_city", "Manager", tree.city)
    step(city, complaint, "coordinate", note="市中心协调", version=complaint.version_id)
    with pytest.raises(StaleRecord):
        step(spec, complaint, "transfer", department=dept.id, working_days=2, version=1)
    seen = db.session.execute(
        sa.select(m.Complaint.id).where(Scope(path=tree.town_b.path).clause_for(m.Complaint))
    ).all()
    assert seen == []


def test_concurrent_steps_one_winner(world, pg_app):
    tree, spec, dept = world
    complaint = take_in(spec)
    pk, user_id, scope = complaint.id, spec.user.id, scope_for_user(spec.user)
    dept_id = dept.id
    db.session.commit()
    db.session.remove()
    outcomes = []

    def attempt(i):
        with pg_app.app_context():
            user = db.session.get(pg_app.appbuilder.sm.user_model, user_id)
            body = {"department": dept_id, "working_days": 2 + i % 3}
            try:
                service.run_step("transfer", pk, body, user, scope=scope)
                outcomes.append("ok")
            except (IllegalTransition, StaleRecord) as error:
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert len(outcomes) == 6
    events = db.session.execute(
        sa.select(sa.func.count(m.ComplaintEvent.id)).where(
            m.ComplaintEvent.complaint_id == pk, m.ComplaintEvent.kind == ComplaintStep.TRANSFER
        )
    ).scalar_one()
    assert events == 1


def test_public_intake_and_look_up_by_check_code(world):
    tree, spec, dept = world
    complaint = service.public_intake({**BODY, "unit": tree.town_a.id})
    assert complaint.channel == ComplaintChannel.PUBLIC and complaint.received_by_id is None
    assert service.lookup(complaint.number, complaint.check_code).id == complaint.id
    wrong = "000000" if complaint.check_code != "000000" else "111111"
    assert service.lookup(complaint.number, wrong) is None
    assert service.lookup(complaint.number, "12") is None
    with pytest.raises(ValidationFailed):
        service.public_intake({**BODY, "unit": tree.village_a1.id})  # a station, not a hall


def test_the_demo_shows_every_state_and_an_unanswered_chase_up(app, tree):
    from app.complaints import demo
    from app.domain import lifecycle as case_lifecycle

    seed_official_calendar(db.session, [2026])
    factories.staff("city_specialist", "Specialist", tree.city)
    manager = factories.staff("city_manager", "Manager", tree.city)
    spec = db.session.execute(
        sa.select(m.Specialist).where(m.Specialist.name == "员工city_specialist")
    ).scalar_one()
    factories.department(name="人社局")
    case = factories.case(tree.city, spec)
    case_lifecycle.confirm(
        db.session,
        case,
        spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[],
    )
    db.session.commit()
    moment("2026-12-04")
    assert demo.seed(db.session) == 6
    db.session.commit()
    assert demo.seed(db.session) == 0  # once
    statuses = set(db.session.execute(sa.select(m.Complaint.status)).scalars())
    assert statuses == set(S)
    chase = db.session.execute(sa.select(m.ChaseUp)).scalar_one()
    assert chase.is_overdue and chase.case_id == case.id
    assert chase.requested_by_id == manager.user.id
