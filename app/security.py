"""Security manager: FAB's, with role setup as an explicit deploy step (Alembic owns the schema)."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, session
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import (
    AuthDBView,
    ResetMyPasswordView,
    ResetPasswordView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError

from app import hardening
from app.extensions import db
from app.labels import TranslatedLabels
from app.permission_cache import ROLE_PERMISSIONS
from app.permissions import role_label, sync_builtin_roles
from app.role_views import RoleView
from app.roles import ROLE_NAMES, held_roles, may_administer, may_administer_account
from app.sessions import end_all_sessions


def _no_downloads(view_cls, **attrs):
    """FAB's security views inherit a file route that fails on any name: answer 404 instead.
    Their unlabelled columns get translated labels (TranslatedLabels); ``attrs`` override more."""

    class Closed(TranslatedLabels, view_cls):
        @expose("/download/<string:filename>")
        @has_access
        def download(self, filename):
            abort(404)

    for name, value in attrs.items():
        setattr(Closed, name, value)
    Closed.__name__ = view_cls.__name__  # keep FAB's permission and endpoint names
    Closed.__qualname__ = view_cls.__qualname__
    return Closed


def _same_name(cls, like):
    cls.__name__ = like.__name__  # keep FAB's permission and endpoint names
    cls.__qualname__ = like.__qualname__
    return cls


class LogoutView(AuthDBView):
    """Log-out is a POST that ends every session and token of the account; a GET (FAB's
    navbar link) only asks for confirmation."""

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        user = self._get_authenticated_user()
        if request.method == "GET":
            if user is None:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("security/logout.html", title=_("Log out"))
        if user is not None:
            end_all_sessions(db.session, user.id)
            db.session.commit()
        logout_user()
        session.clear()
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(self.appbuilder.get_url_for_login)


def _current_password_matches(_form, field):
    user = getattr(g, "user", None)
    if user is None or not check_password_hash(user.password or "", field.data or ""):
        raise ValidationError(_("The current password is not right."))


class ChangeMyPasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), _current_password_matches],
        widget=BS3PasswordFieldWidget(),
    )


class ChangeMyPasswordView(ResetMyPasswordView):
    """Changing one's own password asks for the current one."""

    form = ChangeMyPasswordForm


class RankedResetPasswordView(ResetPasswordView):
    """An Admin resets passwords of accounts ranking below their own only."""

    def form_post(self, form):
        _check_rank_of(request.args.get("pk"))
        return super().form_post(form)


def _check_rank_of(user_id) -> None:
    sm = current_app.appbuilder.sm
    try:
        target = sm.get_user_by_id(int(user_id))
    except (TypeError, ValueError):
        abort(404)
    if target is None:
        abort(404)
    if target.id != g.user.id and not may_administer_account(g.user, target):
        abort(403)


