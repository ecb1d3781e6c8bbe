"""The scope matrix's harness: the world (two sides of the tree, every kind of row on each), the
accounts, the route probes and the judge. The tests that use it are split by surface:

- tests/test_scope_matrix.py: every GET rule of the URL map (screens, API, exports, job and file
  downloads) for every account;
- tests/test_scope_screens.py: searches, forms and steps leak nothing; screen writes with town B's
  ids change nothing; the case list's query count;
- tests/test_scope_api.py: REST writes with town B's ids change nothing.

A user sees their own unit and every unit below it; Admin sees everything; an account without an
active unit sees no case data (app/scope.py).

Sides of the data: A = village A1 (under town A), B = village B1 (under town B), X = a second
city tree (outside even the city accounts' scope); "G" rows are global reference data.
Requests run each in their own app context, as in production (``isolated_requests``): the test
client would otherwise share the test's session and ``g`` between requests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import current_app
from flask import globals as flask_globals
from flask_appbuilder import ModelView
from flask_appbuilder.security.sqla import models as sec

from app import models as m
from app.archive import bundle as archive_bundle
from app.domain import archiving, chaseups, clock, complaints, lifecycle, projects
from app.enums import (
    ApplicantKind,
    AppointmentChannel,
    ComplaintChannel,
    ContactChannel,
    EvaluationChannel,
    HolidayKind,
    NotificationChannel,
    Rating,
    ServiceKind,
    SlotPeriod,
    SuspensionReason,
    TerminationReason,
    Tier,
    WalkInKind,
)
from app.extensions import db
from app.reminders.models import SmsSinkMessage
from tests import factories

HUGE = "99999999"
SECRET_NAME = "泄露测试乙"
SECRET_ID = factories.resident_id(dt.date(1961, 2, 3), serial=777)
SECRETS = (SECRET_NAME, SECRET_ID)

SKIPPED_ENDPOINTS = {"static", "appbuilder.static", "LocaleView.index", "AuthDBView.logout"}

# Security screens every logged-in user may open for their own account (app/roles.py OWN_ACCOUNT).
OWN_ACCOUNT_ENDPOINTS = {
    "AuthDBView.login",
    "UserDBModelView.userinfo",
    "ResetMyPasswordView.this_form_get",
    "UserInfoEditView.this_form_get",
}

# URL parameters that carry a row id, by name (``pk`` is the model of the view).
ID_PARAMS = {
    "pk",
    "case_id",
    "notice_id",
    "extension_id",
    "suspension_id",
    "filename",
    "job_id",
    "report_id",
    "attachment_id",
    "complaint_id",
    "visit_id",
    "archive_id",
}
# An id that names a row under its parent's id in the same URL: param → the parent's param.
# Probes fill both from the same side (the attachment of side A under side A's case).
CHILD_PARAMS = {"attachment_id": "pk"}
PARAM_MODELS = {
    "case_id": m.Case,
    "notice_id": m.MaterialNotice,
    "extension_id": m.Extension,
    "suspension_id": m.Suspension,
    "report_id": m.SummaryReport,
    "complaint_id": m.Complaint,
    "visit_id": m.HomeVisit,
    "archive_id": m.CaseArchive,
}
# Where the generic model row is not the one the route needs: (endpoint or view, param) → key
# of ``World.rows``.
TERMINATED_CASE = "terminated case"
OUTBOX = "outgoing notification"
PROJECT_CASE = "major project"
ROW_OVERRIDES = {
    ("CaseApi.project", "pk"): PROJECT_CASE,
    ("PrintView.termination", "case_id"): TERMINATED_CASE,
    ("NotificationOutboxView", "pk"): OUTBOX,
    ("AppointmentDeskView", "pk"): m.Appointment,
    ("ReportView", "report_id"): m.PeriodicReport,
}
# Views narrowed to the caller's own rows on top of the scope: (view, param) → (kind of own
# row, whether Admin sees everyone's).
OWN_ROWS = {
    ("MyCaseView", "pk"): ("case", False),
    ("NotificationView", "pk"): ("notification", False),
    ("NotificationCenterView", "pk"): ("notification", False),
    ("NotificationApi", "pk"): ("notification", False),
    ("LedgerView", "job_id"): ("ledger job", False),
    ("ImportView", "job_id"): ("import job", True),
    # Background jobs over the API: one's own (a unit's summaries too: tests/test_jobs_kinds.py).
    ("JobApi", "pk"): ("ledger job", True),
}
# Non-id parameters. ``name`` is an action of a ModelView (one that changes nothing, else an
# unknown one); a list is tried value by value.
SAFE_ACTIONS = ("resetmypassword", "userinfoedit")


def fixed_values(param: str) -> list[str] | None:
    if param == "step":
        return ["transfer"]  # the step form with a unit picker (all steps: the no-leak test)
    if param == "group_by":
        return ["0"]
    if param == "year":
        return ["2026"]  # a calendar year (the Admin's calendar screen)
    if param == "version":
        return ["v1"]
    if param == "fmt":
        return ["csv", "xlsx"]
    if param == "kind":
        from app.imports.specs import KINDS

        return list(KINDS)
    if param == "sms_kind":
        return ["accepted"]  # an SMS template (app/reminders/sms_templates.py KINDS)
    if param == "language":
        return ["zh", "en"]
    return None


def cheap_password_hashes(app, monkeypatch) -> None:
    """A cheap hash for the many test accounts (scrypt costs 0.15 s a hash and a log-in); each
    test module calls it from an autouse fixture."""
    monkeypatch.setitem(app.config, "FAB_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")


# ---------------------------------------------------------------- accounts


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    unit: str | None  # attribute of the unit tree; None for Admin
    visible: tuple[str, ...]  # sides whose rows the account must see
    hidden: tuple[str, ...]  # sides whose rows must answer exactly like a missing id
    active: bool = True

    @property
    def admin(self) -> bool:
        return self.role == "Admin"

    @property
    def leak_checked(self) -> bool:
        """Town B is outside this account's scope: nothing of it may reach its screens."""
        return "B" in self.hidden


