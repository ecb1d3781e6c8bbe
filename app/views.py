"""The screens: one scoped CRUD view per model, grouped in menus by what a user does.

Views are thin. Case status is shown, never edited; creating a case goes through the lifecycle.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_appbuilder import IndexView, expose
from flask_appbuilder.menu import MenuItem
from flask_appbuilder.models.sqla.filters import FilterEqualFunction, FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import api, pickers, role_views, settings, system, uploads
from app import models as m
from app.api.appointments import AppointmentApi
from app.api.cases import CaseApi
from app.api.complaints import ComplaintApi
from app.api.docs import ApiDocsView, OpenApi
from app.api.jobs import JobApi
from app.api.resources import RESOURCES
from app.appointments import public as appointments_public
from app.appointments.public import PublicBookingView
from app.appointments.views import AppointmentDeskView
from app.archive.api import ArchiveApi
from app.archive.views import ArchiveView
from app.assessment.api import AssessmentApi, ReportApi
from app.assessment.views import (
    AssessmentTargetView,
    AssessmentView,
    MyAssessmentView,
    ReportView,
)
from app.audit import write_entry
from app.calendar import marks as calendar_marks
from app.calendar.views import CalendarView
from app.cases.views import CaseView
from app.columns import APPLICANT_FIELDS, SERVICE_ITEM_FIELDS
from app.complaints import views as complaint_views
from app.complaints.views import ComplaintView, PublicComplaintView
from app.desk import views as desk_views
from app.desk.views import GuideView, ProgressView, WalkInDeskView
from app.domain import applicants, clock
from app.domain.applicants import check_identity
from app.domain.errors import DomainError, ValidationFailed
from app.domain.status import OPEN_STATUSES
from app.domain.units import check_placement
from app.enums import EvaluationStage
from app.extensions import db
from app.followup import province
from app.followup.views import JointReviewView, RectificationView
from app.imports.views import ImportView
from app.labels import audit_action, audit_table, audit_user, record_text
from app.ledger import views as ledger_views
from app.ledger.views import DashboardView, LedgerView, SummaryView
from app.lock_views import LoginLockView
from app.masking import may_reveal
from app.printing import PrintView
from app.reminders import views as notification_views
from app.reminders.labels import kind_label
from app.reminders.sms_views import SmsTemplateView
from app.reminders.views import NotificationCenterView, NotificationOutboxView, SmsSinkView
from app.scope import current_scope
from app.staff.views import SpecialistView
from app.system import SystemStatusView
from app.validators import (
    ImplementationCodeValidator,
    ItemCodeValidator,
    MobileValidator,
    ResidentIdValidator,
    USCCValidator,
    mask_mobile,
    mask_resident_id,
)
from app.viewbase import ScopedModelView


def _my_specialist_ids() -> list[int]:

    user = g.user
    if user is None or not user.is_authenticated:
        return []
    return list(
        db.session.execute(
            sa.select(m.Specialist.id).where(m.Specialist.user_id == user.id)
        ).scalars()
    )


def _my_user_id():
    user = g.user
    return user.id if user is not None and user.is_authenticated else None


class HomeView(IndexView):
    """The landing page: my open cases and what is due."""

    index_template = "home.html"

    @expose("/")
    def index(self):

        user = g.user
        summary = None
        if user is not None and user.is_authenticated:
            scope = current_scope()
            base = sa.select(sa.func.count(m.Case.id)).where(scope.clause_for(m.Case))
            open_filter = m.Case.status.in_(list(OPEN_STATUSES))
            today = dt.date.today()
            summary = {
                "open": db.session.execute(base.where(open_filter)).scalar_one(),
                "overdue": db.session.execute(
                    base.where(open_filter, m.Case.due_date < today)
                ).scalar_one(),
                "due_soon": db.session.execute(
                    base.where(
                        open_filter,
                        m.Case.due_date >= today,
                        m.Case.due_date <= today + dt.timedelta(days=3),
                    )
                ).scalar_one(),
            }
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, summary=summary
        )


# ---------------------------------------------------------------- units and staff


class OrgUnitView(ScopedModelView):
    datamodel = SQLAInterface(m.OrgUnit)
    list_title = _l("Service units")
    show_title = _l("Service unit")
    add_title = _l("Add service unit")
    edit_title = _l("Edit service unit")
    list_columns = ["code", "name", "tier", "parent", "phone", "active"]
    show_columns = ["code", "name", "tier", "kind", "parent", "address", "phone", "active"]
    add_columns = ["code", "name", "tier", "parent", "address", "phone", "active"]
    edit_columns = add_columns
    search_columns = ["code", "name", "tier", "parent", "active"]
    order_columns = ["code", "name", "tier"]
    base_order = ("path", "asc")
    label_columns = {
        "tier": _l("Tier"),
        "kind": _l("Kind of center"),
        "parent": _l("Parent unit"),
    }

    def pre_add(self, item):
        check_placement(item)
        super().pre_add(item)

    def pre_update(self, item):
        check_placement(item)
        super().pre_update(item)


class DepartmentView(ScopedModelView):
    datamodel = SQLAInterface(m.Department)
    list_title = _l("Departments")
    show_title = _l("Department")
    add_title = _l("Add department")
    edit_title = _l("Edit department")
    list_columns = ["code", "name", "phone", "active"]
    add_columns = ["code", "name", "phone", "active"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["code", "name", "active"]


class RequiredMaterialView(ScopedModelView):
    datamodel = SQLAInterface(m.RequiredMaterial)
    list_title = _l("Required materials")
    show_title = _l("Required material")
    add_title = _l("Add required material")
    edit_title = _l("Edit required material")
    list_columns = ["item", "position", "name", "copies", "original", "how_to_obtain"]
    add_columns = ["item", "position", "name", "copies", "original", "how_to_obtain"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["item", "name"]
    label_columns = {
        "position": _l("Order"),
        "copies": _l("Copies"),
        "original": _l("Original required"),
        "how_to_obtain": _l("How to obtain"),
    }


class ServiceItemView(ScopedModelView):
    datamodel = SQLAInterface(m.ServiceItem)
    list_title = _l("Service items")
    show_title = _l("Service item")
    add_title = _l("Add service item")
    edit_title = _l("Edit service item")
    related_views = [RequiredMaterialView]
    list_columns = [
        "code",
        "implementation_code",
        "name",
        "department",
        "window_number",
        "promised_days",
        "legal_days",
        "needs_parallel",
    ]
    add_columns = list(SERVICE_ITEM_FIELDS)
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = [
        "code",
        "basic_code",
        "implementation_code",
        "name",
        "department",
        "keywords",
        "needs_parallel",
        "active",
    ]
    validators_columns = {
        "basic_code": [ItemCodeValidator()],
        "implementation_code": [ImplementationCodeValidator()],
    }
    label_columns = {
        "basic_code": _l("Official item code"),
        "implementation_code": _l("Implementation code"),
        "accept_city": _l("Accepted at the city center"),
        "accept_town": _l("Accepted at town centers"),
        "accept_village": _l("Accepted at village stations"),
        "promised_days": _l("Promised time limit (working days)"),
        "legal_days": _l("Legal time limit (working days)"),
        "fee_note": _l("Fees"),
        "window_number": _l("Window number"),
        "hall_location": _l("Location in the hall"),
        "needs_parallel": _l("Needs parallel approval"),
        "parallel_departments": _l("Departments in parallel approval"),
        "online": _l("Online handling"),
        "mobile": _l("Mobile handling"),
        "self_service": _l("Self-service terminal"),
        "keywords": _l("Keywords"),
    }


class ProblemCategoryView(ScopedModelView):
    datamodel = SQLAInterface(m.ProblemCategory)
    list_title = _l("Problem categories")
    show_title = _l("Problem category")
    add_title = _l("Add problem category")
    edit_title = _l("Edit problem category")
    list_columns = ["code", "name"]
    add_columns = ["code", "name"]
    edit_columns = add_columns
    show_columns = add_columns


# ---------------------------------------------------------------- applicants


class ApplicantView(ScopedModelView):
    datamodel = SQLAInterface(m.Applicant)
    list_title = _l("Applicants")
    show_title = _l("Applicant")
    add_title = _l("Add applicant")
    edit_title = _l("Edit applicant")
    list_columns = ["name", "kind", "masked_id_number", "credit_code", "masked_mobile", "unit"]
    add_columns = list(APPLICANT_FIELDS)
    edit_columns = add_columns
    show_columns = [
        "kind",
        "name",
        "masked_id_number",
        "credit_code",
        "contact_person",
        "masked_mobile",
        "address",
        "weak",
        "sick",
        "disabled",
        "foreign_invested",
        "unit",
        "created_at",
    ]
    show_template = "applicant/show.html"
    search_columns = ["name", "kind", "id_number", "credit_code", "mobile", "unit"]
    label_columns = {
        "id_number": _l("Resident ID number"),
        "masked_id_number": _l("Resident ID number"),
        "credit_code": _l("Unified social credit code"),
        "contact_person": _l("Contact person"),
        "masked_mobile": _l("Mobile"),
        "weak": _l("Weak"),
        "sick": _l("Sick"),
        "disabled": _l("Disabled"),
        "foreign_invested": _l("Foreign-invested enterprise"),
    }
    validators_columns = {
        "id_number": [ResidentIdValidator()],
        "credit_code": [USCCValidator()],
        "mobile": [MobileValidator()],
    }

    @expose("/reveal/<pk>", methods=["POST"])
    @has_access
    @permission_name("reveal")
    def reveal(self, pk):
        """The full ID number and mobile, for the applicant's own scope; every reveal audited."""
        applicant = self.datamodel.get(pk, self._base_filters)
        if applicant is None:
            abort(404)
        write_entry(
            db.session,
            action="reveal",
            table_name="applicant",
            row_id=str(applicant.id),
            after={"via": "applicant_page"},
        )
        db.session.commit()
        return self.render_template(
            "applicant/reveal.html", applicant=applicant, title=_("Applicant")
        )

    @expose("/search")
    @has_access
    @permission_name("list")
    def search(self):
        """The applicant picker's search: up to 20 applicants in scope, masked, as JSON."""
        found = pickers.search_applicants(db.session, current_scope(), request.args.get("q", ""))
        return jsonify({"results": [pickers.applicant_json(a) for a in found]})

    @expose("/quick_add", methods=["POST"])
    @has_access
    @permission_name("add")
    def quick_add(self):
        """The picker's inline "new applicant": 201 with the applicant, 409 when the ID number
        or credit code is already registered in that unit (with that applicant), 422 otherwise."""
        form = pickers.QuickApplicantForm(request.form, prefix="new_applicant")
        if not form.validate():
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
            return jsonify({"message": _("Some fields are not valid."), "errors": errors}), 422
        unit = pickers.quick_add_unit(db.session, form, current_scope())
        if unit is None:
            message = _("Choose the handling unit first.")
            return jsonify({"message": message, "errors": {"unit": [message]}}), 422
        existing = pickers.existing_applicant(db.session, unit, form)
        if existing is not None:
            return jsonify(
                {
                    "message": _("This applicant is already registered."),
                    "applicant": pickers.applicant_json(existing),
                }
            ), 409
        applicant = pickers.new_applicant(form, unit)
        db.session.add(applicant)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # registered by someone else meanwhile
            db.session.rollback()
            return jsonify({"message": _("This applicant is already registered.")}), 409
        return jsonify({"applicant": pickers.applicant_json(applicant)}), 201

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """FAB's edit; its form shows the full ID number, so opening it is a reveal."""
        if request.method == "GET" and self.datamodel.get(pk, self._base_filters) is not None:
            write_entry(
                db.session,
                action="reveal",
                table_name="applicant",
                row_id=str(pk),
                after={"via": "edit_form"},
            )
            db.session.commit()
        return super().edit(pk)

    def pre_add(self, item):
        check_identity(item)
        super().pre_add(item)

    def pre_update(self, item):
        check_identity(item)
        super().pre_update(item)

    def pre_delete(self, item):
        applicants.check_deletable(db.session, item)

    @expose("/merge/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("merge")
    def merge(self, pk):
        """Merge this duplicate into another record in scope: its cases move there."""

        source = self.datamodel.get(pk, self._base_filters)
        if source is None:
            abort(404)
        if request.method == "POST":
            target = None
            into = request.form.get("into", type=int)
            if into is not None and 0 < into < 2**31:
                target = self.datamodel.get(into, self._base_filters)
            try:
                if target is None:
                    raise ValidationFailed(
                        {"into": _l("Choose the record to keep.")}, _l("Choose the record to keep.")
                    )
                moved = applicants.merge(db.session, source, target, g.user)
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "danger")
                return redirect(url_for("ApplicantView.merge", pk=pk))
            flash(
                _("Merged: %(count)d case(s) moved to this applicant.", count=len(moved)),
                "success",
            )
            return redirect(url_for("ApplicantView.show", pk=target.id))
        return self.render_template(
            "applicant/merge.html",
            applicant=source,
            candidates=applicants.likely_duplicates(db.session, source, current_scope()),
            cases=len(applicants.case_ids_of(db.session, source)),
            title=_("Merge a duplicate applicant"),
        )


