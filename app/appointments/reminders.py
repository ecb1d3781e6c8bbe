"""The SMS the day before an appointment: a reminder kind of the sweep (app/reminders/kinds.py).

From ``appointments.reminder_hour`` on the day before, every appointment still booked for the
next day is due once: its key (``appointment_sms:<id>:<day>``) is written once whatever the
number of sweeps, and the outbox defers it past the SMS quiet hours. The text names the day,
so a message that goes out late still reads right. No SMS when the gateway is off. The text is
in the center's SMS language with its registered signature (app/reminders/sms_templates.py);
its wording is the template kind ``appointment`` an Admin edits there.

A message written but not yet sent (deferred past the quiet hours, or waiting for a worker)
is checked again when it is sent (``still_due``, called by app/reminders/channels.py with the
appointment row share-locked): it goes out only if the appointment is still booked for the day
it names. A cancelled, served or moved appointment's message is withdrawn, not sent.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app import models as m
from app.domain import clock
from app.enums import AppointmentStatus, SlotPeriod

KIND = "appointment_sms"


def appointment_tomorrow(ctx) -> list:
    """Appointments booked for tomorrow, each one SMS to the mobile it was booked with."""
    # cycle: app/reminders/kinds.py imports this kind (the reminders package loads kinds)
    from app.reminders import channels
    from app.reminders.kinds import Due

    if ctx.now.astimezone(clock.TZ).hour < ctx.setting("appointments.reminder_hour"):
        return []
    if channels.sms_gateway_name() == "off":
        return []
    tomorrow = ctx.today + dt.timedelta(days=1)
    rows = ctx.session.execute(
        sa.select(m.Appointment)
        .where(m.Appointment.day == tomorrow, m.Appointment.status == AppointmentStatus.BOOKED)
        .options(selectinload(m.Appointment.unit), selectinload(m.Appointment.item))
        .order_by(m.Appointment.id)
    ).scalars()
    out = []
    for appointment in rows:
        out.append(
            Due(
                KIND,
                dedup_key(appointment),
                [],
                lambda a=appointment: _render(ctx.session, a),
                None,
                {"sms_to": appointment.mobile},
            )
        )
    return out


def dedup_key(a: m.Appointment) -> str:
    """The reminder's key: the appointment and the day the message names."""
    return f"{KIND}:{a.id}:{a.day.isoformat()}"


def _render(session, a: m.Appointment) -> tuple[str, str]:
    """(subject, body) of one appointment's reminder in the center's SMS language: the Admin's
    wording of the template kind ``appointment`` (app/reminders/sms_templates.py)."""
    # cycle: app/reminders/kinds.py imports this kind (the reminders package loads kinds)
    from app.reminders import sms_templates

    period = SlotPeriod(a.period)
    language = sms_templates.sms_language(session)
    with force_locale(language):
        values = {
            "number": a.number,
            "day": a.day.isoformat(),
            "period": str(period.label),
            "hours": period.hours,
            "unit": a.unit.name,
            "item": a.item.name if a.item is not None else _("your matter"),
        }
        body = sms_templates.compose(session, "appointment", values, language)
        return _("Appointment %(number)s", number=a.number), body


def still_due(session, notification: m.Notification) -> str | None:
    """At send time: None while the appointment is still booked for the day the message names,
    else why the message is withdrawn. The appointment row is share-locked until the send's
    commit, so a cancel at the same moment waits for it or is seen by it."""
    # appointment_sms:<id>:<day>, and the sweep's channel after it (":sms")
    parts = notification.dedup_key.split(":")
    appointment_id, day = (parts[1], parts[2]) if len(parts) >= 3 else ("", "")
    if not appointment_id.isdigit():
        return "not an appointment's reminder"
    appointment = session.execute(
        sa.select(m.Appointment)
        .where(m.Appointment.id == int(appointment_id))
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if appointment is None:
        return "the appointment is gone"
    if appointment.status != AppointmentStatus.BOOKED:
        return f"the appointment is {AppointmentStatus(appointment.status).value}"
    if appointment.day.isoformat() != day:
        return f"the appointment moved to {appointment.day.isoformat()}"
    return None
