"""The data model: units, staff, the service catalogue, applicants, cases and their records.

Models are thin: they hold columns, constraints and cheap derived properties. Every change of a
case's status goes through app/domain/lifecycle.py; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from flask_appbuilder.models.sqla import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship, validates

from app.domain import clock
from app.domain.hotline import normalize_ticket
from app.domain.itemcodes import normalize
from app.domain.status import OPEN_COMPLAINT_STATUSES, OPEN_STATUSES, CaseStatus, ComplaintStatus
from app.domain.text import pinyin_full, pinyin_initials
from app.enums import (
    ApplicantKind,
    AppointmentChannel,
    AppointmentStatus,
    AttachmentKind,
    CaseChannel,
    CenterKind,
    ComplaintChannel,
    ComplaintStep,
    ContactChannel,
    EvaluationChannel,
    EvaluationStage,
    EventKind,
    HelpType,
    HolidayKind,
    Indicator,
    NotificationChannel,
    NotificationStatus,
    ProjectIssueStatus,
    Rating,
    RectificationState,
    ReportState,
    ReviewDecision,
    ServiceKind,
    SlotPeriod,
    StaffType,
    SuspensionReason,
    TerminationReason,
    Tier,
    WalkInKind,
)
from app.validators import (
    age_on,
    birth_date_from_resident_id,
    is_valid_resident_id,
    mask_mobile,
    mask_resident_id,
    normalize_mobile,
    normalize_resident_id,
    normalize_uscc,
)

# Identifiers are stored NFKC-folded (full-width digits as ASCII), without spaces, upper-cased:
# whatever path writes them (screens, API, import), uniqueness holds on one spelling.
IDENTIFIER_NORMALIZERS = {
    "id_number": normalize_resident_id,
    "credit_code": normalize_uscc,
    "mobile": normalize_mobile,
}


def normalized_identifier(key: str, value):
    if not isinstance(value, str) or not value:
        return value
    return IDENTIFIER_NORMALIZERS[key](value)


def enum_column(enum_cls, **kw) -> sa.Enum:
    """A portable enum column storing the member's value (e.g. 'city'), checked by the DB."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=True,
        **kw,
    )


def now() -> dt.datetime:
    """Timezone-aware current time (stored as UTC)."""
    return dt.datetime.now(dt.UTC)


TS = sa.DateTime(timezone=True)


# ---------------------------------------------------------------- units and staff