# Sides: A = village A1 (under town A), B = village B1 (under town B), X = another city.
# One city account also proves it sees town B; the others check A only (time).
ACCOUNTS = (
    Account("admin", "Admin", None, ("A", "X"), ()),
    Account("city_manager", "Manager", "city", ("A", "B"), ("X",)),
    Account("city_specialist", "Specialist", "city", ("A",), ("X",)),
    Account("city_leader", "Leader", "city", ("A",), ("X",)),
    Account("town_manager", "Manager", "town_a", ("A",), ("B",)),
    Account("town_specialist", "Specialist", "town_a", ("A",), ("B",)),
    Account("town_leader", "Leader", "town_a", ("A",), ("B",)),
    Account("village_specialist", "Specialist", "village_a1", ("A",), ("B",)),
    # Specialist record deactivated: no unit, so no case data at all.
    Account("inactive_specialist", "Specialist", "town_a", (), ("A", "B"), active=False),
)
ACCOUNT = {a.username: a for a in ACCOUNTS}


# ---------------------------------------------------------------- the data


@dataclass
class World:
    units: dict[str, int]
    rows: dict[object, dict[str, object]]  # model → side (A, B, X; G for global) → pk
    own: dict[str, dict[str, object]]  # own-row kind → username → pk
    others_own: dict[str, object]  # own-row kind → a row of town B's specialist
    files: dict[str, str]  # side → stored file name of its attachment
    open_case: dict[str, int]  # side → id of an open (accepted) case
    specialists: dict[str, int]  # username → specialist id
    applicants: dict[str, int]  # side → applicant id
    items: dict[str, int]  # side → service item id
    cases: dict[str, int] = field(default_factory=dict)  # side → completed case id


