"""A case record nothing destroys: no route deletes a kept record for any role, applicants with
cases are merged rather than deleted, process-owned screens are read-only, and relationship
changes are audited with before and after."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import sqlalchemy as sa
from flask import globals as flask_globals
from flask_appbuilder import ModelView
from flask_appbuilder.api import ModelRestApi

from app import models as m
from app.complaints import service as complaint_service
from app.domain import clock, lifecycle
from app.domain.status import CaseStatus
from app.enums import (
    ContactChannel,
    EvaluationChannel,
    Rating,
    SuspensionReason,
    TerminationReason,
    WalkInKind,
)
from app.extensions import db
from app.kept import KEPT_MODELS, STEP_OWNED_MODELS, RecordKept
from app.scope import scope_for_user
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

ROLES = {"Admin": None, "Manager": "city", "Specialist": "city", "Leader": "city"}
REFUSED = (403, 404, 405)


@contextlib.contextmanager
def isolated_requests():
    """Each request in its own app context (own session and ``g``), as in production."""
    ctx = flask_globals.app_ctx._get_current_object()
    ctx.pop()
    try:
        yield
    finally:
        ctx.push()


def kept_rows(tree) -> dict:
    """One row of every kept model, all under the city (in every test account's scope)."""
    spec = factories.staff("kept_spec", "Specialist", tree.town_a)
    user = spec.user
    case = factories.case(tree.town_a, spec)
    ended = factories.case(tree.town_a, spec)
    now = clock.now()
    evaluation = m.Evaluation(
        case=ended, rating=Rating.DISSATISFIED, channel=EvaluationChannel.ON_SITE, by_id=user.id
    )
    rows = [
        m.MaterialNotice(case=case, deadline=dt.date(2099, 1, 1), items=[]),
        m.Extension(case=case, extra_days=2, new_due=dt.date(2099, 1, 1), reason="r"),
        m.Handover(case=ended, results="证照", signed_by="张三"),
        m.Termination(case=case, reason_type=TerminationReason.APPLICANT_REQUEST, reason="r"),
        m.Suspension(
            case=case,
            reason_type=SuspensionReason.OTHER,
            reason="r",
            from_status=CaseStatus.IN_PROGRESS,
            renewal_signed_by="",
            resume_note="",
        ),
        m.JointReview(case=case, lead_unit=tree.town_a, scheduled_at=now),
        evaluation,
        m.Rectification(evaluation=evaluation, deadline=dt.date(2099, 1, 1)),
        m.ReturnVisit(case=ended, planned_on=dt.date(2099, 1, 1), channel=ContactChannel.PHONE),
        m.Attachment(
            case=case, stored_name="kept-test", original_name="a.pdf", content_type="x", size=1
        ),
        m.WalkInHelp(unit=tree.town_a, kind=WalkInKind.QUESTION),
        m.ChaseUp(case=case, specialist=spec, request="催办", respond_by=dt.date(2099, 1, 1)),
        m.HomeVisit(case=case, planned_at=now, address="大江镇公益村1号", staff=[spec]),
        m.ProjectTeam(case=case, contact_name="谭", contact_phone="13680021234"),
        m.ProjectLiaison(case=case, department=factories.department(), person="黄", phone=""),
        m.ProjectLogEntry(case=case, on=dt.date(2026, 1, 1), text="日志"),
        m.ProjectIssue(case=case, title="问题", due_on=dt.date(2099, 1, 1)),
        m.CaseArchive(
            case=ended,
            number="AJ2099-00001",
            file_name="archives/kept-test.pdf",
            checksum="0" * 64,
            size=1,
            pages=1,
            retention_years=30,
            retain_until=dt.date(2129, 1, 1),
        ),
    ]
    db.session.add_all(rows)
    db.session.commit()
    found = {type(row): row.id for row in rows}
    found[m.Case] = case.id
    found[m.CaseEvent] = db.session.execute(
        sa.select(m.CaseEvent.id).where(m.CaseEvent.case_id == case.id)
    ).scalar()
    complaint = complaint_service.intake(
        {"complainant": "王五", "mobile": "13800138000", "matter": "办不成"},
        user,
        scope=scope_for_user(user),
    )
    found[m.Complaint] = complaint.id
    found[m.ComplaintEvent] = complaint.events[0].id
    assert set(found) == set(KEPT_MODELS), "a kept model has no row in this test"
    return found


def role_accounts(tree) -> dict[str, str]:
    names = {}
    for role, where in ROLES.items():
        username = f"kept_{role.lower()}"
        factories.staff(username, role, getattr(tree, where) if where else None)
        names[role] = username
    return names


def test_no_route_or_action_deletes_a_kept_record_for_any_role(api_app, tree, login):
    rows = kept_rows(tree)
    accounts = role_accounts(tree)
    app = api_app
    views = [
        v
        for v in app.appbuilder.baseviews
        if isinstance(v, ModelView | ModelRestApi) and v.datamodel.obj in KEPT_MODELS
    ]
    assert {v.datamodel.obj for v in views} >= {m.Case, m.WalkInHelp, m.CaseEvent}
    by_endpoint = {type(v).__name__: v for v in views}
    # 1. The URL map: no rule of a kept-record screen or resource is a delete.
    deleting_rules = []
    for rule in app.url_map.iter_rules():
        view = by_endpoint.get(rule.endpoint.split(".")[0])
        if view is None:
            continue
        if "delete" in rule.rule or "DELETE" in (rule.methods or ()):
            deleting_rules.append(f"{rule.rule} {sorted(rule.methods)}")
    assert not deleting_rules, deleting_rules
    # ... nor a list action.
    actions = [
        f"{type(v).__name__}.{name}"
        for v in views
        if isinstance(v, ModelView)
        for name in v.actions
        if "delete" in name
    ]
    assert not actions, actions
    # 2. Every role tries anyway, on every surface: refused, and the row stays.
    failures = []
    with isolated_requests():
        for role, username in accounts.items():
            client = login(app.test_client(), username)
            api = api_login(app, username)
            for view in views:
                pk = rows[view.datamodel.obj]
                if isinstance(view, ModelView):
                    base = view.route_base
                    attempts = [
                        ("POST", f"{base}/delete/{pk}", {}),
                        ("GET", f"{base}/delete/{pk}", None),
                        ("POST", f"{base}/action_post", {"action": "muldelete", "rowid": [pk]}),
                        ("POST", f"{base}/action/muldelete/{pk}", {}),
                    ]
                    for method, url, data in attempts:
                        status = client.open(url, method=method, data=data).status_code
                        if status not in REFUSED:
                            failures.append(f"{role} {method} {url} → {status}")
                else:
                    url = f"/api/v1/{view.resource_name}/{pk}"
                    status = api.delete(url).status_code
                    if status not in REFUSED:
                        failures.append(f"{role} DELETE {url} → {status}")
    db.session.expire_all()
    for model, pk in rows.items():
        if db.session.get(model, pk) is None:
            failures.append(f"{model.__name__} {pk} was deleted")
    assert not failures, "\n".join(failures)


def test_the_orm_refuses_to_delete_a_kept_record(app, tree):
    spec = factories.staff("orm_spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    db.session.delete(case)
    with pytest.raises(RecordKept):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(m.Case, case.id) is not None


# ---------------------------------------------------------------- applicants


def test_an_applicant_with_cases_is_not_deleted_one_without_is(api_app, tree, login):
    spec = factories.staff("app_spec", "Specialist", tree.town_a)
    factories.staff("app_mgr", "Manager", tree.town_a)
    used = factories.applicant(tree.town_a)
    factories.case(tree.town_a, spec, app_=used)
    unused = factories.applicant(tree.town_a)
    spare = factories.applicant(tree.town_a)
    used_id, unused_id, spare_id = used.id, unused.id, spare.id
    with isolated_requests():
        client = login(api_app.test_client(), "app_mgr")
        screen = client.post(f"/applicantview/delete/{used_id}", follow_redirects=True)
        api = api_login(api_app, "app_mgr")
        refused = api.delete(f"/api/v1/applicant/{used_id}")
        control_screen = client.post(f"/applicantview/delete/{unused_id}")
        control_api = api.delete(f"/api/v1/applicant/{spare_id}")
    assert screen.status_code == 200
    assert "该申请人已有办件，不能删除" in screen.get_data(as_text=True)
    assert refused.status_code == 409, refused.json
    assert "merge" in refused.json["message"]
    assert control_screen.status_code == 302
    assert control_api.status_code == 200
    db.session.expire_all()
    assert db.session.get(m.Applicant, used_id) is not None
    assert db.session.get(m.Applicant, unused_id) is None
    assert db.session.get(m.Applicant, spare_id) is None


def _audit(action: str, table: str, row_id) -> list[m.AuditLog]:
    return list(
        db.session.execute(
            sa.select(m.AuditLog)
            .where(
                m.AuditLog.action == action,
                m.AuditLog.table_name == table,
                m.AuditLog.row_id == str(row_id),
            )
            .order_by(m.AuditLog.id)
        ).scalars()
    )


def test_a_manager_merges_a_duplicate_on_the_applicant_page(app, tree, login):
    spec = factories.staff("merge_spec", "Specialist", tree.village_a1)
    factories.staff("merge_mgr", "Manager", tree.town_a)
    keep = factories.applicant(tree.town_a, name="王五")
    duplicate = factories.applicant(tree.village_a1, name="王五")
    other_town = factories.applicant(tree.town_b, name="王五")
    cases = [factories.case(tree.village_a1, spec, app_=duplicate) for _ in range(2)]
    keep_id, dup_id, b_id = keep.id, duplicate.id, other_town.id
    case_ids = [c.id for c in cases]
    with isolated_requests():
        client = login(app.test_client(), "merge_mgr")
        page = client.get(f"/applicantview/merge/{dup_id}")
        shown = client.get(f"/applicantview/show/{dup_id}").get_data(as_text=True)
        outside = client.post(f"/applicantview/merge/{dup_id}", data={"into": b_id})
        done = client.post(f"/applicantview/merge/{dup_id}", data={"into": keep_id})
        specialist = login(app.test_client(), "merge_spec")
        refused = specialist.post(f"/applicantview/merge/{keep_id}", data={"into": keep_id})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'value="{keep_id}"' in body and f'value="{b_id}"' not in body  # scoped choices
    assert "merge-link" in shown
    assert outside.status_code == 302  # refused with a message: town B is out of scope
    assert done.status_code == 302 and f"/applicantview/show/{keep_id}" in done.location
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(m.Applicant, dup_id) is None
    assert db.session.get(m.Applicant, b_id) is not None
    assert {db.session.get(m.Case, pk).applicant_id for pk in case_ids} == {keep_id}
    (entry,) = _audit("merge", "applicant", dup_id)
    assert entry.username == "merge_mgr"
    assert entry.before["applicant"]["id"] == dup_id
    assert entry.before["into"]["id"] == keep_id
    assert entry.after == {"merged_into": keep_id, "cases_moved": sorted(case_ids)}
    assert _audit("delete", "applicant", dup_id)
    for pk in case_ids:
        moves = [e for e in _audit("update", "service_case", pk) if "applicant" in e.after]
        assert moves, f"case {pk}: the applicant change is not in the audit trail"
        assert moves[-1].before["applicant"]["id"] == dup_id
        assert moves[-1].after["applicant"] == {"id": keep_id, "name": "王五"}


def test_merge_over_the_api(api_app, tree):
    spec = factories.staff("amerge_spec", "Specialist", tree.town_a)
    factories.staff("amerge_mgr", "Manager", tree.town_a)
    keep = factories.applicant(tree.town_a)
    duplicate = factories.applicant(tree.town_a)
    enterprise = factories.applicant(tree.town_a, enterprise=True)
    case = factories.case(tree.town_a, spec, app_=duplicate)
    keep_id, dup_id, ent_id, case_id = keep.id, duplicate.id, enterprise.id, case.id
    manager = api_login(api_app, "amerge_mgr")
    specialist = api_login(api_app, "amerge_spec")
    assert (
        specialist.post(f"/api/v1/applicant/{dup_id}/merge", json={"into": keep_id}).status_code
        == 403
    )
    mixed = manager.post(f"/api/v1/applicant/{dup_id}/merge", json={"into": ent_id})
    assert mixed.status_code == 422, mixed.json
    assert manager.post(f"/api/v1/applicant/{dup_id}/merge", json={"into": "x"}).status_code == 422
    done = manager.post(f"/api/v1/applicant/{dup_id}/merge", json={"into": keep_id})
    assert done.status_code == 200, done.json
    assert done.json["cases_moved"] == [case_id]
    db.session.expire_all()
    assert db.session.get(m.Applicant, dup_id) is None
    assert db.session.get(m.Case, case_id).applicant_id == keep_id


# ---------------------------------------------------------------- process-owned screens


def test_return_visits_are_read_only_screens(app, tree, login):
    spec = factories.staff("rv_spec", "Specialist", tree.town_a)
    factories.staff("rv_mgr", "Manager", tree.town_a)
    case = factories.case(tree.town_a, spec)
    visit = m.ReturnVisit(case=case, planned_on=dt.date(2099, 1, 1))
    db.session.add(visit)
    db.session.commit()
    visit_id, case_id = visit.id, case.id
    with isolated_requests():
        client = login(app.test_client(), "rv_mgr")
        listed = client.get("/returnvisitview/list/")
        add = client.post(
            "/returnvisitview/add", data={"case": case_id, "planned_on": "2099-02-02"}
        )
        edit = client.post(
            f"/returnvisitview/edit/{visit_id}", data={"case": case_id, "done_on": "2099-02-02"}
        )
    assert listed.status_code == 200
    assert add.status_code in REFUSED and edit.status_code in REFUSED
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count(m.ReturnVisit.id))).scalar_one() == 1
    assert db.session.get(m.ReturnVisit, visit_id).done_on is None


