"""A complainant's mobile is masked on the API exactly as on the complaint screens: for every
caller, in every answer (lists, single records, intake and steps), documented so in the OpenAPI
document, and never a search oracle (only the whole number, for roles that may reveal numbers,
audited)."""

from __future__ import annotations

import prison
import sqlalchemy as sa

from app import models as m
from app.complaints import service
from app.extensions import db
from app.scope import scope_for_user
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

MOBILE = "13800138000"
MASKED = "138****8000"
BODY = {"complainant": "李四", "mobile": MOBILE, "matter": "营业执照变更没办成"}


def _q(*filters, **extra) -> str:
    args = {"filters": [dict(col=c, opr=o, value=v) for c, o, v in filters], **extra}
    return "/api/v1/complaint/?q=" + prison.dumps(args)


def _complaint(spec, **data):
    made = service.intake({**BODY, **data}, spec.user, scope=scope_for_user(spec.user))
    return made.id


def _search_reveals():
    return db.session.execute(
        sa.select(m.AuditLog.username, m.AuditLog.table_name, m.AuditLog.row_id)
        .where(m.AuditLog.action == "reveal")
        .order_by(m.AuditLog.id)
    ).all()


def test_every_api_answer_masks_the_mobile_as_the_screens_do(api_app, tree, login):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    factories.staff("mgr_a", "Manager", tree.town_a)
    factories.staff("admin_api", "Admin", None)
    pk = _complaint(spec)
    page = login(api_app.test_client(), "spec_a").get(f"/complaints/show/{pk}")
    assert page.status_code == 200 and MASKED in page.text and MOBILE not in page.text
    for username in ("spec_a", "mgr_a", "admin_api"):  # revealers of applicants' numbers too
        api = api_login(api_app, username)
        shown = api.get(f"/api/v1/complaint/{pk}")
        assert shown.status_code == 200 and shown.json["result"]["mobile"] == MASKED, username
        listed = api.get("/api/v1/complaint/").json["result"]
        assert [row["mobile"] for row in listed] == [MASKED], username
    api = api_login(api_app, "spec_a")
    made = api.post("/api/v1/complaint/", json=BODY)
    assert made.status_code == 201 and made.json["result"]["mobile"] == MASKED
    step = api.post(f"/api/v1/complaint/{pk}/coordinate", json={"note": "协调"})
    assert step.status_code == 200 and step.json["result"]["mobile"] == MASKED
    assert MOBILE not in made.text + step.text
    assert db.session.get(m.Complaint, pk).mobile == MOBILE  # stored whole


def test_the_mobile_is_no_search_oracle(api_app, tree):
    spec = factories.staff("spec_a", "Specialist", tree.town_a)
    factories.staff("leader_city", "Leader", tree.city)
    pk = _complaint(spec)
    _complaint(spec, mobile="13900139000")
    for username in ("spec_a", "leader_city"):
        api = api_login(api_app, username)
        for opr in ("sw", "ew", "ct", "nct", "neq", "gt", "lt", "in"):
            value = ["1380013"] if opr == "in" else "1380013"
            answer = api.get(_q(("mobile", opr, value)))
            assert answer.status_code == 400, (username, opr, answer.json)
        answer = api.get(_q(order_column="mobile", order_direction="asc"))
        assert answer.status_code == 400, username
    # Whole numbers only, from a role that may reveal numbers, and the search is audited.
    leader = api_login(api_app, "leader_city")
    assert leader.get(_q(("mobile", "eq", MOBILE))).status_code == 400
    assert _search_reveals() == []
    api = api_login(api_app, "spec_a")
    assert api.get(_q(("mobile", "eq", MOBILE[:7]))).json["count"] == 0
    found = api.get(_q(("mobile", "eq", MOBILE)))
    assert found.status_code == 200 and found.json["ids"] == [pk]
    assert found.json["result"][0]["mobile"] == MASKED
    assert _search_reveals() == [("spec_a", "complaint", str(pk))]


def test_the_openapi_document_says_the_mobile_is_masked(api_app, tree):
    factories.staff("admin_api", "Admin", None)
    spec = api_login(api_app, "admin_api").get("/api/v1/_openapi").json
    schemas = spec["components"]["schemas"]
    for name in ("ComplaintApi.get", "ComplaintApi.get_list"):
        description = schemas[name]["properties"]["mobile"].get("description", "")
        assert "Masked for every caller" in description, name