def _side(side, unit, spec, applicant_name, id_number, marker, upload: Path) -> dict:
    """One unit's share of every case record, made through the lifecycle."""
    s = db.session
    actor = spec.user
    item = factories.service_item(materials=3, parallel=True)
    applicant = m.Applicant(
        kind=ApplicantKind.PERSON,
        name=applicant_name,
        id_number=id_number,
        mobile="13900139000",
        address=marker,
        unit=unit,
    )
    s.add(applicant)

    def new_case():
        return lifecycle.apply(
            s,
            actor,
            applicant=applicant,
            item=item,
            kind=ServiceKind.HELP,
            needs=f"{marker}的需求",
            handling_unit=unit,
            specialist=spec,
            ack_voluntary=True,
            ack_free=True,
            ack_truthful=True,
        )

    done = new_case()
    s.flush()
    mats = [mat.id for mat in item.materials]
    lifecycle.confirm(
        s,
        done,
        actor,
        process_explained=True,
        applicant_signed=True,
        received_material_ids=mats[:1],
    )
    notice = lifecycle.notify_missing(s, done, actor, deadline=clock.today() + dt.timedelta(10))
    lifecycle.supplement(s, done, actor, material_ids=mats[1:])
    extension = lifecycle.extend(
        s, done, actor, extra_days=2, reason=f"{marker}延期", explained_to_applicant=True
    )
    review = lifecycle.schedule_joint_review(
        s,
        done,
        actor,
        lead_unit=unit,
        scheduled_at=clock.now() + dt.timedelta(days=1),
        departments=list(item.parallel_departments),
    )
    lifecycle.submit(s, done, actor)
    handover = lifecycle.complete(
        s, done, actor, results=f"{marker}结果", materials_returned="", signed_by=applicant_name
    )
    evaluation = lifecycle.evaluate(
        s, done, actor, rating=Rating.DISSATISFIED, channel=EvaluationChannel.PHONE, comments=marker
    )
    visit = lifecycle.plan_return_visit(
        s, done, actor, planned_on=clock.today(), channel=ContactChannel.PHONE, notes=marker
    )
    ended = new_case()
    s.flush()
    termination = lifecycle.terminate(
        s,
        ended,
        actor,
        reason_type=TerminationReason.APPLICANT_REQUEST,
        reason=f"{marker}终止",
        materials_returned="",
        applicant_signed=True,
        specialist_signed=True,
    )
    open_case = new_case()
    s.flush()
    lifecycle.confirm(
        s, open_case, actor, process_explained=True, applicant_signed=True, received_material_ids=[]
    )
    paused = new_case()
    s.flush()
    lifecycle.confirm(
        s, paused, actor, process_explained=True, applicant_signed=True, received_material_ids=[]
    )
    suspension = lifecycle.suspend(
        s, paused, actor, reason_type=SuspensionReason.OTHER, reason=f"{marker}中止"
    )
    lifecycle.resume(s, paused, actor, renewal_signed=True, signed_by=applicant_name)
    stored = f"matrix-{side}-{uuid.uuid4().hex}.txt"
    content = f"{marker} {applicant_name} {id_number}".encode()
    (upload / stored).write_bytes(content)
    attachment = m.Attachment(
        case=done,
        stored_name=stored,
        original_name=f"{marker}.txt",
        content_type="text/plain",
        size=len(content),
        uploaded_by_id=actor.id,
    )
    walk_in = m.WalkInHelp(
        unit=unit, specialist=spec, kind=WalkInKind.QUESTION, item=item, note=marker
    )
    notification = _notification(actor.id, done, marker)
    reports = Path(current_app.config["INSTANCE_DIR"]) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    report_name = f"matrix-{side}-{uuid.uuid4().hex}.xlsx"
    (reports / report_name).write_bytes(content)
    summary = m.SummaryReport(
        unit=unit,
        period="month",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        stats={"marker": marker},
        file_name=report_name,
    )
    written = m.PeriodicReport(
        unit=unit,
        period="month",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        figures={"marker": marker},
        problems_text=marker,
    )
    slot = m.AppointmentSlot(
        unit=unit, day=clock.today(), period=SlotPeriod.MORNING, capacity=5, booked=1
    )
    appointment = m.Appointment(
        number=f"YYMATRIX{side}",
        slot=slot,
        unit=unit,
        day=slot.day,
        period=slot.period,
        applicant=applicant,
        name=applicant_name,
        mobile=applicant.mobile,
        item=item,
        note=marker,
        channel=AppointmentChannel.STAFF,
    )
    s.add_all([attachment, walk_in, notification, summary, written, slot, appointment])
    complaint = complaints.intake(
        s,
        actor,
        unit=unit,
        channel=ComplaintChannel.HOTLINE,
        complainant=applicant_name,
        mobile="13900139000",
        matter=f"{marker}办不成事",
        hotline_ticket="2026120500123",
        handler=spec,
    )
    chase = chaseups.chase_up(
        s, open_case, actor, request=f"{marker}催办", respond_by=clock.today()
    )
    home_visit = m.HomeVisit(case=done, planned_at=clock.now(), address=marker, staff=[spec])
    project = new_case()
    project.major_project = True
    s.flush()
    projects.set_contact(s, project, actor, contact_name=marker[:20], contact_phone="13900139000")
    s.add(home_visit)
    s.flush()
    case_file = archiving.archive(s, ended, actor, bundle=archive_bundle.maker(s, ended))
    s.commit()
    rectification = s.execute(
        sa.select(m.Rectification).where(m.Rectification.evaluation_id == evaluation.id)
    ).scalar_one()
    event = (
        s.execute(
            sa.select(m.CaseEvent).where(m.CaseEvent.case_id == done.id).order_by(m.CaseEvent.id)
        )
        .scalars()
        .first()
    )
    return {
        "rows": {
            m.OrgUnit: unit.id,
            m.Specialist: spec.id,
            m.Applicant: applicant.id,
            m.Case: done.id,
            m.CaseEvent: event.id,
            m.MaterialNotice: notice.id,
            m.Extension: extension.id,
            m.Suspension: suspension.id,
            m.JointReview: review.id,
            m.Handover: handover.id,
            m.Termination: termination.id,
            m.Evaluation: evaluation.id,
            m.Rectification: rectification.id,
            m.ReturnVisit: visit.id,
            m.Attachment: attachment.id,
            m.WalkInHelp: walk_in.id,
            m.Appointment: appointment.id,
            m.SummaryReport: summary.id,
            m.PeriodicReport: written.id,
            m.Complaint: complaint.id,
            m.ChaseUp: chase.id,
            m.HomeVisit: home_visit.id,
            m.CaseArchive: case_file.id,
        },
        "file": stored,
        "terminated": ended.id,
        "project": project.id,
        "open": open_case.id,
        "applicant": applicant.id,
        "item": item.id,
        "notification": notification.id,
        "done": done.id,
    }


