"""The fields of records that a screen's form and an API resource both write: declared once."""

from __future__ import annotations

SERVICE_ITEM_FIELDS = [
    "code",
    "basic_code",
    "implementation_code",
    "name",
    "department",
    "accept_city",
    "accept_town",
    "accept_village",
    "promised_days",
    "legal_days",
    "fee_note",
    "window_number",
    "hall_location",
    "needs_parallel",
    "parallel_departments",
    "online",
    "mobile",
    "self_service",
    "keywords",
    "active",
]

APPLICANT_FIELDS = [
    "kind",
    "name",
    "id_number",
    "credit_code",
    "contact_person",
    "mobile",
    "address",
    "weak",
    "sick",
    "disabled",
    "foreign_invested",
    "unit",
]
