"""The “办不成事” window: the one owner of a complaint's status.

intake → coordinating → transferred (to a department, with a deadline in working days) →
called back → archived. Coordination may be skipped (a complaint is transferred at once) and a
complaint the center put right itself is called back from coordination. Each step is a plain
function called by the screens, the API and the demo seed alike: it checks its guards, changes
the complaint, writes its own timeline entry and returns; it never commits (the caller's unit
of work does, app/complaints/service.py), so a refused step changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import models as m
from app import settings
from app.domain import clock
from app.domain.calendar import load_calendar
from app.domain.errors import IllegalTransition, ValidationFailed
from app.domain.hotline import clean_ticket
from app.domain.status import ComplaintStatus
from app.enums import ComplaintChannel, ComplaintStep
from app.validators import mobile_error, normalize_mobile

S = ComplaintStatus
STEP = ComplaintStep

# The status changes a step may make: step → {from: to}.
TRANSITIONS: dict[str, dict[ComplaintStatus, ComplaintStatus]] = {
    "coordinate": {S.INTAKE: S.COORDINATING},
    "transfer": {S.INTAKE: S.TRANSFERRED, S.COORDINATING: S.TRANSFERRED},
    "call_back": {S.COORDINATING: S.CALLED_BACK, S.TRANSFERRED: S.CALLED_BACK},
    "archive": {S.CALLED_BACK: S.ARCHIVED},
}
# Steps that record without changing the status, and where they are allowed.
RECORDING_STEPS: dict[str, frozenset[ComplaintStatus]] = {
    "reply": frozenset({S.TRANSFERRED}),
}
STEP_ORDER = ("coordinate", "transfer", "reply", "call_back", "archive")
MAX_TRANSFER_DAYS = 60
MAX_TEXT = 2000


def step_label(name: str):
    return ComplaintStep(name).label


def status_allows(complaint: m.Complaint, name: str) -> bool:
    """Whether the complaint's status admits step ``name`` (its guards may still refuse)."""
    return complaint.status in TRANSITIONS.get(name, {}) or complaint.status in (
        RECORDING_STEPS.get(name, frozenset())
    )


def allowed_steps(complaint: m.Complaint) -> list[str]:
    """The steps offered now, in the order of the lifecycle: the status admits them and their
    guards pass (a transfer is called back once the department replied, answered once)."""
    steps = [name for name in STEP_ORDER if status_allows(complaint, name)]
    if complaint.status == S.TRANSFERRED:
        waiting = complaint.replied_at is None
        steps = [n for n in steps if (n == "reply") == waiting]
    return steps


def refusal(name: str, complaint: m.Complaint) -> IllegalTransition:
    return IllegalTransition(
        _l("“%(step)s” is not allowed while the complaint is “%(status)s”."),
        step=str(step_label(name)),
        status=str(complaint.status.label),
    )


