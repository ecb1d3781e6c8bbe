"""Lock-out that cannot be turned against a user (issue 18): failures count per account and
address, attempts slow down before a lock, an Admin unlocks and the owner is told."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.domain import clock
from app.extensions import db
from tests import factories
from tests.test_malformed_input import isolated_requests

pytest_plugins = ["tests.api_fixtures"]

START = dt.datetime(2026, 11, 25, 10, 0)


@pytest.fixture
def fixed_clock():
    clock.set_fixed(START)
    yield
    clock.set_fixed(None)


def _client(app, ip):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _api_login(client, password):
    return client.post(
        "/api/v1/security/login",
        json={"username": "victim", "password": password, "provider": "db"},
        headers={"Accept-Language": "en"},
    )


def test_a_stranger_locks_out_only_their_own_address(api_app, tree, fixed_clock):
    factories.staff("victim", "Specialist", tree.town_a)
    stranger = _client(api_app, "10.9.9.9")
    for _ in range(api_app.config["LOGIN_MAX_FAILURES"] + 2):
        answer = _api_login(stranger, "wrong-password")
        assert answer.status_code in (401, 403)
    refused = _api_login(stranger, factories.PASSWORD)
    assert refused.status_code == 403
    assert "locked" in refused.json["message"] or "wait" in refused.json["message"]
    # The real user, at their own desk, logs in on both log-ins.
    desk = _client(api_app, "10.1.1.1")
    assert _api_login(desk, factories.PASSWORD).status_code == 200
    page = desk.post("/login/", data={"username": "victim", "password": factories.PASSWORD})
    assert page.status_code == 302 and "/login" not in page.headers["Location"]


def test_attempts_slow_down_before_the_lock(api_app, tree, fixed_clock):
    factories.staff("victim", "Specialist", tree.town_a)
    client = _client(api_app, "10.9.9.8")
    assert _api_login(client, "wrong-1").status_code == 401
    assert _api_login(client, "wrong-2").status_code == 401
    # The third attempt at once must wait, even with the right password.
    slowed = _api_login(client, factories.PASSWORD)
    assert slowed.status_code == 403 and "wait" in slowed.json["message"].lower()
    clock.set_fixed(START + dt.timedelta(seconds=5))
    assert _api_login(client, factories.PASSWORD).status_code == 200


def test_an_admin_unlocks_and_the_owner_is_told(api_app, tree, fixed_clock, login):
    victim = factories.staff("victim", "Specialist", tree.town_a)
    factories.staff("boss", "Admin", None)
    api_app.config["LOGIN_ACCOUNT_MAX_FAILURES"] = 6
    try:
        for n in range(6):
            _api_login(_client(api_app, f"10.8.0.{n}"), "wrong-password")
    finally:
        api_app.config.pop("LOGIN_ACCOUNT_MAX_FAILURES")
    desk = _client(api_app, "10.1.1.1")
    locked = _api_login(desk, factories.PASSWORD)
    assert locked.status_code == 403 and "administrator" in locked.json["message"]
    told = (
        db.session.execute(
            sa.select(m.Notification.subject).where(m.Notification.recipient_id == victim.user_id)
        )
        .scalars()
        .all()
    )
    assert len(told) == 1

    factories.staff("mgr", "Manager", tree.town_a)
    victim_id = victim.user_id
    with isolated_requests():
        admin = login(api_app.test_client(), "boss")
        screen = admin.get("/loginlocks/")
        assert screen.status_code == 200 and "victim" in screen.text
        assert admin.post("/loginlocks/unlock", data={"username": "victim"}).status_code == 302
        assert _api_login(desk, factories.PASSWORD).status_code == 200
        # Nobody but an Admin opens the screen.
        manager = login(api_app.test_client(), "mgr")
        assert manager.get("/loginlocks/").status_code in (302, 403)
        unlock = manager.post("/loginlocks/unlock", data={"username": "victim"})
        assert unlock.status_code in (302, 403)
    told = (
        db.session.execute(
            sa.select(m.Notification.subject).where(m.Notification.recipient_id == victim_id)
        )
        .scalars()
        .all()
    )
    assert len(told) == 2
