"""Screens for what follows a case: rectifications of poor ratings and joint review outcomes,
with escalation to the leader in charge. Each action calls app/domain/followup.py."""

from __future__ import annotations

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app import models as m
from app.domain import clock, followup
from app.domain.errors import DomainError
from app.enums import RectificationState, ReviewDecision
from app.extensions import db
from app.i18n import local_date
from app.reminders.flags import flag
from app.scope import current_scope
from app.viewbase import ScopedModelView


def _run(action, done_endpoint: str, pk: int):
    """Run a follow-up action in one unit of work; flash its outcome in the user's language."""
    try:
        action()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for(done_endpoint, pk=pk))


def _note_state(value):
    """The state's label; remembers the row's state for the deadline cell that follows it."""
    if has_request_context():
        g._rect_row_state = value
    try:
        return RectificationState(value).label
    except ValueError:
        return value


def _flag_deadline(value):
    """The deadline, with the red 已超期 flag while the rectification is still owed."""

    if value is None:
        return ""
    state = g.pop("_rect_row_state", None) if has_request_context() else None
    owed = state in m.Rectification.PENDING_STATES
    overdue = owed and value < clock.today()
    return Markup('<span class="due-cell">%s%s</span>') % (
        escape(local_date(value)),
        flag("overdue" if overdue else ""),
    )