class OrgUnit(Model):
    """服务机构: a service center at one of the three tiers.

    ``path`` is the materialized path of ids (``/1/5/23/``): a unit's subtree is every unit whose
    path starts with its own, one indexed LIKE query.
    """

    __tablename__ = "org_unit"
    __table_args__ = (
        sa.Index("ix_org_unit_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    tier: Mapped[Tier] = mapped_column(enum_column(Tier))
    kind: Mapped[CenterKind] = mapped_column(enum_column(CenterKind))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    path: Mapped[str] = mapped_column(sa.String(255), default="")
    address: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


class Department(Model):
    """部门: a department stationed in the hall."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return self.name


class Specialist(Model):
    """帮办代办专员 and other staff; the profile of a log-in account (``user_id``)."""

    __tablename__ = "specialist"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    staff_type: Mapped[StaffType] = mapped_column(enum_column(StaffType))
    mobile: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"), unique=True)

    unit: Mapped[OrgUnit] = relationship()
    department: Mapped[Department | None] = relationship()
    user = relationship(User)

    @validates("mobile")
    def _normalize_identifier(self, key, value):
        return normalized_identifier(key, value)

    def __repr__(self) -> str:
        return self.name


# ---------------------------------------------------------------- service catalogue

item_parallel_department = sa.Table(
    "service_item_parallel_department",
    Model.metadata,
    sa.Column("item_id", sa.ForeignKey("service_item.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("department_id", sa.ForeignKey("department.id"), primary_key=True),
)


def item_pinyin(name, keywords, full, initials) -> str:
    """What the guide matches pinyin against: the name's full pinyin, then each keyword's full
    pinyin and initials (so ``dibao`` and ``db`` find the item with the keyword 低保)."""
    words = [full(name)]
    for keyword in re.split(r"[\s,，、;；]+", keywords or ""):
        if keyword:
            words += [full(keyword), initials(keyword)]
    return " ".join(w for w in words if w)


class ServiceItem(Model):
    """政务服务事项 with its promised time limit (承诺时限) and required materials."""

    __tablename__ = "service_item"
    __table_args__ = (
        sa.CheckConstraint("promised_days >= 0", name="ck_item_promised_nonneg"),
        sa.CheckConstraint("legal_days >= promised_days", name="ck_item_legal_ge_promised"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # The official codes (GB/T 39554.1-2020, app/domain/itemcodes.py): 事项编码 and 实施清单编码.
    basic_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    implementation_code: Mapped[str | None] = mapped_column(sa.String(31), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    accept_city: Mapped[bool] = mapped_column(default=True)
    accept_town: Mapped[bool] = mapped_column(default=False)
    accept_village: Mapped[bool] = mapped_column(default=False)
    promised_days: Mapped[int] = mapped_column()
    legal_days: Mapped[int] = mapped_column()
    fee_note: Mapped[str] = mapped_column(sa.String(255), default="")
    needs_parallel: Mapped[bool] = mapped_column(default=False)
    online: Mapped[bool] = mapped_column(default=False)
    mobile: Mapped[bool] = mapped_column(default=False)
    self_service: Mapped[bool] = mapped_column(default=False)
    keywords: Mapped[str] = mapped_column(sa.String(255), default="")
    pinyin_initials: Mapped[str] = mapped_column(
        sa.String(100), default="", server_default="", index=True
    )
    # Full pinyin of the name and keywords (app/domain/text.py pinyin_full), for the guide search.
    pinyin_full: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    window_number: Mapped[str | None] = mapped_column(sa.String(50))  # 窗口号
    hall_location: Mapped[str | None] = mapped_column(sa.String(200))  # where in the hall
    active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Department] = relationship()
    parallel_departments: Mapped[list[Department]] = relationship(
        secondary=item_parallel_department
    )
    materials: Mapped[list[RequiredMaterial]] = relationship(
        back_populates="item", order_by="RequiredMaterial.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.name

    @validates("name", "keywords")
    def _set_pinyin(self, key, value):
        name = value if key == "name" else self.name
        keywords = value if key == "keywords" else self.keywords
        if key == "name":
            self.pinyin_initials = pinyin_initials(value)[:100]
        self.pinyin_full = item_pinyin(name, keywords, pinyin_full, pinyin_initials)
        return value

    @validates("basic_code", "implementation_code")
    def _normalize_official_code(self, key, value):
        return normalize(value)

    def accepts(self, tier: Tier) -> bool:
        return {Tier.CITY: self.accept_city, Tier.TOWN: self.accept_town}.get(
            tier, self.accept_village
        )


class RequiredMaterial(Model):
    """A material the service item requires: how many copies, original or copy, how to get it."""

    __tablename__ = "required_material"
    __table_args__ = (sa.CheckConstraint("copies >= 1", name="ck_material_copies_pos"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("service_item.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    copies: Mapped[int] = mapped_column(default=1)
    original: Mapped[bool] = mapped_column(default=False)
    how_to_obtain: Mapped[str] = mapped_column(sa.String(500), default="")

    item: Mapped[ServiceItem] = relationship(back_populates="materials")

    def __repr__(self) -> str:
        return self.name


class ProblemCategory(Model):
    """A category of problem met on cases, for the ledger's analysis of common problems."""

    __tablename__ = "problem_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))

    def __repr__(self) -> str:
        return self.name


# ---------------------------------------------------------------- applicants


def trigram_index(name: str, column: str) -> sa.Index:
    """A pg_trgm GIN index for ``LIKE '%…%'`` searches on PostgreSQL (a plain index elsewhere;
    migration 0012_scale builds it, concurrently)."""
    return sa.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


class Applicant(Model):
    """申请人: an individual (resident ID) or an enterprise (unified social credit code).

    The applicant stays the applicant of record whatever the specialist does.
    """

    __tablename__ = "applicant"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'person' AND id_number IS NOT NULL) OR "
            "(kind = 'enterprise' AND credit_code IS NOT NULL)",
            name="ck_applicant_identity",
        ),
        sa.UniqueConstraint("unit_id", "id_number", name="uq_applicant_unit_id_number"),
        sa.UniqueConstraint("unit_id", "credit_code", name="uq_applicant_unit_credit_code"),
        # "Name contains", "credit code ends with": trigram indexes (plain ones on SQLite).
        trigram_index("ix_applicant_name_trgm", "name"),
        trigram_index("ix_applicant_credit_code_trgm", "credit_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ApplicantKind] = mapped_column(enum_column(ApplicantKind))
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    id_number: Mapped[str | None] = mapped_column(sa.String(18), index=True)
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), index=True)
    contact_person: Mapped[str | None] = mapped_column(sa.String(50))
    mobile: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    weak: Mapped[bool] = mapped_column(default=False)
    sick: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    foreign_invested: Mapped[bool] = mapped_column(default=False)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=now)

    unit: Mapped[OrgUnit] = relationship()

    @validates("id_number", "credit_code", "mobile")
    def _normalize_identifier(self, key, value):
        return normalized_identifier(key, value)

    def __repr__(self) -> str:
        return self.name

    @property
    def birth_date(self) -> dt.date | None:
        if self.kind == ApplicantKind.PERSON and self.id_number:
            if is_valid_resident_id(self.id_number):
                return birth_date_from_resident_id(self.id_number)
        return None

    def age(self, on: dt.date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        return age_on(self.id_number, on or dt.date.today())

    def is_elderly(self, on: dt.date | None = None) -> bool:
        """60 or over by the birth date in the ID number (老)."""
        age = self.age(on)
        return age is not None and age >= 60

    def special_group(self, on: dt.date | None = None) -> bool:
        """老弱病残: eligible for 代办 as a special-group person."""
        return self.is_elderly(on) or self.weak or self.sick or self.disabled

    @property
    def masked_id_number(self) -> str:
        return mask_resident_id(self.id_number) if self.id_number else ""

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile) if self.mobile else ""


# ---------------------------------------------------------------- cases


def _case_record_text(record, label) -> str:
    """How a record of a case reads in lists and pickers: its case number and what it is."""
    case = getattr(record, "case", None)
    return f"{case.number} · {label}" if case is not None else str(label)


