"""Home visits (上门服务) for elderly, weak, sick and disabled applicants.

A case whose channel is "home visit" has visits: each planned with its time, the address and the
staff going, then recorded as done with its outcome. Both are recording steps of the case (the
step registry runs them, so they lock the case, land on the timeline and in the audit trail);
nothing here commits.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.domain.errors import IllegalTransition, ValidationFailed
from app.domain.lifecycle import _event, _require_step, publishes
from app.enums import CaseChannel, EventKind

ADDRESS_MAX = 200


def is_home_visit(case: m.Case) -> bool:
    return case.channel == CaseChannel.HOME_VISIT


def open_visits(session: Session, case: m.Case) -> list[m.HomeVisit]:
    """The visits planned and not yet recorded as done, soonest first."""
    return list(
        session.execute(
            sa.select(m.HomeVisit)
            .where(m.HomeVisit.case_id == case.id, m.HomeVisit.done_at.is_(None))
            .order_by(m.HomeVisit.planned_at, m.HomeVisit.id)
        ).scalars()
    )


def with_note(text: str, note: str = "") -> str:
    """A timeline entry's text with the step's optional note after it."""
    note = (note or "").strip()
    return f"{text}（{note}）" if note else text


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=clock.TZ) if value.tzinfo is None else value


def _visit_data(visit: m.HomeVisit) -> dict:
    return {
        "home_visit_id": visit.id,
        "planned_at": visit.planned_at.isoformat(),
        "address": visit.address,
        "staff": [s.name for s in visit.staff],
    }


@publishes("plan_home_visit")
def plan(
    session: Session,
    case: m.Case,
    actor,
    *,
    planned_at: dt.datetime,
    address: str,
    staff: list[m.Specialist],
    purpose: str = "",
    note: str = "",
) -> m.HomeVisit:
    """Plan a visit: when, where, and who goes (one or more active staff)."""
    _require_step(case, "plan_home_visit")
    if not is_home_visit(case):
        raise IllegalTransition(_l("Only a home-visit case has home visits."))
    errors: dict[str, object] = {}
    address = (address or "").strip()
    if not address:
        errors["address"] = _l("Give the address of the visit.")
    elif len(address) > ADDRESS_MAX:
        errors["address"] = _l("The text is too long.")
    staff = [s for s in staff if s is not None]
    if not staff:
        errors["staff"] = _l("Choose the staff who go.")
    elif any(not s.active for s in staff):
        errors["staff"] = _l("That specialist is not active.")
    if planned_at is None:
        errors["planned_at"] = _l("This field is required.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    visit = m.HomeVisit(
        case=case,
        planned_at=_aware(planned_at),
        address=address,
        purpose=(purpose or "").strip(),
        planned_by_id=getattr(actor, "id", None),
        staff=list({s.id: s for s in staff}.values()),
    )
    session.add(visit)
    session.flush()
    _event(
        session,
        case,
        EventKind.HOME_VISIT,
        actor,
        note=with_note(
            str(_l("Home visit planned")) + (f": {visit.purpose}" if visit.purpose else ""), note
        ),
        data={**_visit_data(visit), "action": "planned"},
    )
    return visit


@publishes("record_home_visit")
def record(
    session: Session,
    case: m.Case,
    actor,
    *,
    visit: m.HomeVisit | None,
    done_at: dt.datetime | None,
    outcome: str,
    note: str = "",
) -> m.HomeVisit:
    """Record a planned visit as done: when it took place and what came of it."""
    _require_step(case, "record_home_visit")
    if visit is None or visit.case_id != case.id:
        raise ValidationFailed({"visit": _l("Choose a visit planned on this case.")})
    if visit.done_at is not None:
        raise IllegalTransition(_l("This visit is already recorded as done."))
    errors: dict[str, object] = {}
    outcome = (outcome or "").strip()
    if not outcome:
        errors["outcome"] = _l("Say what came of the visit.")
    done_at = _aware(done_at) if done_at is not None else clock.now()
    if done_at > clock.now() + dt.timedelta(minutes=5):
        errors["done_at"] = _l("A visit cannot be recorded as done in the future.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    visit.done_at = done_at
    visit.outcome = outcome
    visit.recorded_by_id = getattr(actor, "id", None)
    case.last_contact_at = clock.now()
    _event(
        session,
        case,
        EventKind.HOME_VISIT,
        actor,
        note=with_note(outcome, note),
        data={**_visit_data(visit), "action": "done", "done_at": done_at.isoformat()},
    )
    return visit