# ---------------------------------------------------------------- audit of relationships


def test_assign_and_transfer_are_audited_with_before_and_after(app, tree):
    first = factories.staff("aud_first", "Specialist", tree.town_a)
    second = factories.staff("aud_second", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, first)
    case_id = db.session.get(m.Case, case.id).id
    db.session.expire_all()
    case = db.session.get(m.Case, case_id)
    lifecycle.assign(db.session, case, first.user, specialist=second)
    db.session.commit()
    (assigned,) = [e for e in _audit("update", "service_case", case_id) if "specialist" in e.after]
    assert assigned.before["specialist"] == {"id": first.id, "name": first.name}
    assert assigned.after["specialist"] == {"id": second.id, "name": second.name}
    assert (assigned.before["specialist_id"], assigned.after["specialist_id"]) == (
        first.id,
        second.id,
    )
    db.session.expire_all()
    case = db.session.get(m.Case, case_id)
    lifecycle.transfer(db.session, case, first.user, to_unit=tree.town_b)
    db.session.commit()
    (moved,) = [e for e in _audit("update", "service_case", case_id) if "handling_unit" in e.after]
    assert moved.before["handling_unit"] == {"id": tree.town_a.id, "name": tree.town_a.name}
    assert moved.after["handling_unit"] == {"id": tree.town_b.id, "name": tree.town_b.name}
    assert moved.before["specialist"]["id"] == second.id and moved.after["specialist"] is None


