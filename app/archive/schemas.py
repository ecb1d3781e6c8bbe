"""The body of the archive step (``POST /api/v1/case/<pk>/archive``), read by the API and the
case page alike."""

from __future__ import annotations

from app.cases.schemas import StepSchema


class ArchiveSchema(StepSchema):
    __component_name__ = "CaseStep.archive"
