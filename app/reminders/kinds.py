"""One function per kind of reminder: what is due at the sweep's moment, derived from the tables.

Each function reads only what is due (an index range: see app/reminders/models.py) and returns
``Due`` items: a de-duplication key made of (kind, subject row, due slot), the people to tell,
and a message rendered only if the reminder is new. Nothing here writes; the sweep does.
The slot decides how often a reminder may come back: once per due date, once per day while
overdue, once per period of silence, once per month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from app import models as m
from app import settings
from app.appointments.reminders import appointment_tomorrow
from app.domain import clock
from app.domain.calendar import load_calendar
from app.domain.status import CaseStatus
from app.domain.workdays import WorkCalendar
from app.enums import EvaluationStage, RectificationState, ReviewDecision, ServiceKind, Tier
from app.ledger.figures import headline, period_figures
from app.reminders.models import RUNNING_SQL
from app.reminders.recipients import Directory, Person, unique
from app.scope import Scope

S = CaseStatus
# Cases whose promised clock runs, as literal SQL: PostgreSQL then matches the partial index
# ix_case_running_due in any plan (a bound parameter would hide the predicate).
RUNNING_CLAUSE = sa.text(f"service_case.{RUNNING_SQL}")
# Open cases, in the words of the partial index ix_case_open_last_contact.
PROGRESS_CLAUSE = sa.text(
    "service_case.status IN ('applied', 'accepted', 'in_progress', 'awaiting_materials') "
    "AND service_case.ended_at IS NULL"
)


@dataclass
class Context:
    """What every kind needs: the moment, the calendar, the settings, the recipients."""

    session: Session
    now: dt.datetime
    directory: Directory
    _calendar: WorkCalendar | None = None

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(clock.TZ).date()

    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.session)
        return self._calendar

    def setting(self, key: str):
        return settings.get(key, self.session)

    def catch_up_from(self) -> dt.date:
        return self.today - dt.timedelta(days=self.setting("reminders.catch_up_days"))


@dataclass
class Due:
    """One reminder: its key (kind:subject:slot), recipients and lazily rendered message."""

    kind: str
    key: str
    people: list[Person]
    render: Callable[[], tuple[str, str]]
    case: m.Case | None = None
    extra: dict = field(default_factory=dict)


def _case_loads(path=None) -> list:
    """Load a case's specialist (and log-in), handling unit and item with the rows."""
    start = selectinload(path) if path is not None else None

    def chain(attr):
        return start.selectinload(attr) if start is not None else selectinload(attr)

    return [
        chain(m.Case.specialist).selectinload(m.Specialist.user),
        chain(m.Case.handling_unit),
        chain(m.Case.item),
    ]


def _cases(ctx: Context, *where) -> list[m.Case]:
    return list(
        ctx.session.execute(
            sa.select(m.Case).where(*where).options(*_case_loads()).order_by(m.Case.id)
        ).scalars()
    )


def _title(case: m.Case) -> dict:
    return {"number": case.number, "item": case.item.name if case.item else ""}


# ---------------------------------------------------------------- case reminders


def progress_due(ctx: Context) -> list[Due]:
    """No contact with the applicant for N days (N per tier of the handling unit)."""
    since = sa.func.coalesce(m.Case.last_contact_at, m.Case.applied_at)
    out = []
    for tier in Tier:
        days = ctx.setting(f"reminders.progress_days.{tier.value}")
        if days <= 0:
            continue
        units = sa.select(m.OrgUnit.id).where(m.OrgUnit.tier == tier)
        for case in _cases(
            ctx,
            PROGRESS_CLAUSE,
            since < ctx.now - dt.timedelta(days=days),
            m.Case.handling_unit_id.in_(units),
        ):
            base = clock.local_date(case.last_contact_at or case.applied_at)
            silent = (ctx.today - base).days
            period = silent // days

            def render(case=case, silent=silent):
                return _(
                    "Case %(number)s (%(item)s): no contact with the applicant for %(days)s days. "
                    "Report the progress to the applicant.",
                    days=silent,
                    **_title(case),
                ), ""

            out.append(
                Due(
                    "progress_due",
                    f"progress:{case.id}:{base}:{period}",
                    ctx.directory.for_case(case, managers=False),
                    render,
                    case,
                )
            )
    return out


