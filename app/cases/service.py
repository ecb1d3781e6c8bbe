"""The one function that runs a case step, for the case page, the API and jobs alike.

``run_step`` loads the body with the step's schema (422 naming each field), locks the case row
inside the caller's scope (404 outside it), refuses a caller who is not on the handling side
(403) or lacks the step's role, a stale ``version`` (409), a step the case's status does not
offer (409) and related ids outside the step's choices (422); then calls the lifecycle, stores
any file, writes the audit entry and commits once (app/unit_of_work.py). Whatever fails, nothing
is saved.
"""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from app import models as m
from app.audit import write_entry
from app.cases import access
from app.cases.schemas import readable
from app.cases.steps import FIELD_ALIASES, STEPS, StepContext, is_offered
from app.domain import lifecycle
from app.domain.errors import (
    DomainError,
    IllegalTransition,
    NotInScope,
    StaleRecord,
    ValidationFailed,
)
from app.extensions import db
from app.roles import held_role_names
from app.scope import Scope, current_scope
from app.unit_of_work import unit_of_work


class UnknownStep(DomainError):
    status = 404
    default_message = _l("No such step.")


class NotHandlingSide(DomainError):
    status = 403
    default_message = _l("Only the handling unit can change this case.")


class RoleRefused(DomainError):
    status = 403
    default_message = _l("Your role may not take this step.")


def _flat(messages, prefix: str = "") -> dict[str, str]:
    """Nested field messages as {"received.0": "…"}: one message per field."""
    if isinstance(messages, dict):
        out: dict[str, str] = {}
        for key, value in messages.items():
            out.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(messages, (list, tuple)):
        if messages and all(not isinstance(v, (dict, list, tuple)) for v in messages):
            return {prefix or "_schema": str(messages[0])}
        out = {}
        for value in messages:
            out.update(_flat(value, prefix))
        return out
    return {prefix or "_schema": str(messages)}


def load_body(name: str, payload: dict) -> dict:
    """The step's body as typed values; ValidationFailed naming each invalid field."""
    step = STEPS.get(name)
    if step is None:
        raise UnknownStep()
    if not isinstance(payload, dict):
        raise ValidationFailed({"_schema": _("The body must be a JSON object.")})
    try:
        return step.schema().load(payload)
    except ValidationError as err:
        errors = _flat(readable(err.messages))
        raise ValidationFailed(errors, next(iter(errors.values()))) from None


def _check_choices(step, case: m.Case, data: dict) -> dict:
    """Every related id in the body must be one the step offers this caller for this case."""
    chosen = {}
    errors = {}
    for name, choices in step.choices.items():
        value = data.get(name)
        if value in (None, [], ""):
            continue
        allowed = {pk for pk, _label in choices(case)}
        wanted = set(value) if isinstance(value, list) else {value}
        if not wanted <= allowed:
            errors[name] = _("No such record, or not one you may use.")
        chosen[name] = wanted
    if errors:
        raise ValidationFailed(errors, next(iter(errors.values())))
    return chosen


def _snapshot(case: m.Case) -> dict:
    return {
        "status": case.status.value if case.status is not None else None,
        "version": case.version_id,
        "handling_unit_id": case.handling_unit_id,
        "specialist_id": case.specialist_id,
        "steward_id": case.steward_id,
        "due_date": case.due_date.isoformat() if case.due_date else None,
    }


def _roles(actor) -> set[str]:
    return held_role_names(actor)


def refusal(case: m.Case, name: str, actor=None) -> DomainError | None:
    """Why ``name`` cannot be taken on ``case`` now (by ``actor``), or None."""
    step = STEPS[name]
    if step.roles is not None and actor is not None and not (step.roles & _roles(actor)):
        return RoleRefused()
    if not is_offered(case, step):
        archived = lifecycle.archived_refusal(case, name)  # read-only: say so, with its number
        if archived is not None:
            return archived
        return IllegalTransition(
            _l("“%(step)s” is not allowed while the case is “%(status)s”."),
            step=str(step.label),
            status=str(case.status.label),
        )
    return None


def run_step(
    name: str,
    pk,
    payload: dict,
    actor=None,
    *,
    files: dict | None = None,
    scope: Scope | None = None,
):
    """Run step ``name`` on case ``pk`` with ``payload``; returns (case, what the step made)."""
    actor = actor if actor is not None else g.user
    scope = scope or current_scope()
    step = STEPS.get(name)
    if step is None:
        raise UnknownStep()
    if not isinstance(payload, dict):
        raise ValidationFailed({"_schema": _("The body must be a JSON object.")})
    files = {key: f for key, f in (files or {}).items() if f is not None and f.filename}
    session = db.session
    with unit_of_work(session):
        case = access.case_in_scope(pk, scope, lock=True)
        if case is None:
            raise NotInScope()
        if step.handling_side_only and not access.may_edit(case, scope):
            raise NotHandlingSide()
        refused = refusal(case, name, actor)
        if refused is not None:
            raise refused
        data = load_body(name, payload)
        version = data.pop("version", None)
        if version is not None and version != case.version_id:
            raise StaleRecord()
        unexpected = set(files) - set(step.uploads)
        if unexpected:
            raise ValidationFailed(
                {key: _("This step takes no file here.") for key in sorted(unexpected)}
            )
        _check_choices(step, case, data)
        before = _snapshot(case)
        try:
            result = step.run(StepContext(session, case, actor, data, files))
        except ValidationFailed as error:
            error.errors = {FIELD_ALIASES.get(k, k): v for k, v in error.errors.items()}
            raise
        session.flush()
        write_entry(
            session,
            action="step",
            table_name="service_case",
            row_id=str(case.id),
            before=before,
            after={**_snapshot(case), "step": name},
        )
    return case, result
