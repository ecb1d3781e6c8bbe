"""One unit of work for every write: commit or roll back in one place, conflicts as typed errors.

Whatever a save raises between its first read and its commit (a stale version counter at any
flush, autoflushes in the middle of a step included; a unique key taken by a concurrent save; a
lock or serialisation failure) is rolled back and raised again as a ``DomainError`` carrying its
HTTP status and a message in the user's language: the screens flash it with the input kept, the
API answers it. Nothing is half-saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import DomainError, StaleRecord

UNIQUE_VIOLATION = "23505"
# serialization_failure, deadlock_detected, lock_not_available
RETRYABLE_STATES = {"40001", "40P01", "55P03"}


class Conflict(DomainError):
    """Another save got there first (the same record, the same unique value, at the same time)."""

    status = 409
    default_message = _l(
        "Someone else saved a change to this record at the same moment. Nothing of yours was "
        "saved: reload the page and try again."
    )


def _sqlstate(error: sa_exc.DBAPIError) -> str:
    orig = error.orig
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def conflict_of(error: BaseException) -> DomainError | None:
    """The typed error a database exception stands for, or None if it is not a conflict."""
    if isinstance(error, StaleDataError):
        return StaleRecord()
    if isinstance(error, sa_exc.IntegrityError):
        if _sqlstate(error) == UNIQUE_VIOLATION or "UNIQUE constraint failed" in str(error.orig):
            return Conflict()
        return None
    if isinstance(error, sa_exc.OperationalError):
        if _sqlstate(error) in RETRYABLE_STATES or "database is locked" in str(error.orig):
            return Conflict()
    return None


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Run the block and commit; roll back and raise a ``DomainError`` on any refusal or conflict.

    Errors that are not the user's (a lost connection, a bug) are rolled back and re-raised.
    """
    try:
        yield session
        session.commit()
    except DomainError:
        session.rollback()
        raise
    except (StaleDataError, sa_exc.DBAPIError) as error:
        session.rollback()
        typed = conflict_of(error)
        if typed is None:
            raise
        raise typed from error
    except BaseException:
        session.rollback()
        raise
