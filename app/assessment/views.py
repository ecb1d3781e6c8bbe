"""The assessment's screens (rankings per tier, targets) and the written reports' screens.

Every number comes from app/assessment/indicators.py and reports.py under ``current_scope()``;
a report outside the scope answers 404 like a missing one; bad input answers 400 in the
user's language and saves nothing.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _

from app import models as m
from app.assessment import docx, indicators, reports
from app.cases.access import my_specialist
from app.domain import clock
from app.enums import Indicator, ReportState
from app.extensions import db
from app.ledger.queries import unit_choices
from app.replica import read_session
from app.scope import Scope, current_scope


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "ignore").decode() or "report"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _period_or_400(kind, value):
    try:
        return indicators.parse_period(kind, value, clock.today())
    except indicators.PeriodError:
        abort(400, description=_("Give a month as 2026-05 or a quarter as 2026-Q2."))


def _unit_or_404(unit_id, scope: Scope) -> m.OrgUnit:
    unit = db.session.get(m.OrgUnit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or not scope.contains_unit(unit):
        abort(404)
    return unit


class AssessmentView(BaseView):
    """考核: each specialist's indicators and score for a month or quarter, ranked per tier."""

    route_base = "/assessment"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        scope = current_scope()
        kind, start, end = _period_or_400(request.args.get("period"), request.args.get("value"))
        unit_id = request.args.get("unit", type=int)
        if request.args.get("unit") and unit_id is None:
            abort(400, description=_("Choose a unit from the list."))
        narrowed = scope
        if unit_id:
            unit = _unit_or_404(unit_id, scope)
            narrowed = Scope(path=unit.path, unit_id=unit.id)
        data = indicators.assess(read_session(), narrowed, start, end, clock.today())
        return self.render_template(
            "assessment/index.html",
            title=_("Specialist assessment"),
            data=data,
            kind=kind,
            value=indicators.period_value(kind, start),
            start=start,
            end=end,
            unit_id=unit_id,
            units=unit_choices(db.session, scope),
            indicators=list(Indicator),
        )


class MyAssessmentView(BaseView):
    """我的考核: a specialist's own indicators, score and rank for a month or quarter.

    What the center shows each specialist: his own row of the assessment against the targets
    and his place in his tier's ranking (rank N of M); other people's figures stay with the
    managers' screen (``AssessmentView``)."""

    route_base = "/assessment/mine"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        kind, start, end = _period_or_400(request.args.get("period"), request.args.get("value"))
        me = my_specialist()
        own = None
        if me is not None:
            own = indicators.own_assessment(
                read_session(), current_scope(), me.id, start, end, clock.today()
            )
        return self.render_template(
            "assessment/mine.html",
            title=_("My assessment"),
            me=me,
            own=own,
            kind=kind,
            value=indicators.period_value(kind, start),
            start=start,
            end=end,
            indicators=list(Indicator),
        )


def _parse_targets(form) -> dict[Indicator, tuple[float, int]]:
    """The form's targets (a rate in %, a count) and weights; 400 on anything else."""
    out = {}
    for ind in Indicator:
        try:
            target = float(str(form.get(f"target_{ind.value}", "")).strip())
            weight = int(str(form.get(f"weight_{ind.value}", "")).strip())
        except ValueError:
            abort(400, description=_("Each target and weight must be a number."))
        if ind.is_rate and not 0 <= target <= 100:
            abort(400, description=_("A rate's target is between 0 and 100 %."))
        if not ind.is_rate and (target < 0 or target != int(target) or target > 10000):
            abort(400, description=_("A count's target is a whole number, 0 or more."))
        if not 0 <= weight <= 100:
            abort(400, description=_("A weight is a whole number from 0 to 100."))
        out[ind] = (round(target / 100, 4) if ind.is_rate else int(target), weight)
    if sum(w for _t, w in out.values()) <= 0:
        abort(400, description=_("At least one weight must be above 0."))
    return out


class AssessmentTargetView(BaseView):
    """考核目标: each indicator's target and weight (Admins: no other role is given it)."""

    route_base = "/assessment/targets"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        if request.method == "POST":
            chosen = _parse_targets(request.form)
            rows = {
                r.indicator: r for r in db.session.execute(sa.select(m.AssessmentTarget)).scalars()
            }
            for ind, (target, weight) in chosen.items():
                row = rows.get(ind) or m.AssessmentTarget(indicator=ind)
                row.target, row.weight = target, weight
                row.updated_at, row.updated_by_id = clock.now(), g.user.id
                db.session.add(row)
            db.session.commit()
            flash(_("The targets are saved."), "success")
            return redirect(url_for("AssessmentTargetView.index"))
        return self.render_template(
            "assessment/targets.html",
            title=_("Assessment targets"),
            goals=indicators.targets(db.session),
            indicators=list(Indicator),
        )


