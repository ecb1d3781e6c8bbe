"""The case resource: read, apply (create), edit the few editable fields, and take each step of
the lifecycle with ``POST /api/v1/case/<pk>/<step>``; ``GET /api/v1/case/<pk>/timeline``.

Every step runs through app/cases/service.py ``run_step``, exactly as the case page's steps do,
and commits once. Answers: 404 out of scope, 403 when the caller's unit is not the
case's handling side, 409 for a step the case's status does not allow (nothing changes), 422
naming each invalid field, 409 when ``version`` is stale.
"""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import g, request, send_file
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from marshmallow import ValidationError

from app import models as m
from app import uploads
from app.api import steps
from app.api.answers import route
from app.api.base import ScopedModelRestApi, domain_error_response, not_found
from app.api.errors import invalid
from app.api.schemas import event_row
from app.cases import bulk, service
from app.cases.access import may_edit
from app.cases.schemas import ApplySchema, TimelineEventSchema
from app.cases.service import NotHandlingSide
from app.cases.steps import STEPS
from app.domain import lifecycle
from app.domain.errors import DomainError
from app.domain.hotline import clean_ticket
from app.enums import AttachmentKind, ServiceKind
from app.extensions import db
from app.projects import pages as project_pages
from app.scope import current_scope
from app.visits import pages as visit_pages


def _active(model):
    return lambda: model.active.is_(True)