def _notification(user_id, case, marker) -> m.Notification:
    return m.Notification(
        dedup_key=f"matrix-{uuid.uuid4().hex}",
        channel=NotificationChannel.APP,
        kind="matrix",
        recipient_id=user_id,
        case=case,
        subject=f"{marker}提醒",
        body=f"{marker}提醒正文",
    )


def _ledger_job(app, user_id: int, content: str) -> int:
    """A finished ledger export of ``user_id`` with its file (app/ledger/jobs.py)."""
    from app import filestore

    name = f"exports/matrix-{uuid.uuid4().hex}.csv"
    filestore.put(name, content.encode("utf-8"), "text/csv")
    job = m.BackgroundJob(
        kind="ledger_export",
        user_id=user_id,
        status="done",
        params={"format": "csv"},
        file_name=name,
        total=1,
        processed=1,
    )
    db.session.add(job)
    db.session.flush()
    return job.id


def _import_job(app, user_id: int) -> int:
    """A finished import of ``user_id`` with its (empty) results report (app/imports/)."""
    from app.imports.specs import KINDS

    kind = next(iter(KINDS))
    from app import filestore
    from app.imports import files

    name = f"imports/{uuid.uuid4().hex}.xlsx"
    filestore.put(
        files.report_name(name),
        json.dumps({"kind": kind, "file_problems": [], "rows": []}).encode("utf-8"),
        "application/json",
    )
    job = m.BackgroundJob(
        kind=f"import_{kind}",
        user_id=user_id,
        status="done",
        params={"kind": kind, "original": "matrix.xlsx"},
        file_name=name,
        total=0,
        processed=0,
    )
    db.session.add(job)
    db.session.flush()
    return job.id


