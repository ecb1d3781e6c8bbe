"""The step registry: every step of a case declared once.

Each entry names the step (the same name on the page, ``/caseview/step/<pk>/<name>``, and in the
API, ``POST /api/v1/case/<pk>/<name>``), its label (``lifecycle.STEP_LABELS``, the one label
table), its page form and its body schema (the same field names), when it is offered beyond the
status rule of the lifecycle, the choices its related fields may take (units, specialists,
materials... inside the caller's scope), what it may upload, and the lifecycle call that does it.
app/cases/service.py runs any of them the same way for every surface.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app import uploads
from app.archive import bundle as archive_bundle
from app.archive import forms as archive_forms
from app.archive import schemas as archive_sch
from app.cases import access, forms
from app.cases import schemas as sch
from app.domain import archiving, attachments, chaseups, clock, lifecycle, projects, visits
from app.extensions import db
from app.projects import forms as project_forms
from app.projects import schemas as project_sch
from app.visits import forms as visit_forms
from app.visits import schemas as visit_sch

Choices = Callable[[m.Case], list[tuple[int, str]]]


@dataclass
class StepContext:
    """What a step's call receives: the locked case, the caller and the loaded body."""

    session: Session
    case: m.Case
    actor: object
    data: dict
    files: dict = field(default_factory=dict)
    choices: dict[str, dict[int, object]] = field(default_factory=dict)

    @property
    def note(self) -> str:
        return (self.data.get("note") or "").strip()

    def row(self, model, key: str):
        value = self.data.get(key)
        return self.session.get(model, value) if value else None


@dataclass(frozen=True)
class Step:
    name: str
    form: type
    schema: type
    run: Callable[[StepContext], object]
    # field → the (id, label) pairs the caller may choose for this case
    choices: dict[str, Choices] = field(default_factory=dict)
    # an extra condition beyond the lifecycle's status rule (e.g. the item needs parallel approval)
    offered_if: Callable[[m.Case], bool] | None = None
    # file fields the step accepts (multipart on the API)
    uploads: tuple[str, ...] = ()
    # roles that may take the step (None: any role holding the step permission)
    roles: frozenset[str] | None = None
    # only the handling side takes it (False: the lifecycle call decides who may, e.g. voiding
    # by a manager of the accepting unit)
    handling_side_only: bool = True

    @property
    def label(self):
        return lifecycle.STEP_LABELS[self.name]


# ---------------------------------------------------------------- choices


def _materials(case: m.Case):
    return [(mat.id, mat.name) for mat in case.item.materials]


def _missing(case: m.Case):
    return [(mat.id, mat.name) for mat in lifecycle.missing_materials(case)]


def _categories(_case: m.Case):
    rows = db.session.execute(sa.select(m.ProblemCategory).order_by(m.ProblemCategory.code))
    return [(c.id, c.name) for c in rows.scalars()]


def _open_problems(case: m.Case):
    return [
        (event.id, f"{clock.local_date(event.at):%Y-%m-%d} {event.note[:60]}")
        for event in lifecycle.open_problems(db.session, case)
    ]


def _transfer_units(case: m.Case):
    return [
        (u.id, u.name)
        for u in access.scoped_units(include_ancestors_of=case.handling_unit)
        if u.id != case.handling_unit_id
    ]


def _lead_units(case: m.Case):
    return [(u.id, u.name) for u in access.scoped_units(include_ancestors_of=case.handling_unit)]


def _specialists(case: m.Case):
    return [
        (s.id, f"{s.name}（{s.unit.name}）") for s in access.scoped_specialists(case.handling_unit)
    ]


# The case page's records (app/cases/views.py ``_records``), while it asks which steps are
# offered: the steps' conditions read them instead of querying the same rows again.
_PAGE_ROWS: ContextVar[tuple[int, dict] | None] = ContextVar("case_page_rows", default=None)


@contextmanager
def rows_read(case: m.Case, records: dict) -> Iterator[None]:
    """Within the block, the conditions of ``case``'s steps use ``records`` (rows by kind)."""
    token = _PAGE_ROWS.set((case.id, records))
    try:
        yield
    finally:
        _PAGE_ROWS.reset(token)


def _read(case: m.Case, name: str) -> list | None:
    known = _PAGE_ROWS.get()
    if known is None or known[0] != case.id:
        return None
    return known[1].get(name)


