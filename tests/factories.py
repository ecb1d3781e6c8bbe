"""Small factories for test data (never the demo data)."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

from app import models as m
from app.domain import lifecycle
from app.domain.staff import create_staff
from app.enums import ApplicantKind, CaseChannel, ServiceKind, Tier
from app.extensions import db
from app.validators import complete_resident_id, complete_uscc

PASSWORD = "Test@Pass2026"
_seq = itertools.count(1)


def unit(code: str, name: str, tier: Tier, parent: m.OrgUnit | None = None) -> m.OrgUnit:
    row = m.OrgUnit(code=code, name=name, tier=tier, kind=tier.center_kind, parent=parent)
    db.session.add(row)
    return row


def unit_tree() -> SimpleNamespace:
    """city → town A (villages A1, A2), town B (village B1)."""
    city = unit("440781", "台山市政务服务中心", Tier.CITY)
    town_a = unit("440781100", "大江镇便民服务中心", Tier.TOWN, city)
    town_b = unit("440781101", "水步镇便民服务中心", Tier.TOWN, city)
    village_a1 = unit("440781100001", "公益村便民服务站", Tier.VILLAGE, town_a)
    village_a2 = unit("440781100002", "大江社区便民服务站", Tier.VILLAGE, town_a)
    village_b1 = unit("440781101001", "水步村便民服务站", Tier.VILLAGE, town_b)
    db.session.commit()
    return SimpleNamespace(
        city=city,
        town_a=town_a,
        town_b=town_b,
        village_a1=village_a1,
        village_a2=village_a2,
        village_b1=village_b1,
    )


def department(code: str | None = None, name: str | None = None) -> m.Department:
    n = next(_seq)
    row = m.Department(code=code or f"D{n}", name=name or f"测试部门{n}")
    db.session.add(row)
    return row


def service_item(
    *,
    promised_days: int = 5,
    materials: int = 3,
    tiers=("city", "town", "village"),
    parallel: bool = False,
    dept: m.Department | None = None,
) -> m.ServiceItem:
    n = next(_seq)
    dept = dept or department()
    item = m.ServiceItem(
        code=f"T-{n:04d}",
        name=f"测试事项{n}",
        department=dept,
        accept_city="city" in tiers,
        accept_town="town" in tiers,
        accept_village="village" in tiers,
        promised_days=promised_days,
        legal_days=promised_days + 10,
        fee_note="不收费",
        needs_parallel=parallel,
    )
    item.materials = [
        m.RequiredMaterial(
            position=i,
            name=f"材料{i + 1}",
            copies=1,
            original=i == 0,
            how_to_obtain=f"获取方式{i + 1}",
        )
        for i in range(materials)
    ]
    if parallel:
        item.parallel_departments = [dept, department()]
    db.session.add(item)
    db.session.commit()
    return item


def resident_id(birth: dt.date = dt.date(1985, 6, 15), serial: int | None = None) -> str:
    serial = next(_seq) % 1000 if serial is None else serial
    return complete_resident_id(f"440781{birth:%Y%m%d}{serial:03d}")


def credit_code() -> str:
    return complete_uscc(f"91440781MA{next(_seq):07d}")


def applicant(
    unit: m.OrgUnit,
    *,
    birth: dt.date = dt.date(1985, 6, 15),
    name: str | None = None,
    enterprise: bool = False,
    **flags,
) -> m.Applicant:
    n = next(_seq)
    if enterprise:
        row = m.Applicant(
            kind=ApplicantKind.ENTERPRISE,
            name=name or f"测试企业{n}有限公司",
            credit_code=credit_code(),
            mobile="13800138000",
            unit=unit,
            **flags,
        )
    else:
        row = m.Applicant(
            kind=ApplicantKind.PERSON,
            name=name or f"申请人{n}",
            id_number=resident_id(birth),
            mobile="13800138000",
            unit=unit,
            **flags,
        )
    db.session.add(row)
    db.session.commit()
    return row


def staff(username: str, role: str, unit: m.OrgUnit | None) -> m.Specialist | None:
    specialist = create_staff(
        db.session,
        username=username,
        password=PASSWORD,
        name=f"员工{username}",
        unit=unit,
        role=role,
    )
    db.session.commit()
    return specialist


def case(
    unit: m.OrgUnit,
    actor_specialist: m.Specialist,
    *,
    item=None,
    app_=None,
    kind: ServiceKind = ServiceKind.HELP,
    major_project: bool = False,
    channel: CaseChannel = CaseChannel.HALL,
) -> m.Case:
    item = item or service_item()
    if app_ is None and channel == CaseChannel.HOME_VISIT:
        app_ = applicant(unit, birth=dt.date(1948, 3, 1))  # elderly: a home visit is for them
    app_ = app_ or applicant(unit)
    row = lifecycle.apply(
        db.session,
        actor_specialist.user,
        applicant=app_,
        item=item,
        kind=kind,
        major_project=major_project,
        channel=channel,
        needs="测试需求",
        handling_unit=unit,
        specialist=actor_specialist,
        ack_voluntary=True,
        ack_free=True,
        ack_truthful=True,
    )
    db.session.commit()
    return row
