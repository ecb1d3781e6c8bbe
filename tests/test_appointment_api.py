"""Appointments over the REST API: list in scope, free places, book, cancel, serve as a case or
a walk-in record; bad input 400/422, full slots and illegal steps 409, out of scope 404."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.appointments import service
from app.domain import clock
from app.enums import AppointmentStatus, SlotPeriod
from app.extensions import db
from tests import factories
from tests.apiclient import api_login

pytest_plugins = ["tests.api_fixtures"]

MONDAY = dt.date(2026, 12, 7)
ACKS = {"ack_voluntary": True, "ack_free": True, "ack_truthful": True}


@pytest.fixture(autouse=True)
def _clock():
    clock.set_fixed(dt.datetime(2026, 12, 7, 10, 0))
    yield
    clock.set_fixed(None)


@pytest.fixture
def slots(people, tree):
    pattern = {(d, SlotPeriod.MORNING): 1 for d in range(5)}
    for unit in (tree.town_a, tree.town_b):
        service.save_pattern(db.session, unit, pattern)
    db.session.commit()
    return tree


def test_book_list_and_serve_as_a_case_over_the_api(api_app, people, slots):
    api = api_login(api_app, "spec_a")
    person = factories.applicant(slots.town_a, name="API申请人")
    item = factories.service_item()
    places = api.get("/api/v1/appointment/openings", query_string={"unit": slots.town_a.id})
    assert places.status_code == 200
    assert places.json["result"][0] == {
        "day": MONDAY.isoformat(),
        "period": "morning",
        "capacity": 1,
        "booked": 0,
        "free": 1,
    }
    body = {
        "unit": slots.town_a.id,
        "day": MONDAY.isoformat(),
        "period": "morning",
        "applicant": person.id,
        "item": item.id,
    }
    booked = api.post("/api/v1/appointment/", json=body)
    assert booked.status_code == 201, booked.json
    pk = booked.json["id"]
    assert booked.json["result"]["name"] == "API申请人"
    assert booked.json["result"]["status"] == "booked"
    full = api.post("/api/v1/appointment/", json={**body, "applicant": None, "name": "乙",
                                                   "mobile": "13900000002"})  # fmt: skip
    assert full.status_code == 409 and full.json["message"]
    listed = api.get("/api/v1/appointment/")
    assert [r["id"] for r in listed.json["result"]] == [pk]
    refused = api.post(f"/api/v1/appointment/{pk}/case", json={"kind": "help", "needs": "办"})
    assert refused.status_code == 422 and "ack_voluntary" in refused.json["errors"]
    served = api.post(
        f"/api/v1/appointment/{pk}/case", json={"kind": "help", "needs": "办", **ACKS}
    )
    assert served.status_code == 200, served.json
    case = db.session.get(m.Case, served.json["case"]["id"])
    assert (case.applicant_id, case.item_id) == (person.id, item.id)
    assert served.json["result"]["status"] == "served"
    again = api.post(f"/api/v1/appointment/{pk}/walk_in", json={})
    assert again.status_code == 409


def test_cancel_walk_in_and_bad_input(api_app, people, slots):
    api = api_login(api_app, "spec_a")
    first = api.post(
        "/api/v1/appointment/",
        json={"unit": slots.town_a.id, "day": MONDAY.isoformat(), "period": "morning",
              "name": "丙", "mobile": "13900000003"},
    )  # fmt: skip
    pk = first.json["id"]
    assert api.post(f"/api/v1/appointment/{pk}/cancel", json={"note": "改期"}).status_code == 200
    assert api.post(f"/api/v1/appointment/{pk}/cancel").status_code == 409
    second = api.post(
        "/api/v1/appointment/",
        json={"unit": slots.town_a.id, "day": MONDAY.isoformat(), "period": "morning",
              "name": "丁", "mobile": "13900000004"},
    )  # fmt: skip
    assert second.status_code == 201  # the cancelled place is free again
    walk = api.post(f"/api/v1/appointment/{second.json['id']}/walk_in", json={"kind": "device"})
    assert walk.status_code == 200 and walk.json["walk_in"]["id"]
    bad = [
        api.post("/api/v1/appointment/", data="not json", content_type="application/json"),
        api.post("/api/v1/appointment/", json={"unit": "x", "day": "2026-02-30", "period": "x"}),
        api.post(
            "/api/v1/appointment/",
            json={"unit": 2**40, "day": MONDAY.isoformat(), "period": "morning"},
        ),  # fmt: skip
        api.post(f"/api/v1/appointment/{pk}/cancel", json={"surprise": 1}),
        api.get("/api/v1/appointment/openings", query_string={"unit": "abc"}),
        api.get(
            "/api/v1/appointment/openings",
            query_string={"unit": slots.town_a.id, "from": "2026-13-01"},
        ),  # fmt: skip
    ]
    assert [r.status_code for r in bad] == [400, 422, 422, 422, 400, 400]
    assert db.session.scalar(sa.select(sa.func.count(m.Appointment.id))) == 2


def test_another_towns_appointments_are_not_found(api_app, people, slots):
    other = service.book(
        db.session,
        unit=slots.town_b,
        day=MONDAY,
        period=SlotPeriod.MORNING,
        name="水步人",
        mobile="13900000005",
        channel=service.AppointmentChannel.STAFF,
    )
    db.session.commit()
    api = api_login(api_app, "spec_a1")  # a village under town A
    assert api.get("/api/v1/appointment/").json["result"] == []
    assert api.get(f"/api/v1/appointment/{other.id}").status_code == 404
    assert api.post(f"/api/v1/appointment/{other.id}/cancel").status_code == 404
    assert (
        api.get("/api/v1/appointment/openings", query_string={"unit": slots.town_b.id}).status_code
        == 404
    )
    booked = api.post(
        "/api/v1/appointment/",
        json={"unit": slots.town_b.id, "day": MONDAY.isoformat(), "period": "morning",
              "name": "越权", "mobile": "13900000006"},
    )  # fmt: skip
    assert booked.status_code == 422 and "unit" in booked.json["errors"]
    db.session.refresh(other)
    assert other.status == AppointmentStatus.BOOKED
    leader = api_login(api_app, "leader_city")
    assert leader.get("/api/v1/appointment/").json["count"] == 1
    assert leader.post(f"/api/v1/appointment/{other.id}/cancel").status_code in (401, 403)
