"""The case lifecycle: the one owner of a case's status.

applied → accepted → in progress ⇄ awaiting materials → completed | terminated.
Each step is a plain function called by views, the API and jobs alike. A step checks its
guards, changes the case, writes a timeline entry and returns; it never commits (the caller's
unit of work does), so a refused step changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock, events
from app.domain.calendar import load_calendar
from app.domain.errors import IllegalTransition, NotPermitted, ValidationFailed
from app.domain.hotline import clean_ticket
from app.domain.numbering import next_case_number
from app.domain.status import OPEN_STATUSES, TERMINAL_STATUSES, CaseStatus
from app.enums import CaseChannel, EvaluationStage, EventKind, ServiceKind, SuspensionReason
from app.extensions import db
from app.roles import held_role_names
from app.scope import scope_for_user

S = CaseStatus

# The status changes a step may make: step name → {from status: to status}. Supplying the
# missing materials returns the case to where it stood before the notice: a case that never
# reached the window goes back to "accepted" (it still needs 送达窗口), see ``supplement``.
TRANSITIONS: dict[str, dict[CaseStatus, CaseStatus | frozenset[CaseStatus]]] = {
    "confirm": {S.APPLIED: S.ACCEPTED},
    "submit": {S.ACCEPTED: S.IN_PROGRESS},
    "notify_missing": {S.ACCEPTED: S.AWAITING_MATERIALS, S.IN_PROGRESS: S.AWAITING_MATERIALS},
    "supplement": {S.AWAITING_MATERIALS: frozenset({S.IN_PROGRESS, S.ACCEPTED})},
    "complete": {S.IN_PROGRESS: S.COMPLETED},
    "terminate": {s: S.TERMINATED for s in OPEN_STATUSES},
}

# Steps that record something without changing the status, and where they are allowed.
RECORDING_STEPS: dict[str, frozenset[CaseStatus]] = {
    "update": frozenset({S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_MATERIALS}),
    "contact": frozenset(OPEN_STATUSES),
    "fee_guidance": frozenset({S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_MATERIALS}),
    "problem": frozenset(OPEN_STATUSES),
    "resolve_problem": frozenset(OPEN_STATUSES | TERMINAL_STATUSES),
    "transfer": frozenset(OPEN_STATUSES),
    "assign": frozenset(OPEN_STATUSES),
    "steward": frozenset(OPEN_STATUSES),
    "extend": frozenset({S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_MATERIALS}),
    "joint_review": frozenset({S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_MATERIALS}),
    # 一次一评: at acceptance (once confirmed) and at completion (evaluation_stages_open).
    "evaluate": frozenset((OPEN_STATUSES | TERMINAL_STATUSES) - {S.APPLIED}),
    "return_visit": TERMINAL_STATUSES,
    # signed papers are filed (and a wrong one voided) while the case runs and after it ends
    "attach": frozenset(OPEN_STATUSES | TERMINAL_STATUSES),
    "void_attachment": frozenset(OPEN_STATUSES | TERMINAL_STATUSES),
    # 催办 (app/domain/chaseups.py): asked while the case runs, answered also after it ended
    "chase_up": frozenset(OPEN_STATUSES),
    "chase_up_reply": frozenset(OPEN_STATUSES | TERMINAL_STATUSES),
    # 上门服务 (app/domain/visits.py): planned while the case runs, recorded also after it ends
    "plan_home_visit": frozenset(OPEN_STATUSES),
    "record_home_visit": frozenset(OPEN_STATUSES | TERMINAL_STATUSES),
    # 项目管家 "1+1+N" of a major project (app/domain/projects.py)
    "project_contact": frozenset(OPEN_STATUSES),
    "add_liaison": frozenset(OPEN_STATUSES),
    "remove_liaison": frozenset(OPEN_STATUSES),
    "project_log": frozenset(OPEN_STATUSES | TERMINAL_STATUSES),
    "raise_issue": frozenset(OPEN_STATUSES),
    "solve_issue": frozenset(OPEN_STATUSES | TERMINAL_STATUSES),
    # 归档 (app/domain/archiving.py): once the case has ended, once
    "archive": TERMINAL_STATUSES,
}

# An archived case (归档, app/domain/archiving.py) is read-only: every step is refused but the
# return visit, which the seven-step practice (委托、受理、办理、送达、归档、上报、回访) places
# after the archiving.
AFTER_ARCHIVE = frozenset({"return_visit"})


def allowed_steps(case: m.Case) -> list[str]:
    """The steps offered on the case's page in its current status."""
    steps = [name for name, table in TRANSITIONS.items() if case.status in table]
    steps += [name for name, states in RECORDING_STEPS.items() if case.status in states]
    if _archived(case):
        steps = [name for name in steps if name in AFTER_ARCHIVE]
    return steps


def _archived(case: m.Case):
    """The case's archive record (案卷), or None."""
    return getattr(case, "archive", None)


