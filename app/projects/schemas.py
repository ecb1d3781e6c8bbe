"""The bodies of the project-team steps (``POST /api/v1/case/<pk>/project_contact`` …), read by
the API and the case page alike."""

from __future__ import annotations

from marshmallow import fields, validate

from app.cases.schemas import REQUIRED_TEXT, StepSchema, _id

NAME = validate.Length(min=1, max=50)
PHONE = validate.Length(min=1, max=20)


class ProjectContactSchema(StepSchema):
    __component_name__ = "CaseStep.project_contact"
    contact_name = fields.String(required=True, validate=NAME)
    contact_phone = fields.String(required=True, validate=PHONE)


class AddLiaisonSchema(StepSchema):
    __component_name__ = "CaseStep.add_liaison"
    department = _id(required=True)
    person = fields.String(required=True, validate=NAME)
    phone = fields.String(required=True, validate=PHONE)


class RemoveLiaisonSchema(StepSchema):
    __component_name__ = "CaseStep.remove_liaison"
    liaison = _id(required=True)


class ProjectLogSchema(StepSchema):
    __component_name__ = "CaseStep.project_log"
    on = fields.Date(required=True)
    text = fields.String(required=True, validate=REQUIRED_TEXT)


class RaiseIssueSchema(StepSchema):
    __component_name__ = "CaseStep.raise_issue"
    title = fields.String(required=True, validate=REQUIRED_TEXT)
    department = _id(load_default=None, allow_none=True)
    due_on = fields.Date(required=True)


class SolveIssueSchema(StepSchema):
    __component_name__ = "CaseStep.solve_issue"
    issue = _id(required=True)
    solution = fields.String(required=True, validate=REQUIRED_TEXT)