def project_review(ctx: Context) -> list[Due]:
    """代办 of a major investment project: a progress review every N days since acceptance,
    for the project steward (项目管家) and the case's specialist."""
    days = ctx.setting("reminders.project_review_days")
    if days <= 0:
        return []
    out = []
    for case in _cases(
        ctx,
        PROGRESS_CLAUSE,
        m.Case.major_project.is_(True),
        m.Case.kind == ServiceKind.PROXY,
        m.Case.accepted_at.is_not(None),
        m.Case.accepted_at < ctx.now - dt.timedelta(days=days),
    ):
        period = (ctx.today - clock.local_date(case.accepted_at)).days // days
        people = ctx.directory.for_case(case, managers=False)
        steward = ctx.directory.person(case.steward)
        if steward is not None and all(p.user_id != steward.user_id for p in people):
            people.append(steward)

        def render(case=case, period=period):
            return _(
                "Case %(number)s (%(item)s): major investment project, progress review "
                "%(period)s is due. Review it with the project steward.",
                period=period,
                **_title(case),
            ), ""

        out.append(
            Due("project_review", f"project_review:{case.id}:{period}", people, render, case)
        )
    return out


def due_soon(ctx: Context) -> list[Due]:
    """The promised time limit ends within X working days (once per due date)."""
    lead = ctx.setting("reminders.due_soon_working_days")
    until = ctx.calendar.add_working_days(ctx.today, max(lead, 0)).day
    out = []
    for case in _cases(ctx, RUNNING_CLAUSE, m.Case.due_date >= ctx.today, m.Case.due_date <= until):

        def render(case=case):
            return _(
                "Case %(number)s (%(item)s) is due on %(due)s.",
                due=case.due_date.isoformat(),
                **_title(case),
            ), ""

        out.append(
            Due(
                "due_soon",
                f"due_soon:{case.id}:{case.due_date}",
                ctx.directory.for_case(case, managers=False),
                render,
                case,
            )
        )
    return out


def overdue(ctx: Context) -> list[Due]:
    """Past the due date: the specialist and their managers, every day until resolved."""
    out = []
    for case in _cases(ctx, RUNNING_CLAUSE, m.Case.due_date < ctx.today):

        def render(case=case):
            return _(
                "Case %(number)s (%(item)s) is overdue: it was due on %(due)s.",
                due=case.due_date.isoformat(),
                **_title(case),
            ), ""

        out.append(
            Due(
                "overdue",
                f"overdue:{case.id}:{ctx.today}",
                ctx.directory.for_case(case, managers=True),
                render,
                case,
            )
        )
    return out


def materials_overdue(ctx: Context) -> list[Due]:
    """Missing materials not supplied by the one-time notice's deadline (once per notice)."""
    rows = ctx.session.execute(
        sa.select(m.MaterialNotice)
        .where(
            m.MaterialNotice.resolved_at.is_(None),
            m.MaterialNotice.deadline < ctx.today,
            m.MaterialNotice.deadline >= ctx.catch_up_from(),
        )
        .options(*_case_loads(m.MaterialNotice.case))
        .order_by(m.MaterialNotice.id)
    ).scalars()
    out = []
    for notice in rows:
        case = notice.case
        if case.status != S.AWAITING_MATERIALS:
            continue

        def render(case=case, notice=notice):
            return _(
                "Case %(number)s (%(item)s): the missing materials were due on %(deadline)s "
                "and have not been supplied.",
                deadline=notice.deadline.isoformat(),
                **_title(case),
            ), ""

        out.append(
            Due(
                "materials_overdue",
                f"materials:{notice.id}",
                ctx.directory.for_case(case, managers=False),
                render,
                case,
            )
        )
    return out


def evaluation_due(ctx: Context) -> list[Due]:
    """No evaluation N days after the case ended (once per case)."""
    days = ctx.setting("reminders.evaluation_days")
    catch_up = ctx.setting("reminders.catch_up_days")
    evaluated = (
        sa.select(m.Evaluation.id)
        .where(m.Evaluation.case_id == m.Case.id, m.Evaluation.stage == EvaluationStage.COMPLETION)
        .exists()
    )
    out = []
    for case in _cases(
        ctx,
        m.Case.ended_at <= ctx.now - dt.timedelta(days=days),
        m.Case.ended_at > ctx.now - dt.timedelta(days=days + catch_up),
        m.Case.status.in_((S.COMPLETED, S.TERMINATED)),
        ~evaluated,
    ):

        def render(case=case):
            return _(
                "Case %(number)s (%(item)s) ended on %(ended)s: collect the applicant's "
                "evaluation.",
                ended=clock.local_date(case.ended_at).isoformat(),
                **_title(case),
            ), ""

        out.append(
            Due(
                "evaluation_due",
                f"evaluation:{case.id}",
                ctx.directory.for_case(case, managers=False),
                render,
                case,
            )
        )
    return out


