"""The built-in roles: their default permissions, the minimum their screens need, and rank.

Every role's permissions live in the database (FAB's ``ab_permission_view_role``), where the
role screens show them and an Admin adjusts them (app/permissions.py). This module declares what
the deploy step (``flask sync-perms``) gives a built-in role by default: ``ROLES`` once per
permission (an Admin's later revocation stays revoked), ``MINIMUMS`` always (what the role's
screens need to work; no one can take it away). ``Admin`` is FAB's admin role and holds every
permission. ``RESERVED`` permissions (accounts, roles and permissions) are the Admins' only.

Each entry is ``[view regex, permission regex]``, matched with ``re.match`` against the
registered permissions: every pattern ends with ``$`` so ``CaseView`` does not also match
``CaseViewSecret``. What a role may *see* is further narrowed by app/scope.py, for every role,
built-in or made by an Admin.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

CASE_WORK_VIEWS = (
    r"(CaseView|MyCaseView|CaseEventView|MaterialNoticeView|ExtensionView|HandoverView"
    r"|TerminationView|JointReviewView|EvaluationView|RectificationView|ReturnVisitView"
    r"|AttachmentView|WalkInHelpView|ApplicantView|PrintView|GuideView|WalkInDeskView"
    r"|LedgerView|DashboardView|SummaryView|AppointmentDeskView|ComplaintView|ArchiveView)$"
)
REFERENCE_VIEWS = (
    r"(ServiceItemView|RequiredMaterialView|ProblemCategoryView|OrgUnitView|DepartmentView"
    r"|SpecialistView|HolidayView)$"
)
WORK_MENUS = (
    r"(MyWork|MyCases|MyNotifications|Guide|WalkInDesk|AppointmentDesk|CaseWork|Cases|CaseEvents|MaterialNotices|Extensions"
    r"|Handovers|Terminations|JointReviews|Evaluations|Rectifications|ReturnVisits|Attachments"
    r"|WalkInHelp|ApplicantMenu|Applicants|Catalogue|ServiceItems|RequiredMaterials"
    r"|ProblemCategories|Organisation|OrgUnits|Departments|Specialists|Holidays"
    r"|Ledger|WorkLedger|WalkInLedger|Dashboard|Summaries|Complaints|CaseFiles)$"
)
OWN_ACCOUNT = [
    [r"(ResetMyPasswordView|UserInfoEditView)$", r"can_this_form_(get|post)$"],
    [r"UserDBModelView$", r"(can_userinfo|can_userinfoedit|can_resetmypassword)$"],
    [r"NotificationView$", r"can_(list|show|mark_read)$"],
    [r"NotificationCenterView$", r"can_(list|mark_read)$"],
]
# REST API (app/api): reads for every role, writes as on the screens.
CASE_WORK_APIS = (
    r"(CaseApi|ApplicantApi|WalkInHelpApi|EvaluationApi|AppointmentApi|ComplaintApi|ArchiveApi)$"
)
READ_APIS = [
    [
        r"(OrgUnitApi|DepartmentApi|SpecialistApi|ServiceItemApi|NotificationApi|OpenApi)$",
        r"can_get$",
    ],
    [r"ApiDocsView$", r"can_show$"],
    # Background jobs: read and retry those in the caller's scope (app/api/jobs.py).
    [r"JobApi$", r"can_(get|retry)$"],
]

# Every specialist's own assessment (his row and rank only: app/assessment/views.py
# MyAssessmentView), on the screen and over the API.
OWN_ASSESSMENT = [
    [r"MyAssessmentView$", r"can_index$"],
    [r"MyAssessment$", r"menu_access$"],
    [r"AssessmentApi$", r"can_mine$"],
]

# Specialist assessment and written reports (app/assessment/): read by managers and leaders;
# managers also draft, edit and finalise reports. The targets screen is the Admins' only.
ASSESSMENT = [
    [r"AssessmentView$", r"can_index$"],
    [r"ReportView$", r"can_(list|show|download)$"],
    [r"(Assessment|WrittenReports)$", r"menu_access$"],
    [r"(AssessmentApi|ReportApi)$", r"can_get$"],
    *OWN_ASSESSMENT,
]

ROLES = {
    "Specialist": [
        [CASE_WORK_VIEWS, r"can_(list|show|add|edit|download|index|record|followup|reveal)$"],
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        [CASE_WORK_APIS, r"can_(get|post|put|step)$"],
        *READ_APIS,
        *OWN_ACCOUNT,
        *OWN_ASSESSMENT,
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
        [r"CaseView$", r"reassign$"],  # bulk reassignment from the case list (app/cases/bulk.py)
        [r"CaseApi$", r"can_reassign$"],  # the same over the API (POST /api/v1/case/reassign)
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        [r"ImportView$", r"can_(index|upload|export)$"],
        # a unit's appointment slots (app/appointments/views.py)
        [r"AppointmentDeskView$", r"can_pattern$"],
        [r"AppointmentSlots$", r"menu_access$"],
        *ASSESSMENT,
        [r"ReportView$", r"can_(add|edit)$"],
        [r"Imports$", r"menu_access$"],
        [CASE_WORK_APIS, r"can_(get|post|put|step)$"],
        *READ_APIS,
        *OWN_ACCOUNT,
    ],
    "Leader": [
        [CASE_WORK_VIEWS, r"can_(list|show|download|index)$"],
        [r"JointReviewView$", r"can_resolve$"],  # escalations addressed to the leader
        [r"RectificationView$", r"can_decide$"],  # appeals against rectifications
        *ASSESSMENT,
        [REFERENCE_VIEWS, r"can_(list|show)$"],
        [WORK_MENUS, r"menu_access$"],
        [CASE_WORK_APIS, r"can_get$"],
        *READ_APIS,
        *OWN_ACCOUNT,
    ],
}

# What each built-in role's screens need to work: re-added at every deploy, never revoked.
_OWN_ACCOUNT_MINIMUM = [
    [r"(ResetMyPasswordView|UserInfoEditView)$", r"can_this_form_(get|post)$"],
    [r"UserDBModelView$", r"can_userinfo$"],
    [r"NotificationCenterView$", r"can_(list|mark_read)$"],
    [r"MyNotifications$", r"menu_access$"],
]
_CASE_WORK_MINIMUM = [
    [r"(CaseView|MyCaseView|ApplicantView)$", r"can_(list|show|add|edit)$"],
    [r"(GuideView|WalkInDeskView)$", r"can_index$"],
    [r"WalkInDeskView$", r"can_record$"],
    [r"PrintView$", r"can_show$"],
    [r"(MyWork|MyCases|CaseWork|Cases|Guide|WalkInDesk)$", r"menu_access$"],
]
_OVERSIGHT_MINIMUM = [
    [r"LedgerView$", r"can_list$"],
    [r"DashboardView$", r"can_index$"],
    [r"(Ledger|WorkLedger|Dashboard)$", r"menu_access$"],
]
MINIMUMS = {
    "Specialist": [*_CASE_WORK_MINIMUM, *_OWN_ACCOUNT_MINIMUM],
    "Manager": [*_CASE_WORK_MINIMUM, *_OVERSIGHT_MINIMUM, *_OWN_ACCOUNT_MINIMUM],
    "Leader": [
        [r"(CaseView|MyCaseView)$", r"can_(list|show)$"],
        [r"(CaseWork|Cases)$", r"menu_access$"],
        *_OVERSIGHT_MINIMUM,
        *_OWN_ACCOUNT_MINIMUM,
    ],
}

# Accounts, roles and permissions: only the Admin role holds these, so no other role can give
# itself or anyone more than it has (own-account forms are not among them).
RESERVED = [
    [
        r"(RoleModelView|PermissionModelView|PermissionViewModelView|ViewMenuModelView"
        r"|UserGroupModelView|ResetPasswordView|LoginLockView|SecurityApi|UserStatsChartView)$",
        r".*",
    ],
    [r"UserDBModelView$", r"(?!can_userinfo$|userinfoedit$|resetmypassword$).*"],
    [
        r"(Security|List Users|List Roles|List Groups|Base Permissions|Views/Menus"
        r"|Permission on Views/Menus|LoginLocks|User's Statistics)$",
        r"menu_access$",
    ],
]

ADMIN = "Admin"
PUBLIC = "Public"
ROLE_NAMES = ("Admin", "Manager", "Specialist", "Leader")
BUILTIN = ("Specialist", "Manager", "Leader")  # in rank order; Admin stands apart

# The names as people read them (templates translate the role name with _(name)).
ROLE_LABELS = {
    "Admin": _l("Admin"),
    "Manager": _l("Manager"),
    "Specialist": _l("Specialist"),
    "Leader": _l("Leader"),
}

# Account administration follows rank: nobody creates, changes or resets an account whose
# highest role ranks as high as their own, nor gives a role that ranks as high as their own
# (screens and import; the CLI stands aside).
#
# A role made by an Admin ranks as the lowest built-in role whose permissions include all of its
# own (窗口人员 within Specialist's: 1). One that holds more than any built-in role but Admin
# (审计员, who reads the audit trail) ranks just below Admin when it is the one being given or
# changed, and lowest when it is the one acting: its holders are changed by Admins only, and it
# gives no one power over accounts.
ROLE_RANK = {"Specialist": 1, "Manager": 2, "Leader": 3, "Admin": 4}
LOWEST_RANK = 1
BEYOND_BUILTIN_RANK = ROLE_RANK["Leader"]


def _contained_rank(role) -> int | None:
    """The rank of the lowest built-in role holding every permission of ``role`` (None: none)."""

    sm = current_app.appbuilder.sm
    held = {pv.id for pv in role.permissions}
    for name in BUILTIN:
        builtin = sm.find_role(name)
        if builtin is not None and held <= {pv.id for pv in builtin.permissions}:
            return ROLE_RANK[name]
    return None


def _find_role(name):

    if not has_app_context():
        return None
    return current_app.appbuilder.sm.find_role(name)


def target_rank(role_or_name) -> int:
    """The rank of a role being given, or of an account's role being changed."""
    name = str(getattr(role_or_name, "name", role_or_name))
    if name in ROLE_RANK:
        return ROLE_RANK[name]
    role = role_or_name if hasattr(role_or_name, "permissions") else _find_role(name)
    rank = _contained_rank(role) if role is not None else None
    return BEYOND_BUILTIN_RANK if rank is None else rank


