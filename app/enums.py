"""Fixed value sets of the domain, each with its translatable label.

Values are stable ASCII codes stored in the database; labels are what people read.
The case status lives in app/domain/lifecycle.py, its one owner.
"""

from __future__ import annotations

from enum import Enum

from flask_babel import lazy_gettext as _l


class LabelledEnum(str, Enum):
    """A str Enum whose members carry a lazy, translatable label."""

    @property
    def label(self):
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict:
        raise NotImplementedError

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(m.value, m.label) for m in cls]

    def __str__(self) -> str:
        # What a person reads in lists and detail pages; code uses .value.
        return str(self.label)


class Tier(LabelledEnum):
    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"

    @classmethod
    def _labels(cls):
        return {
            "city": _l("City"),
            "town": _l("Town / street"),
            "village": _l("Village / community"),
        }

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
    SERVICE_CENTER = "service_center"  # 政务服务中心
    CONVENIENCE_CENTER = "convenience_center"  # 便民服务中心
    CONVENIENCE_STATION = "convenience_station"  # 便民服务站

    @classmethod
    def _labels(cls):
        return {
            "service_center": _l("Government service center"),
            "convenience_center": _l("Convenience service center"),
            "convenience_station": _l("Convenience service station"),
        }


class StaffType(LabelledEnum):
    COMPREHENSIVE_WINDOW = "window"  # 综窗人员
    DEPARTMENT = "department"  # 进驻部门人员
    STATION = "station"  # 便民服务站人员

    @classmethod
    def _labels(cls):
        return {
            "window": _l("Comprehensive window staff"),
            "department": _l("Stationed department staff"),
            "station": _l("Convenience station staff"),
        }


class ApplicantKind(LabelledEnum):
    PERSON = "person"
    ENTERPRISE = "enterprise"

    @classmethod
    def _labels(cls):
        return {"person": _l("Individual"), "enterprise": _l("Enterprise")}


class ServiceKind(LabelledEnum):
    HELP = "help"  # 帮办
    PROXY = "proxy"  # 代办

    @classmethod
    def _labels(cls):
        return {"help": _l("Assisted handling"), "proxy": _l("Proxy handling")}


class HelpType(LabelledEnum):
    """What a 帮办 consists of (the rules' list)."""

    ONLINE = "online"  # 网上办
    MOBILE = "mobile"  # 指尖办
    SELF_SERVICE = "self_service"  # 自助办
    FORM_FILLING = "form_filling"  # 材料填写
    ONLINE_DECLARATION = "online_declaration"  # 网上申报
    E_FILE_UPLOAD = "e_file_upload"  # 电子文件上传
    PROGRESS_INQUIRY = "progress_inquiry"  # 办理进度查询

    @classmethod
    def _labels(cls):
        return {
            "online": _l("Online handling guidance"),
            "mobile": _l("Mobile handling guidance"),
            "self_service": _l("Self-service terminal guidance"),
            "form_filling": _l("Form filling"),
            "online_declaration": _l("Online declaration"),
            "e_file_upload": _l("Electronic file upload"),
            "progress_inquiry": _l("Progress inquiry"),
        }


class EventKind(LabelledEnum):
    """Entries of a case's timeline."""

    STATUS = "status"
    UPDATE = "update"
    CONTACT = "contact"
    FEE_GUIDANCE = "fee_guidance"
    PROBLEM = "problem"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    NOTICE = "notice"
    SUPPLEMENT = "supplement"
    EXTENSION = "extension"
    JOINT_REVIEW = "joint_review"
    HANDOVER = "handover"
    TERMINATION = "termination"
    EVALUATION = "evaluation"
    RETURN_VISIT = "return_visit"
    PROBLEM_SOLVED = "problem_solved"
    DUE_DATE_MOVED = "due_date_moved"
    STEWARD = "steward"
    SUSPENSION = "suspension"  # 中止: clock stopped
    RESUMPTION = "resumption"  # 续办: renewed entrustment, clock runs again

    @classmethod
    def _labels(cls):
        return {
            "status": _l("Status change"),
            "update": _l("Progress update"),
            "contact": _l("Contact with applicant"),
            "fee_guidance": _l("Fee guidance"),
            "problem": _l("Problem met"),
            "transfer": _l("Transfer"),
            "assign": _l("Assignment"),
            "notice": _l("One-time notice"),
            "supplement": _l("Materials supplied"),
            "extension": _l("Extension"),
            "joint_review": _l("Joint review"),
            "handover": _l("Handover"),
            "termination": _l("Termination"),
            "evaluation": _l("Evaluation"),
            "return_visit": _l("Return visit"),
            "problem_solved": _l("Problem solved"),
            "due_date_moved": _l("Due date moved"),
            "steward": _l("Project steward"),
            "suspension": _l("Suspension"),
            "resumption": _l("Resumption"),
        }