def return_visit_due(ctx: Context) -> list[Due]:
    """A planned return visit is near (lead days) or past and not made (once per plan)."""
    lead = ctx.setting("reminders.return_visit_lead_days")
    rows = ctx.session.execute(
        sa.select(m.ReturnVisit)
        .where(
            m.ReturnVisit.done_on.is_(None),
            m.ReturnVisit.planned_on <= ctx.today + dt.timedelta(days=lead),
            m.ReturnVisit.planned_on >= ctx.catch_up_from(),
        )
        .options(*_case_loads(m.ReturnVisit.case))
        .order_by(m.ReturnVisit.id)
    ).scalars()
    out = []
    for visit in rows:
        case = visit.case

        def render(case=case, visit=visit):
            return _(
                "Case %(number)s (%(item)s): a return visit is planned for %(day)s.",
                day=visit.planned_on.isoformat(),
                **_title(case),
            ), ""

        out.append(
            Due(
                "return_visit_due",
                f"return_visit:{visit.id}:{visit.planned_on}",
                ctx.directory.for_case(case, managers=False),
                render,
                case,
            )
        )
    return out


def rectification_overdue(ctx: Context) -> list[Due]:
    """A poor rating's rectification past its deadline: owner and managers, daily."""
    rows = ctx.session.execute(
        sa.select(m.Rectification)
        .where(
            m.Rectification.closed_at.is_(None),
            m.Rectification.deadline < ctx.today,
            m.Rectification.state.in_((RectificationState.OPEN, RectificationState.VERIFIED)),
        )
        .order_by(m.Rectification.id)
    ).scalars()
    out = []
    for rect in rows:
        case = rect.evaluation.case
        owner = ctx.directory.person(rect.owner)
        people = unique(([owner] if owner else []) + ctx.directory.for_case(case, managers=True))

        def render(case=case, rect=rect):
            return _(
                "Case %(number)s (%(item)s): the rectification of a poor rating was due on "
                "%(deadline)s.",
                deadline=rect.deadline.isoformat(),
                **_title(case),
            ), ""

        out.append(
            Due(
                "rectification_overdue",
                f"rectification:{rect.id}:{ctx.today}",
                people,
                render,
                case,
            )
        )
    return out


def joint_review_tomorrow(ctx: Context) -> list[Due]:
    """A joint review meeting tomorrow: the case's specialist and the departments' staff."""
    start = dt.datetime.combine(ctx.today + dt.timedelta(days=1), dt.time(), clock.TZ)
    rows = ctx.session.execute(
        sa.select(m.JointReview)
        .where(
            m.JointReview.scheduled_at >= start,
            m.JointReview.scheduled_at < start + dt.timedelta(days=1),
            m.JointReview.decision == ReviewDecision.PENDING,
        )
        .order_by(m.JointReview.id)
    ).scalars()
    out = []
    for review in rows:
        case = review.case
        people = ctx.directory.for_case(case, managers=False) + ctx.directory.department_staff(
            [d.id for d in review.departments], review.lead_unit
        )

        def render(case=case, review=review):
            return _(
                "Case %(number)s (%(item)s): joint review meeting at %(time)s tomorrow, %(place)s.",
                time=review.scheduled_at.astimezone(clock.TZ).strftime("%H:%M"),
                place=review.location or review.lead_unit.name,
                **_title(case),
            ), ""

        day = clock.local_date(review.scheduled_at)
        out.append(
            Due("joint_review", f"joint_review:{review.id}:{day}", unique(people), render, case)
        )
    return out


def escalation_waiting(ctx: Context) -> list[Due]:
    """An escalation waits on the leader in charge: again every few days until resolved."""
    repeat = max(ctx.setting("reminders.escalation_repeat_days"), 1)
    rows = ctx.session.execute(
        sa.select(m.JointReview)
        .where(
            sa.text("joint_review.decision = 'escalated'"),
            m.JointReview.resolved_at.is_(None),
            m.JointReview.escalated_at.is_not(None),
        )
        .order_by(m.JointReview.id)
    ).scalars()
    out = []
    for review in rows:
        leader = ctx.directory.user(review.escalated_to_id)
        if leader is None:
            continue
        case = review.case
        waited = (ctx.today - clock.local_date(review.escalated_at)).days

        def render(case=case, waited=waited):
            return _(
                "Case %(number)s (%(item)s): an escalation has waited for your decision for "
                "%(days)s days.",
                days=waited,
                **_title(case),
            ), ""

        out.append(
            Due("escalation", f"escalation:{review.id}:{waited // repeat}", [leader], render, case)
        )
    return out


