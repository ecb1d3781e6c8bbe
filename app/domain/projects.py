"""项目管家 "1+1+N" of a major investment project (代办 of a 重大招商引资项目).

The "1+1+N": the project steward (``Case.steward``, the step "steward" of the lifecycle), the
enterprise's contact (``ProjectTeam``) and N department liaisons (``ProjectLiaison``); beside
them the project's log (dated entries) and its issue list (owner department, due date, open or
solved; overdue when open past the due date). Each change is a recording step of the case, run
by the step registry like every other (case locked, timeline, audit); nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.domain.errors import IllegalTransition, ValidationFailed
from app.domain.lifecycle import _event, _require_step, publishes
from app.domain.visits import with_note
from app.enums import EventKind, ProjectIssueStatus
from app.validators import is_valid_mobile, mask_mobile, normalize_mobile

NAME_MAX = 50
# A landline with its area code (0750-1234567, 075012345678) or a mobile number.
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalize_phone(value: str | None) -> str | None:
    """The phone number as stored, or None when it is neither a mobile nor a landline."""
    text = (value or "").strip().replace(" ", "")
    if is_valid_mobile(text):
        return normalize_mobile(text)
    return text if _LANDLINE.match(text) else None


def _require_project(case: m.Case, step: str) -> None:
    _require_step(case, step)
    if not case.major_project:
        raise IllegalTransition(_l("Only a major investment project has a project team."))


def team(session: Session, case: m.Case) -> m.ProjectTeam | None:
    return session.execute(
        sa.select(m.ProjectTeam).where(m.ProjectTeam.case_id == case.id)
    ).scalar_one_or_none()


def liaisons(session: Session, case: m.Case, *, removed: bool = False) -> list[m.ProjectLiaison]:
    """The department liaisons on the project (``removed``: the removed ones too)."""
    stmt = sa.select(m.ProjectLiaison).where(m.ProjectLiaison.case_id == case.id)
    if not removed:
        stmt = stmt.where(m.ProjectLiaison.removed_at.is_(None))
    return list(session.execute(stmt.order_by(m.ProjectLiaison.id)).scalars())


def open_issues(session: Session, case: m.Case) -> list[m.ProjectIssue]:
    return list(
        session.execute(
            sa.select(m.ProjectIssue)
            .where(
                m.ProjectIssue.case_id == case.id,
                m.ProjectIssue.status == ProjectIssueStatus.OPEN,
            )
            .order_by(m.ProjectIssue.due_on, m.ProjectIssue.id)
        ).scalars()
    )


def _name(value: str, field: str, message, errors: dict) -> str:
    text = (value or "").strip()
    if not text:
        errors[field] = message
    elif len(text) > NAME_MAX:
        errors[field] = _l("The text is too long.")
    return text


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))


@publishes("project_contact")
def set_contact(
    session: Session,
    case: m.Case,
    actor,
    *,
    contact_name: str,
    contact_phone: str,
    note: str = "",
) -> m.ProjectTeam:
    """The enterprise's contact on the project (the second "1")."""
    _require_project(case, "project_contact")
    errors: dict[str, object] = {}
    name = _name(contact_name, "contact_name", _l("Give the contact's name."), errors)
    phone = normalize_phone(contact_phone)
    if phone is None:
        errors["contact_phone"] = _l("Give a mobile number or a landline with its area code.")
    _raise(errors)
    row = team(session, case)
    if row is None:
        row = m.ProjectTeam(case=case)
        session.add(row)
    before = row.contact_name
    row.contact_name, row.contact_phone, row.updated_at = name, phone, clock.now()
    _event(
        session,
        case,
        EventKind.PROJECT_TEAM,
        actor,
        note=with_note(str(_l("Enterprise contact: %(name)s", name=name)), note),
        data={"action": "contact", "from": before or "", "name": name, "phone": mask_mobile(phone)},
    )
    return row


@publishes("add_liaison")
def add_liaison(
    session: Session,
    case: m.Case,
    actor,
    *,
    department: m.Department | None,
    person: str,
    phone: str,
    note: str = "",
) -> m.ProjectLiaison:
    """One more department liaison (one of the N)."""
    _require_project(case, "add_liaison")
    errors: dict[str, object] = {}
    if department is None or not department.active:
        errors["department"] = _l("Choose the department.")
    person = _name(person, "person", _l("Give the liaison's name."), errors)
    number = normalize_phone(phone)
    if number is None:
        errors["phone"] = _l("Give a mobile number or a landline with its area code.")
    _raise(errors)
    liaison = m.ProjectLiaison(
        case=case, department=department, person=person, phone=number, added_at=clock.now()
    )
    session.add(liaison)
    session.flush()
    _event(
        session,
        case,
        EventKind.PROJECT_TEAM,
        actor,
        note=with_note(f"{department.name} · {person}", note),
        data={"action": "liaison_added", "liaison_id": liaison.id, "department": department.name},
    )
    return liaison


