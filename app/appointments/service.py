"""The appointments' rules: a slot's places, and the one owner of an appointment's status.

booked → cancelled | no_show | served;  no_show → served (late arrival on the day).

Every change goes through ``_move``; screens, the public page, the API and jobs call the
functions here and commit once (nothing here commits). A place is taken by one conditional
``UPDATE appointment_slot SET booked = booked + 1 WHERE id = … AND booked < capacity``: two
bookings racing for the last place cannot both win, on PostgreSQL and SQLite alike, and a
check constraint (``booked <= capacity``) backs it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import models as m
from app import settings
from app.domain import clock, lifecycle
from app.domain.calendar import load_calendar
from app.domain.errors import DomainError, IllegalTransition, ValidationFailed
from app.domain.workdays import WorkCalendar
from app.enums import AppointmentChannel, AppointmentStatus, SlotPeriod, WalkInKind
from app.validators import is_valid_mobile, normalize_mobile

A = AppointmentStatus

# step → {from status: to status}
TRANSITIONS: dict[str, dict[AppointmentStatus, AppointmentStatus]] = {
    "cancel": {A.BOOKED: A.CANCELLED},
    "no_show": {A.BOOKED: A.NO_SHOW},
    "serve": {A.BOOKED: A.SERVED, A.NO_SHOW: A.SERVED},
}
STEP_LABELS = {
    "cancel": _l("Cancel the appointment"),
    "no_show": _l("Did not come"),
    "serve": _l("Serve the appointment"),
}
MAX_CAPACITY = 999
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class SlotFull(DomainError):
    """The slot's last place went to someone else (or it has none)."""

    status = 409
    default_message = _l("This slot is fully booked. Choose another day or period.")


def _invalid(field: str, message) -> ValidationFailed:
    return ValidationFailed({field: message}, message)


# ---------------------------------------------------------------- the pattern and the slots


def load_pattern(session: Session, unit_id: int) -> dict[tuple[int, SlotPeriod], int]:
    """The unit's weekly pattern: (weekday, period) → places."""
    rows = session.execute(
        sa.select(
            m.AppointmentPattern.weekday,
            m.AppointmentPattern.period,
            m.AppointmentPattern.capacity,
        ).where(m.AppointmentPattern.unit_id == unit_id)
    ).all()
    return {(r.weekday, SlotPeriod(r.period)): r.capacity for r in rows}


def capacity_on(
    pattern: dict[tuple[int, SlotPeriod], int],
    calendar: WorkCalendar,
    day: dt.date,
    period: SlotPeriod,
) -> int:
    """The places the pattern gives ``period`` on ``day``.

    A working day of the calendar takes its weekday's row (an adjusted working weekend day,
    调休, takes Monday's). An ordinary weekend opens only the after-hours periods (延时服务) the
    pattern gives that weekday; a holiday opens nothing.
    """
    weekday = day.weekday()
    if calendar.is_working_day(day):
        return pattern.get((weekday if weekday < 5 else 0, period), 0)
    if day in calendar.off_days or weekday < 5 or not period.after_hours:
        return 0
    return pattern.get((weekday, period), 0)


def save_pattern(
    session: Session, unit: m.OrgUnit, capacities: dict[tuple[int, SlotPeriod], int]
) -> None:
    """Set the unit's pattern; slots from today on follow it (never below their bookings)."""
    errors = {}
    for (weekday, period), places in capacities.items():
        if not 0 <= weekday <= 6 or not isinstance(period, SlotPeriod):
            raise _invalid("pattern", _l("Unknown weekday or period."))
        if not isinstance(places, int) or not 0 <= places <= MAX_CAPACITY:
            errors[f"{weekday}_{period.value}"] = _l(
                "Give a number of places from 0 to %(max)s.", max=MAX_CAPACITY
            )
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    existing = {
        (row.weekday, row.period): row
        for row in session.execute(
            sa.select(m.AppointmentPattern).where(m.AppointmentPattern.unit_id == unit.id)
        ).scalars()
    }
    for key, places in capacities.items():
        row = existing.get(key)
        if row is None:
            session.add(
                m.AppointmentPattern(
                    unit_id=unit.id, weekday=key[0], period=key[1], capacity=places
                )
            )
        else:
            row.capacity = places
    session.flush()
    pattern = load_pattern(session, unit.id)
    calendar = load_calendar(session)
    slots = session.execute(
        sa.select(m.AppointmentSlot)
        .where(m.AppointmentSlot.unit_id == unit.id, m.AppointmentSlot.day >= clock.today())
        .with_for_update()
    ).scalars()
    for slot in slots:
        wanted = capacity_on(pattern, calendar, slot.day, SlotPeriod(slot.period))
        slot.capacity = max(wanted, slot.booked)


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(m.AppointmentSlot)


