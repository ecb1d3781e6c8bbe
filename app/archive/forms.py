"""The archive step's page form (field names are the body's, app/archive/schemas.py)."""

from __future__ import annotations

from app.cases.forms import StepForm


class ArchiveForm(StepForm):
    """归档: only a note; the case file is made from the record."""
