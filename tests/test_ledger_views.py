"""The ledger's screens: per role, scoped, the dashboard equal to the ledger, charts served here."""

from __future__ import annotations

import re

import pytest

from app.domain import clock
from tests import ledger_world


@pytest.fixture
def world(app):
    world = ledger_world.build()
    yield world
    clock.set_fixed(None)


PAGES = ["/ledger/list/", "/ledger/walkin/", "/dashboard/", "/summaries/list/"]


@pytest.mark.parametrize(
    "username", ["city_manager", "town_a_manager", "city_leader", "spec_a", "spec_v"]
)
def test_every_ledger_page_renders_for_every_role(world, app, login, username):
    client = login(app.test_client(), username)
    home = client.get("/").text
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        assert f'href="{page}"' in home, page  # in the menu


def ledger_numbers(html: str) -> list[str]:
    return re.findall(
        r'data-case-id="\d+" class="ledger-row[^"]*">\s*<td[^>]*><a [^>]*>([^<]+)</a>', html
    )


def test_ledger_page_is_scoped_filtered_and_paged(world, login, app):
    client = login(app.test_client(), "town_b_manager")
    page = client.get("/ledger/list/")
    assert sorted(ledger_numbers(page.text)) == sorted(
        [world.cases["running_overdue"].number, world.cases["extended"].number]
    )
    assert world.tree.town_a.name not in page.text.split('id="ledger-table"')[1]
    # Units of other towns are not offered; asking for one anyway selects nothing.
    unit_select = page.text.split('id="f-unit"')[1].split("</select>")[0]
    assert f'value="{world.tree.town_b.id}"' in unit_select
    assert f'value="{world.tree.town_a.id}"' not in unit_select
    outside = client.get("/ledger/list/", query_string={"unit": world.tree.town_a.id})
    assert ledger_numbers(outside.text) == []
    overdue = client.get("/ledger/list/", query_string={"overdue": "1"})
    assert ledger_numbers(overdue.text) == [world.cases["running_overdue"].number]
    client = login(app.test_client(), "city_manager")
    everything = client.get("/ledger/list/")
    assert len(ledger_numbers(everything.text)) == 8
    assert 'id="ledger-total">8<' in everything.text
    past_the_end = client.get("/ledger/list/", query_string={"page": 9})
    assert len(ledger_numbers(past_the_end.text)) == 8  # the last page


def kpi(html: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}"[^>]*>(?:<a [^>]*>)?([^<]+)<', html)
    assert match, name
    return match.group(1).strip()


def test_dashboard_numbers_link_to_the_same_ledger_rows(world, login, app):
    client = login(app.test_client(), "city_manager")
    page = client.get("/dashboard/", query_string={"period": "all"})
    assert page.status_code == 200
    assert kpi(page.text, "cases") == "8"
    assert kpi(page.text, "overdue") == "2"
    assert kpi(page.text, "satisfaction-rate") == "75.0%"
    link = re.search(r'id="kpi-overdue"[^>]*><a href="([^"]+)"', page.text).group(1)
    ledger = client.get(link.replace("&amp;", "&"))
    assert 'id="ledger-total">2<' in ledger.text
    # The period picker: May 2026 only.
    may = client.get(
        "/dashboard/",
        query_string={"period": "custom", "date_from": "2026-05-01", "date_to": "2026-05-31"},
    )
    assert kpi(may.text, "cases") == "5"
    this_month = client.get("/dashboard/")  # clock: 2026-06-01, nothing applied in June
    assert kpi(this_month.text, "cases") == "0"
    town_b = login(app.test_client(), "town_b_manager")
    assert kpi(town_b.get("/dashboard/?period=all").text, "cases") == "2"


def test_dashboard_draws_charts_with_the_app_s_own_echarts(world, login, app):
    client = login(app.test_client(), "town_a_manager")
    page = client.get("/dashboard/", query_string={"period": "all"}).text
    for name in ("month", "status", "kind", "tier", "unit", "item", "rating", "termination"):
        assert f'data-chart="{name}"' in page
    assert 'id="chart-data"' in page
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any(s.startswith("/ledger/static/echarts.min.js?v=") for s in scripts), scripts
    # Nothing on the page comes from another host.
    for url in re.findall(r'(?:src|href|action)="([^"]*)"', page):
        assert not re.match(r"^(https?:)?//", url), url
    js = client.get("/ledger/static/echarts.min.js")
    assert js.status_code == 200
    assert "max-age=31536000" in js.headers["Cache-Control"]
    assert b"echarts" in js.data[:2000] and len(js.data) > 500_000
    js.close()


def test_walk_in_ledger_page(world, login, app):
    client = login(app.test_client(), "town_a_manager")
    page = client.get(
        "/ledger/walkin/", query_string={"date_from": "2026-05-01", "date_to": "2026-05-31"}
    ).text
    assert 'id="walkin-total">4<' in page
    assert 'data-day="2026-05-06"' in page


def test_a_user_without_the_ledger_permission_is_refused(world, app):
    client = app.test_client()
    for page in PAGES:
        assert client.get(page).status_code in (302, 401, 403)


def test_ledger_and_dashboard_on_both_backends(any_app, login):
    """The SQL is portable: the same pages and numbers on SQLite (the no-server setup)."""
    from app.domain import lifecycle
    from app.extensions import db
    from tests import factories

    tree = factories.unit_tree()
    spec = factories.staff("spec", "Manager", tree.town_a)
    ledger_world.at("2026-03-02", 9)
    try:
        case = factories.case(tree.town_a, spec)
        lifecycle.confirm(
            db.session, case, spec.user, process_explained=True, applicant_signed=True
        )
        ledger_world.at("2026-03-03", 9)
        lifecycle.notify_missing(
            db.session, case, spec.user, deadline=clock.today().replace(day=20)
        )
        ledger_world.at("2026-03-05", 9)
        mats = [mat.id for mat in case.item.materials]
        lifecycle.supplement(db.session, case, spec.user, material_ids=mats)
        lifecycle.submit(db.session, case, spec.user)
        ledger_world.at("2026-03-11", 15)
        lifecycle.complete(
            db.session, case, spec.user, results="证照", materials_returned="", signed_by="本人"
        )
        db.session.commit()
        client = login(any_app.test_client(), "spec")
        # The actual working days are not among the default columns: this person adds them.
        assert "handling-days" not in client.get("/ledger/list/").text
        client.post("/ledger/columns", data={"columns": ["status", "handling_days"]})
        page = client.get("/ledger/list/").text
        # (03-02, 03-11] has 7 working days; 03-03 and 03-04 were spent waiting for materials.
        assert re.search(r'handling-days">5<', page), page
        dash = client.get("/dashboard/", query_string={"period": "all"}).text
        assert kpi(dash, "cases") == "1" and kpi(dash, "avg-days") == "5.0"
        assert client.get("/ledger/export/xlsx").status_code == 200
        assert case.number in client.get("/ledger/export/csv").get_data(as_text=True)
        assert client.get("/ledger/walkin/").status_code == 200
    finally:
        clock.set_fixed(None)