class CaseApi(ScopedModelRestApi):
    resource_name = "case"
    datamodel = SQLAInterface(m.Case)
    read_only_columns = ("id", "status", "number", "version_id")
    list_columns = [
        "id",
        "number",
        "applicant.id",
        "applicant.name",
        "item.id",
        "item.name",
        "kind",
        "status",
        "handling_unit.id",
        "handling_unit.name",
        "specialist.id",
        "specialist.name",
        "applied_at",
        "due_date",
    ]
    show_columns = [
        *list_columns,
        "item.basic_code",
        "item.implementation_code",
        "help_types",
        "channel",
        "major_project",
        "needs",
        "accepting_unit.id",
        "accepting_unit.name",
        "steward.id",
        "steward.name",
        "accepted_at",
        "submitted_at",
        "ended_at",
        "promised_days",
        "due_provisional",
        "last_contact_at",
        "ack_voluntary",
        "ack_free",
        "ack_truthful",
        "process_explained",
        "applicant_signed",
        "received_material_ids",
        "hotline_ticket",
        "version_id",
    ]
    add_columns = list(ApplySchema._declared_fields)
    add_model_schema = ApplySchema()
    # Free fields only: status, specialist, steward, units and dates change through steps.
    edit_columns = ["needs", "hotline_ticket"]
    search_columns = [
        "number",
        "hotline_ticket",
        "applicant",
        "item",
        "kind",
        "status",
        "handling_unit",
        "specialist",
        "due_date",
    ]
    order_columns = ["number", "applied_at", "due_date", "status", "kind"]
    base_order = ("applied_at", "desc")
    related_conditions = {
        "item": _active(m.ServiceItem),
        "handling_unit": _active(m.OrgUnit),
        "specialist": _active(m.Specialist),
        "steward": _active(m.Specialist),
    }
    openapi_spec_component_schemas = (
        *(step.schema for step in STEPS.values()),
        TimelineEventSchema,
    )

    # -- edit and delete: the handling side only --------------------------------

    def pre_update(self, item):
        if not may_edit(item):
            raise NotHandlingSide()
        lifecycle.refuse_if_archived(item, "edit")  # an archived case is read-only
        item.hotline_ticket = clean_ticket(item.hotline_ticket)

    def pre_delete(self, item):
        if not may_edit(item):
            raise NotHandlingSide()

    def case_answer(self, case: m.Case, status: int = 200):
        return self.response(status, id=case.id, result=self.show_model_schema.dump(case))

    # -- apply ---------------------------------------------------------------------

    def post_headless(self):
        data, failed = self.checked_body(self.add_columns)
        if failed is not None:
            return failed
        try:
            fields = ApplySchema().load(data)
        except ValidationError as err:
            return invalid(err.messages)
        if fields["handling_unit"] is None and current_scope().unit_id is None:
            return invalid({"handling_unit": [_("Choose the handling unit.")]})
        s = db.session
        kind = fields["kind"]
        help_types = [] if kind == ServiceKind.PROXY else [h.value for h in fields["help_types"]]

        def row(model, key):
            return s.get(model, fields[key]) if fields[key] else None

        def apply():
            case = lifecycle.apply(
                s,
                g.user,
                applicant=row(m.Applicant, "applicant"),
                item=row(m.ServiceItem, "item"),
                kind=kind,
                channel=fields["channel"],
                help_types=help_types,
                major_project=fields["major_project"],
                needs=fields["needs"].strip(),
                handling_unit=row(m.OrgUnit, "handling_unit"),
                specialist=row(m.Specialist, "specialist"),
                ack_voluntary=fields["ack_voluntary"],
                ack_free=fields["ack_free"],
                ack_truthful=fields["ack_truthful"],
                hotline_ticket=fields["hotline_ticket"],
            )
            self.require_write_scope(case)
            return case

        case, failed = self.save(apply)
        if failed is not None:
            return failed
        return self.case_answer(case, 201)

    @route("POST", "/", permission="post", errors=(400, 409, 422))
    def post(self):
        """Apply: create a case from the application form (帮办代办申请表)
        ---
        post:
          description: >-
            The case starts as `applied`, numbered and accepted by the caller's unit. Related
            ids (applicant, item, handling_unit, specialist) must be in the caller's scope.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CaseApi.post'
          responses:
            201:
              description: The new case
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CaseAnswer'
        """
        return self.post_headless()

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        api_spec.components.schema(
            "CaseAttachment",
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "kind": {"type": "string", "enum": [k.value for k in AttachmentKind]},
                    "name": {"type": "string"},
                    "content_type": {"type": "string"},
                    "size": {"type": "integer"},
                    "note": {"type": "string"},
                    "uploaded_at": {"type": "string", "format": "date-time"},
                    "uploaded_by": {"type": "string", "nullable": True},
                    "voided_at": {"type": "string", "format": "date-time", "nullable": True},
                    "void_reason": {"type": "string"},
                },
            },
        )
        api_spec.components.schema("CaseReassignment", REASSIGNMENT_SCHEMA)
        api_spec.components.schema("CaseReassignmentAnswer", REASSIGNMENT_ANSWER_SCHEMA)
        api_spec.components.schema(
            "CaseAnswer",
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "result": {"$ref": "#/components/schemas/CaseApi.get"},
                },
                "required": ["id", "result"],
            },
        )

    # -- steps ---------------------------------------------------------------------

    def perform_step(self, pk: int, name: str):
        """Hand the body to the step service; the case as JSON, or the typed refusal."""
        files = None
        if request.mimetype == "multipart/form-data":
            payload = steps.multipart_payload(request.form, STEPS[name].schema)
            files = request.files
        else:
            payload, failed = self.optional_body()
            if failed is not None:
                return failed
        try:
            case, _result = service.run_step(name, pk, payload, g.user, files=files)
        except DomainError as error:
            return domain_error_response(error)
        return self.case_answer(case)

    # -- bulk reassignment (managers) --------------------------------------------

    @route("POST", "/reassign", permission="reassign", errors=(400, 422))
    def reassign(self):
        """Reassign several cases to one specialist (managers)
        ---
        post:
          description: >-
            The case list's bulk reassignment (app/cases/bulk.py): each case runs the `assign`
            step on its own (its lock, timeline entry and audit entry, its own commit), exactly
            as the case page's step would, so a case that cannot take it does not hold back the
            others. `result` says for each case what happened and why. The specialist must be
            active and in the caller's scope, and work in each case's handling unit or below;
            a case outside the caller's scope is reported like a missing one. At most 200
            cases in one call.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CaseReassignment'
          responses:
            200:
              description: What happened to each case, in the order given
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CaseReassignmentAnswer'
        """
        data = self.json_body()
        if data is None:
            return self.response_400(_("The body must be a JSON object."))
        errors = reassignment_errors(data, bulk)
        if errors:
            return invalid(errors)
        ids = bulk.case_ids(data["cases"])
        outcomes = bulk.reassign(ids, data["specialist"], g.user, note=data.get("note") or "")
        result = [
            {
                "id": o.case_id,
                "number": o.number or None,
                "done": o.done,
                "unchanged": o.unchanged,
                "message": o.message,
            }
            for o in outcomes
        ]
        return self.response(
            200,
            reassigned=sum(1 for o in outcomes if o.done and not o.unchanged),
            unchanged=sum(1 for o in outcomes if o.unchanged),
            refused=sum(1 for o in outcomes if not o.done),
            result=result,
        )

    # -- timeline ------------------------------------------------------------------

    @route("GET", "/<int:pk>/timeline", permission="get", errors=(404,))
    def timeline(self, pk):
        """The case's timeline, oldest first
        ---
        get:
          responses:
            200:
              description: Every event of the case
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      count:
                        type: integer
                      result:
                        type: array
                        items:
                          $ref: '#/components/schemas/CaseTimelineEvent'
                    required: [id, count, result]
        """
        case = self.load_item(pk)
        if case is None:
            return not_found()
        events = db.session.execute(
            sa.select(m.CaseEvent)
            .where(m.CaseEvent.case_id == case.id, current_scope().clause_for(m.CaseEvent))
            .order_by(m.CaseEvent.at, m.CaseEvent.id)
        ).scalars()
        rows = [event_row(e) for e in events]
        return self.response(200, id=case.id, count=len(rows), result=rows)

    # -- attachments -------------------------------------------------------------

    @route("GET", "/<int:pk>/attachments", permission="get", errors=(404,))
    def attachments(self, pk):
        """The files kept with the case, by kind (voided ones included, marked)
        ---
        get:
          description: >-
            File one with the step `attach` (multipart, part `file`, field `kind`), void one
            filed by mistake with the step `void_attachment`; nothing is ever deleted.
          responses:
            200:
              description: Every file of the case, oldest first
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      count:
                        type: integer
                      result:
                        type: array
                        items:
                          $ref: '#/components/schemas/CaseAttachment'
                    required: [id, count, result]
        """
        case = self.load_item(pk)
        if case is None:
            return not_found()
        rows = db.session.execute(
            sa.select(m.Attachment)
            .where(m.Attachment.case_id == case.id, current_scope().clause_for(m.Attachment))
            .order_by(m.Attachment.uploaded_at, m.Attachment.id)
        ).scalars()
        result = [attachment_row(a) for a in rows]
        return self.response(200, id=case.id, count=len(result), result=result)

    @route("GET", "/<int:pk>/attachments/<int:attachment_id>", permission="get", errors=(404,))
    def attachment_file(self, pk, attachment_id):
        """The content of one file kept with the case
        ---
        get:
          responses:
            200:
              description: The file (PDF, PNG or JPEG) as it was filed
              content:
                application/octet-stream:
                  schema:
                    type: string
                    format: binary
        """

        case = self.load_item(pk)
        if case is None:
            return not_found()
        attachment = db.session.execute(
            sa.select(m.Attachment).where(
                m.Attachment.id == attachment_id,
                m.Attachment.case_id == case.id,
                current_scope().clause_for(m.Attachment),
            )
        ).scalar_one_or_none()
        data = uploads.read(attachment) if attachment is not None else None
        if data is None:
            return not_found()
        response = send_file(
            io.BytesIO(data),
            mimetype=attachment.content_type,
            as_attachment=True,
            download_name=attachment.original_name,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # -- home visits and the project team ------------------------------------------

    @route("GET", "/<int:pk>/home_visits", permission="get", errors=(404,))
    def home_visits(self, pk):
        """The case's home visits (上门服务), planned order
        ---
        get:
          description: >-
            Plan one with the step `plan_home_visit`, record it done with `record_home_visit`.
          responses:
            200:
              description: Every visit of the case
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      channel:
                        type: string
                      count:
                        type: integer
                      result:
                        type: array
                        items:
                          type: object
                    required: [id, channel, count, result]
        """
        case = self.load_item(pk)
        if case is None:
            return not_found()
        rows = [visit_pages.as_json(v) for v in visit_pages.section(case) or []]
        return self.response(
            200, id=case.id, channel=case.channel.value, count=len(rows), result=rows
        )

    @route("GET", "/<int:pk>/project", permission="get", errors=(404,))
    def project(self, pk):
        """A major project's 1+1+N team, log and issue list (with overdue flags)
        ---
        get:
          description: >-
            Changed with the steps `steward`, `project_contact`, `add_liaison`,
            `remove_liaison`, `project_log`, `raise_issue` and `solve_issue`. 404 for a case
            that is not a major project.
          responses:
            200:
              description: The project team, log and issues
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        type: object
                    required: [id, result]
        """
        case = self.load_item(pk)
        found = project_pages.section(case) if case is not None else None
        if found is None:
            return not_found()
        return self.response(200, id=case.id, result=project_pages.as_json(found))


REASSIGNMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "cases": {
            "type": "array",
            "items": {"type": "integer"},
            "minItems": 1,
            "maxItems": 200,
            "description": "The ids of the cases to reassign",
        },
        "specialist": {"type": "integer", "description": "The id of the specialist"},
        "note": {"type": "string", "maxLength": 2000, "description": "Why (on each timeline)"},
    },
    "required": ["cases", "specialist"],
    "additionalProperties": False,
}
REASSIGNMENT_ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "reassigned": {"type": "integer"},
        "unchanged": {"type": "integer", "description": "Already with that specialist"},
        "refused": {"type": "integer"},
        "result": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "number": {"type": "string", "nullable": True},
                    "done": {"type": "boolean"},
                    "unchanged": {"type": "boolean"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "required": ["reassigned", "unchanged", "refused", "result"],
}


