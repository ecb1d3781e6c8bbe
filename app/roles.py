"""The roles, declared in code (FAB_ROLES) and so recreated on every deploy.

Each entry is ``[view regex, permission regex]``, matched with ``re.match``: every pattern ends
with ``$`` so ``CaseView`` does not also match ``CaseViewSecret``. ``Admin`` is FAB's admin role
and holds every permission. What a role may *see* is further narrowed by app/scope.py.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CASE_WORK_VIEWS = (
    r"(CaseView|MyCaseView|CaseEventView|MaterialNoticeView|ExtensionView|HandoverView"
    r"|TerminationView|JointReviewView|EvaluationView|RectificationView|ReturnVisitView"
    r"|AttachmentView|WalkInHelpView|ApplicantView|PrintView|GuideView|WalkInDeskView"
    r"|LedgerView|DashboardView|SummaryView)$"
)
REFERENCE_VIEWS = (
    r"(ServiceItemView|RequiredMaterialView|ProblemCategoryView|OrgUnitView|DepartmentView"
    r"|SpecialistView|HolidayView)$"
)
WORK_MENUS = (
    r"(MyWork|MyCases|MyNotifications|Guide|WalkInDesk|CaseWork|Cases|CaseEvents|MaterialNotices|Extensions"
    r"|Handovers|Terminations|JointReviews|Evaluations|Rectifications|ReturnVisits|Attachments"
    r"|WalkInHelp|ApplicantMenu|Applicants|Catalogue|ServiceItems|RequiredMaterials"
    r"|ProblemCategories|Organisation|OrgUnits|Departments|Specialists|Holidays"
    r"|Ledger|WorkLedger|WalkInLedger|Dashboard|Summaries)$"
)
OWN_ACCOUNT = [
    [r"(ResetMyPasswordView|UserInfoEditView)$", r"can_this_form_(get|post)$"],
    [r"UserDBModelView$", r"(can_userinfo|can_userinfoedit|can_resetmypassword)$"],
    [r"NotificationView$", r"can_(list|show|mark_read)$"],
    [r"NotificationCenterView$", r"can_(list|mark_read)$"],
]
# REST API (app/api): reads for every role, writes as on the screens.
CASE_WORK_APIS = r"(CaseApi|ApplicantApi|WalkInHelpApi|EvaluationApi)$"
READ_APIS = [
    [
        r"(OrgUnitApi|DepartmentApi|SpecialistApi|ServiceItemApi|NotificationApi|OpenApi)$",
        r"can_get$",
    ],
    [r"ApiDocsView$", r"can_show$"],
    # Background jobs: read and retry those in the caller's scope (app/api/jobs.py).
    [r"JobApi$", r"can_(get|retry)$"],
]

ROLES = {
    "Specialist": [
        [CASE_WORK_VIEWS, r"can_(list|show|add|edit|download|index|record|followup|reveal)$"],
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        [CASE_WORK_APIS, r"can_(get|post|put|step)$"],
        *READ_APIS,
        *OWN_ACCOUNT,
    ],
    "Manager": [
        [
            CASE_WORK_VIEWS,
            r"can_(list|show|add|edit|download|index|record|followup|resolve|reveal)$",
        ],
        # Case records are never deleted (app/kept.py); an applicant without cases may be,
        # and duplicates are merged.
        [r"ApplicantView$", r"can_(delete|merge)$"],
        [r"ApplicantApi$", r"can_(delete|merge)$"],
        [r"RectificationView$", r"can_decide$"],  # appeals (never their own: followup.py)
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        [r"ImportView$", r"can_(index|upload|export)$"],
        [r"Imports$", r"menu_access$"],
        [CASE_WORK_APIS, r"can_(get|post|put|step)$"],
        *READ_APIS,
        *OWN_ACCOUNT,
    ],
    "Leader": [
        [CASE_WORK_VIEWS, r"can_(list|show|download|index)$"],
        [r"JointReviewView$", r"can_resolve$"],  # escalations addressed to the leader
        [r"RectificationView$", r"can_decide$"],  # appeals against rectifications
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        [CASE_WORK_APIS, r"can_get$"],
        *READ_APIS,
        *OWN_ACCOUNT,
    ],
}

ROLE_NAMES = ("Admin", "Manager", "Specialist", "Leader")

# The names as people read them (templates translate the role name with _(name)).
ROLE_LABELS = {
    "Admin": _l("Admin"),
    "Manager": _l("Manager"),
    "Specialist": _l("Specialist"),
    "Leader": _l("Leader"),
}

# Account administration follows rank: nobody creates, changes or resets an account whose
# highest role ranks as high as their own (screens and import; the CLI stands aside). Roles not
# listed here (made by an Admin from permissions) rank lowest.
ROLE_RANK = {"Specialist": 1, "Manager": 2, "Leader": 3, "Admin": 4}
LOWEST_RANK = 1


def rank_of_roles(names) -> int:
    return max((ROLE_RANK.get(str(name), LOWEST_RANK) for name in names), default=0)


def rank_of(user) -> int:
    """The rank of an account: that of its highest role (0 for none or anonymous)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return 0
    return rank_of_roles(role.name for role in getattr(user, "roles", None) or [])


def may_administer(actor, target_role_names) -> bool:
    """Whether ``actor`` may create or change an account holding ``target_role_names``."""
    return rank_of_roles(target_role_names) < rank_of(actor)
