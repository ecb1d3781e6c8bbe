"""What follows a case's main line: rectification of a poor rating (差评整改) and the joint review
meeting's outcome and escalation to the leader in charge (并联审批). Each step checks its state,
changes the record, writes the case's timeline, and never commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.domain.errors import IllegalTransition, NotPermitted, ValidationFailed
from app.enums import EventKind, RectificationState, ReviewDecision
from app.roles import held_role_names
from app.scope import scope_for_user

R = RectificationState

RECTIFICATION_STEPS = {
    "verify": {R.OPEN},
    "close": {R.VERIFIED},
    "appeal": {R.OPEN, R.VERIFIED},
    "decide_appeal": {R.APPEALED},
}


def _required(text: str, field: str, message) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationFailed({field: message}, message)
    return value


def _check(rect: m.Rectification, step: str) -> None:
    if rect.state not in RECTIFICATION_STEPS[step]:
        raise IllegalTransition(
            _l("This step is not allowed while the rectification is “%(state)s”."),
            state=str(rect.state.label),
        )


def _timeline(session: Session, case: m.Case, actor, note: str, **data) -> None:
    session.add(
        m.CaseEvent(
            case=case,
            kind=EventKind.EVALUATION,
            at=clock.now(),
            actor_id=getattr(actor, "id", None),
            unit=case.handling_unit,
            note=note,
            data=data,
        )
    )


def rectification_steps(rect: m.Rectification) -> list[str]:
    return [step for step, states in RECTIFICATION_STEPS.items() if rect.state in states]


def verify(
    session: Session, rect: m.Rectification, actor, *, verification: str, action_taken: str
) -> None:
    """The complaint is looked into and the fix recorded (核实、整改)."""
    _check(rect, "verify")
    rect.verification = _required(
        verification, "verification", _l("Record what the verification found.")
    )
    rect.action_taken = _required(action_taken, "action_taken", _l("Record what was put right."))
    rect.state = R.VERIFIED
    _timeline(session, rect.evaluation.case, actor, rect.action_taken, rectification="verified")


def close_by_callback(session: Session, rect: m.Rectification, actor, *, note: str) -> None:
    """Closed by a call-back to the applicant (整改回访)."""
    _check(rect, "close")
    rect.callback_note = _required(
        note, "callback_note", _l("Record what the applicant said on the call-back.")
    )
    rect.callback_at = clock.now()
    rect.closed_at = rect.callback_at
    rect.state = R.CLOSED
    _timeline(session, rect.evaluation.case, actor, rect.callback_note, rectification="closed")


def appeal(session: Session, rect: m.Rectification, actor, *, reason: str) -> None:
    """The rating is claimed to be false or malicious (申诉)."""
    _check(rect, "appeal")
    rect.appeal_reason = _required(reason, "appeal_reason", _l("Give the grounds of the appeal."))
    rect.appealed_by_id = getattr(actor, "id", None)
    rect.state = R.APPEALED
    _timeline(session, rect.evaluation.case, actor, rect.appeal_reason, rectification="appealed")


# Who decides an appeal: a Manager or Leader whose units hold the case's handling unit (or an
# Admin), never the person who appealed and never the rated specialist.
DECIDING_ROLES = ("Manager", "Leader", "Admin")


def appeal_refusal(rect: m.Rectification, actor):
    """Why ``actor`` may not decide this appeal (a NotPermitted error), or None if they may."""
    roles = held_role_names(actor)
    case = rect.evaluation.case
    if not roles & set(DECIDING_ROLES) or not scope_for_user(actor).contains_unit(
        case.handling_unit
    ):
        return NotPermitted(
            _l("An appeal is decided by a manager or leader of the specialist's unit or above.")
        )
    actor_id = getattr(actor, "id", None)
    if rect.appealed_by_id is not None and rect.appealed_by_id == actor_id:
        return NotPermitted(_l("You appealed this rating: someone else decides the appeal."))
    rated = [rect.owner, case.specialist]
    if any(person is not None and person.user_id == actor_id for person in rated):
        return NotPermitted(_l("The rated specialist does not decide the appeal."))
    return None


def decide_appeal(
    session: Session, rect: m.Rectification, actor, *, upheld: bool, decision: str
) -> None:
    """Upheld: the rating is set aside and the rectification closes; else rectification resumes."""
    _check(rect, "decide_appeal")
    refusal = appeal_refusal(rect, actor)
    if refusal is not None:
        raise refusal
    rect.appeal_decision = _required(decision, "appeal_decision", _l("Record the decision."))
    if upheld:
        rect.state = R.APPEAL_UPHELD
        rect.closed_at = clock.now()
    else:
        rect.state = R.VERIFIED if rect.action_taken else R.OPEN
    _timeline(
        session,
        rect.evaluation.case,
        actor,
        rect.appeal_decision,
        rectification="appeal_upheld" if upheld else "appeal_rejected",
        decided_by=getattr(actor, "username", ""),
    )


# ---------------------------------------------------------------- joint review


def record_review_outcome(
    session: Session, review: m.JointReview, actor, *, minutes: str, decision: ReviewDecision
) -> None:
    """The meeting's minutes and decision; an unsettled matter is escalated separately."""
    if review.decision not in (ReviewDecision.PENDING,):
        raise IllegalTransition(_l("This joint review already has a decision."))
    if decision not in (ReviewDecision.APPROVED, ReviewDecision.REJECTED):
        raise ValidationFailed({"decision": _l("Choose approved or not approved.")})
    review.minutes = _required(minutes, "minutes", _l("Record the minutes of the meeting."))
    review.decision = decision
    review.resolved_at = clock.now()
    _review_event(session, review, actor, review.minutes, decision=decision.value)