def ensure_slot(
    session: Session, unit: m.OrgUnit, day: dt.date, period: SlotPeriod
) -> m.AppointmentSlot | None:
    """The slot of ``period`` on ``day`` at ``unit``, made from the pattern on first use;
    None when the pattern gives it no places (and no slot exists)."""
    query = sa.select(m.AppointmentSlot).where(
        m.AppointmentSlot.unit_id == unit.id,
        m.AppointmentSlot.day == day,
        m.AppointmentSlot.period == period,
    )
    slot = session.execute(query).scalar_one_or_none()
    if slot is not None:
        return slot
    places = capacity_on(load_pattern(session, unit.id), load_calendar(session), day, period)
    if places <= 0:
        return None
    session.execute(
        _insert(session)
        .values(unit_id=unit.id, day=day, period=period, capacity=places, booked=0)
        .on_conflict_do_nothing(index_elements=["unit_id", "day", "period"])
    )
    return session.execute(query).scalar_one()


@dataclass(frozen=True)
class Opening:
    """One period of one day as a booking screen shows it."""

    day: dt.date
    period: SlotPeriod
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


def openings(session: Session, unit: m.OrgUnit, first: dt.date, days: int) -> list[Opening]:
    """Every period with places at ``unit`` from ``first`` for ``days`` days, booked or not."""
    pattern = load_pattern(session, unit.id)
    calendar = load_calendar(session)
    last = first + dt.timedelta(days=days - 1)
    slots = {
        (s.day, SlotPeriod(s.period)): s
        for s in session.execute(
            sa.select(m.AppointmentSlot).where(
                m.AppointmentSlot.unit_id == unit.id,
                m.AppointmentSlot.day >= first,
                m.AppointmentSlot.day <= last,
            )
        ).scalars()
    }
    out = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        for period in SlotPeriod:
            slot = slots.get((day, period))
            if slot is not None:
                capacity, booked = slot.capacity, slot.booked
            else:
                capacity, booked = capacity_on(pattern, calendar, day, period), 0
            if capacity > 0:
                out.append(Opening(day, period, capacity, booked))
    return out


# ---------------------------------------------------------------- booking


def booking_window(session: Session, channel: AppointmentChannel) -> tuple[dt.date, dt.date]:
    """The first and last day that may be booked: staff from today, the public from tomorrow."""
    today = clock.today()
    first = today if channel != AppointmentChannel.PUBLIC else today + dt.timedelta(days=1)
    days = settings.get("appointments.days_ahead", session)
    return first, today + dt.timedelta(days=days)


def _new_number(session: Session) -> str:
    while True:
        number = "YY" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
        taken = session.execute(
            sa.select(m.Appointment.id).where(m.Appointment.number == number)
        ).first()
        if taken is None:
            return number


