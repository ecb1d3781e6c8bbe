"""The printed forms of a case as data: what the case file (案卷) renders into its PDF.

``case_documents(case)`` lists every form the case has, in the order they were made: the
application form (帮办代办申请表) and, for 代办, the letter of entrustment (委托书); each one-time
notice (一次性告知书), extension notice (延期告知书), notice of suspension (中止告知单) and renewed
entrustment (续办委托书), home visit record (上门服务记录单); the handover receipt (办结单) or the
termination confirmation (终止单). Each is a ``Document``: a title, a date line, field rows
(label, value), statements and the signature lines, with the very words of the print pages
(app/templates/print/*.html, the same messages in the catalogs) and the same formatting helpers
(app/printing.py), so the archived form reads as the printed one.

The resident ID number is masked here: the archived PDF is downloaded without the audited
reveal the printed application form makes; the signed paper (an attachment) carries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from app import models as m
from app.enums import ApplicantKind, ServiceKind
from app.extensions import db
from app.printing import cn_date, cn_datetime, help_labels, staff_name

SIGN_BOTH = ("Applicant (signature)", "Specialist (signature)")


@dataclass
class Document:
    """One printed form: what the PDF writer lays out on its own page(s)."""

    kind: str  # application, entrustment, notice, extension, suspension, renewal, ...
    title: str
    date_line: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    # a table of several columns (the notice's materials): header, then rows
    table: list[list[str]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    at: object = None  # when it was made, for the order


def _rows(case_id: int, model, order):
    return list(
        db.session.execute(
            sa.select(model).where(model.case_id == case_id).order_by(order, model.id)
        ).scalars()
    )


def _reader(item):
    """A notice's material as stored (a dict in the notice's JSON) or as an object, read alike
    (as the print page's template reads it)."""
    if isinstance(item, dict):
        return item.get
    return lambda key: getattr(item, key, None)


def _signatures(*labels: str) -> list[str]:
    return [_(label) for label in labels]


def _yes_no(value: bool) -> str:
    return ("√ " + _("Yes")) if value else ("□ " + _("No"))


def application(case: m.Case) -> list[Document]:
    """帮办代办申请表, and the 委托书 of a 代办."""
    applicant = case.applicant
    enterprise = applicant.kind == ApplicantKind.ENTERPRISE
    rows = [
        (_("Name"), applicant.name),
        (_("Kind of applicant"), str(applicant.kind.label)),
        (
            (_("Unified social credit code"), applicant.credit_code or "")
            if enterprise
            else (_("Resident ID number"), applicant.masked_id_number)
        ),
        (_("Contact person"), applicant.contact_person or ""),
        (_("Mobile"), applicant.masked_mobile),
        (_("Address"), applicant.address or ""),
        (_("Service item"), case.item.name),
        (_("Department"), case.item.department.name if case.item.department else ""),
        (
            _("Promised time limit"),
            _("%(days)s working days", days=case.promised_days or case.item.promised_days),
        ),
        (_("Fees"), case.item.fee_note or ""),
        (_("Accepting unit"), case.accepting_unit.name),
        (_("Handling unit"), case.handling_unit.name),
        (
            _("Kind of service"),
            str(case.kind.label)
            + (f"（{_('Major investment project')}）" if case.major_project else ""),
        ),
    ]
    proxy = case.kind == ServiceKind.PROXY
    if not proxy:
        rows.append((_("Help given"), "、".join(help_labels(case))))
    rows += [
        (_("Applicant's needs"), case.needs or ""),
        (_("Specialist"), case.specialist.name if case.specialist else ""),
    ]
    acks = [
        ("√ " if case.ack_voluntary else "□ ") + _("I apply for this service voluntarily."),
        ("√ " if case.ack_free else "□ ")
        + _("I know the assisted and proxy handling service is free of charge."),
        ("√ " if case.ack_truthful else "□ ")
        + _("I am responsible for the truth and accuracy of the materials I provide."),
    ]
    documents = [
        Document(
            "application",
            _("Application form for assisted and proxy handling"),
            f"{_('Date of application')}：{cn_date(case.applied_at)}",
            rows,
            [_("Applicant's acknowledgements")] + acks,
            signatures=_signatures(*SIGN_BOTH),
            at=case.applied_at,
        )
    ]
    if proxy:
        specialist = case.specialist.name if case.specialist else "____________"
        documents.append(
            Document(
                "entrustment",
                _("Letter of entrustment"),
                f"{_('Case number')}：{case.number}",
                [],
                [
                    _(
                        "The applicant, %(applicant)s, entrusts %(specialist)s, assisted and "
                        "proxy handling specialist of %(unit)s, to handle the service item "
                        "“%(item)s” on the applicant's behalf.",
                        applicant=applicant.name,
                        specialist=specialist,
                        unit=case.handling_unit.name,
                        item=case.item.name,
                    ),
                    "1. "
                    + _(
                        "The legal relationship of the service item does not change: the "
                        "applicant remains the applicant of record and bears the legal "
                        "responsibility for the truth of the materials provided."
                    ),
                    "2. "
                    + _(
                        "The service is free of charge. The specialist never collects any "
                        "money; any fee required by law is paid by the applicant directly."
                    ),
                    "3. "
                    + _(
                        "The applicant follows the specialist's guidance and supplies any "
                        "missing material in time."
                    ),
                    "4. "
                    + _(
                        "The entrustment ends when the matter is completed and the results are "
                        "handed over, or when it is terminated."
                    ),
                ],
                signatures=_signatures(
                    "Entrusting party (applicant, signature)", "Entrusted specialist (signature)"
                ),
                at=case.applied_at,
            )
        )
    return documents


def notice(case: m.Case, row: m.MaterialNotice) -> Document:
    """一次性告知书."""
    rows = []
    if row.is_repeat:
        rows.append((_("Repeat notice"), f"{_('Reason for a repeat notice')}：{row.repeat_reason}"))
    rows += [
        (_("Supply by"), cn_date(row.deadline)),
        (_("Service item"), case.item.name),
        (_("Handling unit"), case.handling_unit.name),
        (_("Notified by"), staff_name(row.issued_by_id)),
    ]
    table = [[_("No."), _("Material"), _("Copies"), _("Original or copy"), _("How to obtain")]]
    for index, material in enumerate(row.items or [], start=1):
        field = _reader(material)
        table.append(
            [
                str(index),
                str(field("name") or ""),
                str(field("copies") or ""),
                _("Original") if field("original") else _("Copy"),
                str(field("how_to_obtain") or ""),
            ]
        )
    return Document(
        "notice",
        _("One-time notice of missing materials"),
        f"{_('Issued')}：{cn_date(row.issued_at)}",
        rows,
        [
            f"{case.applicant.name}：",
            _(
                "For the service item “%(item)s” you applied for, the following materials are "
                "still missing. They are all listed here at once; please supply them by the "
                "deadline.",
                item=case.item.name,
            ),
            _("The promised time limit is paused until the missing materials are supplied."),
        ],
        table,
        _signatures(*SIGN_BOTH),
        row.issued_at,
    )


def extension(case: m.Case, row: m.Extension) -> Document:
    """延期告知书."""
    return Document(
        "extension",
        _("Notice of extension"),
        f"{_('Date')}：{cn_date(row.at)}",
        [
            (_("Service item"), case.item.name),
            (_("Handling unit"), case.handling_unit.name),
            (_("Previous due date"), cn_date(row.old_due) if row.old_due else "—"),
            (_("New due date"), cn_date(row.new_due)),
            (_("Extra working days"), _("%(days)s working days", days=row.extra_days)),
            (_("Reason"), row.reason),
            (_("Explained to the applicant"), _yes_no(row.explained_to_applicant)),
            (_("Explained by"), staff_name(row.by_id)),
        ],
        [
            f"{case.applicant.name}：",
            _(
                "Owing to special circumstances, the handling of the service item “%(item)s” "
                "needs more time. The time limit is extended as follows.",
                item=case.item.name,
            ),
            _("The specialist keeps following the case and will tell you of its progress."),
        ],
        signatures=_signatures(*SIGN_BOTH),
        at=row.at,
    )


def suspension(case: m.Case, row: m.Suspension) -> list[Document]:
    """中止告知单, and the 续办委托书 once the case resumed."""
    documents = [
        Document(
            "suspension",
            _("Notice of suspension"),
            f"{_('Date')}：{cn_date(row.suspended_at)}",
            [
                (_("Service item"), case.item.name),
                (_("Kind of service"), str(case.kind.label)),
                (_("Handling unit"), case.handling_unit.name),
                (_("Reason type"), str(row.reason_type.label)),
                (_("Reason"), row.reason or "—"),
                (_("Suspended"), cn_datetime(row.suspended_at)),
                (
                    _("Due date when suspended"),
                    cn_date(row.due_at_suspension) if row.due_at_suspension else "—",
                ),
                (_("Recorded by"), staff_name(row.suspended_by_id)),
            ],
            [
                f"{case.applicant.name}：",
                _(
                    "The handling of the service item “%(item)s” entrusted by you is suspended "
                    "for the reason below. The time limit stands still from the date of this "
                    "notice until the handling resumes.",
                    item=case.item.name,
                ),
            ],
            signatures=_signatures(*SIGN_BOTH),
            at=row.suspended_at,
        )
    ]
    if row.resumed_at is not None:
        documents.append(
            Document(
                "renewal",
                _("Renewed entrustment"),
                f"{_('Date')}：{cn_date(row.resumed_at)}",
                [
                    (_("Applicant"), case.applicant.name),
                    (_("Service item"), case.item.name),
                    (_("Handling unit"), case.handling_unit.name),
                    (_("Resumed"), cn_date(row.resumed_at)),
                    (
                        _("Working days paused"),
                        "" if row.paused_working_days is None else str(row.paused_working_days),
                    ),
                    (
                        _("New due date"),
                        cn_date(row.due_after_resume) if row.due_after_resume else "",
                    ),
                    (_("Applicant (signature)"), row.renewal_signed_by or ""),
                ],
                [
                    _(
                        "The reason for the suspension no longer applies. I renew my "
                        "entrustment of the matter above to the service center on the same "
                        "terms as the original entrustment: the service is voluntary and free, "
                        "and I remain responsible for the truth of my materials."
                    )
                ],
                signatures=_signatures(*SIGN_BOTH),
                at=row.resumed_at,
            )
        )
    return documents


def home_visit(case: m.Case, row: m.HomeVisit) -> Document:
    """上门服务记录单."""
    return Document(
        "home_visit",
        _("Home visit record"),
        f"{_('Date')}：{cn_date(row.done_at or row.planned_at)}",
        [
            (_("Applicant"), case.applicant.name),
            (_("Service item"), case.item.name),
            (_("Handling unit"), case.handling_unit.name),
            (_("Visit time"), cn_datetime(row.planned_at)),
            (_("Address"), row.address),
            (_("Staff going"), "、".join(s.name for s in row.staff)),
            (_("Purpose of the visit"), row.purpose or "—"),
            (_("Done at"), cn_datetime(row.done_at) if row.done_at else ""),
            (_("Outcome"), row.outcome or ""),
        ],
        [
            _(
                "At the applicant's request, the staff below visited the applicant at home to "
                "provide the service. The applicant confirms the visit by signing below."
            )
        ],
        signatures=_signatures(*SIGN_BOTH),
        at=row.planned_at,
    )


def handover(case: m.Case, row: m.Handover) -> Document:
    """办结单."""
    return Document(
        "handover",
        _("Handover receipt"),
        f"{_('Date')}：{cn_date(row.at)}",
        [
            (_("Applicant"), case.applicant.name),
            (_("Service item"), case.item.name),
            (_("Kind of service"), str(case.kind.label)),
            (_("Handling unit"), case.handling_unit.name),
            (_("Results handed over"), row.results),
            (_("Original materials returned"), row.materials_returned or _("None")),
            (_("Handed over by"), staff_name(row.by_id)),
            (_("Signed for by"), row.signed_by),
            (_("Signed"), cn_datetime(row.signed_at)),
        ],
        [
            _(
                "The applicant has received the results and the original materials listed "
                "above; the assisted and proxy handling service for this matter is completed."
            )
        ],
        signatures=_signatures(
            "Received by (applicant, signature)", "Handed over by (specialist, signature)"
        ),
        at=row.at,
    )


def termination(case: m.Case, row: m.Termination) -> Document:
    """终止单."""
    return Document(
        "termination",
        _("Confirmation of termination of the entrustment"),
        f"{_('Date')}：{cn_date(row.at)}",
        [
            (_("Applicant"), case.applicant.name),
            (_("Service item"), case.item.name),
            (_("Kind of service"), str(case.kind.label)),
            (_("Handling unit"), case.handling_unit.name),
            (_("Reason type"), str(row.reason_type.label)),
            (_("Reason"), row.reason),
            (_("Materials returned"), row.materials_returned or _("None")),
            (_("Recorded by"), staff_name(row.by_id)),
            (_("Terminated"), cn_datetime(row.at)),
        ],
        [
            _(
                "For the reason above the entrustment of this matter ends. The materials listed "
                "above have been handed back to the applicant. Both parties confirm by signing "
                "below."
            )
        ],
        signatures=_signatures(*SIGN_BOTH),
        at=row.at,
    )


def case_documents(case: m.Case) -> list[Document]:
    """Every printed form of ``case``, the application first, the rest in the order made."""
    documents = application(case)
    later: list[Document] = []
    notices = _rows(case.id, m.MaterialNotice, m.MaterialNotice.issued_at)
    later += [notice(case, row) for row in notices]
    later += [extension(case, row) for row in _rows(case.id, m.Extension, m.Extension.at)]
    for row in _rows(case.id, m.Suspension, m.Suspension.suspended_at):
        later += suspension(case, row)
    later += [home_visit(case, row) for row in _rows(case.id, m.HomeVisit, m.HomeVisit.planned_at)]
    later += [handover(case, row) for row in _rows(case.id, m.Handover, m.Handover.at)]
    later += [termination(case, row) for row in _rows(case.id, m.Termination, m.Termination.at)]
    later.sort(key=lambda d: d.at)  # stable: same-moment forms keep the order above
    return documents + later