def escalate(session: Session, review: m.JointReview, actor, *, leader, minutes: str) -> None:
    """Cross-department dispute the center cannot resolve: to the leader in charge."""
    if review.decision != ReviewDecision.PENDING:
        raise IllegalTransition(_l("Only an undecided joint review can be escalated."))
    if leader is None or "Leader" not in held_role_names(leader):
        raise ValidationFailed({"leader": _l("Choose a leader in charge.")})
    review.minutes = _required(minutes, "minutes", _l("Record why it could not be settled."))
    review.decision = ReviewDecision.ESCALATED
    review.escalated_to_id = leader.id
    review.escalated_at = clock.now()
    _review_event(session, review, actor, review.minutes, escalated_to=leader.username)


def record_escalation_outcome(
    session: Session, review: m.JointReview, actor, *, outcome: str, approved: bool
) -> None:
    """The leader's coordination result closes the escalation."""
    if review.decision != ReviewDecision.ESCALATED or review.resolved_at is not None:
        raise IllegalTransition(_l("There is no open escalation on this joint review."))
    review.escalation_outcome = _required(outcome, "escalation_outcome", _l("Record the outcome."))
    review.resolved_at = clock.now()
    _review_event(
        session,
        review,
        actor,
        review.escalation_outcome,
        outcome="approved" if approved else "rejected",
    )


def _review_event(session: Session, review: m.JointReview, actor, note: str, **data) -> None:
    session.add(
        m.CaseEvent(
            case=review.case,
            kind=EventKind.JOINT_REVIEW,
            at=clock.now(),
            actor_id=getattr(actor, "id", None),
            unit=review.case.handling_unit,
            note=note,
            data=data,
        )
    )


def leaders_over(session: Session, unit: m.OrgUnit, user_model) -> list:
    """Accounts with the Leader role whose unit is ``unit`` or above it."""
    codes = [c for c in (unit.path or "").strip("/").split("/") if c]
    users = session.execute(
        sa.select(user_model)
        .join(m.Specialist, m.Specialist.user_id == user_model.id)
        .join(m.OrgUnit, m.Specialist.unit_id == m.OrgUnit.id)
        .where(m.OrgUnit.code.in_(codes), m.Specialist.active.is_(True))
    ).scalars()
    return [u for u in users if "Leader" in held_role_names(u)]
