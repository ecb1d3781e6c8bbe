"""The role screens (``/roles/``): each role's real permissions, readable, and an Admin's
changes to them through app/permissions.py (guard rails, audit). FAB's own role forms (a bare
list of "can list on CaseView" strings, a copy action that skips every rule) are replaced."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.views import RoleModelView
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import permissions
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.permissions import assignable_roles, role_label


def _role_name(name):
    return role_label(name)


class RoleView(RoleModelView):
    """Roles: list, show (permissions grouped by screen), add and edit (a checkbox per
    permission; a built-in role's minimum stays ticked), delete (roles an Admin made, unheld)."""

    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    list_columns = ["name"]
    # FAB's RoleListWidget prints raw names and permission strings; the plain list applies the
    # formatter (role names in the user's language). Roles are searched by name only.
    list_widget = ListWidget
    search_columns = ["name"]
    formatters_columns = {"name": _role_name}
    label_columns = {"name": _l("Role")}

    def copy_role(self, items):  # FAB's copy action: not offered (no decorator, no permission)
        abort(404)

    def _role(self, pk):
        try:
            role = self.datamodel.get(int(pk))
        except (TypeError, ValueError):
            role = None
        if role is None:
            abort(404)
        return role

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        role = self._role(pk)
        rows = [
            row
            for row in permissions.permission_table(db.session, role)
            if any(c["held"] for c in row.cells)
        ]
        return self.render_template(
            "roles/show.html",
            role=role,
            role_title=permissions.role_label(role.name),
            builtin=permissions.is_builtin(role),
            may_change=permissions.may_change(g.user, role),
            holders=sorted(u.username for u in role.user),
            rows=rows,
            title=_("Role"),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._form(None)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        role = self._role(pk)

        if not permissions.may_change(g.user, role):
            abort(403)
        return self._form(role)

    def _form(self, role):
        errors: dict = {}
        held_ids = None
        name = ""
        if request.method == "POST":
            name = request.form.get("name", "")
            try:
                held_ids = {int(v) for v in request.form.getlist("permission")}
            except ValueError:
                abort(400)
            change = permissions.RoleChange(name=name, permission_ids=held_ids)
            try:
                saved = permissions.save_role(db.session, g.user, change, role)
                db.session.commit()
            except ValidationFailed as exc:
                db.session.rollback()
                errors = {k: str(v) for k, v in exc.errors.items()}
            except DomainError as exc:
                db.session.rollback()
                abort(exc.status, str(exc))
            else:
                flash(_("Role %(name)s saved.", name=permissions.role_label(saved.name)), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=saved.id))
            if role is not None:
                db.session.refresh(role)
        rows = permissions.permission_table(db.session, role, held_ids=held_ids)
        status = 422 if errors else 200
        return self.render_template(
            "roles/edit.html",
            role=role,
            role_title=permissions.role_label(role.name) if role is not None else "",
            name=name,
            rows=rows,
            errors=errors,
            title=_("Edit role") if role is not None else _("New role"),
        ), status

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        role = self._role(pk)
        if request.method != "POST":
            return redirect(url_for(f"{self.endpoint}.show", pk=role.id))
        try:
            permissions.delete_role(db.session, g.user, role)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            flash(" ".join(str(v) for v in exc.errors.values()), "danger")
            return redirect(url_for(f"{self.endpoint}.show", pk=role.id))
        except DomainError as exc:
            db.session.rollback()
            abort(exc.status, str(exc))
        flash(_("Role deleted."), "success")
        return redirect(url_for(f"{self.endpoint}.list"))


def assignable_role_choices() -> list[tuple[str, str]]:
    """(name, label) of the roles the current user may give an account (templates)."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [(r.name, role_label(r.name)) for r in assignable_roles(user)]


def install(appbuilder) -> None:
    """The role screens come with the security manager; templates get the assignable roles."""

    current_app.jinja_env.globals["assignable_role_choices"] = assignable_role_choices
