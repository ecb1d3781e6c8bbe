"""Who receives a reminder, decided through the scope rules (app/scope.py).

A reminder about a case goes to the case's specialist and to the managers whose scope contains
the case's handling unit. ``reminders.manager_levels`` limits the managers to the nearest levels
above the case that hold one (1 by default: a village case reaches its town's manager, not
every manager of the county every day); 0 means every level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app import models as m
from app import settings
from app.roles import holds_role
from app.scope import Scope, scope_for_user

MANAGER_ROLE = "Manager"


@dataclass(frozen=True)
class Person:
    """A staff recipient: the log-in (for the in-app notice) and an email address if any."""

    user_id: int
    name: str
    email: str | None = None
    unit_path: str = ""
    scope: Scope = field(default_factory=Scope, compare=False)

    @property
    def depth(self) -> int:
        return self.unit_path.count("/")


def _email(specialist: m.Specialist | None, user) -> str | None:
    for address in (getattr(specialist, "email", None), getattr(user, "email", None)):
        if address and "@" in address and not address.endswith(".invalid"):
            return address
    return None


def person_of(specialist: m.Specialist | None) -> Person | None:
    """The recipient for a specialist record, if it is active and has an active log-in."""
    if specialist is None or not specialist.active or specialist.user is None:
        return None
    user = specialist.user
    if not user.active:
        return None
    return Person(
        user_id=user.id,
        name=specialist.name,
        email=_email(specialist, user),
        unit_path=specialist.unit.path if specialist.unit else "",
        scope=scope_for_user(user),
    )


def _nearest(people: list[Person], levels: int) -> list[Person]:
    """Keep the people of the ``levels`` deepest distinct unit depths (0: keep all)."""
    if levels <= 0 or not people:
        return sorted(people, key=lambda p: p.user_id)
    depths = sorted({p.depth for p in people}, reverse=True)[:levels]
    return sorted((p for p in people if p.depth in depths), key=lambda p: p.user_id)


class Directory:
    """The staff a sweep may notify, loaded once per sweep (managers, department staff)."""

    def __init__(self, session: Session):
        self.session = session
        self.levels = settings.get("reminders.manager_levels", session)
        self._managers: list[Person] | None = None
        self._people: dict[int, Person | None] = {}
        self._departments: dict[int, list[Person]] = {}

    def _role_members(self, role_name: str) -> list[m.Specialist]:
        sm = current_app.appbuilder.sm
        role = sm.find_role(role_name)
        if role is None:
            return []
        return list(
            self.session.execute(
                sa.select(m.Specialist)
                .join(sm.user_model, m.Specialist.user_id == sm.user_model.id)
                .where(
                    m.Specialist.active.is_(True),
                    sm.user_model.active.is_(True),
                    holds_role(sm.user_model, role),
                )
                .order_by(m.Specialist.id)
            ).scalars()
        )

    @property
    def managers(self) -> list[Person]:
        if self._managers is None:
            self._managers = [p for p in map(person_of, self._role_members(MANAGER_ROLE)) if p]
        return self._managers

    def person(self, specialist: m.Specialist | None) -> Person | None:
        if specialist is None:
            return None
        if specialist.id not in self._people:
            self._people[specialist.id] = person_of(specialist)
        return self._people[specialist.id]

    def managers_for(self, unit: m.OrgUnit | None) -> list[Person]:
        """Managers whose scope contains ``unit``, limited to the nearest levels."""
        if unit is None:
            return []
        return _nearest([p for p in self.managers if p.scope.contains_unit(unit)], self.levels)

    def department_staff(self, department_ids: list[int], unit: m.OrgUnit | None) -> list[Person]:
        """Staff of those departments whose scope contains ``unit`` (the nearest level of each)."""
        found: list[Person] = []
        for department_id in sorted(set(department_ids)):
            if department_id not in self._departments:
                rows = self.session.execute(
                    sa.select(m.Specialist).where(
                        m.Specialist.department_id == department_id, m.Specialist.active.is_(True)
                    )
                ).scalars()
                self._departments[department_id] = [p for p in map(self.person, rows) if p]
            holders = [p for p in self._departments[department_id] if p.scope.contains_unit(unit)]
            found += _nearest(holders, 1)
        return found

    def for_case(self, case: m.Case, *, managers: bool) -> list[Person]:
        """The case's specialist, plus its managers when asked or when it has no specialist."""
        people = []
        specialist = self.person(case.specialist)
        if specialist is not None:
            people.append(specialist)
        if managers or specialist is None:
            people += self.managers_for(case.handling_unit)
        return unique(people)

    def user(self, user_id: int | None) -> Person | None:
        """A recipient known only by log-in (e.g. the leader an escalation waits on)."""
        if user_id is None:
            return None
        sm = current_app.appbuilder.sm
        user = self.session.get(sm.user_model, user_id)
        if user is None or not user.active:
            return None
        specialist = self.session.execute(
            sa.select(m.Specialist).where(m.Specialist.user_id == user_id)
        ).scalar_one_or_none()
        return Person(
            user_id=user.id,
            name=specialist.name if specialist else user.get_full_name(),
            email=_email(specialist, user),
            unit_path=specialist.unit.path if specialist and specialist.unit else "",
            scope=scope_for_user(user),
        )


def unique(people: list[Person]) -> list[Person]:
    seen: set[int] = set()
    out = []
    for person in people:
        if person.user_id not in seen:
            seen.add(person.user_id)
            out.append(person)
    return out