@publishes("remove_liaison")
def remove_liaison(
    session: Session, case: m.Case, actor, *, liaison: m.ProjectLiaison | None, note: str = ""
) -> m.ProjectLiaison:
    """Take a liaison off the project: kept, marked removed (nothing is deleted)."""
    _require_project(case, "remove_liaison")
    if liaison is None or liaison.case_id != case.id:
        raise ValidationFailed({"liaison": _l("Choose a liaison of this project.")})
    if liaison.removed_at is not None:
        raise IllegalTransition(_l("This liaison is already off the project."))
    liaison.removed_at = clock.now()
    _event(
        session,
        case,
        EventKind.PROJECT_TEAM,
        actor,
        note=(note or "").strip() or f"{liaison.department.name} · {liaison.person}",
        data={"action": "liaison_removed", "liaison_id": liaison.id},
    )
    return liaison


@publishes("project_log")
def log(
    session: Session, case: m.Case, actor, *, on: dt.date, text: str, note: str = ""
) -> m.ProjectLogEntry:
    """A dated entry of the project's log (not in the future)."""
    _require_project(case, "project_log")
    errors: dict[str, object] = {}
    text = (text or "").strip()
    if not text:
        errors["text"] = _l("Describe what happened.")
    if on is None:
        errors["on"] = _l("This field is required.")
    elif on > clock.today():
        errors["on"] = _l("A log entry cannot be dated in the future.")
    _raise(errors)
    entry = m.ProjectLogEntry(
        case=case, on=on, text=text, at=clock.now(), author_id=getattr(actor, "id", None)
    )
    session.add(entry)
    session.flush()
    _event(
        session,
        case,
        EventKind.PROJECT_LOG,
        actor,
        note=with_note(text, note),
        data={"log_id": entry.id, "on": on.isoformat()},
    )
    return entry


@publishes("raise_issue")
def raise_issue(
    session: Session,
    case: m.Case,
    actor,
    *,
    title: str,
    department: m.Department | None,
    due_on: dt.date,
    note: str = "",
) -> m.ProjectIssue:
    """An issue on the project's list, owned by a department, to be solved by ``due_on``."""
    _require_project(case, "raise_issue")
    errors: dict[str, object] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _l("Describe the issue.")
    if department is not None and not department.active:
        errors["department"] = _l("Choose the department.")
    if due_on is None:
        errors["due_on"] = _l("This field is required.")
    _raise(errors)
    issue = m.ProjectIssue(
        case=case,
        title=title,
        department=department,
        due_on=due_on,
        status=ProjectIssueStatus.OPEN,
        raised_at=clock.now(),
        raised_by_id=getattr(actor, "id", None),
    )
    session.add(issue)
    session.flush()
    _event(
        session,
        case,
        EventKind.PROJECT_ISSUE,
        actor,
        note=with_note(title, note),
        data={
            "action": "raised",
            "issue_id": issue.id,
            "department": department.name if department else "",
            "due_on": due_on.isoformat(),
        },
    )
    return issue


@publishes("solve_issue")
def solve_issue(
    session: Session,
    case: m.Case,
    actor,
    *,
    issue: m.ProjectIssue | None,
    solution: str,
    note: str = "",
) -> m.ProjectIssue:
    """Mark an issue solved, saying how."""
    _require_project(case, "solve_issue")
    if issue is None or issue.case_id != case.id:
        raise ValidationFailed({"issue": _l("Choose an issue of this project.")})
    if issue.status == ProjectIssueStatus.SOLVED:
        raise IllegalTransition(_l("This issue is already solved."))
    solution = (solution or "").strip()
    if not solution:
        raise ValidationFailed({"solution": _l("Say how the issue was solved.")})
    issue.status = ProjectIssueStatus.SOLVED
    issue.solved_at = clock.now()
    issue.solution = solution
    _event(
        session,
        case,
        EventKind.PROJECT_ISSUE,
        actor,
        note=with_note(solution, note),
        data={"action": "solved", "issue_id": issue.id, "title": issue.title},
    )
    return issue
