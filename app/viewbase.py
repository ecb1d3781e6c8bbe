"""The base of every screen: scope applied to every read path, enums shown as translated choices.

``ScopedModelView`` closes the holes Flask-AppBuilder's ``base_filters`` leaves open (see
STACK-NOTES): related-field pickers and search dropdowns are scoped too, actions re-fetch their
rows through the scope, and writes are checked against the scope before they are saved.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa
import sqlalchemy.orm
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.views import expose
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import exc as sa_exc
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from app import models as m
from app import preferences
from app import scope as scoping
from app.counting import CappedCountInterface
from app.domain.errors import DomainError, NotInScope
from app.extensions import db
from app.i18n import local_date, local_datetime
from app.kept import STEP_OWNED_MODELS, RecordKept, is_kept
from app.labels import COMMON_LABELS, TranslatedLabels
from app.masking import IdentityExact, exact_identity_ids, mask_unless_revealer, masked_columns_of
from app.scope import WRITE_UNIT_RELATIONS
from app.scope import row_in_scope as _row_in_scope


def enum_select(enum_cls, label, required: bool) -> SelectField:
    """A select of an enum's translated labels, coercing to the enum member."""

    def coerce(value):
        if value in (None, "", "None"):
            return None
        return value if isinstance(value, enum_cls) else enum_cls(value)

    choices = [(member.value, member.label) for member in enum_cls]
    if not required:
        choices = [("", "—")] + choices
    return SelectField(
        label,
        choices=choices,
        coerce=coerce,
        validators=[InputRequired()] if required else [Optional()],
        widget=Select2Widget(),
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _dash_if_none(value):
    return "—" if value is None else value


def _related_text(value):
    """A related record as text; several (a many-to-many) joined with 、; none as a dash."""
    if value is None:
        return "—"
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value) or "—"
    return value


class RelatedTextFilter(BaseFilter):
    """Rows whose related row (found by ``matching``) fits the typed text."""

    def matching(self, text: str) -> sa.Select:
        raise NotImplementedError

    def apply(self, query, value):
        text = (str(value) if value is not None else "").strip()
        if not text:
            return query
        relation = sa.inspect(self.model).relationships[self.column_name]
        (local,) = relation.local_columns
        return query.filter(local.in_(self.matching(text)))


class ApplicantText(RelatedTextFilter):
    name = _l("Name contains or ID number is")
    arg_name = "applicant_text"

    def matching(self, text):
        # The whole ID number, for those who may reveal it, audited (app/masking.py).
        by_id = exact_identity_ids(m.Applicant, "id_number", text) or []
        return sa.select(m.Applicant.id).where(
            sa.or_(
                m.Applicant.name.ilike(_like(text), escape="\\"),
                m.Applicant.id.in_(by_id),
                m.Applicant.credit_code == text.upper(),
            )
        )


class CaseNumberText(RelatedTextFilter):
    name = _l("Case number contains")
    arg_name = "case_number_text"

    def matching(self, text):
        return sa.select(m.Case.id).where(m.Case.number.like(_like(text), escape="\\"))


# Related tables too large for a dropdown in the search form (a city has a million of each).
TEXT_SEARCHED = {m.Applicant: ApplicantText, m.Case: CaseNumberText}


_RELATED_INTERFACES: dict = {}


class QuickOptionsSelect2Widget(Select2Widget):
    """FAB's Select2 widget writing each plain ``<option>`` directly: the same markup as
    wtforms' ``html_params`` (attributes sorted, values escaped), without building a dict and
    sorting it per option (a case list's search form renders some 330 options per request)."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = choice.value
        if isinstance(value, bool):
            value = str(value)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')


def _quick_options(form_class) -> None:
    """Give the search form's dropdowns the quick option writer (before its first use)."""
    for unbound in vars(form_class).values():
        widget = getattr(unbound, "kwargs", {}).get("widget")
        if type(widget) is Select2Widget:
            quick = QuickOptionsSelect2Widget(widget.extra_classes, widget.style)
            unbound.kwargs["widget"] = quick


