"""Scope on the REST API's writes: town B's ids change nothing (checked in the database), next to
in-scope controls that do land. Harness: tests/scope_harness.py."""

from __future__ import annotations

import datetime as dt

import pytest

from app import models as m
from app.extensions import db
from tests import factories
from tests.scope_harness import (
    ACCOUNT,
    agents_for,
    build_world,
    cheap_password_hashes,
    column_of,
    count,
    isolated_requests,
)


@pytest.fixture(autouse=True)
def fast_password_hashes(pg_app, monkeypatch):
    cheap_password_hashes(pg_app, monkeypatch)


def test_rest_writes_refuse_town_b_ids(app, tree, login):
    """The REST API (bearer token) takes the same ids as the forms: town B's change nothing."""
    world = build_world(app, tree)
    u, spec = world.units, world.specialists
    a_walk_in, b_walk_in = world.rows[m.WalkInHelp]["A"], world.rows[m.WalkInHelp]["B"]
    a_applicant, b_applicant = world.applicants["A"], world.applicants["B"]
    a_case, b_case = world.open_case["A"], world.open_case["B"]
    applicant = {
        "kind": "person",
        "name": "越权接口新增",
        "id_number": factories.resident_id(dt.date(1991, 4, 4), serial=404),
        "mobile": "13800138002",
    }
    application = {
        "applicant": a_applicant,
        "item": world.items["A"],
        "kind": "help",
        "needs": "越权接口申请",
        "handling_unit": u["town_a"],
        "ack_voluntary": True,
        "ack_free": True,
        "ack_truthful": True,
    }
    attempts = [
        ("POST", "/api/v1/applicant/", {**applicant, "unit": u["town_b"]}),
        ("PUT", f"/api/v1/applicant/{a_applicant}", {"unit": u["village_b1"]}),
        ("PUT", f"/api/v1/applicant/{b_applicant}", {"address": "越权接口修改"}),
        ("DELETE", f"/api/v1/applicant/{b_applicant}", None),
        ("POST", "/api/v1/walk_in_help/", {"unit": u["town_b"], "kind": "question"}),
        (
            "POST",
            "/api/v1/walk_in_help/",
            {"unit": u["town_a"], "kind": "question", "specialist": spec["b_specialist"]},
        ),
        ("PUT", f"/api/v1/walk_in_help/{a_walk_in}", {"unit": u["town_b"]}),
        ("DELETE", f"/api/v1/walk_in_help/{b_walk_in}", None),
        ("POST", "/api/v1/case/", {**application, "applicant": b_applicant}),
        ("POST", "/api/v1/case/", {**application, "handling_unit": u["town_b"]}),
        ("POST", "/api/v1/case/", {**application, "specialist": spec["b_specialist"]}),
        ("PUT", f"/api/v1/case/{a_case}", {"specialist": spec["b_specialist"]}),
        ("PUT", f"/api/v1/case/{a_case}", {"steward": spec["b_specialist"]}),
        ("PUT", f"/api/v1/case/{b_case}", {"needs": "越权接口修改"}),
        ("DELETE", f"/api/v1/case/{b_case}", None),
        ("POST", f"/api/v1/case/{a_case}/transfer", {"to_unit": u["town_b"]}),
        ("POST", f"/api/v1/case/{b_case}/contact", {"channel": "phone", "note": "越权接口联系"}),
    ]
    before = {
        "applicant unit": column_of(m.Applicant, a_applicant, "unit_id"),
        "walk-in unit": column_of(m.WalkInHelp, a_walk_in, "unit_id"),
        "case specialist": column_of(m.Case, a_case, "specialist_id"),
        "case steward": column_of(m.Case, a_case, "steward_id"),
        "case handling unit": column_of(m.Case, a_case, "handling_unit_id"),
        "cases": count(m.Case),
        "applicants": count(m.Applicant),
        "walk-ins": count(m.WalkInHelp),
        "events of town B's case": count(m.CaseEvent, m.CaseEvent.case_id == b_case),
    }
    failures = []
    with isolated_requests():
        agent = agents_for(app, login, [ACCOUNT["town_manager"]])["town_manager"]
        for method, url, body in attempts:
            headers = {"Authorization": f"Bearer {agent.token}"}
            try:
                got = agent.client.open(url, method=method, json=body, headers=headers)
                status = got.status_code
            except Exception as exc:  # noqa: BLE001
                status = f"500 ({type(exc).__name__}: {exc})"
            if status not in (400, 403, 404, 405, 409, 422):
                failures.append(f"town_manager {method} {url} {body} → {status}")
        # Controls: the same bodies with town A's ids land (the refusals are the scope's).
        bearer = {"Authorization": f"Bearer {agent.token}"}
        control = agent.client.post(
            "/api/v1/walk_in_help/",
            json={"unit": u["town_a"], "kind": "question", "note": "本镇接口帮办"},
            headers=bearer,
        )
        case_control = agent.client.post(
            "/api/v1/case/", json={**application, "needs": "本镇接口申请"}, headers=bearer
        )
    db.session.expire_all()
    after = {
        "applicant unit": column_of(m.Applicant, a_applicant, "unit_id"),
        "walk-in unit": column_of(m.WalkInHelp, a_walk_in, "unit_id"),
        "case specialist": column_of(m.Case, a_case, "specialist_id"),
        "case steward": column_of(m.Case, a_case, "steward_id"),
        "case handling unit": column_of(m.Case, a_case, "handling_unit_id"),
        "cases": count(m.Case) - 1,  # the control
        "applicants": count(m.Applicant),
        "walk-ins": count(m.WalkInHelp) - 1,  # the control
        "events of town B's case": count(m.CaseEvent, m.CaseEvent.case_id == b_case),
    }
    failures += [
        f"{what}: {before[what]} → {after[what]}" for what in before if before[what] != after[what]
    ]
    assert control.status_code == 201, control.get_data(as_text=True)[:1000]
    assert case_control.status_code == 201, case_control.get_data(as_text=True)[:1000]
    assert column_of(m.Applicant, b_applicant, "address") != "越权接口修改"
    assert not failures, "\n".join(failures)
