"""The API's log-in with CSRF protection on, its rate limit, and the self-hosted Swagger UI."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture
def csrf_app(app):
    """A second app on the same database, with CSRF protection on as in production."""
    from app import create_app
    from config import TestConfig

    base = app.config

    class CsrfConfig(TestConfig):
        WTF_CSRF_ENABLED = True
        SQLALCHEMY_DATABASE_URI = base["SQLALCHEMY_DATABASE_URI"]
        INSTANCE_DIR = base["INSTANCE_DIR"]
        UPLOAD_FOLDER = base["UPLOAD_FOLDER"]
        CELERY_BROKER_URL = base["CELERY_BROKER_URL"]
        CELERY_RESULT_BACKEND = base["CELERY_RESULT_BACKEND"]

    variant = create_app(CsrfConfig)
    yield variant
    from app.extensions import db

    with variant.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].set_default()


def test_jwt_login_and_api_writes_work_with_csrf_enabled(csrf_app, tree):
    factories.staff("spec_csrf", "Specialist", tree.town_a)
    applicant = factories.applicant(tree.town_a)
    item = factories.service_item()
    assert csrf_app.config["WTF_CSRF_ENABLED"] is True
    assert "csrf" in csrf_app.extensions
    client = csrf_app.test_client()
    # CSRF is really on: the HTML log-in form without its token is refused.
    form = client.post("/login/", data={"username": "spec_csrf", "password": factories.PASSWORD})
    assert form.status_code == 400
    login = client.post(
        "/api/v1/security/login",
        json={
            "username": "spec_csrf",
            "password": factories.PASSWORD,
            "provider": "db",
            "refresh": True,
        },
    )
    assert login.status_code == 200, login.get_data(as_text=True)
    assert set(login.json) == {"access_token", "refresh_token"}
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    created = client.post(
        "/api/v1/case/",
        headers=headers,
        json={
            "applicant": applicant.id,
            "item": item.id,
            "kind": "help",
            "needs": "x",
            "ack_voluntary": True,
            "ack_free": True,
            "ack_truthful": True,
        },
    )
    assert created.status_code == 201, created.json
    step = client.post(
        f"/api/v1/case/{created.json['id']}/confirm",
        headers=headers,
        json={"process_explained": True, "applicant_signed": True},
    )
    assert step.status_code == 200, step.json
    refreshed = client.post(
        "/api/v1/security/refresh",
        headers={"Authorization": f"Bearer {login.json['refresh_token']}"},
    )
    assert refreshed.status_code == 200 and "access_token" in refreshed.json


def test_api_login_is_rate_limited_per_address(api_app, people):
    api_app.config["API_LOGIN_RATE_LIMIT"] = "3 per minute"
    limiter = api_app.appbuilder.sm.limiter
    limiter.reset()
    try:
        body = {"username": "spec_a", "password": factories.PASSWORD, "provider": "db"}
        client = api_app.test_client()
        env = {"REMOTE_ADDR": "127.0.0.77"}
        codes = [
            client.post("/api/v1/security/login", json=body, environ_base=env).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        limited = client.post("/api/v1/security/login", json=body, environ_base=env)
        assert limited.status_code == 429 and limited.is_json and limited.json["message"]
        other = client.post(
            "/api/v1/security/login", json=body, environ_base={"REMOTE_ADDR": "127.0.0.78"}
        )
        assert other.status_code == 200
    finally:
        api_app.config["API_LOGIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()


def test_swagger_ui_is_served_by_the_app_itself(api_app, people, login):
    client = login(api_app.test_client(), "admin_api")
    page = client.get("/swagger/v1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/swagger/assets/swagger-ui-bundle.js" in html
    assert "validatorUrl: null" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    bundle = client.get("/swagger/assets/swagger-ui-bundle.js")
    assert (
        bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.data[:5000] + bundle.data[-5000:]
    )
    assert client.get("/swagger/assets/package.json").status_code == 404
    assert client.get("/swagger/assets/..%2Fpackage.json").status_code == 404
    # The page reads the document with the log-in cookie.
    spec = client.get("/api/v1/_openapi")
    assert spec.status_code == 200 and spec.json["openapi"].startswith("3.")
    leader = login(api_app.test_client(), "leader_city")
    assert leader.get("/swagger/v1").status_code == 200


def test_openapi_document_needs_a_log_in(api_app, people):
    client = api_app.test_client()
    assert client.get("/api/v1/_openapi").status_code == 401
    api = api_login(api_app, "spec_a")
    assert api.get("/api/v2/_openapi").status_code == 404
