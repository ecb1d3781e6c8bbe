"""Malformed input never answers 500 (issue 18): one guard before every request.

The findings of the review one by one, then a crawl of every GET route of the URL map as each
role (and anonymous) with malformed values in path parameters and query strings.
"""

from __future__ import annotations

import random
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import globals as flask_globals

from app import models as m
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

HUGE = "99999999999999999999"


@contextmanager
def isolated_requests():
    """Pop the test's app context so each request gets its own session and ``g``."""
    ctx = flask_globals.app_ctx._get_current_object()
    ctx.pop()
    try:
        yield
    finally:
        ctx.push()


def status_of(client, url, method="GET", **kw) -> int:
    """The status, a raised exception (TESTING propagates them) counting as 500."""
    try:
        return client.open(url, method=method, **kw).status_code
    except Exception:  # noqa: BLE001 - a crash is the finding
        return 500


@pytest.fixture
def world(api_app, people, tree):
    applicant = factories.applicant(tree.village_a1)
    case = factories.case(tree.village_a1, people.specialist, app_=applicant)
    db.session.commit()
    return case


SCREEN_FINDINGS = [
    (f"/caseview/show/{HUGE}", 404),
    (f"/caseview/edit/{HUGE}", 404),
    (f"/caseview/step/{HUGE}/confirm", 404),
    (f"/print/case/{HUGE}/application", 404),
    (f"/attachmentview/file/{HUGE}", 404),
    (f"/notifications/open/{HUGE}", 404),
    (f"/summaries/download/{HUGE}", 404),
    ("/caseview/show/abc", 404),
    ("/caseview/show/%00", 404),
    (f"/ledger/list/?unit={HUGE}", 400),
    (f"/dashboard/?unit={HUGE}", 400),
    ("/guide/?q=%00", 400),
    ("/applicantview/list/?_flt_0_name=%00", 400),
    ("/caseview/list/?psize_CaseView=-1", 400),
    ("/caseview/list/?page_CaseView=-5", 400),
    ("/caseview/list/?psize_CaseView=abc", 400),
    ("/caseview/list/?_flt_0_kind=nope", 400),
    ("/caseview/list/?_flt_0_status=nope", 400),
    ("/caseview/list/?_flt_9_status=applied", 400),
    ("/evaluationview/list/?_flt_0_rating=99", 400),
    ("/applicantview/list/?_oc_ApplicantView=masked_id_number&_od_ApplicantView=asc", 400),
    ("/ledger/list/?date_from=0001-01-01&date_to=9999-12-31", 400),
    ("/ledger/walkin/?date_from=0001-01-01&date_to=9999-12-31", 400),
    ("/ledger/export/csv?date_from=0001-01-01&date_to=9999-12-31", 400),
    ("/dashboard/?date_from=0001-01-01&date_to=9999-12-31", 400),
]


def test_each_finding_on_the_screens_answers_400_or_404(api_app, world, login):
    client = login(api_app.test_client(), "mgr_a")
    with isolated_requests():
        got = {url: status_of(client, url) for url, _ in SCREEN_FINDINGS}
    assert got == {url: status for url, status in SCREEN_FINDINGS}


def test_nul_in_forms_and_lone_surrogates_in_json_answer_400(api_app, world, login):
    client = login(api_app.test_client(), "spec_a")
    api = api_login(api_app, "spec_a")
    case_id = world.id
    with isolated_requests():
        walk_in = status_of(
            client, "/walkin/record", method="POST", data={"kind": "consult", "note": "a\x00b"}
        )
        step = status_of(
            client, f"/caseview/step/{case_id}/contact", method="POST", data={"note": "\x00"}
        )
        body = '{"note": "\\ud800"}'
        surrogate = api.client.post(
            f"/api/v1/case/{case_id}/contact",
            data=body,
            headers={**api.headers, "Content-Type": "application/json"},
        )
        deep = api.get("/api/v1/case/?q=" + "(" * 2000)
        relation = api.get("/api/v1/case/?q=(filters:!((col:applicant,opr:rel_o_m,value:abc)))")
        huge = api.get(f"/api/v1/case/{HUGE}")
    assert (walk_in, step) == (400, 400)
    assert surrogate.status_code == 400 and surrogate.json["message"]
    assert deep.status_code == 400 and deep.json["message"]
    assert relation.status_code == 400
    assert huge.status_code == 404


def test_trace_answers_405_with_allow(api_app):
    response = api_app.test_client().open("/login/", method="TRACE")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


# ---------------------------------------------------------------- the crawl

PATH_VALUES = [HUGE, "-1", "abc", "%00", "%ED%A0%80"]
QUERY_VALUES = [HUGE, "-5", "nope", "%00", "0001-01-01", "(((("]
ROLES = ["admin_api", "mgr_a", "spec_a", "leader_city", None]


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        if rule.endpoint in ("AuthDBView.logout", "LocaleView.index"):
            continue
        yield rule


