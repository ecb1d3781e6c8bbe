"""The “办不成事” window's screens: the desk's ledger with filters, figures and export, the intake
form, a complaint's page with its timeline and steps; and the public page where anyone files a
complaint and looks it up with its number and check code (rate-limited like /progress/).

Every screen reads through app/complaints/queries.py and writes through service.py, both under
``current_scope()``."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import checkcode
from app import models as m
from app.complaints import queries, service
from app.complaints.schemas import STAFF_CHANNELS
from app.desk.views import _network_of_client
from app.domain import clock
from app.domain import complaints as lifecycle
from app.domain.errors import DomainError, ValidationFailed
from app.domain.status import ComplaintStatus
from app.enums import ComplaintChannel
from app.masking import mask_unless_revealer
from app.scope import current_scope

ID_FIELDS = ("unit", "item", "case", "handler", "department")
INT_FIELDS = ("working_days",)
INTAKE_FIELDS = ("complainant", "mobile", "matter", "channel", "hotline_ticket", "unit")
STEP_FIELDS = {
    "coordinate": ("note",),
    "transfer": ("department", "working_days", "note"),
    "reply": ("reply",),
    "call_back": ("result", "satisfied"),
    "archive": ("note",),
}


def form_payload(form, fields) -> dict:
    """A form's text as the schema's body: ids and numbers as integers (text that is not one
    stays text, so the schema names the field), a yes/no as a boolean, empty ids left out."""
    payload = {}
    for name in fields:
        raw = (form.get(name) or "").strip()
        if name in ID_FIELDS or name in INT_FIELDS:
            if not raw:
                continue
            payload[name] = int(raw) if raw.isdigit() and len(raw) < 10 else raw
        elif name == "satisfied":
            payload[name] = {"1": True, "0": False}.get(raw, raw or None)
        elif name == "channel" and not raw:
            continue
        else:
            payload[name] = raw
    return payload


def _filter():
    try:
        return queries.ComplaintFilter.from_args(request.args)
    except ValidationFailed as error:
        abort(400, description=str(error))


class ComplaintView(BaseView):
    """办不成事窗口: the ledger of complaints, intake at the desk, each complaint's page."""

    route_base = "/complaints"
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        scope = current_scope()
        flt = _filter()
        rows, total = queries.page(scope, flt)
        return self.render_template(
            "complaints/list.html",
            title=_("“Could not get it done” window"),
            rows=rows,
            total=total,
            flt=flt,
            figures=queries.stats(scope, flt),
            statuses=list(ComplaintStatus),
            channels=list(ComplaintChannel),
            units=queries.units(scope),
            page_size=queries.PAGE_SIZE,
            today=clock.today(),
        )

    @expose("/export/<fmt>")
    @has_access
    @permission_name("download")
    def export(self, fmt):
        if fmt not in ("csv", "xlsx"):
            abort(404)
        data, mimetype = queries.export(current_scope(), _filter(), fmt)
        name = f"{_('Complaints')}-{clock.today().isoformat()}.{fmt}"
        response = Response(data, mimetype=mimetype)
        response.headers["Content-Disposition"] = (
            f"attachment; filename=complaints.{fmt}; filename*=UTF-8''{quote(name)}"
        )
        return response

    def _intake_page(self, values=None, errors=None, status=200):
        scope = current_scope()
        return (
            self.render_template(
                "complaints/new.html",
                title=_("Record a complaint"),
                values=values or {},
                errors=errors or {},
                units=service.intake_units(scope),
                channels=STAFF_CHANNELS,
                default_unit=scope.unit_id,
            ),
            status,
        )

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def new(self):
        if request.method == "GET":
            values = {"hotline_ticket": request.args.get("hotline_ticket", "")[:32]}
            return self._intake_page(values)
        values = {k: (request.form.get(k) or "")[:2000] for k in INTAKE_FIELDS}
        try:
            complaint = service.intake(form_payload(request.form, INTAKE_FIELDS), g.user)
        except ValidationFailed as error:
            flash(str(error), "danger")
            return self._intake_page(values, {k: str(v) for k, v in error.errors.items()}, 422)
        except DomainError as error:
            flash(str(error), "danger")
            return self._intake_page(values, status=error.status)
        flash(
            _(
                "Complaint %(number)s recorded. Check code for the complainant: %(code)s",
                number=complaint.number,
                code=complaint.check_code,
            ),
            "success",
        )
        return redirect(url_for("ComplaintView.show", complaint_id=complaint.id))

    def _show_page(self, complaint, values=None, errors=None, open_step=None, status=200):
        return (
            self.render_template(
                "complaints/show.html",
                title=_("Complaint %(number)s", number=complaint.number),
                c=complaint,
                mobile=mask_unless_revealer(m.Complaint, "mobile", complaint.mobile),
                steps=lifecycle.allowed_steps(complaint),
                step_label=lifecycle.step_label,
                departments=service.department_choices(),
                may_act=self.appbuilder.sm.has_access("can_record", self.class_permission_name),
                values=values or {},
                errors=errors or {},
                open_step=open_step,
                today=clock.today(),
            ),
            status,
        )

    @expose("/show/<int:complaint_id>")
    @has_access
    @permission_name("show")
    def show(self, complaint_id):
        complaint = service.complaint_in_scope(complaint_id)
        if complaint is None:
            abort(404)
        return self._show_page(complaint)

    @expose("/step/<int:complaint_id>/<step>", methods=["POST"])
    @has_access
    @permission_name("record")
    def step(self, complaint_id, step):
        fields = STEP_FIELDS.get(step)
        if fields is None:
            abort(404)
        values = {k: (request.form.get(k) or "")[:2000] for k in fields}
        payload = form_payload(request.form, fields)
        version = (request.form.get("version") or "").strip()
        if version.isdigit() and len(version) < 10:
            payload["version"] = int(version)
        try:
            service.run_step(step, complaint_id, payload, g.user)
        except ValidationFailed as error:
            flash(str(error), "danger")
            complaint = service.complaint_in_scope(complaint_id)
            if complaint is None:
                abort(404)
            errors = {k: str(v) for k, v in error.errors.items()}
            return self._show_page(complaint, values, errors, step, 422)
        except DomainError as error:
            if error.status == 404:
                abort(404)
            flash(str(error), "danger")
            complaint = service.complaint_in_scope(complaint_id)
            return self._show_page(complaint, values, None, step, error.status)
        flash(_("Saved: %(step)s.", step=str(lifecycle.step_label(step))), "success")
        return redirect(url_for("ComplaintView.show", complaint_id=complaint_id))


