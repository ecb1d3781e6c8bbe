"""The case's page: its status, due date, records and timeline, and a button and form per step.

Every step calls app/domain/lifecycle.py and commits once. A refused step flashes its reason in
the user's language and keeps what they typed; so does a save over someone else's newer change.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from app import forms
from app import models as m
from app.domain import clock, lifecycle
from app.domain.errors import DomainError, IllegalTransition, StaleRecord, ValidationFailed
from app.enums import (
    ContactChannel,
    EvaluationChannel,
    HelpType,
    Rating,
    ServiceKind,
    TerminationReason,
)
from app.extensions import db
from app.reminders import flags as due_flags
from app.scope import current_scope
from app.viewbase import ScopedModelView

CASE_LABELS = {
    "number": _l("Case number"),
    "applicant": _l("Applicant"),
    "help_types": _l("Help given"),
    "major_project": _l("Major investment project"),
    "needs": _l("Applicant's needs"),
    "accepting_unit": _l("Accepting unit"),
    "handling_unit": _l("Handling unit"),
    "steward": _l("Project steward"),
    "applied_at": _l("Applied"),
    "accepted_at": _l("Accepted"),
    "submitted_at": _l("Submitted to the window"),
    "ended_at": _l("Ended"),
    "promised_days": _l("Promised working days"),
    "due_date": _l("Due date"),
    "due_provisional": _l("Due date provisional"),
    "last_contact_at": _l("Last contact"),
    "ack_voluntary": _l("Applied voluntarily"),
    "ack_free": _l("Knows the service is free"),
    "ack_truthful": _l("Responsible for the truth of the materials"),
    "process_explained": _l("Process explained"),
    "applicant_signed": _l("Applicant signed"),
}


# ---------------------------------------------------------------- choices inside the scope


def scoped_units(include_ancestors_of: m.OrgUnit | None = None) -> list[m.OrgUnit]:
    """Active units in the user's scope (plus the ancestors of one unit, for transfers up)."""
    scope = current_scope()
    clause = scope.clause_for(m.OrgUnit)
    if include_ancestors_of is not None and include_ancestors_of.path:
        codes = [c for c in include_ancestors_of.path.strip("/").split("/") if c]
        clause = sa.or_(clause, m.OrgUnit.code.in_(codes))
    return list(
        db.session.execute(
            sa.select(m.OrgUnit).where(clause, m.OrgUnit.active.is_(True)).order_by(m.OrgUnit.path)
        ).scalars()
    )


def scoped_specialists(unit: m.OrgUnit | None = None) -> list[m.Specialist]:
    """Active specialists in scope; with ``unit``, only those of that unit's subtree."""
    query = sa.select(m.Specialist).where(
        current_scope().clause_for(m.Specialist), m.Specialist.active.is_(True)
    )
    if unit is not None:
        query = query.join(m.OrgUnit, m.Specialist.unit_id == m.OrgUnit.id).where(
            m.OrgUnit.path.startswith(unit.path, autoescape=True)
        )
    return list(db.session.execute(query.order_by(m.Specialist.name)).scalars())


def load_case(pk) -> m.Case:
    """The case if the user may see it; 404 otherwise (exactly as for a missing id)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        abort(404)
    case = db.session.execute(
        sa.select(m.Case).where(m.Case.id == pk, current_scope().clause_for(m.Case))
    ).scalar_one_or_none()
    if case is None:
        abort(404)
    return case


def may_edit(case: m.Case) -> bool:
    """Only the current handling side (its subtree and above) changes a case."""
    return current_scope().contains_unit(case.handling_unit)


# ---------------------------------------------------------------- the steps


def _prepare(step: str, form, case: m.Case) -> None:
    """Fill the choices a step's form offers for this case."""
    if step == "confirm":
        form.received.choices = [(mat.id, mat.name) for mat in case.item.materials]
    elif step == "supplement":
        form.supplied.choices = [(mat.id, mat.name) for mat in lifecycle.missing_materials(case)]
    elif step == "problem":
        form.category.choices = [
            (c.id, c.name)
            for c in db.session.execute(
                sa.select(m.ProblemCategory).order_by(m.ProblemCategory.code)
            ).scalars()
        ]
    elif step == "transfer":
        form.to_unit.choices = [
            (u.id, u.name)
            for u in scoped_units(include_ancestors_of=case.handling_unit)
            if u.id != case.handling_unit_id
        ]
    elif step == "assign":
        form.specialist.choices = [
            (s.id, f"{s.name}（{s.unit.name}）") for s in scoped_specialists(case.handling_unit)
        ]
    elif step == "joint_review":
        form.lead_unit.choices = [(u.id, u.name) for u in scoped_units(case.handling_unit)]
        form.departments.choices = [
            (d.id, d.name)
            for d in db.session.execute(
                sa.select(m.Department)
                .where(m.Department.active.is_(True))
                .order_by(m.Department.code)
            ).scalars()
        ]
        if request.method == "GET":
            form.departments.data = [d.id for d in case.item.parallel_departments]
    if request.method == "GET":
        if step == "notice":
            form.deadline.data = forms.default_deadline()
        if step == "return_visit":
            form.planned_on.data = clock.today()
        if step == "complete":
            form.signed_by.data = case.applicant.name


