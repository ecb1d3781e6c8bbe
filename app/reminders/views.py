"""The notification centre: a bell with the unread count, my notifications, admin resend.

- ``NotificationCenterView`` (/notifications/): the caller's own in-app notifications, newest
  first, each with a link to its case and a mark-read button; ``open`` marks one read and goes to
  its case. A notification of another user answers 404.
- ``NotificationOutboxView``: every email and SMS with its status, attempts and last error; an
  administrator resends failed ones (they go back to pending and are handed to the worker).
- ``SmsSinkView``: what the development SMS gateway "sent", to see the applicants' messages.

``register`` also puts the bell in FAB's navbar: app/templates/appbuilder/navbar_right.html
draws it and includes FAB's own navbar_right (reachable as ``fab/appbuilder/...``).
"""

from __future__ import annotations

from pathlib import Path

import flask_appbuilder
import sqlalchemy as sa
from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from app import models as m
from app.domain import clock
from app.enums import NotificationChannel
from app.extensions import db
from app.reminders import channels, outbox
from app.reminders.labels import kind_label
from app.reminders.models import SmsSinkMessage
from app.scope import current_scope
from app.viewbase import ScopedModelView

PAGE_SIZE = 30


def _user_id() -> int | None:
    user = getattr(g, "user", None)
    return user.id if user is not None and user.is_authenticated else None


def _mine():
    """The caller's own in-app notifications, through the scope: an account without a unit
    sees none (fail closed), and one about a case the caller can no longer see is hidden."""
    scope = current_scope()
    if scope.nothing:
        return sa.false()
    clause = sa.and_(
        m.Notification.recipient_id == _user_id(),
        m.Notification.channel == NotificationChannel.APP,
    )
    if scope.everything:
        return clause
    # Per notification, one probe of its case by primary key (EXISTS): ``case_id IN (cases in
    # scope)`` hashed every case of the scope first, a city's whole table (issue 22: 55 ms at
    # 20,000 cases for 30 notifications, growing with the table; 0.2 ms this way).
    visible = (
        sa.select(m.Case.id)
        .where(m.Case.id == m.Notification.case_id, scope.clause_for(m.Case))
        .exists()
    )
    return sa.and_(clause, sa.or_(m.Notification.case_id.is_(None), visible))


def _local_time(moment) -> str:
    return moment.astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def unread_count() -> int:
    return db.session.execute(
        sa.select(sa.func.count(m.Notification.id)).where(_mine(), m.Notification.read_at.is_(None))
    ).scalar_one()


def notification_bell() -> dict | None:
    """What the navbar's bell shows, or None when the user may not see notifications.

    One statement: the five latest unread notifications in scope, each row with the number
    of all of them (a window count, taken before the limit).
    """
    if _user_id() is None:
        return None

    if not current_app.appbuilder.sm.has_access("can_list", "NotificationCenterView"):
        return None
    rows = db.session.execute(
        sa.select(m.Notification, sa.func.count().over())
        .where(_mine(), m.Notification.read_at.is_(None))
        .order_by(m.Notification.created_at.desc(), m.Notification.id.desc())
        .limit(5)
    ).all()
    return {"unread": rows[0][1] if rows else 0, "latest": [row[0] for row in rows]}