def archived_refusal(case: m.Case, step: str) -> IllegalTransition | None:
    """Why ``step`` is refused on an archived case (read-only), or None."""
    record = _archived(case)
    if record is None or step in AFTER_ARCHIVE:
        return None
    return IllegalTransition(
        _l("This case is archived (case file %(number)s) and can no longer be changed."),
        number=record.number,
    )


def refuse_if_archived(case: m.Case, step: str) -> None:
    """Refuse ``step`` on an archived case unless it comes after the archiving."""
    refused = archived_refusal(case, step)
    if refused is not None:
        raise refused


def _refuse(message, **params) -> IllegalTransition:
    return IllegalTransition(message, **params)


def _event(
    session: Session,
    case: m.Case,
    kind: EventKind,
    actor,
    *,
    note: str = "",
    from_status: CaseStatus | None = None,
    to_status: CaseStatus | None = None,
    **fields,
) -> m.CaseEvent:
    event = m.CaseEvent(
        case=case,
        kind=kind,
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        unit=case.handling_unit,
        note=note or "",
        from_status=from_status,
        to_status=to_status,
        **fields,
    )
    session.add(event)
    return event


def _move(
    session: Session,
    case: m.Case,
    step: str,
    actor,
    note: str = "",
    to: CaseStatus | None = None,
) -> None:
    """Apply the status change of ``step`` or refuse it; logs the change in the timeline.

    ``to`` chooses among the targets a step may reach from the current status (it must be one
    of them); a step with a single target needs none.
    """
    refuse_if_archived(case, step)
    table = TRANSITIONS[step]
    if case.status not in table:
        raise _refuse(
            _l("“%(step)s” is not allowed while the case is “%(status)s”."),
            step=str(STEP_LABELS[step]),
            status=str(case.status.label),
        )
    old = case.status
    targets = table[old]
    if isinstance(targets, frozenset):
        if to not in targets:
            raise ValueError(f"{step}: target {to!r} is not one of {sorted(targets)}")
        target = to
    else:
        target = targets
    case.status = target
    _event(
        session, case, EventKind.STATUS, actor, note=note, from_status=old, to_status=case.status
    )
    events.status_changed.send(case, session=session, old=old, new=case.status)


def _require_step(case: m.Case, step: str) -> None:
    refuse_if_archived(case, step)
    if case.status not in RECORDING_STEPS[step]:
        raise _refuse(
            _l("“%(step)s” is not allowed while the case is “%(status)s”."),
            step=str(STEP_LABELS[step]),
            status=str(case.status.label),
        )


# The call's arguments that are not the step's own data (see ``publishes``).
_NOT_DATA = ("session", "case", "actor", "step")


def _before(case: m.Case | None) -> dict:
    """What a subscriber may need of the case as it stood before the step (columns only)."""
    if case is None:
        return {}
    return {
        "status": case.status,
        "handling_unit_id": case.handling_unit_id,
        "specialist_id": case.specialist_id,
    }


def publishes(step: str | None = None):
    """Send ``events.step_taken`` once the decorated step has been applied (and raised nothing).

    ``step`` names the step (None: the call's own ``step`` argument does, as in ``record``).
    The payload ``data`` is the call's own arguments: the step's data as the caller gave it.
    """

    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def run(*args, **kwargs):
            call = signature.bind(*args, **kwargs)
            arguments = call.arguments
            case = arguments.get("case")
            before = _before(case)
            result = fn(*args, **kwargs)
            data = {k: v for k, v in arguments.items() if k not in _NOT_DATA}
            data.update(data.pop("fields", None) or {})  # apply(**fields), record(**fields)
            events.step_taken.send(
                case if case is not None else result,
                session=arguments["session"],
                step=step or arguments["step"],
                actor=arguments["actor"],
                data=data,
                result=result,
                before=before,
            )
            return result

        return run

    return decorate


STEP_LABELS = {
    "apply": _l("Apply"),
    "confirm": _l("Confirm the entrustment"),
    "submit": _l("Submit to the window"),
    "notify_missing": _l("One-time notice of missing materials"),
    "supplement": _l("Materials supplied"),
    "update": _l("Progress update"),
    "contact": _l("Contact with applicant"),
    "fee_guidance": _l("Fee guidance"),
    "problem": _l("Problem met"),
    "resolve_problem": _l("Problem solved"),
    "transfer": _l("Transfer"),
    "assign": _l("Assign"),
    "steward": _l("Project steward"),
    "extend": _l("Extend"),
    "joint_review": _l("Joint review"),
    "complete": _l("Complete with handover"),
    "terminate": _l("Terminate the entrustment"),
    "evaluate": _l("Record the evaluation"),
    "return_visit": _l("Return visit"),
    "attach": _l("Attach a signed paper or file"),
    "void_attachment": _l("Void an attached file"),
    "chase_up": _l("Chase up"),
    "chase_up_reply": _l("Respond to a chase-up"),
    "plan_home_visit": _l("Plan a home visit"),
    "record_home_visit": _l("Record a home visit"),
    "project_contact": _l("Enterprise contact"),
    "add_liaison": _l("Add a department liaison"),
    "remove_liaison": _l("Remove a department liaison"),
    "project_log": _l("Project log entry"),
    "raise_issue": _l("Raise a project issue"),
    "solve_issue": _l("Solve a project issue"),
    "archive": _l("Archive the case file"),
}


