"""The appointments at the desk: the day's list of the user's units, booking for an applicant,
and serving an appointment as a case or a walk-in record in one step; a manager's slot pattern.

Everything reads through the scope (app/scope.py): an appointment outside it answers 404, a
unit outside it cannot be booked or patterned. Status changes go through
app/appointments/service.py and commit once (app/unit_of_work.py).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app import models as m
from app import pickers
from app.appointments import service
from app.cases import forms
from app.cases.access import my_specialist, scoped_units
from app.cases.views import _attach_errors, _prepare_apply
from app.domain import clock
from app.domain.errors import DomainError, ValidationFailed
from app.enums import AppointmentChannel, ServiceKind, SlotPeriod, WalkInKind
from app.extensions import db
from app.scope import current_scope
from app.unit_of_work import unit_of_work

WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
MAX_TEXT = 500


def parse_day(value: str | None, default: dt.date | None = None) -> dt.date | None:
    """A date from ``YYYY-MM-DD``; missing → ``default``; malformed → 400."""
    if value is None or not value.strip():
        return default
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        abort(400, _("Give the date as YYYY-MM-DD."))


def parse_period(value: str | None) -> SlotPeriod | None:
    if not value:
        return None
    try:
        return SlotPeriod(value)
    except ValueError:
        abort(400, _("Unknown period."))


def parse_id(value) -> int | None:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 2**31 - 1:
        abort(400, _("Give the id of a record."))
    return int(text)


def load_appointment(pk) -> m.Appointment:
    """The appointment if it is in the user's scope, else 404."""
    if not isinstance(pk, int) or not 1 <= pk <= 2**31 - 1:
        abort(404)
    found = db.session.execute(
        sa.select(m.Appointment).where(
            m.Appointment.id == pk, current_scope().clause_for(m.Appointment)
        )
    ).scalar_one_or_none()
    if found is None:
        abort(404)
    return found


def unit_in_scope(unit_id: int | None) -> m.OrgUnit | None:
    if unit_id is None:
        return None
    return next((u for u in scoped_units() if u.id == unit_id), None)


def active_items() -> list[m.ServiceItem]:
    return list(
        db.session.execute(
            sa.select(m.ServiceItem)
            .where(m.ServiceItem.active.is_(True))
            .order_by(m.ServiceItem.code)
        ).scalars()
    )