def chase_up_new(ctx: Context) -> list[Due]:
    """催办: the chased specialist is told at once (the next sweep), once per chase-up."""
    since = ctx.now - dt.timedelta(days=ctx.setting("reminders.catch_up_days"))
    rows = ctx.session.execute(
        sa.select(m.ChaseUp)
        .where(m.ChaseUp.responded_at.is_(None), m.ChaseUp.requested_at >= since)
        .order_by(m.ChaseUp.id)
    ).scalars()
    out = []
    for chase in rows:
        case = chase.case
        person = ctx.directory.person(chase.specialist)
        people = [person] if person else ctx.directory.for_case(case, managers=True)

        def render(case=case, chase=chase):
            return _(
                "Case %(number)s (%(item)s) is chased up: respond by %(deadline)s. %(request)s",
                deadline=chase.respond_by.isoformat(),
                request=chase.request[:200],
                **_title(case),
            ), ""

        out.append(Due("chase_up", f"chase_up:{chase.id}", people, render, case))
    return out


def chase_up_overdue(ctx: Context) -> list[Due]:
    """A chase-up unanswered past its deadline: the specialist, who asked and the managers,
    every day until answered."""
    rows = ctx.session.execute(
        sa.select(m.ChaseUp)
        .where(m.ChaseUp.responded_at.is_(None), m.ChaseUp.respond_by < ctx.today)
        .order_by(m.ChaseUp.id)
    ).scalars()
    out = []
    for chase in rows:
        case = chase.case
        person = ctx.directory.person(chase.specialist)
        asker = ctx.directory.user(chase.requested_by_id)
        people = unique(
            ([person] if person else [])
            + ([asker] if asker else [])
            + ctx.directory.for_case(case, managers=True)
        )

        def render(case=case, chase=chase):
            return _(
                "Case %(number)s (%(item)s): the chase-up was to be answered by %(deadline)s "
                "and has no response.",
                deadline=chase.respond_by.isoformat(),
                **_title(case),
            ), ""

        out.append(
            Due(
                "chase_up_overdue", f"chase_up_overdue:{chase.id}:{ctx.today}", people, render, case
            )
        )
    return out


# ---------------------------------------------------------------- “办不成事” complaints

OPEN_COMPLAINTS = ("intake", "coordinating", "transferred")


def _complaints(ctx: Context, *where) -> list[m.Complaint]:
    return list(
        ctx.session.execute(
            sa.select(m.Complaint)
            .where(m.Complaint.status.in_(OPEN_COMPLAINTS), *where)
            .options(
                selectinload(m.Complaint.handler).selectinload(m.Specialist.user),
                selectinload(m.Complaint.unit),
            )
            .order_by(m.Complaint.id)
        ).scalars()
    )


def _complaint_people(ctx: Context, complaint: m.Complaint, *, managers: bool) -> list[Person]:
    handler = ctx.directory.person(complaint.handler)
    people = [handler] if handler else []
    if managers or handler is None:
        people += ctx.directory.managers_for(complaint.unit)
    return unique(people)


def complaint_due_soon(ctx: Context) -> list[Due]:
    """A complaint's deadline (intake's or the department's) within X working days."""
    lead = ctx.setting("reminders.due_soon_working_days")
    until = ctx.calendar.add_working_days(ctx.today, max(lead, 0)).day
    out = []
    for complaint in _complaints(
        ctx, m.Complaint.due_date >= ctx.today, m.Complaint.due_date <= until
    ):

        def render(complaint=complaint):
            return _(
                "Complaint %(number)s (%(status)s) is due on %(due)s.",
                number=complaint.number,
                status=str(complaint.status.label),
                due=complaint.due_date.isoformat(),
            ), ""

        out.append(
            Due(
                "complaint_due_soon",
                f"complaint_due_soon:{complaint.id}:{complaint.due_date}",
                _complaint_people(ctx, complaint, managers=False),
                render,
            )
        )
    return out