def build_world(app, tree) -> World:
    """Accounts of every tier and role, and one row of every model per side (A, B, X).

    The ``app`` fixture empties the tables for each test, so every test calls this.
    """
    s = db.session
    upload = Path(app.config["UPLOAD_FOLDER"])
    upload.mkdir(parents=True, exist_ok=True)
    other_city = factories.unit("440783", "开平市政务服务中心", Tier.CITY)
    s.commit()
    units = {
        name: getattr(tree, name).id
        for name in ("city", "town_a", "town_b", "village_a1", "village_a2", "village_b1")
    }
    units["other_city"] = other_city.id
    specs = {a.username: factories.staff(a.username, a.role, _unit(tree, a)) for a in ACCOUNTS}
    b_spec = factories.staff("b_specialist", "Specialist", tree.village_b1)
    x_spec = factories.staff("x_specialist", "Specialist", other_city)
    sides = {
        "A": _side(
            "A",
            tree.village_a1,
            specs["village_specialist"],
            "甲村申请人",
            factories.resident_id(dt.date(1970, 1, 1), serial=111),
            "甲村",
            upload,
        ),
        "B": _side("B", tree.village_b1, b_spec, SECRET_NAME, SECRET_ID, SECRET_NAME, upload),
        "X": _side(
            "X",
            other_city,
            x_spec,
            "外市申请人丙",
            factories.resident_id(dt.date(1980, 1, 1), serial=333),
            "外市",
            upload,
        ),
    }
    rows: dict[object, dict[str, object]] = {}
    for side, built in sides.items():
        for model, pk in built["rows"].items():
            rows.setdefault(model, {})[side] = pk
        rows.setdefault(TERMINATED_CASE, {})[side] = built["terminated"]
        rows.setdefault(PROJECT_CASE, {})[side] = built["project"]

    # Own rows: a case assigned to, and a notification for, every account.
    users = {a.username: app.appbuilder.sm.find_user(username=a.username) for a in ACCOUNTS}
    own_case = {"village_specialist": sides["A"]["done"]}
    own_note, ledger_jobs, import_jobs = {}, {}, {}
    for account in ACCOUNTS:
        spec = specs[account.username]
        if spec is not None and account.username not in own_case:
            own_case[account.username] = factories.case(spec.unit, spec).id
        note = _notification(users[account.username].id, None, "本人")
        s.add(note)
        s.flush()
        own_note[account.username] = note.id
        user_id = users[account.username].id
        ledger_jobs[account.username] = _ledger_job(app, user_id, "本人台账")
        import_jobs[account.username] = _import_job(app, user_id)
    b_user = b_spec.user.id
    others_jobs = {
        "ledger job": _ledger_job(app, b_user, f"{SECRET_NAME},{SECRET_ID}"),
        "import job": _import_job(app, b_user),
    }

    # Global reference data and the security tables (one row each).
    item = s.get(m.ServiceItem, sides["A"]["item"])
    category = m.ProblemCategory(code="matrix", name="矩阵问题")
    holiday = m.Holiday(day=dt.date(2030, 1, 1), kind=HolidayKind.OFF, name="元旦")
    year = m.HolidayYear(year=2031, source="matrix")
    setting = m.Setting(key="matrix.probe", value="1")
    audit = m.AuditLog(username="admin", action="update", table_name="applicant", row_id="1")
    group = sec.Group(name="matrix", label="matrix", description="")
    s.add_all([category, holiday, year, setting, audit, group])
    s.flush()
    first = {
        model: s.execute(sa.select(model).order_by(model.id)).scalars().first().id
        for model in (sec.Permission, sec.ViewMenu, sec.PermissionView)
    }
    globals_ = {
        m.ServiceItem: item.id,
        m.RequiredMaterial: item.materials[0].id,
        m.Department: item.department_id,
        m.ProblemCategory: category.id,
        m.Holiday: holiday.id,
        m.HolidayYear: year.year,
        m.Setting: setting.key,
        m.AuditLog: audit.id,
        m.Notification: sides["A"]["notification"],
        sec.User: users["admin"].id,
        sec.Role: app.appbuilder.sm.find_role("Admin").id,
        sec.Group: group.id,
        **first,
    }
    outbox = _notification(users["admin"].id, None, "外发")
    outbox.channel = NotificationChannel.EMAIL
    outbox.recipient_address = "matrix@example.invalid"
    s.add(outbox)
    s.flush()
    globals_[OUTBOX] = outbox.id
    sms = SmsSinkMessage(notification_id=outbox.id, mobile="13900139000", body="矩阵短信")
    s.add(sms)
    s.flush()
    globals_[SmsSinkMessage] = sms.id
    for model, pk in globals_.items():
        rows[model] = {"G": pk}

    specs["inactive_specialist"].active = False
    world = World(
        units=units,
        rows=rows,
        own={
            "case": own_case,
            "notification": own_note,
            "ledger job": ledger_jobs,
            "import job": import_jobs,
        },
        others_own={
            "case": sides["B"]["done"],
            "notification": sides["B"]["notification"],
            **others_jobs,
        },
        files={side: built["file"] for side, built in sides.items()},
        open_case={side: built["open"] for side, built in sides.items()},
        specialists={
            **{name: spec.id for name, spec in specs.items() if spec is not None},
            "b_specialist": b_spec.id,
            "x_specialist": x_spec.id,
        },
        applicants={side: built["applicant"] for side, built in sides.items()},
        items={side: built["item"] for side, built in sides.items()},
        cases={side: built["done"] for side, built in sides.items()},
    )
    s.commit()
    return world


