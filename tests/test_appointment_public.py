"""The public booking page: a check code drawn by the app, booking and cancelling without a log-in,
rate limits, bad input answered 400."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from app import checkcode
from app import models as m
from app.appointments import service
from app.domain import clock
from app.enums import AppointmentChannel, AppointmentStatus, SlotPeriod
from app.extensions import db

TOMORROW = dt.date(2026, 12, 8)
_networks = itertools.count(11)


@pytest.fixture(autouse=True)
def _clock():
    clock.set_fixed(dt.datetime(2026, 12, 7, 10, 0))
    yield
    clock.set_fixed(None)


@pytest.fixture
def center(tree):
    pattern = {(d, SlotPeriod.MORNING): 1 for d in range(5)}
    service.save_pattern(db.session, tree.town_a, pattern)
    db.session.commit()
    return tree.town_a


@pytest.fixture
def client(app, monkeypatch):
    """An anonymous browser from an address of its own (rate limits count per address)."""
    monkeypatch.setattr(checkcode, "new_code", lambda: "2345")
    return app.test_client(), {"REMOTE_ADDR": f"10.77.{next(_networks)}.9"}


def post(client, env, url="/booking/", **data):
    client.get("/booking/checkcode.svg", environ_base=env)  # the page's image: a new code
    return client.post(url, data=data, environ_base=env)


def form(center, **extra):
    data = {
        "unit": center.id,
        "slot": f"{TOMORROW.isoformat()}|morning",
        "name": "网上预约人",
        "mobile": "13912345678",
        "check_code": "2345",
    }
    data.update(extra)
    return data


def test_the_check_code_is_an_svg_and_answers_once(app, center, client):
    browser, env = client
    image = browser.get("/booking/checkcode.svg", environ_base=env)
    assert image.status_code == 200 and image.mimetype == "image/svg+xml"
    assert "<svg" in image.text and "2345" not in image.text
    page = browser.get("/booking/", query_string={"unit": center.id}, environ_base=env)
    assert page.status_code == 200 and f"{TOMORROW.isoformat()}|morning" in page.text
    wrong = browser.post("/booking/", data=form(center, check_code="9999"), environ_base=env)
    assert 'id="booking-error"' in wrong.text
    again = browser.post("/booking/", data=form(center), environ_base=env)  # code used up
    assert 'id="booking-error"' in again.text
    assert db.session.scalar(sa.select(sa.func.count(m.Appointment.id))) == 0


def test_the_public_books_and_cancels_with_number_and_mobile(app, center, client):
    browser, env = client
    done = post(browser, env, **form(center, item=""))
    assert 'id="booking-done"' in done.text
    booked = db.session.execute(sa.select(m.Appointment)).scalar_one()
    assert booked.number in done.text and booked.channel == AppointmentChannel.PUBLIC
    assert (booked.day, booked.period, booked.unit_id) == (TOMORROW, SlotPeriod.MORNING, center.id)
    full = post(browser, env, **form(center, mobile="13912345679"))
    assert 'id="booking-error"' in full.text  # the one place is taken
    wrong = browser.post(
        "/booking/cancel",
        data={"number": booked.number, "mobile": "13900000000"},
        environ_base=env,
    )
    assert "alert-warning" in wrong.text
    cancelled = browser.post(
        "/booking/cancel",
        data={"number": booked.number.lower(), "mobile": "13912345678"},
        environ_base=env,
    )
    assert "alert-success" in cancelled.text
    db.session.refresh(booked)
    assert booked.status == AppointmentStatus.CANCELLED and booked.slot.booked == 0


def test_bad_public_input_answers_400_and_saves_nothing(app, center, client):
    browser, env = client
    assert (
        browser.get("/booking/", query_string={"unit": "x1"}, environ_base=env).status_code == 400
    )
    bad = post(browser, env, **form(center, slot="2026-02-30|morning"))
    assert bad.status_code == 400
    bad = post(browser, env, **form(center, slot=f"{TOMORROW.isoformat()}|night"))
    assert bad.status_code == 400
    today = post(browser, env, **form(center, slot="2026-12-07|morning"))  # from tomorrow on
    assert today.status_code == 200 and "has-error" in today.text
    assert db.session.scalar(sa.select(sa.func.count(m.Appointment.id))) == 0


def test_public_booking_is_rate_limited(app, center, client):
    browser, env = client
    codes = [
        browser.post(
            "/booking/", data=form(center, check_code="0000"), environ_base=env
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [200] * 5 and codes[5] == 429
