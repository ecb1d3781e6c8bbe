"""Demo content of home visits (上门服务): one elderly applicant's case served at home, with a
visit done and one planned. Loaded by app/seed.py through the lifecycle and the visits' rules;
running it again changes nothing."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import models as m
from app.domain import clock, lifecycle, visits
from app.enums import ApplicantKind, CaseChannel, ServiceKind
from app.validators import complete_resident_id

SPECIALIST = "town00_specialist"  # 台城街道
ADDRESS = "台山市台城街道环市南路28号3座201"


def _specialist(session: Session, username: str) -> m.Specialist | None:
    return session.execute(
        sa.select(m.Specialist)
        .join(m.User, m.User.id == m.Specialist.user_id)
        .where(m.User.username == username)
    ).scalar_one_or_none()


def _item(session: Session, unit: m.OrgUnit) -> m.ServiceItem | None:
    items = session.execute(
        sa.select(m.ServiceItem).where(m.ServiceItem.active.is_(True)).order_by(m.ServiceItem.code)
    ).scalars()
    return next((it for it in items if it.accepts(unit.tier) and not it.needs_parallel), None)


def seed(session: Session) -> int:
    """The home-visit demo case (0 when it is there already or the staff are missing)."""
    exists = session.execute(
        sa.select(m.Case.id).where(m.Case.channel == CaseChannel.HOME_VISIT).limit(1)
    ).first()
    specialist = _specialist(session, SPECIALIST)
    if exists is not None or specialist is None:
        return 0
    item = _item(session, specialist.unit)
    if item is None:
        return 0
    actor = specialist.user
    today = clock.today()
    try:
        clock.set_fixed(dt.datetime.combine(today - dt.timedelta(days=3), dt.time(9, 30)))
        birth = dt.date(1941, 4, 12)
        applicant = m.Applicant(
            kind=ApplicantKind.PERSON,
            name="伍婆婆",
            id_number=complete_resident_id(f"440781{birth:%Y%m%d}071"),
            mobile="13902881234",
            address=ADDRESS,
            sick=True,
            unit=specialist.unit,
        )
        session.add(applicant)
        case = lifecycle.apply(
            session,
            actor,
            applicant=applicant,
            item=item,
            kind=ServiceKind.PROXY,
            channel=CaseChannel.HOME_VISIT,
            major_project=False,
            needs=f"行动不便，申请上门代办{item.name}",
            handling_unit=specialist.unit,
            specialist=specialist,
            help_types=[],
            ack_voluntary=True,
            ack_free=True,
            ack_truthful=True,
        )
        session.flush()
        first = visits.plan(
            session,
            case,
            actor,
            planned_at=dt.datetime.combine(today - dt.timedelta(days=2), dt.time(15, 0)),
            address=ADDRESS,
            staff=[specialist],
            purpose="上门核对材料，签署申请表和委托书",
        )
        clock.set_fixed(dt.datetime.combine(today - dt.timedelta(days=2), dt.time(16, 30)))
        visits.record(
            session,
            case,
            actor,
            visit=first,
            done_at=dt.datetime.combine(today - dt.timedelta(days=2), dt.time(15, 10)),
            outcome="已核对身份证和户口簿原件，申请人签署申请表和委托书，材料带回中心。",
        )
        lifecycle.confirm(
            session,
            case,
            actor,
            process_explained=True,
            applicant_signed=True,
            received_material_ids=[mat.id for mat in item.materials],
        )
        lifecycle.submit(session, case, actor)
        visits.plan(
            session,
            case,
            actor,
            planned_at=dt.datetime.combine(today + dt.timedelta(days=1), dt.time(10, 0)),
            address=ADDRESS,
            staff=[specialist],
            purpose="上门送达办理结果并请申请人签收",
        )
        session.flush()
    finally:
        clock.set_fixed(None)
    return 1