class NotificationCenterView(BaseView):
    """My notifications: list, mark read, open the case."""

    route_base = "/notifications"
    default_view = "list"

    def _own(self, pk: int) -> m.Notification:
        row = db.session.execute(
            sa.select(m.Notification).where(m.Notification.id == pk, _mine())
        ).scalar_one_or_none()
        if row is None:
            abort(404)
        return row

    @expose("/")
    @has_access
    def list(self):
        unread_only = request.args.get("unread") == "1"
        page = max(request.args.get("page", 0, type=int), 0)
        query = sa.select(m.Notification).where(_mine())
        if unread_only:
            query = query.where(m.Notification.read_at.is_(None))
        total = db.session.execute(
            sa.select(sa.func.count()).select_from(query.subquery())
        ).scalar_one()
        rows = db.session.execute(
            query.order_by(m.Notification.created_at.desc(), m.Notification.id.desc())
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).scalars()
        return self.render_template(
            "notifications/list.html",
            rows=list(rows),
            unread_only=unread_only,
            unread=unread_count(),
            page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
            title=_("My notifications"),
            when=_local_time,
        )

    @expose("/read/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("mark_read")
    def mark_read(self, pk):
        row = self._own(pk)
        if row.read_at is None:
            row.read_at = clock.now()
            db.session.commit()
        return redirect(request.referrer or url_for("NotificationCenterView.list"))

    @expose("/read-all", methods=["POST"])
    @has_access
    @permission_name("mark_read")
    def mark_all_read(self):
        db.session.execute(
            sa.update(m.Notification)
            .where(_mine(), m.Notification.read_at.is_(None))
            .values(read_at=clock.now())
        )
        db.session.commit()
        return redirect(request.referrer or url_for("NotificationCenterView.list"))

    @expose("/read-selected", methods=["POST"])
    @has_access
    @permission_name("mark_read")
    def mark_selected_read(self):
        """Mark the ticked notifications read (only the caller's own; others are ignored)."""
        ids = []
        for raw in request.form.getlist("ids")[:500]:
            if raw.isdigit() and 0 < int(raw) < 2**31:
                ids.append(int(raw))
        done = 0
        if ids:
            done = db.session.execute(
                sa.update(m.Notification)
                .where(_mine(), m.Notification.id.in_(ids), m.Notification.read_at.is_(None))
                .values(read_at=clock.now())
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
        flash(_("%(count)s notifications marked read.", count=done), "success")
        return redirect(request.referrer or url_for("NotificationCenterView.list"))

    @expose("/open/<int:pk>")
    @has_access
    @permission_name("mark_read")
    def open(self, pk):
        """Mark one notification read and go to its case (or back to the list)."""
        row = self._own(pk)
        if row.read_at is None:
            row.read_at = clock.now()
            db.session.commit()
        if row.case_id is not None:
            return redirect(url_for("CaseView.show", pk=row.case_id))
        return redirect(url_for("NotificationCenterView.list"))

    @expose("/count")
    @has_access
    @permission_name("list")
    def count(self):
        return jsonify({"unread": unread_count()})


def _outgoing_channels():
    return [NotificationChannel.EMAIL, NotificationChannel.SMS]


class NotificationOutboxView(ScopedModelView):
    """Every email and SMS with its delivery state; failed ones can be resent."""

    datamodel = SQLAInterface(m.Notification)
    list_title = _l("Outgoing messages")
    show_title = _l("Outgoing message")
    base_permissions = ["can_list", "can_show"]
    base_filters = [["channel", FilterInFunction, _outgoing_channels]]
    list_columns = [
        "created_at",
        "channel",
        "kind",
        "recipient_address",
        "status",
        "attempts",
        "not_before",
        "sent_at",
        "last_error",
    ]
    show_columns = list_columns + ["dedup_key", "recipient", "case", "subject", "body"]
    search_columns = ["channel", "kind", "status", "recipient_address", "created_at"]
    base_order = ("created_at", "desc")
    label_columns = {
        "recipient": _l("Recipient"),
        "recipient_address": _l("Address"),
        "attempts": _l("Attempts"),
        "not_before": _l("Not before"),
        "sent_at": _l("Sent"),
        "last_error": _l("Last error"),
        "dedup_key": _l("De-duplication key"),
        "subject": _l("Subject"),
        "body": _l("Message"),
    }
    formatters_columns = {"kind": kind_label}

    @action(
        "resend",
        _l("Resend"),
        _l("Resend the selected failed messages?"),
        "fa-repeat",
        multiple=True,
        single=True,
    )
    def resend(self, items):
        items = items if isinstance(items, list) else [items]
        done = sum(channels.resend(db.session, row) for row in items)
        db.session.commit()
        if done:
            flash(_("%(count)s messages queued again.", count=done), "success")
        skipped = len(items) - done
        if skipped:
            flash(
                _("%(count)s messages were not failed and were left alone.", count=skipped), "info"
            )
        return redirect(request.referrer or url_for("NotificationOutboxView.list"))


class SmsSinkView(ScopedModelView):
    """The development SMS gateway's inbox."""

    datamodel = SQLAInterface(SmsSinkMessage)
    list_title = _l("SMS sink")
    show_title = _l("SMS in the sink")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "mobile", "body"]
    show_columns = ["at", "mobile", "body", "notification"]
    search_columns = ["mobile", "body", "at"]
    base_order = ("at", "desc")
    label_columns = {"body": _l("Message"), "notification": _l("Notification")}


def _install_template_loader(app) -> None:
    """Let templates include FAB's own copy of a template they override, as ``fab/<name>``."""

    fab_templates = Path(flask_appbuilder.__file__).resolve().parent / "templates"
    loader = app.jinja_env.loader
    if isinstance(loader, ChoiceLoader) and getattr(loader, "_has_fab_prefix", False):
        return
    combined = ChoiceLoader([loader, PrefixLoader({"fab": FileSystemLoader(str(fab_templates))})])
    combined._has_fab_prefix = True
    app.jinja_env.loader = combined


def install(appbuilder) -> None:
    """The navbar bell and the outbox's after-commit hook (the screens are in app/views.py)."""

    app = current_app._get_current_object()
    outbox.install_session_hooks()
    _install_template_loader(app)
    app.jinja_env.globals["notification_bell"] = notification_bell
