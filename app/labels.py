"""Labels shared by the screens and the API (a view's or resource's own labels win)."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

COMMON_LABELS = {
    "id": _l("ID"),
    "code": _l("Code"),
    "name": _l("Name"),
    "unit": _l("Unit"),
    "case": _l("Case"),
    "at": _l("Time"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "active": _l("Active"),
    "address": _l("Address"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "department": _l("Department"),
    "specialist": _l("Specialist"),
    "channel": _l("Channel"),
    "kind": _l("Kind"),
    "status": _l("Status"),
    "reason": _l("Reason"),
    "deadline": _l("Deadline"),
    "item": _l("Service item"),
    "materials_returned": _l("Materials returned"),
    "created_at": _l("Created"),
    "basic_code": _l("Official item code"),
    "implementation_code": _l("Implementation code"),
    "item_code": _l("Item code"),
    "case_number": _l("Case number"),
    "stage": _l("Evaluation stage"),
}


# ---------------------------------------------------------------- labels of every other column
#
# Flask-AppBuilder names any column a view does not label itself by title-casing it
# (``department_id`` → "Department Id"), in English on every locale; screens and the API's
# ``label_columns`` then mix languages. ``label_for`` gives a translated label instead: the
# column's own, its relation's for ``*_id``, and "relation · column" for dotted API columns.
# Views and APIs use it through ``_prettify_column`` (TranslatedLabels: app/viewbase.py,
# app/api/base.py, app/security.py).

COLUMN_LABELS = {
    "id": _l("ID"),
    "name": _l("Name"),
    "code": _l("Code"),
    "number": _l("Case number"),
    "applicant": _l("Applicant"),
    "item": _l("Service item"),
    "unit": _l("Unit"),
    "parent": _l("Parent unit"),
    "children": _l("Subordinate units"),
    "path": _l("Unit path"),
    "tier": _l("Tier"),
    "department": _l("Department"),
    "departments": _l("Departments"),
    "parallel_departments": _l("Departments in parallel approval"),
    "specialist": _l("Specialist"),
    "steward": _l("Project steward"),
    "accepting_unit": _l("Accepting unit"),
    "handling_unit": _l("Handling unit"),
    "lead_unit": _l("Lead unit"),
    "case": _l("Case"),
    "events": _l("Case timeline"),
    "evaluation": _l("Evaluation"),
    "owner": _l("Owner"),
    "user": _l("Account"),
    "username": _l("User name"),
    "email": _l("Email"),
    "staff_type": _l("Kind of staff"),
    "actor": _l("Done by"),
    "by": _l("Done by"),
    "issued_by": _l("Notified by"),
    "uploaded_by": _l("Uploaded by"),
    "escalated_to": _l("Escalated to"),
    "changed_by": _l("Changed by"),
    "problem_category": _l("Problem category"),
    "recipient": _l("Recipient"),
    "recipient_address": _l("Address"),
    "notification": _l("Notification"),
    "permission": _l("Permission"),
    "view_menu": _l("View or menu"),
    "materials": _l("Required materials"),
    "copies": _l("Copies"),
    "original": _l("Original required"),
    "how_to_obtain": _l("How to obtain"),
    "accept_city": _l("Accepted at the city center"),
    "accept_town": _l("Accepted at town centers"),
    "accept_village": _l("Accepted at village stations"),
    "promised_days": _l("Promised time limit (working days)"),
    "legal_days": _l("Legal time limit (working days)"),
    "fee_note": _l("Fees"),
    "needs_parallel": _l("Needs parallel approval"),
    "online": _l("Online handling"),
    "self_service": _l("Self-service terminal"),
    "keywords": _l("Keywords"),
    "pinyin_initials": _l("Pinyin initials"),
    "pinyin_full": _l("Pinyin"),
    "window_number": _l("Window number"),
    "hall_location": _l("Location in the hall"),
    "id_number": _l("Resident ID number"),
    "credit_code": _l("Unified social credit code"),
    "contact_person": _l("Contact person"),
    "weak": _l("Weak"),
    "sick": _l("Sick"),
    "disabled": _l("Disabled"),
    "foreign_invested": _l("Foreign-invested enterprise"),
    "help_types": _l("Help given"),
    "major_project": _l("Major investment project"),
    "needs": _l("Applicant's needs"),
    "applied_at": _l("Applied"),
    "accepted_at": _l("Accepted"),
    "submitted_at": _l("Submitted to the window"),
    "ended_at": _l("Ended"),
    "due_date": _l("Due date"),
    "due_provisional": _l("Due date provisional"),
    "last_contact_at": _l("Last contact"),
    "ack_voluntary": _l("Applied voluntarily"),
    "ack_free": _l("Knows the service is free"),
    "ack_truthful": _l("Responsible for the truth of the materials"),
    "process_explained": _l("Process explained"),
    "applicant_signed": _l("Applicant signed"),
    "received_material_ids": _l("Materials received"),
    "version_id": _l("Version"),
    "queue_number": _l("Queue number"),
    "rating": _l("Rating"),
    "comments": _l("Comments"),
    "subject": _l("Subject"),
    "body": _l("Message"),
    "attempts": _l("Attempts"),
    "dedup_key": _l("De-duplication key"),
    "dispatched_at": _l("Handed to the worker"),
    "not_before": _l("Not before"),
    "sent_at": _l("Sent"),
    "read_at": _l("Read"),
    "last_error": _l("Last error"),
    "stored_name": _l("Stored file name"),
    "original_name": _l("File name"),
    "content_type": _l("File type"),
    "size": _l("Size"),
    "receipt_file": _l("Signed receipt"),
    "changed_at": _l("Changed"),
    "recomputed_at": _l("Due dates recomputed"),
    "confirmed": _l("Confirmed"),
    "reference": _l("Official notice"),
    "created": _l("Created"),
    "changed": _l("Changed"),
    "created_by_fk": _l("Created by"),
    "changed_by_fk": _l("Changed by"),
    "api_keys": _l("API keys"),
    "description": _l("Description"),
    "label": _l("Label"),
    "roles": _l("Roles"),
    "role": _l("Role"),
    "users": _l("Users"),
    "groups": _l("Groups"),
    # appointments, complaints (办不成事), reports
    "day": _l("Date"),
    "walk_in": _l("Walk-in help"),
    "end_note": _l("Note on closing"),
    "period_start": _l("Period from"),
    "period_end": _l("Period to"),
    "hotline_ticket": _l("12345 ticket number"),
    "complainant": _l("Complainant"),
    "matter": _l("What could not be done"),
    "handler": _l("Handled by"),
    "received_at": _l("Received at"),
    "transferred_at": _l("Transferred at"),
    "transfer_days": _l("Transfer time limit (working days)"),
    "transfer_due": _l("Department to answer by"),
    "replied_at": _l("Department answered at"),
    "reply": _l("Department's answer"),
    "called_back_at": _l("Called back at"),
    "callback_result": _l("Call-back note"),
    "satisfied": _l("Satisfied at call-back"),
    "archived_at": _l("Archived at"),
    # the case files (案卷, app/archive)
    "checksum": _l("Checksum (SHA-256)"),
    "pages": _l("Pages"),
    "retention_years": _l("Retention (years)"),
    "retain_until": _l("Keep until"),
    "disposal_due_at": _l("Due for disposal review since"),
    "archived_by": _l("Archived by"),
}


def _joined(*labels) -> LazyString:
    return LazyString(lambda: " · ".join(str(label) for label in labels))


def label_for(name: str):
    """The translated label of column ``name``, or None when none is known."""
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    for suffix in ("_id", "_fk"):
        if name.endswith(suffix) and name[: -len(suffix)] in COLUMN_LABELS:
            return COLUMN_LABELS[name[: -len(suffix)]]
    if "." in name:
        parts = [label_for(part) for part in name.split(".")]
        if all(p is not None for p in parts):
            return _joined(*parts)
    return None


class TranslatedLabels:
    """Mixin for a FAB view or API: unlabelled columns get ``label_for``'s translated label."""

    def _prettify_column(self, name):
        return label_for(name) or super()._prettify_column(name)