# ---------------------------------------------------------------- application


def proxy_eligible(applicant: m.Applicant, major_project: bool, on: dt.date) -> bool:
    """代办 only for major investment projects, foreign-invested enterprises and 老弱病残."""
    return bool(major_project or applicant.foreign_invested or applicant.special_group(on))


def check_application(case: m.Case) -> None:
    """The guards of an application (raises ValidationFailed naming each field)."""
    errors: dict[str, object] = {}
    for field, message in (
        ("ack_voluntary", _l("The applicant must confirm the service was requested voluntarily.")),
        ("ack_free", _l("The applicant must confirm they know the service is free.")),
        ("ack_truthful", _l("The applicant must confirm responsibility for the materials.")),
    ):
        if not getattr(case, field):
            errors[field] = message
    if case.kind == ServiceKind.PROXY and case.applicant is not None:
        if not proxy_eligible(case.applicant, case.major_project, clock.today()):
            errors["kind"] = _l(
                "Proxy handling is only for major investment projects, foreign-invested "
                "enterprises and elderly, weak, sick or disabled applicants."
            )
    if case.channel == CaseChannel.HOME_VISIT and case.applicant is not None:
        if not case.applicant.special_group(clock.today()):
            errors["channel"] = _l(
                "Home visits are for elderly, weak, sick or disabled applicants."
            )
    if case.item is not None and case.handling_unit is not None:
        if not case.item.accepts(case.handling_unit.tier):
            errors["item"] = _l("This service item is not accepted at the handling unit's tier.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


def _actor_unit(session: Session, actor) -> m.OrgUnit | None:
    if actor is None:
        return None
    return session.execute(
        sa.select(m.OrgUnit)
        .join(m.Specialist, m.Specialist.unit_id == m.OrgUnit.id)
        .where(m.Specialist.user_id == actor.id)
    ).scalar_one_or_none()


def prepare_new_case(case: m.Case, actor, session: Session | None = None) -> m.Case:
    """Fill in what an application sets by itself (number, units, status) and check it."""

    session = session or db.session
    with session.no_autoflush:
        if case.handling_unit is None and case.handling_unit_id is not None:
            case.handling_unit = session.get(m.OrgUnit, case.handling_unit_id)
        if case.applicant is None and case.applicant_id is not None:
            case.applicant = session.get(m.Applicant, case.applicant_id)
        if case.item is None and case.item_id is not None:
            case.item = session.get(m.ServiceItem, case.item_id)
        accepting = _actor_unit(session, actor) or case.handling_unit
        if case.handling_unit is None:
            case.handling_unit = accepting
        case.accepting_unit = accepting
        case.status = S.APPLIED
        case.channel = CaseChannel(case.channel or CaseChannel.HALL)
        case.applied_at = clock.now()
        case.help_types = list(case.help_types or [])
        case.received_material_ids = list(case.received_material_ids or [])
        if case.kind == ServiceKind.PROXY:
            case.help_types = []
        check_application(case)
        case.number = next_case_number(session, accepting, clock.today().year)
        _event(
            session,
            case,
            EventKind.STATUS,
            actor,
            to_status=S.APPLIED,
            note=str(_l("Application received")),
        )
    return case


@publishes("apply")
def apply(session: Session, actor, **fields) -> m.Case:
    """Create a case from the application form (帮办代办申请表); a 12345 ticket number, when
    given, is checked and stored in its normalized spelling (app/domain/hotline.py)."""
    if "hotline_ticket" in fields:
        fields["hotline_ticket"] = clean_ticket(fields["hotline_ticket"])
    case = m.Case(**fields)
    session.add(case)
    prepare_new_case(case, actor, session)
    return case


# ---------------------------------------------------------------- handling


def due_date_for(
    session: Session, case: m.Case, *, extra_days: int = 0, resumed_on: dt.date | None = None
):
    """The due date: promised + extended working days from confirmation, pauses not counted.

    ``resumed_on`` closes a pause that is still open as if the materials arrived that day (the
    due date in force at that moment); ``extra_days`` adds working days not yet recorded.
    """
    if case.accepted_at is None or case.promised_days is None:
        return None
    extra = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(m.Extension.extra_days), 0)).where(
            m.Extension.case_id == case.id
        )
    ).scalar_one()
    pauses = []
    for started, ended in pause_spans(session, case):
        start = clock.local_date(started)
        end = clock.local_date(ended)
        if end is None and resumed_on is not None:
            end = resumed_on
        if end is None:
            pauses.append((start, None))
        elif end > start:
            pauses.append((start, end - dt.timedelta(days=1)))
    calendar = load_calendar(session)
    return calendar.add_working_days(
        clock.local_date(case.accepted_at),
        case.promised_days + int(extra) + extra_days,
        paused=pauses,
    )


