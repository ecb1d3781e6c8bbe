"""The case files (案卷) over the REST API, read-only (archiving is the case step ``archive``,
``POST /api/v1/case/<pk>/archive``).

``GET /api/v1/archive/`` and ``/api/v1/archive/<id>``: the case files of the cases in scope;
``GET /api/v1/archive/find?number=…``: one by case number or case file number;
``GET /api/v1/archive/<id>/file``: the PDF; ``GET /api/v1/archive/case/<case id>``: where a case
stands on the seven steps (委托、受理、办理、送达、归档、上报、回访) and its case file if any.
"""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import models as m
from app.api.base import ScopedModelRestApi, not_found
from app.api.errors import error_response
from app.archive import bundle, queries, seven
from app.archive.views import download_response
from app.cases import access
from app.scope import current_scope


def as_json(record: m.CaseArchive) -> dict:
    """A case file as the API answers it."""
    return {
        "id": record.id,
        "number": record.number,
        "case_id": record.case_id,
        "case_number": record.case.number,
        "archived_at": record.archived_at.isoformat(),
        "archived_by": record.archived_by.username if record.archived_by else None,
        "pages": record.pages,
        "size": record.size,
        "checksum": record.checksum,
        "retention_years": record.retention_years,
        "retain_until": record.retain_until.isoformat(),
        "disposal_due_at": record.disposal_due_at.isoformat() if record.disposal_due_at else None,
        "note": record.note,
    }


class ArchiveApi(ScopedModelRestApi):
    """Case files of the cases in scope, read-only, with their PDF."""

    resource_name = "archive"
    datamodel = SQLAInterface(m.CaseArchive)
    include_route_methods = {"get_list", "get", "find", "file", "case_steps"}
    list_columns = [
        "id",
        "number",
        "case.id",
        "case.number",
        "archived_at",
        "pages",
        "size",
        "checksum",
        "retention_years",
        "retain_until",
        "disposal_due_at",
    ]
    show_columns = list_columns + ["note", "archived_by.username"]
    label_columns = {
        "number": _l("Case file number"),
        "case.id": _l("Case"),
        "case.number": _l("Case number"),
        "archived_by.username": _l("Archived by"),
    }
    search_columns = ["number", "archived_at", "retain_until", "disposal_due_at"]
    order_columns = ["id", "number", "archived_at", "retain_until"]
    base_order = ("archived_at", "desc")

    @expose("/find", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def find(self):
        """One case file by case number or case file number
        ---
        get:
          parameters:
          - in: query
            name: number
            required: true
            description: A case number (e.g. 440781-2026-00012) or a case file number (AJ2026-00003)
            schema: {type: string, maxLength: 40}
          responses:
            200:
              description: The case file
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {type: object}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        number = (request.args.get("number") or "").strip()
        if not number or len(number) > queries.QUERY_MAX or any(ord(ch) < 32 for ch in number):
            return error_response(400, _("Give a case number or a case file number."))
        record = queries.by_number(current_scope(), number)
        if record is None:
            return not_found()
        return self.response(200, result=as_json(record))

    @expose("/<int:pk>/file", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def file(self, pk):
        """The case file's PDF (its SHA-256 in the header X-Checksum-SHA256)
        ---
        get:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: The PDF as archived
              content:
                application/pdf:
                  schema:
                    type: string
                    format: binary
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        record = queries.by_id(current_scope(), pk) if pk <= 2**31 - 1 else None
        if record is None or bundle.read(record) is None:
            return not_found()
        return download_response(record)

    @expose("/case/<int:case_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def case_steps(self, case_id):
        """Where a case stands on the seven steps, and its case file
        ---
        get:
          description: >-
            委托 (entrustment signed), 受理 (accepted), 办理 (at the window), 送达 (results
            handed over, or materials handed back on termination), 归档 (case file made), 上报
            (counted in a finalised written report of its unit or a unit above), 回访 (return
            visit done, or the call-back on a poor rating); each done, current or pending.
          parameters:
          - in: path
            schema:
              type: integer
            name: case_id
          responses:
            200:
              description: The seven steps in order, and the case file (null if not archived)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id: {type: integer}
                      steps:
                        type: array
                        items: {type: object}
                      case_file: {type: object, nullable: true}
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        case = access.case_in_scope(case_id, current_scope())
        if case is None:
            return not_found()
        record = getattr(case, "archive", None)
        return self.response(
            200,
            id=case.id,
            steps=[stage.as_json() for stage in seven.seven_steps(case)],
            case_file=as_json(record) if record is not None else None,
        )