def book(
    session: Session,
    *,
    unit: m.OrgUnit | None,
    day: dt.date | None,
    period: SlotPeriod | None,
    name: str,
    mobile: str,
    channel: AppointmentChannel,
    actor=None,
    applicant: m.Applicant | None = None,
    item: m.ServiceItem | None = None,
    note: str = "",
) -> m.Appointment:
    """Book a place: checks the input, takes a place in the slot or refuses (SlotFull)."""
    name = (name or "").strip() or (applicant.name if applicant is not None else "")
    mobile = normalize_mobile(mobile or "") or (applicant.mobile if applicant is not None else "")
    errors: dict[str, object] = {}
    if unit is None or not unit.active:
        errors["unit"] = _l("Choose the service center.")
    if period is None:
        errors["period"] = _l("Choose the period.")
    first, last = booking_window(session, channel)
    if day is None or not first <= day <= last:
        errors["day"] = _l(
            "Choose a day from %(first)s to %(last)s.",
            first=first.isoformat(),
            last=last.isoformat(),
        )
    if not name or len(name) > 200:
        errors["name"] = _l("Give the applicant's name (at most 200 characters).")
    if not is_valid_mobile(mobile):
        errors["mobile"] = _l("Give a valid mobile number.")
    if item is not None and not item.active:
        errors["item"] = _l("This service item is not offered.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    twice = session.execute(
        sa.select(m.Appointment.id).where(
            m.Appointment.unit_id == unit.id,
            m.Appointment.day == day,
            m.Appointment.mobile == mobile,
            m.Appointment.status == A.BOOKED,
        )
    ).first()
    if twice is not None:
        raise _invalid("mobile", _l("This mobile already has an appointment here on that day."))
    slot = ensure_slot(session, unit, day, period)
    if slot is None:
        raise SlotFull(_l("There is no service in this period on that day."))
    taken = session.execute(
        sa.update(m.AppointmentSlot)
        .where(
            m.AppointmentSlot.id == slot.id,
            m.AppointmentSlot.booked < m.AppointmentSlot.capacity,
        )
        .values(booked=m.AppointmentSlot.booked + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise SlotFull()
    session.expire(slot, ["booked"])
    appointment = m.Appointment(
        number=_new_number(session),
        slot_id=slot.id,
        unit_id=unit.id,
        day=day,
        period=period,
        applicant=applicant,
        name=name,
        mobile=mobile,
        item=item,
        note=(note or "").strip()[:500],
        channel=channel,
        status=A.BOOKED,
        created_by_id=getattr(actor, "id", None),
        created_at=clock.now(),
    )
    session.add(appointment)
    session.flush()
    return appointment


# ---------------------------------------------------------------- the status


def allowed_steps(appointment: m.Appointment) -> list[str]:
    steps = [name for name, table in TRANSITIONS.items() if appointment.status in table]
    today = clock.today()
    if appointment.day > today:  # not yet the day: nobody came or was served
        steps = [s for s in steps if s == "cancel"]
    return steps


def lock(session: Session, appointment_id: int) -> m.Appointment | None:
    """The appointment row, locked for the rest of the transaction (concurrent steps queue)."""
    return session.execute(
        sa.select(m.Appointment)
        .where(m.Appointment.id == appointment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _check(appointment: m.Appointment, step: str) -> None:
    if step not in allowed_steps(appointment):
        raise IllegalTransition(
            _l("“%(step)s” is not allowed while the appointment is “%(status)s”."),
            step=str(STEP_LABELS[step]),
            status=str(AppointmentStatus(appointment.status).label),
        )


def _move(session: Session, appointment: m.Appointment, step: str, actor, note: str = "") -> None:
    _check(appointment, step)
    appointment.status = TRANSITIONS[step][AppointmentStatus(appointment.status)]
    appointment.ended_at = clock.now()
    appointment.ended_by_id = getattr(actor, "id", None)
    appointment.end_note = (note or "").strip()[:500]


def cancel(session: Session, appointment: m.Appointment, actor, note: str = "") -> None:
    """Cancel and free the place."""
    _move(session, appointment, "cancel", actor, note)
    session.execute(
        sa.update(m.AppointmentSlot)
        .where(m.AppointmentSlot.id == appointment.slot_id, m.AppointmentSlot.booked > 0)
        .values(booked=m.AppointmentSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )


def no_show(session: Session, appointment: m.Appointment, actor, note: str = "") -> None:
    """Nobody came (on or after the day); the place is not given back."""
    _move(session, appointment, "no_show", actor, note)


def serve_with_case(session: Session, appointment: m.Appointment, actor, **case_fields) -> m.Case:
    """Turn the appointment into a case (the application, lifecycle.apply) in one step."""
    _check(appointment, "serve")
    case_fields.setdefault("applicant", appointment.applicant)
    case_fields.setdefault("item", appointment.item)
    case_fields.setdefault("handling_unit", appointment.unit)
    if case_fields.get("applicant") is None:
        raise _invalid("applicant", _l("Choose or register the applicant."))
    if case_fields.get("item") is None:
        raise _invalid("item", _l("Choose the service item."))
    case = lifecycle.apply(session, actor, **case_fields)
    appointment.case = case
    if appointment.applicant is None:
        appointment.applicant = case.applicant
    _move(session, appointment, "serve", actor, str(_l("Case %(number)s", number=case.number)))
    return case


def serve_with_walk_in(
    session: Session,
    appointment: m.Appointment,
    actor,
    *,
    specialist: m.Specialist | None,
    kind: WalkInKind = WalkInKind.GUIDED,
    note: str = "",
) -> m.WalkInHelp:
    """Record the appointment as walk-in help at its unit (窗口帮办记录) in one step."""
    _check(appointment, "serve")
    entry = m.WalkInHelp(
        unit_id=appointment.unit_id,
        specialist_id=specialist.id if specialist is not None else None,
        kind=kind,
        at=clock.now(),
        item_id=appointment.item_id,
        note=((note or "").strip() or str(_l("Appointment %(number)s", number=appointment.number)))[
            :500
        ],
    )
    session.add(entry)
    session.flush()
    appointment.walk_in = entry
    _move(session, appointment, "serve", actor, str(kind.label))
    return entry


def matching_applicant(session: Session, appointment: m.Appointment, scope) -> m.Applicant | None:
    """The one applicant in ``scope`` registered at the appointment's unit with its mobile (for
    a booking from the public page, which names no applicant record)."""
    if appointment.applicant is not None:
        return appointment.applicant
    found = list(
        session.execute(
            sa.select(m.Applicant)
            .where(
                m.Applicant.mobile == appointment.mobile,
                m.Applicant.unit_id == appointment.unit_id,
                scope.clause_for(m.Applicant),
            )
            .limit(2)
        ).scalars()
    )
    return found[0] if len(found) == 1 else None
