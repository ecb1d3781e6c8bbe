"""Demo complaints (“办不成事”) in every state and one chase-up (催办) on a running case, made
through the lifecycle itself, as the desk would. Called once from the demo seed; running it
again changes nothing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app import models as m
from app.domain import chaseups, clock
from app.domain import complaints as lifecycle
from app.domain.calendar import load_calendar
from app.domain.status import OPEN_STATUSES
from app.enums import ComplaintChannel

# (days ago, channel, complainant, mobile, what could not be done, 12345 ticket, how far it got)
COMPLAINTS = [
    (
        40,
        "desk",
        "陈伟明",
        "13926010001",
        "办理不动产登记，三个窗口互相推诿，说要先去另一个部门盖章。",
        None,
        "archived",
    ),
    (
        30,
        "hotline",
        "黄秀英",
        "13926010002",
        "社保卡补办在大厅跑了两次都说系统故障，打12345反映。",
        "2026110300417",
        "called_back",
    ),
    (
        12,
        "public",
        "李志强",
        "13926010003",
        "个体户营业执照经营范围变更，窗口说不属于他们受理。",
        None,
        "transferred_late",
    ),
    (
        6,
        "desk",
        "梁美玲",
        "13926010004",
        "老人高龄津贴申请，窗口要求的证明在村里开不到。",
        None,
        "transferred",
    ),
    (
        3,
        "phone",
        "伍家豪",
        "13926010005",
        "建设工程施工许可，材料交了一周没人回复。",
        None,
        "coordinating",
    ),
    (
        1,
        "hotline",
        "甄丽华",
        "13926010006",
        "医保异地备案网上办不了，现场窗口让回去网上办。",
        "2026120400981",
        "intake",
    ),
]


def _user(username: str):
    return current_app.appbuilder.sm.find_user(username=username)


def _specialist(session: Session, user) -> m.Specialist | None:
    return session.execute(
        sa.select(m.Specialist).where(m.Specialist.user_id == user.id)
    ).scalar_one_or_none()


def _at(day: dt.date, hour: int = 10) -> None:
    clock.set_fixed(dt.datetime.combine(day, dt.time(hour), clock.TZ))


def seed(session: Session) -> int:
    """Add the demo complaints and the chase-up once; returns how many complaints were added."""
    if session.execute(sa.select(sa.func.count(m.Complaint.id))).scalar_one():
        return 0
    clerk, manager = _user("city_specialist"), _user("city_manager")
    if clerk is None or manager is None:
        return 0
    handler = _specialist(session, clerk)
    unit = handler.unit
    departments = session.execute(sa.select(m.Department).order_by(m.Department.code)).scalars()
    departments = list(departments)
    calendar = load_calendar(session)
    today = clock.today()
    previous = clock.pinned()
    try:
        for n, (ago, channel, name, mobile, matter, ticket, end) in enumerate(COMPLAINTS):
            day = today - dt.timedelta(days=ago)
            while not calendar.is_working_day(day):
                day -= dt.timedelta(days=1)
            _at(day, 9)
            c = lifecycle.intake(
                session,
                None if channel == "public" else clerk,
                unit=unit,
                channel=ComplaintChannel(channel),
                complainant=name,
                mobile=mobile,
                matter=matter,
                hotline_ticket=ticket,
                handler=handler,
            )
            if end == "intake":
                continue
            _at(day, 11)
            lifecycle.coordinate(session, c, clerk, note="已联系相关窗口负责人了解情况")
            if end == "coordinating":
                continue
            department = departments[n % len(departments)] if departments else None
            if department is None:
                continue
            if end != "called_back":
                _at(day, 15)
                lifecycle.transfer(
                    session, c, manager, department=department, working_days=3, note="转部门办理"
                )
                if end in ("transferred", "transferred_late"):
                    continue
                _at(calendar.add_working_days(day, 2).day, 10)
                lifecycle.reply(session, c, clerk, text="部门已明确受理窗口并联系申请人")
            _at(calendar.add_working_days(day, 3).day, 16)
            lifecycle.call_back(
                session, c, clerk, result="已帮申请人办成", satisfied=end != "called_back"
            )
            if end == "archived":
                lifecycle.archive(session, c, manager, note="办结归档")
        _chase_up(session, manager, today)
    finally:
        clock.set_fixed(previous[0], as_of=previous[1])
    session.flush()
    return len(COMPLAINTS)


def _chase_up(session: Session, manager, today: dt.date) -> None:
    """One chase-up, unanswered past its deadline, on a running case of the city center."""
    city = session.execute(
        sa.select(m.Specialist.unit_id).where(m.Specialist.user_id == manager.id)
    ).scalar_one()
    case = session.execute(
        sa.select(m.Case)
        .where(
            m.Case.handling_unit_id == city,
            m.Case.status.in_([s.value for s in OPEN_STATUSES if s.value != "applied"]),
            m.Case.specialist_id.is_not(None),
        )
        .order_by(m.Case.id)
        .limit(1)
    ).scalar_one_or_none()
    if case is None:
        return
    _at(today - dt.timedelta(days=5), 10)
    chaseups.chase_up(
        session,
        case,
        manager,
        request="12345热线转来：申请人来电催问办理进度，请核实后回复申请人并报告。",
        respond_by=today - dt.timedelta(days=2),
        hotline_ticket="2026113000256",
    )
