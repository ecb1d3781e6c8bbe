"""Sessions end (issue 18): log-out is a POST, and log-out or a password change ends every
session cookie and token of the account; changing one's own password asks for the current one."""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import PASSWORD
from tests.test_malformed_input import isolated_requests

pytest_plugins = ["tests.api_fixtures"]

NEW_PASSWORD = "Fresh@Pass2026x"
PAGE = "/caseview/list/"


def _logged_in(app, login):
    return login(app.test_client(), "spec_a")


def _opens(client) -> bool:
    return client.get(PAGE).status_code == 200


def _api_tokens(app, password=PASSWORD):
    client = app.test_client()
    answer = client.post(
        "/api/v1/security/login",
        json={"username": "spec_a", "password": password, "provider": "db", "refresh": True},
    )
    assert answer.status_code == 200, answer.json
    return client, answer.json["access_token"], answer.json["refresh_token"]


def _api_works(client, access, refresh) -> tuple[int, int]:
    got = client.get("/api/v1/case/", headers={"Authorization": f"Bearer {access}"})
    fresh = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {refresh}"})
    return got.status_code, fresh.status_code


@pytest.fixture
def spec(api_app, tree):
    return factories.staff("spec_a", "Specialist", tree.town_a)


def test_get_logout_only_asks_and_post_ends_every_session_and_token(api_app, spec, login):
    with isolated_requests():
        first = _logged_in(api_app, login)
        second = _logged_in(api_app, login)
        saved = first.get_cookie("session").value
        client, access, refresh = _api_tokens(api_app)
        _logout_scenario(api_app, first, second, saved, client, access, refresh)
        assert _opens(_logged_in(api_app, login))  # logging in again works


def _logout_scenario(api_app, first, second, saved, client, access, refresh):
    assert _api_works(client, access, refresh) == (200, 200)

    confirm = first.get("/logout/")
    assert confirm.status_code == 200 and 'id="logout-form"' in confirm.text
    assert _opens(first)  # a GET changes nothing

    out = first.post("/logout/")
    assert out.status_code == 302
    assert not _opens(first)
    assert not _opens(second)  # the other browser's session ended too
    replay = api_app.test_client()
    replay.set_cookie("session", saved)
    assert not _opens(replay)  # a cookie saved before the log-out is dead
    assert _api_works(client, access, refresh) == (401, 401)


def test_password_change_asks_for_the_current_one_and_ends_other_sessions(api_app, spec, login):
    with isolated_requests():
        mine = _logged_in(api_app, login)
        other = _logged_in(api_app, login)
        client, access, refresh = _api_tokens(api_app)
        _password_scenario(mine, other, client, access, refresh)
        login(api_app.test_client(), "spec_a", NEW_PASSWORD)


def _password_scenario(mine, other, client, access, refresh):
    form = {"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}
    refused = mine.post("/resetmypassword/form", data=form)
    assert refused.status_code == 200
    wrong = mine.post("/resetmypassword/form", data={**form, "current_password": "nope"})
    assert wrong.status_code == 200
    assert _opens(other) and _api_works(client, access, refresh) == (200, 200)
    changed = mine.post("/resetmypassword/form", data={**form, "current_password": PASSWORD})
    assert changed.status_code == 302
    assert _opens(mine)  # the session that changed it stays
    assert not _opens(other)
    assert _api_works(client, access, refresh) == (401, 401)
