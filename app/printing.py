"""Print-ready documents of a case: A4 HTML pages the browser prints.

帮办代办申请表 (with the 委托书 for 代办), 一次性告知书, 办结单, 终止单, 延期告知书, 中止告知单 and
续办委托书, and the 上门服务记录单 of a home visit.
Every record is loaded through the tier scope: a record outside it answers 404, exactly like a
missing id. The pages use nothing from outside hosts (intranet rule): the stylesheet is inline,
the fonts are the browser's own, and the QR code of the public progress-inquiry page is an inline
SVG made here.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import segno
import sqlalchemy as sa
from flask import abort, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import get_locale
from markupsafe import Markup

from app import models as m
from app.audit import write_entry
from app.domain import clock
from app.enums import ApplicantKind, HelpType, ServiceKind
from app.extensions import db
from app.i18n import local_date, local_datetime
from app.scope import current_scope

# Every document is a read of a case record: one permission, can_show on PrintView.
DOCUMENTS = (
    "application",
    "notice",
    "handover",
    "termination",
    "extension",
    "suspension",
    "renewal",
    "home_visit",
)


# ---------------------------------------------------------------- formatting helpers


def cn_date(value: dt.date | dt.datetime | None) -> str:
    """The date in the reader's language (``2026年11月25日`` in Chinese), Asia/Shanghai."""
    return local_date(value)


def cn_datetime(value: dt.datetime | None) -> str:
    """Date and time in the reader's language, Asia/Shanghai."""
    return local_datetime(value)


def progress_url(case: m.Case) -> str:
    """The absolute URL of the public progress-inquiry page for ``case``."""
    return request.host_url.rstrip("/") + "/progress/?number=" + quote(case.number, safe="")


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of ``url`` (no image file, no outside host)."""
    code = segno.make(url, error="m")
    # A viewBox instead of a fixed size, so the stylesheet sets the printed size in millimetres.
    svg = code.svg_inline(scale=3, svgclass="qr-code", lineclass=None, omitsize=True)
    return Markup(svg)


def html_lang() -> str:
    locale = str(get_locale() or "zh")
    return {"zh": "zh-CN", "zh_Hant": "zh-HK", "en": "en"}.get(locale, locale.replace("_", "-"))


def staff_name(user_id: int | None) -> str:
    """The name of the staff member behind a log-in id (the specialist's name if there is one)."""
    if user_id is None:
        return ""
    name = db.session.execute(
        sa.select(m.Specialist.name).where(m.Specialist.user_id == user_id)
    ).scalar_one_or_none()
    if name:
        return name
    user = db.session.get(User, user_id)
    if user is None:
        return ""
    return f"{user.last_name or ''}{user.first_name or ''}".strip() or user.username


def help_labels(case: m.Case) -> list[str]:
    labels = []
    for value in case.help_types or []:
        try:
            labels.append(str(HelpType(value).label))
        except ValueError:
            labels.append(str(value))
    return labels


def load_scoped(model, *criteria):
    """The one row of ``model`` matching ``criteria`` inside the current scope, else 404."""
    row = db.session.execute(
        sa.select(model).where(*criteria, current_scope().clause_for(model))
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


# ---------------------------------------------------------------- the view


class PrintView(BaseView):
    """Print-ready documents, one route per document (every route needs can_show)."""

    route_base = "/print"
    default_view = "application"
    method_permission_name = {name: "show" for name in DOCUMENTS}

    def _render(self, template: str, case: m.Case, **context):
        url = progress_url(case)
        return self.render_template(
            template,
            case=case,
            progress_url=url,
            qr=qr_svg(url),
            lang=html_lang(),
            cn_date=cn_date,
            cn_datetime=cn_datetime,
            staff_name=staff_name,
            printed_on=cn_date(clock.today()),
            **context,
        )

    @expose("/case/<int:case_id>/application")
    @has_access
    def application(self, case_id: int):
        """帮办代办申请表, with the 委托书 for 代办."""
        case = load_scoped(m.Case, m.Case.id == case_id)
        applicant = case.applicant

        # The signed paper form carries the full ID number: printing it is a reveal.
        write_entry(
            db.session,
            action="reveal",
            table_name="applicant",
            row_id=str(applicant.id),
            after={"via": "print_application", "case": case.number},
        )
        db.session.commit()
        return self._render(
            "print/application.html",
            case,
            applicant=applicant,
            is_enterprise=applicant.kind == ApplicantKind.ENTERPRISE,
            is_proxy=case.kind == ServiceKind.PROXY,
            help_given=help_labels(case),
        )

    @expose("/notice/<int:notice_id>")
    @has_access
    def notice(self, notice_id: int):
        """一次性告知书 of one material notice."""
        notice = load_scoped(m.MaterialNotice, m.MaterialNotice.id == notice_id)
        return self._render("print/notice.html", notice.case, notice=notice)

    @expose("/handover/<int:case_id>")
    @has_access
    def handover(self, case_id: int):
        """办结单: results and originals handed over, signed for."""
        handover = load_scoped(m.Handover, m.Handover.case_id == case_id)
        return self._render("print/handover.html", handover.case, handover=handover)

    @expose("/termination/<int:case_id>")
    @has_access
    def termination(self, case_id: int):
        """终止单: the reason, materials handed back, both sides sign."""
        termination = load_scoped(m.Termination, m.Termination.case_id == case_id)
        return self._render("print/termination.html", termination.case, termination=termination)

    @expose("/extension/<int:extension_id>")
    @has_access
    def extension(self, extension_id: int):
        """延期告知书 of one extension."""
        extension = load_scoped(m.Extension, m.Extension.id == extension_id)
        return self._render("print/extension.html", extension.case, extension=extension)

    @expose("/suspension/<int:suspension_id>")
    @has_access
    def suspension(self, suspension_id: int):
        """中止告知单 of one suspension: the reason, the due date in force, the clock stopped."""
        suspension = load_scoped(m.Suspension, m.Suspension.id == suspension_id)
        return self._render("print/suspension.html", suspension.case, suspension=suspension)

    @expose("/renewal/<int:suspension_id>")
    @has_access
    def renewal(self, suspension_id: int):
        """续办委托书: the applicant renews the entrustment so the suspended case resumes (blank
        signature lines before the resumption, the recorded signer and dates after it)."""
        suspension = load_scoped(m.Suspension, m.Suspension.id == suspension_id)
        return self._render("print/renewal.html", suspension.case, suspension=suspension)

    @expose("/home_visit/<int:visit_id>")
    @has_access
    def home_visit(self, visit_id: int):
        """上门服务记录单: the visit's time, place, staff and outcome, for the applicant's
        signature (blank lines for the outcome before the visit is recorded)."""
        visit = load_scoped(m.HomeVisit, m.HomeVisit.id == visit_id)
        return self._render("print/home_visit.html", visit.case, visit=visit)
