"""One documented route per case step (``POST /api/v1/case/<pk>/<name>``), generated from the step
registry (app/cases/steps.py): the same names, bodies and messages as the case page. Each route
only hands its body to app/cases/service.py ``run_step``.
"""

from __future__ import annotations

from marshmallow import fields as mfields

from app.api.answers import route
from app.cases.steps import STEPS

STEP_DOC = """{label}
---
post:
  summary: {label}
  description: >-
    Runs the case step `{name}` (the same step as the case page's form). Answers the case;
    409 when the case's status does not allow the step or `version` is stale (nothing changes),
    422 naming each invalid field, 403 when the caller is not on the case's handling side or
    their role may not take the step, 404 outside the caller's scope.{upload_note}
  requestBody:
    required: false
    content:
      application/json:
        schema:
          $ref: '#/components/schemas/CaseStep.{name}'{multipart}
  responses:
    200:
      description: The case after the step
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/CaseAnswer'
"""

MULTIPART = """
      multipart/form-data:
        schema:
          allOf:
          - $ref: '#/components/schemas/CaseStep.{name}'
          - type: object
            properties:
{files}"""


def msgid(label) -> str:
    """The English text of a lazy label (docstrings are built before any request has a locale)."""
    args = getattr(label, "_args", None)
    return str(args[0]) if args else str(label)


def step_doc(name: str) -> str:
    step = STEPS[name]
    multipart = ""
    upload_note = ""
    if step.uploads:
        files = "".join(
            f"              {f}:\n                type: string\n                format: binary\n"
            for f in step.uploads
        )
        multipart = MULTIPART.format(name=name, files=files).rstrip("\n")
        upload_note = (
            " Send multipart/form-data to attach "
            + ", ".join(f"`{f}`" for f in step.uploads)
            + " (PDF, PNG or JPEG)."
        )
    return STEP_DOC.format(
        label=msgid(step.label), name=name, multipart=multipart, upload_note=upload_note
    )


def multipart_payload(form, schema) -> dict:
    """A multipart body's fields typed as the step's JSON body would be."""
    payload: dict = {}
    for name, field in schema._declared_fields.items():
        if name not in form:
            continue
        if isinstance(field, mfields.List):
            values = form.getlist(name)
            payload[name] = [int(v) if v.strip().isdigit() else v for v in values]
            continue
        value = form.get(name)
        if isinstance(field, mfields.Integer) and value.strip().lstrip("-").isdigit():
            payload[name] = int(value)
        else:
            payload[name] = value
    for name in form:
        payload.setdefault(name, form.get(name))  # unknown fields are refused by the schema
    return payload


def step_route(name: str):
    """One documented route per step, all under the ``can_step`` permission."""

    def handler(self, pk):
        return self.perform_step(pk, name)

    handler.__name__ = f"step_{name}"
    handler.__qualname__ = f"CaseApi.step_{name}"
    handler.__doc__ = step_doc(name)
    return route("POST", f"/<int:pk>/{name}", permission="step", errors=(400, 404, 409, 422))(
        handler
    )
