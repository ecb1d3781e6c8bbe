"""Files kept with a case, by kind: each one filed is a timeline entry naming its kind; a file
filed by mistake is voided with a reason (it stays listed, struck out), never deleted.

The file's bytes are checked and stored by app/uploads.py; these functions only record what
happened, inside the caller's unit of work (nothing commits here).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock
from app.domain.errors import IllegalTransition, ValidationFailed
from app.domain.lifecycle import _event, _require_step, publishes
from app.enums import EventKind


def attached(session: Session, case: m.Case, actor, attachment: m.Attachment) -> m.CaseEvent:
    """The timeline entry for a file just kept with ``case`` (its kind, name and id)."""
    session.flush()  # the attachment's id
    return _event(
        session,
        case,
        EventKind.ATTACHMENT,
        actor,
        note=attachment.note or "",
        data={
            "attachment_id": attachment.id,
            "kind": attachment.kind.value,
            "name": attachment.original_name,
        },
    )


@publishes("attach")
def attach(session: Session, case: m.Case, actor, attachment: m.Attachment) -> m.Attachment:
    """The step "attach": allowed while the case runs and after it ends (not once voided)."""
    _require_step(case, "attach")
    attached(session, case, actor, attachment)
    return attachment


@publishes("void_attachment")
def void_attachment(
    session: Session, case: m.Case, actor, *, attachment: m.Attachment | None, reason: str
) -> m.Attachment:
    """Void a file filed by mistake: kept and listed, marked voided with who, when and why."""
    _require_step(case, "void_attachment")
    if attachment is None or attachment.case_id != case.id:
        raise ValidationFailed({"attachment": _l("Choose a file attached to this case.")})
    if attachment.voided_at is not None:
        raise IllegalTransition(_l("This file is already voided."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": _l("Give the reason for voiding the file.")})
    attachment.voided_at = clock.now()
    attachment.voided_by_id = getattr(actor, "id", None)
    attachment.void_reason = reason
    _event(
        session,
        case,
        EventKind.ATTACHMENT_VOIDED,
        actor,
        note=reason,
        data={
            "attachment_id": attachment.id,
            "kind": attachment.kind.value,
            "name": attachment.original_name,
        },
    )
    return attachment
