"""The assessment and the written reports over the REST API (read-only; the .docx to download).

``GET /api/v1/assessment/?period=month&value=2026-05[&unit=ID]``: the unit's indicators against
targets and the rankings per tier inside the caller's scope (as the screen).
``GET /api/v1/assessment/mine?period=month&value=2026-05``: the caller's own indicators, score and
rank in his tier (every specialist; nobody else's row).
``GET /api/v1/report/`` and ``/api/v1/report/<id>``: the reports of the units in scope, with
their figures and text sections; ``/api/v1/report/<id>/docx`` the document.
"""

from __future__ import annotations

import io

from flask import request, send_file
from flask_appbuilder.api import BaseApi
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import models as m
from app.api.answers import DocumentedAnswers, route
from app.api.base import ScopedModelRestApi, not_found
from app.api.errors import error_response
from app.assessment import docx, indicators, reports
from app.cases.access import my_specialist
from app.domain import clock
from app.extensions import db
from app.replica import read_session
from app.scope import Scope, current_scope


class AssessmentApi(DocumentedAnswers, BaseApi):
    """Specialists' indicators, scores and tier rankings for a month or quarter."""

    resource_name = "assessment"
    allow_browser_login = False
    openapi_spec_tag = "Assessment"

    @route("GET", "/", permission="get", errors=(400, 404))
    def get(self):
        """The assessment of a month or quarter inside the caller's scope
        ---
        get:
          description: >-
            Indicators (on-time completion rate, satisfaction rate, repeat one-time notices,
            overdue cases, complaints, call-backs done) of the cases applied in the period, for
            the caller's units (or one unit of them), against the targets; each specialist's
            values, weighted score and rank within their tier.
          parameters:
          - in: query
            name: period
            schema: {type: string, enum: [month, quarter]}
          - in: query
            name: value
            description: 2026-05 for a month, 2026-Q2 for a quarter (default the last closed)
            schema: {type: string}
          - in: query
            name: unit
            schema: {type: integer}
          responses:
            200:
              description: The assessment
        """
        scope = current_scope()
        try:
            kind, start, end = indicators.parse_period(
                request.args.get("period"), request.args.get("value"), clock.today()
            )
        except indicators.PeriodError:
            return error_response(400, _("Give a month as 2026-05 or a quarter as 2026-Q2."))
        raw_unit = request.args.get("unit")
        if raw_unit:
            if not raw_unit.isdigit() or len(raw_unit) > 9:
                return error_response(400, _("Choose a unit from the list."))
            unit = db.session.get(m.OrgUnit, int(raw_unit))
            if unit is None or not scope.contains_unit(unit):
                return not_found()
            scope = Scope(path=unit.path, unit_id=unit.id)
        data = indicators.assess(read_session(), scope, start, end, clock.today())
        return self.response(
            200,
            period=kind,
            value=indicators.period_value(kind, start),
            start=start.isoformat(),
            end=end.isoformat(),
            score=data["score"],
            unit=data["unit"],
            tiers=[
                {"tier": tier.value, "label": str(tier.label), "rows": rows}
                for tier, rows in data["tiers"]
            ],
        )

    @route("GET", "/mine", permission="mine", errors=(400, 404))
    def mine(self):
        """The caller's own assessment of a month or quarter
        ---
        get:
          description: >-
            The caller's own indicators against the targets, weighted score, and rank within
            the specialists of the same tier in the whole center (with how many are ranked);
            nobody else's figures. 404 when the account is not a specialist's.
          parameters:
          - in: query
            name: period
            schema: {type: string, enum: [month, quarter]}
          - in: query
            name: value
            description: 2026-05 for a month, 2026-Q2 for a quarter (default the last closed)
            schema: {type: string}
          responses:
            200:
              description: The caller's assessment
        """
        try:
            kind, start, end = indicators.parse_period(
                request.args.get("period"), request.args.get("value"), clock.today()
            )
        except indicators.PeriodError:
            return error_response(400, _("Give a month as 2026-05 or a quarter as 2026-Q2."))
        me = my_specialist()
        if me is None:
            return not_found()
        own = indicators.own_assessment(
            read_session(), current_scope(), me.id, start, end, clock.today()
        )
        return self.response(
            200,
            period=kind,
            value=indicators.period_value(kind, start),
            start=start.isoformat(),
            end=end.isoformat(),
            specialist_id=me.id,
            **_own_json(own),
        )


def _own_json(own: dict) -> dict:
    row = own["row"]
    return {
        "score": row["score"] if row else None,
        "cases": row["cases"] if row else 0,
        "tier": own["tier"].value if own["tier"] else None,
        "rank": own["rank"],
        "ranked": own["ranked"],
        "indicators": {
            key: {
                "value": row["values"][key] if row else None,
                "target": goal["target"],
                "weight": goal["weight"],
                "meets": row["meets"][key] if row else None,
            }
            for key, goal in own["goals"].items()
        },
    }


class ReportApi(ScopedModelRestApi):
    """Written periodic reports of the units in scope, read-only, with the .docx."""

    resource_name = "report"
    datamodel = SQLAInterface(m.PeriodicReport)
    include_route_methods = {"get_list", "get", "docx"}
    list_columns = [
        "id",
        "unit.id",
        "unit.name",
        "period",
        "period_start",
        "period_end",
        "state",
        "figures_at",
    ]
    show_columns = list_columns + [
        "figures",
        "problems_text",
        "practice_text",
        "remarks_text",
        "finalised_at",
    ]
    label_columns = {
        "figures": _l("Figures"),
        "figures_at": _l("Figures counted at"),
        "problems_text": _l("Common problems and how they were solved"),
        "practice_text": _l("Good practice"),
        "remarks_text": _l("Remarks"),
        "finalised_at": _l("Finalised at"),
    }
    search_columns = ["period", "period_start", "state"]
    order_columns = ["id", "period_start"]
    base_order = ("period_start", "desc")

    @route("GET", "/<int:pk>/docx", permission="get", errors=(404,))
    def docx(self, pk):
        """The report as a .docx document
        ---
        get:
          responses:
            200:
              description: The .docx
              content:
                application/vnd.openxmlformats-officedocument.wordprocessingml.document: {}
        """
        report = self.load_item(pk)
        if report is None:
            return not_found()
        unit = db.session.get(m.OrgUnit, report.unit_id)
        document = docx.render(report, unit.name)
        reports.audit_export(db.session, report)
        report_id = report.id
        db.session.commit()
        return send_file(
            io.BytesIO(document),
            mimetype=docx.DOCX_MIME,
            as_attachment=True,
            download_name=f"report-{report_id}.docx",
        )