class ListInterface(CappedCountInterface):
    """SQLAInterface whose list query loads the listed relations with one statement each.

    FAB lazy-loads every related object a list row shows (one statement per applicant, per
    specialist...); with these loaded up front the statement count does not grow with the page.
    """

    def __init__(self, obj, session=None, relations: tuple[str, ...] = ()):
        super().__init__(obj, session)
        self.eager_relations = relations

    def get_related_interface(self, col_name: str):
        """The related model's interface, made once per process: FAB made a new one for every
        option of a search form's dropdown to read its key (some 320 per case list, a fifth of
        the page's Python time). An interface holds only what its model declares."""
        key = (type(self), self.obj, col_name)
        found = _RELATED_INTERFACES.get(key)
        if found is None:
            found = _RELATED_INTERFACES[key] = super().get_related_interface(col_name)
        return found

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        if self.eager_relations:
            query = query.options(
                *(sa.orm.selectinload(getattr(self.obj, name)) for name in self.eager_relations)
            )
        return query


class ChosenColumnsListWidget(ListWidget):
    """FAB's list widget showing the columns the person chose (set for the request by
    ``ScopedModelView._get_list_widget``); every other argument is FAB's."""

    def __init__(self, **kwargs):
        chosen = getattr(g, "_chosen_list_columns", None)
        if chosen:
            kwargs["include_columns"] = chosen
        super().__init__(**kwargs)


