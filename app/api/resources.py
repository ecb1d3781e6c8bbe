"""The REST resources other than cases: units, departments, staff, the catalogue, applicants,
evaluations, walk-in help and the caller's own notifications.

Columns follow the screens in app/views.py. Reference data (units, departments, staff, service
items) is written by administrators only (app/roles.py); evaluations are written by the case's
``evaluate`` step, never directly; notifications are read by their recipient only.
"""

from __future__ import annotations

from flask import g
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from marshmallow import ValidationError

from app import models as m
from app.api.answers import route
from app.api.base import (
    MASK_IDENTITY,
    MASK_MOBILE,
    ScopedModelRestApi,
    is_id,
    not_found,
)
from app.api.errors import invalid
from app.columns import APPLICANT_FIELDS, SERVICE_ITEM_FIELDS
from app.domain import applicants, itemcodes
from app.domain.applicants import check_identity
from app.domain.units import check_placement
from app.extensions import db
from app.validators import mobile_error, resident_id_error, uscc_error


def _marshmallow_check(error_of):
    """A marshmallow validator from one of app/validators' ``*_error`` functions."""

    def validate(value):
        if value in (None, ""):
            return
        error = error_of(value)
        if error is not None:
            raise ValidationError(str(error))

    return validate


def _my_user_id():
    user = getattr(g, "user", None)
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


class OrgUnitApi(ScopedModelRestApi):
    resource_name = "org_unit"
    datamodel = SQLAInterface(m.OrgUnit)
    list_columns = [
        "id",
        "code",
        "name",
        "tier",
        "kind",
        "parent.id",
        "parent.name",
        "phone",
        "active",
    ]
    show_columns = list_columns + ["address", "path"]
    add_columns = ["code", "name", "tier", "parent", "address", "phone", "active"]
    edit_columns = add_columns
    search_columns = ["code", "name", "tier", "parent", "active"]
    order_columns = ["code", "name", "tier"]
    base_order = ("path", "asc")

    def pre_add(self, item):
        check_placement(item)

    def pre_update(self, item):
        check_placement(item)


class DepartmentApi(ScopedModelRestApi):
    resource_name = "department"
    datamodel = SQLAInterface(m.Department)
    list_columns = ["id", "code", "name", "phone", "active"]
    show_columns = list_columns
    add_columns = ["code", "name", "phone", "active"]
    edit_columns = add_columns
    search_columns = ["code", "name", "active"]
    base_order = ("code", "asc")


class SpecialistApi(ScopedModelRestApi):
    resource_name = "specialist"
    datamodel = SQLAInterface(m.Specialist)
    list_columns = [
        "id",
        "name",
        "unit.id",
        "unit.name",
        "staff_type",
        "department.id",
        "department.name",
        "mobile",
        "active",
    ]
    show_columns = list_columns + ["email", "user.id", "user.username"]
    add_columns = ["name", "unit", "staff_type", "department", "mobile", "email", "active", "user"]
    edit_columns = add_columns
    search_columns = ["name", "unit", "staff_type", "department", "active"]
    order_columns = ["name", "staff_type", "active"]
    base_order = ("name", "asc")
    masked_columns = MASK_MOBILE
    validators_columns = {"mobile": _marshmallow_check(mobile_error)}


class ServiceItemApi(ScopedModelRestApi):
    resource_name = "service_item"
    datamodel = SQLAInterface(m.ServiceItem)
    list_columns = [
        "id",
        "code",
        "basic_code",
        "implementation_code",
        "name",
        "department.id",
        "department.name",
        "promised_days",
        "legal_days",
        "needs_parallel",
        "active",
    ]
    add_columns = list(SERVICE_ITEM_FIELDS)  # the same fields as the screen's form
    edit_columns = add_columns
    show_columns = [
        "id",
        *[c for c in add_columns if c not in ("department", "parallel_departments")],
        "department.id",
        "department.name",
        "parallel_departments.id",
        "parallel_departments.name",
        "materials.id",
        "materials.name",
        "materials.copies",
        "materials.original",
        "materials.how_to_obtain",
    ]
    search_columns = [
        "code",
        "basic_code",
        "implementation_code",
        "name",
        "department",
        "keywords",
        "needs_parallel",
        "active",
    ]
    order_columns = ["code", "name", "promised_days"]
    base_order = ("code", "asc")
    validators_columns = {
        "basic_code": _marshmallow_check(itemcodes.basic_code_error),
        "implementation_code": _marshmallow_check(itemcodes.implementation_code_error),
    }

    def pre_add(self, item):
        itemcodes.check_item(item)  # the codes together, as the screen's form checks them

    def pre_update(self, item):
        itemcodes.check_item(item)


