"""催办: a manager chases the case's specialist for a response by a deadline (the 12345 hand-off).

Two case steps, run through the one step path (app/cases/service.py) like every other, so each
is audited and on the case's timeline; neither changes the case's status. ``chase_up`` records
the request, the response deadline and any hotline ticket; ``reply`` records the specialist's
answer. An unanswered chase-up past its deadline is flagged on the case page and reminded daily
(app/reminders/kinds.py).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.domain.errors import IllegalTransition, ValidationFailed
from app.domain.hotline import clean_ticket
from app.domain.lifecycle import _event, _require_step, publishes
from app.enums import EventKind

MAX_TEXT = 2000
MAX_DAYS_AHEAD = 90


def open_chase_ups(session: Session, case: m.Case) -> list[m.ChaseUp]:
    """The case's chase-ups still waiting for a response, oldest first."""
    return list(
        session.execute(
            sa.select(m.ChaseUp)
            .where(m.ChaseUp.case_id == case.id, m.ChaseUp.responded_at.is_(None))
            .order_by(m.ChaseUp.requested_at, m.ChaseUp.id)
        ).scalars()
    )


@publishes("chase_up")
def chase_up(
    session: Session,
    case: m.Case,
    actor,
    *,
    request: str,
    respond_by: dt.date | None,
    hotline_ticket: str | None = None,
) -> m.ChaseUp:
    """Ask the case's specialist to respond by ``respond_by`` (today at the earliest)."""
    _require_step(case, "chase_up")
    errors = {}
    request = (request or "").strip()
    if not request:
        errors["request"] = _l("Write what the specialist should respond to.")
    elif len(request) > MAX_TEXT:
        errors["request"] = _l("At most %(n)s characters.", n=MAX_TEXT)
    today = clock.today()
    if respond_by is None:
        errors["respond_by"] = _l("Give the response deadline.")
    elif respond_by < today:
        errors["respond_by"] = _l("The response deadline cannot be in the past.")
    elif respond_by > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        errors["respond_by"] = _l("The response deadline is at most %(n)s days ahead.", n=90)
    try:
        ticket = clean_ticket(hotline_ticket)
    except ValidationFailed as error:
        errors.update(error.errors)
        ticket = None
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    if case.specialist is None:
        raise IllegalTransition(_l("The case has no specialist to chase up: assign one first."))
    row = m.ChaseUp(
        case=case,
        requested_at=clock.now(),
        requested_by_id=getattr(actor, "id", None),
        specialist=case.specialist,
        request=request,
        respond_by=respond_by,
        hotline_ticket=ticket,
        response="",
    )
    if ticket and not case.hotline_ticket:
        case.hotline_ticket = ticket
    session.add(row)
    _event(
        session,
        case,
        EventKind.CHASE_UP,
        actor,
        note=request,
        data={
            "respond_by": respond_by.isoformat(),
            "specialist": case.specialist.name,
            "hotline_ticket": ticket,
        },
    )
    return row


@publishes("chase_up_reply")
def reply(
    session: Session, case: m.Case, actor, *, chase: m.ChaseUp | None, response: str
) -> m.ChaseUp:
    """The specialist's response to an open chase-up of this case."""
    _require_step(case, "chase_up_reply")
    if chase is None or chase.case_id != case.id:
        raise ValidationFailed({"chase_up": _l("Choose the chase-up to respond to.")})
    if chase.responded_at is not None:
        raise IllegalTransition(_l("This chase-up has already been answered."))
    response = (response or "").strip()
    if not response:
        raise ValidationFailed({"response": _l("Write the response.")})
    if len(response) > MAX_TEXT:
        raise ValidationFailed({"response": _l("At most %(n)s characters.", n=MAX_TEXT)})
    chase.responded_at = clock.now()
    chase.responded_by_id = getattr(actor, "id", None)
    chase.response = response
    late = clock.local_date(chase.responded_at) > chase.respond_by
    _event(
        session,
        case,
        EventKind.CHASE_UP_REPLY,
        actor,
        note=response,
        data={"chase_up": chase.id, "respond_by": chase.respond_by.isoformat(), "late": late},
    )
    return chase
