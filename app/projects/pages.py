"""What the case page and the API show of a major project's 1+1+N team, log and issues."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app import models as m
from app.domain import clock, projects
from app.extensions import db
from app.masking import mask_unless_revealer


@dataclass
class ProjectSection:
    case: m.Case
    team: m.ProjectTeam | None
    liaisons: list[m.ProjectLiaison]
    log: list[m.ProjectLogEntry]
    issues: list[m.ProjectIssue]
    today: object

    @property
    def contact_phone(self) -> str:
        if self.team is None:
            return ""
        return mask_unless_revealer(m.ProjectTeam, "contact_phone", self.team.contact_phone)

    def phone_of(self, liaison: m.ProjectLiaison) -> str:
        return mask_unless_revealer(m.ProjectLiaison, "phone", liaison.phone)

    def overdue(self, issue: m.ProjectIssue) -> bool:
        return issue.overdue_on(self.today)

    @property
    def overdue_count(self) -> int:
        return sum(1 for i in self.issues if self.overdue(i))


def section(case: m.Case) -> ProjectSection | None:
    """The project's team, log (newest first) and issues (open first, by due date); None for a
    case that is not a major project. The caller has loaded ``case`` inside the scope."""
    if not case.major_project:
        return None
    s = db.session
    log = list(
        s.execute(
            sa.select(m.ProjectLogEntry)
            .where(m.ProjectLogEntry.case_id == case.id)
            .order_by(m.ProjectLogEntry.on.desc(), m.ProjectLogEntry.id.desc())
        ).scalars()
    )
    issues = list(
        s.execute(
            sa.select(m.ProjectIssue)
            .where(m.ProjectIssue.case_id == case.id)
            .order_by(m.ProjectIssue.solved_at.is_not(None), m.ProjectIssue.due_on)
        ).scalars()
    )
    return ProjectSection(
        case=case,
        team=projects.team(s, case),
        liaisons=projects.liaisons(s, case, removed=True),
        log=log,
        issues=issues,
        today=clock.today(),
    )


def as_json(section: ProjectSection) -> dict:
    """The API's answer: the 1+1+N team, the log and the issue list with overdue flags."""
    steward = section.case.steward
    return {
        "steward": {"id": steward.id, "name": steward.name} if steward else None,
        "contact": {
            "name": section.team.contact_name,
            "phone": section.contact_phone,
        }
        if section.team
        else None,
        "liaisons": [
            {
                "id": li.id,
                "department": {"id": li.department_id, "name": li.department.name},
                "person": li.person,
                "phone": section.phone_of(li),
                "removed_at": li.removed_at.isoformat() if li.removed_at else None,
            }
            for li in section.liaisons
        ],
        "log": [
            {"id": e.id, "on": e.on.isoformat(), "text": e.text, "at": e.at.isoformat()}
            for e in section.log
        ],
        "issues": [
            {
                "id": i.id,
                "title": i.title,
                "department": (
                    {"id": i.department_id, "name": i.department.name} if i.department else None
                ),
                "due_on": i.due_on.isoformat(),
                "status": i.status.value,
                "overdue": section.overdue(i),
                "solved_at": i.solved_at.isoformat() if i.solved_at else None,
                "solution": i.solution,
            }
            for i in section.issues
        ],
    }