def _has_open_problems(case: m.Case) -> bool:
    return bool(lifecycle.open_problems(db.session, case, events=_read(case, "events")))


def _has_live_attachments(case: m.Case) -> bool:
    known = _read(case, "attachments")
    if known is None:
        return bool(_live_attachments(case))
    return any(a.voided_at is None for a in known)


def _evaluation_open(case: m.Case) -> bool:
    known = _read(case, "evaluation")
    given = None if known is None else {e.stage for e in known}
    return bool(lifecycle.evaluation_stages_open(db.session, case, given=given))


def _chase_up_waiting(case: m.Case) -> bool:
    known = _read(case, "chase_ups")
    if known is None:
        return bool(chaseups.open_chase_ups(db.session, case))
    return any(c.responded_at is None for c in known)


def _live_attachments(case: m.Case):
    rows = db.session.execute(
        sa.select(m.Attachment)
        .where(m.Attachment.case_id == case.id, m.Attachment.voided_at.is_(None))
        .order_by(m.Attachment.uploaded_at, m.Attachment.id)
    ).scalars()
    return [(a.id, f"{a.kind.label} · {a.original_name}") for a in rows]


def _departments(_case: m.Case):
    rows = db.session.execute(
        sa.select(m.Department).where(m.Department.active.is_(True)).order_by(m.Department.code)
    )
    return [(d.id, d.name) for d in rows.scalars()]


def _open_visits(case: m.Case):
    return [
        (v.id, f"{clock.local_time(v.planned_at):%Y-%m-%d %H:%M} {v.address[:40]}")
        for v in visits.open_visits(db.session, case)
    ]


def _liaisons(case: m.Case):
    return [
        (li.id, f"{li.department.name} · {li.person}") for li in projects.liaisons(db.session, case)
    ]


def _issue_departments(case: m.Case):
    return [("", "—"), *_departments(case)]


def _open_issues(case: m.Case):
    return [(i.id, i.title[:60]) for i in projects.open_issues(db.session, case)]


# ---------------------------------------------------------------- the calls


def _confirm(c: StepContext):
    d = c.data
    return lifecycle.confirm(
        c.session,
        c.case,
        c.actor,
        process_explained=d["process_explained"],
        applicant_signed=d["applicant_signed"],
        received_material_ids=d["received"],
        note=c.note,
    )


def _submit(c: StepContext):
    return lifecycle.submit(c.session, c.case, c.actor, note=c.note)


def _notify_missing(c: StepContext):
    d = c.data
    return lifecycle.notify_missing(
        c.session,
        c.case,
        c.actor,
        deadline=d["deadline"],
        repeat_reason=(d["repeat_reason"] or "").strip(),
        note=c.note,
    )


def _supplement(c: StepContext):
    return lifecycle.supplement(
        c.session, c.case, c.actor, material_ids=c.data["supplied"], note=c.note
    )


def _record(kind: str):
    def run(c: StepContext):
        extra = {}
        if kind == "contact":
            extra["channel"] = c.data["channel"]
        elif kind == "fee_guidance":
            extra["data"] = {"payee": c.data["payee"].strip(), "amount": str(c.data["amount"])}
        elif kind == "problem":
            extra["problem_category_id"] = c.data["category"]
        return lifecycle.record(c.session, c.case, c.actor, kind, note=c.note, **extra)

    return run


def _resolve_problem(c: StepContext):
    return lifecycle.resolve_problem(
        c.session, c.case, c.actor, problem=c.row(m.CaseEvent, "problem"), note=c.note
    )


def _transfer(c: StepContext):
    return lifecycle.transfer(
        c.session, c.case, c.actor, to_unit=c.row(m.OrgUnit, "to_unit"), note=c.note
    )


def _assign(c: StepContext):
    return lifecycle.assign(
        c.session, c.case, c.actor, specialist=c.row(m.Specialist, "specialist"), note=c.note
    )


def _steward(c: StepContext):
    return lifecycle.set_steward(
        c.session, c.case, c.actor, steward=c.row(m.Specialist, "steward"), note=c.note
    )


def _extend(c: StepContext):
    d = c.data
    return lifecycle.extend(
        c.session,
        c.case,
        c.actor,
        extra_days=d["extra_days"],
        reason=d["reason"],
        explained_to_applicant=d["explained_to_applicant"],
    )


