"""The case's steps over the API: which are refused, which related ids a body may name, and
the lifecycle call of each (as app/case_views.py ``_perform`` makes it), plus one documented
route per step (``POST /api/v1/case/<pk>/<step>``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import models as m
from app.case_views import scoped_units
from app.domain import clock, lifecycle
from app.domain.errors import IllegalTransition
from app.extensions import db


def refusal(case: m.Case, name: str) -> IllegalTransition | None:
    if name not in lifecycle.allowed_steps(case):
        return IllegalTransition(
            _l("“%(step)s” is not allowed while the case is “%(status)s”."),
            step=str(lifecycle.STEP_LABELS[name]),
            status=str(case.status.label),
        )
    if name == "joint_review" and not case.item.needs_parallel:
        return IllegalTransition(_l("This service item does not need parallel approval."))
    return None


def related_problem(case: m.Case, name: str, fields: dict) -> dict | None:
    """Units and departments named in a step body must be ones the caller may choose."""
    nope = [_("No such record, or not one you may use.")]
    if name == "transfer":
        units = {u.id for u in scoped_units(include_ancestors_of=case.handling_unit)}
        if fields["to_unit"] not in units:
            return {"to_unit": nope}
    if name == "joint_review":
        units = {u.id for u in scoped_units(include_ancestors_of=case.handling_unit)}
        if fields["lead_unit"] not in units:
            return {"lead_unit": nope}
        wanted = set(fields["departments"])
        found = set(
            db.session.execute(
                sa.select(m.Department.id).where(
                    m.Department.id.in_(wanted), m.Department.active.is_(True)
                )
            ).scalars()
        )
        if found != wanted:
            return {"departments": nope}
    return None


def perform(name: str, f: dict, case: m.Case, actor) -> None:
    """The lifecycle call of each step, as app/case_views.py ``_perform`` makes it."""
    s = db.session
    note = (f.get("note") or "").strip()
    if name == "confirm":
        lifecycle.confirm(
            s,
            case,
            actor,
            process_explained=f["process_explained"],
            applicant_signed=f["applicant_signed"],
            received_material_ids=f["received"],
            note=note,
        )
    elif name == "submit":
        lifecycle.submit(s, case, actor, note=note)
    elif name == "notify_missing":
        lifecycle.notify_missing(
            s, case, actor, deadline=f["deadline"], repeat_reason=f["repeat_reason"], note=note
        )
    elif name == "supplement":
        lifecycle.supplement(s, case, actor, material_ids=f["supplied"], note=note)
    elif name == "update":
        lifecycle.record(s, case, actor, "update", note=note)
    elif name == "contact":
        lifecycle.record(s, case, actor, "contact", note=note, channel=f["channel"])
    elif name == "transfer":
        lifecycle.transfer(s, case, actor, to_unit=s.get(m.OrgUnit, f["to_unit"]), note=note)
    elif name == "extend":
        lifecycle.extend(
            s,
            case,
            actor,
            extra_days=f["extra_days"],
            reason=f["reason"],
            explained_to_applicant=f["explained_to_applicant"],
        )
    elif name == "joint_review":
        scheduled = f["scheduled_at"]
        if scheduled.tzinfo is None:
            scheduled = scheduled.replace(tzinfo=clock.TZ)
        lifecycle.schedule_joint_review(
            s,
            case,
            actor,
            lead_unit=s.get(m.OrgUnit, f["lead_unit"]),
            scheduled_at=scheduled,
            departments=[s.get(m.Department, i) for i in f["departments"]],
            location=f["location"],
        )
    elif name == "complete":
        lifecycle.complete(
            s,
            case,
            actor,
            results=f["results"],
            materials_returned=f["materials_returned"],
            signed_by=f["signed_by"],
        )
    elif name == "terminate":
        lifecycle.terminate(
            s,
            case,
            actor,
            reason_type=f["reason_type"],
            reason=f["reason"],
            materials_returned=f["materials_returned"],
            applicant_signed=f["applicant_signed"],
            specialist_signed=f["specialist_signed"],
        )
    elif name == "evaluate":
        lifecycle.evaluate(
            s, case, actor, rating=f["rating"], channel=f["channel"], comments=f["comments"]
        )
    elif name == "return_visit":
        lifecycle.plan_return_visit(
            s,
            case,
            actor,
            planned_on=f["planned_on"],
            done_on=f["done_on"],
            channel=f["channel"],
            notes=f["notes"],
        )


STEP_DOC = """{label}
---
post:
  summary: {label}
  description: >-
    Calls the case lifecycle's `{name}` step. Answers the case; 409 when the case's status
    does not allow the step (nothing changes), 422 naming each invalid field, 403 when the
    caller's unit is not the case's handling side.
  parameters:
  - in: path
    schema:
      type: integer
    name: pk
  requestBody:
    required: false
    content:
      application/json:
        schema:
          $ref: '#/components/schemas/CaseStep.{name}'
  responses:
    200:
      description: The case after the step
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/CaseAnswer'
    400:
      $ref: '#/components/responses/400'
    401:
      $ref: '#/components/responses/401'
    403:
      $ref: '#/components/responses/403'
    404:
      $ref: '#/components/responses/404'
    409:
      $ref: '#/components/responses/409'
    422:
      $ref: '#/components/responses/422'
    500:
      $ref: '#/components/responses/500'
"""

STEP_SUMMARIES = {
    "confirm": "Confirm the entrustment",
    "submit": "Submit to the window",
    "notify_missing": "One-time notice of missing materials",
    "supplement": "Materials supplied",
    "contact": "Contact with applicant",
    "update": "Progress update",
    "transfer": "Transfer to another unit",
    "extend": "Extend the time limit",
    "joint_review": "Schedule the joint review",
    "complete": "Complete with handover",
    "terminate": "Terminate the entrustment",
    "evaluate": "Record the evaluation",
    "return_visit": "Return visit",
}


def step_route(name: str):
    """One documented route per step, all under the ``can_step`` permission."""

    def handler(self, pk):
        return self.perform_step(pk, name)

    handler.__name__ = f"step_{name}"
    handler.__qualname__ = f"CaseApi.step_{name}"
    handler.__doc__ = STEP_DOC.format(label=STEP_SUMMARIES[name], name=name)
    handler = permission_name("step")(handler)
    handler = safe(handler)
    handler = protect()(handler)
    return expose(f"/<int:pk>/{name}", methods=["POST"])(handler)
