"""The hall desk: the service guide (办事指南), walk-in help in two clicks, and the public
progress inquiry (办理进度查询) reachable from the QR code on every printed document."""

from __future__ import annotations

import datetime as dt
import ipaddress

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import models as m
from app.domain import clock
from app.domain.text import pinyin_query
from app.enums import WalkInKind
from app.extensions import db
from app.reminders import flags as due_flags

GUIDE_LIMIT = 50


def search_items(query: str) -> list[m.ServiceItem]:
    """Items matching ``query`` the ways people type at the desk: characters (name, keywords,
    code, department), pinyin initials (``sfz``), full pinyin (``shenfenzheng``, ``dibao``) and
    mixes of pinyin and characters (``di保``), of the name or of a keyword."""
    q = (query or "").strip()[:100]
    base = (
        sa.select(m.ServiceItem)
        .join(m.Department, m.ServiceItem.department_id == m.Department.id)
        .where(m.ServiceItem.active.is_(True))
    )
    rank = sa.literal(1)
    if q:
        conditions = [
            m.ServiceItem.name.contains(q, autoescape=True),
            m.ServiceItem.keywords.contains(q, autoescape=True),
            m.ServiceItem.code.contains(q, autoescape=True),
            m.Department.name.contains(q, autoescape=True),
        ]
        letters = pinyin_query(q)
        if letters:
            conditions += [
                m.ServiceItem.pinyin_initials.contains(letters, autoescape=True),
                m.ServiceItem.pinyin_full.contains(letters, autoescape=True),
            ]
        base = base.where(sa.or_(*conditions))
        # The name's own match first: characters, then initials or pinyin from its start.
        starts = [m.ServiceItem.name.contains(q, autoescape=True)]
        if letters:
            starts += [
                m.ServiceItem.pinyin_initials.startswith(letters, autoescape=True),
                m.ServiceItem.pinyin_full.startswith(letters, autoescape=True),
            ]
        rank = sa.case((sa.or_(*starts), 0), else_=1)
    query_ = base.order_by(rank, m.ServiceItem.code).limit(GUIDE_LIMIT)
    return list(db.session.execute(query_).scalars())


class GuideView(BaseView):
    """办事指南: every window's items, searchable at the desk, a case started from a result."""

    route_base = "/guide"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        query = request.args.get("q", "")
        items = search_items(query)
        return self.render_template(
            "desk/guide.html", query=query, items=items, title=_("Service guide")
        )


class WalkInDeskView(BaseView):
    """窗口帮办记录 at the hall desk: pick the kind of help, saved; two clicks an entry."""

    route_base = "/walkin"
    default_view = "index"

    def _my_specialist(self) -> m.Specialist | None:
        return db.session.execute(
            sa.select(m.Specialist).where(
                m.Specialist.user_id == g.user.id, m.Specialist.active.is_(True)
            )
        ).scalar_one_or_none()

    @expose("/")
    @has_access
    def index(self):
        specialist = self._my_specialist()
        today = clock.today()
        start = dt.datetime.combine(today, dt.time(0, 0), tzinfo=clock.TZ)
        counts = {}
        if specialist is not None:
            counts = dict(
                db.session.execute(
                    sa.select(m.WalkInHelp.kind, sa.func.count(m.WalkInHelp.id))
                    .where(m.WalkInHelp.unit_id == specialist.unit_id, m.WalkInHelp.at >= start)
                    .group_by(m.WalkInHelp.kind)
                ).all()
            )
        return self.render_template(
            "desk/walkin.html",
            kinds=list(WalkInKind),
            counts=counts,
            specialist=specialist,
            title=_("Walk-in help"),
        )

    @expose("/record", methods=["POST"])
    @has_access
    def record(self):
        specialist = self._my_specialist()
        if specialist is None:
            flash(_("Only staff of a unit can record walk-in help."), "danger")
            return redirect(url_for("WalkInDeskView.index"))
        try:
            kind = WalkInKind(request.form.get("kind", ""))
        except ValueError:
            abort(400)
        entry = m.WalkInHelp(
            unit_id=specialist.unit_id,
            specialist_id=specialist.id,
            kind=kind,
            at=clock.now(),
            queue_number=(request.form.get("queue_number") or "").strip()[:20] or None,
            note=(request.form.get("note") or "").strip()[:500],
        )
        db.session.add(entry)
        db.session.commit()
        flash(_("Recorded: %(kind)s.", kind=str(kind.label)), "success")
        return redirect(url_for("WalkInDeskView.index"))


PUBLIC_STATUS = {
    "applied": _l("Application received"),
    "accepted": _l("Accepted, being handled"),
    "in_progress": _l("Being handled at the window"),
    "awaiting_materials": _l("Waiting for your supplementary materials"),
    "suspended": _l("Suspended: please contact your specialist"),
    "completed": _l("Completed"),
    "terminated": _l("Entrustment ended"),
}


def lookup_progress(number: str, mobile_tail: str) -> m.Case | None:
    """The case whose number matches and whose applicant's mobile ends with the four digits."""
    number = (number or "").strip()
    tail = (mobile_tail or "").strip()
    if not number or len(tail) != 4 or not tail.isdigit():
        return None
    case = db.session.execute(sa.select(m.Case).where(m.Case.number == number)).scalar_one_or_none()
    if case is None or not (case.applicant.mobile or "").endswith(tail):
        return None
    if case.status.value not in PUBLIC_STATUS:  # a voided case was never a real application
        return None
    return case


class ProgressView(BaseView):
    """办理进度查询, public (no log-in): coarse status and due date, nothing else."""

    route_base = "/progress"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    def index(self):
        number = request.values.get("number", "")
        result = None
        not_found = False
        if request.method == "POST":
            case = lookup_progress(number, request.form.get("mobile_tail", ""))
            if case is None:
                not_found = True
            else:
                result = {
                    "number": case.number,
                    "item": case.item.name,
                    "status": PUBLIC_STATUS[case.status.value],
                    "due_date": case.due_date,
                    # The red flag the staff see, for an open case past its promised date.
                    "due_flag": due_flags.flag(
                        due_flags.due_state(case.due_date, case.status.value)
                    ),
                    "unit": case.handling_unit.name,
                }
        return self.render_template(
            "desk/progress.html",
            number=number,
            result=result,
            not_found=not_found,
            title=_("Progress inquiry"),
        )


def install(appbuilder) -> None:
    """Rate limits of the public progress inquiry (its screens are in app/views.py)."""
    view = next(v for v in appbuilder.baseviews if isinstance(v, ProgressView))
    limit = current_app.config.get("PROGRESS_RATE_LIMIT", "10 per minute;60 per hour")
    limiter = appbuilder.sm.limiter
    limiter.limit(limit, methods=["POST"])(view.blueprint)
    # Guessing spread over many addresses: bounded per network (/24, IPv6 /64) and overall.
    limiter.limit(
        lambda: current_app.config.get("PROGRESS_NETWORK_RATE_LIMIT", "30 per minute;300 per hour"),
        key_func=_network_of_client,
        methods=["POST"],
    )(view.blueprint)
    limiter.limit(
        lambda: current_app.config.get("PROGRESS_GLOBAL_RATE_LIMIT", "300 per minute"),
        key_func=lambda: "progress-all",
        methods=["POST"],
    )(view.blueprint)


def _network_of_client() -> str:

    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