class RectificationView(ScopedModelView):
    datamodel = SQLAInterface(m.Rectification)
    list_title = _l("Rectifications")
    show_title = _l("Rectification")
    show_template = "followup/rectification.html"
    base_permissions = ["can_list", "can_show", "can_followup", "can_decide"]
    list_columns = ["evaluation", "state", "owner", "deadline", "closed_at"]
    show_columns = list_columns + [
        "verification",
        "action_taken",
        "callback_at",
        "callback_note",
        "appeal_reason",
        "appealed_by",
        "appeal_decision",
    ]
    search_columns = ["state", "deadline"]
    base_order = ("deadline", "asc")
    formatters_columns = {
        "state": _note_state,
        "deadline": _flag_deadline,
    }
    label_columns = {
        "evaluation": _l("Evaluation"),
        "state": _l("State"),
        "owner": _l("Owner"),
        "closed_at": _l("Closed"),
        "verification": _l("Verification"),
        "action_taken": _l("Action taken"),
        "callback_at": _l("Call-back"),
        "callback_note": _l("Call-back note"),
        "appeal_reason": _l("Appeal"),
        "appealed_by": _l("Appealed by"),
        "appeal_decision": _l("Appeal decision"),
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        rect = self.datamodel.get(pk, self._base_filters)
        if rect is None:
            abort(404)
        widgets = self._show(rect.id)
        return self.render_template(
            self.show_template,
            pk=rect.id,
            title=self.show_title,
            widgets=widgets,
            related_views=[],
            rect=rect,
            steps=followup.rectification_steps(rect),
            may_decide=self.appbuilder.sm.has_access("can_decide", "RectificationView")
            and followup.appeal_refusal(rect, g.user) is None,
        )

    @expose("/followup/<pk>/<step>", methods=["POST"])
    @has_access
    @permission_name("followup")
    def followup(self, pk, step):
        rect = self.datamodel.get(pk, self._base_filters)
        if rect is None or step not in followup.RECTIFICATION_STEPS or step == "decide_appeal":
            abort(404)  # an appeal is decided through ``decide`` (its own permission)
        form = request.form
        actions = {
            "verify": lambda: followup.verify(
                db.session,
                rect,
                g.user,
                verification=form.get("verification", ""),
                action_taken=form.get("action_taken", ""),
            ),
            "close": lambda: followup.close_by_callback(
                db.session, rect, g.user, note=form.get("callback_note", "")
            ),
            "appeal": lambda: followup.appeal(
                db.session, rect, g.user, reason=form.get("appeal_reason", "")
            ),
        }
        return _run(actions[step], "RectificationView.show", rect.id)

    @expose("/decide/<pk>", methods=["POST"])
    @has_access
    @permission_name("decide")
    def decide(self, pk):
        """A manager or leader over the case decides an appeal (never the appellant)."""
        rect = self.datamodel.get(pk, self._base_filters)
        if rect is None:
            abort(404)
        return _run(
            lambda: followup.decide_appeal(
                db.session,
                rect,
                g.user,
                upheld=request.form.get("upheld") == "y",
                decision=request.form.get("appeal_decision", ""),
            ),
            "RectificationView.show",
            rect.id,
        )


class JointReviewView(ScopedModelView):
    datamodel = SQLAInterface(m.JointReview)
    list_title = _l("Joint reviews")
    show_title = _l("Joint review")
    show_template = "followup/joint_review.html"
    base_permissions = ["can_list", "can_show", "can_followup", "can_resolve"]
    list_columns = ["case", "lead_unit", "scheduled_at", "decision", "escalated_to", "resolved_at"]
    show_columns = list_columns + [
        "departments",
        "location",
        "minutes",
        "escalated_at",
        "escalation_outcome",
    ]
    search_columns = ["decision", "scheduled_at", "lead_unit"]
    base_order = ("scheduled_at", "desc")
    label_columns = {
        "lead_unit": _l("Lead unit"),
        "scheduled_at": _l("Meeting time"),
        "decision": _l("Decision"),
        "escalated_at": _l("Escalated"),
        "departments": _l("Departments"),
        "location": _l("Location"),
        "minutes": _l("Minutes"),
        "escalated_to": _l("Leader in charge"),
        "escalation_outcome": _l("Outcome of the escalation"),
        "resolved_at": _l("Resolved"),
    }

    def _load(self, pk) -> m.JointReview:
        review = self.datamodel.get(pk, self._base_filters)
        if review is None:
            abort(404)
        return review

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        review = self._load(pk)
        widgets = self._show(review.id)
        leaders = followup.leaders_over(
            db.session, review.case.handling_unit, self.appbuilder.sm.user_model
        )
        return self.render_template(
            self.show_template,
            pk=review.id,
            title=self.show_title,
            widgets=widgets,
            related_views=[],
            review=review,
            leaders=leaders,
            addressed_to_me=review.escalated_to_id == g.user.id,
        )

    @expose("/followup/<pk>/<step>", methods=["POST"])
    @has_access
    @permission_name("followup")
    def followup(self, pk, step):
        review = self._load(pk)
        if not current_scope().contains_unit(review.case.handling_unit):
            abort(404)
        form = request.form
        if step == "outcome":
            try:
                decision = ReviewDecision(form.get("decision", ""))
            except ValueError:
                decision = None
            action = lambda: followup.record_review_outcome(  # noqa: E731
                db.session, review, g.user, minutes=form.get("minutes", ""), decision=decision
            )
        elif step == "escalate":
            leaders = {
                u.id: u
                for u in followup.leaders_over(
                    db.session, review.case.handling_unit, self.appbuilder.sm.user_model
                )
            }
            leader = leaders.get(request.form.get("leader", type=int))
            action = lambda: followup.escalate(  # noqa: E731
                db.session, review, g.user, leader=leader, minutes=form.get("minutes", "")
            )
        else:
            abort(404)
        return _run(action, "JointReviewView.show", review.id)

    @expose("/resolve/<pk>", methods=["POST"])
    @has_access
    @permission_name("resolve")
    def resolve(self, pk):
        """The leader in charge records the outcome of an escalation addressed to them."""
        review = self._load(pk)
        if review.escalated_to_id != g.user.id and not current_scope().everything:
            abort(404)
        return _run(
            lambda: followup.record_escalation_outcome(
                db.session,
                review,
                g.user,
                outcome=request.form.get("outcome", ""),
                approved=request.form.get("approved") == "y",
            ),
            "JointReviewView.show",
            review.id,
        )