def held_roles(user) -> list:
    """Every role ``user`` holds: those given to the account and those its groups give it (FAB 5
    groups, ``user.groups``), each once. Whatever reads a user's roles for authority (rank, steps,
    scope, masking, recipients) reads them here, so a role given through a group counts exactly
    as one given directly, as it does in FAB's own permission checks (``get_user_roles``)."""
    found: dict = {}
    for role in getattr(user, "roles", None) or []:
        found.setdefault(role.name, role)
    for group in getattr(user, "groups", None) or []:
        for role in group.roles or []:
            found.setdefault(role.name, role)
    return list(found.values())


def held_role_names(user) -> set[str]:
    """The names of the roles ``user`` holds, directly or through a group (``held_roles``)."""
    return {role.name for role in held_roles(user)}


def holds_role(user_model, role) -> sa.ColumnElement[bool]:
    """SQL: the account holds ``role``, directly or through one of its groups (``held_roles``
    in a query)."""
    group_model = user_model.groups.property.mapper.class_
    return sa.or_(
        user_model.roles.contains(role), user_model.groups.any(group_model.roles.contains(role))
    )


def actor_rank(role) -> int:
    """The rank a role lends the account acting with it."""
    if role.name in ROLE_RANK:
        return ROLE_RANK[role.name]
    return _contained_rank(role) or LOWEST_RANK


def rank_of_roles(names) -> int:
    """The rank of an account holding ``names`` (roles or their names), as a target."""
    return max((target_rank(name) for name in names), default=0)


def rank_of(user) -> int:
    """The rank of an account acting: that of its highest role, its groups' roles included
    (0 for none or anonymous)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return 0
    return max((actor_rank(role) for role in held_roles(user)), default=0)


def account_rank(user) -> int:
    """The rank of an account being changed: that of its highest role, its groups' included."""
    return rank_of_roles(held_roles(user))


def may_administer(actor, target_role_names) -> bool:
    """Whether ``actor`` may create or change an account holding ``target_role_names`` (roles or
    their names: pass ``held_roles(account)`` for an existing account), or give those roles."""
    return rank_of_roles(target_role_names) < rank_of(actor)


def may_administer_account(actor, user) -> bool:
    """Whether ``actor`` may change the existing account ``user`` (its groups' roles count)."""
    return account_rank(user) < rank_of(actor)