class AppointmentDeskView(BaseView):
    """预约: the day's appointments of the user's units, booking, serving; the slot pattern."""

    route_base = "/appointments"
    default_view = "index"

    # -- the day's list -----------------------------------------------------------

    @expose("/")
    @has_access
    def index(self):
        day = parse_day(request.args.get("day"), clock.today())
        rows = list(
            db.session.execute(
                sa.select(m.Appointment)
                .where(m.Appointment.day == day, current_scope().clause_for(m.Appointment))
                .options(
                    selectinload(m.Appointment.unit),
                    selectinload(m.Appointment.item),
                    selectinload(m.Appointment.applicant),
                    selectinload(m.Appointment.case),
                )
                .order_by(m.Appointment.unit_id, m.Appointment.period, m.Appointment.created_at)
            ).scalars()
        )
        order = {p: i for i, p in enumerate(SlotPeriod)}
        rows.sort(key=lambda a: (a.unit.path, order[SlotPeriod(a.period)], a.created_at))
        return self.render_template(
            "appointments/day.html",
            day=day,
            previous=day - dt.timedelta(days=1),
            following=day + dt.timedelta(days=1),
            rows=rows,
            steps={a.id: service.allowed_steps(a) for a in rows},
            walk_in_kinds=list(WalkInKind),
            title=_("Appointments"),
        )

    # -- booking for an applicant ----------------------------------------------------

    @expose("/book", methods=["GET", "POST"])
    @has_access
    @permission_name("record")
    def book(self):
        units = scoped_units()
        scope = current_scope()
        values = request.form if request.method == "POST" else request.args
        unit_id = parse_id(values.get("unit")) or scope.unit_id
        unit = unit_in_scope(unit_id) or (units[0] if units else None)
        applicant = pickers.applicant_in_scope(db.session, parse_id(values.get("applicant")))
        errors: dict = {}
        if request.method == "POST":
            item_id = parse_id(request.form.get("item"))
            try:
                with unit_of_work(db.session):
                    appointment = service.book(
                        db.session,
                        unit=unit_in_scope(parse_id(request.form.get("unit"))),
                        day=parse_day(request.form.get("day")),
                        period=parse_period(request.form.get("period")),
                        name=request.form.get("name", "")[:MAX_TEXT],
                        mobile=request.form.get("mobile", "")[:40],
                        channel=AppointmentChannel.STAFF,
                        actor=g.user,
                        applicant=applicant,
                        item=db.session.get(m.ServiceItem, item_id) if item_id else None,
                        note=request.form.get("note", "")[:MAX_TEXT],
                    )
            except ValidationFailed as error:
                errors = {k: str(v) for k, v in error.errors.items()}
                flash(str(error), "danger")
            except DomainError as error:
                flash(str(error), "danger")
            else:
                flash(
                    _(
                        "Appointment %(number)s booked: %(day)s %(period)s.",
                        number=appointment.number,
                        day=appointment.day.isoformat(),
                        period=str(SlotPeriod(appointment.period).label),
                    ),
                    "success",
                )
                return redirect(url_for(".index", day=appointment.day.isoformat()))
        first, last = service.booking_window(db.session, AppointmentChannel.STAFF)
        openings = (
            service.openings(db.session, unit, first, (last - first).days + 1) if unit else []
        )
        return self.render_template(
            "appointments/book.html",
            units=units,
            unit=unit,
            applicant=applicant,
            applicant_label=pickers.applicant_label(applicant) if applicant else "",
            quick=pickers.QuickApplicantForm(formdata=None, prefix="new_applicant"),
            items=active_items(),
            periods=list(SlotPeriod),
            openings=openings,
            values=values,
            errors=errors,
            first=first,
            last=last,
            title=_("Book an appointment"),
        )

    # -- serving ----------------------------------------------------------------------

    @expose("/<int:pk>/case", methods=["GET", "POST"])
    @has_access
    @permission_name("record")
    def case(self, pk):
        """The application form, filled in from the appointment; saving it serves it."""
        appointment = load_appointment(pk)
        if "serve" not in service.allowed_steps(appointment):
            flash(_("This appointment cannot be served now."), "danger")
            return redirect(url_for(".index", day=appointment.day.isoformat()))
        form = forms.ApplyForm(request.form if request.method == "POST" else None)
        if request.method == "GET":
            chosen = service.matching_applicant(db.session, appointment, current_scope())
            form.applicant.data = chosen.id if chosen is not None else None
            form.needs.data = appointment.note or ""
        _prepare_apply(form)
        if request.method == "GET":
            if appointment.item_id:
                form.item.data = appointment.item_id
            form.handling_unit.data = appointment.unit_id
        elif form.validate():
            s = db.session
            kind = ServiceKind(form.kind.data)
            try:
                with unit_of_work(s):
                    created = service.serve_with_case(
                        s,
                        service.lock(s, appointment.id),
                        g.user,
                        applicant=pickers.applicant_in_scope(s, form.applicant.data),
                        item=s.get(m.ServiceItem, form.item.data),
                        kind=kind,
                        help_types=[]
                        if kind == ServiceKind.PROXY
                        else list(form.help_types.data or []),
                        major_project=form.major_project.data,
                        needs=form.needs.data.strip(),
                        handling_unit=unit_in_scope(form.handling_unit.data),
                        specialist=s.get(m.Specialist, form.specialist.data),
                        ack_voluntary=form.ack_voluntary.data,
                        ack_free=form.ack_free.data,
                        ack_truthful=form.ack_truthful.data,
                        hotline_ticket=form.hotline_ticket.data,
                    )
            except ValidationFailed as error:
                _attach_errors(form, error)
                flash(str(error), "danger")
            except DomainError as error:
                flash(str(error), "danger")
            else:
                flash(_("Case %(number)s created.", number=created.number), "success")
                return redirect(url_for("CaseView.show", pk=created.id))
        title = _("Start a case from appointment %(number)s", number=appointment.number)
        return self.render_template("case/apply.html", form=form, title=title)

    @expose("/<int:pk>/walkin", methods=["POST"])
    @has_access
    @permission_name("record")
    def walkin(self, pk):
        appointment = load_appointment(pk)
        try:
            kind = WalkInKind(request.form.get("kind") or WalkInKind.GUIDED.value)
        except ValueError:
            abort(400, _("Unknown kind of help."))
        try:
            with unit_of_work(db.session):
                service.serve_with_walk_in(
                    db.session,
                    service.lock(db.session, appointment.id),
                    g.user,
                    specialist=my_specialist(),
                    kind=kind,
                    note=request.form.get("note", "")[:MAX_TEXT],
                )
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("Recorded: %(kind)s.", kind=str(kind.label)), "success")
        return redirect(url_for(".index", day=appointment.day.isoformat()))

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    @permission_name("record")
    def cancel(self, pk):
        return self._end(pk, service.cancel, _("Appointment cancelled."))

    @expose("/<int:pk>/no_show", methods=["POST"])
    @has_access
    @permission_name("record")
    def no_show(self, pk):
        return self._end(pk, service.no_show, _("Marked as not come."))

    def _end(self, pk, step, done):
        appointment = load_appointment(pk)
        try:
            with unit_of_work(db.session):
                step(
                    db.session,
                    service.lock(db.session, appointment.id),
                    g.user,
                    request.form.get("note", "")[:MAX_TEXT],
                )
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(done, "success")
        return redirect(url_for(".index", day=appointment.day.isoformat()))

    # -- the slot pattern ---------------------------------------------------------------

    @expose("/pattern", methods=["GET", "POST"])
    @has_access
    @permission_name("pattern")
    def pattern(self):
        units = scoped_units()
        values = request.form if request.method == "POST" else request.args
        given = parse_id(values.get("unit"))
        unit = unit_in_scope(given or current_scope().unit_id)
        if given is not None and unit is None:
            abort(404)  # a unit outside the scope is answered as one that does not exist
        if unit is None and units:
            unit = units[0]
        errors: dict = {}
        if request.method == "POST" and unit is not None:
            capacities, errors = {}, {}
            for weekday in range(7):
                for period in SlotPeriod:
                    name = f"{weekday}_{period.value}"
                    raw = (request.form.get(name) or "0").strip()
                    if not (raw.isascii() and raw.isdigit()) or int(raw) > service.MAX_CAPACITY:
                        errors[name] = _(
                            "Give a number of places from 0 to %(max)s.",
                            max=service.MAX_CAPACITY,
                        )
                        continue
                    capacities[(weekday, period)] = int(raw)
            if errors:
                flash(next(iter(errors.values())), "danger")
            else:
                try:
                    with unit_of_work(db.session):
                        service.save_pattern(db.session, unit, capacities)
                except DomainError as error:
                    flash(str(error), "danger")
                else:
                    flash(_("Slot pattern of %(unit)s saved.", unit=unit.name), "success")
                    return redirect(url_for(".pattern", unit=unit.id))
        current = service.load_pattern(db.session, unit.id) if unit is not None else {}
        return self.render_template(
            "appointments/pattern.html",
            units=units,
            unit=unit,
            weekdays=list(enumerate(WEEKDAYS)),
            periods=list(SlotPeriod),
            current=current,
            values=request.form if request.method == "POST" else {},
            errors=errors,
            title=_("Appointment slots"),
        )
