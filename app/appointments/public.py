"""网上预约, public (no log-in): choose a service center, a day and a period with free places, give
a name and a mobile and the check code; the answer is the appointment number. An appointment
is cancelled here with its number and its mobile. Rate-limited like the progress inquiry
(per address, per network, overall: app/desk/views.py ``install``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from app import checkcode
from app import models as m
from app.appointments import service
from app.appointments.views import active_items, parse_day, parse_id, parse_period
from app.desk.views import _network_of_client
from app.domain.errors import DomainError, ValidationFailed
from app.enums import AppointmentChannel, AppointmentStatus
from app.extensions import db
from app.unit_of_work import unit_of_work
from app.validators import normalize_mobile

PUBLIC_DAYS_SHOWN = 14


def public_units() -> list[m.OrgUnit]:
    return list(
        db.session.execute(
            sa.select(m.OrgUnit).where(m.OrgUnit.active.is_(True)).order_by(m.OrgUnit.path)
        ).scalars()
    )


class PublicBookingView(BaseView):
    """The public booking page (网上预约) and its check code."""

    route_base = "/booking"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    def index(self):
        values = request.form if request.method == "POST" else request.args
        unit_id = parse_id(values.get("unit"))
        unit = db.session.get(m.OrgUnit, unit_id) if unit_id else None
        if unit is not None and not unit.active:
            unit = None
        errors: dict = {}
        booked = None
        message = None
        if request.method == "POST":
            if not checkcode.verify("booking", request.form.get("check_code")):
                errors["check_code"] = _("The check code is not right. Type the new one.")
                message = errors["check_code"]
            else:
                item_id = parse_id(request.form.get("item"))
                # the chosen opening, "YYYY-MM-DD|period"
                day_text, _sep, period_text = (request.form.get("slot") or "").partition("|")
                try:
                    with unit_of_work(db.session):
                        booked = service.book(
                            db.session,
                            unit=unit,
                            day=parse_day(day_text),
                            period=parse_period(period_text),
                            name=request.form.get("name", "")[:200],
                            mobile=request.form.get("mobile", "")[:40],
                            channel=AppointmentChannel.PUBLIC,
                            item=db.session.get(m.ServiceItem, item_id) if item_id else None,
                            note=request.form.get("note", "")[:500],
                        )
                except ValidationFailed as error:
                    errors = {k: str(v) for k, v in error.errors.items()}
                    message = str(error)
                except DomainError as error:
                    message = str(error)
        first, last = service.booking_window(db.session, AppointmentChannel.PUBLIC)
        days = min((last - first).days + 1, PUBLIC_DAYS_SHOWN)
        openings = service.openings(db.session, unit, first, days) if unit is not None else []
        return self.render_template(
            "appointments/public.html",
            units=public_units(),
            unit=unit,
            items=active_items(),
            openings=[o for o in openings if o.free],
            values={} if booked else values,
            errors=errors,
            message=message,
            booked=booked,
            title=_("Book an appointment online"),
        )

    @expose("/checkcode.svg")
    def check_code(self):
        return checkcode.image("booking")

    @expose("/cancel", methods=["POST"])
    def cancel(self):
        number = (request.form.get("number") or "").strip().upper()[:20]
        mobile = normalize_mobile((request.form.get("mobile") or "")[:40])
        found = None
        if number and mobile:
            found = db.session.execute(
                sa.select(m.Appointment).where(
                    m.Appointment.number == number, m.Appointment.mobile == mobile
                )
            ).scalar_one_or_none()
        message, done = _("No booked appointment matches this number and mobile."), False
        if found is not None and found.status == AppointmentStatus.BOOKED:
            try:
                with unit_of_work(db.session):
                    service.cancel(
                        db.session,
                        service.lock(db.session, found.id),
                        None,
                        _("Cancelled by the applicant online."),
                    )
            except DomainError as error:
                message = str(error)
            else:
                message, done = _("Your appointment %(number)s is cancelled.", number=number), True
        return self.render_template(
            "appointments/public_cancel.html",
            message=message,
            done=done,
            title=_("Cancel an appointment"),
        )


def install(appbuilder) -> None:
    """Rate limits of the public booking page's POSTs (booking and cancelling)."""
    view = next(v for v in appbuilder.baseviews if isinstance(v, PublicBookingView))
    limiter = appbuilder.sm.limiter
    limiter.limit(
        lambda: current_app.config.get("BOOKING_RATE_LIMIT", "5 per minute;30 per hour"),
        methods=["POST"],
    )(view.blueprint)
    limiter.limit(
        lambda: current_app.config.get("BOOKING_NETWORK_RATE_LIMIT", "20 per minute;200 per hour"),
        key_func=_network_of_client,
        methods=["POST"],
    )(view.blueprint)
    limiter.limit(
        lambda: current_app.config.get("BOOKING_GLOBAL_RATE_LIMIT", "120 per minute"),
        key_func=lambda: "booking-all",
        methods=["POST"],
    )(view.blueprint)