# Records a case's steps write: no generic screen or API adds or edits them. (The case itself
# is edited only in its free fields: app/cases; walk-in help is not process-owned.)
STEP_OWNED = {
    m.CaseEvent,
    m.MaterialNotice,
    m.Extension,
    m.Handover,
    m.Termination,
    m.Suspension,
    m.JointReview,
    m.Evaluation,
    m.Rectification,
    m.ReturnVisit,
    m.Attachment,
    m.ChaseUp,
    m.ComplaintEvent,
    m.HomeVisit,
    m.ProjectTeam,
    m.ProjectLiaison,
    m.ProjectLogEntry,
    m.ProjectIssue,
    m.CaseArchive,
}
assert STEP_OWNED == STEP_OWNED_MODELS


def test_no_generic_add_or_edit_route_writes_a_record_a_step_owns(app):
    views = {
        type(v).__name__: v
        for v in app.appbuilder.baseviews
        if isinstance(v, ModelView | ModelRestApi) and v.datamodel.obj in STEP_OWNED
    }
    assert {v.datamodel.obj for v in views.values()} >= {m.ReturnVisit, m.Rectification}
    writing = []
    for rule in app.url_map.iter_rules():
        name, _, method = rule.endpoint.partition(".")
        view = views.get(name)
        if view is None:
            continue
        if isinstance(view, ModelView) and method in {"add", "edit"}:
            writing.append(rule.rule)
        if isinstance(view, ModelRestApi) and {"POST", "PUT"} & set(rule.methods or ()):
            writing.append(f"{rule.rule} {sorted(rule.methods)}")
    assert not writing, writing