class CaseCounter(Model):
    """Per unit and year sequence for readable case numbers; claimed with UPDATE ... RETURNING."""

    __tablename__ = "case_counter"

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Case(Model):
    """帮办代办件: one service for one applicant on one service item."""

    __tablename__ = "service_case"
    __table_args__ = (
        sa.Index("ix_case_status_due", "status", "due_date"),
        sa.Index("ix_case_handling_status", "handling_unit_id", "status"),
        # A unit's cases in a period (ledger, lists): both sides of the scope, newest first.
        sa.Index("ix_case_handling_applied", "handling_unit_id", "applied_at"),
        sa.Index("ix_case_accepting_applied", "accepting_unit_id", "applied_at"),
        # Cases accepted at one unit and handled at another (transfers), newest first: a
        # station's ledger reads its transferred-out arm here instead of walking its every case.
        sa.Index(
            "ix_case_transferred_applied",
            "accepting_unit_id",
            "applied_at",
            postgresql_where=sa.text("accepting_unit_id <> handling_unit_id"),
            sqlite_where=sa.text("accepting_unit_id <> handling_unit_id"),
        ),
        sa.Index("ix_case_specialist_applied", "specialist_id", "applied_at"),
        trigram_index("ix_case_number_trgm", "number"),  # "case number contains"
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("applicant.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("service_item.id"), index=True)
    kind: Mapped[ServiceKind] = mapped_column(enum_column(ServiceKind))
    help_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    major_project: Mapped[bool] = mapped_column(default=False)
    # 到厅 or 上门服务 (home visits for elderly, sick and disabled applicants, app/domain/visits.py)
    channel: Mapped[CaseChannel] = mapped_column(
        enum_column(CaseChannel), default=CaseChannel.HALL, server_default=CaseChannel.HALL.value
    )
    needs: Mapped[str] = mapped_column(sa.Text, default="")
    accepting_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    handling_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    specialist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("specialist.id"), index=True)
    steward_id: Mapped[int | None] = mapped_column(sa.ForeignKey("specialist.id"))
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.APPLIED)
    applied_at: Mapped[dt.datetime] = mapped_column(TS, default=now, index=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(TS)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(TS)
    ended_at: Mapped[dt.datetime | None] = mapped_column(TS, index=True)
    promised_days: Mapped[int | None] = mapped_column()
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column(TS)
    ack_voluntary: Mapped[bool] = mapped_column(default=False)
    ack_free: Mapped[bool] = mapped_column(default=False)
    ack_truthful: Mapped[bool] = mapped_column(default=False)
    process_explained: Mapped[bool] = mapped_column(default=False)
    applicant_signed: Mapped[bool] = mapped_column(default=False)
    received_material_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # 12345 工单号: the hotline ticket the case came from or answers (app/domain/hotline.py)
    hotline_ticket: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    version_id: Mapped[int] = mapped_column(default=1)

    applicant: Mapped[Applicant] = relationship()
    item: Mapped[ServiceItem] = relationship()
    accepting_unit: Mapped[OrgUnit] = relationship(foreign_keys=[accepting_unit_id])
    handling_unit: Mapped[OrgUnit] = relationship(foreign_keys=[handling_unit_id])
    specialist: Mapped[Specialist | None] = relationship(foreign_keys=[specialist_id])
    steward: Mapped[Specialist | None] = relationship(foreign_keys=[steward_id])
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.at", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return self.number

    @validates("hotline_ticket")
    def _normalize_ticket(self, key, value):
        return normalize_ticket(value) or None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def help_type_labels(self) -> list[str]:
        """The help given (帮办 kinds), in the user's language, for the case page."""
        labels = []
        for value in self.help_types or []:
            try:
                labels.append(str(HelpType(value).label))
            except ValueError:
                labels.append(str(value))
        return labels


class CaseEvent(Model):
    """One entry of a case's timeline: who did what, when."""

    __tablename__ = "case_event"
    __table_args__ = (sa.Index("ix_case_event_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    from_status: Mapped[CaseStatus | None] = mapped_column(
        enum_column(CaseStatus, name="event_from_status")
    )
    to_status: Mapped[CaseStatus | None] = mapped_column(
        enum_column(CaseStatus, name="event_to_status")
    )
    channel: Mapped[ContactChannel | None] = mapped_column(enum_column(ContactChannel))
    problem_category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("problem_category.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor = relationship(User)
    unit: Mapped[OrgUnit | None] = relationship()
    problem_category: Mapped[ProblemCategory | None] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, self.kind.label if self.kind else _l("Timeline entry"))


class MaterialNotice(Model):
    """一次性告知书: every missing material listed at once, with how to obtain each."""

    __tablename__ = "material_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    deadline: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    is_repeat: Mapped[bool] = mapped_column(default=False)
    repeat_reason: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(TS)

    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, _l("One-time notice"))

    @property
    def is_overdue(self) -> bool:
        """The materials are still missing past the notice's deadline (the red flag)."""
        return self.resolved_at is None and self.deadline < clock.today()


class Extension(Model):
    """延期: more working days, with the reason explained to the applicant."""

    __tablename__ = "extension"
    __table_args__ = (sa.CheckConstraint("extra_days > 0", name="ck_extension_days_pos"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    extra_days: Mapped[int] = mapped_column()
    old_due: Mapped[dt.date | None] = mapped_column(sa.Date)
    new_due: Mapped[dt.date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    explained_to_applicant: Mapped[bool] = mapped_column(default=False)

    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, _l("Extension"))


class Handover(Model):
    """移交签收: results and original materials handed back, signed for by the applicant."""

    __tablename__ = "handover"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), unique=True)
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    results: Mapped[str] = mapped_column(sa.Text)
    materials_returned: Mapped[str] = mapped_column(sa.Text, default="")
    signed_by: Mapped[str] = mapped_column(sa.String(50))
    signed_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    receipt_file: Mapped[str | None] = mapped_column(sa.String(255))

    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, _l("Handover"))