def _unit(tree, account: Account):
    return getattr(tree, account.unit) if account.unit else None


# ---------------------------------------------------------------- requests


@dataclass
class Result:
    status: int
    body: str  # text; JSON re-dumped unescaped, a workbook's XML members joined
    location: str = ""


def readable(data: bytes) -> str:
    """The response as text in which a leaked name shows, whatever the format."""
    if data[:2] == b"PK":  # xlsx: the cells are in the zipped XML
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "\n".join(
                    archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                )
        except zipfile.BadZipFile:
            pass
    text = data.decode("utf-8", "replace")
    if text[:1] in "{[":
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


@contextlib.contextmanager
def isolated_requests():
    """Pop the test's app context so each request gets its own (own session, own ``g``)."""
    ctx = flask_globals.app_ctx._get_current_object()
    ctx.pop()
    try:
        yield
    finally:
        ctx.push()


def fetch(client, url: str, method: str = "GET", data=None, token: str | None = None) -> Result:
    """One request; an exception (TESTING propagates them) counts as the 500 it would be."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        response = client.open(url, method=method, data=data, headers=headers)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding, not a test error
        return Result(500, f"{type(exc).__name__}: {exc}")
    return Result(
        response.status_code,
        readable(response.get_data()),
        response.headers.get("Location", ""),
    )


@dataclass
class Agent:
    """One logged-in account: a browser session and, for the REST API, a bearer token."""

    account: Account
    client: object
    token: str | None

    def get(self, route: Route, url: str) -> Result:
        return fetch(self.client, url, token=self.token if route.api else None)


def agents_for(app, login, accounts) -> dict[str, Agent]:
    from tests.factories import PASSWORD

    agents = {}
    for account in accounts:
        client = login(app.test_client(), account.username)
        answer = client.post(
            "/api/v1/security/login",
            json={"username": account.username, "password": PASSWORD, "provider": "db"},
        )
        token = (answer.get_json(silent=True) or {}).get("access_token")
        agents[account.username] = Agent(account, client, token)
    return agents


def clients_for(app, login, accounts) -> dict[str, object]:
    return {a.username: login(app.test_client(), a.username) for a in accounts}


def leaks(body: str) -> list[str]:
    return [secret for secret in SECRETS if secret in body]


# ---------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    view: object | None
    id_param: str | None
    fixed: tuple[tuple[str, str], ...]
    security: bool
    parent: str | None = None  # the parent's id parameter of a child id (CHILD_PARAMS)

    def url(self, id_value: object | None = None) -> str:
        values = dict(self.fixed)
        if self.id_param is not None:
            if self.parent is not None:
                parent_value, id_value = (
                    id_value if isinstance(id_value, tuple) else (id_value,) * 2
                )
                values[self.parent] = str(parent_value)
            values[self.id_param] = str(id_value)

        def fill(match):
            return quote(values[match.group(1)], safe="")

        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, self.rule)

    @property
    def view_name(self) -> str:
        return self.endpoint.split(".")[0]

    @property
    def admin_only(self) -> bool:
        return self.security and self.endpoint not in OWN_ACCOUNT_ENDPOINTS

    @property
    def api(self) -> bool:
        """A REST route: called with the account's bearer token, as the API requires."""
        return self.rule.startswith("/api/")


