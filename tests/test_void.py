"""Voiding (作废) a case entered by mistake: who may, what it records, and what it leaves out."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.domain.errors import IllegalTransition, NotPermitted, ValidationFailed
from app.domain.status import OPEN_STATUSES, TERMINAL_STATUSES, CaseStatus
from app.enums import ContactChannel, EventKind, NotificationChannel, TerminationReason
from app.extensions import db
from app.ledger import stats
from app.ledger.queries import LedgerQuery
from app.reminders import sweep
from app.scope import Scope
from tests import factories

S = CaseStatus


@pytest.fixture
def people(tree):
    return {
        "spec": factories.staff("v_spec", "Specialist", tree.village_a1),
        "mgr_a": factories.staff("v_mgr_a", "Manager", tree.town_a),
        "mgr_b": factories.staff("v_mgr_b", "Manager", tree.town_b),
        "mgr_v2": factories.staff("v_mgr_v2", "Manager", tree.village_a2),
        "leader": factories.staff("v_leader", "Leader", tree.city),
        "admin": factories.staff("v_admin", "Admin", None),
    }


def _user(people, key):
    if key == "admin":
        from flask import current_app

        return current_app.appbuilder.sm.find_user(username="v_admin")
    return people[key].user


def test_void_is_a_transition_from_every_status_but_its_own():
    assert S.VOIDED not in OPEN_STATUSES and S.VOIDED not in TERMINAL_STATUSES
    assert set(lifecycle.TRANSITIONS["void"]) == set(CaseStatus) - {S.VOIDED}
    assert set(lifecycle.TRANSITIONS["void"].values()) == {S.VOIDED}


def test_a_manager_of_the_case_voids_it_with_a_reason(app, tree, people):
    case = factories.case(tree.village_a1, people["spec"])
    manager = _user(people, "mgr_a")
    with pytest.raises(ValidationFailed) as no_reason:
        lifecycle.void(db.session, case, manager, reason="  ")
    assert "reason" in no_reason.value.errors
    lifecycle.void(db.session, case, manager, reason="重复录入")
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(m.Case, case.id)
    assert case.status == S.VOIDED
    event = db.session.execute(
        sa.select(m.CaseEvent)
        .where(m.CaseEvent.case_id == case.id, m.CaseEvent.to_status == S.VOIDED)
        .order_by(m.CaseEvent.id.desc())
    ).scalar_one()
    assert (event.kind, event.from_status, event.note, event.actor_id) == (
        EventKind.STATUS,
        S.APPLIED,
        "重复录入",
        manager.id,
    )
    audit = [
        e
        for e in db.session.execute(
            sa.select(m.AuditLog).where(
                m.AuditLog.table_name == "service_case",
                m.AuditLog.row_id == str(case.id),
                m.AuditLog.action == "update",
            )
        ).scalars()
        if "status" in (e.after or {})
    ]
    assert [(e.before["status"], e.after["status"]) for e in audit] == [("applied", "voided")]
    # A voided case takes no other step, and is not voided twice.
    assert lifecycle.allowed_steps(case) == []
    with pytest.raises(IllegalTransition):
        lifecycle.record(db.session, case, manager, "update", note="x")
    with pytest.raises(IllegalTransition):
        lifecycle.confirm(db.session, case, manager, process_explained=True, applicant_signed=True)
    with pytest.raises(IllegalTransition):
        lifecycle.terminate(
            db.session,
            case,
            manager,
            reason_type=TerminationReason.OTHER,
            reason="x",
            materials_returned="",
            applicant_signed=True,
            specialist_signed=True,
        )
    with pytest.raises(IllegalTransition) as again:
        lifecycle.void(db.session, case, manager, reason="again")
    assert again.value.status == 409


def test_only_a_manager_over_the_case_or_an_admin_voids(app, tree, people):
    case = factories.case(tree.village_a1, people["spec"])
    for key in ("spec", "leader", "mgr_b", "mgr_v2"):
        with pytest.raises(NotPermitted) as refused:
            lifecycle.void(db.session, case, _user(people, key), reason="误录")
        assert refused.value.status == 403, key
        assert case.status == S.APPLIED
    # The accepting side keeps the right after a transfer to town B; town B's manager gains it.
    lifecycle.transfer(db.session, case, _user(people, "spec"), to_unit=tree.town_b)
    db.session.commit()
    assert lifecycle.may_void(case, _user(people, "mgr_a"))
    assert lifecycle.may_void(case, _user(people, "mgr_b"))
    other = factories.case(tree.village_a1, people["spec"])
    lifecycle.void(db.session, other, _user(people, "admin"), reason="测试数据")
    db.session.commit()
    assert other.status == S.VOIDED


def test_a_voided_case_stays_in_the_ledger_and_leaves_the_statistics(app, tree, people, login):
    kept = factories.case(tree.village_a1, people["spec"])
    voided = factories.case(tree.village_a1, people["spec"])
    lifecycle.void(db.session, voided, _user(people, "mgr_a"), reason="误录")
    db.session.commit()
    query = LedgerQuery(db.session, Scope(everything=True))
    rows = {r.id: r for r in query.stream()}
    assert rows[voided.id].status == S.VOIDED and kept.id in rows
    data = stats.dashboard(LedgerQuery(db.session, Scope(everything=True)))
    assert data["totals"]["cases"] == 1
    assert sum(r["count"] for r in data["by_status"]) == 1
    assert "voided" not in {r["key"] for r in data["by_status"]}
    assert sum(r["count"] for r in data["by_unit"]) == 1
    client = login(app.test_client(), "v_mgr_a")
    page = client.get("/ledger/list/").get_data(as_text=True)
    assert f'data-case-id="{voided.id}" class="ledger-row ledger-voided' in page
    assert "已作废" in page
    home = client.get("/").get_data(as_text=True)
    assert 'id="count-open">1<' in home  # the voided case is not open work


def test_a_voided_case_reminds_nobody_and_texts_nobody(app, tree, people):
    spec = people["spec"]
    case = factories.case(tree.village_a1, spec)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    lifecycle.submit(db.session, case, spec.user)
    db.session.commit()
    ended = factories.case(tree.village_a1, spec)
    lifecycle.confirm(db.session, ended, spec.user, process_explained=True, applicant_signed=True)
    lifecycle.submit(db.session, ended, spec.user)
    lifecycle.complete(
        db.session, ended, spec.user, results="证照", materials_returned="", signed_by="张三"
    )
    lifecycle.plan_return_visit(
        db.session, ended, spec.user, planned_on=clock.today(), channel=ContactChannel.PHONE
    )
    db.session.commit()
    later = clock.now() + dt.timedelta(days=10)  # overdue, evaluation and visit due
    before, _ = sweep.collect(db.session, later)
    assert {d.case.id for d in before if d.case is not None} >= {case.id, ended.id}
    sms_before = db.session.execute(
        sa.select(sa.func.count(m.Notification.id)).where(
            m.Notification.channel == NotificationChannel.SMS
        )
    ).scalar_one()
    for row in (case, ended):
        lifecycle.void(db.session, row, _user(people, "mgr_a"), reason="误录")
    db.session.commit()
    after, _ = sweep.collect(db.session, later)
    assert not [d.kind for d in after if d.case is not None and d.case.id in (case.id, ended.id)]
    sms_after = db.session.execute(
        sa.select(sa.func.count(m.Notification.id)).where(
            m.Notification.channel == NotificationChannel.SMS
        )
    ).scalar_one()
    assert sms_after == sms_before
