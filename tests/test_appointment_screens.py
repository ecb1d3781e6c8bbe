"""Appointments on the screens: booking for an applicant, the desk's day list, serving as a case
or a walk-in record in one step, the slot pattern, scope and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app import models as m
from app.appointments import service
from app.domain import clock
from app.enums import AppointmentChannel, AppointmentStatus, SlotPeriod
from app.extensions import db
from tests import factories

MONDAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _clock():
    clock.set_fixed(dt.datetime(2026, 12, 7, 10, 0))
    yield
    clock.set_fixed(None)


@pytest.fixture
def desk(tree):
    pattern = {(d, p): 3 for d in range(5) for p in (SlotPeriod.MORNING, SlotPeriod.AFTERNOON)}
    for unit in (tree.town_a, tree.town_b, tree.village_a1):
        service.save_pattern(db.session, unit, pattern)
    db.session.commit()
    return tree


def test_staff_book_for_an_applicant_and_see_the_day_list(app, desk, login):
    spec = factories.staff("spec", "Specialist", desk.town_a)
    person = factories.applicant(desk.town_a, name="陈阿婆")
    item = factories.service_item()
    client = login(app.test_client(), "spec")
    page = client.get("/appointments/book")
    assert page.status_code == 200 and 'id="applicant-picker"' in page.text
    assert 'id="openings"' in page.text
    answer = client.post(
        "/appointments/book",
        data={
            "unit": desk.town_a.id,
            "day": MONDAY.isoformat(),
            "period": "afternoon",
            "applicant": person.id,
            "item": item.id,
            "note": "带户口本",
        },
    )
    assert answer.status_code == 302
    booked = db.session.execute(sa.select(m.Appointment)).scalar_one()
    assert (booked.applicant, booked.item, booked.name) == (person, item, "陈阿婆")
    assert booked.channel == AppointmentChannel.STAFF and booked.created_by_id == spec.user.id
    day = client.get("/appointments/", query_string={"day": MONDAY.isoformat()})
    assert booked.number in day.text and "带户口本" in day.text
    assert person.mobile not in day.text  # masked
    # bad input: a clear 400, nothing saved
    assert client.get("/appointments/", query_string={"day": "2026-13-45"}).status_code == 400
    bad = client.post("/appointments/book", data={"unit": "x", "day": MONDAY.isoformat()})
    assert bad.status_code == 400
    bad = client.post("/appointments/book", data={"unit": desk.town_a.id, "period": "night"})
    assert bad.status_code == 400
    refused = client.post(
        "/appointments/book",
        data={"unit": desk.town_b.id, "day": MONDAY.isoformat(), "period": "morning",
              "name": "外镇", "mobile": "13900000008"},
    )  # fmt: skip
    assert refused.status_code == 200 and "has-error" in refused.text
    assert db.session.scalar(sa.select(sa.func.count(m.Appointment.id))) == 1


def test_start_a_case_from_the_day_list_carries_applicant_and_item(app, desk, login):
    spec = factories.staff("spec", "Specialist", desk.town_a)
    person = factories.applicant(desk.town_a, name="陈阿婆")
    person.mobile = "13912340000"
    item = factories.service_item()
    db.session.commit()
    appointment = service.book(
        db.session,
        unit=desk.town_a,
        day=MONDAY + dt.timedelta(days=1),
        period=SlotPeriod.MORNING,
        name="陈阿婆",
        mobile="13912340000",
        item=item,
        note="办理社保卡",
        channel=AppointmentChannel.PUBLIC,
    )
    db.session.commit()
    clock.set_fixed(dt.datetime(2026, 12, 8, 9, 30))  # the day
    client = login(app.test_client(), "spec")
    day = client.get("/appointments/")
    assert appointment.number in day.text and f"/appointments/{appointment.id}/case" in day.text
    form = client.get(f"/appointments/{appointment.id}/case")
    assert form.status_code == 200 and "陈阿婆" in form.text  # matched by mobile
    assert f'value="{item.id}" selected' in form.text or f'selected value="{item.id}"' in form.text
    answer = client.post(
        f"/appointments/{appointment.id}/case",
        data={
            "applicant": person.id,
            "item": item.id,
            "kind": "help",
            "help_types": ["form_filling"],
            "needs": "办理社保卡",
            "handling_unit": desk.town_a.id,
            "specialist": spec.id,
            "ack_voluntary": "y",
            "ack_free": "y",
            "ack_truthful": "y",
        },
    )
    assert answer.status_code == 302
    db.session.refresh(appointment)
    assert appointment.status == AppointmentStatus.SERVED
    assert appointment.case.applicant == person and appointment.case.item == item
    again = client.get(f"/appointments/{appointment.id}/case")
    assert again.status_code == 302  # served: no second case


def test_walk_in_no_show_and_cancel_from_the_day_list(app, desk, login):
    factories.staff("spec", "Specialist", desk.town_a)
    item = factories.service_item()
    rows = [
        service.book(
            db.session,
            unit=desk.town_a,
            day=MONDAY,
            period=SlotPeriod.MORNING,
            name=f"申请人{n}",
            mobile=f"1390000000{n}",
            item=item,
            channel=AppointmentChannel.STAFF,
        )
        for n in range(3)
    ]
    db.session.commit()
    client = login(app.test_client(), "spec")
    client.post(f"/appointments/{rows[0].id}/walkin", data={"kind": "form_filling"})
    client.post(f"/appointments/{rows[1].id}/no_show")
    client.post(f"/appointments/{rows[2].id}/cancel", data={"note": "电话取消"})
    for row in rows:
        db.session.refresh(row)
    assert [r.status for r in rows] == [
        AppointmentStatus.SERVED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.CANCELLED,
    ]
    walk_in = rows[0].walk_in
    assert walk_in.kind.value == "form_filling" and walk_in.item_id == item.id
    assert rows[2].end_note == "电话取消" and rows[0].slot.booked == 2
    assert client.post(f"/appointments/{rows[0].id}/walkin", data={"kind": "x"}).status_code == 400


def test_a_village_specialist_cannot_see_or_touch_another_towns_appointment(app, desk, login):
    factories.staff("village", "Specialist", desk.village_a1)
    other = service.book(
        db.session,
        unit=desk.town_b,
        day=MONDAY,
        period=SlotPeriod.MORNING,
        name="水步申请人",
        mobile="13900000001",
        channel=AppointmentChannel.STAFF,
    )
    db.session.commit()
    client = login(app.test_client(), "village")
    assert other.number not in client.get("/appointments/").text
    assert client.get(f"/appointments/{other.id}/case").status_code == 404
    assert client.post(f"/appointments/{other.id}/cancel").status_code == 404
    assert client.post(f"/appointments/{other.id}/walkin").status_code == 404
    db.session.refresh(other)
    assert other.status == AppointmentStatus.BOOKED


def test_a_manager_sets_the_slot_pattern_a_specialist_may_not(app, desk, login):
    factories.staff("boss", "Manager", desk.town_a)
    factories.staff("spec", "Specialist", desk.town_a)
    client = login(app.test_client(), "boss")
    page = client.get("/appointments/pattern")
    assert page.status_code == 200 and 'name="5_noon"' in page.text
    data = {f"{d}_{p.value}": "0" for d in range(7) for p in SlotPeriod}
    data.update({"unit": desk.village_a1.id, "0_morning": "5", "5_noon": "2"})
    assert client.post("/appointments/pattern", data=data).status_code == 302
    pattern = service.load_pattern(db.session, desk.village_a1.id)
    assert pattern[(0, SlotPeriod.MORNING)] == 5 and pattern[(5, SlotPeriod.NOON)] == 2
    data["0_morning"] = "-1"
    assert client.post("/appointments/pattern", data=data).status_code == 200
    assert service.load_pattern(db.session, desk.village_a1.id)[(0, SlotPeriod.MORNING)] == 5
    outside = dict(data, unit=desk.town_b.id, **{"0_morning": "9"})
    assert client.post("/appointments/pattern", data=outside).status_code == 404
    assert service.load_pattern(db.session, desk.town_b.id)[(0, SlotPeriod.MORNING)] == 3
    assert service.load_pattern(db.session, desk.town_a.id)[(0, SlotPeriod.MORNING)] == 3
    spec = login(app.test_client(), "spec")
    assert spec.get("/appointments/pattern").status_code in (302, 403)