def _urls(app, rule) -> list[str]:
    """The rule with malformed values in its parameters, and with malformed query strings."""
    urls = []
    base = rule.rule
    params = re.findall(r"<(?:[^:>]+:)?([^>]+)>", base)
    plain = base
    for name in params:
        plain = re.sub(rf"<(?:[^:>]+:)?{name}>", "1", plain)
    for name in params:
        for value in PATH_VALUES:
            url = re.sub(rf"<(?:[^:>]+:)?{name}>", value, base)
            for other in params:
                url = re.sub(rf"<(?:[^:>]+:)?{other}>", "1", url)
            urls.append(url)
    view_name = rule.endpoint.split(".")[0]
    view = next((v for v in app.appbuilder.baseviews if type(v).__name__ == view_name), None)
    is_list = rule.endpoint.endswith(".list")
    columns = list(getattr(view, "search_columns", None) or []) if is_list else []
    names = ["q", "unit", "page", "date_from", "date_to", "kind", "status", "item", "rating"]
    names += [f"_flt_0_{c}" for c in columns] + [f"_flt_1_{c}" for c in columns[:1]]
    names += [f"page_{view_name}", f"psize_{view_name}", f"_oc_{view_name}"]
    for value in QUERY_VALUES:
        query = "&".join(f"{n}={value}" for n in names if not n.startswith("_flt_"))
        urls.append(f"{plain}?{query}&_od_{view_name}=asc")
        for name in names:
            if name.startswith("_flt_"):
                urls.append(f"{plain}?{name}={value}")
    return urls


@pytest.mark.slow
@pytest.mark.parametrize("username", ROLES)
def test_crawl_every_get_route_with_malformed_values(api_app, world, login, username):
    failures = []
    rules = list(_get_rules(api_app))
    client = api_app.test_client()
    if username:
        login(client, username)
    api = api_login(api_app, username) if username else None
    with isolated_requests():
        for rule in rules:
            is_api = rule.rule.startswith("/api/")
            for url in _urls(api_app, rule):
                if is_api and api is not None:
                    status = status_of(api.client, url, headers=api.headers)
                else:
                    status = status_of(client, url)
                if status >= 500:
                    failures.append((url, status))
    assert failures == [], "\n".join(f"{status} {url}" for url, status in failures)


def test_progress_inquiry_is_also_bounded_per_network(app, tree):
    app.config["PROGRESS_NETWORK_RATE_LIMIT"] = "5 per minute"
    network = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}"  # fresh limiter keys
    try:
        client = app.test_client()
        codes = [
            client.post(
                "/progress/",
                data={"number": "X", "mobile_tail": "1234"},
                environ_base={"REMOTE_ADDR": f"{network}.{n}"},
            ).status_code
            for n in range(1, 8)
        ]
    finally:
        app.config.pop("PROGRESS_NETWORK_RATE_LIMIT")
    assert codes[:5] == [200] * 5
    assert codes[5:] == [429, 429]


@pytest.mark.parametrize(
    "q", ["((((", "!", "(a:", "(", "x)", "(filters:!((col:x,opr:eq,value:!(", "'"]
)
def test_malformed_rison_answers_400_in_the_users_language(api_app, people, q):
    """prison raises RecursionError/IndexError/TypeError on some of these (FAB answered 500)."""
    api = api_login(api_app, "spec_a")
    with isolated_requests():
        for path in ("/api/v1/case/", "/api/v1/applicant/", "/api/v1/job/"):
            response = api.client.get(
                path,
                query_string={"q": q},
                headers={**api.headers, "Accept-Language": "zh"},
            )
            assert response.status_code == 400, (path, q, response.status_code)
            assert response.json["message"] == "查询参数无效。"


def test_openapi_describes_q_as_a_rison_string(api_app, people):
    spec = api_login(api_app, "spec_a").get("/api/v1/_openapi").json
    params = spec["paths"]["/api/v1/applicant/"]["get"]["parameters"]
    q = next(p for p in params if p["name"] == "q")
    assert q["schema"] == {"type": "string"} and "ison" in q["description"]


def test_a_form_part_without_a_value_is_not_refused_as_bad_text():
    """A WSGI caller may hand over a form part with no value (``None``); the guard treats it as
    holding nothing bad instead of failing (schemathesis found a 500 on an upload route)."""
    from app.input_guard import bad_text

    assert bad_text(None) is False
    assert bad_text("a\x00b") is True
    assert bad_text("正常") is False


KIND_PART = b'--XX\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
# Parts whose Content-Disposition names no field (schemathesis sent such a request).
UNNAMED_TEXT = b"--XX\r\nContent-Disposition: form-data\r\n\r\nno field name\r\n"
UNNAMED_FILE = (
    b'--XX\r\nContent-Disposition: form-data; filename="scan.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n"
)
END = b"--XX--\r\n"


def test_a_multipart_part_without_a_field_name_answers_400_not_500(api_app, people, tree, login):
    """``POST /api/v1/case/<pk>/attach`` with a part whose Content-Disposition names no field
    (werkzeug keeps it under ``None``) was a 500 (AttributeError: 'NoneType' object has no
    attribute 'endswith', in this guard). The guard refuses it, on the API and on the case
    page's form alike, in the caller's language, and nothing is filed."""
    case = factories.case(tree.town_a, people.specialist)
    multipart = "multipart/form-data; boundary=XX"
    api = api_login(api_app, "spec_a", language="zh")
    page = login(api_app.test_client(), "spec_a")
    for body in (KIND_PART + UNNAMED_TEXT + END, KIND_PART + UNNAMED_FILE + END):
        answer = api.post(f"/api/v1/case/{case.id}/attach", data=body, content_type=multipart)
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert answer.json == {"message": "表单中有一部分没有字段名。"}
        screen = page.post(f"/caseview/step/{case.id}/attach", data=body, content_type=multipart)
        assert screen.status_code == 400
        assert "表单中有一部分没有字段名" in screen.get_data(as_text=True)
    bad_name = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a\x01.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n"
    )
    answer = api.post(
        f"/api/v1/case/{case.id}/attach", data=KIND_PART + bad_name + END, content_type=multipart
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count(m.Attachment.id))).scalar_one() == 0