class ScopedModelView(TranslatedLabels, ModelView):
    """A ModelView whose every read and write stays inside the current user's scope."""

    page_size = 20
    list_widget = ChosenColumnsListWidget
    # The columns a list shows until a person chooses (None: every list column).
    list_columns_default: list[str] | None = None

    def __init__(self, *args, **kwargs):
        cls = type(self)
        if is_kept(cls.datamodel.obj):
            # Kept records (app/kept.py): no delete route, no delete permission, no bulk delete;
            # the records a case's steps write have no generic add or edit form either.
            refused = {"delete"}
            if cls.datamodel.obj in STEP_OWNED_MODELS:
                refused |= {"add", "edit"}
            self.exclude_route_methods = set(cls.exclude_route_methods or ()) | refused
            if cls.base_permissions is not None:
                names = {f"can_{route}" for route in refused}
                self.base_permissions = [p for p in cls.base_permissions if p not in names]
        self.label_columns = {**COMMON_LABELS, **(cls.label_columns or {})}
        self.base_filters = [["id", scoping.ScopeFilter, None]] + list(cls.base_filters or [])
        shared = cls.datamodel
        relations = tuple(name for name in (cls.list_columns or []) if shared.is_relation(name))
        self.datamodel = ListInterface(shared.obj, shared._session, relations)
        super().__init__(*args, **kwargs)
        _quick_options(self.search_form)
        for name, filter_cls in self._text_searches.items():
            flt = filter_cls(name, self.datamodel)
            self._filters._search_filters[name] = [flt]
            self._filters._all_filters[name] = [flt]
        self._restrict_masked_columns()

    # -- masked personal data is never a search oracle (app/masking.py) -----------

    def _restrict_masked_columns(self) -> None:
        """Masked columns: searched by the whole number only, never sorted on."""
        masked = masked_columns_of(self.datamodel.obj)
        for name in masked:
            flt = IdentityExact(name, self.datamodel)
            if name in self._filters._search_filters:
                self._filters._search_filters[name] = [flt]
            self._filters._all_filters[name] = [flt]
        # Only real columns are sorted on (a masked property is not one; FAB would 500).
        table = self.datamodel.obj.__table__
        self.order_columns = [
            c
            for c in self.order_columns or []
            if c not in masked and (c in table.columns or "." in c or self.datamodel.is_relation(c))
        ]

    # -- the list's columns, chosen per account (app/preferences.py) ------------------

    def column_choice(self) -> preferences.ColumnChoice:
        columns = list(self.list_columns or [])
        return preferences.ColumnChoice(
            key=f"columns.{type(self).__name__}",
            columns=tuple((c, self.label_columns.get(c, c)) for c in columns),
            default=tuple(c for c in (self.list_columns_default or columns) if c in columns),
            required=tuple(columns[:1]),
        )

    @expose("/columns", methods=["POST"])
    @has_access
    @permission_name("list")
    def choose_columns(self):
        """Remember which columns this person sees on this list ("reset": the defaults)."""

        choice = self.column_choice()
        if request.form.get("reset"):
            preferences.clear(db.session, g.user.id, choice.key)
        else:
            chosen = choice.clean(request.form.getlist("columns"))
            if chosen is None:
                flash(_("Unknown column."), "danger")
                return redirect(url_for(f"{self.endpoint}.list"))
            preferences.put(db.session, g.user.id, choice.key, chosen)
        db.session.commit()
        return redirect(url_for(f"{self.endpoint}.list"))

    def _get_list_widget(self, filters, order_column="", order_direction="", **kwargs):
        """FAB's list with the person's chosen columns, sorting only by the columns offered; a
        filter value the column cannot hold (an unknown choice, a number out of range) answers
        400, not 500."""

        if order_column and order_column not in (self.order_columns or []):
            order_column, order_direction = "", ""
        choice = self.column_choice()
        shown = preferences.shown_columns(db.session, getattr(g.user, "id", None), choice)
        if len(choice.columns) > 1:
            kwargs["column_chooser"] = {
                "action": url_for(f"{self.endpoint}.choose_columns"),
                "choice": choice,
                "shown": shown,
            }
        g._chosen_list_columns = shown
        try:
            return super()._get_list_widget(
                filters, order_column=order_column, order_direction=order_direction, **kwargs
            )
        except (
            LookupError,
            ValueError,
            TypeError,
            sa_exc.DataError,
            sa_exc.ProgrammingError,
        ) as exc:
            db.session.rollback()
            abort(400, description=_("A search value is not valid."))
            raise AssertionError from exc  # unreachable
        except sa_exc.StatementError as exc:
            db.session.rollback()
            if isinstance(exc, sa_exc.DBAPIError):
                raise
            abort(400, description=_("A search value is not valid."))
        finally:
            g.pop("_chosen_list_columns", None)

    def _init_forms(self):
        # Runs after FAB has settled the add, edit and search column lists.
        self._setup_text_searches()
        self._setup_enum_fields()
        self._setup_related_scopes()
        self._setup_formatters()
        super()._init_forms()

    def _setup_text_searches(self) -> None:
        """A search on a case or an applicant is a text box, not a dropdown of every row."""
        self._text_searches = {}
        labels = dict(self.label_columns or {})
        extra = dict(self.search_form_extra_fields or {})
        for name in self.search_columns or []:
            if not self.datamodel.is_relation(name):
                continue
            filter_cls = TEXT_SEARCHED.get(self.datamodel.get_related_model(name))
            if filter_cls is not None:
                self._text_searches[name] = filter_cls
                extra.setdefault(name, StringField(labels.get(name, name)))
        self.search_form_extra_fields = extra

    def _setup_formatters(self) -> None:
        """Lists and detail pages show labels, 是/否 and local dates, not raw stored values."""
        table = self.datamodel.obj.__table__
        formatters = dict(self.formatters_columns or {})
        model = self.datamodel.obj
        for name in set(self.list_columns or []) | set(self.show_columns or []):
            if name in masked_columns_of(model):
                formatters[name] = lambda v, n=name: _dash_if_none(
                    mask_unless_revealer(model, n, v) or None
                )
                continue
            if name in formatters:
                continue
            if self.datamodel.is_relation(name):
                formatters[name] = _related_text  # not "None" nor "[…]"
                continue
            column = table.columns.get(name)
            if column is None:
                continue
            formatters[name] = formatter_for(column.type) or _dash_if_none
        self.formatters_columns = formatters

    # -- construction helpers -------------------------------------------------

    def _columns_of_forms(self) -> set[str]:
        cols: set[str] = set()
        for attr in ("add_columns", "edit_columns"):
            cols.update(getattr(self, attr, None) or [])
        return cols

    def _setup_enum_fields(self) -> None:
        """Enum columns become selects of translated labels; NOT NULL booleans stay optional."""
        table = self.datamodel.obj.__table__
        labels = dict(self.label_columns or {})
        targets = {
            "add_form_extra_fields": (self.add_columns or [], None),
            "edit_form_extra_fields": (self.edit_columns or [], None),
            "search_form_extra_fields": (self.search_columns or [], False),
        }
        for attr, (names, force_required) in targets.items():
            extra = dict(getattr(self, attr, None) or {})
            for name in names:
                column = table.columns.get(name)
                if column is not None and isinstance(column.type, sa.Boolean):
                    # FAB puts InputRequired on NOT NULL booleans: an unticked box would fail.
                    if force_required is None:
                        default = column.default.arg if column.default is not None else False
                        extra.setdefault(
                            name, BooleanField(labels.get(name, name), default=bool(default))
                        )
                    continue
                enum_cls = getattr(getattr(column, "type", None), "enum_class", None)
                if not (isinstance(enum_cls, type) and issubclass(enum_cls, enum.Enum)):
                    continue
                required = (not column.nullable) if force_required is None else force_required
                extra.setdefault(name, enum_select(enum_cls, labels.get(name, name), required))
            setattr(self, attr, extra)

    def _setup_related_scopes(self) -> None:
        """Scope every related-field picker and search dropdown by the related model's rule."""
        rel_filter = [["id", scoping.ScopeFilter, None]]
        names = self._columns_of_forms() | set(self.search_columns or [])
        add_q = dict(self.add_form_query_rel_fields or {})
        edit_q = dict(self.edit_form_query_rel_fields or {})
        search_q = dict(self.search_form_query_rel_fields or {})
        for name in names:
            if not self.datamodel.is_relation(name):
                continue
            related = self.datamodel.get_related_model(name)
            if related not in scoping.SCOPE_RULES:
                continue
            add_q.setdefault(name, rel_filter)
            edit_q.setdefault(name, rel_filter)
            search_q.setdefault(name, rel_filter)
        self.add_form_query_rel_fields = add_q
        self.edit_form_query_rel_fields = edit_q
        self.search_form_query_rel_fields = search_q

    # -- writes stay in scope ------------------------------------------------

    def check_write_scope(self, item) -> None:
        """Raise NotInScope unless ``item`` (after the form filled it) is inside the scope.

        Checked by re-running the scope clause on the row as it is about to be saved: the
        check cannot drift from the read rule.
        """
        scope = scoping.current_scope()
        if scope.everything:
            return

        session = db.session
        with session.no_autoflush:
            if not _row_in_scope(session, item, scope):
                raise scoping_error()

    def pre_add(self, item):
        self.check_write_scope(item)

    def pre_update(self, item):
        self.check_write_scope(item)

    # -- a refused delete says why (FAB flashes the empty text of its DatabaseException) --

    def pre_delete(self, item):
        if is_kept(type(item)):
            raise RecordKept()

    def _delete(self, pk):

        if is_kept(self.datamodel.obj):
            abort(405)
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            self.pre_delete(item)
        except Exception as exc:  # FAB's contract: pre_delete refuses by raising
            flash(str(exc) or _("The record could not be deleted."), "danger")
            return
        try:
            self.datamodel.delete(item)
        except DatabaseException as exc:
            if isinstance(exc.__cause__, sa.exc.IntegrityError):
                flash(
                    _(
                        "This record is still referred to by other records (cases, "
                        "history…) and cannot be deleted. Deactivate it instead."
                    ),
                    "danger",
                )
            else:
                flash(_("The record could not be deleted."), "danger")
        else:
            self.post_delete(item)
            flash(self.delete_row_message, "success")
        self.update_redirect()

    # -- FAB's file route serves any upload by name: closed (attachments have their own view) --

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        abort(404)

    # -- actions re-fetch through the scope ----------------------------------

    def _check_action(self, name: str | None) -> None:
        """An unknown action is a 404; a known one needs its permission (FAB checks it again)."""
        if not name or name not in self.actions:
            abort(404)
        if is_kept(self.datamodel.obj) and "delete" in name:
            abort(405)
        permission = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission, self.class_permission_name):
            abort(403)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        self._check_action(name)
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        self._check_action(request.form.get("action"))
        for pk in request.form.getlist("rowid"):
            pk = self._deserialize_pk_if_composite(pk)
            if self.datamodel.get(pk, self._base_filters) is None:
                abort(404)
        return super().action_post()


