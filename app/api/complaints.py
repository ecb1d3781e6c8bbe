"""The complaint resource (“办不成事”): read in scope, take in (``POST /api/v1/complaint/``),
run a step (``POST /api/v1/complaint/<pk>/<step>``), its timeline and the figures.

Every write goes through app/complaints/service.py, exactly as the desk screens do: 404 out of
scope, 409 for a step the status does not allow or a stale ``version``, 422 naming each field.
"""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _

from app import models as m
from app.api.answers import route
from app.api.base import ScopedModelRestApi, domain_error_response, not_found
from app.complaints import queries, service
from app.complaints.schemas import STEP_SCHEMAS, IntakeSchema
from app.domain.errors import DomainError
from app.scope import current_scope

COLUMNS = [
    "id",
    "number",
    "unit.id",
    "unit.name",
    "channel",
    "status",
    "complainant",
    "mobile",
    "matter",
    "hotline_ticket",
    "item.id",
    "item.name",
    "case.id",
    "case.number",
    "handler.id",
    "handler.name",
    "received_at",
    "due_date",
    "department.id",
    "department.name",
    "transferred_at",
    "transfer_days",
    "transfer_due",
    "replied_at",
    "reply",
    "called_back_at",
    "callback_result",
    "satisfied",
    "archived_at",
    "version_id",
]

STEP_DOC = """Run a step of the complaint's lifecycle
---
post:
  summary: Run a step of the complaint's lifecycle
  description: >-
    `step` is one of coordinate, transfer, reply, call_back, archive (bodies
    ComplaintStep.<step>). 409 when the status does not allow it or `version` is stale,
    422 naming each invalid field, 404 outside the caller's scope.
  parameters:
  - in: path
    schema:
      type: string
      enum: [coordinate, transfer, reply, call_back, archive]
    name: step
  requestBody:
    required: true
    content:
      application/json:
        schema:
          type: object
  responses:
    200:
      description: The complaint after the step
"""


def event_row(e: m.ComplaintEvent) -> dict:
    return {
        "id": e.id,
        "kind": e.kind.value,
        "label": str(e.kind.label),
        "at": e.at.isoformat(),
        "actor": e.actor.username if e.actor else None,
        "from_status": e.from_status.value if e.from_status else None,
        "to_status": e.to_status.value if e.to_status else None,
        "note": e.note,
        "data": e.data or {},
    }


class ComplaintApi(ScopedModelRestApi):
    resource_name = "complaint"
    datamodel = SQLAInterface(m.Complaint)
    include_route_methods = {"get", "get_list", "post", "step", "timeline", "figures"}
    read_only_columns = ("id", "status", "number", "version_id")
    list_columns = COLUMNS
    show_columns = COLUMNS
    add_columns = list(IntakeSchema._declared_fields)
    # ``mobile`` is masked for everyone, as on the complaint screens (app/masking.py
    # NEVER_REVEALED, applied by the base class); its one filter is the whole number.
    search_columns = ["number", "status", "channel", "hotline_ticket", "unit", "due_date", "mobile"]
    order_columns = ["number", "received_at", "due_date", "status"]
    base_order = ("received_at", "desc")
    openapi_spec_component_schemas = (IntakeSchema, *STEP_SCHEMAS.values())

    def answer(self, complaint: m.Complaint, status: int = 200, **extra):
        result = self.show_model_schema.dump(complaint)
        self._mask([result])
        return self.response(status, id=complaint.id, result=result, **extra)

    @route("POST", "/", permission="post", errors=(400, 422))
    def post(self):
        """Take in a complaint (登记) at the desk or from the 12345 hotline
        ---
        post:
          description: >-
            The complaint starts as `intake` with a number, a check code for the complainant
            (answered once, here) and a deadline in working days. `unit` defaults to the
            caller's unit; related ids must be in the caller's scope.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ComplaintIntake'
          responses:
            201:
              description: The new complaint
        """
        data = self.json_body()
        if data is None:
            return self.response_400(_("The body must be a JSON object."))
        try:
            complaint = service.intake(data, g.user)
        except DomainError as error:
            return domain_error_response(error)
        return self.answer(complaint, 201, check_code=complaint.check_code)

    @route("POST", "/<int:pk>/<step>", permission="step", errors=(400, 404, 409, 422))
    def step(self, pk, step):
        payload, failed = self.optional_body()
        if failed is not None:
            return failed
        if step not in STEP_SCHEMAS:
            return not_found()
        try:
            complaint = service.run_step(step, pk, payload, g.user)
        except DomainError as error:
            return domain_error_response(error)
        return self.answer(complaint)

    step.__doc__ = STEP_DOC

    @route("GET", "/<int:pk>/timeline", permission="get", errors=(404,))
    def timeline(self, pk):
        """The complaint's timeline, oldest first
        ---
        get:
          responses:
            200:
              description: Every step of the complaint
        """
        complaint = service.complaint_in_scope(pk)
        if complaint is None:
            return not_found()
        rows = [event_row(e) for e in complaint.events]
        return self.response(200, id=complaint.id, count=len(rows), result=rows)

    @route("GET", "/figures", permission="get", errors=(400,))
    def figures(self):
        """The figures of the complaints in scope: counts by status, transfers on time
        ---
        get:
          parameters:
          - in: query
            name: status
            schema:
              type: string
          - in: query
            name: channel
            schema:
              type: string
          - in: query
            name: date_from
            schema:
              type: string
              format: date
          - in: query
            name: date_to
            schema:
              type: string
              format: date
          responses:
            200:
              description: The statistics block of the complaints' ledger
        """
        try:
            flt = queries.ComplaintFilter.from_args(request.args)
        except DomainError as error:  # a bad query parameter: 400 naming it
            return self.response_400(str(error))
        figures = queries.stats(current_scope(), flt)
        figures["by_status"] = {s.value: n for s, n in figures["by_status"].items()}
        return self.response(200, result=figures)
