"""The case status: one enum, owned by the lifecycle (app/domain/lifecycle.py sets it)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.enums import LabelledEnum


class CaseStatus(LabelledEnum):
    APPLIED = "applied"  # set by apply(): application form filled in
    ACCEPTED = "accepted"  # set by confirm(): entrustment confirmed and signed, clock starts
    IN_PROGRESS = "in_progress"  # set by submit()/supplement(): at the window
    AWAITING_MATERIALS = "awaiting_materials"  # set by notify_missing(): clock paused
    SUSPENDED = "suspended"  # set by suspend(): 中止, clock stopped until resume() (续办)
    COMPLETED = "completed"  # set by complete(): handover signed
    TERMINATED = "terminated"  # set by terminate(): entrustment ended
    VOIDED = "voided"  # set by void(): entered by mistake, kept in the ledger, out of statistics

    @classmethod
    def _labels(cls):
        return {
            "applied": _l("Applied"),
            "accepted": _l("Accepted"),
            "in_progress": _l("In progress"),
            "awaiting_materials": _l("Awaiting materials"),
            "suspended": _l("Suspended"),
            "completed": _l("Completed"),
            "terminated": _l("Terminated"),
            "voided": _l("Voided"),
        }


OPEN_STATUSES = frozenset(
    {
        CaseStatus.APPLIED,
        CaseStatus.ACCEPTED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.AWAITING_MATERIALS,
        CaseStatus.SUSPENDED,
    }
)
TERMINAL_STATUSES = frozenset({CaseStatus.COMPLETED, CaseStatus.TERMINATED})