class Suspension(Model):
    """中止 and 续办: a case suspended with a reason, its clock stopped, resumed with a renewed
    entrustment (续办委托书) signed by the applicant. The pause counts like the materials pause
    (app/domain/lifecycle.py ``due_date_for``)."""

    __tablename__ = "case_suspension"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    suspended_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    suspended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    reason_type: Mapped[SuspensionReason] = mapped_column(enum_column(SuspensionReason))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The status the case resumes to, and the due date in force when the clock stopped.
    from_status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, name="suspension_from_status")
    )
    due_at_suspension: Mapped[dt.date | None] = mapped_column(sa.Date)
    resumed_at: Mapped[dt.datetime | None] = mapped_column(TS)
    resumed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    renewal_signed_by: Mapped[str] = mapped_column(sa.String(50), default="")
    renewal_file: Mapped[str | None] = mapped_column(sa.String(255))
    resume_note: Mapped[str] = mapped_column(sa.Text, default="")
    paused_working_days: Mapped[int | None] = mapped_column()
    due_after_resume: Mapped[dt.date | None] = mapped_column(sa.Date)

    case: Mapped[Case] = relationship()

    @property
    def is_open(self) -> bool:
        return self.resumed_at is None

    def __str__(self) -> str:
        return _case_record_text(self, _l("Suspension"))


class Termination(Model):
    """终止委托: the reason recorded, materials handed back, both sides sign."""

    __tablename__ = "termination"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), unique=True)
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    reason_type: Mapped[TerminationReason] = mapped_column(enum_column(TerminationReason))
    reason: Mapped[str] = mapped_column(sa.Text)
    materials_returned: Mapped[str] = mapped_column(sa.Text, default="")
    applicant_signed: Mapped[bool] = mapped_column(default=False)
    specialist_signed: Mapped[bool] = mapped_column(default=False)

    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, _l("Termination"))


review_department = sa.Table(
    "joint_review_department",
    Model.metadata,
    sa.Column("review_id", sa.ForeignKey("joint_review.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("department_id", sa.ForeignKey("department.id"), primary_key=True),
)


class JointReview(Model):
    """并联审联批会议 for an item that needs several departments."""

    __tablename__ = "joint_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    lead_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    scheduled_at: Mapped[dt.datetime] = mapped_column(TS, index=True)
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    minutes: Mapped[str] = mapped_column(sa.Text, default="")
    decision: Mapped[ReviewDecision] = mapped_column(
        enum_column(ReviewDecision), default=ReviewDecision.PENDING
    )
    escalated_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(TS)
    escalation_outcome: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(TS)

    case: Mapped[Case] = relationship()
    lead_unit: Mapped[OrgUnit] = relationship()
    departments: Mapped[list[Department]] = relationship(secondary=review_department)

    def __str__(self) -> str:
        return _case_record_text(self, _l("Joint review"))

    escalated_to = relationship(User)


class Evaluation(Model):
    """评价: the applicant's rating on the five levels of GB/T 39734."""

    __tablename__ = "evaluation"
    # One evaluation per stage of a case (一次一评): at acceptance and at completion.
    __table_args__ = (sa.UniqueConstraint("case_id", "stage", name="uq_evaluation_case_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"))
    stage: Mapped[EvaluationStage] = mapped_column(
        enum_column(EvaluationStage),
        default=EvaluationStage.COMPLETION,
        server_default=EvaluationStage.COMPLETION.value,
    )
    # What the provincial 好差评 system takes, as it stood when the rating was given: the item's
    # 实施清单编码 (else its 事项编码, else its own code) and the case number.
    item_code: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    case_number: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    rating: Mapped[Rating] = mapped_column(enum_column(Rating), index=True)
    channel: Mapped[EvaluationChannel] = mapped_column(enum_column(EvaluationChannel))
    comments: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, self.rating.label if self.rating else _l("Evaluation"))


class Rectification(Model):
    """差评整改: a poor rating verified, put right by an owner, closed by a call-back."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation.id"), unique=True)
    state: Mapped[RectificationState] = mapped_column(
        enum_column(RectificationState), default=RectificationState.OPEN
    )
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("specialist.id"))
    deadline: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    verification: Mapped[str] = mapped_column(sa.Text, default="")
    action_taken: Mapped[str] = mapped_column(sa.Text, default="")
    callback_at: Mapped[dt.datetime | None] = mapped_column(TS)
    callback_note: Mapped[str] = mapped_column(sa.Text, default="")
    appeal_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Who appealed: never the one who decides the appeal (app/domain/followup.py).
    appealed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    appeal_decision: Mapped[str] = mapped_column(sa.Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(TS)

    evaluation: Mapped[Evaluation] = relationship()
    owner: Mapped[Specialist | None] = relationship()
    appealed_by = relationship(User)

    def __str__(self) -> str:
        return (
            f"{self.evaluation} · {self.state.label}"
            if self.evaluation
            else str(_l("Rectification"))
        )

    # States in which the rectification is still owed (as the overdue reminder reads them).
    PENDING_STATES = (RectificationState.OPEN, RectificationState.VERIFIED)

    @property
    def is_overdue(self) -> bool:
        """Past its deadline and not yet put right (the red flag on lists and the page)."""
        return (
            self.closed_at is None
            and self.state in self.PENDING_STATES
            and self.deadline is not None
            and self.deadline < clock.today()
        )


class ReturnVisit(Model):
    """回访: planned and done dates, channel, notes."""

    __tablename__ = "return_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    planned_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    done_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    channel: Mapped[ContactChannel | None] = mapped_column(enum_column(ContactChannel))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))

    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, _l("Return visit"))


home_visit_staff = sa.Table(
    "home_visit_staff",
    Model.metadata,
    sa.Column("visit_id", sa.ForeignKey("home_visit.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("specialist_id", sa.ForeignKey("specialist.id"), primary_key=True),
)


class HomeVisit(Model):
    """上门服务: a visit to the applicant's home (elderly, sick or disabled applicants), planned
    with its time, place and the staff going, then recorded as done with its outcome."""

    __tablename__ = "home_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    planned_at: Mapped[dt.datetime] = mapped_column(TS, index=True)
    address: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    planned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(TS)
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))

    case: Mapped[Case] = relationship()
    staff: Mapped[list[Specialist]] = relationship(
        secondary=home_visit_staff, order_by="Specialist.name"
    )

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def __str__(self) -> str:
        return _case_record_text(self, _l("Home visit"))


class ProjectTeam(Model):
    """项目管家 "1+1+N" of a major investment project: the steward is ``Case.steward``; this row
    holds the "1" on the enterprise's side (its contact), the liaisons are ``ProjectLiaison``."""

    __tablename__ = "project_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), unique=True)
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(TS, default=now)

    case: Mapped[Case] = relationship()

    @property
    def masked_contact_phone(self) -> str:
        return mask_mobile(self.contact_phone) if self.contact_phone else ""

    def __str__(self) -> str:
        return _case_record_text(self, _l("Project team"))


class ProjectLiaison(Model):
    """One of the N department liaisons of a major project; removed ones stay, marked."""

    __tablename__ = "project_liaison"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    person: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    added_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    removed_at: Mapped[dt.datetime | None] = mapped_column(TS)

    case: Mapped[Case] = relationship()
    department: Mapped[Department] = relationship()

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone) if self.phone else ""

    def __str__(self) -> str:
        return _case_record_text(self, _l("Department liaison"))


