"""Bulk reassignment: a manager gives several cases to one specialist in one action.

Each case goes through the step service exactly as if the manager had taken the "assign" step
on its page (app/cases/service.py ``run_step``): its row is locked, the scope and the step's
choices are checked (the specialist must work in the case's handling unit or below, inside the
manager's scope), one timeline entry and one audit entry are written, and it commits alone.

Per case, not all-or-nothing, and reported case by case: each reassignment stands on its own
(its own lock, timeline and audit entry, as the same work done one case at a time would), so a
case that cannot take it (closed meanwhile, handled by another unit, not in scope) does not hold
back the others, and the answer says for every case what happened and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app import models as m
from app.cases import access, service
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.scope import Scope, current_scope

MAX_CASES = 200


@dataclass
class Outcome:
    case_id: int
    number: str
    done: bool
    message: str
    unchanged: bool = False


def case_ids(values) -> list[int]:
    """The distinct valid case ids among ``values`` (form strings), in their order."""
    seen: list[int] = []
    for value in values:
        text = str(value).strip()
        if text.isdigit() and 1 <= int(text) <= 2**31 - 1 and int(text) not in seen:
            seen.append(int(text))
    return seen


def specialist_choices(scope: Scope | None = None) -> list[m.Specialist]:
    """The specialists a manager may hand cases to: active, inside the manager's scope."""
    return access.scoped_specialists(scope=scope)


def reassign(
    ids: list[int], specialist_id: int, actor, *, note: str = "", scope: Scope | None = None
) -> list[Outcome]:
    """Reassign each case of ``ids`` to the specialist through the "assign" step."""
    scope = scope or current_scope()
    specialist = next((s for s in specialist_choices(scope) if s.id == specialist_id), None)
    outcomes: list[Outcome] = []
    for pk in ids[:MAX_CASES]:
        case = access.case_in_scope(pk, scope)
        if case is None:
            outcomes.append(Outcome(pk, "", False, _("No such case, or not one you may see.")))
            continue
        number = case.number
        if specialist is None:
            message = _("Choose an active specialist you may assign cases to.")
            outcomes.append(Outcome(pk, number, False, message))
            continue
        if case.specialist_id == specialist.id:
            message = _("Already assigned to %(name)s.", name=specialist.name)
            outcomes.append(Outcome(pk, number, True, message, unchanged=True))
            continue
        unit_name = case.handling_unit.name if case.handling_unit else ""
        try:
            service.run_step(
                "assign", pk, {"specialist": specialist.id, "note": note}, actor, scope=scope
            )
        except ValidationFailed as error:
            if "specialist" in error.errors:
                message = _(
                    "%(name)s does not work at %(unit)s, which handles this case; transfer it"
                    " there first.",
                    name=specialist.name,
                    unit=unit_name,
                )
            else:
                message = str(error)
            outcomes.append(Outcome(pk, number, False, message))
        except DomainError as error:
            outcomes.append(Outcome(pk, number, False, str(error)))
        else:
            message = _("Reassigned to %(name)s.", name=specialist.name)
            outcomes.append(Outcome(pk, number, True, message))
        finally:
            db.session.expire_all()
    return outcomes