def _perform(step: str, form, case: m.Case, actor) -> None:
    """Call the lifecycle for ``step`` with the form's values."""
    s = db.session
    note = (form.note.data or "").strip()
    if step == "confirm":
        lifecycle.confirm(
            s,
            case,
            actor,
            process_explained=form.process_explained.data,
            applicant_signed=form.applicant_signed.data,
            received_material_ids=form.received.data or [],
            note=note,
        )
    elif step == "submit":
        lifecycle.submit(s, case, actor, note=note)
    elif step == "notice":
        lifecycle.notify_missing(
            s,
            case,
            actor,
            deadline=form.deadline.data,
            repeat_reason=form.repeat_reason.data or "",
            note=note,
        )
    elif step == "supplement":
        lifecycle.supplement(s, case, actor, material_ids=form.supplied.data or [], note=note)
    elif step == "update":
        lifecycle.record(s, case, actor, "update", note=note)
    elif step == "contact":
        lifecycle.record(
            s, case, actor, "contact", note=note, channel=ContactChannel(form.channel.data)
        )
    elif step == "fee_guidance":
        lifecycle.record(
            s,
            case,
            actor,
            "fee_guidance",
            note=note,
            data={"payee": form.payee.data, "amount": form.amount.data},
        )
    elif step == "problem":
        lifecycle.record(
            s, case, actor, "problem", note=note, problem_category_id=form.category.data
        )
    elif step == "transfer":
        lifecycle.transfer(s, case, actor, to_unit=s.get(m.OrgUnit, form.to_unit.data), note=note)
    elif step == "assign":
        lifecycle.assign(s, case, actor, specialist=s.get(m.Specialist, form.specialist.data))
    elif step == "extend":
        lifecycle.extend(
            s,
            case,
            actor,
            extra_days=form.extra_days.data,
            reason=form.reason.data,
            explained_to_applicant=form.explained_to_applicant.data,
        )
    elif step == "joint_review":
        departments = [s.get(m.Department, i) for i in form.departments.data or []]
        lifecycle.schedule_joint_review(
            s,
            case,
            actor,
            lead_unit=s.get(m.OrgUnit, form.lead_unit.data),
            scheduled_at=form.scheduled_at.data.replace(tzinfo=clock.TZ),
            departments=departments,
            location=form.location.data or "",
        )
    elif step == "complete":
        handover = lifecycle.complete(
            s,
            case,
            actor,
            results=form.results.data,
            materials_returned=form.materials_returned.data or "",
            signed_by=form.signed_by.data,
        )
        receipt = request.files.get("receipt")
        if receipt is not None and receipt.filename:
            from app import uploads

            handover.receipt_file = uploads.store(s, receipt, case, actor).stored_name
    elif step == "terminate":
        lifecycle.terminate(
            s,
            case,
            actor,
            reason_type=TerminationReason(form.reason_type.data),
            reason=form.reason.data,
            materials_returned=form.materials_returned.data or "",
            applicant_signed=form.applicant_signed.data,
            specialist_signed=form.specialist_signed.data,
        )
    elif step == "evaluate":
        lifecycle.evaluate(
            s,
            case,
            actor,
            rating=Rating(form.rating.data),
            channel=EvaluationChannel(form.channel.data),
            comments=form.comments.data or "",
        )
    elif step == "return_visit":
        lifecycle.plan_return_visit(
            s,
            case,
            actor,
            planned_on=form.planned_on.data,
            done_on=form.done_on.data,
            channel=ContactChannel(form.channel.data) if form.channel.data else None,
            notes=form.notes.data or "",
        )


# step on the page → (lifecycle step that decides if it is offered, form class)
STEPS = {
    "confirm": ("confirm", forms.ConfirmForm),
    "submit": ("submit", forms.SubmitForm),
    "notice": ("notify_missing", forms.NoticeForm),
    "supplement": ("supplement", forms.SupplementForm),
    "update": ("update", forms.UpdateForm),
    "contact": ("contact", forms.ContactForm),
    "fee_guidance": ("fee_guidance", forms.FeeGuidanceForm),
    "problem": ("problem", forms.ProblemForm),
    "transfer": ("transfer", forms.TransferForm),
    "assign": ("assign", forms.AssignForm),
    "extend": ("extend", forms.ExtendForm),
    "joint_review": ("joint_review", forms.JointReviewForm),
    "complete": ("complete", forms.CompleteForm),
    "terminate": ("terminate", forms.TerminateForm),
    "evaluate": ("evaluate", forms.EvaluateForm),
    "return_visit": ("return_visit", forms.ReturnVisitForm),
}


