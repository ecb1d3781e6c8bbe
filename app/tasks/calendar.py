"""Calendar jobs: recompute open cases after a year changed; warn before the calendar runs out.

``calendar.recompute`` runs the recompute job created with the change of a year
(app/domain/calendar.py), handed over after its commit;
``calendar.check_coverage`` runs when beat starts (celery_worker.py) and every few hours: it
recomputes any year whose recompute was lost, and tells Admins and Managers, once a day, which
year still needs its official schedule confirmed.
"""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app import models as m
from app import notify
from app.domain import clock
from app.domain.calendar import RECOMPUTE_JOB, new_recompute_job, next_year_state
from app.domain.recompute import recompute_years, run_recompute_job, stale_years
from app.enums import NotificationChannel
from app.extensions import db
from app.roles import holds_role

WARNED_ROLES = ("Admin", "Manager")


def missing_years(session) -> list[int]:
    """The year to confirm now (this year, or next year from the warning date), if any."""
    year = next_year_state(session)
    return [] if year is None else [year]


def warn_admins(session) -> int:
    """Queue one in-app warning per Admin and Manager per missing year and day; returns new."""

    sm = current_app.appbuilder.sm
    roles = [sm.find_role(name) for name in WARNED_ROLES]
    roles = [role for role in roles if role is not None]
    years = missing_years(session)
    if not roles or not years:
        return 0
    people = session.execute(
        sa.select(sm.user_model)
        .where(sa.or_(*(holds_role(sm.user_model, role) for role in roles)))
        .where(sm.user_model.active.is_(True))
        .order_by(sm.user_model.id)
    ).scalars()
    today = clock.today()
    new = 0
    for person in people:
        for year in years:
            with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
                subject = _(
                    "The holiday calendar for %(year)s is not confirmed: due dates in it are "
                    "provisional (weekends only). Enter the official schedule.",
                    year=year,
                )
            new += bool(
                notify.queue(
                    session,
                    dedup_key=f"calendar-coverage:{year}:{today.isoformat()}:{person.id}",
                    channel=NotificationChannel.APP,
                    kind="calendar_coverage",
                    subject=subject[:200],
                    recipient_id=person.id,
                )
            )
    return new


def _running(session, model, kind: str) -> bool:
    found = session.execute(
        sa.select(model.id).where(model.kind == kind, model.status == "running")
    ).first()
    return found is not None


@shared_task(name="calendar.check_coverage", time_limit=600)
def check_coverage() -> int:
    """Recompute years whose recompute is outstanding, then warn; returns warnings queued.

    The recompute runs here as a job (heartbeat, reaped and retryable like every job): the
    jobs still waiting for a worker, else a new one for the years outstanding; nothing while a
    worker runs one."""
    for _pass in range(2):
        if not stale_years(db.session) or _running(db.session, m.BackgroundJob, RECOMPUTE_JOB):
            break
        waiting = list(
            db.session.execute(
                sa.select(m.BackgroundJob.id)
                .where(m.BackgroundJob.kind == RECOMPUTE_JOB, m.BackgroundJob.status == "pending")
                .order_by(m.BackgroundJob.id)
            ).scalars()
        )
        if not waiting:  # none queued (a lost job): one for every year outstanding
            waiting = [new_recompute_job(db.session, stale_years(db.session), dispatch=False).id]
        db.session.commit()
        for job_id in waiting:  # claimed here unless a worker took it first
            run_recompute_job(db.session, job_id)
    new = warn_admins(db.session)
    db.session.commit()
    return new


@shared_task(name="calendar.recompute", time_limit=600, soft_time_limit=540, acks_late=True)
def recompute(job_id) -> int:
    """Run one recompute job; returns how many dates moved (0 if it was not pending).

    A list of years (a message of an earlier version, or a direct call) is recomputed as is."""
    if isinstance(job_id, list):
        return len(recompute_years(db.session, [int(y) for y in job_id]).moves)
    result = run_recompute_job(db.session, int(job_id))
    return 0 if result is None else len(result.moves)