def pause_spans(session: Session, case: m.Case) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """When the clock stopped and started again: every materials pause (一次性告知 until the
    materials arrive) and every suspension (中止 until 续办); None = still stopped. Both count
    the same way: the first day is not counted, the day it ends is."""
    spans = [
        (notice.issued_at, notice.resolved_at)
        for notice in session.execute(
            sa.select(m.MaterialNotice).where(m.MaterialNotice.case_id == case.id)
        ).scalars()
    ]
    spans += [
        (suspension.suspended_at, suspension.resumed_at)
        for suspension in session.execute(
            sa.select(m.Suspension).where(m.Suspension.case_id == case.id)
        ).scalars()
    ]
    return sorted(spans, key=lambda span: span[0])


def _refresh_due(session: Session, case: m.Case) -> None:
    session.flush()
    due = due_date_for(session, case)
    if due is None or due.paused:
        return
    case.due_date = due.day
    case.due_provisional = due.provisional


@publishes("confirm")
def confirm(
    session: Session,
    case: m.Case,
    actor,
    *,
    process_explained: bool,
    applicant_signed: bool,
    received_material_ids: Iterable[int] = (),
    note: str = "",
) -> m.Case:
    """Confirm the entrustment: process explained, materials checked, applicant signed."""
    errors = {}
    if not process_explained:
        errors["process_explained"] = _l("Explain the process to the applicant first.")
    if not applicant_signed:
        errors["applicant_signed"] = _l("The applicant's signature is required.")
    valid_ids = {mat.id for mat in case.item.materials}
    received = sorted(set(received_material_ids))
    if set(received) - valid_ids:
        errors["received_material_ids"] = _l("Unknown material for this service item.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    _move(session, case, "confirm", actor, note)
    case.process_explained = True
    case.applicant_signed = True
    case.received_material_ids = received
    case.accepted_at = clock.now()
    case.promised_days = case.item.promised_days
    _refresh_due(session, case)
    return case


@publishes("submit")
def submit(session: Session, case: m.Case, actor, note: str = "") -> m.Case:
    """Hand the accepted case to the window for handling."""
    _move(session, case, "submit", actor, note)
    case.submitted_at = clock.now()
    return case


def missing_materials(case: m.Case) -> list[m.RequiredMaterial]:
    """The service item's required materials not yet received, in the catalogue's order."""
    received = set(case.received_material_ids or [])
    return [mat for mat in case.item.materials if mat.id not in received]


@publishes("notify_missing")
def notify_missing(
    session: Session,
    case: m.Case,
    actor,
    *,
    deadline: dt.date,
    repeat_reason: str = "",
    note: str = "",
) -> m.MaterialNotice:
    """一次性告知: list every missing material at once, with how to obtain each."""
    missing = missing_materials(case)
    if not missing:
        raise ValidationFailed(
            {"received_material_ids": _l("No material is missing.")},
            _l("No material is missing: there is nothing to notify."),
        )
    if deadline <= clock.today():
        raise ValidationFailed({"deadline": _l("The deadline must be after today.")})
    earlier = session.execute(
        sa.select(sa.func.count(m.MaterialNotice.id)).where(m.MaterialNotice.case_id == case.id)
    ).scalar_one()
    if earlier and not repeat_reason.strip():
        raise ValidationFailed(
            {"repeat_reason": _l("A second notice needs a reason; it counts as a repeat.")},
            _l("A second notice needs a reason; it counts as a repeat."),
        )
    _move(session, case, "notify_missing", actor, note)
    notice = m.MaterialNotice(
        case=case,
        issued_at=clock.now(),
        issued_by_id=getattr(actor, "id", None),
        deadline=deadline,
        is_repeat=bool(earlier),
        repeat_reason=repeat_reason.strip(),
        items=[
            {
                "material_id": mat.id,
                "name": mat.name,
                "copies": mat.copies,
                "original": mat.original,
                "how_to_obtain": mat.how_to_obtain,
            }
            for mat in missing
        ],
    )
    session.add(notice)
    _event(
        session,
        case,
        EventKind.NOTICE,
        actor,
        note=note,
        data={"materials": [mat.name for mat in missing], "deadline": deadline.isoformat()},
    )
    return notice


@publishes("supplement")
def supplement(
    session: Session, case: m.Case, actor, *, material_ids: Iterable[int], note: str = ""
) -> m.Case:
    """Record supplied materials; when none is missing any more, handling resumes."""
    valid_ids = {mat.id for mat in case.item.materials}
    supplied = set(material_ids)
    if not supplied or supplied - valid_ids:
        raise ValidationFailed({"material_ids": _l("Choose the materials supplied.")})
    if case.status != S.AWAITING_MATERIALS:
        raise _refuse(
            _l("“%(step)s” is not allowed while the case is “%(status)s”."),
            step=str(STEP_LABELS["supplement"]),
            status=str(case.status.label),
        )
    case.received_material_ids = sorted(set(case.received_material_ids or []) | supplied)
    _event(
        session,
        case,
        EventKind.SUPPLEMENT,
        actor,
        note=note,
        data={"material_ids": sorted(supplied)},
    )
    if missing_materials(case):
        return case
    for notice in session.execute(
        sa.select(m.MaterialNotice).where(
            m.MaterialNotice.case_id == case.id, m.MaterialNotice.resolved_at.is_(None)
        )
    ).scalars():
        notice.resolved_at = clock.now()
    _move(
        session,
        case,
        "supplement",
        actor,
        note,
        to=S.IN_PROGRESS if case.submitted_at is not None else S.ACCEPTED,
    )
    _refresh_due(session, case)
    return case


@publishes()
def record(session: Session, case: m.Case, actor, step: str, *, note: str, **fields) -> m.CaseEvent:
    """A progress update, contact, fee guidance or problem: a timeline entry, no status change."""
    _require_step(case, step)
    if not (note or "").strip():
        raise ValidationFailed({"note": _l("Describe what happened.")})
    kind = {
        "update": EventKind.UPDATE,
        "contact": EventKind.CONTACT,
        "fee_guidance": EventKind.FEE_GUIDANCE,
        "problem": EventKind.PROBLEM,
    }[step]
    if step == "contact":
        if fields.get("channel") is None:
            raise ValidationFailed({"channel": _l("Choose how the applicant was contacted.")})
        case.last_contact_at = clock.now()
    if step == "problem" and fields.get("problem_category_id") is None:
        raise ValidationFailed({"problem_category_id": _l("Choose the problem's category.")})
    return _event(session, case, kind, actor, note=note.strip(), **fields)


def open_problems(session: Session, case: m.Case, events=None) -> list[m.CaseEvent]:
    """The problems recorded on the case that no later entry marks solved, oldest first.
    ``events``: every event of the case when already read (the case page), else queried."""
    if events is not None:
        solved = {
            (event.data or {}).get("problem_event_id")
            for event in events
            if event.kind == EventKind.PROBLEM_SOLVED
        }
        problems = [e for e in events if e.kind == EventKind.PROBLEM and e.id not in solved]
        return sorted(problems, key=lambda e: (e.at, e.id))
    solved = {
        (event.data or {}).get("problem_event_id")
        for event in session.execute(
            sa.select(m.CaseEvent).where(
                m.CaseEvent.case_id == case.id, m.CaseEvent.kind == EventKind.PROBLEM_SOLVED
            )
        ).scalars()
    }
    return [
        event
        for event in session.execute(
            sa.select(m.CaseEvent)
            .where(m.CaseEvent.case_id == case.id, m.CaseEvent.kind == EventKind.PROBLEM)
            .order_by(m.CaseEvent.at, m.CaseEvent.id)
        ).scalars()
        if event.id not in solved
    ]


@publishes("resolve_problem")
def resolve_problem(
    session: Session, case: m.Case, actor, *, problem: m.CaseEvent, note: str
) -> m.CaseEvent:
    """Mark a recorded problem solved, saying how (the ledger's "common problems solved")."""
    _require_step(case, "resolve_problem")
    if problem is None or problem.case_id != case.id or problem.kind != EventKind.PROBLEM:
        raise ValidationFailed({"problem": _l("Choose a problem recorded on this case.")})
    if problem not in open_problems(session, case):
        raise _refuse(_l("This problem is already marked solved."))
    if not (note or "").strip():
        raise ValidationFailed({"note": _l("Say how the problem was solved.")})
    return _event(
        session,
        case,
        EventKind.PROBLEM_SOLVED,
        actor,
        note=note.strip(),
        problem_category_id=problem.problem_category_id,
        data={"problem_event_id": problem.id, "problem": problem.note},
    )


@publishes("steward")
def set_steward(
    session: Session, case: m.Case, actor, *, steward: m.Specialist, note: str = ""
) -> m.Case:
    """项目管家: the specialist who stewards a major investment project."""
    _require_step(case, "steward")
    if not case.major_project:
        raise _refuse(_l("Only a major investment project has a project steward."))
    if steward is None or not steward.active:
        raise ValidationFailed({"steward": _l("That specialist is not active.")})
    old = case.steward
    case.steward = steward
    _event(
        session,
        case,
        EventKind.STEWARD,
        actor,
        note=note,
        data={"from": old.name if old else "", "steward": steward.name},
    )
    return case


@publishes("transfer")
def transfer(
    session: Session, case: m.Case, actor, *, to_unit: m.OrgUnit, note: str = ""
) -> m.Case:
    """Hand the case to another unit to handle; both sides keep sight of it."""
    _require_step(case, "transfer")
    if to_unit.id == case.handling_unit_id:
        raise ValidationFailed({"to_unit": _l("The case is already handled there.")})
    if not to_unit.active:
        raise ValidationFailed({"to_unit": _l("That unit is not active.")})
    old = case.handling_unit
    case.handling_unit = to_unit
    case.specialist = None
    _event(
        session,
        case,
        EventKind.TRANSFER,
        actor,
        note=note,
        data={"from_unit": old.name if old else "", "to_unit": to_unit.name},
    )
    return case


@publishes("assign")
def assign(
    session: Session, case: m.Case, actor, *, specialist: m.Specialist, note: str = ""
) -> m.Case:
    """Give the case to a specialist of the handling unit's subtree."""
    _require_step(case, "assign")
    if specialist is None or not specialist.active:
        raise ValidationFailed({"specialist": _l("That specialist is not active.")})
    old = case.specialist
    case.specialist = specialist
    _event(
        session,
        case,
        EventKind.ASSIGN,
        actor,
        note=note,
        data={"from": old.name if old else "", "specialist": specialist.name},
    )
    return case


@publishes("extend")
def extend(
    session: Session,
    case: m.Case,
    actor,
    *,
    extra_days: int,
    reason: str,
    explained_to_applicant: bool,
) -> m.Extension:
    """延期: more working days for special circumstances, explained to the applicant."""
    _require_step(case, "extend")
    errors = {}
    if not isinstance(extra_days, int) or extra_days <= 0:
        errors["extra_days"] = _l("Give a positive number of working days.")
    if not (reason or "").strip():
        errors["reason"] = _l("Give the reason for the extension.")
    if not explained_to_applicant:
        errors["explained_to_applicant"] = _l("The extension must be explained to the applicant.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    # The due date in force now, and after the extension: a pause still open counts up to today
    # (the case resumes no earlier), so both dates printed on the notice are real and differ by
    # exactly the extra working days.
    session.flush()
    today = clock.today()
    in_force = due_date_for(session, case, resumed_on=today)
    extended = due_date_for(session, case, extra_days=extra_days, resumed_on=today)
    old_due = in_force.day if in_force is not None else case.due_date
    new_due = extended.day if extended is not None else (old_due or today)
    extension = m.Extension(
        case=case,
        at=clock.now(),
        by_id=getattr(actor, "id", None),
        extra_days=extra_days,
        reason=reason.strip(),
        explained_to_applicant=True,
        old_due=old_due,
        new_due=new_due,
    )
    session.add(extension)
    _refresh_due(session, case)
    _event(
        session,
        case,
        EventKind.EXTENSION,
        actor,
        note=reason.strip(),
        data={"extra_days": extra_days, "new_due": extension.new_due.isoformat()},
    )
    return extension


@publishes("complete")
def complete(
    session: Session,
    case: m.Case,
    actor,
    *,
    results: str,
    materials_returned: str,
    signed_by: str,
    receipt_file: str | None = None,
) -> m.Handover:
    """办结: results and originals handed back; the applicant signs for them."""
    errors = {}
    if not (results or "").strip():
        errors["results"] = _l("Say what results were handed over.")
    if not (signed_by or "").strip():
        errors["signed_by"] = _l("The person who signed for the results is required.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    if case.status in TRANSITIONS["complete"] and case.submitted_at is None:
        raise _refuse(_l("The case was never submitted to the window: it cannot be completed."))
    _move(session, case, "complete", actor)
    case.ended_at = clock.now()
    handover = m.Handover(
        case=case,
        at=case.ended_at,
        by_id=getattr(actor, "id", None),
        results=results.strip(),
        materials_returned=(materials_returned or "").strip(),
        signed_by=signed_by.strip(),
        signed_at=case.ended_at,
        receipt_file=receipt_file,
    )
    session.add(handover)
    _event(
        session,
        case,
        EventKind.HANDOVER,
        actor,
        note=results.strip(),
        data={"signed_by": signed_by.strip()},
    )
    return handover


@publishes("terminate")
def terminate(
    session: Session,
    case: m.Case,
    actor,
    *,
    reason_type,
    reason: str,
    materials_returned: str,
    applicant_signed: bool,
    specialist_signed: bool,
) -> m.Termination:
    """终止委托: the reason recorded, materials handed back, both sides sign."""
    errors = {}
    if reason_type is None:
        errors["reason_type"] = _l("Choose the reason type.")
    if not (reason or "").strip():
        errors["reason"] = _l("Give the reason for the termination.")
    if not applicant_signed:
        errors["applicant_signed"] = _l("The applicant's signature is required.")
    if not specialist_signed:
        errors["specialist_signed"] = _l("The specialist's signature is required.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    _move(session, case, "terminate", actor, reason)
    case.ended_at = clock.now()
    termination = m.Termination(
        case=case,
        at=case.ended_at,
        by_id=getattr(actor, "id", None),
        reason_type=reason_type,
        reason=reason.strip(),
        materials_returned=(materials_returned or "").strip(),
        applicant_signed=True,
        specialist_signed=True,
    )
    session.add(termination)
    _event(session, case, EventKind.TERMINATION, actor, note=reason.strip())
    return termination


def evaluation_stages_open(session: Session, case: m.Case, given=None) -> list:
    """The stages (一次一评) still open for an evaluation of ``case``: acceptance once the
    entrustment is confirmed, completion once the case has ended; each once. ``given``: the
    stages already evaluated when already read (the case page), else queried."""
    if given is None:
        given = set(
            session.execute(sa.select(m.Evaluation.stage).where(m.Evaluation.case_id == case.id))
            .scalars()
            .all()
        )
    stages = []
    if case.accepted_at is not None and case.status != S.VOIDED:
        stages.append(EvaluationStage.ACCEPTANCE)
    if case.status in TERMINAL_STATUSES:
        stages.append(EvaluationStage.COMPLETION)
    return [stage for stage in stages if stage not in given]


@publishes("evaluate")
def evaluate(
    session: Session,
    case: m.Case,
    actor,
    *,
    rating,
    channel,
    comments: str = "",
    stage=None,
    rectification_days: int = 5,
) -> m.Evaluation:
    """评价 at acceptance (受理) or at completion (办结), one per stage; 不满意 or worse opens a
    rectification with a deadline. Without a stage: completion once the case has ended, else
    acceptance."""
    _require_step(case, "evaluate")
    if stage is None:
        stage = (
            EvaluationStage.COMPLETION
            if case.status in TERMINAL_STATUSES
            else EvaluationStage.ACCEPTANCE
        )
    exists = session.execute(
        sa.select(m.Evaluation.id).where(
            m.Evaluation.case_id == case.id, m.Evaluation.stage == stage
        )
    ).first()
    if exists:
        raise _refuse(
            _l("This case has already been evaluated at this stage (%(stage)s)."),
            stage=str(stage.label),
        )
    if stage not in evaluation_stages_open(session, case):
        raise _refuse(_l("The evaluation at completion is given once the case has ended."))
    if rating is None or channel is None:
        raise ValidationFailed({"rating": _l("Choose the rating and the channel.")})
    item = case.item
    evaluation = m.Evaluation(
        case=case,
        stage=stage,
        item_code=(item.implementation_code or item.basic_code or item.code) if item else "",
        case_number=case.number,
        at=clock.now(),
        by_id=getattr(actor, "id", None),
        rating=rating,
        channel=channel,
        comments=(comments or "").strip(),
    )
    session.add(evaluation)
    if rating.is_poor:
        deadline = load_calendar(session).add_working_days(clock.today(), rectification_days).day
        session.add(
            m.Rectification(evaluation=evaluation, deadline=deadline, owner=case.specialist)
        )
    _event(
        session,
        case,
        EventKind.EVALUATION,
        actor,
        note=(comments or "").strip(),
        data={"rating": rating.value, "stage": stage.value},
    )
    return evaluation


@publishes("return_visit")
def plan_return_visit(
    session: Session,
    case: m.Case,
    actor,
    *,
    planned_on: dt.date,
    channel=None,
    notes: str = "",
    done_on: dt.date | None = None,
) -> m.ReturnVisit:
    """回访 after the service ends."""
    _require_step(case, "return_visit")
    visit = m.ReturnVisit(
        case=case,
        planned_on=planned_on,
        done_on=done_on,
        channel=channel,
        notes=(notes or "").strip(),
        by_id=getattr(actor, "id", None),
    )
    session.add(visit)
    _event(session, case, EventKind.RETURN_VISIT, actor, note=(notes or "").strip())
    return visit


@publishes("joint_review")
def schedule_joint_review(
    session: Session,
    case: m.Case,
    actor,
    *,
    lead_unit: m.OrgUnit,
    scheduled_at: dt.datetime,
    departments: list[m.Department],
    location: str = "",
) -> m.JointReview:
    """并联审批: schedule the joint review meeting for an item that needs several departments."""
    _require_step(case, "joint_review")
    if not case.item.needs_parallel:
        raise _refuse(_l("This service item does not need parallel approval."))
    if len(departments) < 2:
        raise ValidationFailed({"departments": _l("A joint review needs two or more departments.")})
    review = m.JointReview(
        case=case,
        lead_unit=lead_unit,
        scheduled_at=scheduled_at,
        departments=list(departments),
        location=location,
    )
    session.add(review)
    _event(
        session,
        case,
        EventKind.JOINT_REVIEW,
        actor,
        data={"scheduled_at": scheduled_at.isoformat()},
    )
    return review


StepFunction = Callable[..., object]


# ---------------------------------------------------------------- voiding

# 作废: a case entered by mistake leaves every status but its own for "voided", where no other
# step is offered (it is in neither OPEN_STATUSES nor TERMINAL_STATUSES).
TRANSITIONS["void"] = {status: S.VOIDED for status in CaseStatus if status != S.VOIDED}
STEP_LABELS["void"] = _l("Void the case")
VOIDING_ROLES = ("Manager", "Admin")


def may_void(case: m.Case, actor) -> bool:
    """An Admin, or a Manager whose scope holds the case's handling or accepting unit."""
    roles = held_role_names(actor)
    if "Admin" in roles:
        return True
    if "Manager" not in roles:
        return False
    scope = scope_for_user(actor)
    return scope.contains_unit(case.handling_unit) or scope.contains_unit(case.accepting_unit)


@publishes("void")
def void(session: Session, case: m.Case, actor, *, reason: str) -> m.Case:
    """作废: a case entered by mistake stays in the ledger, marked voided, out of the statistics.

    Only a manager of the case's handling or accepting unit (or above) or an Admin voids, with
    a reason; the timeline keeps the reason and who voided, the audit hook the status change.
    """
    if not may_void(case, actor):
        raise NotPermitted(
            _l("Only a manager of the case's unit or an administrator may void a case.")
        )
    if case.status not in TRANSITIONS["void"]:
        raise _refuse(_l("This case is already voided."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            {"reason": _l("Give the reason for voiding the case.")},
            _l("Give the reason for voiding the case."),
        )
    _move(session, case, "void", actor, reason)
    return case


# ---------------------------------------------------------------- suspend and resume

# 中止: a running case is suspended with a reason and its working-day clock stops; 续办: it is
# resumed, with the applicant's renewed entrustment (续办委托书) signed, to the status it left,
# and its due date moves by the working days the clock stood still (``due_date_for``).
SUSPENDABLE = (S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_MATERIALS)
TRANSITIONS["suspend"] = {status: S.SUSPENDED for status in SUSPENDABLE}
TRANSITIONS["resume"] = {S.SUSPENDED: frozenset(SUSPENDABLE)}
STEP_LABELS["suspend"] = _l("Suspend the case")
STEP_LABELS["resume"] = _l("Resume the case")


def open_suspension(session: Session, case: m.Case) -> m.Suspension | None:
    """The case's suspension not yet resumed, if any."""
    return session.execute(
        sa.select(m.Suspension)
        .where(m.Suspension.case_id == case.id, m.Suspension.resumed_at.is_(None))
        .order_by(m.Suspension.suspended_at.desc(), m.Suspension.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@publishes("suspend")
def suspend(session: Session, case: m.Case, actor, *, reason_type, reason: str) -> m.Suspension:
    """中止: stop the case's clock for a reason outside the specialist's hands.

    ``reason_type`` is a ``SuspensionReason``; "other" needs the reason written out. The due date
    in force stays on the case (and on the printed 中止告知单) until the case is resumed.
    """
    reason = (reason or "").strip()
    errors = {}
    if reason_type is None:
        errors["reason_type"] = _l("Choose the reason type.")
    elif reason_type == SuspensionReason.OTHER and not reason:
        errors["reason"] = _l("Give the reason for the suspension.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    old = case.status
    _move(session, case, "suspend", actor, reason or str(reason_type.label))
    suspension = m.Suspension(
        case=case,
        suspended_at=clock.now(),
        suspended_by_id=getattr(actor, "id", None),
        reason_type=reason_type,
        reason=reason,
        from_status=old,
        due_at_suspension=case.due_date,
        renewal_signed_by="",
        resume_note="",
    )
    session.add(suspension)
    _event(
        session,
        case,
        EventKind.SUSPENSION,
        actor,
        note=reason or str(reason_type.label),
        data={"reason_type": reason_type.value},
    )
    return suspension


@publishes("resume")
def resume(
    session: Session,
    case: m.Case,
    actor,
    *,
    renewal_signed: bool,
    signed_by: str,
    note: str = "",
) -> m.Suspension:
    """续办: the applicant signs a renewed entrustment; the clock runs again from today and the
    due date moves by the working days it stood still."""
    signed_by = (signed_by or "").strip()
    errors = {}
    if not renewal_signed:
        errors["renewal_signed"] = _l("The applicant must sign the renewed entrustment.")
    if not signed_by:
        errors["signed_by"] = _l("The person who signed the renewed entrustment is required.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    if case.status not in TRANSITIONS["resume"]:
        raise _refuse(
            _l("“%(step)s” is not allowed while the case is “%(status)s”."),
            step=str(STEP_LABELS["resume"]),
            status=str(case.status.label),
        )
    suspension = open_suspension(session, case)
    if suspension is None:  # a suspended case always has one; refuse rather than guess
        raise _refuse(_l("This case has no open suspension."))
    suspension.resumed_at = clock.now()
    suspension.resumed_by_id = getattr(actor, "id", None)
    suspension.renewal_signed_by = signed_by
    suspension.resume_note = (note or "").strip()
    _move(session, case, "resume", actor, note, to=suspension.from_status)
    _refresh_due(session, case)
    old_due, new_due = suspension.due_at_suspension, case.due_date
    if old_due is not None and new_due is not None:
        calendar = load_calendar(session)
        suspension.paused_working_days = calendar.working_days_between(old_due, new_due)
    suspension.due_after_resume = new_due
    _event(
        session,
        case,
        EventKind.RESUMPTION,
        actor,
        note=(note or "").strip(),
        data={
            "signed_by": signed_by,
            "old_due": old_due.isoformat() if old_due else None,
            "new_due": new_due.isoformat() if new_due else None,
            "paused_working_days": suspension.paused_working_days,
        },
    )
    return suspension
