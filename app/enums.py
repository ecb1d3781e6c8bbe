"""Fixed value sets of the domain, each value declared once with its translatable label.

Values are stable ASCII codes stored in the database; labels are what people read:
``CITY = "city", _l("City")``. The case status is in app/domain/status.py (``CaseStatus``); only
app/domain/lifecycle.py changes it.
"""

from __future__ import annotations

from enum import Enum

from flask_babel import lazy_gettext as _l


class LabelledEnum(str, Enum):
    """A str Enum whose members are declared as ``NAME = "value", _l("Label")``: the value is the
    stored string (``member == "value"``), the lazy, translatable label rides along."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self):
        return self._label

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(m.value, m.label) for m in cls]

    def __str__(self) -> str:
        # What a person reads in lists and detail pages; code uses .value.
        return str(self.label)


class Tier(LabelledEnum):
    CITY = "city", _l("City")
    TOWN = "town", _l("Town / street")
    VILLAGE = "village", _l("Village / community")

    @property
    def center_kind(self) -> CenterKind:
        return {
            "city": CenterKind.SERVICE_CENTER,
            "town": CenterKind.CONVENIENCE_CENTER,
            "village": CenterKind.CONVENIENCE_STATION,
        }[self.value]

    @property
    def rank(self) -> int:
        return {"city": 0, "town": 1, "village": 2}[self.value]


class CenterKind(LabelledEnum):
    SERVICE_CENTER = "service_center", _l("Government service center")  # 政务服务中心
    CONVENIENCE_CENTER = "convenience_center", _l("Convenience service center")  # 便民服务中心
    CONVENIENCE_STATION = "convenience_station", _l("Convenience service station")  # 便民服务站


class StaffType(LabelledEnum):
    COMPREHENSIVE_WINDOW = "window", _l("Comprehensive window staff")  # 综窗人员
    DEPARTMENT = "department", _l("Stationed department staff")  # 进驻部门人员
    STATION = "station", _l("Convenience station staff")  # 便民服务站人员


class ApplicantKind(LabelledEnum):
    PERSON = "person", _l("Individual")
    ENTERPRISE = "enterprise", _l("Enterprise")


class ServiceKind(LabelledEnum):
    HELP = "help", _l("Assisted handling")  # 帮办
    PROXY = "proxy", _l("Proxy handling")  # 代办


class CaseChannel(LabelledEnum):
    """Where the service is given: at a hall, or at the applicant's home (上门服务) for elderly,
    sick and disabled applicants."""

    HALL = "hall", _l("At the hall")  # 到厅办理
    HOME_VISIT = "home_visit", _l("Home visit")  # 上门服务


class HelpType(LabelledEnum):
    """What a 帮办 consists of (the rules' list)."""

    ONLINE = "online", _l("Online handling guidance")  # 网上办
    MOBILE = "mobile", _l("Mobile handling guidance")  # 指尖办
    SELF_SERVICE = "self_service", _l("Self-service terminal guidance")  # 自助办
    FORM_FILLING = "form_filling", _l("Form filling")  # 材料填写
    ONLINE_DECLARATION = "online_declaration", _l("Online declaration")  # 网上申报
    E_FILE_UPLOAD = "e_file_upload", _l("Electronic file upload")  # 电子文件上传
    PROGRESS_INQUIRY = "progress_inquiry", _l("Progress inquiry")  # 办理进度查询


class EventKind(LabelledEnum):
    """Entries of a case's timeline."""

    STATUS = "status", _l("Status change")
    UPDATE = "update", _l("Progress update")
    CONTACT = "contact", _l("Contact with applicant")
    FEE_GUIDANCE = "fee_guidance", _l("Fee guidance")
    PROBLEM = "problem", _l("Problem met")
    TRANSFER = "transfer", _l("Transfer")
    ASSIGN = "assign", _l("Assignment")
    NOTICE = "notice", _l("One-time notice")
    SUPPLEMENT = "supplement", _l("Materials supplied")
    EXTENSION = "extension", _l("Extension")
    JOINT_REVIEW = "joint_review", _l("Joint review")
    HANDOVER = "handover", _l("Handover")
    TERMINATION = "termination", _l("Termination")
    EVALUATION = "evaluation", _l("Evaluation")
    RETURN_VISIT = "return_visit", _l("Return visit")
    PROBLEM_SOLVED = "problem_solved", _l("Problem solved")
    DUE_DATE_MOVED = "due_date_moved", _l("Due date moved")
    STEWARD = "steward", _l("Project steward")
    SUSPENSION = "suspension", _l("Suspension")  # 中止: clock stopped
    RESUMPTION = "resumption", _l("Resumption")  # 续办: renewed entrustment, clock runs again
    ATTACHMENT = "attachment", _l("File attached")
    ATTACHMENT_VOIDED = "attachment_voided", _l("Attached file voided")
    CHASE_UP = "chase_up", _l("Chase-up")  # 催办: a manager asks the specialist for a response
    CHASE_UP_REPLY = "chase_up_reply", _l("Response to a chase-up")
    HOME_VISIT = "home_visit", _l("Home visit")  # 上门服务: planned or done
    PROJECT_TEAM = "project_team", _l("Project team")  # 1+1+N: contact or liaison changed
    PROJECT_LOG = "project_log", _l("Project log")
    PROJECT_ISSUE = "project_issue", _l("Project issue")  # raised or solved
    ARCHIVED = "archived", _l("Archived")  # 归档: the case file (案卷) made and kept


class AttachmentKind(LabelledEnum):
    """What a file kept with a case is: the signed papers of each step, or something else."""

    # the signed 申请表 and 委托书
    APPLICATION = "application", _l("Signed application form and entrustment")
    # 一次性告知书 signed for by the applicant
    NOTICE_COUNTERSIGNED = (
        "notice_countersigned",
        _l("One-time notice countersigned by the applicant"),
    )
    TERMINATION = "termination", _l("Termination confirmation")  # 终止委托确认书
    EXTENSION = "extension", _l("Extension notice")  # 延期告知书
    # 办结移交回执 (also filed by the completion step)
    HANDOVER_RECEIPT = "handover_receipt", _l("Handover receipt")
    OTHER = "other", _l("Other file")


class ContactChannel(LabelledEnum):
    ON_SITE = "on_site", _l("On site")
    PHONE = "phone", _l("Phone")
    SMS = "sms", _l("SMS")
    WECHAT = "wechat", _l("WeChat")
    VISIT = "visit", _l("Home or site visit")


class TerminationReason(LabelledEnum):
    CANNOT_COMPLETE = "cannot_complete", _l("Cannot be completed")
    APPLICANT_REQUEST = "applicant_request", _l("Applicant's request")
    OTHER = "other", _l("Other")


class SuspensionReason(LabelledEnum):
    """Why a case is suspended (中止): the clock stops until the case is resumed (续办)."""

    APPLICANT_UNREACHABLE = "applicant_unreachable", _l("The applicant cannot be reached")
    # a precondition outside the center
    EXTERNAL_PRECONDITION = (
        "external_precondition",
        _l("A precondition outside the center is not met"),
    )
    OTHER = "other", _l("Other")


class ProjectIssueStatus(LabelledEnum):
    """An issue on a major project's list (项目问题清单)."""

    OPEN = "open", _l("Open")
    SOLVED = "solved", _l("Solved")


class ReviewDecision(LabelledEnum):
    PENDING = "pending", _l("Pending")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Not approved")
    ESCALATED = "escalated", _l("Escalated to the leader in charge")


class Rating(LabelledEnum):
    """The five levels of GB/T 39734 (好差评)."""

    VERY_SATISFIED = "5", _l("Very satisfied")
    SATISFIED = "4", _l("Satisfied")
    BASICALLY_SATISFIED = "3", _l("Basically satisfied")
    DISSATISFIED = "2", _l("Dissatisfied")
    VERY_DISSATISFIED = "1", _l("Very dissatisfied")

    @property
    def is_poor(self) -> bool:
        return int(self.value) <= 2


class EvaluationStage(LabelledEnum):
    """一次一评: an evaluation at acceptance (受理) and one at completion (办结), GB/T 39734."""

    ACCEPTANCE = "acceptance", _l("At acceptance")
    COMPLETION = "completion", _l("At completion")


class EvaluationChannel(LabelledEnum):
    ON_SITE = "on_site", _l("On site")
    SMS_LINK = "sms_link", _l("SMS link")
    PHONE = "phone", _l("Phone")


class WalkInKind(LabelledEnum):
    QUEUE_NUMBER = "queue_number", _l("Queue number")
    FORM_FILLING = "form_filling", _l("Form filling")
    DEVICE = "device", _l("Device help")
    SELF_SERVICE = "self_service", _l("Self-service area help")
    QUESTION = "question", _l("Question answered")
    GUIDED = "guided", _l("Guided to a window")


class NotificationChannel(LabelledEnum):
    APP = "app", _l("In the app")
    EMAIL = "email", _l("Email")
    SMS = "sms", _l("SMS")


class NotificationStatus(LabelledEnum):
    PENDING = "pending", _l("Pending")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed")
    # not sent: what it was about no longer holds at send time (a cancelled appointment)
    WITHDRAWN = "withdrawn", _l("Withdrawn")


class HolidayKind(LabelledEnum):
    OFF = "off", _l("Day off")
    WORKDAY = "workday", _l("Adjusted working day")


class RectificationState(LabelledEnum):
    OPEN = "open", _l("Awaiting rectification")
    VERIFIED = "verified", _l("Verified")
    CLOSED = "closed", _l("Closed after call-back")
    APPEALED = "appealed", _l("Appealed")
    APPEAL_UPHELD = "appeal_upheld", _l("Appeal upheld")


class SlotPeriod(LabelledEnum):
    """The half-day slots of an appointment (预约), and the after-hours service (延时服务)."""

    MORNING = "morning", _l("Morning")  # 上午
    AFTERNOON = "afternoon", _l("Afternoon")  # 下午
    NOON = "noon", _l("After-hours service, midday")  # 延时服务 12:00–14:30
    EVENING = "evening", _l("After-hours service, evening")  # 延时服务 17:30–19:00

    @property
    def after_hours(self) -> bool:
        return self in (SlotPeriod.NOON, SlotPeriod.EVENING)

    @property
    def hours(self) -> str:
        return {
            "morning": "09:00–12:00",
            "afternoon": "14:30–17:30",
            "noon": "12:00–14:30",
            "evening": "17:30–19:00",
        }[self.value]


class AppointmentStatus(LabelledEnum):
    """Where an appointment stands; only app/appointments/service.py changes it."""

    BOOKED = "booked", _l("Booked")  # set by booking (staff or the public page)
    CANCELLED = "cancelled", _l("Cancelled")  # by staff or the applicant; the place is freed
    NO_SHOW = "no_show", _l("Did not come")  # by staff at the desk, on or after the day
    SERVED = "served", _l("Served")  # turned into a case or a walk-in record at the desk


class AppointmentChannel(LabelledEnum):
    STAFF = "staff", _l("Booked by staff")  # at the window or by phone
    PUBLIC = "public", _l("Booked online")  # the public booking page
    API = "api", _l("Booked through the API")


class ComplaintChannel(LabelledEnum):
    """How a “办不成事” complaint came in."""

    DESK = "desk", _l("At the desk")  # 办不成事窗口
    PUBLIC = "public", _l("Public page")
    HOTLINE = "hotline", _l("12345 hotline")  # 12345 热线转办
    PHONE = "phone", _l("Phone")


class ComplaintStep(LabelledEnum):
    """Entries of a complaint's timeline: one per step of app/domain/complaints.py."""

    INTAKE = "intake", _l("Complaint received")
    COORDINATE = "coordinate", _l("Coordinate")
    TRANSFER = "transfer", _l("Transfer to a department")
    REPLY = "reply", _l("Department's reply")
    CALL_BACK = "call_back", _l("Call back")
    ARCHIVE = "archive", _l("Archive")


class Indicator(LabelledEnum):
    """考核指标: what a specialist's (and a unit's) period is scored on (app/assessment/)."""

    ON_TIME_RATE = "on_time_rate", _l("On-time completion rate")  # 按时办结率
    SATISFACTION_RATE = "satisfaction_rate", _l("Satisfaction rate")  # 满意率
    REPEAT_NOTICES = "repeat_notices", _l("Repeat one-time notices")  # 重复一次性告知
    OVERDUE = "overdue", _l("Overdue cases")  # 逾期件
    COMPLAINTS = "complaints", _l("Complaints (poor ratings)")  # 差评投诉
    CALLBACK_RATE = "callback_rate", _l("Call-backs done on poor ratings")  # 差评回访率

    @property
    def is_rate(self) -> bool:
        """A share (0..1, higher is better); the others are counts (fewer is better)."""
        return self in (
            Indicator.ON_TIME_RATE,
            Indicator.SATISFACTION_RATE,
            Indicator.CALLBACK_RATE,
        )


class ReportState(LabelledEnum):
    """A written periodic report: a draft the manager edits, then final (archived, read-only)."""

    DRAFT = "draft", _l("Draft")
    FINAL = "final", _l("Final")