class ReportView(BaseView):
    """月报 / 季报: drafts generated from the figures, edited, finalised, exported as .docx."""

    route_base = "/reports"
    default_view = "list"

    def _visible(self):
        return (
            sa.select(m.PeriodicReport, m.OrgUnit)
            .join(m.OrgUnit, m.OrgUnit.id == m.PeriodicReport.unit_id)
            .where(current_scope().clause_for(m.PeriodicReport))
        )

    def _load(self, report_id: int):
        row = db.session.execute(self._visible().where(m.PeriodicReport.id == report_id)).first()
        if row is None:
            abort(404)
        return row

    def _fail(self, error: reports.ReportError, back: str):
        db.session.rollback()
        if error.status == 409:
            flash(str(error.message), "warning")
            return redirect(back)
        abort(error.status, description=str(error.message))

    @expose("/list/")
    @has_access
    def list(self):
        rows = db.session.execute(
            self._visible()
            .order_by(m.PeriodicReport.period_start.desc(), m.OrgUnit.path)
            .limit(200)
        ).all()
        return self.render_template(
            "assessment/reports.html",
            title=_("Written reports"),
            rows=rows,
            units=unit_choices(db.session, current_scope()),
            own_unit=current_scope().unit_id,
            period_labels=reports.PERIOD_LABELS,
            default_month=indicators.period_value(
                "month", indicators.parse_period("month", None, clock.today())[1]
            ),
        )

    @expose("/new", methods=["POST"])
    @has_access
    @permission_name("add")
    def new(self):
        scope = current_scope()
        unit_id = request.form.get("unit", type=int)
        if unit_id is None:
            abort(400, description=_("Choose a unit from the list."))
        unit = _unit_or_404(unit_id, scope)
        kind, start, end = _period_or_400(request.form.get("period"), request.form.get("value"))
        try:
            report = reports.create_draft(db.session, unit, kind, start, end, g.user)
            db.session.commit()
        except reports.ReportError as error:
            return self._fail(error, url_for("ReportView.list"))
        except sa.exc.IntegrityError:  # the same draft made at the same moment
            db.session.rollback()
            flash(_("This unit already has a report for this period."), "warning")
            return redirect(url_for("ReportView.list"))
        return redirect(url_for("ReportView.show", report_id=report.id))

    @expose("/<int:report_id>")
    @has_access
    def show(self, report_id):
        report, unit = self._load(report_id)
        return self.render_template(
            "assessment/report.html",
            title=reports.title(report, unit.name),
            report=report,
            unit=unit,
            f=report.figures or {},
            draft=report.state == ReportState.DRAFT,
            indicators=list(Indicator),
            period_labels=reports.PERIOD_LABELS,
        )

    def _change(self, report_id, action):
        report, _unit = self._load(report_id)
        back = url_for("ReportView.show", report_id=report_id)
        try:
            action(report)
            db.session.commit()
        except reports.ReportError as error:
            return self._fail(error, back)
        except sa.orm.exc.StaleDataError:
            db.session.rollback()
            flash(_("Someone changed this report meanwhile: read it again."), "warning")
            return redirect(back)
        flash(_("Saved."), "success")
        return redirect(back)

    @expose("/<int:report_id>/edit", methods=["POST"])
    @has_access
    @permission_name("edit")
    def edit(self, report_id):
        data = {k: request.form[k] for k in reports.TEXT_FIELDS if k in request.form}
        return self._change(report_id, lambda r: reports.update_text(r, data))

    @expose("/<int:report_id>/refresh", methods=["POST"])
    @has_access
    @permission_name("edit")
    def refresh(self, report_id):
        return self._change(report_id, lambda r: reports.refresh(db.session, r))

    @expose("/<int:report_id>/finalise", methods=["POST"])
    @has_access
    @permission_name("edit")
    def finalise(self, report_id):
        return self._change(report_id, lambda r: reports.finalise(r, g.user))

    @expose("/<int:report_id>/docx")
    @has_access
    @permission_name("download")
    def download(self, report_id):
        report, unit = self._load(report_id)
        name = f"{reports.title(report, unit.name)}.docx"
        document = docx.render(report, unit.name)
        reports.audit_export(db.session, report)
        db.session.commit()
        response = send_file(io.BytesIO(document), mimetype=docx.DOCX_MIME)
        response.headers["Content-Disposition"] = _attachment(name)
        return response
