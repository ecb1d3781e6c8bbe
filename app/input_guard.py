"""Malformed input never reaches a view: one check before every request.

PostgreSQL refuses NUL bytes and lone surrogates in text and ids beyond its integer range;
Flask-AppBuilder parses page, page-size, sort and filter arguments without bounds; a deeply
nested rison argument exhausts Python's recursion limit. Each of those was a 500. Here, before
any view runs (``init_input_guard`` puts the check first):

- text with NUL or a lone surrogate anywhere in the path, the query string, a form or a JSON
  body → 400;
- an id in the path (``pk``, ``*_id``) that is not a number within the database's integer range
  → 404 (no such record can exist); an id-like query or form argument beyond that range → 400;
- ``page_<View>`` / ``psize_<View>`` not a number within bounds → 400; ``_oc_<View>`` not one
  of the view's sort columns → 400; ``_flt_<n>_<col>`` naming a filter the view does not have
  → 400;
- a date outside 1900-01-01..2999-12-31 → 400;
- a rison ``q`` nested too deeply → 400;
- a form part without a name (a multipart part whose Content-Disposition names no field: the
  form and the files then hold it under ``None``), or a file's name with NUL or a control
  character → 400.

Screens answer a plain 400/404 page with a translated message; the API answers its JSON error
shape (app/api/errors.py).
"""

from __future__ import annotations

import re

import prison
import sqlalchemy as sa
from flask import Flask, abort, current_app, request
from flask_babel import gettext as _

from app.api.errors import error_response
from app.api.locale import select_api_locale

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
MIN_YEAR, MAX_YEAR = 1900, 2999
MAX_RISON_DEPTH = 32
# Query and form arguments that carry record ids.
ID_ARGS = {
    "id",
    "pk",
    "unit",
    "item",
    "specialist",
    "applicant",
    "case",
    "leader",
    "reassign_to",
    "rowid",
}
DATE_RE = re.compile(r"^(\d+)-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]*)?$")
FILTER_RE = re.compile(r"^_flt_(\d)_(.+)$")
API_PREFIX = "/api/"


class BadInput(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


# Control characters no form or JSON field has a use for, which spreadsheets (XML) cannot hold
# either: a department named with one broke every export of the catalogue (scanner, issue 18).
# Tab, line feed and carriage return stay allowed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def bad_text(value: str | None) -> bool:
    """NUL and other control characters, or a lone surrogate (text PostgreSQL, UTF-8 or a
    spreadsheet cannot hold). A field without a value (``None``: a form part with no text, as
    a WSGI caller may hand over) holds neither."""
    if not isinstance(value, str):
        return False
    if _CONTROL.search(value):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_json(value, depth: int = 0) -> None:
    if depth > 64:
        raise BadInput(400, _("The request is nested too deeply."))
    if isinstance(value, str):
        if bad_text(value):
            raise BadInput(400, _("The request contains characters that are not allowed."))
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth + 1)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        raise BadInput(400, _("A number in the request is out of range."))


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


# Screens whose records are keyed by text, not by a number (the settings' keys).
TEXT_KEY_VIEWS = {"SettingView"}


def _check_path() -> None:
    text_keys = (request.endpoint or "").split(".")[0] in TEXT_KEY_VIEWS
    for name, value in (request.view_args or {}).items():
        text = str(value)
        if name == "pk" and text_keys:
            if bad_text(text) or len(text) > 80:
                raise BadInput(404, _("Not found."))
        elif name == "pk" or name.endswith("_id"):
            if not _is_id(text):
                raise BadInput(404, _("Not found."))
        elif bad_text(text):
            raise BadInput(404, _("Not found."))


def _check_date(text: str) -> None:
    match = DATE_RE.match(text)
    if match and not (MIN_YEAR <= int(match.group(1)) <= MAX_YEAR):
        raise BadInput(
            400,
            _(
                "Dates must lie between %(first)s and %(last)s.",
                first=f"{MIN_YEAR}-01-01",
                last=f"{MAX_YEAR}-12-31",
            ),
        )


def _check_pairs(pairs) -> None:
    for key, value in pairs:
        if bad_text(key) or bad_text(value):
            raise BadInput(400, _("The request contains characters that are not allowed."))
        if not isinstance(key, str) or not isinstance(value, str):
            continue  # a part without a name or a value (see _check_form)
        text = value.strip()
        if (key in ID_ARGS or key.endswith("_id")) and text.isdigit() and int(text) > MAX_ID:
            raise BadInput(400, _("A number in the request is out of range."))
        _check_date(text)


def _check_form() -> None:
    """A form's fields and files: every part named, its text and its file's name allowed."""
    for key in (*request.form.keys(), *request.files.keys()):
        if key is None:
            raise BadInput(400, _("A part of the form has no field name."))
    _check_pairs(request.form.items(multi=True))
    for _key, storage in request.files.items(multi=True):
        if bad_text(storage.filename):
            raise BadInput(400, _("The request contains characters that are not allowed."))