class RankGuarded:
    """A screen whose every add, change and delete first passes ``_refuse_above_rank``."""

    def pre_add(self, item):
        self._refuse_above_rank(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._refuse_above_rank(item)
        super().pre_update(item)

    def pre_delete(self, item):
        self._refuse_above_rank(item)
        super().pre_delete(item)


class RankedUserView(RankGuarded, UserDBModelView):
    """FAB's user screen: accounts ranking as high as the caller's are not changed here, nor
    given roles (directly or through groups) ranking as high. An account's rank counts the
    roles its groups give it (app/roles.py held_roles), before and after the change."""

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        _check_rank_of(pk)  # the account as it is: the form's answer is checked in pre_update
        return super().edit(pk)

    def _refuse_above_rank(self, item) -> None:
        if getattr(item, "id", None) == g.user.id:
            return
        if not may_administer_account(g.user, item):
            db.session.rollback()  # the form's values are on the item: nothing of them stays
            raise ValueError(_("You may not change an account that ranks as high as your own."))


class RankedGroupView(RankGuarded, UserGroupModelView):
    """FAB's group screen under the user screen's rule: a group gives its roles to its members,
    so nobody makes, changes or deletes a group whose roles rank as high as their own, nor one
    holding (or made to hold) an account ranking as high as their own (themselves aside)."""

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        group = self.datamodel.get(pk)  # the group as it is: the form's answer in pre_update
        if group is not None and not _may_change_group(group):
            abort(403)
        return super().edit(pk)

    def _refuse_above_rank(self, item) -> None:
        if not _may_change_group(item):
            db.session.rollback()  # the form's values are on the item: nothing of them stays
            raise ValueError(_("You may not change a group that ranks as high as your own."))


def _may_change_group(group) -> bool:
    if not may_administer(g.user, list(group.roles or [])):
        return False
    return all(
        user.id == g.user.id or may_administer(g.user, held_roles(user))
        for user in group.users or []
    )


def _dash(value):
    return "—" if value is None else value


def _joined(values):
    return "、".join(str(v) for v in values or []) or "—"


def _role_text(role) -> str:
    """A role as people read it (its name is a key: Admin, Manager...)."""
    return role_label(role.name)


def _role_view():
    return _no_downloads(_same_name(RoleView, RoleModelView))


class AppSecurityManager(SecurityManager):
    userdbmodelview = _no_downloads(
        _same_name(RankedUserView, UserDBModelView),
        # FAB's own texts for these two are not translatable (lazy_formatter_gettext).
        description_columns={
            **UserDBModelView.description_columns,
            "roles": _l("The user's roles in the application; each grants a set of permissions"),
            "groups": _l("The user's groups; each grants the roles of its group"),
        },
        formatters_columns={
            **{
                name: _dash
                for name in (
                    "created_by",
                    "changed_by",
                    "created_on",
                    "changed_on",
                    "last_login",
                    "login_count",
                    "fail_login_count",
                )
            },
            "roles": _joined,
            "groups": _joined,
        },
    )
    authdbview = _same_name(LogoutView, AuthDBView)
    resetmypasswordview = _same_name(ChangeMyPasswordView, ResetMyPasswordView)
    resetpasswordview = _same_name(RankedResetPasswordView, ResetPasswordView)
    rolemodelview = _role_view()
    groupmodelview = _no_downloads(_same_name(RankedGroupView, UserGroupModelView))
    # FAB's user statistics chart loads Google Charts from the internet: not on an intranet.
    userstatschartview = None

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        # FAB's screens print a role with str(): show its translated name.
        self.role_model.__str__ = _role_text
        self.role_model.__repr__ = _role_text  # lists of roles print their items' repr

    @staticmethod
    def create_builtin_roles():
        """No role is evaluated from code (FAB_ROLES): every role's permissions are rows an Admin
        sees and adjusts on the role screens (app/permissions.py, app/roles.py)."""
        return {}

    def sync_roles_and_permissions(self) -> None:
        """Register every view's permissions and give the built-in roles their defaults and
        minimum (``flask sync-perms``), keeping what Admins changed (app/permissions.py).

        Run after ``flask db upgrade``; FAB's own create_db would build tables behind Alembic.
        """
        for name in [*ROLE_NAMES, self.auth_role_public]:
            self.add_role(name)
        self.appbuilder.add_permissions(update_perms=True)
        sync_builtin_roles(self.session)

    # -- permission checks from memory (app/permission_cache.py) ----------------------
    #
    # FAB asks the database at every check (a page's menu and buttons: 40-odd queries). The
    # same answers from each process's copy of the role permissions, reloaded whenever the
    # database's security stamp changed. The user's roles are the request's own (never cached).

    def _db_role_pairs(self, roles) -> frozenset:
        ids = [role.id for role in roles if role.name not in self.builtin_roles]
        return ROLE_PERMISSIONS.of_roles(db.session, ids) if ids else frozenset()

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        roles = self.get_user_roles(user)
        if any(
            role.name in self.builtin_roles
            and self._has_access_builtin_roles(role, permission_name, view_name)
            for role in roles
        ):
            return True
        return (permission_name, view_name) in self._db_role_pairs(roles)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        if user is None:
            pairs = ROLE_PERMISSIONS.of_role_named(db.session, self.auth_role_public)
            return {view for permission, view in pairs if permission == permission_name}
        roles = self.get_user_roles(user)
        result = {
            name
            for role in roles
            if role.name in self.builtin_roles
            for name in view_menus_name or ()
            if self._has_access_builtin_roles(role, permission_name, name)
        }
        result.update(
            view for permission, view in self._db_role_pairs(roles) if permission == permission_name
        )
        return result

    def is_item_public(self, permission_name, view_name):
        pairs = ROLE_PERMISSIONS.of_role_named(db.session, self.auth_role_public)
        return (permission_name, view_name) in pairs

    # -- sessions end (app/sessions.py) ------------------------------------------------

    def reset_password(self, userid, password):
        """A new password ends every other session and token of the account."""
        own = getattr(getattr(g, "user", None), "id", None) == int(userid)
        end_all_sessions(db.session, int(userid), keep_current=own)
        super().reset_password(userid, password)

    def auth_user_db(self, username, password):
        """FAB's check, refused while the name is locked after repeated failures."""
        session = self.session
        refused = hardening.refusal(session, username)
        if refused:
            flash(refused, "warning")
            return None
        user = super().auth_user_db(username, password)
        if hardening.record_attempt(session, username, user is not None):
            flash(hardening.lock_message(session, username) or "", "warning")
        return user
