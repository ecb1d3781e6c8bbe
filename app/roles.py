"""The roles, declared in code (FAB_ROLES) and so recreated on every deploy.

Each entry is ``[view regex, permission regex]``, matched with ``re.match``: every pattern ends
with ``$`` so ``CaseView`` does not also match ``CaseViewSecret``. ``Admin`` is FAB's admin role
and holds every permission. What a role may *see* is further narrowed by app/scope.py.
"""

from __future__ import annotations

CASE_WORK_VIEWS = (
    r"(CaseView|MyCaseView|CaseEventView|MaterialNoticeView|ExtensionView|HandoverView"
    r"|TerminationView|JointReviewView|EvaluationView|RectificationView|ReturnVisitView"
    r"|AttachmentView|WalkInHelpView|ApplicantView|PrintView|GuideView|WalkInDeskView)$"
)
REFERENCE_VIEWS = (
    r"(ServiceItemView|RequiredMaterialView|ProblemCategoryView|OrgUnitView|DepartmentView"
    r"|SpecialistView|HolidayView)$"
)
WORK_MENUS = (
    r"(MyWork|MyCases|MyNotifications|Guide|WalkInDesk|CaseWork|Cases|CaseEvents|MaterialNotices|Extensions"
    r"|Handovers|Terminations|JointReviews|Evaluations|Rectifications|ReturnVisits|Attachments"
    r"|WalkInHelp|ApplicantMenu|Applicants|Catalogue|ServiceItems|RequiredMaterials"
    r"|ProblemCategories|Organisation|OrgUnits|Departments|Specialists|Holidays)$"
)
OWN_ACCOUNT = [
    [r"(ResetMyPasswordView|UserInfoEditView)$", r"can_this_form_(get|post)$"],
    [r"UserDBModelView$", r"(can_userinfo|can_userinfoedit|can_resetmypassword)$"],
    [r"NotificationView$", r"can_(list|show|mark_read)$"],
]

ROLES = {
    "Specialist": [
        [CASE_WORK_VIEWS, r"can_(list|show|add|edit|download|index|record|followup)$"],
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        *OWN_ACCOUNT,
    ],
    "Manager": [
        [
            CASE_WORK_VIEWS,
            r"can_(list|show|add|edit|delete|download|index|record|followup|resolve)$",
        ],
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        *OWN_ACCOUNT,
    ],
    "Leader": [
        [CASE_WORK_VIEWS, r"can_(list|show|download|index)$"],
        [r"JointReviewView$", r"can_resolve$"],  # escalations addressed to the leader
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        *OWN_ACCOUNT,
    ],
}

ROLE_NAMES = ("Admin", "Manager", "Specialist", "Leader")
