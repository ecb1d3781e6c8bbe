"""A person's own choices on a screen, kept on the server (table ``user_preference``).

The first use is the column chooser of the work ledger: which columns a person sees. The choice
is stored per account, so it follows the person to another computer at the station (a browser's
local storage would not), and the page is drawn with the chosen columns from the first byte
(no flash of the wide table before a script hides columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock


@dataclass(frozen=True)
class ColumnChoice:
    """A table's columns: every column in display order, and those shown by default."""

    key: str  # the preference key, e.g. "columns.ledger"
    columns: tuple[tuple[str, Any], ...]  # (column key, label)
    default: tuple[str, ...]
    required: tuple[str, ...] = ()  # always shown (e.g. the case number, the link to the case)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _label in self.columns)

    def clean(self, chosen: Sequence[str]) -> list[str] | None:
        """The chosen columns in display order, or None when the choice names an unknown one."""
        chosen = set(chosen)
        if not chosen <= set(self.keys):
            return None
        chosen |= set(self.required)
        return [key for key in self.keys if key in chosen]


def get(session: Session, user_id: int | None, key: str) -> Any:
    if user_id is None:
        return None
    return session.execute(
        sa.select(m.UserPreference.value).where(
            m.UserPreference.user_id == user_id, m.UserPreference.key == key
        )
    ).scalar_one_or_none()


def put(session: Session, user_id: int, key: str, value: Any) -> None:
    """Store (or replace) one preference; the caller commits."""
    row = session.get(m.UserPreference, (user_id, key))
    if row is None:
        session.add(m.UserPreference(user_id=user_id, key=key, value=value))
    else:
        row.value = value
        row.updated_at = clock.now()


def clear(session: Session, user_id: int, key: str) -> None:
    """Back to the screen's defaults; the caller commits."""
    session.execute(
        sa.delete(m.UserPreference).where(
            m.UserPreference.user_id == user_id, m.UserPreference.key == key
        )
    )


def shown_columns(session: Session, user_id: int | None, choice: ColumnChoice) -> list[str]:
    """The columns this person sees: their stored choice (still valid ones), else the defaults."""
    stored = get(session, user_id, choice.key)
    if isinstance(stored, list):
        valid = choice.clean([c for c in stored if isinstance(c, str) and c in choice.keys])
        if valid:
            return valid
    return list(choice.default)