def _joint_review(c: StepContext):
    d = c.data
    scheduled: dt.datetime = d["scheduled_at"]
    if scheduled.tzinfo is None:
        scheduled = scheduled.replace(tzinfo=clock.TZ)
    return lifecycle.schedule_joint_review(
        c.session,
        c.case,
        c.actor,
        lead_unit=c.row(m.OrgUnit, "lead_unit"),
        scheduled_at=scheduled,
        departments=[c.session.get(m.Department, i) for i in d["departments"]],
        location=(d["location"] or "").strip(),
    )


def _complete(c: StepContext):
    d = c.data
    handover = lifecycle.complete(
        c.session,
        c.case,
        c.actor,
        results=d["results"],
        materials_returned=d["materials_returned"] or "",
        signed_by=d["signed_by"],
    )
    receipt = c.files.get("receipt")
    if receipt is not None and receipt.filename:
        attachment = uploads.store(c.session, receipt, c.case, c.actor)
        handover.receipt_file = attachment.stored_name
        attachments.attached(c.session, c.case, c.actor, attachment)
    return handover


def _attach(c: StepContext):
    attachment = uploads.store(
        c.session,
        c.files.get("file"),
        c.case,
        c.actor,
        "file",
        kind=c.data["kind"],
        note=c.note,
    )
    return attachments.attach(c.session, c.case, c.actor, attachment)


def _void_attachment(c: StepContext):
    return attachments.void_attachment(
        c.session,
        c.case,
        c.actor,
        attachment=c.row(m.Attachment, "attachment"),
        reason=c.data["reason"],
    )


def _terminate(c: StepContext):
    d = c.data
    return lifecycle.terminate(
        c.session,
        c.case,
        c.actor,
        reason_type=d["reason_type"],
        reason=d["reason"],
        materials_returned=d["materials_returned"] or "",
        applicant_signed=d["applicant_signed"],
        specialist_signed=d["specialist_signed"],
    )


def _suspend(c: StepContext):
    d = c.data
    return lifecycle.suspend(
        c.session, c.case, c.actor, reason_type=d["reason_type"], reason=d["reason"]
    )


def _resume(c: StepContext):
    d = c.data
    suspension = lifecycle.resume(
        c.session,
        c.case,
        c.actor,
        renewal_signed=d["renewal_signed"],
        signed_by=d["signed_by"],
        note=c.note,
    )
    scan = c.files.get("renewal")
    if scan is not None and scan.filename:
        suspension.renewal_file = uploads.store(
            c.session, scan, c.case, c.actor, field="renewal"
        ).stored_name
    return suspension


def _evaluate(c: StepContext):
    d = c.data
    return lifecycle.evaluate(
        c.session,
        c.case,
        c.actor,
        rating=d["rating"],
        channel=d["channel"],
        comments=d["comments"],
        stage=d["stage"],
    )


def _void(c: StepContext):
    return lifecycle.void(c.session, c.case, c.actor, reason=c.data["reason"])


def _return_visit(c: StepContext):
    d = c.data
    return lifecycle.plan_return_visit(
        c.session,
        c.case,
        c.actor,
        planned_on=d["planned_on"],
        done_on=d["done_on"],
        channel=d["channel"],
        notes=d["notes"],
    )


def _archive(c: StepContext):
    return archiving.archive(
        c.session,
        c.case,
        c.actor,
        bundle=archive_bundle.maker(c.session, c.case),
        note=c.note,
    )


def _open_chase_ups(case: m.Case):
    return [
        (c.id, f"{c.respond_by:%Y-%m-%d} {c.request[:60]}")
        for c in chaseups.open_chase_ups(db.session, case)
    ]


def _chase_up(c: StepContext):
    d = c.data
    return chaseups.chase_up(
        c.session,
        c.case,
        c.actor,
        request=d["request"],
        respond_by=d["respond_by"],
        hotline_ticket=d["hotline_ticket"],
    )


def _chase_up_reply(c: StepContext):
    return chaseups.reply(
        c.session,
        c.case,
        c.actor,
        chase=c.row(m.ChaseUp, "chase_up"),
        response=c.data["response"],
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=clock.TZ)
    return value