class ApplicantApi(ScopedModelRestApi):
    resource_name = "applicant"
    datamodel = SQLAInterface(m.Applicant)
    list_columns = [
        "id",
        "kind",
        "name",
        "id_number",
        "credit_code",
        "mobile",
        "unit.id",
        "unit.name",
        "created_at",
    ]
    add_columns = list(APPLICANT_FIELDS)  # the same fields as the screen's form
    edit_columns = add_columns
    show_columns = [
        "id",
        *[c for c in add_columns if c != "unit"],
        "unit.id",
        "unit.name",
        "created_at",
    ]
    search_columns = ["name", "kind", "id_number", "credit_code", "mobile", "unit"]
    order_columns = ["name", "kind", "created_at"]
    base_order = ("created_at", "desc")
    masked_columns = MASK_IDENTITY
    audit_reveals = "applicant"
    validators_columns = {
        "id_number": _marshmallow_check(resident_id_error),
        "credit_code": _marshmallow_check(uscc_error),
        "mobile": _marshmallow_check(mobile_error),
    }

    def pre_add(self, item):
        check_identity(item)

    def pre_update(self, item):
        check_identity(item)

    def pre_delete(self, item):
        applicants.check_deletable(db.session, item)

    @route("POST", "/<int:pk>/merge", permission="merge", errors=(400, 404, 409, 422))
    def merge(self, pk):
        """Merge this duplicate applicant into another; its cases move there
        ---
        post:
          description: >-
            The duplicate `pk` is merged into the applicant `into` (both in the caller's units):
            every case of the duplicate moves to `into`, then the duplicate is removed. Managers
            and administrators only; the merge is in the audit trail.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    into:
                      type: integer
                  required: [into]
          responses:
            200:
              description: Merged
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      cases_moved:
                        type: array
                        items:
                          type: integer
        """
        source = self.load_item(pk)
        if source is None:
            return not_found()
        data = self.json_body()
        if data is None:
            return self.response_400(_("The body must be a JSON object."))
        into = data.get("into")
        if not is_id(into):
            return invalid({"into": [_("Give the id of a record.")]})
        target = self.load_item(into)
        if target is None:
            return invalid({"into": [_("No such record, or not one you may use.")]})
        moved, failed = self.save(lambda: applicants.merge(db.session, source, target, g.user))
        if failed is not None:
            return failed
        return self.response(200, id=target.id, cases_moved=moved)


class EvaluationApi(ScopedModelRestApi):
    """Evaluations are read here; they are recorded by the case's ``evaluate`` step."""

    resource_name = "evaluation"
    datamodel = SQLAInterface(m.Evaluation)
    include_route_methods = {"get_list", "get"}
    # What the provincial 好差评 system takes: item code, case number, stage, rating, channel,
    # time, comments (the screens' export: app/followup/province.py).
    list_columns = [
        "id",
        "case.id",
        "case.number",
        "item_code",
        "case_number",
        "stage",
        "at",
        "rating",
        "channel",
        "comments",
    ]
    show_columns = list_columns
    search_columns = ["stage", "rating", "channel", "at", "case"]
    order_columns = ["at", "rating"]
    base_order = ("at", "desc")


class WalkInHelpApi(ScopedModelRestApi):
    resource_name = "walk_in_help"
    datamodel = SQLAInterface(m.WalkInHelp)
    list_columns = [
        "id",
        "at",
        "unit.id",
        "unit.name",
        "kind",
        "specialist.id",
        "specialist.name",
        "queue_number",
        "item.id",
        "item.name",
    ]
    show_columns = list_columns + ["note"]
    add_columns = ["unit", "kind", "specialist", "queue_number", "item", "note"]
    edit_columns = add_columns
    search_columns = ["unit", "kind", "at", "specialist"]
    order_columns = ["at", "kind"]
    base_order = ("at", "desc")


class NotificationApi(ScopedModelRestApi):
    """The caller's own notifications."""

    resource_name = "notification"
    datamodel = SQLAInterface(m.Notification)
    include_route_methods = {"get_list", "get"}
    base_filters = [["recipient_id", FilterEqualFunction, _my_user_id]]
    list_columns = [
        "id",
        "created_at",
        "channel",
        "kind",
        "subject",
        "case.id",
        "case.number",
        "read_at",
    ]
    show_columns = list_columns + ["body"]
    search_columns = ["kind", "channel", "created_at", "read_at"]
    order_columns = ["created_at", "kind"]
    base_order = ("created_at", "desc")


RESOURCES = (
    OrgUnitApi,
    DepartmentApi,
    SpecialistApi,
    ServiceItemApi,
    ApplicantApi,
    EvaluationApi,
    WalkInHelpApi,
    NotificationApi,
)
