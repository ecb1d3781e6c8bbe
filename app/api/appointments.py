"""Appointments (预约) over the API: read the appointments in the caller's scope, the free places
of a unit, book, cancel, mark a no-show, and serve one as a case or a walk-in record.

Every write runs through app/appointments/service.py, as the desk's screens do, and commits
once. Answers: 404 out of scope, 409 for a full slot or a step the appointment's status does
not allow (nothing changes), 422 naming each invalid field, 400 for a body that is not JSON.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import g, request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app import models as m
from app import pickers
from app.api.answers import route
from app.api.base import MASK_MOBILE, ScopedModelRestApi, not_found
from app.api.errors import invalid
from app.appointments import service
from app.cases.access import my_specialist
from app.enums import AppointmentChannel, HelpType, ServiceKind, SlotPeriod, WalkInKind
from app.extensions import db
from app.ledger.appointments import appointment_figures
from app.ledger.filters import LedgerFilter
from app.scope import current_scope

TEXT = validate.Length(max=500)


def _id(**kw):
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1), **kw)


class BookSchema(Schema):
    """A booking: the unit, day and period, and who comes (an applicant record or a name and a
    mobile)."""

    __component_name__ = "AppointmentBook"

    class Meta:
        unknown = RAISE

    unit = _id(required=True)
    day = fields.Date(required=True)
    period = fields.Enum(SlotPeriod, by_value=True, required=True)
    applicant = _id(load_default=None, allow_none=True)
    name = fields.String(load_default="", validate=validate.Length(max=200))
    mobile = fields.String(load_default="", validate=validate.Length(max=40))
    item = _id(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=TEXT)


class EndSchema(Schema):
    __component_name__ = "AppointmentEnd"

    class Meta:
        unknown = RAISE

    note = fields.String(load_default="", validate=TEXT)


class ServeCaseSchema(Schema):
    """The application (as ``POST /api/v1/case/``); applicant, item and unit default to the
    appointment's."""

    __component_name__ = "AppointmentServeCase"

    class Meta:
        unknown = RAISE

    applicant = _id(load_default=None, allow_none=True)
    item = _id(load_default=None, allow_none=True)
    kind = fields.Enum(ServiceKind, by_value=True, required=True)
    help_types = fields.List(fields.Enum(HelpType, by_value=True), load_default=list)
    major_project = fields.Boolean(load_default=False)
    needs = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    specialist = _id(load_default=None, allow_none=True)
    ack_voluntary = fields.Boolean(load_default=False)
    ack_free = fields.Boolean(load_default=False)
    ack_truthful = fields.Boolean(load_default=False)


class ServeWalkInSchema(Schema):
    __component_name__ = "AppointmentServeWalkIn"

    class Meta:
        unknown = RAISE

    kind = fields.Enum(WalkInKind, by_value=True, load_default=WalkInKind.GUIDED)
    note = fields.String(load_default="", validate=TEXT)


def _doc(summary: str, schema: str, description: str) -> str:
    return f"""{summary}
        ---
        post:
          summary: {summary}
          description: >-
            {description}
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{schema}'
          responses:
            200:
              description: The appointment after the step
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/AppointmentAnswer'
        """


