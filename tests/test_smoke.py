"""Every menu page of every role renders, in Chinese, on PostgreSQL and SQLite."""

from __future__ import annotations

import re

import pytest

from tests import factories

ROLE_ACCOUNTS = [
    ("admin", "Admin", None),
    ("city_manager", "Manager", "city"),
    ("city_leader", "Leader", "city"),
    ("town_specialist", "Specialist", "town_a"),
    ("town_manager", "Manager", "town_a"),
    ("village_specialist", "Specialist", "village_a1"),
]


def menu_links(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="(/[a-z]+/list/)"', html)))


@pytest.fixture
def world(any_app):
    tree = factories.unit_tree()
    accounts = {}
    for username, role, unit_attr in ROLE_ACCOUNTS:
        accounts[username] = factories.staff(
            username, role, getattr(tree, unit_attr) if unit_attr else None
        )
    specialist = accounts["village_specialist"]
    case = factories.case(tree.village_a1, specialist)
    return {"tree": tree, "case": case}


@pytest.mark.parametrize("username", [a[0] for a in ROLE_ACCOUNTS])
def test_every_menu_page_renders_in_chinese(any_app, world, login, username):
    client = login(any_app.test_client(), username)
    home = client.get("/")
    assert home.status_code == 200
    assert "退出" in home.text or "注销" in home.text  # FAB's logout link, in Chinese
    links = menu_links(home.text)
    assert len(links) >= 15, links
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, (link, response.status_code)
        assert "<html" in response.text


ADD_FORMS = [
    "/orgunitview/add",
    "/departmentview/add",
    "/specialistview/add",
    "/serviceitemview/add",
    "/requiredmaterialview/add",
    "/applicantview/add",
    "/caseview/add",
    "/walkinhelpview/add",
    "/holidayview/add",
]


def test_admin_sees_security_menus_and_add_forms(any_app, world, login):
    client = login(any_app.test_client(), "admin")
    links = menu_links(client.get("/").text)
    assert "/users/list/" in links and "/roles/list/" in links
    for form in ADD_FORMS:
        response = client.get(form)
        assert response.status_code == 200, (form, response.status_code)
        assert "保存" in response.text  # FAB's save button, in Chinese


def test_case_show_page_renders(any_app, world, login):
    client = login(any_app.test_client(), "village_specialist")
    response = client.get(f"/caseview/show/{world['case'].id}")
    assert response.status_code == 200
    assert world["case"].number in response.text
    assert "已申请" in response.text  # the status label, translated