class ContactChannel(LabelledEnum):
    ON_SITE = "on_site"
    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"
    VISIT = "visit"

    @classmethod
    def _labels(cls):
        return {
            "on_site": _l("On site"),
            "phone": _l("Phone"),
            "sms": _l("SMS"),
            "wechat": _l("WeChat"),
            "visit": _l("Home or site visit"),
        }


class TerminationReason(LabelledEnum):
    CANNOT_COMPLETE = "cannot_complete"
    APPLICANT_REQUEST = "applicant_request"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            "cannot_complete": _l("Cannot be completed"),
            "applicant_request": _l("Applicant's request"),
            "other": _l("Other"),
        }


class SuspensionReason(LabelledEnum):
    """Why a case is suspended (中止): the clock stops until the case is resumed (续办)."""

    APPLICANT_UNREACHABLE = "applicant_unreachable"
    EXTERNAL_PRECONDITION = "external_precondition"  # a precondition outside the center
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            "applicant_unreachable": _l("The applicant cannot be reached"),
            "external_precondition": _l("A precondition outside the center is not met"),
            "other": _l("Other"),
        }


class ReviewDecision(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ESCALATED = "escalated"

    @classmethod
    def _labels(cls):
        return {
            "pending": _l("Pending"),
            "approved": _l("Approved"),
            "rejected": _l("Not approved"),
            "escalated": _l("Escalated to the leader in charge"),
        }


class Rating(LabelledEnum):
    """The five levels of GB/T 39734 (好差评)."""

    VERY_SATISFIED = "5"
    SATISFIED = "4"
    BASICALLY_SATISFIED = "3"
    DISSATISFIED = "2"
    VERY_DISSATISFIED = "1"

    @classmethod
    def _labels(cls):
        return {
            "5": _l("Very satisfied"),
            "4": _l("Satisfied"),
            "3": _l("Basically satisfied"),
            "2": _l("Dissatisfied"),
            "1": _l("Very dissatisfied"),
        }

    @property
    def is_poor(self) -> bool:
        return int(self.value) <= 2


class EvaluationChannel(LabelledEnum):
    ON_SITE = "on_site"
    SMS_LINK = "sms_link"
    PHONE = "phone"

    @classmethod
    def _labels(cls):
        return {"on_site": _l("On site"), "sms_link": _l("SMS link"), "phone": _l("Phone")}


class WalkInKind(LabelledEnum):
    QUEUE_NUMBER = "queue_number"
    FORM_FILLING = "form_filling"
    DEVICE = "device"
    SELF_SERVICE = "self_service"
    QUESTION = "question"
    GUIDED = "guided"

    @classmethod
    def _labels(cls):
        return {
            "queue_number": _l("Queue number"),
            "form_filling": _l("Form filling"),
            "device": _l("Device help"),
            "self_service": _l("Self-service area help"),
            "question": _l("Question answered"),
            "guided": _l("Guided to a window"),
        }


class NotificationChannel(LabelledEnum):
    APP = "app"
    EMAIL = "email"
    SMS = "sms"

    @classmethod
    def _labels(cls):
        return {"app": _l("In the app"), "email": _l("Email"), "sms": _l("SMS")}


class NotificationStatus(LabelledEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"

    @classmethod
    def _labels(cls):
        return {"pending": _l("Pending"), "sent": _l("Sent"), "failed": _l("Failed")}


class HolidayKind(LabelledEnum):
    OFF = "off"
    WORKDAY = "workday"

    @classmethod
    def _labels(cls):
        return {"off": _l("Day off"), "workday": _l("Adjusted working day")}


class RectificationState(LabelledEnum):
    OPEN = "open"
    VERIFIED = "verified"
    CLOSED = "closed"
    APPEALED = "appealed"
    APPEAL_UPHELD = "appeal_upheld"

    @classmethod
    def _labels(cls):
        return {
            "open": _l("Awaiting rectification"),
            "verified": _l("Verified"),
            "closed": _l("Closed after call-back"),
            "appealed": _l("Appealed"),
            "appeal_upheld": _l("Appeal upheld"),
        }
