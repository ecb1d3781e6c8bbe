"""Staff screens: specialists and their accounts, created together, role changes, and
deactivation with the reassignment of open cases in the same action."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import models as m
from app.domain import staff
from app.domain.errors import DomainError, ValidationFailed
from app.domain.staff import create_staff
from app.extensions import db
from app.permissions import role_label
from app.role_views import assignable_role_choices
from app.roles import may_administer, may_administer_account
from app.scope import current_scope
from app.validators import MobileValidator
from app.viewbase import ScopedModelView


class SpecialistView(ScopedModelView):
    datamodel = SQLAInterface(m.Specialist)
    list_title = _l("Specialists and staff")
    show_template = "staff/show.html"
    show_title = _l("Specialist")
    add_title = _l("Add specialist")
    edit_title = _l("Edit specialist")
    list_columns = ["name", "unit", "staff_type", "department", "mobile", "active"]
    add_columns = ["name", "unit", "staff_type", "department", "mobile", "email", "active", "user"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["name", "unit", "staff_type", "department", "active"]
    label_columns = {
        "staff_type": _l("Staff type"),
        "email": _l("Email"),
        "user": _l("Log-in account"),
    }
    validators_columns = {"mobile": [MobileValidator()]}

    # -- account administration follows rank ----------------------------------------

    def check_rank(self, specialist) -> None:
        """Refuse to touch the record of an account ranking as high as the caller's."""
        user = getattr(specialist, "user", None)
        if user is not None and not may_administer_account(g.user, user):
            raise DomainError(_l("You may not change an account that ranks as high as your own."))

    def pre_add(self, item):
        self.check_rank(item)
        super().pre_add(item)

    def pre_update(self, item):
        self.check_rank(item)
        super().pre_update(item)

    @expose("/deactivate/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def deactivate(self, pk):
        """Deactivate a specialist, reassigning their open cases in the same action."""
        specialist = self.datamodel.get(pk, self._base_filters)
        if specialist is None:
            abort(404)
        if specialist.user is not None and not may_administer_account(g.user, specialist.user):
            abort(403)
        cases = staff.open_cases_of(db.session, specialist)
        candidates = [
            s
            for s in db.session.execute(
                sa.select(m.Specialist).where(
                    current_scope().clause_for(m.Specialist),
                    m.Specialist.active.is_(True),
                    m.Specialist.id != specialist.id,
                )
            ).scalars()
            if all((c.handling_unit.path or "").startswith(s.unit.path) for c in cases)
        ]
        error = None
        if request.method == "POST":
            chosen = request.form.get("reassign_to", type=int)
            successor = next((s for s in candidates if s.id == chosen), None)
            try:
                moved = staff.deactivate(db.session, specialist, g.user, successor)
                db.session.commit()
            except ValidationFailed as exc:
                db.session.rollback()
                error = str(exc)
            else:
                flash(
                    _(
                        "%(name)s deactivated; %(count)s open cases reassigned.",
                        name=specialist.name,
                        count=moved,
                    ),
                    "success",
                )
                return redirect(url_for("SpecialistView.list"))
        return self.render_template(
            "staff/deactivate.html",
            specialist=specialist,
            cases=cases,
            candidates=candidates,
            error=error,
            title=_("Deactivate specialist"),
        )

    # ---------------------------------------------------------------- catalogue

    @expose("/account/new", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def new_account(self):
        """A log-in and its specialist record in one form (as `flask staff create`)."""
        units = _scoped_units()
        errors: dict = {}
        values = request.form if request.method == "POST" else {}
        if request.method == "POST":
            unit = next((u for u in units if str(u.id) == values.get("unit")), None)
            try:
                if not may_administer(g.user, [values.get("role") or ""]):
                    raise ValidationFailed(
                        {"role": _("You may not give a role that ranks as high as your own.")}
                    )
                if unit is None and values.get("role") != "Admin":
                    raise ValidationFailed({"unit": _("Choose a unit.")})
                create_staff(
                    db.session,
                    username=(values.get("username") or "").strip(),
                    password=values.get("password") or "",
                    name=(values.get("name") or "").strip(),
                    unit=unit,
                    role=values.get("role") or "",
                    mobile=(values.get("mobile") or "").strip() or None,
                )
                db.session.commit()
            except ValidationFailed as exc:
                db.session.rollback()
                errors = {k: str(v) for k, v in exc.errors.items()}
            else:
                flash(_("Account %(name)s created.", name=values.get("username")), "success")
                return redirect(url_for("SpecialistView.list"))
        return self.render_template(
            "staff/new_account.html",
            units=units,
            roles=[name for name, _label in assignable_role_choices()],
            errors=errors,
            values=values,
            title=_("New staff account"),
        )

    @expose("/role/<pk>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def change_role(self, pk):
        """Give the specialist's log-in another role (audited like every account change)."""

        specialist = self.datamodel.get(pk, self._base_filters)
        role_name = request.form.get("role", "")
        if specialist is None or specialist.user is None:
            abort(404)
        sm = self.appbuilder.sm
        if role_name in ("Admin", "Public") or sm.find_role(role_name) is None:
            flash(_("Unknown role."), "danger")
            return redirect(url_for("SpecialistView.show", pk=specialist.id))
        if not (
            may_administer_account(g.user, specialist.user) and may_administer(g.user, [role_name])
        ):
            abort(403)
        specialist.user.roles = [sm.find_role(role_name)]
        db.session.commit()
        flash(_("Role changed to %(role)s.", role=role_label(role_name)), "success")
        return redirect(url_for("SpecialistView.show", pk=specialist.id))


def _scoped_units() -> list[m.OrgUnit]:

    return list(
        db.session.execute(
            sa.select(m.OrgUnit)
            .where(current_scope().clause_for(m.OrgUnit), m.OrgUnit.active.is_(True))
            .order_by(m.OrgUnit.path)
        ).scalars()
    )
