"""The one file store every process shares: uploads, row reports, exports, summaries, receipts.

Files live in the database (table ``stored_file``), so every web and worker host sees the same
files and one database backup holds them all. Names are ours, made of a folder-like prefix and a
generated part (``exports/ledger-12-9f3a.xlsx``); nothing here takes a path from a request.
Writes go through the caller's session, so a file and the row that refers to it are committed
together (or not at all).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock

_NAME = re.compile(r"^[a-z]+/[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def check_name(name: str) -> str:
    """``name`` if it is one of ours (prefix/generated-part), else ValueError."""
    if not name or not _NAME.match(name) or ".." in name:
        raise ValueError(f"bad stored file name {name!r}")
    return name


def _session(session: Session | None) -> Session:
    if session is not None:
        return session
    from app.extensions import db

    return db.session


def put(
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    session: Session | None = None,
) -> str:
    """Keep ``data`` under ``name`` (replacing a file of that name); the caller commits."""
    s = _session(session)
    check_name(name)
    s.execute(sa.delete(m.StoredFile).where(m.StoredFile.name == name))
    s.add(
        m.StoredFile(
            name=name,
            content_type=content_type,
            size=len(data),
            data=bytes(data),
            created_at=clock.now(),
        )
    )
    s.flush()
    return name


def get(name: str, session: Session | None = None) -> bytes | None:
    """The content of ``name``, None if there is no such file."""
    check_name(name)
    return (
        _session(session)
        .execute(sa.select(m.StoredFile.data).where(m.StoredFile.name == name))
        .scalar_one_or_none()
    )


def exists(name: str, session: Session | None = None) -> bool:
    check_name(name)
    found = _session(session).execute(sa.select(m.StoredFile.id).where(m.StoredFile.name == name))
    return found.first() is not None


def delete(name: str, session: Session | None = None) -> bool:
    """Remove ``name``; True if it was there. The caller commits."""
    check_name(name)
    result = _session(session).execute(sa.delete(m.StoredFile).where(m.StoredFile.name == name))
    return bool(result.rowcount)


def names(prefix: str, older_than=None, session: Session | None = None) -> list[str]:
    """Names under ``prefix`` (e.g. "imports/"), optionally only those created before a time."""
    query = sa.select(m.StoredFile.name).where(
        m.StoredFile.name.startswith(prefix, autoescape=True)
    )
    if older_than is not None:
        query = query.where(m.StoredFile.created_at < older_than)
    return list(_session(session).execute(query.order_by(m.StoredFile.name)).scalars())
