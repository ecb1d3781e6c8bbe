"""The REST API's resources: scope (404), related ids, read-only status, masking, constraint
violations (409/422, never 500), permissions by role, language of messages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app import models as m
from app.extensions import db
from app.validators import mask_mobile, mask_resident_id
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

RESOURCES = [
    "org_unit",
    "department",
    "specialist",
    "service_item",
    "applicant",
    "case",
    "evaluation",
    "walk_in_help",
    "notification",
]


def _applicant_body(unit_id, **over):
    body = {
        "kind": "person",
        "name": "张三",
        "id_number": factories.resident_id(),
        "mobile": "13912345678",
        "unit": unit_id,
    }
    body.update(over)
    return body


# ---------------------------------------------------------------- log-in, 401, documents


def test_login_gives_tokens_and_every_resource_answers(api_app, people):
    api = api_login(api_app, "spec_a")
    for name in RESOURCES:
        response = api.get(f"/api/v1/{name}/")
        assert response.status_code == 200, (name, response.json)
        assert set(response.json) >= {"count", "ids", "result"}


def test_without_or_with_a_bad_token_answers_401_json(api_app, people):
    client = api_app.test_client()
    response = client.get("/api/v1/case/")
    assert response.status_code == 401
    assert set(response.json) == {"message"}
    response = client.get("/api/v1/case/", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert set(response.json) == {"message"}
    wrong = client.post(
        "/api/v1/security/login",
        json={"username": "spec_a", "password": "wrong", "provider": "db"},
    )
    assert wrong.status_code == 401
    no_provider = client.post(
        "/api/v1/security/login", json={"username": "spec_a", "password": factories.PASSWORD}
    )
    assert no_provider.status_code == 400 and set(no_provider.json["errors"]) == {"provider"}
    # The browser session does not open the API (it is exempt from CSRF, so it must not).
    client.post("/login/", data={"username": "spec_a", "password": factories.PASSWORD})
    assert client.get("/api/v1/case/").status_code == 401


def test_unknown_api_paths_answer_json(api_app, people):
    api = api_login(api_app, "spec_a")
    for path in ("/api/v1/case/-3", "/api/v1/nothing/", "/api/v1/case/abc/timeline"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.is_json and "message" in response.json


def test_openapi_document_lists_every_route(api_app, people):
    api = api_login(api_app, "leader_city")
    spec = api.get("/api/v1/_openapi").json
    paths = spec["paths"]
    for name in RESOURCES:
        assert f"/api/v1/{name}/" in paths
        assert f"/api/v1/{name}/{{pk}}" in paths
    for step in (
        "confirm submit notify_missing supplement contact update transfer extend "
        "joint_review complete terminate evaluate return_visit timeline"
    ).split():
        assert f"/api/v1/case/{{pk}}/{step}" in paths
    assert "put" not in paths["/api/v1/evaluation/{pk}"]
    assert "status" not in spec["components"]["schemas"]["CaseApi.put"]["properties"]
    assert "status" not in spec["components"]["schemas"]["CaseApi.post"]["properties"]
    assert "429" in paths["/api/v1/security/login"]["post"]["responses"]


# ---------------------------------------------------------------- scope


def test_out_of_scope_answers_exactly_like_a_missing_id(api_app, people, tree):
    foreign_case = factories.case(tree.town_b, people.other)
    foreign_applicant = factories.applicant(tree.town_b)
    walk_in = m.WalkInHelp(unit=tree.town_b, kind="question")
    db.session.add(walk_in)
    db.session.commit()
    api = api_login(api_app, "spec_a")
    missing = api.get("/api/v1/case/999999")
    assert missing.status_code == 404
    for path in (
        f"/api/v1/case/{foreign_case.id}",
        f"/api/v1/case/{foreign_case.id}/timeline",
        f"/api/v1/applicant/{foreign_applicant.id}",
        f"/api/v1/walk_in_help/{walk_in.id}",
        f"/api/v1/org_unit/{tree.town_b.id}",
        f"/api/v1/specialist/{people.other.id}",
    ):
        response = api.get(path)
        assert (response.status_code, response.json) == (404, missing.json), path
    for call in (
        lambda: api.put(f"/api/v1/case/{foreign_case.id}", json={"needs": "mine now"}),
        lambda: api.put(f"/api/v1/applicant/{foreign_applicant.id}", json={"name": "x"}),
        lambda: api.post(f"/api/v1/case/{foreign_case.id}/update", json={"note": "x"}),
    ):
        response = call()
        assert (response.status_code, response.json) == (404, missing.json)
    manager = api_login(api_app, "mgr_a")
    # Cases have no DELETE at all (app/kept.py): the same 405 for any id, telling nothing.
    response = manager.delete(f"/api/v1/case/{foreign_case.id}")
    nothing = manager.delete("/api/v1/case/99999999")
    assert (response.status_code, response.json) == (405, nothing.json)
    assert db.session.get(m.Case, foreign_case.id) is not None
    listed = api.get("/api/v1/case/").json["ids"]
    assert foreign_case.id not in listed
    # The city's leader sees both towns; an admin sees everything.
    leader = api_login(api_app, "leader_city")
    assert leader.get(f"/api/v1/case/{foreign_case.id}").status_code == 200
    admin = api_login(api_app, "admin_api")
    assert admin.get(f"/api/v1/org_unit/{tree.town_b.id}").status_code == 200


def test_filters_cannot_reach_out_of_scope_rows(api_app, people, tree):
    foreign = factories.case(tree.town_b, people.other)
    mine = factories.case(tree.town_a, people.specialist)
    api = api_login(api_app, "spec_a")
    by_unit = api.get(
        f"/api/v1/case/?q=(filters:!((col:handling_unit,opr:rel_o_m,value:{tree.town_b.id})))"
    )
    assert by_unit.status_code == 200 and by_unit.json["count"] == 0
    everything = api.get("/api/v1/case/?q=(page_size:100)").json["ids"]
    assert everything == [mine.id] and foreign.id not in everything


# ---------------------------------------------------------------- related ids and writes


def test_related_ids_are_checked_against_the_scope(api_app, people, tree):
    api = api_login(api_app, "spec_a")
    outside = api.post("/api/v1/applicant/", json=_applicant_body(tree.town_b.id))
    missing = api.post("/api/v1/applicant/", json=_applicant_body(999999))
    assert outside.status_code == missing.status_code == 422
    assert outside.json["errors"]["unit"] == missing.json["errors"]["unit"]
    not_an_id = api.post("/api/v1/applicant/", json=_applicant_body("town_b"))
    assert not_an_id.status_code == 422 and "unit" in not_an_id.json["errors"]
    assert db.session.scalar(sa.select(sa.func.count(m.Applicant.id))) == 0
    created = api.post("/api/v1/applicant/", json=_applicant_body(tree.village_a1.id))
    assert created.status_code == 201, created.json

    foreign_applicant = factories.applicant(tree.town_b)
    item = factories.service_item()
    response = api.post(
        "/api/v1/case/",
        json={
            "applicant": foreign_applicant.id,
            "item": item.id,
            "kind": "help",
            "needs": "x",
            "handling_unit": tree.town_b.id,
            "specialist": people.other.id,
            "ack_voluntary": True,
            "ack_free": True,
            "ack_truthful": True,
        },
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"applicant", "handling_unit", "specialist"}
    walk_in = api.post(
        "/api/v1/walk_in_help/",
        json={"unit": tree.town_a.id, "kind": "question", "specialist": people.other.id},
    )
    assert walk_in.status_code == 422 and set(walk_in.json["errors"]) == {"specialist"}
    assert db.session.scalar(sa.select(sa.func.count(m.Case.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(m.WalkInHelp.id))) == 0


def test_put_cannot_move_out_of_scope_nor_write_status(api_app, people, tree):
    applicant = factories.applicant(tree.town_a)
    case = factories.case(tree.town_a, people.specialist)
    api = api_login(api_app, "spec_a")
    moved = api.put(f"/api/v1/applicant/{applicant.id}", json={"unit": tree.town_b.id})
    assert moved.status_code == 422 and "unit" in moved.json["errors"]
    for field, value in (("status", "completed"), ("number", "X"), ("version_id", 1)):
        response = api.put(f"/api/v1/case/{case.id}", json={field: value})
        assert response.status_code == 422, field
        assert field in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(m.Applicant, applicant.id).unit_id == tree.town_a.id
    assert db.session.get(m.Case, case.id).status.value == "applied"
    ok = api.put(f"/api/v1/applicant/{applicant.id}", json={"unit": tree.village_a2.id})
    assert ok.status_code == 200, ok.json
    assert ok.json["result"]["unit"] == tree.village_a2.id
    needs = api.put(f"/api/v1/case/{case.id}", json={"needs": "补充说明"})
    assert needs.status_code == 200 and needs.json["result"]["needs"] == "补充说明"
    # Process-owned fields change only through steps (the steward step, assignment...).
    for field in ("steward", "specialist", "handling_unit", "due_date"):
        refused = api.put(f"/api/v1/case/{case.id}", json={field: people.village.id})
        assert refused.status_code in (400, 422) and field in refused.json.get("errors", {}), field
    assert db.session.get(m.Case, case.id).steward_id is None


def test_only_the_handling_side_edits_a_transferred_case(api_app, people, tree):
    case = factories.case(tree.town_a, people.specialist)
    city = factories.staff("mgr_city", "Manager", tree.city)
    api = api_login(api_app, "mgr_city")
    moved = api.post(f"/api/v1/case/{case.id}/transfer", json={"to_unit": tree.town_b.id})
    assert moved.status_code == 200, moved.json
    assert city is not None
    town_a = api_login(api_app, "spec_a")
    assert town_a.get(f"/api/v1/case/{case.id}").status_code == 200  # accepting side still sees
    refused = town_a.put(f"/api/v1/case/{case.id}", json={"needs": "x"})
    assert refused.status_code == 403
    assert town_a.post(f"/api/v1/case/{case.id}/update", json={"note": "x"}).status_code == 403


# ---------------------------------------------------------------- constraints


def test_constraint_violations_answer_409_or_422(api_app, people, tree):
    admin = api_login(api_app, "admin_api")
    first = admin.post("/api/v1/department/", json={"code": "D1", "name": "税务局"})
    assert first.status_code == 201, first.json
    duplicate = admin.post("/api/v1/department/", json={"code": "D1", "name": "另一局"})
    assert duplicate.status_code == 409
    assert set(duplicate.json["errors"]) == {"code"}
    dep = first.json["id"]
    item = {"code": "S1", "name": "事项", "department": dep, "promised_days": 5, "legal_days": 3}
    broken = admin.post("/api/v1/service_item/", json=item)
    assert broken.status_code == 422
    assert set(broken.json["errors"]) >= {"legal_days", "promised_days"}
    assert admin.post("/api/v1/service_item/", json={**item, "legal_days": 9}).status_code == 201
    renamed = admin.put(f"/api/v1/department/{dep}", json={"name": "另一局"})
    assert renamed.status_code == 200
    other = admin.post("/api/v1/department/", json={"code": "D2", "name": "第三局"}).json["id"]
    clash = admin.put(f"/api/v1/department/{other}", json={"code": "D1"})
    assert clash.status_code == 409
    still_used = admin.delete(f"/api/v1/department/{dep}")
    assert still_used.status_code == 409
    assert db.session.get(m.Department, dep) is not None
    too_long = admin.post("/api/v1/department/", json={"code": "X" * 50, "name": "长"})
    assert too_long.status_code == 422 and "code" in too_long.json["errors"]
    nul = admin.post("/api/v1/department/", json={"code": "N\x00", "name": "零"})
    assert nul.status_code == 400  # refused before any view (app/input_guard.py)

    api = api_login(api_app, "spec_a")
    id_number = factories.resident_id()
    body = _applicant_body(tree.town_a.id, id_number=id_number)
    assert api.post("/api/v1/applicant/", json=body).status_code == 201
    twice = api.post("/api/v1/applicant/", json=body)
    assert twice.status_code == 409 and "id_number" in twice.json["errors"]
    no_identity = api.post(
        "/api/v1/applicant/", json=_applicant_body(tree.town_a.id, id_number=None)
    )
    assert no_identity.status_code == 422 and "id_number" in no_identity.json["errors"]
    bad_id = api.post("/api/v1/applicant/", json=_applicant_body(tree.town_a.id, id_number="1234"))
    assert bad_id.status_code == 422 and "id_number" in bad_id.json["errors"]


def test_cases_are_never_deleted_over_the_api(api_app, people, tree):
    """Case records are kept (app/kept.py): no DELETE route, for a fresh case too."""
    fresh = factories.case(tree.town_a, people.specialist)
    for username in ("mgr_a", "admin_api"):
        api = api_login(api_app, username)
        assert api.delete(f"/api/v1/case/{fresh.id}").status_code == 405
    assert db.session.get(m.Case, fresh.id) is not None


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize(
    "username, may_write",
    [("spec_a", True), ("mgr_a", True), ("leader_city", False)],
)
def test_role_permissions(api_app, people, tree, username, may_write):
    case = factories.case(tree.town_a, people.specialist)
    api = api_login(api_app, username)
    assert api.get(f"/api/v1/case/{case.id}").status_code == 200
    assert api.get(f"/api/v1/case/{case.id}/timeline").status_code == 200
    expected = 200 if may_write else 403
    assert api.put(f"/api/v1/case/{case.id}", json={"needs": "n"}).status_code == expected
    step = api.post(f"/api/v1/case/{case.id}/contact", json={"channel": "phone", "note": "hi"})
    assert step.status_code == expected
    created = api.post("/api/v1/applicant/", json=_applicant_body(tree.town_a.id))
    assert created.status_code == (201 if may_write else 403)
    # Reference data is written by administrators only.
    assert api.post("/api/v1/department/", json={"code": "Z", "name": "Z"}).status_code == 403
    assert api.put(f"/api/v1/org_unit/{tree.town_a.id}", json={"name": "x"}).status_code == 403
    assert api.delete(f"/api/v1/case/{case.id}").status_code == 405


def test_admin_writes_reference_data(api_app, people, tree):
    admin = api_login(api_app, "admin_api")
    unit = admin.post(
        "/api/v1/org_unit/",
        json={
            "code": "440781102",
            "name": "四九镇便民服务中心",
            "tier": "town",
            "parent": tree.city.id,
        },
    )
    assert unit.status_code == 201, unit.json
    row = db.session.get(m.OrgUnit, unit.json["id"])
    assert row.path == "/440781/440781102/" and row.kind.value == "convenience_center"
    misplaced = admin.post(
        "/api/v1/org_unit/",
        json={"code": "440781103", "name": "错位", "tier": "village", "parent": tree.city.id},
    )
    assert misplaced.status_code == 422 and "parent" in misplaced.json["errors"]
    specialist = admin.post(
        "/api/v1/specialist/",
        json={"name": "新专员", "unit": tree.town_b.id, "staff_type": "window", "mobile": "1"},
    )
    assert specialist.status_code == 422 and "mobile" in specialist.json["errors"]


# ---------------------------------------------------------------- masking


def test_identity_masked_for_roles_that_do_not_handle_applicants(api_app, people, tree):
    applicant = factories.applicant(tree.town_a)
    full_id, full_mobile = applicant.id_number, applicant.mobile
    for username, masked in (
        ("spec_a", False),
        ("mgr_a", False),
        ("leader_city", True),
        ("admin_api", True),
    ):
        api = api_login(api_app, username)
        row = api.get("/api/v1/applicant/").json["result"][0]
        one = api.get(f"/api/v1/applicant/{applicant.id}").json["result"]
        for answer in (row, one):
            if masked:
                assert answer["id_number"] == mask_resident_id(full_id) != full_id
                assert answer["mobile"] == mask_mobile(full_mobile)
            else:
                assert (answer["id_number"], answer["mobile"]) == (full_id, full_mobile)
    leader = api_login(api_app, "leader_city")
    staff_row = leader.get(f"/api/v1/specialist/{people.specialist.id}").json["result"]
    assert staff_row["mobile"] in (None, "") or "*" in staff_row["mobile"]
    # Every answer with full numbers is in the audit trail, as the applicant page's reveal is.
    reveals = db.session.execute(
        sa.select(m.AuditLog.username, m.AuditLog.row_id).where(m.AuditLog.action == "reveal")
    ).all()
    assert sorted(reveals) == sorted(
        [("spec_a", str(applicant.id))] * 2 + [("mgr_a", str(applicant.id))] * 2
    )


def test_notifications_are_the_callers_own(api_app, people, tree):
    mine = m.Notification(
        dedup_key="n1", channel="app", kind="due", recipient_id=people.specialist.user_id
    )
    theirs = m.Notification(
        dedup_key="n2", channel="app", kind="due", recipient_id=people.manager.user_id
    )
    db.session.add_all([mine, theirs])
    db.session.commit()
    api = api_login(api_app, "spec_a")
    assert api.get("/api/v1/notification/").json["ids"] == [mine.id]
    assert api.get(f"/api/v1/notification/{theirs.id}").status_code == 404
    admin = api_login(api_app, "admin_api")
    assert admin.get("/api/v1/notification/").json["count"] == 0
    assert api.put(f"/api/v1/notification/{mine.id}", json={}).status_code in (404, 405)


# ---------------------------------------------------------------- language


def test_messages_follow_the_request_language(api_app, people, tree):
    from flask_babel import gettext

    from app.domain import lifecycle
    from app.domain.status import CaseStatus

    case = factories.case(tree.town_a, people.specialist)
    client = api_login(api_app, "spec_a", language=None)

    def expected(locale):
        with api_app.test_request_context(), force_locale(locale):
            return gettext(
                "“%(step)s” is not allowed while the case is “%(status)s”.",
                step=str(lifecycle.STEP_LABELS["submit"]),
                status=str(CaseStatus.APPLIED.label),
            )

    for headers, query, locale in (
        ({"Accept-Language": "en-US,en;q=0.9"}, "", "en"),
        ({"Accept-Language": "zh-TW"}, "", "zh_Hant"),
        ({"Accept-Language": "fr, zh-Hant-HK;q=0.5"}, "", "zh_Hant"),
        ({"Accept-Language": "en"}, "?_l_=zh", "zh"),
        ({}, "", "zh"),
    ):
        response = client.post(f"/api/v1/case/{case.id}/submit{query}", headers=headers)
        assert response.status_code == 409
        assert response.json["message"] == expected(locale), (headers, query)
    assert expected("en") == "“Submit to the window” is not allowed while the case is “Applied”."


@pytest.mark.parametrize(
    "header, code",
    [
        ("zh-CN", "zh"),
        ("zh", "zh"),
        ("zh-Hans-CN", "zh"),
        ("zh-HK", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("en-GB", "en"),
        ("de, en;q=0.3", "en"),
        ("*", "zh"),
        ("", "zh"),
    ],
)
def test_api_locale_from_accept_language(app, header, code):
    from app.api.locale import api_locale

    with app.test_request_context(headers={"Accept-Language": header} if header else {}):
        assert api_locale() == code


def test_constraint_answers_on_sqlite_too(sqlite_app):
    """The installation without PostgreSQL (make run's default) maps violations the same way."""
    from tests.conftest import wipe

    wipe(sqlite_app)
    try:
        with sqlite_app.app_context():
            factories.staff("admin_sqlite", "Admin", None)
            admin = api_login(sqlite_app, "admin_sqlite")
            first = admin.post("/api/v1/department/", json={"code": "D1", "name": "税务局"})
            assert first.status_code == 201
            twice = admin.post("/api/v1/department/", json={"code": "D1", "name": "另一局"})
            assert twice.status_code == 409 and set(twice.json["errors"]) == {"code"}
            item = {"code": "S", "name": "事项", "department": first.json["id"]}
            broken = admin.post(
                "/api/v1/service_item/", json={**item, "promised_days": 5, "legal_days": 1}
            )
            assert broken.status_code == 422
            assert set(broken.json["errors"]) == {"legal_days", "promised_days"}
    finally:
        wipe(sqlite_app)


def test_every_operation_documents_its_error_answers_in_the_one_shape(api_app, people):
    """Error answers are declared once per route (app/api/answers.py ``route``), every protected
    route documents the ones any of them may give, and each refers to the one error shape."""
    spec = api_login(api_app, "admin_api").get("/api/v1/_openapi").json
    fab_own = {"/api/v1/security/login", "/api/v1/security/refresh", "/api/v1/menu/"}
    checked = 0
    for path, operations in spec["paths"].items():
        if path in fab_own or "_openapi" in path:
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403", "500", "503"} <= set(responses), (method, path)
            for code, answer in responses.items():
                if int(code) >= 400:
                    assert answer == {"$ref": f"#/components/responses/{code}"}, (path, code)
            named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert named == set(re.findall(r"{(\w+)}", path)), (method, path)
            checked += 1
    assert checked >= 90
    for code, answer in spec["components"]["responses"].items():
        schema = answer["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ApiError"}, code
    paths = spec["paths"]
    step = paths["/api/v1/appointment/{pk}/cancel"]["post"]
    assert set(step["responses"]) == {"200", "400", "401", "403", "404", "409", "422", "500", "503"}
    assert step["parameters"] == [
        {"in": "path", "name": "pk", "required": True, "schema": {"type": "integer"}}
    ]
    timeline = paths["/api/v1/complaint/{pk}/timeline"]["get"]
    assert set(timeline["responses"]) == {"200", "401", "403", "404", "500", "503"}
    assert "422" in paths["/api/v1/case/{pk}/attach"]["post"]["responses"]
    assert "409" in paths["/api/v1/complaint/{pk}/{step}"]["post"]["responses"]