# ---------------------------------------------------------------- the audit trail's codes

AUDIT_ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "reveal": _l("Full number shown"),
    "lock": _l("Account locked"),
    "step": _l("Case step"),
    "import": _l("Import"),
}
AUDIT_TABLES = {
    "service_case": _l("Case"),
    "applicant": _l("Applicant"),
    "specialist": _l("Specialist"),
    "org_unit": _l("Service unit"),
    "department": _l("Department"),
    "service_item": _l("Service item"),
    "ab_user": _l("Account"),
    "ab_role": _l("Role"),
    "ab_permission_view": _l("Permission"),
    "sms_template": _l("SMS template"),
    "app_setting": _l("Setting"),
    "system": _l("System"),
}


def audit_action(code):
    return AUDIT_ACTIONS.get(code, code)


def audit_table(code):
    return AUDIT_TABLES.get(code, code)


def audit_user(name):
    if name == "anonymous":
        return _l("Not logged in")
    if name == "system":  # background jobs
        return _l("System")
    return name or "—"


def dash_if_none(value):
    return "—" if value is None else value


def record_text(value):
    """A stored snapshot (dict) as "field: value" lines, empty values as a dash."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        return "\n".join(f"{k}: {'—' if v is None else v}" for k, v in value.items()) or "—"
    return value
