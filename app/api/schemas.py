"""Answer bodies of the case API. Step bodies are the step registry's schemas
(app/cases/schemas.py), shared with the case page; STEP_SCHEMAS lists them by step name.
"""

from __future__ import annotations

from app.cases.schemas import ApplySchema, TimelineEventSchema
from app.cases.steps import STEPS

STEP_SCHEMAS = {name: step.schema for name, step in STEPS.items()}

__all__ = ["STEP_SCHEMAS", "ApplySchema", "TimelineEventSchema", "event_row"]


def event_row(event) -> dict:
    """A CaseEvent as the timeline answer shows it (enum values, names instead of ids)."""

    def value(member):
        return member.value if member is not None else None

    return {
        "id": event.id,
        "at": event.at.isoformat() if event.at else None,
        "kind": value(event.kind),
        "actor": event.actor.username if event.actor is not None else None,
        "unit": event.unit.name if event.unit is not None else None,
        "from_status": value(event.from_status),
        "to_status": value(event.to_status),
        "channel": value(event.channel),
        "note": event.note or "",
        "data": event.data or {},
    }
