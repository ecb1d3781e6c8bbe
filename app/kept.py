"""Records a service center keeps for good: nothing deletes them, on any surface.

A case entered by mistake is voided (app/domain/lifecycle.py ``void``), never deleted; its
timeline, notices, extensions, handover or termination, evaluation, rectification, return
visits and files stay with it. Walk-in help records are counted in the ledger and stay too.

One rule, applied in three places that share this set:

- the screens' base (app/viewbase.py) has no delete route for these models (and no add or
  edit route for the records a case's steps own, ``STEP_OWNED_MODELS``);
- the API's base (app/api/base.py) has no DELETE route for them and refuses one before any
  resource hook runs;
- the ORM refuses to flush the deletion of such a row, whatever code asked for it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import models as m
from app.domain.errors import DomainError

KEPT_MODELS = frozenset(
    {
        m.Case,
        m.CaseEvent,
        m.MaterialNotice,
        m.Extension,
        m.Handover,
        m.Termination,
        m.Suspension,
        m.JointReview,
        m.Evaluation,
        m.Rectification,
        m.ReturnVisit,
        m.Attachment,
        m.WalkInHelp,
        m.ChaseUp,
        m.Complaint,
        m.ComplaintEvent,
        m.HomeVisit,
        m.ProjectTeam,
        m.ProjectLiaison,
        m.ProjectLogEntry,
        m.ProjectIssue,
        m.CaseArchive,
    }
)


# Records that only a case's steps (or the follow-up screens' actions) write: no generic add or
# edit form exists for them. Walk-in help and applicants have free forms; the case itself is
# edited in its free fields only (app/cases).
STEP_OWNED_MODELS = KEPT_MODELS - {m.Case, m.WalkInHelp, m.Complaint}


class RecordKept(DomainError):
    """A kept record cannot be deleted (a case is voided instead)."""

    status = 405
    default_message = _l(
        "Case records are kept and cannot be deleted; a case entered by mistake is voided."
    )


def is_kept(model) -> bool:
    return model in KEPT_MODELS


def _refuse_deletes(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if type(obj) in KEPT_MODELS:
            raise RecordKept()


def register(session_class=Session) -> None:
    """Attach the guard to a session class (idempotent)."""
    if not event.contains(session_class, "before_flush", _refuse_deletes):
        event.listen(session_class, "before_flush", _refuse_deletes)