def _plan_home_visit(c: StepContext):
    d = c.data
    return visits.plan(
        c.session,
        c.case,
        c.actor,
        planned_at=_aware(d["planned_at"]),
        address=d["address"],
        staff=[c.session.get(m.Specialist, i) for i in d["staff"]],
        purpose=d["purpose"],
        note=c.note,
    )


def _record_home_visit(c: StepContext):
    d = c.data
    return visits.record(
        c.session,
        c.case,
        c.actor,
        visit=c.row(m.HomeVisit, "visit"),
        done_at=_aware(d["done_at"]),
        outcome=d["outcome"],
        note=c.note,
    )


def _project_contact(c: StepContext):
    d = c.data
    return projects.set_contact(
        c.session,
        c.case,
        c.actor,
        contact_name=d["contact_name"],
        contact_phone=d["contact_phone"],
        note=c.note,
    )


def _add_liaison(c: StepContext):
    d = c.data
    return projects.add_liaison(
        c.session,
        c.case,
        c.actor,
        department=c.row(m.Department, "department"),
        person=d["person"],
        phone=d["phone"],
        note=c.note,
    )


def _remove_liaison(c: StepContext):
    return projects.remove_liaison(
        c.session, c.case, c.actor, liaison=c.row(m.ProjectLiaison, "liaison"), note=c.note
    )


def _project_log(c: StepContext):
    return projects.log(
        c.session, c.case, c.actor, on=c.data["on"], text=c.data["text"], note=c.note
    )


def _raise_issue(c: StepContext):
    d = c.data
    return projects.raise_issue(
        c.session,
        c.case,
        c.actor,
        title=d["title"],
        department=c.row(m.Department, "department"),
        due_on=d["due_on"],
        note=c.note,
    )


def _solve_issue(c: StepContext):
    return projects.solve_issue(
        c.session,
        c.case,
        c.actor,
        issue=c.row(m.ProjectIssue, "issue"),
        solution=c.data["solution"],
        note=c.note,
    )


def _major(case: m.Case) -> bool:
    return bool(case.major_project)


# ---------------------------------------------------------------- the registry


def _steps(*steps: Step) -> dict[str, Step]:
    return {step.name: step for step in steps}