def collect_routes(app) -> tuple[list[Route], list[str]]:
    """Every GET rule of the URL map as a Route, and the rules skipped (with the reason)."""
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    routes, skipped = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            skipped.append(f"{rule.rule} ({rule.endpoint})")
            continue
        if "GET" not in rule.methods:
            skipped.append(f"{rule.rule} ({rule.endpoint}, no GET)")
            continue
        view = views.get(rule.endpoint.split(".")[0])
        id_params = [p for p in rule.arguments if p in ID_PARAMS]
        parent = None
        for child, parent_param in CHILD_PARAMS.items():
            if child in id_params and parent_param in id_params:
                id_params.remove(parent_param)
                parent = parent_param
        assert len(id_params) <= 1, f"{rule.rule}: several id parameters"
        choices: list[list[tuple[str, str]]] = [[]]
        for param in sorted(set(rule.arguments) - ID_PARAMS):
            if param == "name":
                actions = getattr(view, "actions", None) or {}
                values = [next((a for a in SAFE_ACTIONS if a in actions), "matrix-probe")]
            else:
                values = fixed_values(param)
            if values is None:
                raise AssertionError(
                    f"{rule.rule} ({rule.endpoint}): unknown URL parameter <{param}>; "
                    "teach tests/scope_harness.py what to put there"
                )
            choices = [done + [(param, v)] for done in choices for v in values]
        security = type(view).__module__.startswith("flask_appbuilder.security") if view else False
        for fixed in choices:
            routes.append(
                Route(
                    rule=rule.rule,
                    endpoint=rule.endpoint,
                    view=view,
                    id_param=id_params[0] if id_params else None,
                    fixed=tuple(fixed),
                    security=security,
                    parent=parent,
                )
            )
    return routes, skipped


@dataclass(frozen=True)
class Probe:
    label: str
    value: object
    expect: str  # visible | hidden | any | forbidden


def probes(route: Route, account: Account, world: World) -> list[Probe]:
    """The ids to try on ``route`` for ``account``, each with what must happen."""
    if route.admin_only and not account.admin:
        side, pk = next(iter(_rows_of(route, world).items()))
        return [Probe(f"row {side}", pk, "forbidden")]
    if route.security:
        return [Probe(f"row {side}", pk, "any") for side, pk in _rows_of(route, world).items()]
    if route.id_param == "filename":
        # A file name is not a row of the view: an in-scope file may be refused too (the app
        # serves attachments through AttachmentView.file), but another unit's file must answer
        # exactly like no file.
        return [p for p in _sided(world.files, account) if p.expect == "hidden"]
    own = OWN_ROWS.get((route.view_name, route.id_param))
    if own is not None:
        kind, admin_sees_all = own
        mine = world.own[kind].get(account.username)
        others = "visible" if account.admin and admin_sees_all else "hidden"
        found = [Probe("someone else's row", world.others_own[kind], others)]
        if mine is not None:
            found.append(Probe("own row", mine, "visible" if account.active else "hidden"))
        return found
    rows = _rows_of(route, world)
    if "G" in rows:  # global reference data: seen by everyone with a unit
        return [Probe("global row", rows["G"], "visible" if account.active else "any")]
    return _sided(rows, account)


def _sided(rows: dict[str, object], account: Account) -> list[Probe]:
    found = [Probe(f"in scope ({s})", rows[s], "visible") for s in account.visible]
    found += [Probe(f"out of scope ({s})", rows[s], "hidden") for s in account.hidden]
    return found


def _rows_of(route: Route, world: World) -> dict[str, object]:
    param = route.id_param
    if param == "filename":
        return dict(world.files)
    if param == "attachment_id":  # under its case: (case id, attachment id) of the same side
        cases = world.rows[m.Case]
        return {side: (cases[side], pk) for side, pk in world.rows[m.Attachment].items()}
    key = ROW_OVERRIDES.get((route.endpoint, param)) or ROW_OVERRIDES.get((route.view_name, param))
    if key is None and param == "pk":
        if not hasattr(route.view, "datamodel"):
            raise AssertionError(
                f"{route.rule} ({route.endpoint}): <pk> of a view without a model; "
                "teach OWN_ROWS or ROW_OVERRIDES in tests/scope_harness.py"
            )
        key = route.view.datamodel.obj
    elif key is None:
        key = PARAM_MODELS.get(param)
    if key not in world.rows:
        name = getattr(key, "__name__", key)
        raise AssertionError(
            f"{route.rule} ({route.endpoint}): no test row of {name}; add one to build_world"
        )
    return world.rows[key]