class ProjectLogEntry(Model):
    """A dated entry of a major project's log (项目日志)."""

    __tablename__ = "project_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    on: Mapped[dt.date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))

    case: Mapped[Case] = relationship()

    def __str__(self) -> str:
        return _case_record_text(self, _l("Project log"))


class ProjectIssue(Model):
    """An issue on a major project's list: who owns it, by when, open or solved."""

    __tablename__ = "project_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    title: Mapped[str] = mapped_column(sa.Text)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    due_on: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    status: Mapped[ProjectIssueStatus] = mapped_column(
        enum_column(ProjectIssueStatus), default=ProjectIssueStatus.OPEN
    )
    raised_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    solved_at: Mapped[dt.datetime | None] = mapped_column(TS)
    solution: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship()
    department: Mapped[Department | None] = relationship()

    def overdue_on(self, today: dt.date) -> bool:
        """Open past its due date (the list's overdue flag)."""
        return self.status == ProjectIssueStatus.OPEN and self.due_on < today

    def __str__(self) -> str:
        return _case_record_text(self, _l("Project issue"))


class Attachment(Model):
    """A file kept with a case (a signed paper's scan and the like), under a generated name.

    Never deleted: a file filed by mistake is voided with a reason and stays listed, struck out.
    """

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(
        enum_column(AttachmentKind), default=AttachmentKind.OTHER
    )
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    voided_at: Mapped[dt.datetime | None] = mapped_column(TS)
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    void_reason: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship()
    uploaded_by = relationship(User, foreign_keys=[uploaded_by_id])
    voided_by = relationship(User, foreign_keys=[voided_by_id])

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def is_image(self) -> bool:
        return (self.content_type or "").startswith("image/")

    def __str__(self) -> str:
        return self.original_name or str(_l("Attachment"))