def _int_within(text: str, low: int, high: int) -> bool:
    text = text.strip()
    return text.isascii() and text.isdigit() and low <= int(text) <= high


def _view_named(name: str):
    appbuilder = getattr(current_app, "appbuilder", None)
    for view in getattr(appbuilder, "baseviews", []):
        if type(view).__name__ == name:
            return view
    return None


def _check_list_args() -> None:
    """FAB's list arguments: page numbers and sizes bounded, sort columns and filters known."""
    for key, value in request.args.items(multi=True):
        if key.startswith("page_") and not _int_within(value, 0, MAX_PAGE):
            raise BadInput(400, _("The page number is not valid."))
        if key.startswith("psize_") and not _int_within(value, 1, MAX_PAGE_SIZE):
            raise BadInput(
                400, _("The page size must be between 1 and %(max)s.", max=MAX_PAGE_SIZE)
            )
        if key.startswith("_oc_") and value:
            view = _view_named(key[4:])
            columns = getattr(view, "order_columns", None) or []
            if view is not None and value not in columns:
                raise BadInput(400, _("The list cannot be sorted by this column."))
        match = FILTER_RE.match(key)
        if match:
            view = _view_named((request.endpoint or "").split(".")[0])
            filters = getattr(getattr(view, "_filters", None), "_all_filters", None)
            if filters is None:
                continue
            index, column = int(match.group(1)), match.group(2)
            if column in filters and index >= len(filters[column]):
                raise BadInput(400, _("A search value is not valid."))
            if not _fits_column(view, column, value):
                raise BadInput(400, _("A search value is not valid."))


BOOLEAN_TEXTS = {"", "y", "n", "yes", "no", "t", "f", "true", "false", "on", "off", "1", "0"}


def _fits_column(view, column: str, value: str) -> bool:
    """Whether a list filter's value can be compared with the column at all (PostgreSQL refuses
    ``boolean = 'nope'`` and integers beyond its range)."""

    table = getattr(getattr(getattr(view, "datamodel", None), "obj", None), "__table__", None)
    col = table.columns.get(column) if table is not None else None
    if col is None:
        return True
    text = value.strip()
    if isinstance(col.type, sa.Boolean):
        return text.lower() in BOOLEAN_TEXTS
    if isinstance(col.type, sa.Integer) and text.lstrip("-").isdigit():
        return abs(int(text)) <= MAX_ID
    return True


def _check_rison() -> None:
    if not request.path.startswith(API_PREFIX):
        return
    for value in request.args.getlist("q"):
        depth = deepest = 0
        quoted = False
        for char in value:
            if char == "'":
                quoted = not quoted
            elif not quoted and char in "(":
                depth += 1
                deepest = max(deepest, depth)
            elif not quoted and char == ")":
                depth -= 1
        if deepest > MAX_RISON_DEPTH:
            raise BadInput(400, _("The query argument is nested too deeply."))
        # prison fails on some malformed strings with RecursionError, IndexError or TypeError
        # (``((((``, ``!``, ``(a:``) instead of its ParserException, which FAB's rison decorator
        # does not catch: its @safe turned them into 500. Parse here first; any failure is a 400.
        try:
            prison.loads(value)
        except Exception:  # noqa: BLE001 - every way prison fails means the same: not rison
            raise BadInput(400, _("The query argument is not valid.")) from None


def check_request() -> None:
    """Refuse malformed input before any view (raises BadInput)."""
    if bad_text(request.path):
        raise BadInput(404, _("Not found."))
    _check_path()
    _check_pairs(request.args.items(multi=True))
    _check_list_args()
    _check_rison()
    if request.method in ("POST", "PUT", "PATCH"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            _check_form()
        elif request.is_json:
            data = request.get_json(silent=True)
            if data is not None:
                _check_json(data)


def _answer(error: BadInput):
    if request.path.startswith(API_PREFIX):
        return error_response(error.status, error.message)
    abort(error.status, description=error.message)


def init_input_guard(app: Flask) -> None:
    def guard():
        if request.path.startswith(API_PREFIX):
            select_api_locale()  # messages in the API request's language
        try:
            check_request()
        except BadInput as error:
            return _answer(error)
        return None

    # First of all before-request functions: nothing (log-in, locale, limits) sees bad input.
    app.before_request_funcs.setdefault(None, []).insert(0, guard)

    @app.after_request
    def allow_header(response):
        """A 405 (TRACE and the like) says which methods the URL takes."""
        if response.status_code == 405 and "Allow" not in response.headers:
            adapter = app.url_map.bind_to_environ(request.environ)
            methods = sorted(adapter.allowed_methods() or [])
            if methods:
                response.headers["Allow"] = ", ".join(methods)
        return response
