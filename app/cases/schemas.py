"""The body of each case step: one marshmallow schema per step, read by the API and, through
the same schema, by the case page (app/cases/service.py loads both surfaces' input with it).

Field names are the page forms' (app/cases/forms.py), so a field means the same thing everywhere.
Every step may carry ``version`` (the case's ``version_id`` as last read): when it is given and
the case has changed since, the step answers 409.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from app.enums import (
    AttachmentKind,
    CaseChannel,
    ContactChannel,
    EvaluationChannel,
    EvaluationStage,
    HelpType,
    Rating,
    ServiceKind,
    SuspensionReason,
    TerminationReason,
)

NOTE_MAX = 2000
TEXT = validate.Length(max=NOTE_MAX)
REQUIRED_TEXT = validate.Length(min=1, max=NOTE_MAX)


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
    channel = fields.Enum(CaseChannel, by_value=True, load_default=CaseChannel.HALL)
    help_types = fields.List(fields.Enum(HelpType, by_value=True), load_default=list)
    major_project = fields.Boolean(load_default=False)
    needs = fields.String(required=True, validate=REQUIRED_TEXT)
    handling_unit = _id(load_default=None, allow_none=True)
    specialist = _id(load_default=None, allow_none=True)
    ack_voluntary = fields.Boolean(load_default=False)
    ack_free = fields.Boolean(load_default=False)
    ack_truthful = fields.Boolean(load_default=False)
    # 12345 工单号 (app/domain/hotline.py checks its shape and stores it normalized)
    hotline_ticket = fields.String(
        validate=validate.Length(max=64), load_default=None, allow_none=True
    )


class StepSchema(Schema):
    class Meta:
        unknown = RAISE

    version = fields.Integer(strict=True, load_default=None, allow_none=True)
    note = fields.String(validate=TEXT, load_default="")


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
    note = fields.String(required=True, validate=REQUIRED_TEXT)


class ContactSchema(StepSchema):
    __component_name__ = "CaseStep.contact"
    channel = fields.Enum(ContactChannel, by_value=True, required=True)
    note = fields.String(required=True, validate=REQUIRED_TEXT)


class FeeGuidanceSchema(StepSchema):
    __component_name__ = "CaseStep.fee_guidance"
    payee = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = fields.Decimal(
        required=True,
        places=2,
        validate=lambda value: 0 <= value <= 10**9,
        metadata={"minimum": 0, "maximum": 10**9, "description": "Yuan, e.g. 12.50"},
    )
    note = fields.String(required=True, validate=REQUIRED_TEXT)


class ProblemSchema(StepSchema):
    __component_name__ = "CaseStep.problem"
    category = _id(required=True)
    note = fields.String(required=True, validate=REQUIRED_TEXT)


class ResolveProblemSchema(StepSchema):
    __component_name__ = "CaseStep.resolve_problem"
    problem = _id(required=True)
    note = fields.String(required=True, validate=REQUIRED_TEXT)


class TransferSchema(StepSchema):
    __component_name__ = "CaseStep.transfer"
    to_unit = _id(required=True)


class AssignSchema(StepSchema):
    __component_name__ = "CaseStep.assign"
    specialist = _id(required=True)


class StewardSchema(StepSchema):
    __component_name__ = "CaseStep.steward"
    steward = _id(required=True)


class ExtendSchema(StepSchema):
    __component_name__ = "CaseStep.extend"
    extra_days = fields.Integer(strict=True, required=True, validate=validate.Range(1, 365))
    reason = fields.String(required=True, validate=REQUIRED_TEXT)
    explained_to_applicant = fields.Boolean(load_default=False)


class JointReviewSchema(StepSchema):
    __component_name__ = "CaseStep.joint_review"
    lead_unit = _id(required=True)
    scheduled_at = fields.DateTime(required=True)
    departments = _ids()
    location = fields.String(validate=validate.Length(max=200), load_default="")


class CompleteSchema(StepSchema):
    __component_name__ = "CaseStep.complete"
    results = fields.String(required=True, validate=REQUIRED_TEXT)
    materials_returned = fields.String(validate=TEXT, load_default="")
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=50))


class TerminateSchema(StepSchema):
    __component_name__ = "CaseStep.terminate"
    reason_type = fields.Enum(TerminationReason, by_value=True, required=True)
    reason = fields.String(required=True, validate=REQUIRED_TEXT)
    materials_returned = fields.String(validate=TEXT, load_default="")
    applicant_signed = fields.Boolean(load_default=False)
    specialist_signed = fields.Boolean(load_default=False)


class SuspendSchema(StepSchema):
    __component_name__ = "CaseStep.suspend"
    reason_type = fields.Enum(SuspensionReason, by_value=True, required=True)
    reason = fields.String(validate=TEXT, load_default="")


class ResumeSchema(StepSchema):
    __component_name__ = "CaseStep.resume"
    renewal_signed = fields.Boolean(load_default=False)
    signed_by = fields.String(required=True, validate=validate.Length(min=1, max=50))


class EvaluateSchema(StepSchema):
    __component_name__ = "CaseStep.evaluate"
    # 受理 or 办结; empty or absent: completion once the case has ended, else acceptance.
    stage = fields.Enum(EvaluationStage, by_value=True, load_default=None, allow_none=True)
    rating = fields.Enum(Rating, by_value=True, required=True)
    channel = fields.Enum(EvaluationChannel, by_value=True, required=True)
    comments = fields.String(validate=TEXT, load_default="")


class ReturnVisitSchema(StepSchema):
    __component_name__ = "CaseStep.return_visit"
    planned_on = fields.Date(required=True)
    done_on = fields.Date(load_default=None, allow_none=True)
    channel = fields.Enum(ContactChannel, by_value=True, load_default=None, allow_none=True)
    notes = fields.String(validate=TEXT, load_default="")


class VoidSchema(StepSchema):
    __component_name__ = "CaseStep.void"
    reason = fields.String(required=True, validate=REQUIRED_TEXT)


class AttachSchema(StepSchema):
    """The file itself travels as the multipart part ``file``."""

    __component_name__ = "CaseStep.attach"
    kind = fields.Enum(AttachmentKind, by_value=True, required=True)


class VoidAttachmentSchema(StepSchema):
    __component_name__ = "CaseStep.void_attachment"
    attachment = _id(required=True)
    reason = fields.String(required=True, validate=REQUIRED_TEXT)


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


# marshmallow's own messages, as people read them (prefix → message).
_MESSAGES = (
    ("Missing data for required field", _l("This field is required.")),
    ("Field may not be null", _l("This field is required.")),
    ("Unknown field", _l("This field is not part of this step.")),
    ("Not a valid integer", _l("Give a whole number.")),
    ("Not a valid number", _l("Give a number.")),
    ("Not a valid date", _l("Give a date (YYYY-MM-DD).")),
    ("Not a valid datetime", _l("Give a date and time (YYYY-MM-DDTHH:MM).")),
    ("Not a valid boolean", _l("Give true or false.")),
    ("Not a valid string", _l("Give a text.")),
    ("Not a valid list", _l("Give a list.")),
    ("Must be one of", _l("Choose one of the offered values.")),
    ("Length must be", _l("The text is empty or too long.")),
    ("Shorter than minimum length", _l("This field is required.")),
    ("Longer than maximum length", _l("The text is too long.")),
    ("Must be greater than or equal to", _l("The number is out of range.")),
    ("Must be less than or equal to", _l("The number is out of range.")),
    ("Invalid input type", _l("The body must be a JSON object.")),
    ("Invalid value", _l("The number is out of range.")),
)


def readable(messages):
    """marshmallow's error messages (nested dicts and lists) in the user's language."""
    if isinstance(messages, dict):
        return {key: readable(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [readable(value) for value in messages]
    text = str(messages)
    for prefix, message in _MESSAGES:
        if text.startswith(prefix):
            return str(message)
    return text


class ChaseUpSchema(StepSchema):
    __component_name__ = "CaseStep.chase_up"
    request = fields.String(required=True, validate=REQUIRED_TEXT)
    respond_by = fields.Date(required=True)
    hotline_ticket = fields.String(
        validate=validate.Length(max=32), load_default=None, allow_none=True
    )


class ChaseUpReplySchema(StepSchema):
    __component_name__ = "CaseStep.chase_up_reply"
    chase_up = _id(required=True)
    response = fields.String(required=True, validate=REQUIRED_TEXT)
