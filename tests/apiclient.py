"""A small REST client for the API tests: logs in through FAB's JWT log-in, sends the token.

Their fixtures are in tests/api_fixtures.py (``pytest_plugins = ["tests.api_fixtures"]``).
"""

from __future__ import annotations

from tests.factories import PASSWORD


class Api:
    """Bearer-token calls through a Flask test client."""

    def __init__(self, client, token: str, language: str | None = None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        if language:
            self.headers["Accept-Language"] = language

    def _call(self, method: str, path: str, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kw)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def put(self, path, **kw):
        return self._call("put", path, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


def api_login(app, username: str, password: str = PASSWORD, language: str | None = "en") -> Api:
    client = app.test_client()
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return Api(client, response.json["access_token"], language)
