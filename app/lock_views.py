"""The log-in lock screen: an Admin sees which accounts are locked (from which addresses) and
unlocks them; the owner is told in the app (app/hardening.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _

from app import hardening
from app import models as m
from app.domain import clock
from app.extensions import db


class LoginLockView(BaseView):
    route_base = "/loginlocks"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):

        rows = db.session.execute(
            sa.select(m.LoginLock)
            .where(m.LoginLock.locked_until > clock.now())
            .order_by(m.LoginLock.locked_until.desc())
        ).scalars()
        locks = []
        for row in rows:
            name, _sep, source = row.username.partition("|")
            locks.append({"username": name, "source": source, "until": row.locked_until})
        return self.render_template("security/locks.html", locks=locks, title=_("Log-in locks"))

    @expose("/unlock", methods=["POST"])
    @has_access
    @permission_name("unlock")
    def unlock(self):
        username = (request.form.get("username") or "").strip()
        if username and hardening.locks_of(db.session, username):
            hardening.unlock(db.session, username)
            db.session.commit()
            flash(_("%(name)s may log in again; they were told.", name=username), "success")
        return redirect(url_for("LoginLockView.index"))
