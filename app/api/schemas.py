"""Request and answer bodies of the case API that are not plain model columns.

Field names are those of the case page's forms (app/forms.py), so a field means the same thing
on the page and in the API. Every step body may carry ``version`` (the case's ``version_id`` as
last read): when it is given and the case has changed since, the step answers 409.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from app.enums import (
    ContactChannel,
    EvaluationChannel,
    HelpType,
    Rating,
    ServiceKind,
    TerminationReason,
)

NOTE = {"validate": validate.Length(max=2000), "load_default": ""}


def _id(**kw):
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1), **kw)


def _ids(**kw):
    return fields.List(_id(), load_default=list, **kw)


class ApplySchema(Schema):
    """帮办代办申请表: the application that creates a case (POST /api/v1/case/)."""

    __component_name__ = "CaseApply"

    class Meta:
        unknown = RAISE

    applicant = _id(required=True)
    item = _id(required=True)
    kind = fields.Enum(ServiceKind, by_value=True, required=True)
    help_types = fields.List(fields.Enum(HelpType, by_value=True), load_default=list)
    major_project = fields.Boolean(load_default=False)
    needs = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    handling_unit = _id(load_default=None, allow_none=True)
    specialist = _id(load_default=None, allow_none=True)
    ack_voluntary = fields.Boolean(load_default=False)
    ack_free = fields.Boolean(load_default=False)
    ack_truthful = fields.Boolean(load_default=False)


class StepSchema(Schema):
    class Meta:
        unknown = RAISE

    version = fields.Integer(strict=True, load_default=None, allow_none=True)
    note = fields.String(**NOTE)


class ConfirmSchema(StepSchema):
    __component_name__ = "CaseStep.confirm"
    process_explained = fields.Boolean(load_default=False)
    applicant_signed = fields.Boolean(load_default=False)
    received = _ids()


class SubmitSchema(StepSchema):
    __component_name__ = "CaseStep.submit"


class NotifyMissingSchema(StepSchema):
    __component_name__ = "CaseStep.notify_missing"
    deadline = fields.Date(required=True)
    repeat_reason = fields.String(validate=validate.Length(max=1000), load_default="")


class SupplementSchema(StepSchema):
    __component_name__ = "CaseStep.supplement"
    supplied = _ids()


class UpdateSchema(StepSchema):
    __component_name__ = "CaseStep.update"
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ContactSchema(StepSchema):
    __component_name__ = "CaseStep.contact"
    channel = fields.Enum(ContactChannel, by_value=True, required=True)
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TransferSchema(StepSchema):
    __component_name__ = "CaseStep.transfer"
    to_unit = _id(required=True)


class ExtendSchema(StepSchema):
    __component_name__ = "CaseStep.extend"
    extra_days = fields.Integer(strict=True, required=True, validate=validate.Range(1, 365))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    explained_to_applicant = fields.Boolean(load_default=False)


class JointReviewSchema(StepSchema):
    __component_name__ = "CaseStep.joint_review"
    lead_unit = _id(required=True)
    scheduled_at = fields.DateTime(required=True)
    departments = _ids()
    location = fields.String(validate=validate.Length(max=200), load_default="")


class CompleteSchema(StepSchema):
    __component_name__ = "CaseStep.complete"
    results = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    materials_returned = fields.String(validate=validate.Length(max=2000), load_default="")
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=50))


class TerminateSchema(StepSchema):
    __component_name__ = "CaseStep.terminate"
    reason_type = fields.Enum(TerminationReason, by_value=True, required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    materials_returned = fields.String(validate=validate.Length(max=2000), load_default="")
    applicant_signed = fields.Boolean(load_default=False)
    specialist_signed = fields.Boolean(load_default=False)


class EvaluateSchema(StepSchema):
    __component_name__ = "CaseStep.evaluate"
    rating = fields.Enum(Rating, by_value=True, required=True)
    channel = fields.Enum(EvaluationChannel, by_value=True, required=True)
    comments = fields.String(validate=validate.Length(max=2000), load_default="")


class ReturnVisitSchema(StepSchema):
    __component_name__ = "CaseStep.return_visit"
    planned_on = fields.Date(required=True)
    done_on = fields.Date(load_default=None, allow_none=True)
    channel = fields.Enum(ContactChannel, by_value=True, load_default=None, allow_none=True)
    notes = fields.String(validate=validate.Length(max=2000), load_default="")


# API step → body schema, in the order of the case's life.
STEP_SCHEMAS = {
    "confirm": ConfirmSchema,
    "submit": SubmitSchema,
    "notify_missing": NotifyMissingSchema,
    "supplement": SupplementSchema,
    "contact": ContactSchema,
    "update": UpdateSchema,
    "transfer": TransferSchema,
    "extend": ExtendSchema,
    "joint_review": JointReviewSchema,
    "complete": CompleteSchema,
    "terminate": TerminateSchema,
    "evaluate": EvaluateSchema,
    "return_visit": ReturnVisitSchema,
}


class TimelineEventSchema(Schema):
    """One entry of a case's timeline."""

    __component_name__ = "CaseTimelineEvent"

    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    actor = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    note = fields.String()
    data = fields.Dict(allow_none=True)


def event_row(event) -> dict:
    """A CaseEvent as the timeline answer shows it (enum values, names instead of ids)."""

    def value(member):
        return member.value if member is not None else None

    return {
        "id": event.id,
        "at": event.at.isoformat() if event.at else None,
        "kind": value(event.kind),
        "actor": event.actor.username if event.actor is not None else None,
        "unit": event.unit.name if event.unit is not None else None,
        "from_status": value(event.from_status),
        "to_status": value(event.to_status),
        "channel": value(event.channel),
        "note": event.note or "",
        "data": event.data or {},
    }