def judge(account: Account, route: Route, probe: Probe, got: Result, missing: Result) -> list[str]:
    """What is wrong with ``got`` (the answer to ``probe``); ``missing`` answered the huge id."""
    where = f"{account.username} GET {route.url(probe.value)} [{probe.label}]"
    if got.status == 500:
        return [f"{where} → 500: {got.body[:300]}"]
    if probe.expect == "forbidden":
        if got.status not in (302, 403):
            return [f"{where} → {got.status}, expected 403 (Admin only)"]
        if got.status == 302 and "/login" not in got.location and "action" not in route.rule:
            return [f"{where} → 302 to {got.location}, expected 403 or the log-in page"]
    elif probe.expect == "visible":
        # An unknown action name is itself "not found", whatever the row: only no-500 and
        # the in/out-of-scope equality below apply to the probe action.
        if got.status == 404 and "/action/matrix-probe/" not in where:
            return [f"{where} → 404, but the row is in the account's scope"]
    elif probe.expect == "hidden":
        if got.status != missing.status or got.status == 200:
            return [
                f"{where} → {got.status}, expected exactly the answer to a missing id "
                f"({missing.status})"
            ]
        if got.status == 404 and got.body != missing.body:
            return [f"{where} → 404 page differs from a missing id's"]
    return []


def check_coverage(app, world: World, routes: list[Route]) -> None:
    """Every id route has rows to try, and every view narrowed further is taught here.

    A new model, own-row view or parameter fails here by name instead of going untested.
    """
    for route in routes:
        own = OWN_ROWS.get((route.view_name, route.id_param))
        if own is not None:
            assert world.own[own[0]] and world.others_own[own[0]], route.rule
        elif route.id_param is not None:
            assert _rows_of(route, world), route.rule
    taught = {view for view, _param in OWN_ROWS} | {key for key, _param in ROW_OVERRIDES}
    extra = [
        type(v).__name__
        for v in app.appbuilder.baseviews
        if hasattr(v, "datamodel")
        and not type(v).__module__.startswith("flask_appbuilder")
        and len(v.base_filters or []) > 1
        and type(v).__name__ not in taught
    ]
    assert not extra, f"views with a filter of their own, teach OWN_ROWS: {extra}"


def search_urls(app, world: World) -> list[str]:
    """Every app list page filtered on each search column, with text and town B's ids."""
    urls = []
    for view in app.appbuilder.baseviews:
        if not isinstance(view, ModelView) or type(view).__module__.startswith("flask_app"):
            continue
        base = f"{view.route_base}/list/"
        urls.append(f"{base}?_flt_0_name=泄露")
        for column in view.search_columns or []:
            if view.datamodel.is_relation(column):  # filter 0: equal to the related row
                related = view.datamodel.get_related_model(column)
                pk = world.rows.get(related, {}).get("B")
                if pk is not None:
                    urls.append(f"{base}?_flt_0_{column}={pk}")
            elif _is_text(view, column):  # FAB's text filters: 2 contains, 3 equal
                urls.append(f"{base}?_flt_2_{column}={quote('泄露')}")
                if column in ("id_number", "name"):
                    urls.append(f"{base}?_flt_3_{column}={quote(SECRET_ID)}")
                    urls.append(f"{base}?_flt_3_{column}={quote(SECRET_NAME)}")
    # The ledger, statistics and summaries take their filters as plain arguments.
    b_args = [
        f"unit={world.units['town_b']}",
        f"unit={world.units['village_b1']}",
        f"specialist={world.specialists['b_specialist']}",
        f"item={world.items['B']}",
    ]
    for page in ("/ledger/list/", "/ledger/walkin/", "/ledger/export/csv", "/ledger/export/xlsx"):
        urls += [f"{page}?{arg}" for arg in b_args]
    urls += [f"/dashboard/?period=this_year&{arg}" for arg in b_args]
    urls += [f"/summaries/list/?{arg}" for arg in b_args[:2]]
    return urls


def _is_text(view, column: str) -> bool:
    """A plain text column (FAB's text filters: starts with, ends with, contains, equal)."""
    datamodel = view.datamodel
    if datamodel.is_enum(column):
        return False
    return datamodel.is_string(column) or datamodel.is_text(column)


def count(model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar()


def column_of(model, pk, column):
    db.session.expire_all()
    return getattr(db.session.get(model, pk), column)


def count_between_requests(app, model, *where) -> int:
    """``count`` while the test's app context is popped (inside ``isolated_requests``)."""
    with app.app_context():
        return count(model, *where)


def form_version(html: str) -> str:
    found = re.search(r'name="version" type="hidden" value="(\d+)"', html)
    assert found, html[:2000]
    return found.group(1)


def applicant_form(name: str, unit_id: int, serial: int) -> dict:
    return {
        "kind": "person",
        "name": name,
        "id_number": factories.resident_id(dt.date(1990, 3, 3), serial=serial),
        "mobile": "13800138001",
        "unit": unit_id,
    }