class ChaseUp(Model):
    """催办: a manager asks the case's specialist for a response by a deadline (12345 hand-off).

    Written by the case steps ``chase_up`` and ``chase_up_reply`` (app/domain/lifecycle.py); both
    are on the case's timeline; one unanswered past ``respond_by`` is flagged and reminded.
    """

    __tablename__ = "chase_up"
    __table_args__ = (sa.Index("ix_chase_up_open_due", "responded_at", "respond_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    specialist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("specialist.id"))
    request: Mapped[str] = mapped_column(sa.Text, default="")
    respond_by: Mapped[dt.date] = mapped_column(sa.Date)
    hotline_ticket: Mapped[str | None] = mapped_column(sa.String(32))
    responded_at: Mapped[dt.datetime | None] = mapped_column(TS)
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    response: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship()
    specialist: Mapped[Specialist | None] = relationship()
    requested_by = relationship(User, foreign_keys=[requested_by_id])
    responded_by = relationship(User, foreign_keys=[responded_by_id])

    @property
    def is_open(self) -> bool:
        return self.responded_at is None

    @property
    def is_overdue(self) -> bool:
        """Unanswered past its response deadline (the red flag)."""
        return self.responded_at is None and self.respond_by < clock.today()

    def __str__(self) -> str:
        return _case_record_text(self, _l("Chase-up"))


# ---------------------------------------------------------------- “办不成事” complaints


class ComplaintCounter(Model):
    """Per unit and year sequence for complaint numbers."""

    __tablename__ = "complaint_counter"

    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Complaint(Model):
    """办不成事反映: something could not be done anywhere in the hall.

    Its status changes only through app/domain/complaints.py; each step is on its own timeline
    (``ComplaintEvent``). ``unit_id`` is the center that received it (the tier scope).
    """

    __tablename__ = "complaint"
    __table_args__ = (
        sa.Index("ix_complaint_unit_received", "unit_id", "received_at"),
        sa.Index("ix_complaint_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    channel: Mapped[ComplaintChannel] = mapped_column(enum_column(ComplaintChannel))
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_column(ComplaintStatus), default=ComplaintStatus.INTAKE
    )
    complainant: Mapped[str] = mapped_column(sa.String(100))
    mobile: Mapped[str] = mapped_column(sa.String(20))
    matter: Mapped[str] = mapped_column(sa.Text)  # what could not be done, in their words
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_item.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_case.id"))
    hotline_ticket: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    # What the public page gives the complainant to look the complaint up (with the number).
    check_code: Mapped[str] = mapped_column(sa.String(12))
    received_at: Mapped[dt.datetime] = mapped_column(TS, default=now, index=True)
    received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("specialist.id"), index=True)
    # The deadline in force: intake's, then the department's after a transfer.
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    transferred_at: Mapped[dt.datetime | None] = mapped_column(TS)
    transfer_days: Mapped[int | None] = mapped_column()
    transfer_due: Mapped[dt.date | None] = mapped_column(sa.Date)
    replied_at: Mapped[dt.datetime | None] = mapped_column(TS)
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    called_back_at: Mapped[dt.datetime | None] = mapped_column(TS)
    callback_result: Mapped[str] = mapped_column(sa.Text, default="")
    satisfied: Mapped[bool | None] = mapped_column()
    archived_at: Mapped[dt.datetime | None] = mapped_column(TS)
    version_id: Mapped[int] = mapped_column(default=1)

    unit: Mapped[OrgUnit] = relationship()
    item: Mapped[ServiceItem | None] = relationship()
    case: Mapped[Case | None] = relationship()
    handler: Mapped[Specialist | None] = relationship()
    department: Mapped[Department | None] = relationship()
    received_by = relationship(User, foreign_keys=[received_by_id])
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )

    __mapper_args__ = {"version_id_col": version_id}

    @validates("mobile")
    def _normalize_identifier(self, key, value):
        return normalized_identifier(key, value)

    # The mobile is shown through app/masking.py (mask_unless_revealer), on screens and API alike.

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COMPLAINT_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < clock.today()

    @property
    def transfer_on_time(self) -> bool | None:
        """Whether the department answered by its deadline (None: not transferred, or still
        within it)."""
        if self.transfer_due is None:
            return None
        if self.replied_at is not None:
            return clock.local_date(self.replied_at) <= self.transfer_due
        return False if self.transfer_due < clock.today() else None

    def __repr__(self) -> str:
        return self.number

    def __str__(self) -> str:
        return self.number


class ComplaintEvent(Model):
    """One entry of a complaint's timeline: which step, who, when, from and to which status."""

    __tablename__ = "complaint_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    kind: Mapped[ComplaintStep] = mapped_column(enum_column(ComplaintStep))
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    from_status: Mapped[ComplaintStatus | None] = mapped_column(
        enum_column(ComplaintStatus, name="complaint_event_from")
    )
    to_status: Mapped[ComplaintStatus | None] = mapped_column(
        enum_column(ComplaintStatus, name="complaint_event_to")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    actor = relationship(User)

    def __str__(self) -> str:
        return f"{self.complaint.number} · {self.kind.label}" if self.complaint else str(self.id)


# ---------------------------------------------------------------- walk-in help


class WalkInHelp(Model):
    """窗口帮办记录: help at the hall that is not a case; counted in the ledger."""

    __tablename__ = "walk_in_help"
    __table_args__ = (sa.Index("ix_walk_in_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    specialist_id: Mapped[int | None] = mapped_column(sa.ForeignKey("specialist.id"))
    kind: Mapped[WalkInKind] = mapped_column(enum_column(WalkInKind))
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    queue_number: Mapped[str | None] = mapped_column(sa.String(20))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_item.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    unit: Mapped[OrgUnit] = relationship()
    specialist: Mapped[Specialist | None] = relationship()
    item: Mapped[ServiceItem | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind.label} {self.queue_number or ''}".strip()


# ---------------------------------------------------------------- notifications and system


class Notification(Model):
    """One message to one recipient on one channel; ``dedup_key`` makes each reminder unique."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_status_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    channel: Mapped[NotificationChannel] = mapped_column(enum_column(NotificationChannel))
    kind: Mapped[str] = mapped_column(sa.String(40))
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"), index=True)
    recipient_address: Mapped[str | None] = mapped_column(sa.String(120))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_case.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    not_before: Mapped[dt.datetime | None] = mapped_column(TS)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(TS)  # last handed to the broker
    sent_at: Mapped[dt.datetime | None] = mapped_column(TS)
    read_at: Mapped[dt.datetime | None] = mapped_column(TS)

    recipient = relationship(User)
    case: Mapped[Case | None] = relationship()

    def __str__(self) -> str:
        return self.subject or str(self.id)


class Holiday(Model):
    """A day off (法定节假日) or an adjusted working day (调休) of the official calendar."""

    __tablename__ = "holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, unique=True)
    kind: Mapped[HolidayKind] = mapped_column(enum_column(HolidayKind))
    name: Mapped[str] = mapped_column(sa.String(50), default="")


class HolidayYear(Model):
    """A year of the official schedule entered or loaded; outside confirmed years, due dates are
    provisional (weekends only). Every change of a year recomputes the open cases it touches."""

    __tablename__ = "holiday_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    # The official notice the days come from (e.g. 国办发明电〔2026〕N号).
    reference: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # Only a confirmed year counts as known; a year entered but not confirmed stays provisional.
    confirmed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    changed_at: Mapped[dt.datetime | None] = mapped_column(TS)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    # Open cases recomputed after the last change (NULL or older than changed_at: still to do).
    recomputed_at: Mapped[dt.datetime | None] = mapped_column(TS)


class Setting(Model):
    """A business knob an administrator may change (code defaults in app/settings.py)."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255))

    def __str__(self) -> str:
        return self.key


class AuditLog(Model):
    """Append-only record of a change: who, when, from where, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_table_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(TS, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    username: Mapped[str] = mapped_column(sa.String(100), default="")
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(20))
    table_name: Mapped[str] = mapped_column(sa.String(60))
    row_id: Mapped[str] = mapped_column(sa.String(40), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class RoleDefaultGrant(Model):
    """A permission the deploy step gave a built-in role by default (app/permissions.py).

    Given once: a default an Admin later revoked is not given again by the next deploy (only the
    role's minimum is). Keyed by names, which outlive FAB's permission row ids.
    """

    __tablename__ = "role_default_grant"

    role_name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    view_menu: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    permission: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(TS, default=now)


MODEL_LABELS = {
    "OrgUnit": _l("Service units"),
    "Case": _l("Cases"),
}


class BackgroundJob(Model):
    """A long piece of work run by a worker for a user (a large export, an import), with progress.

    The web request creates the row and returns at once; the page polls ``processed``/``total``.
    """

    __tablename__ = "background_job"
    __table_args__ = (sa.Index("ix_job_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))  # e.g. ledger_export, import_units
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    file_name: Mapped[str | None] = mapped_column(sa.String(255))  # under instance/jobs/
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    started_at: Mapped[dt.datetime | None] = mapped_column(TS)
    finished_at: Mapped[dt.datetime | None] = mapped_column(TS)
    # Set by the worker while it runs the job; the reaper fails a running job whose beat stopped.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(TS)
    # When the job was last handed to the broker (None: not yet, e.g. the broker was down).
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(TS)
    attempts: Mapped[int] = mapped_column(default=0)  # runs started (a retry adds one)

    user = relationship(User)


class StoredFile(Model):
    """A file every process needs (uploads, row reports, exports, summaries, receipts).

    Kept in the database by default so that every host sees it and one database backup holds it
    (app/filestore.py is the only code that reads or writes this table).
    """

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)  # e.g. exports/ledger-1-ab.xlsx
    content_type: Mapped[str] = mapped_column(sa.String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=now)


class ServiceBeat(Model):
    """The last sign of life of a background service: ``worker`` (a task ran), ``beat`` (beat sent
    its schedule). The System status screen and /health read them."""

    __tablename__ = "service_beat"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    detail: Mapped[str] = mapped_column(sa.String(200), default="")


class SummaryReport(Model):
    """A periodic (monthly or quarterly) summary of one unit's work, stored as a file."""

    __tablename__ = "summary_report"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "period", "period_start", name="uq_summary_unit_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10))  # month | quarter
    period_start: Mapped[dt.date] = mapped_column(sa.Date)
    period_end: Mapped[dt.date] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    stats: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    file_name: Mapped[str | None] = mapped_column(sa.String(255))  # under instance/reports/

    unit: Mapped[OrgUnit] = relationship()


class LoginLock(Model):
    """Failed log-ins of one user name and the temporary lock they caused."""

    __tablename__ = "login_lock"

    username: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[dt.datetime | None] = mapped_column(TS)
    locked_until: Mapped[dt.datetime | None] = mapped_column(TS)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(TS)


class AccountSession(Model):
    """The session version of an account. Log-out and a password change raise it, which ends
    every session cookie and API token issued under an older one (app/sessions.py)."""

    __tablename__ = "account_session"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(default=0)


class SecurityStamp(Model):
    """One row (id 1) whose ``stamp`` changes with every write to roles and permissions (database
    triggers, migration 0026): processes keep role permissions in memory while it stays the same
    (app/permission_cache.py)."""

    __tablename__ = "security_stamp"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stamp: Mapped[str] = mapped_column(sa.String(64))


class UserPreference(Model):
    """One account's choice on a screen, e.g. the ledger's columns (app/preferences.py).

    Kept on the server so the choice follows the person to another computer at the station.
    """

    __tablename__ = "user_preference"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(TS, default=now, onupdate=now)


ROLLUP_MEASURES = (
    "n",
    "cases",
    "open",
    "completed",
    "terminated",
    "late",
    "on_time",
    "judged",
    "handling_days",
    "handled",
    "extensions",
    "extension_cases",
    "extension_days",
    "notices",
    "repeats",
    "notice_cases",
    "repeat_cases",
)
ROLLUP_NO_DATE = dt.date(1970, 1, 1)  # key_date of the rows that have none (part of the key)


class StatRollup(Model):
    """Monthly statistics per unit subtree, kept current from each change (app/ledger/rollup.py).

    One row per (unit, month of application, dimension, key): a case counts in the rows of its
    handling and accepting units and of every unit above them, and in unit 0 (everything), so a
    dashboard reads a few hundred rows of one unit whatever the size of the case table.
    """

    __tablename__ = "stat_rollup"

    unit_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    month: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    dim: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    key_date: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    open: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    completed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    terminated: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    late: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    on_time: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    judged: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    handling_days: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    handled: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    extensions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    extension_cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    extension_days: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    notices: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    repeats: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    notice_cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    repeat_cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class StatRollupYear(Model):
    """The rows of ``StatRollup`` summed per year (app/ledger/rollup.py): a period of whole
    years (all time, this year, last year) reads a row a year instead of a row a month."""

    __tablename__ = "stat_rollup_year"

    unit_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    dim: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    key_date: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    open: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    completed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    terminated: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    late: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    on_time: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    judged: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    handling_days: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    handled: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    extensions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    extension_cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    extension_days: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    notices: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    repeats: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    notice_cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    repeat_cases: Mapped[int] = mapped_column(sa.BigInteger, default=0)


# ---------------------------------------------------------------- appointments (预约)


class AppointmentPattern(Model):
    """A unit's weekly pattern: the places of each period on each weekday (0 Monday … 6 Sunday).

    A manager sets it; a day's slots follow it on working days of the calendar, and on an
    ordinary weekend only its after-hours periods (延时服务) open (app/appointments/service.py).
    """

    __tablename__ = "appointment_pattern"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "weekday", "period", name="uq_appointment_pattern"),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="ck_appointment_pattern_weekday"),
        sa.CheckConstraint("capacity >= 0", name="ck_appointment_pattern_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    weekday: Mapped[int] = mapped_column()
    period: Mapped[SlotPeriod] = mapped_column(enum_column(SlotPeriod))
    capacity: Mapped[int] = mapped_column(default=0)

    unit: Mapped[OrgUnit] = relationship()


class AppointmentSlot(Model):
    """One period of one day at one unit with its places; ``booked`` counts live bookings and
    is raised only by ``UPDATE … WHERE booked < capacity`` (no overbooking under concurrency)."""

    __tablename__ = "appointment_slot"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "day", "period", name="uq_appointment_slot"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointment_slot_booked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    day: Mapped[dt.date] = mapped_column(sa.Date)
    period: Mapped[SlotPeriod] = mapped_column(enum_column(SlotPeriod))
    capacity: Mapped[int] = mapped_column(default=0)
    booked: Mapped[int] = mapped_column(default=0)

    unit: Mapped[OrgUnit] = relationship()

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class Appointment(Model):
    """预约: an applicant's place in a slot, booked by staff or on the public page; served at
    the desk by turning it into a case or a walk-in record."""

    __tablename__ = "appointment"
    __table_args__ = (sa.Index("ix_appointment_unit_day", "unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("appointment_slot.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    day: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    period: Mapped[SlotPeriod] = mapped_column(enum_column(SlotPeriod))
    applicant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("applicant.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    mobile: Mapped[str] = mapped_column(sa.String(20), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_item.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    channel: Mapped[AppointmentChannel] = mapped_column(enum_column(AppointmentChannel))
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_column(AppointmentStatus), default=AppointmentStatus.BOOKED
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    ended_at: Mapped[dt.datetime | None] = mapped_column(TS)
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    end_note: Mapped[str] = mapped_column(sa.Text, default="")
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_case.id"))
    walk_in_id: Mapped[int | None] = mapped_column(sa.ForeignKey("walk_in_help.id"))

    slot: Mapped[AppointmentSlot] = relationship()
    unit: Mapped[OrgUnit] = relationship()
    applicant: Mapped[Applicant | None] = relationship()
    item: Mapped[ServiceItem | None] = relationship()
    case: Mapped[Case | None] = relationship()
    walk_in: Mapped[WalkInHelp | None] = relationship()
    created_by = relationship(User, foreign_keys=[created_by_id])

    @validates("mobile")
    def _normalize_identifier(self, key, value):
        return normalized_identifier(key, value)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile) if self.mobile else ""

    def __str__(self) -> str:
        return self.number or ""


# ---------------------------------------------------------------- assessment and written reports


class AssessmentTarget(Model):
    """考核目标: an indicator's target and weight in the score (an Admin sets them).

    A rate's target is a share (1.0 = 100 %); a count's target is the most allowed (0 = none)."""

    __tablename__ = "assessment_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[Indicator] = mapped_column(enum_column(Indicator), unique=True)
    target: Mapped[float] = mapped_column(sa.Float)
    weight: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))


class PeriodicReport(Model):
    """月报 / 季报: a unit's written report of one period. The figures are those of
    app/ledger/figures.py at ``figures_at`` (not editable); the manager writes the text sections;
    a final report is archived read-only."""

    __tablename__ = "periodic_report"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "period", "period_start", name="uq_periodic_report_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(10))  # month | quarter
    period_start: Mapped[dt.date] = mapped_column(sa.Date)
    period_end: Mapped[dt.date] = mapped_column(sa.Date)
    state: Mapped[ReportState] = mapped_column(enum_column(ReportState), default=ReportState.DRAFT)
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    figures_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    problems_text: Mapped[str] = mapped_column(sa.Text, default="")
    practice_text: Mapped[str] = mapped_column(sa.Text, default="")
    remarks_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    finalised_at: Mapped[dt.datetime | None] = mapped_column(TS)
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    version_id: Mapped[int] = mapped_column(sa.Integer, default=1)

    unit: Mapped[OrgUnit] = relationship()

    __mapper_args__ = {"version_id_col": version_id}


class ArchiveCounter(Model):
    """The sequence of 案卷号 per year (app/domain/archiving.py claims it like case numbers)."""

    __tablename__ = "archive_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(default=0)


class CaseArchive(Model):
    """案卷: a closed case archived as one PDF bundle (its printed forms, timeline and signed
    papers) kept in the file store under ``file_name`` with its SHA-256 ``checksum``. Kept for
    ``retention_years``; past ``retain_until`` it is flagged for disposal review
    (``disposal_due_at``), never deleted by the app. The case is read-only once archived."""

    __tablename__ = "case_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_case.id"), unique=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 案卷号
    archived_at: Mapped[dt.datetime] = mapped_column(TS, default=now, index=True)
    archived_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    file_name: Mapped[str] = mapped_column(sa.String(128))
    checksum: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column()
    pages: Mapped[int] = mapped_column()
    retention_years: Mapped[int] = mapped_column()
    retain_until: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    disposal_due_at: Mapped[dt.datetime | None] = mapped_column(TS)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[Case] = relationship(backref=backref("archive", uselist=False))
    archived_by = relationship(User, foreign_keys=[archived_by_id])

    def __str__(self) -> str:
        return self.number
