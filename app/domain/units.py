"""The unit tree: materialized paths kept right whenever a unit is added, moved or renumbered.

A unit's path is its ancestors' codes and its own, ``/440781/440781100/440781100001/``. Codes are
known before insert, so the path is set in ``before_flush`` without a second round trip; moving a
unit rewrites its subtree's paths with one UPDATE.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.domain.errors import ValidationFailed
from app.enums import Tier
from app.models import OrgUnit


def path_for(unit: OrgUnit) -> str:
    parent_path = unit.parent.path if unit.parent is not None else "/"
    return f"{parent_path}{unit.code}/"


def check_placement(unit: OrgUnit) -> None:
    """Refuse a parent that breaks the three-tier tree (raises ValidationFailed)."""
    tier = Tier(unit.tier)
    parent = unit.parent
    if tier == Tier.CITY:
        if parent is not None:
            raise ValidationFailed({"parent": _l("A city center has no parent unit.")})
        return
    if parent is None:
        raise ValidationFailed({"parent": _l("This unit needs a parent unit.")})
    if Tier(parent.tier).rank != tier.rank - 1:
        raise ValidationFailed(
            {
                "parent": _l(
                    "The parent must be one tier above: a town under the city, "
                    "a village under a town."
                )
            }
        )
    if unit.id is not None and parent.path and unit.path and parent.path.startswith(unit.path):
        raise ValidationFailed({"parent": _l("A unit cannot be placed under itself.")})


def _sync_paths(session: Session, flush_context, instances) -> None:
    units = [obj for obj in list(session.new) + list(session.dirty) if isinstance(obj, OrgUnit)]
    # Parents first, so a child's path is built from its parent's new path.
    units.sort(key=lambda u: Tier(u.tier).rank if u.tier else 9)
    for unit in units:
        if unit.parent is None and unit.parent_id is not None:
            unit.parent = session.get(OrgUnit, unit.parent_id)
        if unit.tier is not None:
            unit.kind = Tier(unit.tier).center_kind
        new_path = path_for(unit)
        old_path = unit.path
        if old_path == new_path:
            continue
        unit.path = new_path
        if old_path and unit.id is not None:
            session.execute(
                sa.update(OrgUnit)
                .where(OrgUnit.path.startswith(old_path, autoescape=True), OrgUnit.id != unit.id)
                .values(path=sa.literal(new_path) + sa.func.substr(OrgUnit.path, len(old_path) + 1))
                .execution_options(synchronize_session=False)
            )


def register(session_class) -> None:
    """Attach the path keeper to a session class (idempotent)."""
    if not event.contains(session_class, "before_flush", _sync_paths):
        event.listen(session_class, "before_flush", _sync_paths)
