"""The step registry (app/cases/steps.py) and its one runner (app/cases/service.py).

Every step is declared once and exists on both surfaces with the same name, fields and
messages: the registry test fails if a step lacks its form, its API route, its OpenAPI entry, its
label in a catalog or a driver below; each step is then driven on the case page and over the API.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from marshmallow import fields as mfields
from wtforms import FileField, HiddenField
from wtforms.validators import Length

from app import models as m
from app.cases.steps import STEPS
from app.domain import clock, events, lifecycle, projects, visits
from app.domain.status import CaseStatus as S
from app.enums import CaseChannel, EventKind, ServiceKind, SuspensionReason
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the world of one step


class World:
    def __init__(self, tree):
        self.tree = tree
        self.manager = factories.staff("mgr_a", "Manager", tree.town_a)
        self.spec = factories.staff("spec_a1", "Specialist", tree.village_a1)
        self.other = factories.staff("spec_a2", "Specialist", tree.village_a1)
        self.category = m.ProblemCategory(code="P1", name="材料不齐")
        db.session.add(self.category)
        self.department = factories.department("D-NR", "自然资源局")
        db.session.commit()

    def case(self, **kw) -> m.Case:
        return factories.case(self.tree.village_a1, self.spec, **kw)

    @property
    def actor(self):
        return self.manager.user


def _confirm(w, case, received=None):
    mats = case.item.materials
    lifecycle.confirm(
        db.session,
        case,
        w.actor,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=received if received is not None else [mat.id for mat in mats],
    )


def _running(w, case):
    _confirm(w, case)
    lifecycle.submit(db.session, case, w.actor)


def _completed(w, case):
    _running(w, case)
    lifecycle.complete(db.session, case, w.actor, results="r", materials_returned="", signed_by="x")


def _suspended(w, case):
    _running(w, case)
    lifecycle.suspend(
        db.session, case, w.actor, reason_type=SuspensionReason.APPLICANT_UNREACHABLE, reason=""
    )


def _today(days=0):
    return (clock.today() + dt.timedelta(days=days)).isoformat()


def _with_problem(w, case):
    _running(w, case)
    lifecycle.record(
        db.session, case, w.actor, "problem", note="窗口系统故障", problem_category_id=w.category.id
    )


def _with_file(w, case):
    from werkzeug.datastructures import FileStorage

    from app import uploads
    from app.domain import attachments

    upload = FileStorage(io.BytesIO(PNG), filename="scan.png")
    attachment = uploads.store(db.session, upload, case, w.actor, "file")
    attachments.attach(db.session, case, w.actor, attachment)


def _chased(w, case):
    from app.domain import chaseups

    _running(w, case)
    chaseups.chase_up(
        db.session, case, w.actor, request="12345 来电催问进度", respond_by=clock.today()
    )


def _open_chase_up(case):
    return db.session.execute(
        sa.select(m.ChaseUp.id).where(m.ChaseUp.case_id == case.id)
    ).scalar_one()


def _first_file(case):
    return db.session.execute(
        sa.select(m.Attachment.id).where(m.Attachment.case_id == case.id)
    ).scalar_one()


def _planned_visit(w, case):
    visits.plan(
        db.session,
        case,
        w.actor,
        planned_at=clock.now() - dt.timedelta(hours=3),
        address="大江镇公益村1号",
        staff=[w.spec],
    )


def _first_visit(case):
    return db.session.execute(
        sa.select(m.HomeVisit.id).where(m.HomeVisit.case_id == case.id)
    ).scalar_one()


def _with_liaison(w, case):
    _running(w, case)
    projects.add_liaison(
        db.session, case, w.actor, department=w.department, person="赵科员", phone="13700001111"
    )


def _first_liaison(case):
    return db.session.execute(
        sa.select(m.ProjectLiaison.id).where(m.ProjectLiaison.case_id == case.id)
    ).scalar_one()


def _with_issue(w, case):
    _running(w, case)
    projects.raise_issue(
        db.session,
        case,
        w.actor,
        title="环评批复待出",
        department=w.department,
        due_on=clock.today() + dt.timedelta(days=3),
    )


def _first_issue(case):
    return db.session.execute(
        sa.select(m.ProjectIssue.id).where(m.ProjectIssue.case_id == case.id)
    ).scalar_one()


# step → (prepare the case, the body as JSON, what the step leaves: a status or an event kind)
DRIVERS = {
    "confirm": (
        lambda w, c: None,
        lambda w, c: {
            "process_explained": True,
            "applicant_signed": True,
            "received": [c.item.materials[0].id],
        },
        S.ACCEPTED,
    ),
    "submit": (lambda w, c: _confirm(w, c), lambda w, c: {}, S.IN_PROGRESS),
    "notify_missing": (
        lambda w, c: _confirm(w, c, [c.item.materials[0].id]),
        lambda w, c: {"deadline": _today(10)},
        S.AWAITING_MATERIALS,
    ),
    "supplement": (
        lambda w, c: (
            _confirm(w, c, [c.item.materials[0].id]),
            lifecycle.notify_missing(
                db.session, c, w.actor, deadline=clock.today() + dt.timedelta(days=5)
            ),
        ),
        lambda w, c: {"supplied": [mat.id for mat in c.item.materials[1:]]},
        S.ACCEPTED,  # never at the window before the notice: it still needs 送达窗口
    ),
    "update": (_running, lambda w, c: {"note": "窗口已受理"}, EventKind.UPDATE),
    "contact": (
        _running,
        lambda w, c: {"channel": "phone", "note": "电话告知进度"},
        EventKind.CONTACT,
    ),
    "fee_guidance": (
        _running,
        lambda w, c: {"payee": "税务窗口", "amount": "12.50", "note": "申请人自行缴纳"},
        EventKind.FEE_GUIDANCE,
    ),
    "problem": (
        _running,
        lambda w, c: {"category": w.category.id, "note": "系统故障"},
        EventKind.PROBLEM,
    ),
    "resolve_problem": (
        _with_problem,
        lambda w, c: {"problem": lifecycle.open_problems(db.session, c)[0].id, "note": "已修复"},
        EventKind.PROBLEM_SOLVED,
    ),
    "transfer": (_running, lambda w, c: {"to_unit": w.tree.town_a.id}, EventKind.TRANSFER),
    "assign": (_running, lambda w, c: {"specialist": w.other.id}, EventKind.ASSIGN),
    "steward": (_running, lambda w, c: {"steward": w.other.id}, EventKind.STEWARD),
    "extend": (
        _running,
        lambda w, c: {"extra_days": 2, "reason": "需现场核查", "explained_to_applicant": True},
        EventKind.EXTENSION,
    ),
    "joint_review": (
        _running,
        lambda w, c: {
            "lead_unit": w.tree.town_a.id,
            "scheduled_at": (clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "departments": [d.id for d in c.item.parallel_departments],
            "location": "三楼会议室",
        },
        EventKind.JOINT_REVIEW,
    ),
    "complete": (
        _running,
        lambda w, c: {"results": "证照一份", "materials_returned": "原件", "signed_by": "本人"},
        S.COMPLETED,
    ),
    "suspend": (
        _running,
        lambda w, c: {"reason_type": "applicant_unreachable", "reason": "电话多次无人接听"},
        S.SUSPENDED,
    ),
    "resume": (
        _suspended,
        lambda w, c: {"renewal_signed": True, "signed_by": "本人", "note": "已联系上申请人"},
        S.IN_PROGRESS,
    ),
    "terminate": (
        _running,
        lambda w, c: {
            "reason_type": "applicant_request",
            "reason": "申请人撤回",
            "applicant_signed": True,
            "specialist_signed": True,
        },
        S.TERMINATED,
    ),
    "evaluate": (
        _completed,
        lambda w, c: {"rating": "5", "channel": "on_site", "comments": "很好"},
        EventKind.EVALUATION,
    ),
    "void": (lambda w, c: None, lambda w, c: {"reason": "录入错误"}, S.VOIDED),
    "archive": (_completed, lambda w, c: {"note": "材料齐全，归档"}, EventKind.ARCHIVED),
    "return_visit": (
        _completed,
        lambda w, c: {"planned_on": _today(), "channel": "phone", "notes": "满意"},
        EventKind.RETURN_VISIT,
    ),
    "attach": (
        _running,
        lambda w, c: {"kind": "application", "note": "签字"},
        EventKind.ATTACHMENT,
    ),
    "void_attachment": (
        lambda w, c: _with_file(w, c),
        lambda w, c: {"attachment": _first_file(c), "reason": "传错了文件"},
        EventKind.ATTACHMENT_VOIDED,
    ),
    "chase_up": (
        _running,
        lambda w, c: {
            "request": "12345 来电：申请人催问进度",
            "respond_by": _today(2),
            "hotline_ticket": "2026120500123",
        },
        EventKind.CHASE_UP,
    ),
    "chase_up_reply": (
        _chased,
        lambda w, c: {"chase_up": _open_chase_up(c), "response": "已电话回复申请人"},
        EventKind.CHASE_UP_REPLY,
    ),
    "plan_home_visit": (
        lambda w, c: None,
        lambda w, c: {
            "planned_at": (clock.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "address": "台城街道舜德路1号",
            "staff": [w.spec.id, w.other.id],
            "purpose": "上门核对材料并签署委托书",
        },
        EventKind.HOME_VISIT,
    ),
    "record_home_visit": (
        lambda w, c: _planned_visit(w, c),
        lambda w, c: {
            "visit": _first_visit(c),
            "done_at": (clock.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "outcome": "已上门签署委托书",
        },
        EventKind.HOME_VISIT,
    ),
    "project_contact": (
        _running,
        lambda w, c: {"contact_name": "李经理", "contact_phone": "13912345678"},
        EventKind.PROJECT_TEAM,
    ),
    "add_liaison": (
        _running,
        lambda w, c: {"department": w.department.id, "person": "王科长", "phone": "0750-5551234"},
        EventKind.PROJECT_TEAM,
    ),
    "remove_liaison": (
        lambda w, c: _with_liaison(w, c),
        lambda w, c: {"liaison": _first_liaison(c), "note": "人员调整"},
        EventKind.PROJECT_TEAM,
    ),
    "project_log": (
        _running,
        lambda w, c: {"on": _today(), "text": "召开项目推进会"},
        EventKind.PROJECT_LOG,
    ),
    "raise_issue": (
        _running,
        lambda w, c: {
            "title": "用地规划许可待审",
            "department": w.department.id,
            "due_on": _today(5),
        },
        EventKind.PROJECT_ISSUE,
    ),
    "solve_issue": (
        lambda w, c: _with_issue(w, c),
        lambda w, c: {"issue": _first_issue(c), "solution": "协调自然资源局加快审批"},
        EventKind.PROJECT_ISSUE,
    ),
}
# the steps that take a file: its field
FILES = {"complete": "receipt", "attach": "file"}
HOME = {"channel": CaseChannel.HOME_VISIT}
MAJOR = {"major_project": True, "kind": ServiceKind.PROXY}
CASE_OPTIONS = {
    "steward": {"major_project": True},
    "plan_home_visit": HOME,
    "record_home_visit": HOME,
    **{
        name: MAJOR
        for name in (
            "project_contact",
            "add_liaison",
            "remove_liaison",
            "project_log",
            "raise_issue",
            "solve_issue",
        )
    },
}
ITEM_OPTIONS = {"joint_review": {"parallel": True}}


def _form_fields(form_cls) -> dict:
    form = form_cls(meta={"csrf": False})
    return {f.name: f for f in form if not isinstance(f, HiddenField)}


def _catalog(lang: str):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def test_every_step_has_form_route_openapi_label_and_a_driver(api_app, tree):
    app = api_app
    assert set(DRIVERS) == set(STEPS), "a step without a test driving it (or a stale driver)"
    rules = {(r.rule, tuple(sorted(r.methods or ()))) for r in app.url_map.iter_rules()}
    factories.staff("admin_doc", "Admin", None)
    spec = api_login(app, "admin_doc").get("/api/v1/_openapi").json
    catalogs = {lang: _catalog(lang) for lang in ("zh", "zh_Hant", "en")}
    for name, step in STEPS.items():
        form_fields = _form_fields(step.form)
        files = {n for n, f in form_fields.items() if isinstance(f, FileField)}
        assert files == set(step.uploads), name
        schema_fields = {n: f for n, f in step.schema._declared_fields.items() if n != "version"}
        assert set(form_fields) - files == set(schema_fields), name
        for field_name, field in schema_fields.items():
            limit = next(
                (v.max for v in field.validators if hasattr(v, "max") and hasattr(v, "min")), None
            )
            form_limit = next(
                (v.max for v in form_fields[field_name].validators if isinstance(v, Length)), None
            )
            if isinstance(field, mfields.String) and form_limit is not None:
                assert form_limit == limit, (name, field_name, form_limit, limit)
        assert (f"/api/v1/case/<int:pk>/{name}", ("OPTIONS", "POST")) in rules, name
        assert f"/api/v1/case/{{pk}}/{name}" in spec["paths"], name
        assert "post" in spec["paths"][f"/api/v1/case/{{pk}}/{name}"], name
        assert f"CaseStep.{name}" in spec["components"]["schemas"], name
        label = step.label._args[0]
        for lang, catalog in catalogs.items():
            assert catalog.get(label) is not None and catalog.get(label).string, (name, lang)


def _prepare(app, tree, name):
    w = World(tree)
    item = factories.service_item(**ITEM_OPTIONS.get(name, {}))
    case = w.case(item=item, **CASE_OPTIONS.get(name, {}))
    prepare, body, expected = DRIVERS[name]
    prepare(w, case)
    db.session.commit()
    return w, case, body(w, case), expected


def _check(case_id, expected, name):
    db.session.expire_all()
    case = db.session.get(m.Case, case_id)
    if isinstance(expected, S):
        assert case.status == expected, name
    else:
        kinds = db.session.execute(
            sa.select(m.CaseEvent.kind).where(m.CaseEvent.case_id == case_id)
        ).scalars()
        assert expected in set(kinds), name
    audit = db.session.execute(
        sa.select(m.AuditLog).where(m.AuditLog.action == "step", m.AuditLog.row_id == str(case_id))
    ).scalars()
    assert name in [entry.after.get("step") for entry in audit], name
    return case


def _page_data(body: dict) -> dict:
    data = {}
    for key, value in body.items():
        if value is True:
            data[key] = "y"
        elif value is False:
            continue
        elif isinstance(value, list):
            data[key] = [str(v) for v in value]
        else:
            data[key] = str(value)
    return data


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_runs_on_the_case_page(app, tree, login, name):
    w, case, body, expected = _prepare(app, tree, name)
    client = login(app.test_client(), "mgr_a")
    page = client.get(f"/caseview/step/{case.id}/{name}")
    assert page.status_code == 200, page.text[:2000]
    data = {**_page_data(body), "version": str(case.version_id)}
    if name in FILES:
        data[FILES[name]] = (io.BytesIO(PNG), "receipt.png")
    response = client.post(
        f"/caseview/step/{case.id}/{name}", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.text[:3000]
    done = _check(case.id, expected, name)
    if name == "complete":
        handover = db.session.execute(
            sa.select(m.Handover).where(m.Handover.case_id == done.id)
        ).scalar_one()
        assert handover.receipt_file


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_runs_over_the_api(api_app, tree, name):
    w, case, body, expected = _prepare(api_app, tree, name)
    api = api_login(api_app, "mgr_a")
    heard = []
    with events.step_taken.connected_to(lambda case, step, **_: heard.append(step)):
        if name in FILES:
            data = {**body, FILES[name]: (io.BytesIO(PNG), "receipt.png")}
            response = api.post(
                f"/api/v1/case/{case.id}/{name}", data=data, content_type="multipart/form-data"
            )
        else:
            response = api.post(f"/api/v1/case/{case.id}/{name}", json=body)
    assert response.status_code == 200, response.json
    assert heard == [name]  # the domain published the step, once
    done = _check(case.id, expected, name)
    if name == "complete":
        attachment = db.session.execute(
            sa.select(m.Attachment).where(m.Attachment.case_id == done.id)
        ).scalar_one()
        assert attachment.content_type == "image/png"


def test_the_same_refusal_on_both_surfaces(api_app, tree, login):
    w = World(tree)
    case = w.case()
    api = api_login(api_app, "mgr_a", language="zh")
    answer = api.post(f"/api/v1/case/{case.id}/complete", json={"results": "r", "signed_by": "x"})
    assert answer.status_code == 409
    client = login(api_app.test_client(), "mgr_a")
    page = client.post(
        f"/caseview/step/{case.id}/complete", data={"results": "r", "signed_by": "x"}
    )
    assert page.status_code == 200
    assert answer.json["message"] in page.text
    assert "r" in page.text  # the input is kept


def test_only_a_manager_or_admin_voids(api_app, tree, login):
    w = World(tree)
    case = w.case()
    api = api_login(api_app, "spec_a1", language="zh")
    answer = api.post(f"/api/v1/case/{case.id}/void", json={"reason": "录入错误"})
    assert answer.status_code == 403
    client = login(api_app.test_client(), "spec_a1")
    show = client.get(f"/caseview/show/{case.id}").text
    assert 'data-step="void"' not in show
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).status == S.APPLIED


def test_api_refuses_a_related_id_outside_the_choices(api_app, tree):
    w = World(tree)
    case = w.case()
    _running(w, case)
    db.session.commit()
    outsider = factories.staff("spec_b", "Specialist", tree.town_b)
    api = api_login(api_app, "mgr_a")
    answer = api.post(f"/api/v1/case/{case.id}/assign", json={"specialist": outsider.id})
    assert answer.status_code == 422 and "specialist" in answer.json["errors"]
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).specialist_id == w.spec.id


# ---------------------------------------------------------------- right states and dates


def test_supplying_materials_returns_a_case_not_yet_at_the_window_to_accepted(app, tree):
    w = World(tree)
    case = w.case()
    _confirm(w, case, [case.item.materials[0].id])
    lifecycle.notify_missing(db.session, case, w.actor, deadline=clock.today() + dt.timedelta(5))
    lifecycle.supplement(
        db.session, case, w.actor, material_ids=[mat.id for mat in case.item.materials[1:]]
    )
    db.session.commit()
    assert case.status == S.ACCEPTED and case.submitted_at is None
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.complete(
            db.session, case, w.actor, results="r", materials_returned="", signed_by="x"
        )
    db.session.rollback()


def test_completion_needs_a_submission(app, tree):
    w = World(tree)
    case = w.case()
    _confirm(w, case)
    db.session.commit()
    # Even a case forced into "in progress" without a submission cannot be completed.
    case.status = S.IN_PROGRESS
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.complete(
            db.session, case, w.actor, results="r", materials_returned="", signed_by="x"
        )
    db.session.rollback()


def test_an_extension_while_waiting_for_materials_prints_two_different_dates(app, tree, login):
    w = World(tree)
    clock.set_fixed(dt.datetime(2026, 11, 2, 9, 0))  # a Monday
    try:
        case = w.case(item=factories.service_item(promised_days=5))
        _confirm(w, case, [case.item.materials[0].id])
        db.session.commit()
        assert case.due_date == dt.date(2026, 11, 9)
        clock.set_fixed(dt.datetime(2026, 11, 4, 9, 0))
        lifecycle.notify_missing(db.session, case, w.actor, deadline=dt.date(2026, 11, 20))
        db.session.commit()
        clock.set_fixed(dt.datetime(2026, 11, 10, 9, 0))  # six days into the pause
        extension = lifecycle.extend(
            db.session,
            case,
            w.actor,
            extra_days=3,
            reason="需现场核查",
            explained_to_applicant=True,
        )
        db.session.commit()
        # In force today (pause 11-04..11-09 not counted): 11-03 counted, then 11-10..11-13 →
        # four more days: due 11-13; three working days more: 11-18.
        assert extension.old_due == dt.date(2026, 11, 13)
        assert extension.new_due == dt.date(2026, 11, 18)
        client = login(app.test_client(), "mgr_a")
        html = client.get(f"/print/extension/{extension.id}").text
        assert "2026年11月13日" in html and "2026年11月18日" in html
    finally:
        clock.set_fixed(None)


# ---------------------------------------------------------------- bypasses closed


def test_the_generic_edit_screen_offers_free_fields_only(app, tree, login):
    w = World(tree)
    case = w.case()
    _completed(w, case)
    db.session.commit()
    client = login(app.test_client(), "mgr_a")
    form = client.get(f"/caseview/edit/{case.id}").text
    assert 'name="specialist"' not in form and 'name="steward"' not in form
    client.post(f"/caseview/edit/{case.id}", data={"needs": "说明", "specialist": "__None"})
    db.session.expire_all()
    assert db.session.get(m.Case, case.id).specialist_id == w.spec.id


def test_a_transfer_tells_the_receiving_unit(app, tree):
    from app.cases import service

    w = World(tree)
    receiver = factories.staff("spec_t", "Specialist", tree.town_a)
    leader = factories.staff("lead_t", "Leader", tree.town_a)
    case = w.case()
    _running(w, case)
    db.session.commit()
    with app.test_request_context():
        from flask import g

        g.user = w.spec.user
        service.run_step("transfer", case.id, {"to_unit": tree.town_a.id}, w.spec.user)
    rows = db.session.execute(
        sa.select(m.Notification).where(m.Notification.kind == "case_transferred")
    ).scalars()
    recipients = {row.recipient_id for row in rows}
    assert recipients == {receiver.user_id, w.manager.user_id}
    assert leader.user_id not in recipients


def test_a_problem_is_marked_solved_once(app, tree):
    w = World(tree)
    case = w.case()
    _with_problem(w, case)
    db.session.commit()
    problem = lifecycle.open_problems(db.session, case)[0]
    lifecycle.resolve_problem(db.session, case, w.actor, problem=problem, note="已修复")
    db.session.commit()
    assert lifecycle.open_problems(db.session, case) == []
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.resolve_problem(db.session, case, w.actor, problem=problem, note="再次")
    db.session.rollback()