# ---------------------------------------------------------------- cases and their records


class CaseEventView(ScopedModelView):
    datamodel = SQLAInterface(m.CaseEvent)
    list_title = _l("Case timeline")
    show_title = _l("Timeline entry")
    add_title = _l("Add timeline entry")
    edit_title = _l("Edit timeline entry")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["case", "at", "kind", "actor", "from_status", "to_status", "note"]
    show_columns = list_columns + ["channel", "problem_category", "unit", "data"]
    search_columns = ["case", "kind", "at"]
    base_order = ("at", "desc")
    formatters_columns = {
        "data": lambda v: "; ".join(f"{k}: {x}" for k, x in (v or {}).items()) or "—"
    }
    label_columns = {
        "actor": _l("By"),
        "from_status": _l("From status"),
        "to_status": _l("To status"),
        "problem_category": _l("Problem category"),
        "data": _l("Details"),
    }


class MaterialNoticeView(ScopedModelView):
    datamodel = SQLAInterface(m.MaterialNotice)
    list_title = _l("One-time notices")
    show_title = _l("One-time notice")
    add_title = _l("Add one-time notice")
    edit_title = _l("Edit one-time notice")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["case", "issued_at", "deadline", "is_repeat", "resolved_at"]
    show_columns = list_columns + ["items", "repeat_reason"]
    search_columns = ["case", "deadline", "is_repeat"]
    formatters_columns = {
        "items": lambda v: ", ".join(f"{x.get('name')} ({x.get('how_to_obtain')})" for x in v or [])
    }
    label_columns = {
        "issued_at": _l("Issued"),
        "is_repeat": _l("Repeat notice"),
        "resolved_at": _l("Materials supplied"),
        "items": _l("Missing materials"),
        "repeat_reason": _l("Reason for a repeat notice"),
    }


