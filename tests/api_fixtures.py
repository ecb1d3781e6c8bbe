"""Fixtures of the API tests, loaded with ``pytest_plugins = ["tests.api_fixtures"]``."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import factories


@pytest.fixture
def api_app(app):
    """The test app with a log-in rate limit the suite's many log-ins stay under."""
    previous = app.config.get("API_LOGIN_RATE_LIMIT")
    app.config["API_LOGIN_RATE_LIMIT"] = "10000 per minute"
    yield app
    if previous is None:
        app.config.pop("API_LOGIN_RATE_LIMIT", None)
    else:
        app.config["API_LOGIN_RATE_LIMIT"] = previous


@pytest.fixture
def people(api_app, tree):
    """One account per role: town A's specialist and manager, the city's leader, an admin,
    and town B's specialist (another subtree)."""
    return SimpleNamespace(
        specialist=factories.staff("spec_a", "Specialist", tree.town_a),
        manager=factories.staff("mgr_a", "Manager", tree.town_a),
        leader=factories.staff("leader_city", "Leader", tree.city),
        admin=factories.staff("admin_api", "Admin", None),
        other=factories.staff("spec_b", "Specialist", tree.town_b),
        village=factories.staff("spec_a1", "Specialist", tree.village_a1),
    )
