"""Appointments (预约): the slot pattern over the calendar, booking and its places (also under
concurrency), the status machine, serving as a case or walk-in record, and scope."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app.appointments import service
from app.domain import clock
from app.domain.calendar import seed_official_calendar
from app.domain.errors import IllegalTransition, ValidationFailed
from app.enums import AppointmentChannel, AppointmentStatus, ServiceKind, SlotPeriod
from app.extensions import db
from app.scope import scope_for_user
from tests import factories

P = SlotPeriod
MONDAY = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _clock():
    clock.set_fixed(dt.datetime(2026, 12, 7, 10, 0))
    yield
    clock.set_fixed(None)


def weekly(morning=2, afternoon=2, evening=1, saturday_noon=1) -> dict:
    pattern = {}
    for weekday in range(5):
        pattern[(weekday, P.MORNING)] = morning
        pattern[(weekday, P.AFTERNOON)] = afternoon
        pattern[(weekday, P.EVENING)] = evening
    pattern[(5, P.NOON)] = saturday_noon
    pattern[(5, P.MORNING)] = 3  # a weekend morning is not after hours: never opens
    return pattern


@pytest.fixture
def world(tree):
    seed_official_calendar(db.session, [2026])
    service.save_pattern(db.session, tree.town_a, weekly())
    service.save_pattern(db.session, tree.town_b, weekly())
    db.session.commit()
    return tree


def book(unit, day=MONDAY, period=P.MORNING, mobile="13900000001", **kw):
    kw.setdefault("channel", AppointmentChannel.STAFF)
    return service.book(
        db.session, unit=unit, day=day, period=period, name="黄伯", mobile=mobile, **kw
    )


def test_the_pattern_follows_the_working_day_calendar(world):
    pattern = service.load_pattern(db.session, world.town_a.id)
    from app.domain.calendar import load_calendar

    calendar = load_calendar(db.session)
    cap = service.capacity_on
    assert cap(pattern, calendar, MONDAY, P.MORNING) == 2
    assert cap(pattern, calendar, MONDAY, P.NOON) == 0  # not in the pattern
    saturday = dt.date(2026, 12, 12)
    assert cap(pattern, calendar, saturday, P.NOON) == 1  # weekend after-hours service
    assert cap(pattern, calendar, saturday, P.MORNING) == 0  # the hall is closed
    national_day = dt.date(2026, 10, 1)  # a Thursday, a holiday
    assert all(cap(pattern, calendar, national_day, p) == 0 for p in P)
    adjusted = dt.date(2026, 10, 10)  # a Saturday made a working day (调休): Monday's pattern
    assert cap(pattern, calendar, adjusted, P.MORNING) == 2
    assert cap(pattern, calendar, adjusted, P.NOON) == 0
    days = {o.day for o in service.openings(db.session, world.town_a, MONDAY, 7)}
    assert dt.date(2026, 12, 13) not in days  # Sunday: nothing in the pattern
    assert saturday in days


def test_booking_takes_places_until_the_slot_is_full_and_cancel_frees_one(world):
    first = book(world.town_a, mobile="13900000001")
    book(world.town_a, mobile="13900000002")
    db.session.commit()
    with pytest.raises(service.SlotFull):
        book(world.town_a, mobile="13900000003")
    db.session.rollback()
    slot = db.session.get(m.AppointmentSlot, first.slot_id)
    assert (slot.capacity, slot.booked) == (2, 2)
    service.cancel(db.session, first, None, "rang to cancel")
    db.session.commit()
    db.session.refresh(slot)
    assert slot.booked == 1 and first.status == AppointmentStatus.CANCELLED
    book(world.town_a, mobile="13900000003")
    db.session.commit()
    assert first.number.startswith("YY") and len(first.number) == 10


def test_bad_booking_input_names_each_field(world):
    with pytest.raises(ValidationFailed) as refused:
        service.book(
            db.session,
            unit=world.town_a,
            day=MONDAY - dt.timedelta(days=1),
            period=None,
            name="",
            mobile="123",
            channel=AppointmentChannel.STAFF,
        )
    assert set(refused.value.errors) == {"day", "period", "name", "mobile"}
    # the public books from tomorrow on, and no further than the days ahead
    with pytest.raises(ValidationFailed):
        book(world.town_a, channel=AppointmentChannel.PUBLIC)
    with pytest.raises(ValidationFailed):
        book(world.town_a, day=MONDAY + dt.timedelta(days=40))
    book(world.town_a)
    with pytest.raises(ValidationFailed) as twice:
        book(world.town_a, period=P.AFTERNOON)  # same mobile, same day
    assert "mobile" in twice.value.errors
    with pytest.raises(service.SlotFull):
        book(world.town_a, day=dt.date(2026, 12, 13), mobile="13900000009")  # Sunday


def test_two_bookings_racing_for_the_last_place_one_wins(world):
    book(world.town_a, mobile="13900000001")
    db.session.commit()
    unit_id = world.town_a.id
    db.session.remove()
    engine = db.engine
    outcome: dict = {}

    with Session(engine) as first:
        unit = first.get(m.OrgUnit, unit_id)
        service.book(
            first,
            unit=unit,
            day=MONDAY,
            period=P.MORNING,
            name="甲",
            mobile="13900000002",
            channel=AppointmentChannel.STAFF,
        )  # holds the slot row's lock until it commits

        def second():
            with Session(engine) as other:
                try:
                    service.book(
                        other,
                        unit=other.get(m.OrgUnit, unit_id),
                        day=MONDAY,
                        period=P.MORNING,
                        name="乙",
                        mobile="13900000003",
                        channel=AppointmentChannel.STAFF,
                    )
                    other.commit()
                    outcome["second"] = "booked"
                except service.SlotFull:
                    other.rollback()
                    outcome["second"] = "full"

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        first.commit()
        thread.join(10)
    assert outcome == {"second": "full"}
    slot = db.session.execute(sa.select(m.AppointmentSlot)).scalar_one()
    assert (slot.capacity, slot.booked) == (2, 2)
    assert db.session.scalar(sa.select(sa.func.count(m.Appointment.id))) == 2


def test_status_machine_refuses_what_is_not_allowed(world):
    today = book(world.town_a)
    later = book(world.town_a, day=MONDAY + dt.timedelta(days=1), mobile="13900000002")
    db.session.commit()
    with pytest.raises(IllegalTransition):
        service.no_show(db.session, later, None)  # not the day yet
    service.no_show(db.session, today, None)
    with pytest.raises(IllegalTransition):
        service.cancel(db.session, today, None)
    db.session.commit()
    walk_in = service.serve_with_walk_in(db.session, today, None, specialist=None)  # came late
    db.session.commit()
    assert today.status == AppointmentStatus.SERVED and walk_in.unit_id == world.town_a.id
    with pytest.raises(IllegalTransition):
        service.serve_with_walk_in(db.session, today, None, specialist=None)


def test_an_appointment_becomes_a_case_with_its_applicant_and_item(world):
    spec = factories.staff("spec", "Specialist", world.town_a)
    item = factories.service_item()
    person = factories.applicant(world.town_a, name="李婆")
    appointment = book(world.town_a, applicant=person, item=item, mobile=person.mobile)
    db.session.commit()
    with pytest.raises(ValidationFailed):  # the applicant's confirmations are still needed
        service.serve_with_case(db.session, appointment, spec.user, kind=ServiceKind.HELP)
    db.session.rollback()
    case = service.serve_with_case(
        db.session,
        appointment,
        spec.user,
        kind=ServiceKind.HELP,
        ack_voluntary=True,
        ack_free=True,
        ack_truthful=True,
    )
    db.session.commit()
    assert (case.applicant, case.item, case.handling_unit) == (person, item, world.town_a)
    assert appointment.status == AppointmentStatus.SERVED and appointment.case == case


def test_a_public_booking_finds_its_applicant_by_mobile_in_scope(world):
    spec = factories.staff("spec", "Specialist", world.town_a)
    person = factories.applicant(world.town_a)
    appointment = book(
        world.town_a, day=MONDAY + dt.timedelta(days=1), channel=AppointmentChannel.PUBLIC
    )
    appointment.mobile = person.mobile
    db.session.commit()
    scope = scope_for_user(spec.user)
    assert service.matching_applicant(db.session, appointment, scope) == person
    outsider = factories.staff("other", "Specialist", world.town_b)
    assert (
        service.matching_applicant(db.session, appointment, scope_for_user(outsider.user)) is None
    )


def test_scope_a_village_sees_its_own_appointments_not_another_towns(world):
    service.save_pattern(db.session, world.village_a1, weekly())
    mine = book(world.village_a1)
    theirs = book(world.town_b)
    town = book(world.town_a, mobile="13900000005")
    db.session.commit()
    village = factories.staff("v", "Specialist", world.village_a1)
    manager = factories.staff("m", "Manager", world.town_a)

    def seen(user):
        scope = scope_for_user(user)
        return set(
            db.session.execute(
                sa.select(m.Appointment.id).where(scope.clause_for(m.Appointment))
            ).scalars()
        )

    assert seen(village.user) == {mine.id}
    assert seen(manager.user) == {mine.id, town.id}
    assert theirs.id not in seen(manager.user)


def test_the_sms_the_day_before_is_written_once_and_delivered_to_the_sink(world):
    from app.reminders import channels, sweep
    from app.reminders.models import SmsSinkMessage

    item = factories.service_item()
    tomorrow = book(world.town_a, day=MONDAY + dt.timedelta(days=1), item=item)
    gone = book(world.town_a, day=MONDAY + dt.timedelta(days=1), mobile="13900000002")
    book(world.town_a, day=MONDAY + dt.timedelta(days=2), mobile="13900000003")
    service.cancel(db.session, gone, None)
    db.session.commit()

    def sms_rows():
        return list(
            db.session.execute(
                sa.select(m.Notification).where(m.Notification.kind == "appointment_sms")
            ).scalars()
        )

    early = dt.datetime(2026, 12, 7, 8, 30, tzinfo=clock.TZ)  # before the reminder hour (9)
    sweep.run(db.session, early, dispatch=False, kinds={"appointment_sms"})
    assert sms_rows() == []
    moment = dt.datetime(2026, 12, 7, 10, 0, tzinfo=clock.TZ)
    for _ in range(2):  # a second sweep (or a second beat) writes nothing more
        sweep.run(db.session, moment, dispatch=False, kinds={"appointment_sms"})
    (row,) = sms_rows()
    assert row.channel.value == "sms" and row.recipient_address == tomorrow.mobile
    assert row.recipient_id is None and row.dedup_key.startswith(f"appointment_sms:{tomorrow.id}:")
    assert tomorrow.number in row.body and "2026-12-08" in row.body and item.name in row.body
    assert row.body.startswith("【")
    assert channels.deliver(db.session, row.id)[0] == "sent", row.last_error
    assert channels.deliver(db.session, row.id)[0] == "skipped"
    (sent,) = db.session.execute(sa.select(SmsSinkMessage)).scalars()
    assert sent.mobile == tomorrow.mobile and sent.notification_id == row.id


def test_the_sms_goes_out_only_if_the_appointment_still_stands_when_it_is_sent(world):
    """Written while booked, the day-before SMS is re-checked at send time: cancelled, served
    or moved to another day (its key names the day), it is withdrawn and not sent."""
    from app.reminders import channels, sweep
    from app.reminders.models import SmsSinkMessage

    tuesday = MONDAY + dt.timedelta(days=1)
    stays, cancelled, moved = (
        book(world.town_a, day=tuesday, period=period, mobile=f"1390000002{i}")
        for i, period in enumerate((P.MORNING, P.MORNING, P.AFTERNOON))
    )
    db.session.commit()
    sweep.run(db.session, clock.now(), dispatch=False, kinds={"appointment_sms"})
    service.cancel(db.session, cancelled, None)
    moved.day = MONDAY + dt.timedelta(days=2)  # as a move would (no screen moves one yet)
    db.session.commit()
    rows = {
        r.recipient_address: r
        for r in db.session.execute(
            sa.select(m.Notification).where(m.Notification.kind == "appointment_sms")
        ).scalars()
    }
    outcomes = {mobile: channels.deliver(db.session, row.id)[0] for mobile, row in rows.items()}
    assert outcomes == {
        stays.mobile: "sent",
        cancelled.mobile: "withdrawn",
        moved.mobile: "withdrawn",
    }
    db.session.expire_all()
    assert rows[moved.mobile].last_error == "not sent: the appointment moved to 2026-12-09"
    assert rows[cancelled.mobile].status.value == "withdrawn"
    assert channels.deliver(db.session, rows[cancelled.mobile].id)[0] == "skipped"
    sunk = db.session.execute(sa.select(SmsSinkMessage.mobile)).scalars().all()
    assert sunk == [stays.mobile]
