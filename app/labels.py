"""Labels shared by the screens and the API (a view's or resource's own labels win)."""

from __future__ import annotations

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
}
