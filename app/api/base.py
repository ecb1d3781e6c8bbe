"""The scoped base of every REST resource: FAB's ModelRestApi under the same rules as the UI.

What FAB's REST layer does not do by itself (see STACK-NOTES) is done here once for every
resource, so no resource can forget it:

- every read (list, get, and the row a PUT or DELETE acts on) goes through
  ``current_scope().clause_for(model)``: out of scope answers 404 exactly like a missing id;
- every related id in a POST or PUT body is checked before FAB's loader sees it: it must exist
  and be in the caller's scope (FAB's loader would otherwise invent a new empty related row),
  and the saved row must still satisfy the scope rule (a PUT cannot move a record out);
- constraint violations answer 409 (duplicate, still referenced) or 422 (rule broken), never 500;
- ``status`` and the other read-only columns are never writable;
- resident ID and mobile numbers are masked (in lists and single answers) for roles that do
  not handle applicants themselves (``API_UNMASKED_ROLES``, default Specialist and Manager);
- messages are in the request's language (``?_l_=`` or Accept-Language; app/api/locale.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, g, request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.exceptions import InvalidOperationFilterFABException
from flask_babel import gettext as _
from marshmallow import ValidationError, fields
from marshmallow_sqlalchemy.fields import Related, RelatedList
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError

from app import scope as scoping
from app.api.errors import API_RESPONSES, ERROR_SCHEMA, database_error_response, error_response
from app.api.errors import invalid as invalid_response
from app.api.locale import select_api_locale
from app.api.routes import LIST_ARGS_SCHEMA, DocumentedRoutes
from app.audit import write_entry
from app.counting import CappedCount, CappedCountInterface
from app.domain.errors import DomainError, NotInScope, StaleRecord, ValidationFailed
from app.extensions import db
from app.kept import RecordKept, is_kept
from app.labels import COMMON_LABELS, TranslatedLabels
from app.masking import (
    IdentityExact,
    mask_unless_revealer,
    masked_columns_of,
    may_reveal,
    never_revealed_of,
)
from app.roles import held_roles
from app.scope import WRITE_UNIT_RELATIONS, row_in_scope
from app.validators import mask_mobile, mask_resident_id

MAX_ID = 2**31 - 1
# Roles that see resident ID and mobile numbers in full (they handle applicants themselves).
DEFAULT_UNMASKED_ROLES = ("Specialist", "Manager")

FILTER_OPS_TAKING_LISTS = {"in", "not_in"}


def is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _is_id_text(value: str) -> bool:
    return value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID


def may_see_full_identity() -> bool:
    roles = current_app.config.get("API_UNMASKED_ROLES", DEFAULT_UNMASKED_ROLES)
    user = getattr(g, "user", None)
    return any(role.name in roles for role in held_roles(user))


def domain_error_response(error: DomainError):
    if isinstance(error, ValidationFailed):
        return invalid_response(error.errors, str(error))
    if isinstance(error, NotInScope):
        return not_found()
    return error_response(error.status, str(error))


def not_found():
    return error_response(404, _("Not found."))


def _relax_required(schema) -> None:
    """Answer schemas document what may appear, not what a client must send."""
    for field in schema.fields.values():
        field.required = False
        if isinstance(field, fields.Nested):
            field.allow_none = not field.many  # an empty relation dumps as null
            _relax_required(field.schema)


NEVER_REVEALED_DOC = (
    "Masked for every caller (e.g. 138****8000), exactly as the screens show it. The only filter "
    "is `eq` with the whole number, for roles that may reveal numbers; such a search is audited. "
    "Never a sort key."
)


def _document_never_revealed(schema, model) -> None:
    """Columns no one sees in full (app/masking.py NEVER_REVEALED): say so in the document."""
    for column in never_revealed_of(model):
        field = schema.fields.get(column)
        if field is not None:
            field.metadata["description"] = NEVER_REVEALED_DOC


def _document_relations(schema) -> None:
    """Related fields take record ids: say so in the OpenAPI document."""
    for field in schema.fields.values():
        if isinstance(field, RelatedList):
            field.metadata.update(type="array", items={"type": "integer"})
        elif isinstance(field, Related):
            field.metadata.update(type="integer")


class ScopedModelRestApi(TranslatedLabels, DocumentedRoutes, ModelRestApi):
    """A ModelRestApi whose every read and write stays inside the caller's scope."""

    allow_browser_login = False  # bearer tokens only: the API is exempt from CSRF
    exclude_route_methods = {"info"}  # FAB's _info lists related rows unscoped and misdocuments
    page_size = 20
    max_page_size = 100
    read_only_columns: tuple[str, ...] = ("id", "status")
    # column → masking function, applied to answers for roles without the full view
    masked_columns: dict[str, Callable[[str], str]] = {}
    # table name under which answers with unmasked identities are written to the audit trail
    audit_reveals: str | None = None
    # relation → extra condition (a callable returning a SQL clause) a related row must meet
    related_conditions: dict[str, Callable[[], sa.ColumnElement[bool]]] = {}
    responses = API_RESPONSES
    openapi_spec_component_schemas = ()

    def __init__(self):
        cls = type(self)
        if is_kept(cls.datamodel.obj):
            # Kept records (app/kept.py): no DELETE route and no delete permission.
            self.exclude_route_methods = set(cls.exclude_route_methods or ()) | {"delete"}
            if cls.include_route_methods is not None:
                self.include_route_methods = set(cls.include_route_methods) - {"delete"}
        self.base_filters = [["id", scoping.ScopeFilter, None]] + list(cls.base_filters or [])
        self.label_columns = {**COMMON_LABELS, **(cls.label_columns or {})}
        # Lists count at most COUNT_CAP + 1 rows: "count_capped" in the answer says so.
        shared = cls.datamodel
        self.datamodel = CappedCountInterface(shared.obj, shared._session)
        super().__init__()
        for attr in ("add_columns", "edit_columns"):
            columns = getattr(self, attr) or []
            setattr(self, attr, [c for c in columns if c not in self.read_only_columns])
        self._restrict_masked_columns()

    # -- masked personal data is never a search oracle (app/masking.py) -----------

    def _restrict_masked_columns(self) -> None:
        """Masked columns: filtered by ``eq`` on the whole number only, never sorted on."""
        masked = masked_columns_of(self.datamodel.obj)
        for name in masked:
            if name in self._filters._search_filters:
                self._filters._search_filters[name] = [IdentityExact(name, self.datamodel)]
        self.order_columns = [c for c in self.order_columns or [] if c not in masked]

    def _handle_filters_args(self, rison_args):
        """FAB's filters, but a masked column takes only its exact-number filter (FAB would
        apply its own ``eq``), and only from callers who may reveal the number."""

        masked = masked_columns_of(self.datamodel.obj)
        plain, exact = [], []
        for item in rison_args.get("filters") or []:
            column = item.get("col") if isinstance(item, dict) else None
            if column and self.datamodel.is_relation(column):
                values = item.get("value")
                values = values if isinstance(values, list) else [values]
                if not all(is_id(v) or (isinstance(v, str) and _is_id_text(v)) for v in values):
                    raise InvalidOperationFilterFABException(_("Give the id of a record."))
            if column not in masked or column not in self._filters._search_filters:
                plain.append(item)
                continue
            if item.get("opr") != IdentityExact.arg_name or not isinstance(item.get("value"), str):
                raise InvalidOperationFilterFABException(
                    _("This column can only be searched by the whole number.")
                )
            if not may_reveal():
                raise InvalidOperationFilterFABException(
                    _("Your role may not search by this column.")
                )
            exact.append(item)
        self._filters.clear_filters()
        self._filters.rest_add_filters(plain)
        for item in exact:
            self._filters.add_filter(item["col"], IdentityExact, item["value"])
        return self._filters.get_joined_filters(self._base_filters)

    # -- construction ----------------------------------------------------------

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(select_api_locale)
        return blueprint

    def _init_model_schemas(self) -> None:
        super()._init_model_schemas()
        for schema in (self.list_model_schema, self.show_model_schema):
            _relax_required(schema)
            _document_never_revealed(schema, self.datamodel.obj)
        for schema in (self.add_model_schema, self.edit_model_schema):
            _document_relations(schema)

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        if "ApiError" not in api_spec.components.schemas:
            api_spec.components.schema("ApiError", ERROR_SCHEMA)
        if "scoped_list_args" not in api_spec.components.schemas:
            api_spec.components.schema("scoped_list_args", LIST_ARGS_SCHEMA)

    # -- FAB's answers, in the request's language ---------------------------------

    def response_404(self):
        return not_found()

    def response_500(self, message=None):
        """FAB's ``@safe`` answers 500 for any exception: a database that does not answer (or
        the S3 file store) is an outage, answered 503 as on the pages (app/system.py)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, sa_exc.OperationalError) or type(exc).__module__.startswith("botocore"):
            try:
                db.session.rollback()
            except Exception:  # the connection may be gone as well
                db.session.remove()
            if isinstance(exc, sa_exc.OperationalError):
                message = _(
                    "The database is not answering right now. Nothing was changed; please try "
                    "again in a minute."
                )
            else:
                message = _(
                    "The file store is not answering right now. Nothing was changed; please "
                    "try again in a minute."
                )
            response = error_response(503, message)
            response.headers["Retry-After"] = "30"
            return response
        return super().response_500(message)

    def response_400(self, message=None):
        return error_response(400, message or _("The request is not valid."))

    def response_422(self, message=None):
        if isinstance(message, dict):
            return invalid_response(message)
        return invalid_response({}, message)

    # -- checks on bodies ----------------------------------------------------------

    def json_body(self):
        """The request's JSON object, or None (the caller answers 400)."""
        if not request.is_json:
            return None
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else None

    def optional_body(self):
        """A step's body: the JSON object, or ``{}`` when nothing is sent.

        ``(body, None)``, or ``(None, the 400 answer)`` for a body that is not a JSON object.
        """
        raw = request.get_data(cache=True)
        data = self.json_body() if raw.strip() else {}
        if data is None:
            return None, self.response_400(_("The body must be a JSON object."))
        return data, None

    def checked_body(self, columns):
        """A write's JSON object, its read-only fields and related ids checked (``check_body``).

        ``(body, None)``, or ``(None, the 400 or 422 answer)``.
        """
        data = self.json_body()
        if data is None:
            return None, self.response_400(_("The body must be a JSON object."))
        errors = self.check_body(data, columns)
        if errors:
            return None, invalid_response(errors)
        return data, None

    def check_body(self, data: dict, columns) -> dict:
        """Errors for read-only fields and for related ids that do not exist or are out of scope.

        A missing record and one outside the scope get the same message: the answer does not
        tell whether a record exists elsewhere.
        """
        errors: dict[str, list] = {}
        for key in data:
            if key in self.read_only_columns:
                errors[key] = [_("This field cannot be written.")]
        scope = scoping.current_scope()
        for name in columns:
            if name not in data or not self.datamodel.is_relation(name):
                continue
            problem = self._check_related(name, data[name], scope)
            if problem:
                errors[name] = [problem]
        return errors

    def _check_related(self, name: str, value, scope) -> str | None:
        datamodel = self.datamodel
        model = datamodel.get_related_model(name)
        many = datamodel.is_relation_many_to_many(name) or datamodel.is_relation_one_to_many(name)
        if many:
            if not isinstance(value, list) or not all(is_id(v) for v in value):
                return _("Give a list of record ids.")
            ids = set(value)
            if not ids:
                return None
        else:
            if value is None:
                return None if datamodel.is_nullable(name) else _("This field is required.")
            if not is_id(value):
                return _("Give the id of a record.")
            ids = {value}
        query = sa.select(model.id).where(model.id.in_(ids), scope.clause_for(model))
        condition = self.related_conditions.get(name)
        if condition is not None:
            query = query.where(condition())
        found = set(db.session.execute(query).scalars())
        if found != ids:
            return _("No such record, or not one you may use.")
        return None

    def check_write_scope(self, item) -> dict | None:
        """Errors if the row as it is about to be saved falls outside the caller's scope."""
        scope = scoping.current_scope()
        if scope.everything:
            return None
        with db.session.no_autoflush:
            if row_in_scope(db.session, item, scope):
                return None
        fields_ = WRITE_UNIT_RELATIONS.get(type(item).__name__, ("_schema",))
        message = _("The record would be outside the units you may work with.")
        return {name: [message] for name in fields_}

    def require_write_scope(self, item) -> None:
        """``check_write_scope`` as a refusal (422 naming the fields) inside ``save``."""
        errors = self.check_write_scope(item)
        if errors:
            raise ValidationFailed(errors)

    # -- saving ----------------------------------------------------------------

    def commit(self, *, deleting: bool = False):
        """Commit the unit of work; None on success, else the error answer (rolled back)."""
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            return error_response(409, str(StaleRecord()))
        except sa_exc.DBAPIError as exc:
            db.session.rollback()
            answer = database_error_response(exc, self.datamodel.obj, deleting=deleting)
            if answer is None:
                raise
            return answer
        return None

    def save(self, work: Callable[[], object], *, deleting: bool = False):
        """Run ``work()`` and commit it, the request's one unit of work.

        ``(what work returned, None)``, or ``(None, the error answer)`` with everything rolled
        back: a domain refusal as its typed answer (``domain_error_response``), a stale version
        as 409 (also when an autoflush inside ``work`` meets it), a broken constraint as
        ``commit`` answers it.
        """
        try:
            result = work()
        except DomainError as error:
            db.session.rollback()
            return None, domain_error_response(error)
        except StaleDataError:
            db.session.rollback()
            return None, error_response(409, str(StaleRecord()))
        failed = self.commit(deleting=deleting)
        if failed is not None:
            return None, failed
        return result, None

    def load_item(self, pk):
        """The record ``pk`` if it is in the caller's scope, else None (ids beyond the
        database's integer range included: they cannot exist)."""
        if not is_id(pk):
            return None
        return self.datamodel.get(pk, self._base_filters)

    # -- list and get --------------------------------------------------------------

    def get_headless(self, pk, **kwargs):
        if not is_id(pk):
            return not_found()
        return super().get_headless(pk, **kwargs)

    def _check_filters(self, args: dict) -> str | None:
        for item in args.get("filters") or []:
            if not isinstance(item, dict):
                continue
            value = item.get("value")
            wants_list = item.get("opr") in FILTER_OPS_TAKING_LISTS
            if wants_list != isinstance(value, list):
                return _("The filter value does not suit the operator.")
        return None

    def get_list_headless(self, **kwargs):
        problem = self._check_filters(kwargs.get("rison") or {})
        if problem:
            return self.response_400(problem)
        try:
            return super().get_list_headless(**kwargs)
        except (sa_exc.DataError, LookupError, ValueError):
            db.session.rollback()
            return self.response_400(_("A filter value is not valid."))
        except sa_exc.StatementError as exc:
            db.session.rollback()
            if isinstance(exc, sa_exc.DBAPIError):
                raise
            return self.response_400(_("A filter value is not valid."))

    def _mask(self, rows) -> None:
        model = self.datamodel.obj
        for column in never_revealed_of(model):  # masked for everyone, as on the screens
            for row in rows:
                if isinstance(row, dict) and row.get(column):
                    row[column] = mask_unless_revealer(model, column, row[column])
        if not self.masked_columns:
            return
        if may_see_full_identity():
            self._audit_reveal(rows)
            return
        for row in rows:
            for column, mask in self.masked_columns.items():
                if isinstance(row, dict) and row.get(column):
                    row[column] = mask(row[column])

    def _audit_reveal(self, rows) -> None:
        """Full identity numbers handed out are recorded, as the applicant page's reveal is."""
        if not self.audit_reveals:
            return
        ids = [row["id"] for row in rows if isinstance(row, dict) and row.get("id")]
        if not ids:
            return

        write_entry(
            db.session,
            action="reveal",
            table_name=self.audit_reveals,
            row_id=",".join(map(str, ids)),
            after={"via": "api", "ids": ids},
        )
        db.session.commit()

    def pre_get_list(self, data: dict) -> None:
        count = data.get("count")
        capped = bool(getattr(count, "capped", False))
        data["count"] = count.shown if isinstance(count, CappedCount) else count
        data["count_capped"] = capped
        self._mask(data.get("result") or [])

    def pre_get(self, data: dict) -> None:
        self._mask([data.get("result")])

    # -- post, put, delete ----------------------------------------------------------

    def post_headless(self):
        data, failed = self.checked_body(self.add_columns)
        if failed is not None:
            return failed
        try:
            with db.session.no_autoflush:
                item = self.add_model_schema.load(data)
        except ValidationError as err:
            db.session.rollback()
            return invalid_response(err.messages)

        def add():
            self.pre_add(item)
            self.require_write_scope(item)
            db.session.add(item)

        _done, failed = self.save(add)
        if failed is not None:
            return failed
        self.post_add(item)
        return self.response(
            201,
            id=self.datamodel.get_pk_value(item),
            result=self.add_model_schema.dump(item, many=False),
        )

    def put_headless(self, pk):
        item = self.load_item(pk)
        if item is None:
            return not_found()
        data, failed = self.checked_body(self.edit_columns)
        if failed is not None:
            return failed
        try:
            with db.session.no_autoflush:
                merged = self._merge_update_item(item, dict(data))
                item = self.edit_model_schema.load(merged, instance=item)
        except ValidationError as err:
            db.session.rollback()
            return invalid_response(err.messages)

        def update():
            self.pre_update(item)
            self.require_write_scope(item)

        _done, failed = self.save(update)
        if failed is not None:
            return failed
        self.post_update(item)
        return self.response(200, result=self.edit_model_schema.dump(item, many=False))

    def delete_headless(self, pk):
        if is_kept(self.datamodel.obj):
            # Refused before any resource hook (a resource's pre_delete) can run.
            return domain_error_response(RecordKept())
        item = self.load_item(pk)
        if item is None:
            return not_found()

        def delete():
            self.pre_delete(item)
            db.session.delete(item)

        _done, failed = self.save(delete, deleting=True)
        if failed is not None:
            return failed
        self.post_delete(item)
        return self.response(200, message=_("Deleted."))


MASK_IDENTITY = {"id_number": mask_resident_id, "mobile": mask_mobile}
MASK_MOBILE = {"mobile": mask_mobile}