def _whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1


def reassignment_errors(data: dict, bulk) -> dict[str, list]:
    """The body's faults by field (the shape of REASSIGNMENT_SCHEMA), in the caller's language."""
    errors: dict[str, list] = {}
    for key in data:
        if key not in REASSIGNMENT_SCHEMA["properties"]:
            errors[key] = [_("This field cannot be written.")]
    cases = data.get("cases")
    if not isinstance(cases, list) or not cases or not all(_whole_number(c) for c in cases):
        errors["cases"] = [_("A list of case ids is required.")]
    elif len(cases) > bulk.MAX_CASES:
        errors["cases"] = [_("At most %(count)s cases at once.", count=bulk.MAX_CASES)]
    specialist = data.get("specialist")
    if not _whole_number(specialist) or specialist not in {s.id for s in bulk.specialist_choices()}:
        errors["specialist"] = [_("Choose an active specialist you may assign cases to.")]
    note = data.get("note", "")
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        errors["note"] = [_("At most %(count)s characters.", count=2000)]
    return errors


def attachment_row(a: m.Attachment) -> dict:
    """A file kept with a case, as the API answers it."""
    return {
        "id": a.id,
        "kind": a.kind.value,
        "name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "note": a.note or "",
        "uploaded_at": a.uploaded_at.isoformat() if a.uploaded_at else None,
        "uploaded_by": a.uploaded_by.username if a.uploaded_by is not None else None,
        "voided_at": a.voided_at.isoformat() if a.voided_at else None,
        "void_reason": a.void_reason or "",
    }


for _name in STEPS:
    setattr(CaseApi, f"step_{_name}", steps.step_route(_name))