class AppointmentApi(ScopedModelRestApi):
    resource_name = "appointment"
    datamodel = SQLAInterface(m.Appointment)
    include_route_methods = {
        "get_list",
        "get",
        "post",
        "openings",
        "figures",
        "cancel",
        "no_show",
        "serve_case",
        "serve_walk_in",
    }
    read_only_columns = ("id", "status", "number")
    list_columns = [
        "id",
        "number",
        "unit.id",
        "unit.name",
        "day",
        "period",
        "name",
        "mobile",
        "applicant.id",
        "item.id",
        "item.name",
        "channel",
        "status",
        "case.id",
        "case.number",
        "walk_in.id",
        "created_at",
    ]
    show_columns = [*list_columns, "note", "ended_at", "end_note"]
    add_columns = list(BookSchema._declared_fields)
    search_columns = ["number", "unit", "day", "period", "status", "channel", "item", "applicant"]
    order_columns = ["day", "created_at", "number", "status", "period"]
    base_order = ("day", "asc")
    masked_columns = MASK_MOBILE
    audit_reveals = "appointment"
    openapi_spec_component_schemas = (BookSchema, EndSchema, ServeCaseSchema, ServeWalkInSchema)

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        api_spec.components.schema(
            "AppointmentAnswer",
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "result": {"$ref": "#/components/schemas/AppointmentApi.get"},
                },
                "required": ["id", "result"],
            },
        )

    def answer(self, appointment: m.Appointment, status: int = 200, **extra):
        row = self.show_model_schema.dump(appointment)
        self._mask([row])
        return self.response(status, id=appointment.id, result=row, **extra)

    def _body(self, schema: Schema):
        """The loaded body, or (None, the error answer)."""
        data, failed = self.optional_body()
        if failed is not None:
            return None, failed
        try:
            return schema.load(data), None
        except ValidationError as err:
            return None, invalid(err.messages)

    # -- free places -------------------------------------------------------------

    @route("GET", "/openings", permission="get", errors=(400, 404))
    def openings(self):
        """The periods with places at a unit in the caller's scope
        ---
        get:
          parameters:
          - in: query
            name: unit
            required: true
            schema:
              type: integer
          - in: query
            name: from
            schema:
              type: string
              format: date
          - in: query
            name: days
            schema:
              type: integer
              minimum: 1
              maximum: 62
          responses:
            200:
              description: Each period with places, booked or not
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count:
                        type: integer
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            day:
                              type: string
                              format: date
                            period:
                              type: string
                            capacity:
                              type: integer
                            booked:
                              type: integer
                            free:
                              type: integer
        """
        unit_text = request.args.get("unit", "")
        days_text = request.args.get("days", "14")
        if not (unit_text.isascii() and unit_text.isdigit()) or not (
            days_text.isascii() and days_text.isdigit() and 1 <= int(days_text) <= 62
        ):
            return self.response_400(_("Give the unit's id and from 1 to 62 days."))
        first = service.booking_window(db.session, AppointmentChannel.API)[0]
        if request.args.get("from"):
            try:
                first = dt.date.fromisoformat(request.args["from"])
            except ValueError:
                return self.response_400(_("Give the date as YYYY-MM-DD."))
        unit = self._unit(int(unit_text))
        if unit is None:
            return not_found()
        found = service.openings(db.session, unit, first, int(days_text))
        rows = [
            {
                "day": o.day.isoformat(),
                "period": o.period.value,
                "capacity": o.capacity,
                "booked": o.booked,
                "free": o.free,
            }
            for o in found
        ]
        return self.response(200, count=len(rows), result=rows)

    # -- the statistics ----------------------------------------------------------------

    @route("GET", "/figures", permission="get", errors=(400, 404))
    def figures(self):
        """The appointments of the days from/to in the caller's scope (or a unit's subtree in it),
        counted as the dashboard counts them
        ---
        get:
          parameters:
          - in: query
            name: from
            required: true
            schema:
              type: string
              format: date
          - in: query
            name: to
            required: true
            schema:
              type: string
              format: date
          - in: query
            name: unit
            schema:
              type: integer
          responses:
            200:
              description: >-
                booked, case, walk_in, no_show, cancelled, pending, served, after_hours,
                attendance_rate (served of served and no-show; null when none), by_channel and
                by_period (key, label, count)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: object
        """
        try:
            start = dt.date.fromisoformat(request.args.get("from", ""))
            end = dt.date.fromisoformat(request.args.get("to", ""))
        except ValueError:
            return self.response_400(_("Give the date as YYYY-MM-DD."))
        if end < start:
            return self.response_400(_("The end date is before the start date."))
        unit_text = request.args.get("unit", "")
        unit_id = None
        if unit_text:
            if not (unit_text.isascii() and unit_text.isdigit()) or int(unit_text) > 2**31 - 1:
                return self.response_400(_("Give the id of a record."))
            unit = db.session.get(m.OrgUnit, int(unit_text))
            if unit is None or not current_scope().contains_unit(unit):
                return not_found()
            unit_id = unit.id
        flt = LedgerFilter(date_from=start, date_to=end, unit_id=unit_id)
        return self.response(200, result=appointment_figures(db.session, current_scope(), flt))

    def _unit(self, unit_id: int | None) -> m.OrgUnit | None:
        if unit_id is None or not 1 <= unit_id <= 2**31 - 1:
            return None
        return db.session.execute(
            sa.select(m.OrgUnit).where(
                m.OrgUnit.id == unit_id,
                m.OrgUnit.active.is_(True),
                current_scope().clause_for(m.OrgUnit),
            )
        ).scalar_one_or_none()

    # -- booking ---------------------------------------------------------------------

    def post_headless(self):
        fields_, failed = self._body(BookSchema())
        if failed is not None:
            return failed
        s = db.session
        errors = {}
        unit = self._unit(fields_["unit"])
        if unit is None:
            errors["unit"] = [_("No such record, or not one you may use.")]
        applicant = None
        if fields_["applicant"] is not None:
            applicant = pickers.applicant_in_scope(s, fields_["applicant"])
            if applicant is None:
                errors["applicant"] = [_("No such record, or not one you may use.")]
        item = s.get(m.ServiceItem, fields_["item"]) if fields_["item"] else None
        if fields_["item"] and item is None:
            errors["item"] = [_("No such record, or not one you may use.")]
        if errors:
            return invalid(errors)
        appointment, failed = self.save(
            lambda: service.book(
                s,
                unit=unit,
                day=fields_["day"],
                period=fields_["period"],
                name=fields_["name"],
                mobile=fields_["mobile"],
                channel=AppointmentChannel.API,
                actor=g.user,
                applicant=applicant,
                item=item,
                note=fields_["note"],
            )
        )
        if failed is not None:
            return failed
        return self.answer(appointment, 201)

    @route("POST", "/", permission="post", errors=(400, 409, 422))
    def post(self):
        """Book an appointment
        ---
        post:
          description: >-
            Takes a place in the slot of `period` on `day` at `unit` (a unit in the caller's
            scope), for an applicant record or a name and a mobile. 409 when the slot is full
            or gives no service that day; 422 naming each invalid field.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/AppointmentBook'
          responses:
            201:
              description: The appointment
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/AppointmentAnswer'
        """
        return self.post_headless()

    # -- steps -----------------------------------------------------------------------

    def _step(self, pk, schema: Schema, run):
        appointment = self.load_item(pk)
        if appointment is None:
            return not_found()
        fields_, failed = self._body(schema)
        if failed is not None:
            return failed
        s = db.session

        def step():
            locked = service.lock(s, appointment.id)
            return locked, run(s, locked, fields_) or {}

        done, failed = self.save(step)
        if failed is not None:
            return failed
        locked, extra = done
        return self.answer(locked, **extra)

    @route("POST", "/<int:pk>/cancel", permission="step", errors=(400, 404, 409, 422))
    def cancel(self, pk):
        return self._step(pk, EndSchema(), lambda s, a, f: service.cancel(s, a, g.user, f["note"]))

    cancel.__doc__ = _doc(
        "Cancel an appointment",
        "AppointmentEnd",
        "A booked appointment is cancelled and its place freed.",
    )

    @route("POST", "/<int:pk>/no_show", permission="step", errors=(400, 404, 409, 422))
    def no_show(self, pk):
        return self._step(pk, EndSchema(), lambda s, a, f: service.no_show(s, a, g.user, f["note"]))

    no_show.__doc__ = _doc(
        "Mark that nobody came",
        "AppointmentEnd",
        "On or after the appointment's day; the place is not given back.",
    )

    @route("POST", "/<int:pk>/case", permission="step", errors=(400, 404, 409, 422))
    def serve_case(self, pk):
        appointment = self.load_item(pk)
        if appointment is None:
            return not_found()
        f, failed = self._body(ServeCaseSchema())
        if failed is not None:
            return failed
        s = db.session
        unknown = [_("No such record, or not one you may use.")]
        chosen, errors = {}, {}
        if f["applicant"] is not None:
            chosen["applicant"] = pickers.applicant_in_scope(s, f["applicant"])
            if chosen["applicant"] is None:
                errors["applicant"] = unknown
        if f["item"] is not None:
            chosen["item"] = s.get(m.ServiceItem, f["item"])
            if chosen["item"] is None or not chosen["item"].active:
                errors["item"] = unknown
        if f["specialist"] is not None:
            chosen["specialist"] = s.execute(
                sa.select(m.Specialist).where(
                    m.Specialist.id == f["specialist"],
                    m.Specialist.active.is_(True),
                    current_scope().clause_for(m.Specialist),
                )
            ).scalar_one_or_none()
            if chosen["specialist"] is None:
                errors["specialist"] = unknown
        if errors:
            return invalid(errors)
        kind = f["kind"]

        def serve():
            locked = service.lock(s, appointment.id)
            case = service.serve_with_case(
                s,
                locked,
                g.user,
                kind=kind,
                help_types=[] if kind == ServiceKind.PROXY else [h.value for h in f["help_types"]],
                major_project=f["major_project"],
                needs=f["needs"].strip(),
                ack_voluntary=f["ack_voluntary"],
                ack_free=f["ack_free"],
                ack_truthful=f["ack_truthful"],
                **chosen,
            )
            return locked, case

        done, failed = self.save(serve)
        if failed is not None:
            return failed
        locked, case = done
        return self.answer(locked, case={"id": case.id, "number": case.number})

    serve_case.__doc__ = _doc(
        "Serve the appointment as a case",
        "AppointmentServeCase",
        "Applies for a case (as POST /api/v1/case/) with the appointment's applicant, item and "
        "unit unless the body names others, and marks the appointment served; the answer "
        "carries the case's id and number.",
    )

    @route("POST", "/<int:pk>/walk_in", permission="step", errors=(400, 404, 409, 422))
    def serve_walk_in(self, pk):
        def run(s, appointment, f):
            entry = service.serve_with_walk_in(
                s, appointment, g.user, specialist=my_specialist(), kind=f["kind"], note=f["note"]
            )
            return {"walk_in": {"id": entry.id}}

        return self._step(pk, ServeWalkInSchema(), run)

    serve_walk_in.__doc__ = _doc(
        "Serve the appointment as walk-in help",
        "AppointmentServeWalkIn",
        "Records walk-in help at the appointment's unit and marks it served.",
    )
