"""Demo content of a major investment project's 1+1+N team (项目管家): the steward, the
enterprise's contact, three department liaisons, a project log and an issue list with one issue
solved, one open and one overdue. Loaded by app/seed.py through the lifecycle and the projects'
rules; running it again changes nothing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock, lifecycle, projects
from app.enums import ApplicantKind, ServiceKind
from app.validators import complete_uscc

SPECIALIST = "city_specialist"
ENTERPRISE = "台山市海宴新能源装备制造有限公司"
CREDIT_CODE = complete_uscc("91440781MA5D8H2K3")
LIAISONS = [
    ("ZRJ", "黄振华", "0750-5521101"),
    ("ZJJ", "李慧敏", "13827061234"),
    ("SJJ", "陈志强", "13702265678"),
]


def _specialist(session: Session, username: str) -> m.Specialist | None:
    return session.execute(
        sa.select(m.Specialist)
        .join(m.User, m.User.id == m.Specialist.user_id)
        .where(m.User.username == username)
    ).scalar_one_or_none()


def _department(session: Session, code: str) -> m.Department | None:
    return session.execute(
        sa.select(m.Department).where(m.Department.code == code)
    ).scalar_one_or_none()


def seed(session: Session) -> int:
    """The demo project (0 when it is there already or the staff are missing)."""
    exists = session.execute(
        sa.select(m.Applicant.id).where(m.Applicant.name == ENTERPRISE).limit(1)
    ).first()
    specialist = _specialist(session, SPECIALIST)
    if exists is not None or specialist is None:
        return 0
    items = session.execute(
        sa.select(m.ServiceItem)
        .where(m.ServiceItem.active.is_(True), m.ServiceItem.needs_parallel.is_(True))
        .order_by(m.ServiceItem.code)
    ).scalars()
    item = next((it for it in items if it.accepts(specialist.unit.tier)), None)
    if item is None:
        return 0
    actor = specialist.user
    today = clock.today()

    def at(days_ago: int, hour: int = 10) -> None:
        clock.set_fixed(dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(hour)))

    try:
        at(20, 9)
        applicant = m.Applicant(
            kind=ApplicantKind.ENTERPRISE,
            name=ENTERPRISE,
            credit_code=CREDIT_CODE,
            contact_person="谭嘉欣",
            mobile="13680021234",
            address="台山市海宴镇临港工业园8号",
            unit=specialist.unit,
        )
        session.add(applicant)
        case = lifecycle.apply(
            session,
            actor,
            applicant=applicant,
            item=item,
            kind=ServiceKind.PROXY,
            major_project=True,
            needs=f"海上风电装备制造基地项目，全程代办{item.name}",
            handling_unit=specialist.unit,
            specialist=specialist,
            help_types=[],
            ack_voluntary=True,
            ack_free=True,
            ack_truthful=True,
        )
        session.flush()
        lifecycle.confirm(
            session,
            case,
            actor,
            process_explained=True,
            applicant_signed=True,
            received_material_ids=[mat.id for mat in item.materials],
        )
        lifecycle.set_steward(session, case, actor, steward=specialist, note="1+1+N 项目管家")
        projects.set_contact(
            session, case, actor, contact_name="谭嘉欣", contact_phone="13680021234"
        )
        for code, person, phone in LIAISONS:
            department = _department(session, code)
            if department is not None:
                projects.add_liaison(
                    session, case, actor, department=department, person=person, phone=phone
                )
        lifecycle.submit(session, case, actor)
        projects.log(
            session,
            case,
            actor,
            on=today - dt.timedelta(days=20),
            text="项目首次对接会，明确审批事项清单和时间表。",
        )
        at(12)
        land = projects.raise_issue(
            session,
            case,
            actor,
            title="用地规划许可证需补充规划条件核实意见",
            department=_department(session, "ZRJ"),
            due_on=today - dt.timedelta(days=5),
        )
        projects.raise_issue(
            session,
            case,
            actor,
            title="施工许可的消防设计审查待受理",
            department=_department(session, "ZJJ"),
            due_on=today - dt.timedelta(days=2),
        )
        projects.log(
            session,
            case,
            actor,
            on=today - dt.timedelta(days=12),
            text="联合现场踏勘，记录问题两项，列入问题清单。",
        )
        at(6)
        projects.solve_issue(
            session, case, actor, issue=land, solution="自然资源局出具核实意见，已补入材料。"
        )
        projects.raise_issue(
            session,
            case,
            actor,
            title="企业设立登记的经营范围表述待确认",
            department=_department(session, "SJJ"),
            due_on=today + dt.timedelta(days=5),
        )
        projects.log(
            session,
            case,
            actor,
            on=today - dt.timedelta(days=6),
            text="项目推进会：用地问题销号，新增登记问题一项。",
        )
        session.flush()
    finally:
        clock.set_fixed(None)
    return 1
