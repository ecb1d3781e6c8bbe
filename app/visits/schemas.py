"""The bodies of the home-visit steps (``POST /api/v1/case/<pk>/plan_home_visit`` and
``…/record_home_visit``), read by the API and the case page alike."""

from __future__ import annotations

from marshmallow import fields, validate

from app.cases.schemas import REQUIRED_TEXT, TEXT, StepSchema, _id


class PlanHomeVisitSchema(StepSchema):
    __component_name__ = "CaseStep.plan_home_visit"
    planned_at = fields.DateTime(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    staff = fields.List(_id(), required=True, validate=validate.Length(min=1, max=10))
    purpose = fields.String(validate=TEXT, load_default="")


class RecordHomeVisitSchema(StepSchema):
    __component_name__ = "CaseStep.record_home_visit"
    visit = _id(required=True)
    done_at = fields.DateTime(load_default=None, allow_none=True)
    outcome = fields.String(required=True, validate=REQUIRED_TEXT)
