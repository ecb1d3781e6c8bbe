"""Suspend and resume (中止 / 续办): the clock stops exactly like the materials pause, the due
date moves by the paused working days, reminders stay quiet, the ledger and statistics count
suspended cases, and the 中止告知单 and 续办委托书 print (the steps on the page and the API are
driven by tests/test_steps.py's registry drivers)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.domain.calendar import seed_official_calendar
from app.domain.errors import IllegalTransition, ValidationFailed
from app.domain.status import CaseStatus as S
from app.enums import EventKind, SuspensionReason
from app.extensions import db
from app.ledger import stats
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.reminders import flags, sweep
from app.scope import Scope
from tests import factories
from tests.test_printing import assert_offline_and_qr
from tests.test_reminders_helpers import at, running_case

UNREACHABLE = SuspensionReason.APPLICANT_UNREACHABLE


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
    return tree, factories.staff("spec_a", "Specialist", tree.town_a)


def running(tree, spec, day="2026-09-21", promised_days=10):
    """A case accepted and at the window on ``day`` (all materials received)."""
    moment(day)
    item = factories.service_item(promised_days=promised_days, materials=2)
    case = factories.case(tree.town_a, spec, item=item)
    lifecycle.confirm(
        db.session,
        case,
        spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[mat.id for mat in item.materials],
    )
    lifecycle.submit(db.session, case, spec.user)
    db.session.commit()
    return case


def suspend(case, spec, day, reason_type=UNREACHABLE, reason="电话无人接听"):
    moment(day)
    out = lifecycle.suspend(db.session, case, spec.user, reason_type=reason_type, reason=reason)
    db.session.commit()
    return out


def resume(case, spec, day, signed_by="申请人本人"):
    moment(day)
    out = lifecycle.resume(db.session, case, spec.user, renewal_signed=True, signed_by=signed_by)
    db.session.commit()
    return out


# ---------------------------------------------------------------- the clock


def test_the_due_date_moves_by_the_paused_working_days_across_national_day(world):
    tree, spec = world
    case = running(tree, spec)
    # 10 working days from Mon 2026-09-21: 22..24, (Fri 25 Mid-Autumn off) 28..30, (10-01..07
    # National Day off) 10-08, 10-09, Sat 10-10 (调休 working day), Mon 10-12 -> 10-12.
    assert case.due_date == dt.date(2026, 10, 12)
    suspension = suspend(case, spec, "2026-09-24")  # Thursday
    assert case.status == S.SUSPENDED
    assert case.due_date == dt.date(2026, 10, 12)  # stands still, not recomputed
    assert suspension.due_at_suspension == dt.date(2026, 10, 12)
    assert suspension.from_status == S.IN_PROGRESS
    offered = set(lifecycle.allowed_steps(case))
    assert {"resume", "terminate", "contact", "void"} <= offered
    assert not {"extend", "complete", "update", "notify_missing", "suspend"} & offered

    resumed = resume(case, spec, "2026-10-12")  # Monday
    # Paused 09-24 .. 10-11: working days 09-24, 28, 29, 30, 10-08, 09, 10 = 7. Counted:
    # 22, 23, then 10-12..16, 19, 20, 21 -> 10-21.
    assert case.status == S.IN_PROGRESS
    assert case.due_date == dt.date(2026, 10, 21)
    assert resumed.paused_working_days == 7
    assert resumed.due_after_resume == dt.date(2026, 10, 21)
    assert resumed.renewal_signed_by == "申请人本人"
    kinds = [
        e.kind
        for e in db.session.execute(
            sa.select(m.CaseEvent).where(m.CaseEvent.case_id == case.id).order_by(m.CaseEvent.id)
        ).scalars()
    ]
    assert kinds.index(EventKind.SUSPENSION) < kinds.index(EventKind.RESUMPTION)


def test_a_suspension_stops_the_clock_exactly_like_the_materials_pause(world):
    tree, spec = world
    suspended = running(tree, spec)
    paused = running(tree, spec)
    mats = paused.item.materials
    paused.received_material_ids = [mats[0].id]
    db.session.commit()
    suspend(suspended, spec, "2026-09-24")
    moment("2026-09-24")
    lifecycle.notify_missing(
        db.session, paused, spec.user, deadline=dt.date(2026, 10, 30), note="缺材料"
    )
    db.session.commit()
    resume(suspended, spec, "2026-10-12")
    moment("2026-10-12")
    lifecycle.supplement(db.session, paused, spec.user, material_ids=[mats[1].id])
    db.session.commit()
    assert suspended.due_date == paused.due_date == dt.date(2026, 10, 21)


def test_a_suspension_while_awaiting_materials_returns_there_and_counts_both_pauses(world):
    tree, spec = world
    case = running(tree, spec)
    mats = case.item.materials
    case.received_material_ids = [mats[0].id]
    db.session.commit()
    moment("2026-09-23")
    lifecycle.notify_missing(db.session, case, spec.user, deadline=dt.date(2026, 10, 30))
    db.session.commit()
    suspend(case, spec, "2026-09-24", SuspensionReason.OTHER, "申请人住院")
    resume(case, spec, "2026-09-29")
    assert case.status == S.AWAITING_MATERIALS  # the notice is still open: clock still stopped
    assert case.due_date == dt.date(2026, 10, 12)
    moment("2026-10-12")
    lifecycle.supplement(db.session, case, spec.user, material_ids=[mats[1].id])
    db.session.commit()
    # One pause 09-23 .. 10-11 (the two overlap): counted 22, then 10-12..16, 19..22 -> 10-22.
    assert case.status == S.IN_PROGRESS
    assert case.due_date == dt.date(2026, 10, 22)


def test_refusals_change_nothing(world):
    tree, spec = world
    moment("2026-09-21")
    applied = factories.case(tree.town_a, spec)
    with pytest.raises(IllegalTransition):
        lifecycle.suspend(db.session, applied, spec.user, reason_type=UNREACHABLE, reason="x")
    db.session.rollback()
    case = running(tree, spec)
    with pytest.raises(ValidationFailed) as error:
        lifecycle.suspend(
            db.session, case, spec.user, reason_type=SuspensionReason.OTHER, reason="  "
        )
    assert "reason" in error.value.errors
    db.session.rollback()
    with pytest.raises(IllegalTransition):
        lifecycle.resume(db.session, case, spec.user, renewal_signed=True, signed_by="甲")
    db.session.rollback()
    suspend(case, spec, "2026-09-22")
    with pytest.raises(ValidationFailed) as error:
        lifecycle.resume(db.session, case, spec.user, renewal_signed=False, signed_by="")
    assert set(error.value.errors) == {"renewal_signed", "signed_by"}
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).status == S.SUSPENDED
    assert lifecycle.open_suspension(db.session, case) is not None


def test_a_suspended_case_can_be_terminated(world):
    from app.enums import TerminationReason

    tree, spec = world
    case = running(tree, spec)
    suspend(case, spec, "2026-09-22")
    lifecycle.terminate(
        db.session,
        case,
        spec.user,
        reason_type=TerminationReason.CANNOT_COMPLETE,
        reason="申请人长期联系不上",
        materials_returned="原件已邮寄",
        applicant_signed=True,
        specialist_signed=True,
    )
    db.session.commit()
    assert case.status == S.TERMINATED


# ---------------------------------------------------------------- reminders


def test_reminders_do_not_nag_about_a_suspended_case(app, tree):
    spec = factories.staff("spec_a1", "Specialist", tree.village_a1)
    factories.staff("mgr_a", "Manager", tree.town_a)
    case = running_case(tree.village_a1, spec)  # due Thursday 2026-06-11
    clock.set_fixed(at(0, hour=11))
    lifecycle.suspend(db.session, case, spec.user, reason_type=UNREACHABLE, reason="")
    db.session.commit()

    def due_kinds(when):
        queued = sweep.run(db.session, when, dispatch=False, kinds={"due_soon", "overdue"}).queued
        return [q.kind for q in queued if q.case_number == case.number]

    assert due_kinds(at(1)) == []  # would be "due soon" if running
    assert due_kinds(at(4)) == []  # would be overdue
    assert due_kinds(at(8)) == []
    assert flags.due_state(case.due_date, case.status.value, at(8).date()) == ""
    clock.set_fixed(at(9, hour=9))  # Wednesday 06-17: paused Mon 06-08 .. Tue 06-16
    lifecycle.resume(db.session, case, spec.user, renewal_signed=True, signed_by="甲")
    db.session.commit()
    assert case.due_date == dt.date(2026, 6, 19)  # 3 working days counted from 06-17: 17, 18, 19
    assert due_kinds(at(10)) == ["due_soon"]


# ---------------------------------------------------------------- ledger and statistics


def test_the_ledger_and_the_statistics_count_suspended_cases(world):
    tree, spec = world
    case = running(tree, spec)
    running(tree, spec)
    suspend(case, spec, "2026-09-22")
    flt = LedgerFilter(status=S.SUSPENDED)
    rows = list(LedgerQuery(db.session, Scope(everything=True), flt).stream())
    assert [r.number for r in rows] == [case.number]
    for data in (
        stats.dashboard(LedgerQuery(db.session, Scope(everything=True), LedgerFilter())),
        stats.dashboard_live(LedgerQuery(db.session, Scope(everything=True), LedgerFilter())),
    ):
        by_status = {row["key"]: row["count"] for row in data["by_status"]}
        assert by_status["suspended"] == 1 and by_status["in_progress"] == 1
        assert data["totals"]["open"] == 2
        assert data["totals"]["overdue"] == 0


def test_the_case_page_lists_suspensions_and_their_prints(app, world, login):
    tree, spec = world
    case = running(tree, spec)
    suspension = suspend(case, spec, "2026-09-24")
    client = login(app.test_client(), "spec_a")
    html = client.get(f"/caseview/show/{case.id}").text
    assert 'id="case-suspensions"' in html and 'id="case-clock-stopped"' in html
    assert f"/print/suspension/{suspension.id}" in html
    assert f"/print/renewal/{suspension.id}" in html
    assert 'data-step="resume"' in html and 'data-step="extend"' not in html


# ---------------------------------------------------------------- printing


def test_the_suspension_notice_and_the_renewed_entrustment_print(app, world, login):
    tree, spec = world
    other = factories.staff("spec_b", "Specialist", tree.town_b)
    case = running(tree, spec)
    suspension = suspend(
        case, spec, "2026-09-24", SuspensionReason.EXTERNAL_PRECONDITION, "等待规划条件"
    )
    client = login(app.test_client(), "spec_a")
    base = "http://localhost"
    html = client.get(f"/print/suspension/{suspension.id}", base_url=base).text
    assert_offline_and_qr(html, case)
    assert 'data-reason-type="external_precondition"' in html
    assert "等待规划条件" in html and "2026年10月12日" in html
    blank = client.get(f"/print/renewal/{suspension.id}", base_url=base).text
    assert_offline_and_qr(blank, case)
    assert '<span class="line signed-by"></span>' in blank
    resume(case, spec, "2026-10-12", signed_by="王小明")
    signed = client.get(f"/print/renewal/{suspension.id}", base_url=base).text
    assert "王小明" in signed and "2026年10月21日" in signed
    assert 'class="paused-days">7<' in signed
    outsider = login(app.test_client(), "spec_b")
    assert other is not None
    for url in (f"/print/suspension/{suspension.id}", f"/print/renewal/{suspension.id}"):
        assert outsider.get(url, base_url=base).status_code == 404
    assert client.get("/print/suspension/999999", base_url=base).status_code == 404


def test_the_public_progress_page_knows_every_real_status():
    from app.desk.views import PUBLIC_STATUS

    assert set(PUBLIC_STATUS) == {s.value for s in S} - {"voided"}