class ExtensionView(ScopedModelView):
    datamodel = SQLAInterface(m.Extension)
    list_title = _l("Extensions")
    show_title = _l("Extension")
    add_title = _l("Add extension")
    edit_title = _l("Edit extension")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["case", "at", "extra_days", "old_due", "new_due", "explained_to_applicant"]
    show_columns = list_columns + ["reason"]
    label_columns = {
        "extra_days": _l("Extra working days"),
        "old_due": _l("Previous due date"),
        "new_due": _l("New due date"),
        "explained_to_applicant": _l("Explained to the applicant"),
    }


class HandoverView(ScopedModelView):
    datamodel = SQLAInterface(m.Handover)
    list_title = _l("Handovers")
    show_title = _l("Handover")
    add_title = _l("Add handover")
    edit_title = _l("Edit handover")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["case", "at", "signed_by", "signed_at"]
    show_columns = list_columns + ["results", "materials_returned"]
    label_columns = {
        "signed_by": _l("Signed for by"),
        "signed_at": _l("Signed"),
        "results": _l("Results handed over"),
    }


class TerminationView(ScopedModelView):
    datamodel = SQLAInterface(m.Termination)
    list_title = _l("Terminations")
    show_title = _l("Termination")
    add_title = _l("Add termination")
    edit_title = _l("Edit termination")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["case", "at", "reason_type", "applicant_signed", "specialist_signed"]
    show_columns = list_columns + ["reason", "materials_returned"]
    label_columns = {
        "reason_type": _l("Reason type"),
        "applicant_signed": _l("Applicant signed"),
        "specialist_signed": _l("Specialist signed"),
    }


