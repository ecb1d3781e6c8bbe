"""The case status: one enum, owned by the lifecycle (app/domain/lifecycle.py sets it)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.enums import LabelledEnum


class CaseStatus(LabelledEnum):
    # set by apply(): application form filled in
    APPLIED = "applied", _l("Applied")
    # set by confirm(): entrustment confirmed and signed, clock starts
    ACCEPTED = "accepted", _l("Accepted")
    # set by submit()/supplement(): at the window
    IN_PROGRESS = "in_progress", _l("In progress")
    # set by notify_missing(): clock paused
    AWAITING_MATERIALS = "awaiting_materials", _l("Awaiting materials")
    # set by suspend(): 中止, clock stopped until resume() (续办)
    SUSPENDED = "suspended", _l("Suspended")
    # set by complete(): handover signed
    COMPLETED = "completed", _l("Completed")
    # set by terminate(): entrustment ended
    TERMINATED = "terminated", _l("Terminated")
    # set by void(): entered by mistake, kept in the ledger, out of statistics
    VOIDED = "voided", _l("Voided")


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


class ComplaintStatus(LabelledEnum):
    """A “办不成事” complaint's place in its lifecycle (app/domain/complaints.py sets it)."""

    # set by intake(): received at the desk, from the public page or from the 12345 hotline
    INTAKE = "intake", _l("Received")
    # set by coordinate(): the center coordinates with the windows concerned
    COORDINATING = "coordinating", _l("Coordinating")
    # set by transfer(): sent to a department with a deadline in working days
    TRANSFERRED = "transferred", _l("Transferred to a department")
    # set by call_back(): the complainant was called back with the result
    CALLED_BACK = "called_back", _l("Called back")
    # set by archive(): closed and filed
    ARCHIVED = "archived", _l("Archived")


OPEN_COMPLAINT_STATUSES = frozenset(
    {ComplaintStatus.INTAKE, ComplaintStatus.COORDINATING, ComplaintStatus.TRANSFERRED}
)