def formatter_for(col_type):
    """How a column of this type is shown to people, or None for FAB's default."""
    enum_cls = getattr(col_type, "enum_class", None)
    if isinstance(enum_cls, type) and issubclass(enum_cls, enum.Enum):
        return lambda v: enum_cls(v).label if v not in (None, "") else "—"
    if isinstance(col_type, sa.Boolean):
        return lambda v: _("Yes") if v else _("No")
    if isinstance(col_type, sa.DateTime):
        return lambda v: local_datetime(v) if v else "—"
    if isinstance(col_type, sa.Date):
        return lambda v: local_date(v) if v else "—"
    if isinstance(col_type, sa.JSON):
        return lambda v: ", ".join(str(x) for x in v) if isinstance(v, list) else (v or "—")
    return None


def scoping_error():
    return NotInScope(_l("The record would be outside the units you may work with."))


class DomainFlashMixin:
    """Turn a DomainError raised in a hook into a flashed message in the user's language."""

    def handle_domain_error(self, error: DomainError):
        flash(str(error), "danger")
        return redirect(request.referrer or self.get_redirect())


__all__ = [
    "COMMON_LABELS",
    "WRITE_UNIT_RELATIONS",
    "ScopedModelView",
    "SQLAInterface",
    "enum_select",
    "has_access",
]
