"""Specialist assessment (考核) and written reports (月报 / 季报) over ledger_world.

Indicators computed from the record, the weighted score, rankings inside the scope, the targets
screen for Admins only, a report whose figures are the ledger's, its .docx, and bad input 400.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import sqlalchemy as sa

from app import models as m
from app.assessment import indicators, reports
from app.domain import clock
from app.domain.status import CaseStatus
from app.enums import Indicator, ReportState
from app.extensions import db
from app.ledger.figures import period_figures, period_query
from app.scope import Scope
from tests import factories, ledger_world
from tests.apiclient import api_login

Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))


@pytest.fixture
def world(app):
    world = ledger_world.build()
    ledger_world.at("2026-07-02", 9)
    yield world
    clock.set_fixed(None)


def _scope(unit) -> Scope:
    return Scope(path=unit.path, unit_id=unit.id)


def _row(data, specialist):
    return next(
        r for _tier, rows in data["tiers"] for r in rows if r["specialist_id"] == specialist.id
    )


def test_indicators_and_score_from_the_record(world):
    city = world.tree.city
    data = indicators.assess(db.session, _scope(city), *Q1, clock.today())
    late = _row(data, world.spec_v)  # completed late, rated dissatisfied, not called back
    assert late["values"] == {
        "on_time_rate": 0.0,
        "satisfaction_rate": 0.0,
        "repeat_notices": 0,
        "overdue": 1,
        "complaints": 1,
        "callback_rate": 0.0,
    }
    # 30·0 + 25·0 + 10·100 + 15·80 + 10·80 + 10·0 over 100 weight points
    assert late["score"] == 30.0
    assert late["meets"]["on_time_rate"] is False and late["meets"]["repeat_notices"] is True

    # The call-back on the poor rating is made: the indicator and the score follow.
    rect = db.session.execute(sa.select(m.Rectification)).scalar_one()
    rect.callback_at = clock.now()
    db.session.commit()
    again = _row(indicators.assess(db.session, _scope(city), *Q1, clock.today()), world.spec_v)
    assert again["values"]["callback_rate"] == 1.0 and again["score"] == 40.0

    q2 = indicators.assess(db.session, _scope(city), *Q2, clock.today())
    assert _row(q2, world.spec_a)["values"]["repeat_notices"] == 1
    # The unit's values are the dashboard's own numbers for the same cases.
    figures = period_figures(db.session, _scope(city), *Q2, clock.today())
    assert q2["unit"]["on_time_rate"]["value"] == figures["totals"]["on_time_rate"]
    assert q2["unit"]["satisfaction_rate"]["value"] == figures["satisfaction"]["rate"]
    assert q2["unit"]["overdue"]["value"] == figures["totals"]["overdue"]
    assert q2["unit"]["repeat_notices"]["value"] == figures["notices"]["repeats"]

    # An Admin's target moves the verdict and the score.
    db.session.add(
        m.AssessmentTarget(indicator=Indicator.OVERDUE, target=1, weight=15, updated_at=clock.now())
    )
    db.session.commit()
    third = _row(indicators.assess(db.session, _scope(city), *Q1, clock.today()), world.spec_v)
    assert third["meets"]["overdue"] is True and third["score"] == 43.0


def test_rankings_stay_inside_the_scope(world, app, login):
    # One client after the other: the test's app context keeps the last log-in's user.
    town_a = login(app.test_client(), "town_a_manager")
    page = town_a.get("/assessment/?period=quarter&value=2026-Q2")
    assert page.status_code == 200
    assert f'data-specialist-id="{world.spec_a.id}"' in page.text
    assert f'data-specialist-id="{world.spec_b.id}"' not in page.text
    assert 'data-tier="town"' in page.text
    # Another town's unit is not found; a malformed period is a 400 in the user's language.
    assert town_a.get(f"/assessment/?unit={world.tree.town_b.id}").status_code == 404
    bad = town_a.get("/assessment/?period=quarter&value=2026-Q7&_l_=en")
    assert bad.status_code == 400 and "2026-Q2" in bad.text
    city = login(app.test_client(), "city_manager").get("/assessment/?period=quarter&value=2026-Q2")
    assert f'data-specialist-id="{world.spec_b.id}"' in city.text

    api = api_login(app, "town_b_manager")
    answer = api.get("/api/v1/assessment/?period=quarter&value=2026-Q2")
    assert answer.status_code == 200, answer.text
    ids = {r["specialist_id"] for t in answer.json["tiers"] for r in t["rows"]}
    assert ids == {world.spec_b.id}
    assert api.get("/api/v1/assessment/?period=year").status_code == 400
    assert api.get(f"/api/v1/assessment/?unit={world.tree.town_a.id}").status_code == 404


def test_the_targets_screen_is_an_admins(world, app, login):
    factories.staff("admin_t", "Admin", None)
    manager = login(app.test_client(), "city_manager")
    assert manager.get("/assessment/targets/").status_code in (302, 403)
    admin = login(app.test_client(), "admin_t")
    assert admin.get("/assessment/targets/").status_code == 200
    form = {f"target_{i.value}": "100" if i.is_rate else "0" for i in Indicator}
    form |= {f"weight_{i.value}": "10" for i in Indicator}
    bad = admin.post("/assessment/targets/", data=form | {"target_overdue": "abc"})
    assert bad.status_code == 400
    assert db.session.execute(sa.select(sa.func.count(m.AssessmentTarget.id))).scalar_one() == 0
    assert (
        admin.post("/assessment/targets/", data=form | {"target_on_time_rate": "98"}).status_code
        == 302
    )
    goals = indicators.targets(db.session)
    assert goals[Indicator.ON_TIME_RATE] == {"target": 0.98, "weight": 10}


def ledger_counts(scope, start, end) -> dict:
    rows = [
        r
        for r in period_query(db.session, scope, start, end, clock.today()).stream()
        if r.status != CaseStatus.VOIDED
    ]
    return {
        "cases": len(rows),
        "completed": sum(r.status == CaseStatus.COMPLETED for r in rows),
        "terminated": sum(r.status == CaseStatus.TERMINATED for r in rows),
        "overdue": sum(bool(r.overdue) for r in rows),
    }


def test_a_report_states_the_ledgers_figures_and_exports_a_docx(world, app, login):
    city_unit = world.tree.city
    manager = login(app.test_client(), "city_manager")
    made = manager.post(
        "/reports/new", data={"unit": city_unit.id, "period": "quarter", "value": "2026-Q2"}
    )
    assert made.status_code == 302, made.text
    report = db.session.execute(sa.select(m.PeriodicReport)).scalar_one()
    totals = report.figures["totals"]
    assert {k: totals[k] for k in ("cases", "completed", "terminated", "overdue")} == (
        ledger_counts(_scope(city_unit), *Q2)
    )
    assert (
        report.figures["by_status"]
        == period_figures(db.session, _scope(city_unit), *Q2, clock.today())["by_status"]
    )
    assert "材料不齐" in report.problems_text  # the draft names the common problems

    saved = manager.post(
        f"/reports/{report.id}/edit", data={"practice_text": "首问负责，一次告知。"}
    )
    assert saved.status_code == 302
    document = manager.get(f"/reports/{report.id}/docx")
    assert document.status_code == 200
    with zipfile.ZipFile(io.BytesIO(document.data)) as z:
        xml = z.read("word/document.xml").decode()
        styles = z.read("word/styles.xml").decode()
    assert "首问负责，一次告知。" in xml and city_unit.name in xml
    assert f">{totals['cases']}<" in xml
    assert "仿宋_GB2312" in styles and "黑体" in styles

    assert manager.post(f"/reports/{report.id}/finalise").status_code == 302
    db.session.expire_all()
    assert report.state == ReportState.FINAL
    manager.post(f"/reports/{report.id}/edit", data={"practice_text": "改"})
    db.session.expire_all()
    assert report.practice_text == "首问负责，一次告知。"  # archived: read-only
    again = manager.post(
        "/reports/new", data={"unit": city_unit.id, "period": "quarter", "value": "2026-Q2"}
    )
    assert again.status_code == 302
    assert db.session.execute(sa.select(sa.func.count(m.PeriodicReport.id))).scalar_one() == 1
    bad = manager.post("/reports/new", data={"unit": city_unit.id, "period": "week", "value": "x"})
    assert bad.status_code == 400

    api = api_login(app, "city_manager")
    listed = api.get("/api/v1/report/")
    assert listed.status_code == 200 and listed.json["count"] == 1
    got = api.get(f"/api/v1/report/{report.id}")
    assert got.json["result"]["figures"]["totals"]["cases"] == totals["cases"]
    assert api.get(f"/api/v1/report/{report.id}/docx").status_code == 200
    other = api_login(app, "town_b_manager")
    assert other.get(f"/api/v1/report/{report.id}").status_code == 404
    assert other.get(f"/api/v1/report/{report.id}/docx").status_code == 404
    assert (
        login(app.test_client(), "town_b_manager").get(f"/reports/{report.id}").status_code == 404
    )


def test_refresh_recounts_a_draft(world):
    town_a = world.tree.town_a
    report = reports.create_draft(
        db.session, town_a, "month", dt.date(2026, 5, 1), dt.date(2026, 5, 31), None
    )
    db.session.commit()
    before = report.figures["totals"]["completed"]
    case = world.cases["paused"]  # applied in May, waiting for materials
    ledger_world.at("2026-07-02", 10)
    db.session.refresh(case)
    reports.refresh(db.session, report)
    db.session.commit()
    assert report.figures["totals"]["completed"] == before
    assert (
        report.figures["totals"]
        == period_figures(
            db.session, _scope(town_a), dt.date(2026, 5, 1), dt.date(2026, 5, 31), clock.today()
        )["totals"]
    )


def test_a_specialist_sees_his_own_assessment_and_rank_only(world, app, login):
    q2 = indicators.assess(db.session, _scope(world.tree.city), *Q2, clock.today())
    town = dict(q2["tiers"])[next(t for t, _r in q2["tiers"] if t.value == "town")]
    mine, theirs = _row(q2, world.spec_a), _row(q2, world.spec_b)
    client = login(app.test_client(), "spec_a")
    page = client.get("/assessment/mine/?period=quarter&value=2026-Q2")
    assert page.status_code == 200
    assert f'id="my-score">{mine["score"]}<' in page.text
    assert f'id="my-cases">{mine["cases"]}<' in page.text
    assert f"{mine['rank']}" in page.text and f"{len(town)}" in page.text
    assert theirs["name"] not in page.text  # nobody else's row
    assert "assessment-ranking" not in page.text
    # the managers' rankings and another unit's assessment stay closed to a specialist
    assert client.get("/assessment/?period=quarter&value=2026-Q2").status_code in (302, 403)
    assert client.get("/assessment/mine/?period=quarter&value=2026-Q7").status_code == 400
    empty = client.get("/assessment/mine/?period=month&value=2025-01")
    assert 'id="my-assessment-empty"' in empty.text

    api = api_login(app, "spec_a")
    own = api.get("/api/v1/assessment/mine?period=quarter&value=2026-Q2")
    assert own.status_code == 200, own.text
    body = own.json
    assert body["specialist_id"] == world.spec_a.id and body["score"] == mine["score"]
    assert (body["rank"], body["ranked"], body["tier"]) == (mine["rank"], len(town), "town")
    assert {k: v["value"] for k, v in body["indicators"].items()} == mine["values"]
    assert theirs["name"] not in own.text and str(theirs["specialist_id"]) not in str(
        {k: v for k, v in body.items() if k != "indicators"}
    )
    assert api.get("/api/v1/assessment/?period=quarter&value=2026-Q2").status_code == 403
    assert api.get("/api/v1/assessment/mine?period=year").status_code == 400
    # a village specialist ranks among the village specialists of the whole center
    village = api_login(app, "spec_v").get("/api/v1/assessment/mine?period=quarter&value=2026-Q1")
    assert village.json["tier"] == "village" and village.json["rank"] == 1
    assert village.json["indicators"]["overdue"]["value"] == 1


@pytest.mark.parametrize(
    "lang, word", [("zh", "我的考核"), ("zh_Hant", "我的考核"), ("en", "My assessment")]
)
def test_my_assessment_in_three_languages(world, app, login, lang, word):
    client = login(app.test_client(), "spec_v")
    client.get(f"/lang/{lang}")
    page = client.get("/assessment/mine/?period=quarter&value=2026-Q1").text
    assert word in page and 'id="my-rank"' in page