def _text(value, field: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if required and not text:
        raise ValidationFailed(
            {field: _l("This field is required.")}, _l("This field is required.")
        )
    if len(text) > limit:
        message = _l("At most %(n)s characters.", n=limit)
        raise ValidationFailed({field: message}, message)
    return text


def _event(session, complaint, kind, actor, *, note="", old=None, new=None, **data):
    event = m.ComplaintEvent(
        complaint=complaint,
        kind=kind,
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        from_status=old,
        to_status=new,
        note=note or "",
        data={k: v for k, v in data.items() if v is not None},
    )
    session.add(event)
    return event


def _move(session, complaint, name: str, actor, note: str = "", **data) -> None:
    table = TRANSITIONS[name]
    if complaint.status not in table:
        raise refusal(name, complaint)
    old = complaint.status
    complaint.status = table[old]
    _event(session, complaint, STEP(name), actor, note=note, old=old, new=complaint.status, **data)


# ---------------------------------------------------------------- numbering


def _counter_insert(session: Session):
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(m.ComplaintCounter)


def next_number(session: Session, unit: m.OrgUnit, year: int) -> str:
    """``<unit code>-BC<year>-<sequence>``, claimed like case numbers (one row per unit and
    year, ``UPDATE … RETURNING``: concurrent intakes queue on the row)."""
    session.execute(
        _counter_insert(session)
        .values(unit_id=unit.id, year=year, value=0)
        .on_conflict_do_nothing(index_elements=["unit_id", "year"])
    )
    value = session.execute(
        sa.update(m.ComplaintCounter)
        .where(m.ComplaintCounter.unit_id == unit.id, m.ComplaintCounter.year == year)
        .values(value=m.ComplaintCounter.value + 1)
        .returning(m.ComplaintCounter.value)
    ).scalar_one()
    return f"{unit.code}-BC{year}-{value:04d}"


def new_check_code() -> str:
    """Six digits the complainant keeps to look the complaint up on the public page."""
    return f"{secrets.randbelow(10**6):06d}"


def due_after(session: Session, start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (the center's calendar, 调休 included)."""
    return load_calendar(session).add_working_days(start, days).day


# ---------------------------------------------------------------- the steps


def intake(
    session: Session,
    actor,
    *,
    unit: m.OrgUnit,
    channel: ComplaintChannel,
    complainant: str,
    mobile: str,
    matter: str,
    item: m.ServiceItem | None = None,
    case: m.Case | None = None,
    hotline_ticket: str | None = None,
    handler: m.Specialist | None = None,
) -> m.Complaint:
    """登记: record a complaint that something could not be done in the hall.

    The deadline is the setting ``complaints.working_days`` working days after intake.
    Every field is checked before anything is written; all errors at once.
    """
    errors = {}
    values = {}
    for field, value, limit in (
        ("complainant", complainant, 100),
        ("matter", matter, MAX_TEXT),
    ):
        try:
            values[field] = _text(value, field, required=True, limit=limit)
        except ValidationFailed as error:
            errors.update(error.errors)
    problem = mobile_error(mobile) if (mobile or "").strip() else _l("This field is required.")
    if problem is not None:
        errors["mobile"] = problem
    try:
        ticket = clean_ticket(hotline_ticket)
    except ValidationFailed as error:
        errors.update(error.errors)
        ticket = None
    if unit is None:
        errors["unit"] = _l("Choose the service center.")
    if channel == ComplaintChannel.HOTLINE and not ticket and "hotline_ticket" not in errors:
        errors["hotline_ticket"] = _l("A complaint from the 12345 hotline needs its ticket number.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    now = clock.now()
    complaint = m.Complaint(
        number=next_number(session, unit, clock.local_date(now).year),
        unit=unit,
        channel=channel,
        status=S.INTAKE,
        complainant=values["complainant"],
        mobile=normalize_mobile(mobile),
        matter=values["matter"],
        item=item,
        case=case,
        hotline_ticket=ticket,
        check_code=new_check_code(),
        received_at=now,
        received_by_id=getattr(actor, "id", None),
        handler=handler,
        due_date=due_after(session, clock.local_date(now), settings.get("complaints.working_days")),
        reply="",
        callback_result="",
    )
    session.add(complaint)
    _event(
        session,
        complaint,
        STEP.INTAKE,
        actor,
        note=values["matter"][:200],
        new=S.INTAKE,
        channel=channel.value,
        hotline_ticket=ticket,
    )
    return complaint


def coordinate(session: Session, complaint: m.Complaint, actor, *, note: str) -> m.Complaint:
    """协调: the center takes it up with the windows concerned (what was done, in the note)."""
    if complaint.status not in TRANSITIONS["coordinate"]:
        raise refusal("coordinate", complaint)
    note = _text(note, "note", required=True)
    _move(session, complaint, "coordinate", actor, note)
    return complaint


def transfer(
    session: Session,
    complaint: m.Complaint,
    actor,
    *,
    department: m.Department | None,
    working_days: int,
    note: str = "",
) -> m.Complaint:
    """转办: sent to a department, which answers within ``working_days`` working days."""
    if complaint.status not in TRANSITIONS["transfer"]:
        raise refusal("transfer", complaint)
    errors = {}
    if department is None or not department.active:
        errors["department"] = _l("Choose the department.")
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_TRANSFER_DAYS:
        errors["working_days"] = _l("Between 1 and %(n)s working days.", n=MAX_TRANSFER_DAYS)
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    note = _text(note, "note", required=False)
    now = clock.now()
    due = due_after(session, clock.local_date(now), working_days)
    complaint.department = department
    complaint.transferred_at = now
    complaint.transfer_days = working_days
    complaint.transfer_due = due
    complaint.due_date = due
    complaint.replied_at = None
    _move(
        session,
        complaint,
        "transfer",
        actor,
        note,
        department=department.name,
        working_days=working_days,
        due=due.isoformat(),
    )
    return complaint


def reply(session: Session, complaint: m.Complaint, actor, *, text: str) -> m.Complaint:
    """The department's answer to a transfer (on time when by its deadline)."""
    if complaint.status not in RECORDING_STEPS["reply"]:
        raise refusal("reply", complaint)
    if complaint.replied_at is not None:
        raise IllegalTransition(_l("The department's reply is already recorded."))
    complaint.reply = _text(text, "reply", required=True)
    complaint.replied_at = clock.now()
    on_time = clock.local_date(complaint.replied_at) <= complaint.transfer_due
    _event(session, complaint, STEP.REPLY, actor, note=complaint.reply[:200], on_time=on_time)
    return complaint


def call_back(
    session: Session, complaint: m.Complaint, actor, *, result: str, satisfied: bool | None
) -> m.Complaint:
    """回访: the complainant is told the result and says whether they are satisfied."""
    if complaint.status not in TRANSITIONS["call_back"]:
        raise refusal("call_back", complaint)
    if complaint.status == S.TRANSFERRED and complaint.replied_at is None:
        raise IllegalTransition(
            _l("Record the department's reply before calling the complainant back.")
        )
    errors = {}
    try:
        result = _text(result, "result", required=True)
    except ValidationFailed as error:
        errors.update(error.errors)
    if satisfied is None:
        errors["satisfied"] = _l("Say whether the complainant is satisfied.")
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    complaint.callback_result = result
    complaint.satisfied = bool(satisfied)
    complaint.called_back_at = clock.now()
    _move(session, complaint, "call_back", actor, result, satisfied=bool(satisfied))
    return complaint


def archive(session: Session, complaint: m.Complaint, actor, *, note: str = "") -> m.Complaint:
    """归档: closed and filed; nothing changes a complaint after this."""
    if complaint.status not in TRANSITIONS["archive"]:
        raise refusal("archive", complaint)
    complaint.archived_at = clock.now()
    _move(session, complaint, "archive", actor, _text(note, "note", required=False))
    return complaint