def complaint_overdue(ctx: Context) -> list[Due]:
    """A complaint past its deadline: the handler and the managers, every day until settled."""
    out = []
    for complaint in _complaints(ctx, m.Complaint.due_date < ctx.today):

        def render(complaint=complaint):
            return _(
                "Complaint %(number)s (%(status)s) is overdue: it was due on %(due)s.",
                number=complaint.number,
                status=str(complaint.status.label),
                due=complaint.due_date.isoformat(),
            ), ""

        out.append(
            Due(
                "complaint_overdue",
                f"complaint_overdue:{complaint.id}:{ctx.today}",
                _complaint_people(ctx, complaint, managers=True),
                render,
            )
        )
    return out


# ---------------------------------------------------------------- unit reminders


def monthly_summary_key(unit_id: int, month: dt.date) -> str:
    """The key of a unit's monthly summary notice (shared with the ledger's summary job)."""
    return f"monthly_summary:{unit_id}:{month:%Y-%m}"


def monthly_summary(ctx: Context) -> list[Due]:
    """Last month's figures of each manager's unit (scope), once a month."""
    first = ctx.today.replace(day=1)
    start = (first - dt.timedelta(days=1)).replace(day=1)
    out = []
    for person in ctx.directory.managers:
        unit_id = person.scope.unit_id

        def render(scope=person.scope):
            return _summary_text(ctx, scope, start), ""

        out.append(
            Due(
                "monthly_summary",
                monthly_summary_key(unit_id, start),
                [person],
                render,
                extra={"unit_id": unit_id},
            )
        )
    return out


def _summary_text(ctx: Context, scope: Scope, month: dt.date) -> str:
    """Last month's headline figures: the cases applied in the month by their status now, from
    the same function as the ledger, the summaries and the written reports
    (app/ledger/figures.py), so the notice and the summary never disagree."""
    end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    figures = headline(period_figures(ctx.session, scope, month, end, ctx.today))
    return _(
        "Summary of %(month)s (cases applied in the month, status as of today): %(applied)s "
        "cases, %(completed)s completed, %(terminated)s terminated, %(overdue)s overdue.",
        month=f"{month:%Y-%m}",
        applied=figures["cases"],
        completed=figures["completed"],
        terminated=figures["terminated"],
        overdue=figures["overdue"],
    )


def home_visit_tomorrow(ctx: Context) -> list[Due]:
    """A home visit (上门服务) planned for tomorrow and not yet done: the staff going and the
    case's specialist, once per visit and day."""
    start = dt.datetime.combine(ctx.today + dt.timedelta(days=1), dt.time(), clock.TZ)
    rows = ctx.session.execute(
        sa.select(m.HomeVisit)
        .where(
            m.HomeVisit.planned_at >= start,
            m.HomeVisit.planned_at < start + dt.timedelta(days=1),
            m.HomeVisit.done_at.is_(None),
        )
        .options(selectinload(m.HomeVisit.staff), *_case_loads(m.HomeVisit.case))
        .order_by(m.HomeVisit.id)
    ).scalars()
    out = []
    for visit in rows:
        case = visit.case
        if case.status not in OPEN_CASE:
            continue
        people = [ctx.directory.person(s) for s in visit.staff]
        people += ctx.directory.for_case(case, managers=False)

        def render(case=case, visit=visit):
            return _(
                "Case %(number)s (%(item)s): home visit at %(time)s tomorrow, %(place)s.",
                time=visit.planned_at.astimezone(clock.TZ).strftime("%H:%M"),
                place=visit.address,
                **_title(case),
            ), ""

        day = clock.local_date(visit.planned_at)
        people = unique([p for p in people if p is not None])
        out.append(Due("home_visit", f"home_visit:{visit.id}:{day}", people, render, case))
    return out


OPEN_CASE = frozenset({S.APPLIED, S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_MATERIALS})


KINDS: dict[str, Callable[[Context], list[Due]]] = {
    "progress_due": progress_due,
    "project_review": project_review,
    "due_soon": due_soon,
    "overdue": overdue,
    "materials_overdue": materials_overdue,
    "evaluation_due": evaluation_due,
    "return_visit_due": return_visit_due,
    "rectification_overdue": rectification_overdue,
    "joint_review": joint_review_tomorrow,
    "home_visit": home_visit_tomorrow,
    "escalation": escalation_waiting,
    "chase_up": chase_up_new,
    "chase_up_overdue": chase_up_overdue,
    "complaint_due_soon": complaint_due_soon,
    "complaint_overdue": complaint_overdue,
    "monthly_summary": monthly_summary,
    # the applicant's SMS the day before an appointment (app/appointments/reminders.py)
    "appointment_sms": appointment_tomorrow,
}
