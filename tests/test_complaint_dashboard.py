"""The “办不成事” window on the main dashboard: the complaints received in the period, in the
user's tier scope (and under the unit the dashboard is narrowed to), counted by where they stand
(being coordinated, transferred, overdue, archived), each linking to exactly those complaints in
the window's own ledger, in three languages, and only for those who may open that ledger."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.complaints import service
from app.domain import clock
from app.domain.calendar import seed_official_calendar
from app.extensions import db
from app.scope import scope_for_user
from tests import factories

BODY = {"complainant": "李四", "mobile": "13800138000", "matter": "营业执照变更跑了三个窗口没办成"}
SEPTEMBER = {"period": "custom", "date_from": "2026-09-01", "date_to": "2026-09-30"}


def moment(day: str) -> None:
    clock.set_fixed(dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=clock.TZ))


@pytest.fixture
def world(app, tree):
    """Town A: five complaints received in September (one still received, one coordinating, one
    transferred whose department's deadline has passed, one archived, one called back) and one in
    August; town B: one in September."""
    seed_official_calendar(db.session, [2026])
    spec_a = factories.staff("spec_a", "Specialist", tree.town_a)
    spec_b = factories.staff("spec_b", "Specialist", tree.town_b)
    factories.staff("mgr_a", "Manager", tree.town_a)
    factories.staff("mgr_city", "Manager", tree.city)
    dept = factories.department(name="市场监管局")
    db.session.commit()

    def take_in(spec, **extra):
        return service.intake({**BODY, **extra}, spec.user, scope=scope_for_user(spec.user))

    def step(spec, complaint, name, **body):
        scope = scope_for_user(spec.user)
        return service.run_step(name, complaint.id, body, spec.user, scope=scope)

    try:
        moment("2026-08-20")
        take_in(spec_a)  # August: outside the period
        moment("2026-09-28")  # due five working days later: in October
        take_in(spec_a)  # still as received
        coordinating = take_in(spec_a)
        step(spec_a, coordinating, "coordinate", note="已联系窗口")
        moment("2026-09-07")
        late = take_in(spec_a)
        step(spec_a, late, "transfer", department=dept.id, working_days=2, note="转办")
        archived = take_in(spec_a)
        step(spec_a, archived, "coordinate", note="协调")
        step(spec_a, archived, "call_back", result="已办成", satisfied=True)
        step(spec_a, archived, "archive")
        called = take_in(spec_a)
        step(spec_a, called, "coordinate", note="协调")
        step(spec_a, called, "call_back", result="已办成", satisfied=False)
        take_in(spec_b)
    finally:
        clock.set_fixed(None)
    moment("2026-09-30")  # the transfer's two working days are long past
    yield tree
    clock.set_fixed(None)


def figure(html: str, key: str) -> tuple[str, str]:
    match = re.search(rf'id="complaint-{key}"[^>]*><a href="([^"]+)">(\d+)<', html)
    assert match, key
    return match.group(2), match.group(1).replace("&amp;", "&")


def test_the_dashboard_counts_the_period_s_complaints_in_scope_and_links_to_them(world, login, app):
    client = login(app.test_client(), "mgr_a")
    page = client.get("/dashboard/", query_string=SEPTEMBER)
    assert page.status_code == 200 and 'id="complaint-figures"' in page.text
    expected = {"received": 5, "coordinating": 1, "transferred": 1, "overdue": 1, "archived": 1}
    for key, count in expected.items():
        value, link = figure(page.text, key)
        assert value == str(count), key
        ledger = client.get(link)  # the complaints ledger lists exactly them
        assert ledger.status_code == 200
        assert ledger.text.count("complaint-row") == count, (key, link)
    # the whole tier sees town B's complaint too; narrowed to town B, only it
    city = login(app.test_client(), "mgr_city")
    assert figure(city.get("/dashboard/", query_string=SEPTEMBER).text, "received")[0] == "6"
    narrowed = city.get("/dashboard/", query_string={**SEPTEMBER, "unit": world.town_b.id})
    value, link = figure(narrowed.text, "received")
    assert value == "1" and f"unit={world.town_b.id}" in link
    assert city.get(link).text.count("complaint-row") == 1
    # a unit outside the scope counts nothing
    client = login(app.test_client(), "mgr_a")
    outside = client.get("/dashboard/", query_string={**SEPTEMBER, "unit": world.town_b.id})
    assert figure(outside.text, "received")[0] == "0"
    assert (
        client.get("/complaints/", query_string={"unit": world.town_b.id}).text.count(
            "complaint-row"
        )
        == 0
    )
    assert client.get("/complaints/", query_string={"unit": "x"}).status_code == 400
    # the period: August has town A's one complaint
    august = client.get(
        "/dashboard/",
        query_string={"period": "custom", "date_from": "2026-08-01", "date_to": "2026-08-31"},
    )
    assert figure(august.text, "received")[0] == "1"


@pytest.mark.parametrize(
    "lang, words",
    [
        ("zh", ["办不成事", "已归档", "协调中"]),
        ("zh_Hant", ["辦不成事", "已歸檔", "協調中"]),
        ("en", ["Could not get it done", "Archived", "Coordinating"]),
    ],
)
def test_the_complaint_figures_speak_the_user_s_language(world, login, app, lang, words):
    client = login(app.test_client(), "mgr_a")
    client.get(f"/lang/{lang}")
    html = client.get("/dashboard/", query_string=SEPTEMBER).text
    panel = html[html.index('id="complaint-figures"') :]
    panel = panel[: panel.index('id="complaint-archived"') + 200]
    for word in words:
        assert word in panel, (lang, word)


def test_no_complaint_figures_without_the_complaints_ledger(world, login, app):
    sm = app.appbuilder.sm
    role = sm.add_role("DashboardOnly")
    for permission, view in (("can_index", "DashboardView"), ("menu_access", "Dashboard")):
        sm.add_permission_role(role, sm.find_permission_view_menu(permission, view))
    try:
        factories.staff("dash_only", "DashboardOnly", world.town_a)
        client = login(app.test_client(), "dash_only")
        page = client.get("/dashboard/", query_string=SEPTEMBER)
        assert page.status_code == 200 and 'id="complaint-figures"' not in page.text
        assert client.get("/complaints/").status_code in (302, 403)
    finally:  # roles outlive the test's wipe: leave none behind for the role tests
        db.session.rollback()
        user = sm.find_user(username="dash_only")
        if user is not None:
            user.roles = []
        role = sm.find_role("DashboardOnly")
        role.permissions = []
        db.session.delete(role)
        db.session.commit()
