"""The SMS the day before an appointment: a reminder kind of the sweep (app/reminders/kinds.py).

From ``appointments.reminder_hour`` on the day before, every appointment still booked for the
next day is due once: its key (``appointment_sms:<id>:<day>``) is written once whatever the
number of sweeps, and the outbox defers it past the SMS quiet hours. The text names the day,
so a message that goes out late still reads right. No SMS when the gateway is off. The text is
in the center's SMS language with its registered signature (app/reminders/sms_templates.py);
its wording is the template kind ``appointment`` an Admin edits there.
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
    from app.reminders import channels, sms_templates
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

        def render(a=appointment):
            period = SlotPeriod(a.period)
            language = sms_templates.sms_language(ctx.session)
            with force_locale(language):
                return _render(ctx.session, a, period, language)

        out.append(
            Due(
                KIND,
                f"{KIND}:{appointment.id}:{appointment.day.isoformat()}",
                [],
                render,
                None,
                {"sms_to": appointment.mobile},
            )
        )
    return out


def _render(session, a: m.Appointment, period: SlotPeriod, language: str) -> tuple[str, str]:
    """(subject, body) of one appointment's reminder, in the current locale: the Admin's
    wording of the template kind ``appointment`` (app/reminders/sms_templates.py)."""
    # cycle: app/reminders/kinds.py imports this kind (the reminders package loads kinds)
    from app.reminders import sms_templates

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
