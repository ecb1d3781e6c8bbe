"""The bodies of a complaint's intake and steps: one marshmallow schema each, read by the API
and, through the same schema, by the screens (field names are the forms')."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from app.enums import ComplaintChannel

TEXT_MAX = 2000
TEXT = validate.Length(max=TEXT_MAX)
REQUIRED_TEXT = validate.Length(min=1, max=TEXT_MAX)
# The channels staff record (the public page is its own channel).
STAFF_CHANNELS = [ComplaintChannel.DESK, ComplaintChannel.HOTLINE, ComplaintChannel.PHONE]


def _id(**kw):
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1), **kw)


class IntakeSchema(Schema):
    """登记 at the desk (or over the API): a complaint something could not be done."""

    __component_name__ = "ComplaintIntake"

    class Meta:
        unknown = RAISE

    complainant = fields.String(required=True, validate=validate.Length(min=1, max=100))
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=20))
    matter = fields.String(required=True, validate=REQUIRED_TEXT)
    channel = fields.Enum(
        ComplaintChannel,
        by_value=True,
        load_default=ComplaintChannel.DESK,
        validate=validate.OneOf(STAFF_CHANNELS),
    )
    hotline_ticket = fields.String(
        validate=validate.Length(max=32), load_default=None, allow_none=True
    )
    unit = _id(load_default=None, allow_none=True)
    item = _id(load_default=None, allow_none=True)
    case = _id(load_default=None, allow_none=True)
    handler = _id(load_default=None, allow_none=True)


class PublicIntakeSchema(Schema):
    """The public page's form: no ids but the center's."""

    class Meta:
        unknown = RAISE

    complainant = fields.String(required=True, validate=validate.Length(min=1, max=100))
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=20))
    matter = fields.String(required=True, validate=REQUIRED_TEXT)
    hotline_ticket = fields.String(
        validate=validate.Length(max=32), load_default=None, allow_none=True
    )
    unit = _id(required=True)


class StepSchema(Schema):
    class Meta:
        unknown = RAISE

    version = fields.Integer(strict=True, load_default=None, allow_none=True)


class CoordinateSchema(StepSchema):
    __component_name__ = "ComplaintStep.coordinate"
    note = fields.String(required=True, validate=REQUIRED_TEXT)


class TransferSchema(StepSchema):
    __component_name__ = "ComplaintStep.transfer"
    department = _id(required=True)
    working_days = fields.Integer(strict=True, required=True, validate=validate.Range(1, 60))
    note = fields.String(validate=TEXT, load_default="")


class ReplySchema(StepSchema):
    __component_name__ = "ComplaintStep.reply"
    reply = fields.String(required=True, validate=REQUIRED_TEXT)


class CallBackSchema(StepSchema):
    __component_name__ = "ComplaintStep.call_back"
    result = fields.String(required=True, validate=REQUIRED_TEXT)
    satisfied = fields.Boolean(required=True)


class ArchiveSchema(StepSchema):
    __component_name__ = "ComplaintStep.archive"
    note = fields.String(validate=TEXT, load_default="")


STEP_SCHEMAS = {
    "coordinate": CoordinateSchema,
    "transfer": TransferSchema,
    "reply": ReplySchema,
    "call_back": CallBackSchema,
    "archive": ArchiveSchema,
}
