"""The hall desk: service guide search, walk-in help in two clicks, public progress inquiry."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app import models as m
from app.domain import clock, lifecycle
from app.extensions import db
from tests import factories


def test_guide_finds_items_by_name_initials_department_keyword(app, tree, login):
    dept = factories.department(name="台山市市场监督管理局")
    item = factories.service_item(dept=dept)
    item.name = "个体工商户设立登记"
    item.keywords = "开店 营业执照"
    db.session.commit()
    other = factories.service_item()
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    for query in ("个体工商户", "gtgsh", "GTGSH", "市场监督", "营业执照", item.code):
        page = client.get("/guide/", query_string={"q": query})
        assert page.status_code == 200
        assert f'data-code="{item.code}"' in page.text, query
        assert f'data-code="{other.code}"' not in page.text, query
    page = client.get("/guide/", query_string={"q": "gtgsh"})
    assert item.materials[0].how_to_obtain in page.text
    assert f"/caseview/add?item={item.id}" in page.text
    assert client.get("/guide/", query_string={"q": "%"}).status_code == 200


def test_guide_finds_items_the_ways_people_type(app, tree, login):
    """Characters, initials, full pinyin and mixes, of the name and of a keyword."""
    id_card = factories.service_item()
    id_card.name = "居民身份证申领"
    id_card.window_number = "A08"
    id_card.hall_location = "一楼东侧公安服务区"
    benefit = factories.service_item()
    benefit.name = "最低生活保障申请"
    benefit.keywords = "低保，救助"
    db.session.commit()
    other = factories.service_item()
    factories.staff("spec", "Specialist", tree.town_a)
    client = login(app.test_client(), "spec")
    expected = {
        "身份证": id_card,
        "sfz": id_card,
        "SFZ": id_card,
        "shenfenzheng": id_card,
        "shen fen zheng": id_card,
        "身fenzheng": id_card,
        "dibao": benefit,
        "di保": benefit,
        "db": benefit,
        "zuidi": benefit,
    }
    for query, item in expected.items():
        page = client.get("/guide/", query_string={"q": query})
        assert page.status_code == 200
        assert f'data-code="{item.code}"' in page.text, query
        assert f'data-code="{other.code}"' not in page.text, query
    page = client.get("/guide/", query_string={"q": "sfz"})
    assert "A08" in page.text and "一楼东侧公安服务区" in page.text
    # Renaming keeps the pinyin current.
    benefit.keywords = "困难群众"
    db.session.commit()
    page = client.get("/guide/", query_string={"q": "dibao"})
    assert f'data-code="{benefit.code}"' not in page.text
    assert f'data-code="{benefit.code}"' in client.get("/guide/?q=kunnan").text


def test_walk_in_help_is_recorded_in_one_post_for_the_own_unit(app, tree, login):
    factories.staff("spec", "Specialist", tree.village_a1)
    client = login(app.test_client(), "spec")
    assert client.get("/walkin/").status_code == 200
    r = client.post("/walkin/record", data={"kind": "form_filling", "queue_number": "A012"})
    assert r.status_code == 302
    entry = db.session.execute(sa.select(m.WalkInHelp)).scalar_one()
    assert entry.unit_id == tree.village_a1.id and entry.queue_number == "A012"
    page = client.get("/walkin/")
    assert 'id="count-form_filling">1<' in page.text
    assert client.post("/walkin/record", data={"kind": "bogus"}).status_code == 400


def test_progress_inquiry_shows_coarse_status_only_with_the_right_mobile(app, tree):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    applicant = factories.applicant(tree.town_a, name="黄伯")
    applicant.mobile = "13912345678"
    db.session.commit()
    case = factories.case(tree.town_a, spec, app_=applicant)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    db.session.commit()
    client = app.test_client()  # not logged in
    page = client.get("/progress/", query_string={"number": case.number})
    assert page.status_code == 200 and case.number in page.text
    wrong = client.post("/progress/", data={"number": case.number, "mobile_tail": "0000"})
    assert 'id="progress-not-found"' in wrong.text and "黄伯" not in wrong.text
    right = client.post("/progress/", data={"number": case.number, "mobile_tail": "5678"})
    assert 'id="progress-result"' in right.text
    assert str(case.due_date) in right.text
    assert "黄伯" not in right.text and applicant.id_number not in right.text


def test_progress_inquiry_flags_an_open_case_past_its_due_date(app, tree):
    spec = factories.staff("spec", "Specialist", tree.town_a)
    applicant = factories.applicant(tree.town_a)
    applicant.mobile = "13912340001"
    db.session.commit()
    case = factories.case(tree.town_a, spec, app_=applicant)
    lifecycle.confirm(db.session, case, spec.user, process_explained=True, applicant_signed=True)
    db.session.commit()
    client = app.test_client()

    def inquiry():
        return client.post(
            "/progress/",
            data={"number": case.number, "mobile_tail": "0001"},
            environ_base={"REMOTE_ADDR": "10.9.8.1"},
        ).text

    assert 'id="progress-result"' in inquiry() and "due-overdue" not in inquiry()
    try:
        clock.set_fixed(dt.datetime.combine(case.due_date + dt.timedelta(days=1), dt.time(10)))
        page = inquiry()
        assert "due-overdue" in page and "已逾期" in page
        lifecycle.submit(db.session, case, spec.user)
        lifecycle.complete(
            db.session, case, spec.user, results="证照", materials_returned="", signed_by="甲"
        )
        db.session.commit()
        assert "due-overdue" not in inquiry()  # completed: nothing is overdue any more
    finally:
        clock.set_fixed(None)


def test_progress_inquiry_is_rate_limited(app, tree):
    client = app.test_client()
    codes = [
        client.post(
            "/progress/",
            data={"number": "X", "mobile_tail": "1234"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