PUBLIC_STATUS = {
    ComplaintStatus.INTAKE: _l("Received, being looked into"),
    ComplaintStatus.COORDINATING: _l("The center is coordinating"),
    ComplaintStatus.TRANSFERRED: _l("Passed to the department concerned"),
    ComplaintStatus.CALLED_BACK: _l("Answered: we called you back"),
    ComplaintStatus.ARCHIVED: _l("Closed"),
}


class PublicComplaintView(BaseView):
    """办不成事反映, public (no log-in): file a complaint; look it up with number and check code."""

    route_base = "/complaint"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    def index(self):
        units = service.public_units()
        values = {"unit": request.args.get("unit", "")[:20]}
        errors = {}
        done = None
        status = 200
        if request.method == "POST":
            fields = ("complainant", "mobile", "matter", "hotline_ticket", "unit")
            values = {k: (request.form.get(k) or "")[:2000] for k in fields}
            try:
                if not checkcode.verify("complaint", request.form.get("image_code")):
                    raise ValidationFailed(
                        {"image_code": _("The check code is not right. Type the new one.")}
                    )
                done = service.public_intake(form_payload(request.form, fields))
            except ValidationFailed as error:
                errors = {k: str(v) for k, v in error.errors.items()}
                status = 422
            except DomainError as error:
                errors = {"_schema": str(error)}
                status = error.status
        return (
            self.render_template(
                "complaints/public.html",
                title=_("Could not get something done? Tell us"),
                units=units,
                values=values,
                errors=errors,
                done=done,
            ),
            status,
        )

    @expose("/checkcode.svg")
    def check_code(self):
        return checkcode.image("complaint")

    @expose("/status", methods=["GET", "POST"])
    def status(self):
        number = request.values.get("number", "")[:32]
        result = None
        not_found = False
        if request.method == "POST":
            complaint = service.lookup(number, request.form.get("check_code", ""))
            if complaint is None:
                not_found = True
            else:
                result = {
                    "number": complaint.number,
                    "unit": complaint.unit.name,
                    "received": complaint.received_at,
                    "status": PUBLIC_STATUS[complaint.status],
                    "due_date": complaint.due_date if complaint.is_open else None,
                }
        return self.render_template(
            "complaints/public_status.html",
            title=_("Look up a complaint"),
            number=number,
            result=result,
            not_found=not_found,
        )


def install(appbuilder) -> None:
    """Rate limits of the public page's posts (the same as the progress inquiry's)."""
    view = next(v for v in appbuilder.baseviews if isinstance(v, PublicComplaintView))
    limiter = appbuilder.sm.limiter
    config = current_app.config
    limiter.limit(
        lambda: config.get("COMPLAINT_RATE_LIMIT", "5 per minute;30 per hour"), methods=["POST"]
    )(view.blueprint)
    limiter.limit(
        lambda: config.get("PROGRESS_NETWORK_RATE_LIMIT", "30 per minute;300 per hour"),
        key_func=_network_of_client,
        methods=["POST"],
    )(view.blueprint)
    limiter.limit(
        lambda: config.get("PROGRESS_GLOBAL_RATE_LIMIT", "300 per minute"),
        key_func=lambda: "complaint-all",
        methods=["POST"],
    )(view.blueprint)