class EvaluationView(ScopedModelView):
    datamodel = SQLAInterface(m.Evaluation)
    list_title = _l("Evaluations")
    show_title = _l("Evaluation")
    add_title = _l("Add evaluation")
    edit_title = _l("Edit evaluation")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["case", "stage", "at", "rating", "channel"]
    show_columns = list_columns + ["item_code", "case_number", "comments"]
    search_columns = ["stage", "rating", "channel", "at"]
    label_columns = {
        "stage": _l("Evaluation stage"),
        "rating": _l("Rating"),
        "comments": _l("Comments"),
        "item_code": _l("Item code"),
        "case_number": _l("Case number"),
    }
    list_template = "followup/evaluation_list.html"

    @expose("/province/")
    @has_access
    @permission_name("list")
    def province(self):
        """The evaluations for the provincial 好差评 system, as .xlsx or CSV, in the scope."""
        fmt = request.args.get("format", "xlsx")
        try:
            date_from = _date_arg("from")
            date_to = _date_arg("to")
            stage = EvaluationStage(request.args["stage"]) if request.args.get("stage") else None
        except ValueError:
            abort(400, _("Give dates as YYYY-MM-DD and a known stage."))
        if fmt not in ("xlsx", "csv"):
            abort(400, _("The format is xlsx or csv."))
        query = province.select_evaluations(current_scope(), date_from, date_to, stage)
        data = province.rows(db.session, query)
        body = province.to_xlsx(data) if fmt == "xlsx" else province.to_csv(data)
        mimetype = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if fmt == "xlsx"
            else "text/csv; charset=utf-8"
        )
        name = f"evaluations-{clock.today():%Y%m%d}.{fmt}"
        return Response(
            body,
            mimetype=mimetype,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _date_arg(name: str):
    value = (request.args.get(name) or "").strip()
    return dt.date.fromisoformat(value) if value else None


class ReturnVisitView(ScopedModelView):
    datamodel = SQLAInterface(m.ReturnVisit)
    list_title = _l("Return visits")
    show_title = _l("Return visit")
    # Read-only: visits are recorded by the case's return_visit step (timeline, actor).
    base_permissions = ["can_list", "can_show"]
    list_columns = ["case", "planned_on", "done_on", "channel"]
    show_columns = ["case", "planned_on", "done_on", "channel", "notes"]
    label_columns = {"planned_on": _l("Planned"), "done_on": _l("Done")}


class AttachmentView(ScopedModelView):
    datamodel = SQLAInterface(m.Attachment)
    list_title = _l("Attachments")
    show_title = _l("Attachment")
    add_title = _l("Add attachment")
    edit_title = _l("Edit attachment")
    base_permissions = ["can_list", "can_show", "can_download"]
    list_columns = ["case", "kind", "original_name", "content_type", "size", "uploaded_at"]
    show_columns = [*list_columns, "note", "voided_at", "void_reason"]
    search_columns = ["case", "kind", "original_name", "uploaded_at"]
    label_columns = {
        "uploaded_by": _l("Uploaded by"),
        "voided_by": _l("Voided by"),
        "kind": _l("What the file is"),
        "note": _l("Note"),
        "voided_at": _l("Voided"),
        "void_reason": _l("Reason for voiding"),
        "original_name": _l("File name"),
        "content_type": _l("Type"),
        "size": _l("Size (bytes)"),
        "uploaded_at": _l("Uploaded"),
    }

    @expose("/file/<pk>")
    @has_access
    @permission_name("download")
    def file(self, pk):
        """The stored file, for a user whose scope holds the case; 404 otherwise."""

        attachment = self.datamodel.get(pk, self._base_filters)
        if attachment is None:
            abort(404)
        data = uploads.read(attachment)
        if data is None:
            abort(404)
        # ?inline=1: shown in the case page (an <img>, or the PDF in a frame of this app)
        inline = request.args.get("inline") == "1"
        response = send_file(
            io.BytesIO(data),
            mimetype=attachment.content_type,
            as_attachment=not inline,
            download_name=attachment.original_name,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        if inline:
            response.headers["Content-Security-Policy"] = uploads.INLINE_CSP
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
            response.headers["Cache-Control"] = "private, no-store"
        return response


class MyCaseView(CaseView):
    """The cases assigned to the logged-in specialist."""

    list_title = _l("My cases")
    base_permissions = ["can_list", "can_show"]

    base_filters = [["specialist_id", FilterInFunction, _my_specialist_ids]]


class WalkInHelpView(ScopedModelView):
    datamodel = SQLAInterface(m.WalkInHelp)
    list_title = _l("Walk-in help")
    show_title = _l("Walk-in help")
    add_title = _l("Record walk-in help")
    edit_title = _l("Edit walk-in help")
    list_columns = ["at", "unit", "kind", "specialist", "queue_number", "item"]
    add_columns = ["unit", "kind", "specialist", "queue_number", "item", "note"]
    edit_columns = add_columns
    show_columns = ["at"] + add_columns
    search_columns = ["unit", "kind", "at"]
    base_order = ("at", "desc")
    label_columns = {"queue_number": _l("Queue number")}


# ---------------------------------------------------------------- system


class NotificationView(ScopedModelView):
    """The caller's own notifications."""

    datamodel = SQLAInterface(m.Notification)
    list_title = _l("My notifications")
    show_title = _l("Notification")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["created_at", "kind", "subject", "case", "read_at"]
    show_columns = ["created_at", "kind", "subject", "body", "case", "read_at"]
    base_order = ("created_at", "desc")
    label_columns = {"subject": _l("Subject"), "body": _l("Message"), "read_at": _l("Read")}
    formatters_columns = {"kind": kind_label}

    base_filters = [["recipient_id", FilterEqualFunction, _my_user_id]]


class NotificationLogView(ScopedModelView):
    """Every notification, for administrators."""

    datamodel = SQLAInterface(m.Notification)
    list_title = _l("Notification log")
    show_title = _l("Notification")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["created_at", "channel", "kind", "recipient", "status", "attempts", "sent_at"]
    show_columns = list_columns + [
        "dedup_key",
        "recipient_address",
        "case",
        "subject",
        "body",
        "last_error",
        "not_before",
    ]
    search_columns = ["channel", "kind", "status", "created_at"]
    base_order = ("created_at", "desc")
    label_columns = {
        "recipient": _l("Recipient"),
        "attempts": _l("Attempts"),
        "sent_at": _l("Sent"),
        "dedup_key": _l("De-duplication key"),
        "recipient_address": _l("Address"),
        "subject": _l("Subject"),
        "body": _l("Message"),
        "last_error": _l("Last error"),
        "not_before": _l("Not before"),
    }
    formatters_columns = {"kind": kind_label}


class HolidayView(ScopedModelView):
    datamodel = SQLAInterface(m.Holiday)
    list_title = _l("Holiday calendar")
    show_title = _l("Calendar day")
    add_title = _l("Add calendar day")
    edit_title = _l("Edit calendar day")
    list_columns = ["day", "kind", "name"]
    add_columns = ["day", "kind", "name"]
    edit_columns = add_columns
    show_columns = add_columns
    search_columns = ["day", "kind", "name"]
    base_order = ("day", "desc")
    label_columns = {"day": _l("Date")}


class HolidayYearView(ScopedModelView):
    datamodel = SQLAInterface(m.HolidayYear)
    list_title = _l("Calendar years loaded")
    show_title = _l("Calendar year")
    add_title = _l("Add calendar year")
    edit_title = _l("Edit calendar year")
    list_columns = ["year", "source"]
    add_columns = ["year", "source"]
    edit_columns = add_columns
    show_columns = add_columns
    label_columns = {"year": _l("Year"), "source": _l("Source")}


class SettingView(ScopedModelView):
    """Business knobs (app/settings.py DEFAULTS): every one listed with its label, its default
    and its current value; a value is checked against the knob's type and range before it is
    stored (a word for a number is refused)."""

    datamodel = SQLAInterface(m.Setting)
    list_title = _l("Settings")
    show_title = _l("Setting")
    add_title = _l("Add setting")
    edit_title = _l("Edit setting")
    list_columns = ["key", "value"]
    add_columns = ["key", "value"]
    edit_columns = ["value"]
    show_columns = add_columns
    label_columns = {"key": _l("Setting"), "value": _l("Value")}
    formatters_columns = {"key": lambda key: _setting_label(key)}

    @expose("/list/")
    @has_access
    def list(self):
        return self.render_template(
            "settings/list.html", rows=settings.describe(db.session), title=self.list_title
        )

    @expose("/set/<key>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def set_knob(self, key):
        """Store one knob's value; an empty value goes back to the default."""
        if key not in settings.DEFAULTS:
            abort(404)
        raw = (request.form.get("value") or "").strip()
        label = settings.DEFAULTS[key].label
        if not raw:
            row = db.session.get(m.Setting, key)
            if row is not None:
                db.session.delete(row)
                db.session.commit()
            flash(_("%(setting)s is back to its default.", setting=label), "success")
            return redirect(url_for("SettingView.list"))
        try:
            settings.set_value(db.session, key, raw)
        except settings.InvalidSetting as error:
            db.session.rollback()
            flash(_("%(setting)s: %(error)s", setting=label, error=error.message), "danger")
            rows = settings.describe(db.session)
            return self.render_template(
                "settings/list.html", rows=rows, title=self.list_title, failed=key, typed=raw
            ), 422
        db.session.commit()
        flash(_("%(setting)s saved.", setting=label), "success")
        return redirect(url_for("SettingView.list"))

    def _check(self, item) -> None:
        try:
            parsed = settings.check(item.key, item.value)
        except settings.InvalidSetting as error:
            raise ValidationFailed({"value": error.message}, error.message) from None
        default = settings.DEFAULTS[item.key].default
        item.value = str(parsed).lower() if isinstance(default, bool) else str(parsed)

    def pre_add(self, item):
        self._check(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._check(item)
        super().pre_update(item)


def _setting_label(key: str) -> str:
    knob = settings.DEFAULTS.get(key)
    return f"{knob.label}（{key}）" if knob is not None else key


def _audit_record(value):
    """A stored snapshot as text; ID and mobile numbers masked for those who may not reveal them
    (the trail keeps every column of an applicant or a staff member as it was)."""
    masks = {"id_number": mask_resident_id, "mobile": mask_mobile}
    if isinstance(value, dict) and not may_reveal():
        value = {
            key: masks[key](item) if key in masks and isinstance(item, str) and item else item
            for key, item in value.items()
        }
    return record_text(value)


class AuditLogView(ScopedModelView):
    """The audit trail, held to the tier scope (app/scope.py): an account sees the entries about
    the records of its tier and those made by its tier's staff; Admins see every entry."""

    datamodel = SQLAInterface(m.AuditLog)
    list_title = _l("Audit log")
    show_title = _l("Audit entry")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "username", "ip", "action", "table_name", "row_id"]
    show_columns = list_columns + ["before", "after"]
    search_columns = ["username", "action", "table_name", "row_id", "at"]
    base_order = ("at", "desc")
    label_columns = {
        "username": _l("User"),
        "ip": _l("Address"),
        "action": _l("Action"),
        "table_name": _l("Table"),
        "row_id": _l("Record"),
        "before": _l("Before"),
        "after": _l("After"),
    }
    formatters_columns = {
        "action": audit_action,
        "table_name": audit_table,
        "username": audit_user,
        "before": _audit_record,
        "after": _audit_record,
    }


# ---------------------------------------------------------------- menus


@dataclass(frozen=True)
class Menu:
    """A screen with a menu entry (its category is created by its first entry)."""

    view: type
    name: str
    label: object
    icon: str
    category: str
    category_label: object = None
    category_icon: str | None = None


@dataclass(frozen=True)
class Page:
    """A screen without a menu entry: opened from another page or by its own link."""

    view: type


@dataclass(frozen=True)
class Link:
    """A menu entry that opens a route of a screen registered elsewhere in this table."""

    name: str
    label: object
    href: str
    icon: str
    category: str
    category_label: object = None
    category_icon: str | None = None


@dataclass(frozen=True)
class Separator:
    """A divider in a menu category."""

    category: str


@dataclass(frozen=True)
class Api:
    """A REST API resource (app/api/)."""

    api: type


# Every screen, link and API, in menu order: the one place where they are registered.
SCREENS = [
    Menu(MyCaseView, "MyCases", _l("My cases"), "fa-briefcase", "MyWork", _l("My work"), "fa-user"),
    Menu(NotificationView, "MyNotifications", _l("My notifications"), "fa-bell", "MyWork"),
    Menu(
        CaseView, "Cases", _l("All cases"), "fa-folder-open", "CaseWork", _l("Cases"), "fa-folder"
    ),
    Menu(WalkInHelpView, "WalkInHelp", _l("Walk-in help"), "fa-hand-paper-o", "CaseWork"),
    Menu(CaseEventView, "CaseEvents", _l("Case timeline"), "fa-history", "CaseWork"),
    Menu(MaterialNoticeView, "MaterialNotices", _l("One-time notices"), "fa-list", "CaseWork"),
    Menu(ExtensionView, "Extensions", _l("Extensions"), "fa-clock-o", "CaseWork"),
    Menu(JointReviewView, "JointReviews", _l("Joint reviews"), "fa-users", "CaseWork"),
    Menu(HandoverView, "Handovers", _l("Handovers"), "fa-check", "CaseWork"),
    Menu(TerminationView, "Terminations", _l("Terminations"), "fa-ban", "CaseWork"),
    Menu(EvaluationView, "Evaluations", _l("Evaluations"), "fa-star", "CaseWork"),
    Menu(RectificationView, "Rectifications", _l("Rectifications"), "fa-wrench", "CaseWork"),
    Menu(ReturnVisitView, "ReturnVisits", _l("Return visits"), "fa-phone", "CaseWork"),
    Menu(AttachmentView, "Attachments", _l("Attachments"), "fa-paperclip", "CaseWork"),
    Menu(ApplicantView, "Applicants", _l("Applicants"), "fa-address-card", "CaseWork"),
    # the “办不成事” window: its ledger, intake, each complaint's page; the public page
    Menu(
        ComplaintView,
        "Complaints",
        _l("“Could not get it done” window"),
        "fa-exclamation-circle",
        "CaseWork",
    ),
    Page(PublicComplaintView),
    # the case files (案卷): the register, found by case or case file number, with downloads
    Menu(ArchiveView, "CaseFiles", _l("Case files"), "fa-archive", "CaseWork"),
    Menu(
        ServiceItemView,
        "ServiceItems",
        _l("Service items"),
        "fa-book",
        "Organisation",
        _l("Reference data"),
        "fa-building",
    ),
    Menu(
        RequiredMaterialView,
        "RequiredMaterials",
        _l("Required materials"),
        "fa-file-text-o",
        "Organisation",
    ),
    Menu(
        ProblemCategoryView,
        "ProblemCategories",
        _l("Problem categories"),
        "fa-tags",
        "Organisation",
    ),
    Separator("Organisation"),  # service items above, units and staff below
    Menu(OrgUnitView, "OrgUnits", _l("Service units"), "fa-sitemap", "Organisation"),
    Menu(DepartmentView, "Departments", _l("Departments"), "fa-university", "Organisation"),
    Menu(SpecialistView, "Specialists", _l("Specialists and staff"), "fa-id-badge", "Organisation"),
    Link(
        "NewStaffAccount",
        _l("New staff account"),
        "/specialistview/account/new",
        "fa-user-plus",
        "Organisation",
    ),
    Menu(
        HolidayView,
        "Holidays",
        _l("Holiday calendar"),
        "fa-calendar",
        "System",
        _l("System"),
        "fa-cogs",
    ),
    Menu(
        HolidayYearView,
        "HolidayYears",
        _l("Calendar years loaded"),
        "fa-calendar-check-o",
        "System",
    ),
    Menu(SettingView, "Settings", _l("Settings"), "fa-sliders", "System"),
    Menu(NotificationLogView, "NotificationLog", _l("Notification log"), "fa-envelope", "System"),
    Menu(AuditLogView, "AuditLog", _l("Audit log"), "fa-shield", "System"),
    # printing
    Page(PrintView),
    # the hall desk
    Menu(GuideView, "Guide", _l("Service guide"), "fa-search", "MyWork"),
    Menu(WalkInDeskView, "WalkInDesk", _l("Walk-in help desk"), "fa-hand-pointer-o", "MyWork"),
    # a specialist's own assessment (the managers' rankings are under "Ledger")
    Menu(MyAssessmentView, "MyAssessment", _l("My assessment"), "fa-trophy", "MyWork"),
    Menu(
        AppointmentDeskView,
        "AppointmentDesk",
        _l("Appointments"),
        "fa-calendar-check-o",
        "MyWork",
    ),
    Link(
        "AppointmentSlots",
        _l("Appointment slots"),
        "/appointments/pattern",
        "fa-calendar-plus-o",
        "Organisation",
    ),
    Page(ProgressView),
    Page(PublicBookingView),
    # the ledger
    Menu(
        LedgerView,
        "WorkLedger",
        _l("Work ledger"),
        "fa-table",
        "Ledger",
        _l("Ledger and statistics"),
        "fa-bar-chart",
    ),
    Link("WalkInLedger", _l("Walk-in help ledger"), "/ledger/walkin/", "fa-hand-paper-o", "Ledger"),
    Menu(DashboardView, "Dashboard", _l("Statistics"), "fa-pie-chart", "Ledger"),
    Menu(SummaryView, "Summaries", _l("Periodic summaries"), "fa-file-excel-o", "Ledger"),
    Menu(ReportView, "WrittenReports", _l("Written reports"), "fa-file-word-o", "Ledger"),
    Menu(AssessmentView, "Assessment", _l("Specialist assessment"), "fa-trophy", "Ledger"),
    # notifications
    Page(NotificationCenterView),
    Menu(
        NotificationOutboxView,
        "NotificationOutbox",
        _l("Outgoing messages"),
        "fa-paper-plane",
        "System",
    ),
    Menu(SmsSinkView, "SmsSink", _l("SMS sink"), "fa-mobile", "System"),
    # SMS wording per kind and language, and the registered signature (Admins only)
    Menu(SmsTemplateView, "SmsTemplates", _l("SMS templates"), "fa-commenting", "System"),
    # bulk import
    Menu(ImportView, "Imports", _l("Bulk import"), "fa-upload", "Organisation"),
    # the working-day calendar
    Menu(CalendarView, "WorkingDayCalendar", _l("Working-day calendar"), "fa-calendar-o", "System"),
    # assessment targets and weights (Admins only)
    Menu(
        AssessmentTargetView,
        "AssessmentTargets",
        _l("Assessment targets"),
        "fa-bullseye",
        "System",
    ),
    # log-in locks
    Menu(LoginLockView, "LoginLocks", _l("Log-in locks"), "fa-lock", "System"),
    # the REST API and its documentation
    *(Api(api) for api in RESOURCES),
    Api(CaseApi),
    Api(AppointmentApi),
    Api(ComplaintApi),
    Api(ArchiveApi),
    Api(JobApi),
    Api(ReportApi),
    Api(AssessmentApi),
    Api(OpenApi),
    Menu(ApiDocsView, "ApiDocs", _l("API documentation"), "fa-code", "System"),
    # system status
    Menu(SystemStatusView, "SystemStatus", _l("System status"), "fa-heartbeat", "System"),
]


def register_views(appbuilder) -> None:
    """Add every screen to FAB in menu order, then the features' hooks (no screens of their own)."""
    for entry in SCREENS:
        if isinstance(entry, Api):
            appbuilder.add_api(entry.api)
        elif isinstance(entry, Separator):
            appbuilder.add_separator(entry.category)
        elif isinstance(entry, Page):
            appbuilder.add_view_no_menu(entry.view)
        else:
            kwargs = {"icon": entry.icon, "label": entry.label, "category": entry.category}
            if entry.category_label is not None:
                kwargs["category_label"] = entry.category_label
                kwargs["category_icon"] = entry.category_icon
            if isinstance(entry, Link):
                appbuilder.add_link(entry.name, href=entry.href, **kwargs)
            else:
                appbuilder.add_view(entry.view, entry.name, **kwargs)
    app = current_app._get_current_object()
    if "favicon" not in app.view_functions:
        # Browsers ask for /favicon.ico on every page: the icon the app ships.
        app.add_url_rule(
            "/favicon.ico",
            "favicon",
            lambda: app.send_static_file("favicon.ico"),
        )
    desk_views.install(appbuilder)
    appointments_public.install(appbuilder)
    complaint_views.install(appbuilder)
    ledger_views.install(appbuilder)
    notification_views.install(appbuilder)
    calendar_marks.register(app)
    api.install(appbuilder)
    system.install(appbuilder)
    role_views.install(appbuilder)
    arrange_menu(appbuilder.menu)


# The navbar's categories, left to right: five menus fit one row at 1280 px in every language.
MENU_ORDER = ("MyWork", "CaseWork", "Ledger", "Organisation", "System")


def arrange_menu(menu) -> None:
    """FAB's own Security menu (users, roles, permissions) goes under System, after a divider,
    and the categories take MENU_ORDER. Each entry keeps its name, so menu permissions hold."""

    top = menu.menu
    security = next((item for item in top if item.name == "Security"), None)
    system = next((item for item in top if item.name == "System"), None)
    if security is not None and system is not None:
        system.childs.append(MenuItem("-"))
        system.childs.extend(security.childs)
        top.remove(security)
    rank = {name: index for index, name in enumerate(MENU_ORDER)}
    top.sort(key=lambda item: rank.get(item.name, len(rank)))
