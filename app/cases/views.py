"""The case's page: its status, due date, records and timeline, and a button and form per step.

Every step calls app/domain/lifecycle.py and commits once. A refused step flashes its reason in
the user's language and keeps what they typed; so does a save over someone else's newer change.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields as mfields

from app import models as m
from app import pickers, reference
from app.archive import views as archive_pages
from app.cases import access, bulk, forms, service
from app.cases.access import may_edit, scoped_specialists, scoped_units
from app.cases.steps import FIELD_ALIASES, STEPS, offered, rows_read
from app.domain import clock, lifecycle
from app.domain.errors import DomainError, ValidationFailed
from app.domain.status import CaseStatus
from app.enums import AttachmentKind, CaseChannel, HelpType, ServiceKind
from app.extensions import db
from app.projects import pages as project_pages
from app.reminders import flags as due_flags
from app.roles import held_role_names
from app.scope import current_scope
from app.unit_of_work import unit_of_work
from app.viewbase import ScopedModelView
from app.visits import pages as visit_pages

# The permission of bulk reassignment (app/roles.py grants it to managers).
REASSIGN = "reassign"

CASE_LABELS = {
    "number": _l("Case number"),
    "applicant": _l("Applicant"),
    "help_types": _l("Help given"),
    "major_project": _l("Major investment project"),
    "needs": _l("Applicant's needs"),
    "accepting_unit": _l("Accepting unit"),
    "handling_unit": _l("Handling unit"),
    "steward": _l("Project steward"),
    "channel": _l("Service channel"),
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
    "hotline_ticket": _l("12345 ticket number"),
}


# ---------------------------------------------------------------- the steps on the page


def load_case(pk, eager=()) -> m.Case:
    """The case if the user may see it; 404 otherwise (exactly as for a missing id).
    ``eager``: loader options for what the caller reads of it (in the same statement)."""
    case = access.case_in_scope(pk, eager=eager)
    if case is None:
        abort(404)
    return case


def form_payload(form, schema) -> dict:
    """A step form's values as the step's schema reads them (the API's body, field for field)."""
    payload = {}
    for name, field in schema._declared_fields.items():
        if name == "version" or not hasattr(form, name):
            continue
        value = getattr(form, name).data
        if isinstance(field, mfields.Boolean):
            payload[name] = bool(value)
        elif isinstance(field, mfields.List):
            payload[name] = list(value or [])
        elif isinstance(field, mfields.String):
            payload[name] = value or ""
        elif value in (None, ""):
            continue  # left out: the schema's default, or "required" in the user's language
        elif isinstance(field, (mfields.Date, mfields.DateTime)):
            payload[name] = value.isoformat()
        elif isinstance(field, mfields.Decimal):
            payload[name] = str(value)
        else:
            payload[name] = value
    version = getattr(form, "version", None)
    if version is not None and (version.data or "").strip().isdigit():
        payload["version"] = int(version.data)
    return payload


def _prepare(spec, form, case: m.Case) -> None:
    """Fill the choices a step's form offers for this case, and the defaults of a new form."""
    for name, choices in spec.choices.items():
        getattr(form, name).choices = choices(case)
    if request.method == "GET":
        if spec.name == "notify_missing":
            form.deadline.data = forms.default_deadline()
        elif spec.name == "return_visit":
            form.planned_on.data = clock.today()
        elif spec.name == "complete":
            form.signed_by.data = case.applicant.name
        elif spec.name == "plan_home_visit":
            form.address.data = case.applicant.address or ""
            form.staff.data = [case.specialist_id] if case.specialist_id else []
        elif spec.name == "record_home_visit":
            form.done_at.data = clock.now().replace(second=0, microsecond=0, tzinfo=None)
        elif spec.name == "joint_review":
            form.departments.data = [d.id for d in case.item.parallel_departments]
        elif (
            spec.name == "attach" and request.args.get("kind") in AttachmentKind._value2member_map_
        ):
            form.kind.data = request.args["kind"]


def _attach_errors(form, error: ValidationFailed) -> None:
    for field, message in error.errors.items():
        target = getattr(form, FIELD_ALIASES.get(field, field), None)
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
        "hotline_ticket",
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
    # Free fields only: status, specialist, steward, units and dates change through steps.
    edit_columns = ["needs", "hotline_ticket"]
    validators_columns = {"hotline_ticket": [forms.HotlineTicketValidator()]}
    search_columns = [
        "number",
        "hotline_ticket",
        "applicant",
        "item",
        "kind",
        "status",
        "handling_unit",
        "due_date",
    ]
    base_order = ("applied_at", "desc")
    label_columns = CASE_LABELS
    formatters_columns = {
        "help_types": lambda v: ", ".join(str(HelpType(x).label) for x in (v or [])) or "—",
        **due_flags.FORMATTERS,
    }

    def pre_update(self, item):
        if not may_edit(item):
            raise service.NotHandlingSide()
        lifecycle.refuse_if_archived(item, "edit")  # an archived case is read-only
        super().pre_update(item)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        case = load_case(pk, eager=_page_relations())
        # The view's own narrowing on top of the scope (My cases: one's own cases only); the
        # scope filter every view has (app/viewbase.py) was applied by load_case already.
        if type(self).base_filters and self.datamodel.get(case.id, self._base_filters) is None:
            abort(404)
        records, any_home_visit = _records(case)
        with rows_read(case, records):  # the steps' conditions read these rows
            steps = [
                name
                for name in offered(case, held_role_names(g.user))
                if may_edit(case) or not STEPS[name].handling_side_only
            ]
        return self.render_template(
            self.show_template,
            pk=case.id,
            title=self.show_title,
            related_views=[],
            case=case,
            steps=steps,
            step_labels=lifecycle.STEP_LABELS,
            missing=lifecycle.missing_materials(case),
            overdue=_overdue_state(case),
            records=records,
            files={a.id: a for a in records["attachments"]},  # the timeline's links to them
            home_visits=visit_pages.section(case, any_home_visit),
            project=project_pages.section(case),
            casefile=archive_pages.section(case, records),
            can_edit=may_edit(case),
            attachment_kinds=list(AttachmentKind),
        )

    # -- bulk reassignment (managers): tick cases in the list, choose the specialist ------

    def _may_reassign(self) -> bool:
        return self.appbuilder.sm.has_access(REASSIGN, self.class_permission_name)

    @action(REASSIGN, _l("Reassign to a specialist"), None, "fa-user", multiple=True, single=False)
    def reassign_action(self, items):
        """The ticked cases (re-read in scope by the base's action_post): choose the specialist."""
        items = items if isinstance(items, list) else [items]
        ids = bulk.case_ids(getattr(item, "id", "") for item in items if item is not None)
        return self._reassign_page(ids)

    def _reassign_page(self, ids, outcomes=None, specialist_id=None, note=""):
        cases = [c for c in (access.case_in_scope(pk) for pk in ids) if c is not None]
        return self.render_template(
            "case/reassign.html",
            title=_("Reassign cases"),
            cases=cases,
            specialists=bulk.specialist_choices(),
            specialist_id=specialist_id,
            note=note,
            outcomes=outcomes,
            limit=bulk.MAX_CASES,
        )

    @expose("/reassign", methods=["POST"])
    def reassign(self):
        """Run the reassignment: one "assign" step per case, each reported."""
        if not self._may_reassign():
            abort(403)
        ids = bulk.case_ids(request.form.getlist("case"))
        note = (request.form.get("note") or "").strip()[:2000]
        raw = (request.form.get("specialist") or "").strip()
        specialist_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
        if not ids:
            flash(_("Tick the cases to reassign in the list first."), "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        if specialist_id is None:
            flash(_("Choose the specialist to reassign the cases to."), "danger")
            return self._reassign_page(ids, note=note), 422
        outcomes = bulk.reassign(ids, specialist_id, g.user, note=note)
        changed = sum(1 for o in outcomes if o.done and not o.unchanged)
        refused = sum(1 for o in outcomes if not o.done)
        if changed:
            flash(_("%(count)s cases reassigned.", count=changed), "success")
        if refused:
            flash(
                _(
                    "%(count)s cases were not reassigned; the reason is shown for each.",
                    count=refused,
                ),
                "danger",
            )
        return self._reassign_page(ids, outcomes, specialist_id, note)

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
                with unit_of_work(db.session):
                    case = _apply_from_form(form)
            except ValidationFailed as error:
                _attach_errors(form, error)
                flash(str(error), "danger")
            except DomainError as error:
                flash(str(error), "danger")
            else:
                flash(_("Case %(number)s created.", number=case.number), "success")
                return redirect(url_for("CaseView.show", pk=case.id))
        return self.render_template("case/apply.html", form=form, title=self.add_title)

    @expose("/step/<pk>/<step>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def step(self, pk, step):
        """One step's form; saving it runs the step service (app/cases/service.py)."""
        spec = STEPS.get(step)
        if spec is None:
            abort(404)
        case = load_case(pk)
        if spec.handling_side_only and not may_edit(case):
            flash(_("Only the handling unit can change this case."), "danger")
            return redirect(url_for("CaseView.show", pk=case.id))
        refused = service.refusal(case, step, g.user)
        if refused is not None and request.method == "GET":
            flash(str(refused), "danger")
            return redirect(url_for("CaseView.show", pk=case.id))
        form = spec.form(request.form if request.method == "POST" else None)
        _prepare(spec, form, case)
        if request.method == "GET":
            form.version.data = str(case.version_id)
        elif form.validate():
            try:
                service.run_step(
                    step, case.id, form_payload(form, spec.schema), g.user, files=request.files
                )
            except ValidationFailed as error:
                _attach_errors(form, error)
                flash(str(error), "danger")
            except DomainError as error:
                flash(str(error), "danger")
            else:
                flash(_("Saved: %(step)s.", step=str(spec.label)), "success")
                return redirect(url_for("CaseView.show", pk=case.id))
            case = load_case(pk)
        return self.render_template(
            "case/step.html",
            form=form,
            case=case,
            step=step,
            title=spec.label,
            missing=lifecycle.missing_materials(case),
        )


def _overdue_state(case: m.Case) -> str:
    """'overdue', 'due_soon' (within 2 working days) or '' for the page's flag."""
    if not case.is_open or case.due_date is None or case.status == CaseStatus.SUSPENDED:
        return ""
    today = clock.today()
    if case.due_date < today:
        return "overdue"

    if reference.calendar().working_days_between(today, case.due_date) <= 2:
        return "due_soon"
    return ""


def _page_relations() -> tuple:
    """What the case page shows of the case's own relations, read with the case in one
    statement: the applicant, the item and its required materials, the units, the specialist
    and the steward, the case file (案卷) if any."""
    join = sa.orm.joinedload
    return (
        join(m.Case.applicant),
        join(m.Case.item).joinedload(m.ServiceItem.materials),
        join(m.Case.accepting_unit),
        join(m.Case.handling_unit),
        join(m.Case.specialist),
        join(m.Case.steward),
        join(m.Case.archive),
    )


# What the case page lists, by kind: model, order, the relations it shows of each row (a
# many-to-one read in the same statement, a collection in one more for all the rows: never a
# statement per row).
RECORDS = {
    "notices": (m.MaterialNotice, m.MaterialNotice.issued_at, ()),
    "extensions": (m.Extension, m.Extension.at, ()),
    "reviews": (m.JointReview, m.JointReview.scheduled_at, ("lead_unit", "departments")),
    "handover": (m.Handover, m.Handover.at, ()),
    "termination": (m.Termination, m.Termination.at, ()),
    "suspensions": (m.Suspension, m.Suspension.suspended_at, ()),
    "evaluation": (m.Evaluation, m.Evaluation.at, ()),
    "visits": (m.ReturnVisit, m.ReturnVisit.planned_on, ()),
    "events": (m.CaseEvent, m.CaseEvent.at, ("actor", "problem_category")),
    "attachments": (m.Attachment, m.Attachment.uploaded_at, ("uploaded_by", "voided_by")),
    "chase_ups": (m.ChaseUp, m.ChaseUp.requested_at, ("requested_by",)),
}


def _loader(relation):
    if relation.property.uselist:
        return sa.orm.selectinload(relation)
    return sa.orm.joinedload(relation)


def _records(case: m.Case) -> tuple[dict, bool]:
    """The case's records by kind, and whether it has home visits: one statement asks which
    kinds the case has (most have a few of the eleven), then one statement per kind it has."""
    present = db.session.execute(
        sa.select(
            *(
                sa.exists().where(model.case_id == case.id).label(name)
                for name, (model, _order, _eager) in RECORDS.items()
            ),
            sa.exists().where(m.HomeVisit.case_id == case.id).label("home_visits"),
        )
    ).one()
    records = {}
    for name, (model, order, eager) in RECORDS.items():
        if not getattr(present, name):
            records[name] = []
            continue
        query = sa.select(model).where(model.case_id == case.id).order_by(order)
        if eager:
            query = query.options(*(_loader(getattr(model, rel)) for rel in eager))
        records[name] = list(db.session.execute(query).scalars())
    return records, present.home_visits


def _prepare_apply(form: forms.ApplyForm) -> None:
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
    s = db.session
    kind = ServiceKind(form.kind.data)
    return lifecycle.apply(
        s,
        g.user,
        applicant=pickers.applicant_in_scope(s, form.applicant.data),
        item=s.get(m.ServiceItem, form.item.data),
        kind=kind,
        channel=CaseChannel(form.channel.data or CaseChannel.HALL),
        help_types=[] if kind == ServiceKind.PROXY else list(form.help_types.data or []),
        major_project=form.major_project.data,
        needs=form.needs.data.strip(),
        handling_unit=s.get(m.OrgUnit, form.handling_unit.data),
        specialist=s.get(m.Specialist, form.specialist.data),
        ack_voluntary=form.ack_voluntary.data,
        ack_free=form.ack_free.data,
        ack_truthful=form.ack_truthful.data,
        hotline_ticket=form.hotline_ticket.data,
    )
