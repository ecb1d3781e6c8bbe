"""Typed domain errors: each carries its HTTP status and a translatable message.

Views flash the message, the API returns it with the status; nothing is half-saved because the
command that raised it never reached its commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    default_message = _l("The request could not be carried out.")

    def __init__(self, message=None, **params):
        self.message = message if message is not None else self.default_message
        self.params = params
        super().__init__(str(self.message))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class ValidationFailed(DomainError):
    """One or more fields are invalid; ``errors`` maps field name to message."""

    status = 422
    default_message = _l("Some fields are not valid.")

    def __init__(self, errors: dict, message=None):
        self.errors = errors
        super().__init__(message)


class IllegalTransition(DomainError):
    """The step is not allowed from the case's current status or its guards refuse it."""

    status = 409
    default_message = _l("This step is not allowed now.")


class NotInScope(DomainError):
    """The record is outside the user's scope; answered exactly like a missing record."""

    status = 404
    default_message = _l("Not found.")


class StaleRecord(DomainError):
    """Someone else saved the record since it was loaded (optimistic locking)."""

    status = 409
    default_message = _l(
        "This record was changed by someone else. Your input is kept below; "
        "review the current values and save again."
    )


class NotPermitted(IllegalTransition):
    """The step exists and the record is in scope, but the actor's role may not take it."""

    status = 403
    default_message = _l("Your role may not take this step.")
