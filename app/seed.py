"""Demo data for Taishan: the real unit tree, the service catalogue, staff and a few hundred cases.

Idempotent: the unit tree, catalogue and staff come from the data files in app/demo/ through
the operators' import (upserted by code and user name), and cases are generated only when the
database has none. Cases are driven through the lifecycle itself (with the clock
moved back), so the demo shows exactly what the product would have recorded.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app import demo_data as dd
from app import models as m
from app import settings
from app.appointments.demo import seed_appointments
from app.archive import demo as archive_demo
from app.assessment import demo as assessment_demo
from app.complaints import demo as complaint_demo
from app.demo import load_catalogue
from app.domain import clock, lifecycle
from app.domain.calendar import load_calendar, seed_official_calendar
from app.domain.staff import create_staff
from app.domain.workdays import supported_years
from app.enums import (
    ApplicantKind,
    ContactChannel,
    EvaluationChannel,
    EvaluationStage,
    Rating,
    ServiceKind,
    SuspensionReason,
    TerminationReason,
    WalkInKind,
)
from app.projects import demo_data as projects_demo
from app.validators import complete_resident_id, complete_uscc
from app.visits import demo_data as visits_demo

DEMO_PASSWORD = "BangBan@2026"
CASE_COUNT = 300
WALK_IN_COUNT = 240
STILL_OPEN = 0.45  # the share of demo cases not yet completed or terminated


def _upsert(session: Session, model, key: str, values: dict):
    row = session.execute(
        sa.select(model).where(getattr(model, key) == values[key])
    ).scalar_one_or_none()
    if row is None:
        row = model(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def seed_admin(session: Session) -> None:
    """The demo's administrator (no unit, so not in staff.csv: the import gives every account
    a unit)."""
    if current_app.appbuilder.sm.find_user(username="admin") is None:
        create_staff(
            session,
            username="admin",
            password=DEMO_PASSWORD,
            name="系统管理员",
            unit=None,
            role="Admin",
            mobile=f"139{zlib.crc32(b'admin') % 10**8:08d}",
        )
        session.flush()


def all_units(session: Session) -> dict[str, m.OrgUnit]:
    """Every unit by code, the tree depth first (each town followed by its stations)."""
    query = sa.select(m.OrgUnit).order_by(m.OrgUnit.path)
    return {u.code: u for u in session.execute(query).scalars()}


def _person_id(rng: random.Random, birth: dt.date) -> str:
    first17 = f"440781{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return complete_resident_id(first17)


def _credit_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91440781" + "".join(rng.choice(alphabet) for _ in range(9))
    return complete_uscc(body)


def seed_cases(session: Session, units: dict[str, m.OrgUnit], count: int = CASE_COUNT) -> int:
    """A few hundred cases over every status, driven through the lifecycle."""
    if session.execute(sa.select(sa.func.count(m.Case.id))).scalar_one():
        return 0
    rng = random.Random(2026)
    items = session.execute(sa.select(m.ServiceItem).order_by(m.ServiceItem.code)).scalars().all()
    specialists = (
        session.execute(sa.select(m.Specialist).where(m.Specialist.user_id.is_not(None)))
        .scalars()
        .all()
    )
    categories = session.execute(sa.select(m.ProblemCategory)).scalars().all()
    by_unit: dict[int, list[m.Specialist]] = {}
    for s in specialists:
        by_unit.setdefault(s.unit_id, []).append(s)
    staffed_units = [u for u in units.values() if u.id in by_unit]
    today = clock.today()
    calendar = load_calendar(session)
    made = 0
    try:
        for i in range(count):
            unit = rng.choice(staffed_units)
            specialist = rng.choice(by_unit[unit.id])
            actor = specialist.user
            stage = rng.random()
            # Cases still being handled are mostly recent; finished ones spread over four months.
            age = rng.randint(0, 120) if stage >= STILL_OPEN else rng.randint(0, 5)
            start = today - dt.timedelta(days=age)
            while not calendar.is_working_day(start):  # the halls are closed on holidays
                start -= dt.timedelta(days=1)
            clock.set_fixed(dt.datetime.combine(start, dt.time(9, rng.randint(0, 59))))
            enterprise = rng.random() < 0.3
            if enterprise:
                applicant = m.Applicant(
                    kind=ApplicantKind.ENTERPRISE,
                    name=rng.choice(dd.ENTERPRISE_NAMES),
                    credit_code=_credit_code(rng),
                    contact_person=dd.person_name(i % 300),
                    mobile=f"13{rng.randint(0, 9)}{rng.randint(0, 10**8 - 1):08d}",
                    address=f"台山市{rng.choice(dd.STREETS)}{rng.randint(1, 200)}号",
                    foreign_invested=rng.random() < 0.2,
                    unit=unit,
                )
            else:
                birth = dt.date(rng.randint(1935, 2004), rng.randint(1, 12), rng.randint(1, 28))
                applicant = m.Applicant(
                    kind=ApplicantKind.PERSON,
                    name=dd.person_name(i % 300),
                    id_number=_person_id(rng, birth),
                    mobile=f"13{rng.randint(0, 9)}{rng.randint(0, 10**8 - 1):08d}",
                    address=f"台山市{rng.choice(dd.STREETS)}{rng.randint(1, 200)}号",
                    disabled=rng.random() < 0.05,
                    sick=rng.random() < 0.05,
                    unit=unit,
                )
            session.add(applicant)
            candidates = [it for it in items if it.accepts(unit.tier)] or items
            item = rng.choice(candidates)
            major = enterprise and item.needs_parallel
            eligible = lifecycle.proxy_eligible(applicant, major, start)
            kind = ServiceKind.PROXY if eligible and rng.random() < 0.6 else ServiceKind.HELP
            case = lifecycle.apply(
                session,
                actor,
                applicant=applicant,
                item=item,
                kind=kind,
                major_project=major,
                needs=f"办理{item.name}",
                handling_unit=unit,
                specialist=specialist,
                help_types=[] if kind == ServiceKind.PROXY else ["form_filling", "online"],
                ack_voluntary=True,
                ack_free=True,
                ack_truthful=True,
            )
            session.flush()
            _advance(session, rng, case, actor, start, categories, stage, calendar)
            made += 1
            if made % 50 == 0:
                session.flush()
    finally:
        clock.set_fixed(None)
    return made


def seed_walk_ins(session: Session, count: int = WALK_IN_COUNT) -> int:
    """Walk-in help at the halls (窗口帮办) over the last four months, on working hours."""
    if session.execute(sa.select(sa.func.count(m.WalkInHelp.id))).scalar_one():
        return 0
    rng = random.Random(2027)
    specialists = (
        session.execute(
            sa.select(m.Specialist)
            .where(m.Specialist.user_id.is_not(None), m.Specialist.unit_id.is_not(None))
            .order_by(m.Specialist.id)
        )
        .scalars()
        .all()
    )
    items = session.execute(sa.select(m.ServiceItem).order_by(m.ServiceItem.code)).scalars().all()
    calendar = load_calendar(session)
    kinds = list(WalkInKind)
    weights = [30, 25, 15, 12, 10, 8][: len(kinds)]
    today = clock.today()
    for n in range(count):
        specialist = rng.choice(specialists)
        day = today - dt.timedelta(days=rng.randint(0, 120))
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
        kind = rng.choices(kinds, weights=weights)[0]
        session.add(
            m.WalkInHelp(
                unit_id=specialist.unit_id,
                specialist_id=specialist.id,
                kind=kind,
                at=dt.datetime.combine(
                    day, dt.time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=clock.TZ
                ),
                queue_number=f"A{n % 200 + 1:03d}" if kind == WalkInKind.QUEUE_NUMBER else None,
                item_id=rng.choice(items).id if rng.random() < 0.6 else None,
            )
        )
    session.flush()
    return count


def _at(start: dt.date, days: int, calendar, hour: int = 10) -> None:
    """Set the clock to ``days`` after ``start``, moved on to a working day (halls are closed)."""
    day = start + dt.timedelta(days=days)
    if not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
    moment = dt.datetime.combine(day, dt.time(hour, 0))
    clock.set_fixed(min(moment, dt.datetime.now(clock.TZ).replace(tzinfo=None)))


def _advance(session, rng, case, actor, start, categories, stage: float, calendar) -> None:
    """Drive a case part of the way (or all the way) along its lifecycle; most finish on time."""
    if stage < 0.08:
        return  # stays applied
    mats = case.item.materials
    received = [mat.id for mat in mats if rng.random() < 0.85]
    lifecycle.confirm(
        session,
        case,
        actor,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=received,
    )
    _evaluate_at_acceptance(session, case, actor)
    if stage < 0.15:
        return
    _at(start, 1, calendar)
    lifecycle.submit(session, case, actor)
    lifecycle.record(
        session, case, actor, "contact", note="电话告知申请人办理进度", channel=ContactChannel.PHONE
    )
    last = 1  # the day (after the start) of the latest step so far
    if len(received) < len(mats):
        last = 4
        _at(start, 2, calendar)
        lifecycle.notify_missing(
            session, case, actor, deadline=clock.today() + dt.timedelta(days=7)
        )
        if stage < 0.25:
            return
        _at(start, 4, calendar)
        lifecycle.supplement(
            session, case, actor, material_ids=[mat.id for mat in lifecycle.missing_materials(case)]
        )
    if rng.random() < 0.1 and categories:
        lifecycle.record(
            session,
            case,
            actor,
            "problem",
            note="系统接口故障，已报修",
            problem_category_id=rng.choice(categories).id,
        )
    if _suspends(case):
        last = _suspend_and_resume(session, case, actor, start, last, calendar, stage)
        if last is None:
            return  # still suspended
    if stage < STILL_OPEN:
        return
    if rng.random() < 0.1:
        last = max(last, 5)
        _at(start, last, calendar)
        lifecycle.extend(
            session, case, actor, extra_days=5, reason="需现场核查", explained_to_applicant=True
        )
    due_in = (case.due_date - start).days if case.due_date else 10
    if rng.random() < 0.9:
        day = max(last, due_in - rng.randint(0, 2))  # on time
    else:
        day = max(last, due_in + rng.randint(1, 5))  # late
    today = dt.datetime.now(clock.TZ).date()
    if start + dt.timedelta(days=day) > today:
        return  # not finished yet
    _at(start, day, calendar)
    if stage < 0.92:
        lifecycle.complete(
            session,
            case,
            actor,
            results="审批结果文书一份",
            materials_returned="身份证原件",
            signed_by=case.applicant.name,
        )
    else:
        lifecycle.terminate(
            session,
            case,
            actor,
            reason_type=TerminationReason.APPLICANT_REQUEST,
            reason="申请人主动申请终止",
            materials_returned="全部原件",
            applicant_signed=True,
            specialist_signed=True,
        )
    evaluated_on = day + rng.randint(0, 3)
    if rng.random() < 0.7 and start + dt.timedelta(days=evaluated_on) <= today:
        _at(start, evaluated_on, calendar)
        rating = rng.choices(list(Rating), weights=[60, 25, 8, 5, 2])[0]
        lifecycle.evaluate(
            session,
            case,
            actor,
            rating=rating,
            channel=rng.choice(list(EvaluationChannel)),
            comments="",
        )


def _evaluate_at_acceptance(session, case, actor) -> None:
    """About a third of the demo cases are rated at acceptance too (一次一评: 受理 and 办结),
    chosen by the case number so the shared random sequence stays as it was."""
    seed = zlib.crc32(case.number.encode())
    if seed % 3:
        return
    local = random.Random(seed)
    lifecycle.evaluate(
        session,
        case,
        actor,
        rating=local.choices(list(Rating), weights=[70, 20, 6, 3, 1])[0],
        channel=local.choice(list(EvaluationChannel)),
        comments="",
        stage=EvaluationStage.ACCEPTANCE,
    )


SUSPENSIONS = (
    (SuspensionReason.APPLICANT_UNREACHABLE, "电话、短信多次联系申请人未果"),
    (SuspensionReason.EXTERNAL_PRECONDITION, "等待自然资源部门出具规划条件，非本中心可办"),
    (SuspensionReason.OTHER, "申请人住院治疗，暂无法签署申请材料"),
)


def _suspends(case) -> bool:
    """About one demo case in twelve is suspended (chosen by its number, so the random
    sequence of every other demo case stays as it was)."""
    return zlib.crc32(case.number.encode()) % 12 == 0


def _suspend_and_resume(session, case, actor, start, last, calendar, stage):
    """中止 a running case; an open one mostly stays suspended, the others resume (续办) with
    the renewed entrustment signed a few days later. Returns the day of the last step, or None
    when the case stays suspended."""
    reason_type, reason = SUSPENSIONS[zlib.crc32(case.number.encode()) % len(SUSPENSIONS)]
    last += 1
    _at(start, last, calendar)
    lifecycle.suspend(session, case, actor, reason_type=reason_type, reason=reason)
    if stage < STILL_OPEN and stage >= 0.3:
        return None
    last += 4
    _at(start, last, calendar)
    lifecycle.resume(
        session,
        case,
        actor,
        renewal_signed=True,
        signed_by=case.applicant.name,
        note="申请人已签署续办委托书",
    )
    return last


def seed_sms_signature(session: Session) -> None:
    """The center's registered SMS signature, unless an Admin has set one."""
    if session.get(m.Setting, "sms.signature") is None:
        settings.set_value(session, "sms.signature", dd.SMS_SIGNATURE)


def seed_demo(session: Session) -> dict[str, int]:
    """Load everything; safe to run again (changes nothing the second time)."""
    seed_admin(session)
    loaded = load_catalogue(session)  # app/demo/*.csv through the operators' import
    units = all_units(session)
    seed_sms_signature(session)
    added_days = seed_official_calendar(session, supported_years())
    cases = seed_cases(session, units)
    walk_ins = seed_walk_ins(session)
    cases += visits_demo.seed(session) + projects_demo.seed(session)
    reports_added = assessment_demo.seed(session)  # targets and last month's draft report
    return {
        **loaded,
        "holidays_added": added_days,
        "cases_added": cases,
        "walk_ins_added": walk_ins,
        "complaints_added": complaint_demo.seed(session),  # the “办不成事” window, a chase-up
        "reports_added": reports_added,
        "appointments_added": seed_appointments(session),
        "case_files_added": archive_demo.seed(session),  # the earliest closed cases archived
    }