STEPS: dict[str, Step] = _steps(
    Step("confirm", forms.ConfirmForm, sch.ConfirmSchema, _confirm, {"received": _materials}),
    Step("submit", forms.SubmitForm, sch.SubmitSchema, _submit),
    Step("notify_missing", forms.NoticeForm, sch.NotifyMissingSchema, _notify_missing),
    Step(
        "supplement",
        forms.SupplementForm,
        sch.SupplementSchema,
        _supplement,
        {"supplied": _missing},
    ),
    Step("update", forms.UpdateForm, sch.UpdateSchema, _record("update")),
    Step("contact", forms.ContactForm, sch.ContactSchema, _record("contact")),
    Step("fee_guidance", forms.FeeGuidanceForm, sch.FeeGuidanceSchema, _record("fee_guidance")),
    Step(
        "problem",
        forms.ProblemForm,
        sch.ProblemSchema,
        _record("problem"),
        {"category": _categories},
    ),
    Step(
        "resolve_problem",
        forms.ResolveProblemForm,
        sch.ResolveProblemSchema,
        _resolve_problem,
        {"problem": _open_problems},
        offered_if=_has_open_problems,
    ),
    Step(
        "transfer",
        forms.TransferForm,
        sch.TransferSchema,
        _transfer,
        {"to_unit": _transfer_units},
    ),
    Step("assign", forms.AssignForm, sch.AssignSchema, _assign, {"specialist": _specialists}),
    Step(
        "steward",
        forms.StewardForm,
        sch.StewardSchema,
        _steward,
        {"steward": _specialists},
        offered_if=lambda case: bool(case.major_project),
    ),
    Step("extend", forms.ExtendForm, sch.ExtendSchema, _extend),
    Step(
        "joint_review",
        forms.JointReviewForm,
        sch.JointReviewSchema,
        _joint_review,
        {"lead_unit": _lead_units, "departments": _departments},
        offered_if=lambda case: bool(case.item.needs_parallel),
    ),
    Step(
        "complete",
        forms.CompleteForm,
        sch.CompleteSchema,
        _complete,
        uploads=("receipt",),
    ),
    Step("suspend", forms.SuspendForm, sch.SuspendSchema, _suspend),
    Step("resume", forms.ResumeForm, sch.ResumeSchema, _resume, uploads=("renewal",)),
    Step("terminate", forms.TerminateForm, sch.TerminateSchema, _terminate),
    Step("attach", forms.AttachForm, sch.AttachSchema, _attach, uploads=("file",)),
    Step(
        "void_attachment",
        forms.VoidAttachmentForm,
        sch.VoidAttachmentSchema,
        _void_attachment,
        {"attachment": _live_attachments},
        offered_if=_has_live_attachments,
    ),
    Step(
        "evaluate",
        forms.EvaluateForm,
        sch.EvaluateSchema,
        _evaluate,
        offered_if=_evaluation_open,
    ),
    Step("return_visit", forms.ReturnVisitForm, sch.ReturnVisitSchema, _return_visit),
    Step(
        "chase_up",
        forms.ChaseUpForm,
        sch.ChaseUpSchema,
        _chase_up,
        roles=frozenset({"Manager", "Admin"}),
    ),
    Step(
        "chase_up_reply",
        forms.ChaseUpReplyForm,
        sch.ChaseUpReplySchema,
        _chase_up_reply,
        {"chase_up": _open_chase_ups},
        offered_if=_chase_up_waiting,
    ),
    Step(
        "plan_home_visit",
        visit_forms.PlanHomeVisitForm,
        visit_sch.PlanHomeVisitSchema,
        _plan_home_visit,
        {"staff": _specialists},
        offered_if=visits.is_home_visit,
    ),
    Step(
        "record_home_visit",
        visit_forms.RecordHomeVisitForm,
        visit_sch.RecordHomeVisitSchema,
        _record_home_visit,
        {"visit": _open_visits},
        offered_if=lambda case: visits.is_home_visit(case) and bool(_open_visits(case)),
    ),
    Step(
        "project_contact",
        project_forms.ProjectContactForm,
        project_sch.ProjectContactSchema,
        _project_contact,
        offered_if=_major,
    ),
    Step(
        "add_liaison",
        project_forms.AddLiaisonForm,
        project_sch.AddLiaisonSchema,
        _add_liaison,
        {"department": _departments},
        offered_if=_major,
    ),
    Step(
        "remove_liaison",
        project_forms.RemoveLiaisonForm,
        project_sch.RemoveLiaisonSchema,
        _remove_liaison,
        {"liaison": _liaisons},
        offered_if=lambda case: _major(case) and bool(_liaisons(case)),
    ),
    Step(
        "project_log",
        project_forms.ProjectLogForm,
        project_sch.ProjectLogSchema,
        _project_log,
        offered_if=_major,
    ),
    Step(
        "raise_issue",
        project_forms.RaiseIssueForm,
        project_sch.RaiseIssueSchema,
        _raise_issue,
        {"department": _issue_departments},
        offered_if=_major,
    ),
    Step(
        "solve_issue",
        project_forms.SolveIssueForm,
        project_sch.SolveIssueSchema,
        _solve_issue,
        {"issue": _open_issues},
        offered_if=lambda case: _major(case) and bool(_open_issues(case)),
    ),
    Step("archive", archive_forms.ArchiveForm, archive_sch.ArchiveSchema, _archive),
    Step(
        "void",
        forms.VoidForm,
        sch.VoidSchema,
        _void,
        roles=frozenset({"Manager", "Admin"}),
        handling_side_only=False,
    ),
)

# Lifecycle error keys → the steps' field names.
FIELD_ALIASES = {
    "received_material_ids": "received",
    "material_ids": "supplied",
    "problem_category_id": "category",
}


def is_offered(case: m.Case, step: Step, allowed: set[str] | None = None) -> bool:
    """Whether the case's status (and the step's own condition) offers ``step`` now."""
    allowed = set(lifecycle.allowed_steps(case)) if allowed is None else allowed
    if step.name not in allowed:
        return False
    return step.offered_if is None or bool(step.offered_if(case))


def offered(case: m.Case, roles: set[str] | None = None) -> list[str]:
    """The steps offered now (for a caller with ``roles``), in the registry's order."""
    allowed = set(lifecycle.allowed_steps(case))
    return [
        name
        for name, step in STEPS.items()
        if is_offered(case, step, allowed)
        and (step.roles is None or roles is None or bool(step.roles & roles))
    ]
