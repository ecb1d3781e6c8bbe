"""The working-day calendar screen: an Admin enters or corrects a year, with the official notice.

The years chinesecalendar knows are seeded from it (``flask --app app calendar seed``); a year
it does not know yet (2027 onwards, until a release has it) is entered here from the State
Council's notice: its holidays, its 调休 make-up working days and the notice's reference. Saving
a confirmed year ends the provisional dates in it; the open cases it touches are recomputed by
a worker after the commit (app/domain/recompute.py). The Excel import (/imports/, kind
"holiday calendar") writes the same tables.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _

from app import jobs
from app import models as m
from app.domain import calendar as cal
from app.domain import clock
from app.domain.errors import ValidationFailed
from app.domain.recompute import cases_touching
from app.domain.workdays import official_schedule, supported_years
from app.enums import HolidayKind
from app.extensions import db
from app.ledger.jobs import STATUS_LABELS as JOB_LABELS


def _last_recompute(session) -> m.BackgroundJob | None:
    """The latest recompute job: the screen shows how it went and offers a retry if it failed."""
    return session.execute(
        sa.select(m.BackgroundJob)
        .where(m.BackgroundJob.kind == cal.RECOMPUTE_JOB)
        .order_by(m.BackgroundJob.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _year_rows(session) -> list[dict]:
    counts = dict(
        session.execute(
            sa.select(
                sa.func.extract("year", m.Holiday.day).cast(sa.Integer), sa.func.count(m.Holiday.id)
            ).group_by(sa.func.extract("year", m.Holiday.day).cast(sa.Integer))
        ).all()
    )
    years = {y.year: y for y in session.execute(sa.select(m.HolidayYear)).scalars()}
    for year in counts:
        years.setdefault(year, None)
    return [
        {"year": year, "record": years[year], "days": counts.get(year, 0)}
        for year in sorted(years, reverse=True)
    ]


class CalendarView(BaseView):
    """工作日历: the years of the official schedule the center uses to count working days."""

    route_base = "/calendar"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        today = clock.today()
        return self.render_template(
            "calendar/index.html",
            title=_("Working-day calendar"),
            years=_year_rows(db.session),
            pending=cal.next_year_state(db.session, today),
            suggested=cal.next_year_state(db.session, today) or today.year + 1,
            local_time=lambda t: t.astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M") if t else "",
            job=_last_recompute(db.session),
            job_label=lambda job: str(JOB_LABELS.get(job.status, job.status)),
            reason=jobs.reason_text,
            can_retry=jobs.can_retry,
        )

    @expose("/jobs/<int:job_id>/retry", methods=["POST"])
    @has_access
    @permission_name("edit")
    def job_retry(self, job_id: int):
        """Run a recompute whose job failed (its worker stopped, or an error) again."""
        job = db.session.get(m.BackgroundJob, job_id)
        if job is None or job.kind != cal.RECOMPUTE_JOB:
            abort(404)
        outcome = jobs.retry_now(db.session, job)
        if outcome is None:
            flash(_("Only a failed job can be run again."), "warning")
        elif outcome == "waiting":
            flash(str(jobs.WAITING_FOR_BROKER), "warning")
        else:
            flash(_("The job runs again."), "info")
        return redirect(url_for("CalendarView.index"))

    @expose("/year/", methods=["GET"])
    @has_access
    @permission_name("index")
    def choose(self):
        try:
            year = int(request.args.get("year", ""))
        except ValueError:
            flash(_("Give a year between 2000 and 2100."), "danger")
            return redirect(url_for("CalendarView.index"))
        return redirect(url_for("CalendarView.year", year=year))

    @expose("/year/<int:year>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def year(self, year: int):
        if not 2000 <= year <= 2100:
            abort(404)
        session = db.session
        record = session.get(m.HolidayYear, year)
        errors: dict = {}
        if request.method == "POST":
            form = {
                "reference": request.form.get("reference", ""),
                "off_days": request.form.get("off_days", ""),
                "workdays": request.form.get("workdays", ""),
                "confirmed": request.form.get("confirmed") == "1",
            }
            try:
                off = cal.parse_days(form["off_days"], year, "off_days")
                work = cal.parse_days(form["workdays"], year, "workdays")
                cal.save_year(
                    session,
                    year,
                    off_days=off,
                    workdays=work,
                    reference=form["reference"],
                    confirmed=form["confirmed"],
                    actor=g.user,
                    source="manual",
                )
                session.flush()
                touched = len(cases_touching(session, [year]))
                session.commit()
            except ValidationFailed as error:
                session.rollback()
                errors = {k: str(v) for k, v in error.errors.items()}
                flash(str(error), "danger")
            else:
                if form["confirmed"]:
                    flash(
                        _(
                            "The calendar of %(year)s is saved and confirmed. %(count)s open "
                            "cases are being recomputed in the background.",
                            year=year,
                            count=touched,
                        ),
                        "success",
                    )
                else:
                    flash(
                        _(
                            "The calendar of %(year)s is saved but not confirmed: its dates stay "
                            "provisional. %(count)s open cases are being recomputed.",
                            year=year,
                            count=touched,
                        ),
                        "warning",
                    )
                return redirect(url_for("CalendarView.index"))
        else:
            form = self._initial(session, year, record)
        page = self.render_template(
            "calendar/year.html",
            title=_("Calendar of %(year)s", year=year),
            year=year,
            record=record,
            form=form,
            errors=errors,
            from_package=record is None and year in supported_years(),
        )
        return (page, 422) if errors else page

    @staticmethod
    def _initial(session, year: int, record) -> dict:
        rows = list(
            session.execute(
                sa.select(m.Holiday).where(
                    m.Holiday.day >= dt.date(year, 1, 1), m.Holiday.day <= dt.date(year, 12, 31)
                )
            ).scalars()
        )
        if not rows and record is None and year in supported_years():
            rows = [
                m.Holiday(day=day, kind=HolidayKind(kind), name=name)
                for day, kind, name in official_schedule([year])
            ]
        return {
            "reference": record.reference if record else "",
            "off_days": cal.format_days(r for r in rows if r.kind == HolidayKind.OFF),
            "workdays": cal.format_days(r for r in rows if r.kind == HolidayKind.WORKDAY),
            "confirmed": bool(record.confirmed) if record else False,
        }