def offered_steps(case: m.Case) -> list[str]:
    allowed = set(lifecycle.allowed_steps(case))
    offered = [name for name, (lc, _form) in STEPS.items() if lc in allowed]
    if "joint_review" in offered and not case.item.needs_parallel:
        offered.remove("joint_review")
    return offered


def _attach_errors(form, error: ValidationFailed) -> None:
    aliases = {
        "received_material_ids": "received",
        "material_ids": "supplied",
        "problem_category_id": "category",
        "to_unit": "to_unit",
    }
    for field, message in error.errors.items():
        target = getattr(form, aliases.get(field, field), None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors or []) + [str(message)]


class CaseView(ScopedModelView):
    datamodel = SQLAInterface(m.Case)
    list_title = _l("Cases")
    show_title = _l("Case")
    add_title = _l("New case")
    edit_title = _l("Edit case")
    show_template = "case/show.html"
    list_columns = [
        "number",
        "applicant",
        "item",
        "kind",
        "status",
        "handling_unit",
        "specialist",
        "due_date",
    ]
    show_columns = [
        "number",
        "applicant",
        "item",
        "kind",
        "help_types",
        "major_project",
        "needs",
        "status",
        "accepting_unit",
        "handling_unit",
        "specialist",
        "steward",
        "applied_at",
        "accepted_at",
        "submitted_at",
        "ended_at",
        "promised_days",
        "due_date",
        "due_provisional",
        "last_contact_at",
        "ack_voluntary",
        "ack_free",
        "ack_truthful",
        "process_explained",
        "applicant_signed",
    ]
    add_columns = [
        "applicant",
        "item",
        "kind",
        "major_project",
        "needs",
        "handling_unit",
        "specialist",
        "ack_voluntary",
        "ack_free",
        "ack_truthful",
    ]
    edit_columns = ["needs", "specialist", "steward", "major_project"]
    search_columns = ["number", "applicant", "item", "kind", "status", "handling_unit", "due_date"]
    base_order = ("applied_at", "desc")
    label_columns = CASE_LABELS
    formatters_columns = {
        "help_types": lambda v: ", ".join(str(HelpType(x).label) for x in (v or [])) or "—",
        **due_flags.FORMATTERS,
    }

    def pre_update(self, item):
        if not may_edit(item):
            raise IllegalTransition(_l("Only the handling unit can change this case."))
        super().pre_update(item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        case = load_case(pk)
        widgets = self._show(case.id)
        return self.render_template(
            self.show_template,
            pk=case.id,
            title=self.show_title,
            widgets=widgets,
            related_views=[],
            case=case,
            steps=offered_steps(case) if may_edit(case) else [],
            step_labels=STEP_BUTTONS,
            missing=lifecycle.missing_materials(case),
            overdue=_overdue_state(case),
            records=_records(case),
            can_edit=may_edit(case),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """The application form (帮办代办申请表) instead of FAB's generic add form."""
        form = forms.ApplyForm(request.form if request.method == "POST" else None)
        _prepare_apply(form)
        if request.method == "GET":
            item_id = request.args.get("item", type=int)
            if item_id:
                form.item.data = item_id
        if request.method == "POST" and form.validate():
            try:
                case = _apply_from_form(form)
                db.session.commit()
            except ValidationFailed as error:
                db.session.rollback()
                _attach_errors(form, error)
                flash(str(error), "danger")
            else:
                flash(_("Case %(number)s created.", number=case.number), "success")
                return redirect(url_for("CaseView.show", pk=case.id))
        return self.render_template("case/apply.html", form=form, title=self.add_title)

    @expose("/step/<pk>/<step>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def step(self, pk, step):
        case = load_case(pk)
        if step not in STEPS:
            abort(404)
        if not may_edit(case):
            flash(_("Only the handling unit can change this case."), "danger")
            return redirect(url_for("CaseView.show", pk=case.id))
        form = STEPS[step][1](request.form if request.method == "POST" else None)
        _prepare(step, form, case)
        if request.method == "GET":
            form.version.data = str(case.version_id)
        elif form.validate():
            try:
                if str(case.version_id) != (form.version.data or ""):
                    raise StaleRecord()
                _perform(step, form, case, g.user)
                db.session.commit()
            except ValidationFailed as error:
                db.session.rollback()
                _attach_errors(form, error)
                flash(str(error), "danger")
            except StaleDataError:
                db.session.rollback()
                flash(str(StaleRecord()), "danger")
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "danger")
            else:
                flash(_("Saved: %(step)s.", step=str(STEP_BUTTONS[step])), "success")
                return redirect(url_for("CaseView.show", pk=case.id))
            case = load_case(pk)
        return self.render_template(
            "case/step.html",
            form=form,
            case=case,
            step=step,
            title=STEP_BUTTONS[step],
            missing=lifecycle.missing_materials(case),
        )


STEP_BUTTONS = {
    "confirm": _l("Confirm the entrustment"),
    "submit": _l("Submit to the window"),
    "notice": _l("One-time notice of missing materials"),
    "supplement": _l("Materials supplied"),
    "update": _l("Progress update"),
    "contact": _l("Contact with applicant"),
    "fee_guidance": _l("Fee guidance"),
    "problem": _l("Problem met"),
    "transfer": _l("Transfer"),
    "assign": _l("Assign"),
    "extend": _l("Extend"),
    "joint_review": _l("Joint review"),
    "complete": _l("Complete with handover"),
    "terminate": _l("Terminate the entrustment"),
    "evaluate": _l("Record the evaluation"),
    "return_visit": _l("Return visit"),
}


def _overdue_state(case: m.Case) -> str:
    """'overdue', 'due_soon' (within 2 working days) or '' for the page's flag."""
    if not case.is_open or case.due_date is None:
        return ""
    today = clock.today()
    if case.due_date < today:
        return "overdue"
    from app.domain.calendar import load_calendar

    if load_calendar(db.session).working_days_between(today, case.due_date) <= 2:
        return "due_soon"
    return ""


def _records(case: m.Case) -> dict:
    def rows(model, order):
        return list(
            db.session.execute(
                sa.select(model).where(model.case_id == case.id).order_by(order)
            ).scalars()
        )

    return {
        "notices": rows(m.MaterialNotice, m.MaterialNotice.issued_at),
        "extensions": rows(m.Extension, m.Extension.at),
        "reviews": rows(m.JointReview, m.JointReview.scheduled_at),
        "handover": rows(m.Handover, m.Handover.at),
        "termination": rows(m.Termination, m.Termination.at),
        "evaluation": rows(m.Evaluation, m.Evaluation.at),
        "visits": rows(m.ReturnVisit, m.ReturnVisit.planned_on),
        "events": rows(m.CaseEvent, m.CaseEvent.at),
        "attachments": rows(m.Attachment, m.Attachment.uploaded_at),
    }


def _prepare_apply(form: forms.ApplyForm) -> None:
    from app import pickers

    scope = current_scope()
    # The picker searches every applicant in scope; only the chosen one is loaded here.
    chosen = pickers.applicant_in_scope(db.session, form.applicant.data, scope)
    if request.method == "GET" and chosen is None:
        chosen = pickers.applicant_in_scope(
            db.session, request.args.get("applicant", type=int), scope
        )
        form.applicant.data = chosen.id if chosen is not None else None
    form.applicant_label = pickers.applicant_label(chosen) if chosen is not None else ""
    form.new_applicant = pickers.QuickApplicantForm(formdata=None, prefix="new_applicant")
    form.item.choices = [
        (i.id, f"{i.code} {i.name}")
        for i in db.session.execute(
            sa.select(m.ServiceItem)
            .where(m.ServiceItem.active.is_(True))
            .order_by(m.ServiceItem.code)
        ).scalars()
    ]
    form.handling_unit.choices = [(u.id, u.name) for u in scoped_units()]
    form.specialist.choices = [(s.id, f"{s.name}（{s.unit.name}）") for s in scoped_specialists()]
    if request.method == "GET" and scope.unit_id:
        form.handling_unit.data = scope.unit_id
        mine = db.session.execute(
            sa.select(m.Specialist.id).where(m.Specialist.user_id == g.user.id)
        ).scalar_one_or_none()
        form.specialist.data = mine


def _apply_from_form(form: forms.ApplyForm) -> m.Case:
    from app import pickers

    s = db.session
    kind = ServiceKind(form.kind.data)
    return lifecycle.apply(
        s,
        g.user,
        applicant=pickers.applicant_in_scope(s, form.applicant.data),
        item=s.get(m.ServiceItem, form.item.data),
        kind=kind,
        help_types=[] if kind == ServiceKind.PROXY else list(form.help_types.data or []),
        major_project=form.major_project.data,
        needs=form.needs.data.strip(),
        handling_unit=s.get(m.OrgUnit, form.handling_unit.data),
        specialist=s.get(m.Specialist, form.specialist.data),
        ack_voluntary=form.ack_voluntary.data,
        ack_free=form.ack_free.data,
        ack_truthful=form.ack_truthful.data,
    )
