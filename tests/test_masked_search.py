"""Masked ID and mobile numbers are never a search oracle (issue 18).

A prefix, substring or range filter on a masked column would give the number back digit by
digit; only the whole number is searched, by roles that may reveal it, and such a search is
audited like a reveal. Screens, API and sorting alike.
"""

from __future__ import annotations

import prison
import sqlalchemy as sa

from app import models as m
from app.extensions import db
from app.validators import mask_mobile
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]


def _q(*filters, **extra) -> str:
    args = {"filters": [dict(col=c, opr=o, value=v) for c, o, v in filters], **extra}
    return "/api/v1/applicant/?q=" + prison.dumps(args)


def _reveals():
    return db.session.execute(
        sa.select(m.AuditLog.username, m.AuditLog.row_id, m.AuditLog.after).where(
            m.AuditLog.action == "reveal"
        )
    ).all()


def test_api_refuses_prefix_and_substring_filters_on_masked_columns(api_app, people, tree):
    target = factories.applicant(tree.village_a1, name="黄大伯")
    prefix = target.id_number[:10]
    for username in ("leader_city", "mgr_a", "admin_api"):
        api = api_login(api_app, username)
        for opr in ("sw", "ew", "ct", "nct", "neq", "gt", "lt", "in"):
            value = [prefix] if opr == "in" else prefix
            answer = api.get(_q(("name", "eq", "黄大伯"), ("id_number", opr, value)))
            assert answer.status_code == 400, (username, opr, answer.json)
            assert answer.json["message"]
            answer = api.get(_q(("mobile", opr, value)))
            assert answer.status_code == 400, (username, opr)
        # Never sorted on either.
        for column in ("id_number", "mobile"):
            assert api.get(_q(order_column=column, order_direction="asc")).status_code == 400


def test_api_exact_number_search_only_for_revealers_and_audited(api_app, people, tree):
    target = factories.applicant(tree.village_a1)
    factories.applicant(tree.village_a1)
    leader = api_login(api_app, "leader_city")
    refused = leader.get(_q(("id_number", "eq", target.id_number)))
    assert refused.status_code == 400
    assert _reveals() == []

    manager = api_login(api_app, "mgr_a")
    found = manager.get(_q(("id_number", "eq", target.id_number.lower())))
    assert found.status_code == 200, found.json
    assert found.json["count"] == 1
    assert found.json["ids"] == [target.id]
    # A part of the number matches nothing.
    assert manager.get(_q(("id_number", "eq", target.id_number[:10]))).json["count"] == 0
    searches = [r for r in _reveals() if (r.after or {}).get("via") == "search"]
    assert [(r.username, r.row_id) for r in searches] == [("mgr_a", str(target.id))]


def test_screen_filters_on_masked_columns_match_whole_numbers_only(app, tree, login):
    factories.staff("boss_a", "Manager", tree.town_a)
    factories.staff("leader_city", "Leader", tree.city)
    target = factories.applicant(tree.village_a1, name="黄大伯")
    other = factories.applicant(tree.village_a1, name="李阿姨")
    prefix = target.id_number[:10]
    manager = login(app.test_client(), "boss_a")

    def names(client, query):
        page = client.get("/applicantview/list/?" + query)
        assert page.status_code == 200, query
        return {n for n in ("黄大伯", "李阿姨") if n in page.text}

    assert names(manager, "") == {"黄大伯", "李阿姨"}
    assert names(manager, f"_flt_0_id_number={prefix}") == set()
    assert names(manager, "_flt_0_mobile=138") == set()
    assert names(manager, f"_flt_0_id_number={target.id_number}") == {"黄大伯"}
    assert [r.row_id for r in _reveals()] == [str(target.id)]

    leader = login(app.test_client(), "leader_city")
    assert names(leader, "") == {"黄大伯", "李阿姨"}
    assert names(leader, f"_flt_0_id_number={target.id_number}") == set()
    assert names(leader, f"_flt_0_name=黄大伯&_flt_0_id_number={prefix}") == set()
    assert names(leader, f"_flt_0_mobile={other.mobile}") == set()
    # The case list's applicant search does not match a whole ID number for a leader either.
    assert len(_reveals()) == 1


def test_masked_columns_are_not_sort_keys_on_screens(app, tree, login):
    factories.staff("boss_a", "Manager", tree.town_a)
    factories.applicant(tree.village_a1, name="黄大伯")
    client = login(app.test_client(), "boss_a")
    for column in ("masked_id_number", "masked_mobile", "id_number", "mobile"):
        page = client.get(f"/applicantview/list/?_oc_ApplicantView={column}&_od_ApplicantView=asc")
        assert page.status_code == 400, column  # refused before any query runs


def test_staff_mobile_is_masked_for_a_leader_on_the_staff_list(app, tree, login):
    factories.staff("leader_city", "Leader", tree.city)
    factories.staff("boss_a", "Manager", tree.town_a)
    worker = factories.staff("spec_a", "Specialist", tree.town_a)
    worker.mobile = "13912345678"
    db.session.commit()
    leader = login(app.test_client(), "leader_city")
    for url in ("/specialistview/list/", f"/specialistview/show/{worker.id}"):
        page = leader.get(url)
        assert page.status_code == 200
        assert "13912345678" not in page.text
        assert mask_mobile("13912345678") in page.text
    manager = login(app.test_client(), "boss_a")
    assert "13912345678" in manager.get("/specialistview/list/").text
