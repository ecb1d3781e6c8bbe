"""Security hardening: headers and CSP, log-in throttling and lock, CSRF, the audit trail,
masking of personal data, and escaping of everything a user types."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.extensions import db
from tests import factories
from tests.conftest import PG_URL, build_app, wipe


@pytest.fixture(autouse=True)
def release_clock():
    yield
    clock.set_fixed(None)


def test_security_headers_and_script_nonces(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    response = client.get("/caseview/list/")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp  # no outside host allowed anywhere
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts[:3]
    assert nonce != re.search(
        r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"]
    ).group(1)


def test_session_cookie_flags_and_expiry(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = app.test_client()
    response = client.post("/login/", data={"username": "spec", "password": factories.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.permanent_session_lifetime.total_seconds() <= 3600


def test_login_is_locked_after_repeated_failures_then_unlocks(app, tree):
    factories.staff("spec", "Specialist", tree.town_a)
    client = app.test_client()
    clock.set_fixed(dt.datetime(2026, 11, 25, 10, 0))
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login/", data={"username": "spec", "password": "wrong-password"})
    locked = client.post("/login/", data={"username": "spec", "password": factories.PASSWORD})
    assert locked.status_code == 302 and "/login" in locked.headers["Location"]  # refused
    entries = (
        db.session.execute(sa.select(m.AuditLog).where(m.AuditLog.action == "lock")).scalars().all()
    )
    assert [e.row_id for e in entries] == ["spec"]
    clock.set_fixed(dt.datetime(2026, 11, 25, 10, 16))  # the lock has run out
    ok = client.post("/login/", data={"username": "spec", "password": factories.PASSWORD})
    assert ok.status_code == 302 and "/login" not in ok.headers["Location"]


@pytest.fixture(scope="module")
def strict_app():
    """The production settings that tests otherwise relax: CSRF and log-in rate limiting."""
    return build_app(
        PG_URL,
        Path(tempfile.mkdtemp()),
        WTF_CSRF_ENABLED=True,
        AUTH_RATE_LIMITED=True,
        AUTH_RATE_LIMIT="5 per minute",
    )


def test_forged_post_without_csrf_token_is_refused(strict_app):
    wipe(strict_app)
    with strict_app.app_context():
        tree = factories.unit_tree()
        factories.staff("spec", "Specialist", tree.town_a)
        client = strict_app.test_client()
        page = client.get("/login/")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        ok = client.post(
            "/login/",
            data={"username": "spec", "password": factories.PASSWORD, "csrf_token": token},
        )
        assert ok.status_code == 302
        forged = client.post("/walkin/record", data={"kind": "question"})
        assert forged.status_code == 400
        forged = client.post("/applicantview/add", data={"name": "x"})
        assert forged.status_code in (200, 400)
        assert db.session.execute(sa.select(sa.func.count(m.WalkInHelp.id))).scalar_one() == 0
        assert db.session.execute(sa.select(sa.func.count(m.Applicant.id))).scalar_one() == 0
    wipe(strict_app)


def test_brute_force_login_is_rate_limited(strict_app):
    wipe(strict_app)
    with strict_app.app_context():
        client = strict_app.test_client()
        codes = []
        for i in range(7):
            page = client.get("/login/", environ_base={"REMOTE_ADDR": "10.7.7.7"})
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
            codes.append(
                client.post(
                    "/login/",
                    data={
                        "username": f"user{i}",
                        "password": "x",
                        "csrf_token": token.group(1) if token else "",
                    },
                    environ_base={"REMOTE_ADDR": "10.7.7.7"},
                ).status_code
            )
        assert 429 in codes, codes
    wipe(strict_app)


def test_every_change_is_in_the_audit_trail(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    case = factories.case(tree.town_a, spec)
    applicant = case.applicant
    applicant.address = "新地址1号"
    db.session.commit()
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    db.session.commit()
    from flask import current_app

    sm = current_app.appbuilder.sm
    user = spec.user
    user.roles = [sm.find_role("Manager")]
    db.session.commit()
    rows = db.session.execute(sa.select(m.AuditLog).order_by(m.AuditLog.id)).scalars().all()
    seen = {(r.action, r.table_name) for r in rows}
    assert ("create", "service_case") in seen and ("create", "applicant") in seen
    assert ("create", "specialist") in seen and ("create", "ab_user") in seen
    update = next(r for r in rows if r.action == "update" and r.table_name == "applicant")
    assert update.after == {"address": "新地址1号"} and update.row_id == str(applicant.id)
    status = next(r for r in rows if r.action == "update" and r.table_name == "service_case")
    assert status.before["status"] == "applied" and status.after["status"] == "accepted"
    roles = next(
        r
        for r in rows
        if r.action == "update" and r.table_name == "ab_user" and "roles" in (r.after or {})
    )
    assert roles.after["roles"] == ["Manager"] and roles.before["roles"] == ["Specialist"]
    assert all(
        "password" not in (r.after or {}) or r.after["password"].startswith("***") for r in rows
    )
    # append-only
    entry = rows[0]
    entry.username = "tampered"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()


def test_audit_entries_carry_who_and_from_where(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    client.post("/walkin/record", data={"kind": "question"})
    client.post(
        "/applicantview/add",
        data={
            "kind": "person",
            "name": "赵六",
            "id_number": factories.resident_id(),
            "mobile": "13800138000",
            "unit": tree.town_a.id,
        },
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
    )
    entry = db.session.execute(
        sa.select(m.AuditLog).where(
            m.AuditLog.table_name == "applicant", m.AuditLog.action == "create"
        )
    ).scalar_one()
    assert entry.username == "spec" and entry.ip == "192.0.2.10"
    assert entry.after["name"] == "赵六"


def test_id_numbers_are_masked_and_reveals_audited(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    factories.staff("leader", "Leader", tree.city)
    applicant = factories.applicant(tree.town_a)
    full_id, full_mobile = applicant.id_number, applicant.mobile
    factories.case(tree.town_a, spec, app_=applicant)
    for username in ("spec", "leader"):
        client = login(app.test_client(), username)
        for page in (
            "/applicantview/list/",
            f"/applicantview/show/{applicant.id}",
            "/caseview/list/",
            f"/caseview/show/{applicant.id}",
        ):
            body = client.get(page).text
            assert full_id not in body, (username, page)
            assert full_mobile not in body, (username, page)
        assert applicant.masked_id_number in client.get("/applicantview/list/").text
    leader = login(app.test_client(), "leader")
    assert leader.post(f"/applicantview/reveal/{applicant.id}").status_code == 403
    client = login(app.test_client(), "spec")
    revealed = client.post(f"/applicantview/reveal/{applicant.id}")
    assert full_id in revealed.text
    reveals = (
        db.session.execute(sa.select(m.AuditLog).where(m.AuditLog.action == "reveal"))
        .scalars()
        .all()
    )
    assert [(r.username, r.row_id) for r in reveals] == [("spec", str(applicant.id))]


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_free_text_comes_back_escaped(app, tree, login):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    applicant = factories.applicant(tree.town_a, name="张三" + MARKUP)
    case = factories.case(tree.town_a, spec, app_=applicant)
    case.needs = MARKUP
    lifecycle.confirm(
        db.session, case, spec.user, process_explained=True, applicant_signed=True, note=MARKUP
    )
    lifecycle.record(db.session, case, spec.user, "update", note=MARKUP)
    db.session.commit()
    client = login(app.test_client(), "spec")
    pages = [
        "/caseview/list/",
        f"/caseview/show/{case.id}",
        "/applicantview/list/",
        f"/applicantview/show/{applicant.id}",
        "/caseeventview/list/",
        f"/print/case/{case.id}/application",
        "/guide/",
    ]
    for page in pages:
        body = client.get(page).text
        assert MARKUP not in body, page
        assert "<script>alert" not in body, page
    assert "&lt;script&gt;" in client.get(f"/caseview/show/{case.id}").text


def _applicant_form(tree) -> dict:
    return {
        "kind": "person",
        "name": "钱七",
        "id_number": factories.resident_id(),
        "mobile": "13800138000",
        "unit": tree.town_a.id,
    }


def test_a_forged_forwarded_for_header_is_not_believed(app, tree, login):
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    client.post(
        "/applicantview/add",
        data=_applicant_form(tree),
        headers={"X-Forwarded-For": "203.0.113.66"},
        environ_base={"REMOTE_ADDR": "192.0.2.20"},
    )
    entry = db.session.execute(
        sa.select(m.AuditLog).where(
            m.AuditLog.table_name == "applicant", m.AuditLog.action == "create"
        )
    ).scalar_one()
    assert entry.ip == "192.0.2.20"


@pytest.fixture(scope="module")
def proxied_app():
    """Behind one trusted reverse proxy (PROXY_FIX_HOPS=1), with the log-in rate limit on."""
    return build_app(
        PG_URL,
        Path(tempfile.mkdtemp()),
        PROXY_FIX_HOPS=1,
        AUTH_RATE_LIMITED=True,
        AUTH_RATE_LIMIT="3 per minute",
    )


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(proxied_app):
    wipe(proxied_app)
    with proxied_app.app_context():
        tree = factories.unit_tree()
        factories.staff("spec", "Specialist", tree.town_a)
        proxy = {"REMOTE_ADDR": "10.0.0.1"}  # every request arrives from the proxy

        def as_client(address: str):
            client = proxied_app.test_client()
            client.post(
                "/login/",
                data={"username": "spec", "password": factories.PASSWORD},
                headers={"X-Forwarded-For": address},
                environ_base=proxy,
            )
            return client

        client = as_client("198.51.100.7")
        client.post(
            "/applicantview/add",
            data=_applicant_form(tree),
            headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"},  # the proxy appended the peer
            environ_base=proxy,
        )
        entry = db.session.execute(
            sa.select(m.AuditLog).where(
                m.AuditLog.table_name == "applicant", m.AuditLog.action == "create"
            )
        ).scalar_one()
        assert entry.ip == "198.51.100.7"

        # The log-in limit counts per client behind the proxy, not per proxy.
        def attempts(address: str) -> list[int]:
            return [
                proxied_app.test_client()
                .post(
                    "/login/",
                    data={"username": "nobody", "password": "x"},
                    headers={"X-Forwarded-For": address},
                    environ_base=proxy,
                )
                .status_code
                for _ in range(4)
            ]

        assert 429 in attempts("198.51.100.8")
        assert 429 not in attempts("198.51.100.9")[:3]
    wipe(proxied_app)
