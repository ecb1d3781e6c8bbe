"""How the REST API answers errors: one JSON shape, in the request's language, never a 500 for
bad input or a broken data rule.

Every error answer is ``{"message": "...", "errors": {"field": ["...", ...]}}`` (``errors`` only
when fields are to blame). Database constraint violations are mapped here: a duplicate answers
409 naming the duplicated fields; a broken check, a missing required value or a reference to a
row that is gone answers 422; a row still referenced by others answers 409 on delete.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from flask import jsonify, make_response
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
NOT_NULL_VIOLATION = "23502"
CHECK_VIOLATION = "23514"

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["message"],
}


def _response_spec(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
    }


# The OpenAPI responses every resource refers to (``#/components/responses/<code>``).
API_RESPONSES = {
    "400": _response_spec("Bad request: the body or the query is not valid"),
    "401": _response_spec("Not logged in: send a bearer token from /api/v1/security/login"),
    "403": _response_spec("The caller's role may not do this, or not on this record"),
    "404": _response_spec("No such record in the caller's scope"),
    "409": _response_spec("Conflict: an illegal step, a duplicate, or a stale version"),
    "422": _response_spec("Some fields are not valid; ``errors`` names each of them"),
    "500": _response_spec("Unexpected server error"),
    "503": _response_spec(
        "The database or the file store is not answering; nothing was changed (see Retry-After)"
    ),
}


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages (``{"received": {0: [...]}}``) as ``{"received.0": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in flatten_errors(value, name).items():
                out.setdefault(sub, []).extend(texts)
    elif isinstance(messages, (list, tuple)):
        if all(not isinstance(m, (Mapping, list, tuple)) for m in messages):
            out[prefix or "_schema"] = [str(m) for m in messages]
        else:
            for value in messages:
                for sub, texts in flatten_errors(value, prefix).items():
                    out.setdefault(sub, []).extend(texts)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def error_response(status: int, message, errors=None):
    """The JSON error answer; ``message`` and every field message are rendered now (translated)."""
    body: dict = {"message": str(message)}
    if errors:
        body["errors"] = flatten_errors(errors)
    response = make_response(jsonify(body), status)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


def invalid(errors, message=None):
    """422 naming each invalid field."""
    return error_response(422, message or _("Some fields are not valid."), errors)


# ---------------------------------------------------------------- database errors


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    orig = exc.orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _constraint_name(exc: sa_exc.DBAPIError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None) if diag is not None else None


def _columns_of_constraint(table: sa.Table, name: str | None) -> list[str]:
    """The columns a named constraint or unique index of ``table`` covers."""
    if not name:
        return []
    for constraint in table.constraints:
        if constraint.name != name:
            continue
        if isinstance(constraint, sa.CheckConstraint):
            text = str(constraint.sqltext)
            return [c.name for c in table.columns if re.search(rf"\b{re.escape(c.name)}\b", text)]
        return [c.name for c in getattr(constraint, "columns", [])]
    for index in table.indexes:
        if index.name == name:
            return [c.name for c in index.columns]
    # PostgreSQL's default names: <table>_<column>_key, <table>_<column>_fkey.
    match = re.fullmatch(rf"{re.escape(table.name)}_(.+)_(?:key|fkey)", name)
    if match and match.group(1) in table.columns:
        return [match.group(1)]
    return []


def _columns_from_sqlite(table: sa.Table, text: str) -> list[str]:
    # "CHECK constraint failed: ck_item_legal_ge_promised"
    named = re.search(r"CHECK constraint failed: (\w+)", text)
    if named:
        return _columns_of_constraint(table, named.group(1))
    # "UNIQUE constraint failed: department.code, department.name"
    found = re.findall(rf"{re.escape(table.name)}\.(\w+)", text)
    return [c for c in found if c in table.columns]


def _field_names(columns: Iterable[str], aliases: Mapping[str, str]) -> list[str]:
    """Column names as the API's field names (``unit_id`` → ``unit``)."""
    return [aliases.get(c, c[:-3] if c.endswith("_id") else c) for c in columns]


def database_error_response(
    exc: sa_exc.DBAPIError, model=None, *, deleting: bool = False, aliases=None
):
    """The answer for a constraint violation or a value the database refuses.

    Returns None for errors that are not the caller's fault (connection lost and the like):
    those stay server errors.
    """
    aliases = aliases or {}
    table = getattr(model, "__table__", None)
    state = _sqlstate(exc) or ""
    text = str(exc.orig)
    columns: list[str] = []
    if table is not None:
        columns = _columns_of_constraint(table, _constraint_name(exc))
        if not columns and "constraint failed" in text:
            columns = _columns_from_sqlite(table, text)
    fields = _field_names(columns, aliases)
    if isinstance(exc, sa_exc.IntegrityError):
        if state == UNIQUE_VIOLATION or "UNIQUE constraint failed" in text:
            message = _("A record with the same values already exists.")
            return error_response(
                409, message, {f: [_("This value is already in use.")] for f in fields}
            )
        if state == FOREIGN_KEY_VIOLATION or "FOREIGN KEY constraint failed" in text:
            if deleting:
                return error_response(
                    409, _("The record is still referred to by other records and stays.")
                )
            return invalid(
                {f: [_("No such record.")] for f in fields}, _("A referenced record is missing.")
            )
        if state == NOT_NULL_VIOLATION or "NOT NULL constraint failed" in text:
            diag = getattr(exc.orig, "diag", None)
            column = getattr(diag, "column_name", None)
            if column:
                fields = _field_names([column], aliases)
            return invalid({f: [_("This field is required.")] for f in fields})
        return invalid(
            {f: [_("This value breaks a rule of the record.")] for f in fields},
            _("The values break a rule of the record."),
        )
    if isinstance(exc, sa_exc.DataError):
        return invalid({}, _("A value is not acceptable to the database (too long or malformed)."))
    return None
