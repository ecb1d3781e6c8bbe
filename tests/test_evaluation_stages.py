"""好差评 in two stages (一次一评): one evaluation at acceptance and one at completion, each with
what the provincial system takes; the ledger counts the completion one; the export file and the
API deliver them inside the tier scope; a poor rating at either stage keeps its rectification."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app import models as m
from app.domain import lifecycle
from app.domain.errors import IllegalTransition
from app.enums import EvaluationChannel, EvaluationStage, Rating
from app.extensions import db
from app.ledger import stats
from app.ledger.filters import LedgerFilter
from app.ledger.queries import LedgerQuery
from app.scope import Scope
from app.validators import complete_uscc
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

IMPLEMENTATION = complete_uscc("11440781007000370") + "4" + "000001001000"
A, C = EvaluationStage.ACCEPTANCE, EvaluationStage.COMPLETION


@pytest.fixture
def world(app, tree):
    spec = factories.staff("eval_a", "Specialist", tree.town_a)
    other = factories.staff("eval_b", "Specialist", tree.town_b)
    item = factories.service_item(materials=1)
    item.basic_code, item.implementation_code = IMPLEMENTATION[-12:], IMPLEMENTATION
    db.session.commit()
    return spec, other, item


def running(tree, spec, item, unit=None):
    case = factories.case(unit or tree.town_a, spec, item=item)
    lifecycle.confirm(
        db.session,
        case,
        spec.user,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=[mat.id for mat in item.materials],
    )
    lifecycle.submit(db.session, case, spec.user)
    db.session.commit()
    return case


def evaluate(case, spec, rating=Rating.VERY_SATISFIED, stage=None, comments=""):
    out = lifecycle.evaluate(
        db.session,
        case,
        spec.user,
        rating=rating,
        channel=EvaluationChannel.ON_SITE,
        comments=comments,
        stage=stage,
    )
    db.session.commit()
    return out


def complete(case, spec):
    lifecycle.complete(
        db.session, case, spec.user, results="证照", materials_returned="", signed_by="甲"
    )
    db.session.commit()


def test_one_evaluation_per_stage_with_what_the_province_takes(app, tree, world):
    spec, _other, item = world
    case = running(tree, spec, item)
    assert lifecycle.evaluation_stages_open(db.session, case) == [A]
    first = evaluate(case, spec)  # running: at acceptance by default
    assert (first.stage, first.item_code, first.case_number) == (A, IMPLEMENTATION, case.number)
    with pytest.raises(IllegalTransition):
        evaluate(case, spec, stage=A)
    db.session.rollback()
    with pytest.raises(IllegalTransition):
        evaluate(case, spec, stage=C)  # not ended yet
    db.session.rollback()
    assert lifecycle.evaluation_stages_open(db.session, case) == []
    complete(case, spec)
    assert lifecycle.evaluation_stages_open(db.session, case) == [C]
    second = evaluate(case, spec, rating=Rating.SATISFIED, comments="办结很快")
    assert second.stage == C and second.comments == "办结很快"
    assert lifecycle.evaluation_stages_open(db.session, case) == []
    with pytest.raises(IllegalTransition):
        evaluate(case, spec)
    db.session.rollback()
    stages = [
        e.data["stage"]
        for e in db.session.execute(
            sa.select(m.CaseEvent)
            .where(m.CaseEvent.case_id == case.id, m.CaseEvent.kind == "evaluation")
            .order_by(m.CaseEvent.id)
        ).scalars()
    ]
    assert stages == ["acceptance", "completion"]


def test_a_poor_rating_at_acceptance_opens_its_rectification(app, tree, world):
    spec, _other, item = world
    case = running(tree, spec, item)
    poor = evaluate(case, spec, rating=Rating.DISSATISFIED, comments="排队太久")
    rectification = db.session.execute(
        sa.select(m.Rectification).where(m.Rectification.evaluation_id == poor.id)
    ).scalar_one()
    assert rectification.deadline is not None and rectification.owner_id == spec.id


def test_the_ledger_counts_each_case_once_by_its_completion_rating(app, tree, world):
    spec, _other, item = world
    case = running(tree, spec, item)
    evaluate(case, spec, rating=Rating.VERY_DISSATISFIED)
    complete(case, spec)
    evaluate(case, spec, rating=Rating.VERY_SATISFIED)
    q = LedgerQuery(db.session, Scope(everything=True), LedgerFilter())
    assert [r.number for r in q.stream()] == [case.number]
    for data in (stats.dashboard(q), stats.dashboard_live(q)):
        assert data["totals"]["cases"] == 1
        ratings = {row["key"]: row["count"] for row in data["satisfaction"]["levels"]}
        assert ratings["5"] == 1 and ratings["1"] == 0


def test_the_evaluate_step_takes_the_stage_over_the_api(api_app, tree, world):
    spec, _other, item = world
    factories.staff("eval_mgr", "Manager", tree.town_a)
    case = running(tree, spec, item)
    api = api_login(api_app, "eval_mgr")
    url = f"/api/v1/case/{case.id}/evaluate"
    body = {"rating": "4", "channel": "phone", "stage": "completion"}
    assert api.post(url, json=body).status_code == 409  # not ended
    assert api.post(url, json={**body, "stage": "later"}).status_code == 422
    assert api.post(url, json={**body, "stage": "acceptance"}).status_code == 200
    assert api.post(url, json={**body, "stage": "acceptance"}).status_code == 409


def _two_towns(tree, world):
    spec, other, item = world
    mine = running(tree, spec, item)
    evaluate(mine, spec, comments="=HYPERLINK(1)")
    complete(mine, spec)
    evaluate(mine, spec, rating=Rating.SATISFIED)
    theirs = running(tree, other, item, unit=tree.town_b)
    evaluate(theirs, other)
    return mine, theirs


def test_the_provincial_export_file_in_the_scope(app, tree, world, login):
    mine, theirs = _two_towns(tree, world)
    client = login(app.test_client(), "eval_a")
    xlsx = client.get("/evaluationview/province/?format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["事项编码", "办件编号", "评价阶段", "评价等级"] and len(rows[0]) == 10
    body = rows[1:]
    assert [(r[0], r[1], r[2], r[3]) for r in body] == [
        (IMPLEMENTATION, mine.number, "acceptance", 5),
        (IMPLEMENTATION, mine.number, "completion", 4),
    ]
    assert body[0][7] == "'=HYPERLINK(1)"  # text, never a formula
    assert theirs.number not in str(rows)
    text = client.get("/evaluationview/province/?format=csv&stage=completion").data
    assert text.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert [r[1] for r in parsed[1:]] == [mine.number]
    assert client.get("/evaluationview/province/?from=2026-13-01").status_code == 400
    assert client.get("/evaluationview/province/?format=pdf").status_code == 400
    assert client.get("/evaluationview/province/?stage=x").status_code == 400
    assert client.get("/evaluationview/province/?from=2999-01-01").status_code == 200


def test_the_evaluation_api_delivers_both_stages_in_the_scope(api_app, tree, world):
    mine, theirs = _two_towns(tree, world)
    api = api_login(api_app, "eval_a")
    result = api.get("/api/v1/evaluation/").json["result"]
    assert sorted((r["case_number"], r["stage"]) for r in result) == [
        (mine.number, "acceptance"),
        (mine.number, "completion"),
    ]
    assert {r["item_code"] for r in result} == {IMPLEMENTATION}
    assert all(r["at"] and r["rating"] and r["channel"] for r in result)
