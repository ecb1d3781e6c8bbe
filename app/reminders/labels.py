"""What each kind of notification is called on screens (``Notification.kind`` stores a code)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    # reminders (app/reminders/kinds.py KINDS)
    "progress_due": _l("Progress feedback due"),
    "project_review": _l("Major project progress review"),
    "due_soon": _l("Due date approaching"),
    "overdue": _l("Overdue"),
    "materials_overdue": _l("Materials past their deadline"),
    "evaluation_due": _l("Evaluation to collect"),
    "return_visit_due": _l("Return visit due"),
    "rectification_overdue": _l("Rectification overdue"),
    "joint_review": _l("Joint review tomorrow"),
    "home_visit": _l("Home visit tomorrow"),
    "escalation": _l("Escalation waiting"),
    "monthly_summary": _l("Monthly summary"),
    "chase_up": _l("Chase-up"),
    "chase_up_overdue": _l("Chase-up unanswered"),
    "complaint_due_soon": _l("Complaint due soon"),
    "complaint_overdue": _l("Complaint overdue"),
    "appointment_sms": _l("Appointment reminder SMS"),
    # messages queued elsewhere
    "status_sms": _l("Case status SMS"),
    "calendar_coverage": _l("Next year's calendar"),
    "summary_ready": _l("Summary report ready"),
    "import_done": _l("Import finished"),
}


def kind_label(kind: str | None):
    """The translated name of a notification kind (never the raw code)."""
    return KIND_LABELS.get(kind or "", _l("Notification"))
